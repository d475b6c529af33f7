// The packages' man pages, generated from the sources the README points to: the command tables behind --help
// (SYNOPSIS, COMMANDS) and docs/transmit.md, docs/receive.md (the prose), so a page cannot drift from either.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ProgramHelp } from '../cli/help.js';
import { RECEIVE_HELP } from '../cli/receive/commands.js';
import { TRANSMIT_HELP } from '../cli/transmit/commands.js';

export interface ManPage {
  /** The page's name without the section, e.g. 'ux-tunnel-transmit' (file: `${name}.${section}`). */
  readonly name: string;
  readonly section: 5 | 8;
  readonly text: string;
}

// ---- inline Markdown -> roff

/** roff-escapes characters: `\` would start an escape; non-ASCII as \[uXXXX] so groff needs no preconv. */
function escapeChars(text: string): string {
  return text.replace(/\\/g, '\\e').replace(/[^\x00-\x7f]/gu, (c) => `\\[u${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}]`);
}

/** Literal text (code, commands, paths): every `-` is a minus (\-), so a copied option or name works in a shell. */
function escapeCode(text: string): string {
  return escapeChars(text).replace(/-/g, '\\-');
}

/** Prose: only option-like tokens (`--dry-run`, `-Q`) get minus signs; "half-way" keeps its hyphen. */
function escapeProse(text: string): string {
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
const textLine = (line: string) => (/^[.']/.test(line) ? `\\&${line}` : line);

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

// ---- pages

/** The body of a `## heading` section of a Markdown file (the intro when heading is null), or an Error naming both. */
export function docSection(file: string, md: string, heading: string | null): string {
  const lines = md.split('\n');
  let fenced = false;
  const starts: Array<{ line: number; title: string }> = [];
  lines.forEach((line, n) => {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    const h = fenced ? null : /^##\s+(.*?)\s*$/.exec(line);
    if (h) starts.push({ line: n, title: h[1]! });
  });
  if (heading === null) {
    const first = lines.findIndex((l) => /^#\s/.test(l));
    return lines.slice(first + 1, starts[0]?.line ?? lines.length).join('\n');
  }
  const at = starts.findIndex((s) => s.title === heading);
  if (at < 0) throw new Error(`${file}: no section "## ${heading}" (the man pages are made from it; its headings: ${starts.map((s) => `"${s.title}"`).join(', ')})`);
  return lines.slice(starts[at]!.line + 1, starts[at + 1]?.line ?? lines.length).join('\n');
}

const bold = (s: string) => `\\fB${escapeCode(s)}\\fR`;
/** Placeholders (FILE, RECEIVING-IP, [HOST:]PORT) in italics, the rest as it is. */
const placeholders = (s: string) => s.replace(/[A-Z][A-Z0-9_:-]*|[^A-Z]+/g, (t) => (/^[A-Z]/.test(t) ? `\\fI${escapeCode(t)}\\fR` : escapeCode(t)));
const option = (flag: string) => {
  const space = flag.indexOf(' ');
  return space < 0 ? bold(flag) : `${bold(flag.slice(0, space))} ${placeholders(flag.slice(space + 1))}`;
};

function commandsSection(help: ProgramHelp): string[] {
  const out = ['.SH COMMANDS'];
  for (const c of help.commands) {
    out.push('.TP', [bold(c.words.join(' ')), ...(c.args ? [placeholders(c.args)] : [])].join(' '), textLine(escapeProse(c.summary)));
    // Options and example indented under the command, as in `COMMAND --help`.
    out.push('.RS');
    for (const [flag, meaning] of c.options ?? []) out.push('.TP', option(flag), textLine(escapeProse(meaning)));
    out.push('.PP', `Example: ${bold(c.example)}`, '.RE');
  }
  return out;
}

interface PageSpec {
  readonly name: string;
  readonly section: 5 | 8;
  readonly what: string;
  readonly doc: string;
  /** A command's page: SYNOPSIS, COMMANDS, OPTIONS and EXIT STATUS from its table; a file's: its path as SYNOPSIS. */
  readonly help?: ProgramHelp;
  readonly synopsis?: string;
  /** `## heading` of the doc -> the page's section title. */
  readonly sections: ReadonlyArray<readonly [string, string]>;
  readonly files: ReadonlyArray<readonly [string, string]>;
  readonly environment?: ReadonlyArray<readonly [string, string]>;
  readonly seeAlso: string[];
}

// Exit statuses of runMain (src/cli/main.ts), as docs/receive.md states them; diag path's own 2 from docs/transmit.md.
const exitStatus = (help: ProgramHelp): ReadonlyArray<readonly [string, string]> => [
  ['0', 'success; for a check or status: OK'],
  ['1', 'failure, including a FAIL in a check and a status other than OK'],
  ['2', `usage error (unknown command or option, missing argument)${help === TRANSMIT_HELP ? '; for diag path: no probe was answered (ICMP filtered)' : ''}`],
  ['3', 'bad configuration: every error is named with file, line and field, and nothing was changed'],
  ['4', 'missing prerequisite: not root, or a kernel module missing (the message names it)'],
  ['70', 'internal error (a bug: please report it with the message)'],
];

function sideSpecs(): PageSpec[] {
  const env = (side: string, file: string): Array<readonly [string, string]> => [
    ['UX_TUNNEL_CONFIG', `the ${file} to use when --config is not given`],
    ['RUEI_HOME', `not read from the environment: a RUEI_HOME=... line of /etc/ruei.conf sets it (default /opt/ruei); the default configuration is $RUEI_HOME/tunnel/${side}/conf/${file}`],
    ['UX_TUNNEL_RUN_DIR', 'directory of the runtime state files instead of /run/ux-tunnel'],
    ['NODE_OPTIONS', 'NODE_OPTIONS and the other NODE_* variables are ignored by the packaged commands, which run on the package\'s own Node.js runtime'],
  ];
  const conf = (side: string, file: string, see = `, see ${file}(5)`): Array<readonly [string, string]> => [
    [`/etc/ux-tunnel/${side}/${file}`, `the configuration${see}; the commands reach it as /opt/ruei/tunnel/${side}/conf/${file} (with the default RUEI_HOME)`],
    ['/etc/ruei.conf', 'RUEI_HOME=... (optional): where the configuration is looked for'],
  ];
  const unit = (name: string, what: string) => [`/usr/lib/systemd/system/${name}.service`, `systemd unit: ${what}`] as const;
  const common = ['tc(8)', 'ip-l2tp(8)', 'systemctl(1)'];
  return [
    {
      name: 'ux-tunnel-transmit', section: 8, what: 'mirror a web server\'s traffic through an L2TPv3 tunnel to a collector', doc: 'docs/transmit.md', help: TRANSMIT_HELP,
      sections: [['Commands', 'OPERATION'], ['systemd', 'SYSTEMD'], ['The keepalive frame', 'THE KEEPALIVE FRAME']],
      files: [...conf('transmit', 'tunnel.conf'), unit('ux-tunnel-transmit', 'the mirror and the tunnel (start, reload, stop)'), unit('ux-tunnel-transmit-keepalive', 'the keepalive sender'), ['/run/ux-tunnel/', 'runtime state: transmit-keepalive.json, the last keepalive sent (what status shows as its age)']],
      environment: env('transmit', 'tunnel.conf'), seeAlso: ['ux-tunnel-receive(8)', 'tunnel.conf(5)', ...common],
    },
    {
      name: 'ux-tunnel-receive', section: 8, what: 'terminate the L2TPv3 tunnels of ux-tunnel-transmit on the collector and deliver their frames to ruei-mtun', doc: 'docs/receive.md', help: RECEIVE_HELP,
      sections: [['Commands', 'OPERATION'], ['Source pinning', 'SOURCE PINNING'], ['L2TPv3 over UDP', 'L2TPV3 OVER UDP'], ['Encryption', 'ENCRYPTION'], ['Tunnel health: the monitor', 'TUNNEL HEALTH']],
      files: [...conf('receive', 'tunnels.conf'), unit('ux-tunnel-receive', 'the tunnels and ruei-mtun (start, reload, stop)'),
        unit('ux-tunnel-receive-monitor', 'the tunnel-health monitor'),
        ['/etc/default/ux-tunnel-receive-monitor', 'UX_TUNNEL_MONITOR_OPTIONS="..." (optional): the options of the monitor service'],
        ['/run/ux-tunnel/', 'runtime state: receive-monitor.json, the monitor\'s state (what status shows)']],
      environment: env('receive', 'tunnels.conf'), seeAlso: ['ux-tunnel-transmit(8)', 'tunnels.conf(5)', ...common],
    },
    {
      name: 'tunnel.conf', section: 5, what: 'the web server\'s ux-tunnel-transmit configuration: collector, mirrored ports, tunnel ID, mirror budget', doc: 'docs/transmit.md',
      synopsis: '/etc/ux-tunnel/transmit/tunnel.conf', sections: [['Configuration: `tunnel.conf`', 'DESCRIPTION']], files: conf('transmit', 'tunnel.conf', ''),
      seeAlso: ['ux-tunnel-transmit(8)', 'tunnels.conf(5)'],
    },
    {
      name: 'tunnels.conf', section: 5, what: 'the collector\'s ux-tunnel-receive configuration: one line per web server', doc: 'docs/receive.md',
      synopsis: '/etc/ux-tunnel/receive/tunnels.conf', sections: [['Configuration: `tunnels.conf`', 'DESCRIPTION'], ['Cookies', 'COOKIES']], files: conf('receive', 'tunnels.conf', ''),
      seeAlso: ['ux-tunnel-receive(8)', 'tunnel.conf(5)'],
    },
  ];
}

const tagged = (items: ReadonlyArray<readonly [string, string]>, tag: (s: string) => string) => items.flatMap(([k, v]) => ['.TP', tag(k), textLine(escapeProse(v))]);

/** A section's Markdown as the lines under its .SH (whose own spacing makes a leading .PP redundant). */
function roffBody(md: string): string[] {
  const body = markdownToRoff(md).trimEnd().split('\n');
  return body[0] === '.PP' ? body.slice(1) : body;
}

function page(root: string, spec: PageSpec, version: string, date: string): string {
  const md = readFileSync(join(root, spec.doc), 'utf8');
  const quoted = (s: string) => `"${s.replace(/"/g, '\\(dq')}"`;
  const out = [
    `.TH ${spec.name.toUpperCase()} ${spec.section} ${quoted(date)} ${quoted(`ux-tunnel ${version}`)} ${quoted(spec.section === 8 ? 'System Administration' : 'File Formats')}`,
    // Ragged right, no hyphenation: justifying lines full of long literal names (metric names, paths) only stretches
    // them, and a hyphen groff added inside a name or option would be copied with it.
    '.ad l', '.nh', '.SH NAME', `${escapeCode(spec.name)} \\- ${escapeProse(spec.what)}`, '.SH SYNOPSIS',
  ];
  const help = spec.help;
  if (help) {
    const program = bold(help.program);
    out.push(`${program} [${option('--config FILE')}] \\fIcommand\\fR [\\fIoptions\\fR]`, '.br', `${program} [\\fIcommand\\fR] ${bold('--help')}`, '.br', `${program} ${bold('--version')}`,
      '.PP', `\\fIcommand\\fR is one of: ${help.commands.map((c) => bold(c.words.join(' '))).join(', ')}.`,
      '.SH DESCRIPTION', ...roffBody(docSection(spec.doc, md, null)),
      ...commandsSection(help), '.SH OPTIONS', 'These options are accepted by every command, before or after it.',
      ...tagged([['--config FILE', help.configHelp], ['--help', 'the usage; after a command: its options and an example'], ['--version', 'the version, and the Node.js runtime it runs on']], option));
  } else {
    out.push(bold(spec.synopsis ?? ''));
  }
  for (const [heading, title] of spec.sections) out.push(`.SH ${title}`, ...roffBody(docSection(spec.doc, md, heading)));
  if (help) out.push('.SH EXIT STATUS', ...tagged(exitStatus(help), bold));
  if (spec.environment) out.push('.SH ENVIRONMENT', ...tagged(spec.environment, bold));
  out.push('.SH FILES', ...tagged(spec.files, bold), '.SH SEE ALSO',
    spec.seeAlso.map((ref) => ref.replace(/^(.*)\((\d)\)$/, (_, n: string, s: string) => `${bold(n)}(${s})`)).join(',\n'));
  const text = `${out.join('\n')}\n`;
  // tbl(1) runs only for pages that ask for it on their first line (man(1) reads it; groff needs -t).
  return /^\.TS$/m.test(text) ? `'\\" t\n${text}` : text;
}

/** The four pages of the packages, from the command tables and the docs under `root` (the repository). */
export function buildManPages(root: string, version: string, date: string): ManPage[] {
  return sideSpecs().map((spec) => ({ name: spec.name, section: spec.section, text: page(root, spec, version, date) }));
}
