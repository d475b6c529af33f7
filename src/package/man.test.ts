import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { RECEIVE_HELP } from '../cli/receive/commands.js';
import { TRANSMIT_HELP } from '../cli/transmit/commands.js';
import { writeDocs } from './docs-out.js';
import { buildManPages } from './man.js';
import { markdownToRoff } from './roff.js';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const pages = buildManPages(ROOT, '1.2.3', '2026-01-02');
const pageText = (name: string) => pages.find((p) => p.name === name)!.text;
const hasGroff = !spawnSync('groff', ['--version']).error;
const NO_GROFF = hasGroff ? false : 'groff is not installed (apt-get install -y --no-install-recommends groff-base)';

/** groff's output and warnings for a page (tbl only when its first line asks for it, as man(1) does). */
function groff(text: string, device = 'utf8'): { stdout: string; stderr: string; status: number | null } {
  const args = [...(text.startsWith('\'\\" t') ? ['-t'] : []), '-man', `-T${device}`, '-ww', '-rLL=78n'];
  const r = spawnSync('groff', args, { input: text, encoding: 'utf8' });
  return { stdout: r.stdout.replace(/.\x08/g, ''), stderr: r.stderr, status: r.status }; // without grotty's overstrikes
}

/** The roff between `.SH TITLE` and the next .SH. */
const section = (text: string, title: string) => text.split(`\n.SH ${title}\n`)[1]?.split('\n.SH ')[0] ?? '';

