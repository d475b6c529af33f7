// The packages' man pages, generated from the sources the README points to: the command tables behind --help
// (SYNOPSIS, COMMANDS) and docs/transmit.md, docs/receive.md (the prose), so a page cannot drift from either.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ProgramHelp } from '../cli/help.js';
import { RECEIVE_HELP } from '../cli/receive/commands.js';
import { TRANSMIT_HELP } from '../cli/transmit/commands.js';
import { escapeCode, escapeProse, markdownToRoff, textLine } from './roff.js';

export interface ManPage {
  /** The page's name without the section, e.g. 'ux-tunnel-transmit' (file: `${name}.${section}`). */
  readonly name: string;
  readonly section: 5 | 8;
  readonly text: string;
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
