// Markdown to roff (the man(7) macros) for the packages' man pages: inline code, links, bold and italics, lists,
// tables and code blocks of the project's own docs, escaped so groff prints them as written.
// ---- inline Markdown -> roff

/** roff-escapes characters: `\` would start an escape; non-ASCII as \[uXXXX] so groff needs no preconv. */
function escapeChars(text: string): string {
  return text.replace(/\\/g, '\\e').replace(/[^\x00-\x7f]/gu, (c) => `\\[u${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}]`);
}

/** Literal text (code, commands, paths): every `-` is a minus (\-), so a copied option or name works in a shell. */
export function escapeCode(text: string): string {
  return escapeChars(text).replace(/-/g, '\\-');
}

/** Prose: only option-like tokens (`--dry-run`, `-Q`) get minus signs; "half-way" keeps its hyphen. */
export function escapeProse(text: string): string {
  const unescaped = text.replace(/\\([!-/:-@[-`{-~])/g, '$1');
  return escapeChars(unescaped).replace(/(^|[\s(\[{=,;"'|])(--?[A-Za-z0-9][\w.-]*)/g, (_, before: string, token: string) => before + token.replace(/-/g, '\\-'));
}

// Code span | link | **bold** | *em* | _em_ (underscores only at word edges: ux_tunnel_up is no emphasis).
const INLINE = /`([^`]+)`|\[([^\]]+)\]\(([^)\s]+)\)|\*\*(.+?)\*\*|(?<![\w*\\])\*(?![\s*])(.+?)(?<![\s\\*])\*(?![\w*])|(?<![\w\\])_(?![\s_])(.+?)(?<!\s)_(?!\w)/g;

type Font = 'R' | 'B' | 'I';
const inFont = (font: Font, text: string, base: Font) => (font === base ? text : `\\f${font}${text}\\f${base}`);

/** One line of Markdown text as roff, returning to font `base` after each change (so bold may hold code). */
function inline(md: string, base: Font = 'R'): string {
  let out = '';
  let last = 0;
  for (const m of md.matchAll(INLINE)) {
    out += escapeProse(md.slice(last, m.index));
    last = m.index + m[0].length;
    const [, code, linkText, url, bold, star, under] = m;
    if (code !== undefined) out += inFont('B', escapeCode(code), base);
    // Relative links (other .md files of the repository) would dangle in an installed page: their text only.
    else if (linkText !== undefined) out += inline(linkText, base) + (/^https?:\/\//.test(url!) ? ` (${escapeCode(url!)})` : '');
    else if (bold !== undefined) out += inFont('B', inline(bold, 'B'), base);
    else out += inFont('I', inline((star ?? under)!, 'I'), base);
  }
  return out + escapeProse(md.slice(last));
}

/** A text line as roff reads it: a leading `.` or `'` would make it a request, `\&` keeps it text. */
export const textLine = (line: string) => (/^[.']/.test(line) ? `\\&${line}` : line);

// ---- blocks

function table(rows: string[]): string[] {
  const cells = (row: string) => row.trim().replace(/^\|/, '').replace(/(?<!\\)\|$/, '').split(/(?<!\\)\|/).map((c) => c.trim().replace(/\\\|/g, '|'));
  const isRule = (row: string) => /^\s*\|?(\s*:?-+:?\s*\|)*\s*:?-+:?\s*\|?\s*$/.test(row);
  const body = rows.filter((r) => !isRule(r)).map(cells);
  const hasHeader = rows.length > 1 && isRule(rows[1]!);
  const columns = Math.max(...body.map((r) => r.length));
  // The last column takes the remaining width (x); cells are text blocks (T{ T}) so long ones wrap.
  const format = (font: string) => Array.from({ length: columns }, (_, i) => `l${font}${i === columns - 1 ? 'x' : ''}`).join(' ');
  const out = ['.TS', 'allbox tab(|);'];
  if (hasHeader) out.push(format('b'));
  out.push(`${format('')}.`);
  for (const row of body) {
    const filled = Array.from({ length: columns }, (_, i) => row[i] ?? '');
    out.push(filled.map((c) => `T{\n${textLine(inline(c)) || '\\&'}\nT}`).join('|'));
  }
  // groff's tty output draws the bottom rule in the space a following .PP would leave: .sp gives it back.
  out.push('.TE', '.sp');
  return out;
}

/**
 * The Markdown of docs/*.md as man(7) roff: headings (#/## .SH, deeper .SS), paragraphs, bullet and numbered lists
 * (nested by indentation), fenced code, tables (tbl), and inline code, bold, emphasis and links.
 */
export function markdownToRoff(md: string): string {
  const lines = md.replace(/\r\n/g, '\n').split('\n');
  const out: string[] = [];
  const lists: Array<{ marker: number; content: number }> = []; // open lists, innermost last
  let text: string[] = []; // the lines of the paragraph or list item being read, joined when it ends
  const flush = () => {
    if (text.length > 0) out.push(textLine(inline(text.join(' '))));
    text = [];
  };
  // Closes the innermost lists while `ends` says so. A nested list is indented by .RS/.RE; the outermost needs neither
  // (its items are .IP paragraphs). Text indented less than a list's content (a heading: -1) ends that list.
  const closeLists = (indent: number, ends = (l: { marker: number; content: number }) => l.content > indent) => {
    while (lists.length > 0 && ends(lists[lists.length - 1]!)) {
      lists.pop();
      if (lists.length > 0) out.push('.RE');
    }
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const indent = line.length - line.trimStart().length;
    const fence = /^(\s*)(`{3,}|~{3,})/.exec(line);
    if (fence) {
      flush();
      closeLists(indent);
      const close = new RegExp(`^\\s*${fence[2]![0] === '`' ? '`' : '~'}{${fence[2]!.length},}\\s*$`);
      out.push('.PP', '.RS 4', '.nf');
      for (i++; i < lines.length && !close.test(lines[i]!); i++) {
        const code = lines[i]!.slice(Math.min(indent, lines[i]!.length - lines[i]!.trimStart().length));
        out.push(textLine(escapeCode(code)) || '\\&');
      }
      out.push('.fi', '.RE');
      continue;
    }
    if (line.trim() === '') {
      flush();
      continue;
    }
    const heading = /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading) {
      flush();
      closeLists(-1);
      out.push(heading[1]!.length <= 2 ? '.SH' : '.SS', textLine(inline(heading[2]!)));
      continue;
    }
    if (/^\s*\|/.test(line)) {
      flush();
      closeLists(indent);
      const rows: string[] = [];
      for (; i < lines.length && /^\s*\|/.test(lines[i]!); i++) rows.push(lines[i]!);
      i--;
      out.push(...table(rows));
      continue;
    }
    const item = /^(\s*)([-*+]|\d{1,9}[.)])\s+(.*)$/.exec(line);
    if (item) {
      flush();
      closeLists(indent, (l) => l.marker > indent); // a marker left of a list's own ends it
      const top = lists[lists.length - 1];
      if (top === undefined || indent >= top.content) {
        if (lists.length > 0) out.push('.RS');
        lists.push({ marker: indent, content: indent + item[2]!.length + 1 });
      }
      const bullet = /^[-*+]$/.test(item[2]!);
      out.push(bullet ? '.IP \\(bu 2' : `.IP ${item[2]} ${item[2]!.length + 2}`);
      text = [item[3]!];
      continue;
    }
    if (text.length > 0) {
      text.push(line.trim()); // continuation (indented or lazy) of the paragraph or item
      continue;
    }
    closeLists(indent);
    out.push(lists.length > 0 ? '.IP "" 2' : '.PP');
    text = [line.trim()];
  }
  flush();
  return `${out.join('\n')}\n`;
}