test('four pages: the two commands in section 8, the two config files in section 5, each with its .TH line', () => {
  assert.deepEqual(pages.map((p) => `${p.name}.${p.section}`), ['ux-tunnel-transmit.8', 'ux-tunnel-receive.8', 'tunnel.conf.5', 'tunnels.conf.5']);
  assert.match(pageText('ux-tunnel-transmit'), /^(?:'\\" t\n)?\.TH UX-TUNNEL-TRANSMIT 8 "2026-01-02" "ux-tunnel 1\.2\.3" "System Administration"\n/m);
  assert.match(pageText('tunnels.conf'), /^\.TH TUNNELS\.CONF 5 "2026-01-02" "ux-tunnel 1\.2\.3" "File Formats"$/m);
  for (const p of pages) {
    assert.match(p.text, /\n\.SH NAME\n\S+ \\- \S/, `${p.name}: a NAME line whatis can read`);
    assert.match(section(p.text, 'SEE ALSO'), p.section === 8 ? /\\fBtc\\fR\(8\),\n\\fBip\\-l2tp\\fR\(8\),\n\\fBsystemctl\\fR\(1\)/ : /\(8\)/);
    assert.doesNotMatch(p.text, /[\w-]+\.md\b/, `${p.name}: no link to a Markdown file of the repository`);
    assert.equal(p.text.startsWith('\'\\" t\n'), p.text.includes('\n.TS\n'), `${p.name}: the tbl line exactly when there is a table`);
  }
});

test('the command pages: every command of the registry with its options and example, the docs\' sections, exit statuses', () => {
  for (const help of [TRANSMIT_HELP, RECEIVE_HELP]) {
    const text = pageText(help.program);
    const commands = section(text, 'COMMANDS');
    for (const c of help.commands) {
      assert.ok(commands.includes(`.TP\n\\fB${c.words.join(' ')}\\fR`), `${help.program} ${c.words.join(' ')}`);
      for (const [flag] of c.options ?? []) assert.ok(commands.includes(`\\fB${flag.split(' ')[0]!.replace(/-/g, '\\-')}\\fR`), `${c.words.join(' ')} ${flag}`);
      assert.ok(commands.includes(`Example: \\fB${c.example.replace(/-/g, '\\-')}`), c.example);
    }
    assert.match(section(text, 'SYNOPSIS'), /\\fB\\-\\-config\\fR \\fIFILE\\fR/);
    assert.match(section(text, 'EXIT STATUS'), /\\fB3\\fR\nbad configuration/);
    assert.match(section(text, 'ENVIRONMENT'), /UX_TUNNEL_CONFIG[\s\S]*RUEI_HOME[\s\S]*NODE_\*/);
    assert.match(section(text, 'FILES'), /\/etc\/ux\\-tunnel\/(transmit|receive)[\s\S]*\/usr\/lib\/systemd\/system\/[\s\S]*\/run\/ux\\-tunnel\//);
  }
  // The prose really comes from the docs: a sentence of each chosen section.
  assert.match(section(pageText('ux-tunnel-transmit'), 'DESCRIPTION'), /Production traffic is only ever \\fIcopied\\fR/);
  assert.match(section(pageText('ux-tunnel-transmit'), 'SYSTEMD'), /\\fBRestart=always\\fR/);
  assert.match(section(pageText('ux-tunnel-transmit'), 'THE KEEPALIVE FRAME'), /\.TS\nallbox tab\(\|\);/);
  assert.match(section(pageText('ux-tunnel-receive'), 'TUNNEL HEALTH'), /\\fBLoss\\fR: frames sent minus frames received/);
  assert.match(section(pageText('tunnel.conf'), 'DESCRIPTION'), /\\fBbudget\\-mbit=N\\fR/);
  assert.match(section(pageText('tunnels.conf'), 'DESCRIPTION'), /The third field is unused on this side/);
});

test('escaping: leading dots and quotes, backslashes, options with minus signs, non-ASCII, links', () => {
  const roff = markdownToRoff([
    '.hidden starts this paragraph, and a\\b has a backslash; `--dry-run` and --dry-run but half-way.',
    '',
    "'quoted' starts this one; [the guide](diagnostics.md), [groff](https://www.gnu.org/software/groff/), en dash –.",
    '',
    '```',
    '.PP is no request here',
    "'neither is this",
    'C:\\dir --flag',
    '```',
  ].join('\n'));
  assert.match(roff, /^\.PP\n\\&\.hidden starts/m);
  assert.match(roff, /a\\eb has/);
  assert.match(roff, /\\fB\\-\\-dry\\-run\\fR and \\-\\-dry\\-run but half-way\./);
  assert.match(roff, /^\\&'quoted' starts this one; the guide, groff \(https:/m);
  assert.doesNotMatch(roff, /diagnostics/, 'a relative link keeps only its text');
  assert.match(roff, /en dash \\\[u2013\]\./);
  assert.match(roff, /\.nf\n\\&\.PP is no request here\n\\&'neither is this\nC:\\edir \\-\\-flag\n\.fi/);
  if (!hasGroff) return;
  const out = groff(`.TH T 1\n.ad l\n.nh\n.SH X\n${roff}`);
  assert.equal(out.stderr, '');
  for (const shown of ['.hidden starts', 'a\\b has', '--dry-run and --dry-run', "'quoted' starts", 'the guide, groff (https://www.gnu.org/software/groff/)', '.PP is no request here', 'C:\\dir --flag', '–']) {
    assert.ok(out.stdout.replace(/\s+/g, ' ').includes(shown), `${shown} in:\n${out.stdout}`);
  }
});

test('blocks: headings, nested and numbered lists, tables with escaped pipes, emphasis', () => {
  const roff = markdownToRoff([
    '### Sub heading', '', '- one', '  continued', '  - nested **bold `code`** and *em* and _em_ but ux_tunnel_up', '- two', '', '1. first', '2. second', '',
    'after', '', '| a | b |', '| --- | --- |', '| `x\\|y` | z |',
  ].join('\n'));
  assert.match(roff, /^\.SS\nSub heading$/m);
  assert.match(roff, /\.IP \\\(bu 2\none continued\n\.RS\n\.IP \\\(bu 2\nnested \\fBbold code\\fR and \\fIem\\fR and \\fIem\\fR but ux_tunnel_up\n\.RE\n\.IP \\\(bu 2\ntwo\n/);
  assert.match(roff, /\.IP 1\. 4\nfirst\n\.IP 2\. 4\nsecond\n\.PP\nafter\n/);
  assert.match(roff, /\.TS\nallbox tab\(\|\);\nlb lbx\nl lx\.\nT\{\na\nT\}\|T\{\nb\nT\}\nT\{\n\\fBx\|y\\fR\nT\}\|T\{\nz\nT\}\n\.TE\n/);
});

test('every page formats without a groff warning and man(1) shows its NAME line', () => {
  assert.equal(NO_GROFF, false, 'groff is missing: scripts/setup.sh installs it (apt-get install groff)');
  const out = mkdtempSync(join(tmpdir(), 'uxt-man-'));
  try {
    writeDocs(ROOT, out, '1.2.3', '2026-01-02');
    const written = pages.map((p) => join(out, 'man', `man${p.section}`, `${p.name}.${p.section}`));
    for (const [i, file] of written.entries()) {
      const text = readFileSync(file, 'utf8');
      assert.equal(text, pages[i]!.text);
      const r = groff(text);
      assert.equal(r.stderr, '', `${file}: groff warnings`);
      assert.equal(r.status, 0);
      const man = spawnSync('man', ['-l', file], { encoding: 'utf8', env: { ...process.env, MANWIDTH: '100', MANPAGER: 'cat', PAGER: 'cat' } });
      if (man.error) continue; // groff itself was checked; man-db is optional
      assert.match(man.stdout, new RegExp(`NAME\\n\\s+${pages[i]!.name.replace(/\./g, '\\.')} - \\S`), man.stdout.slice(0, 400));
    }
    assert.match(readFileSync(join(out, 'bash-completion', 'ux-tunnel-receive'), 'utf8'), /^complete -F _ux_tunnel_receive ux-tunnel-receive$/m);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('a doc section that was renamed or removed fails the build, naming the file and the heading', () => {
  const root = mkdtempSync(join(tmpdir(), 'uxt-man-root-'));
  try {
    mkdirSync(join(root, 'docs'));
    cpSync(join(ROOT, 'docs', 'receive.md'), join(root, 'docs', 'receive.md'));
    const transmit = readFileSync(join(ROOT, 'docs', 'transmit.md'), 'utf8');
    writeFileSync(join(root, 'docs', 'transmit.md'), transmit.replace('\n## systemd\n', '\n## Services\n'));
    assert.throws(() => buildManPages(root, '1', '2026-01-02'), /docs\/transmit\.md: no section "## systemd".*"Services"/);
    writeFileSync(join(root, 'docs', 'transmit.md'), transmit);
    assert.equal(buildManPages(root, '1', '2026-01-02').length, 4, 'the same files with the heading back build');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
