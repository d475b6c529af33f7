import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProgramHelp } from '../cli/help.js';
import { RECEIVE_HELP } from '../cli/receive/commands.js';
import { TRANSMIT_HELP } from '../cli/transmit/commands.js';
import { bashCompletion } from './completion.js';

const dir = mkdtempSync(join(tmpdir(), 'uxt-completion-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const scripts = new Map<ProgramHelp, string>();
for (const help of [TRANSMIT_HELP, RECEIVE_HELP]) {
  const file = join(dir, help.program);
  writeFileSync(file, bashCompletion(help));
  scripts.set(help, file);
}

/**
 * What bash completes for `line` (the last word is the one being completed), with the script sourced into a real
 * bash whose PATH is empty: the function may use builtins only.
 */
function complete(help: ProgramHelp, line: string, cwd = dir): string[] {
  const words = line.split(' ');
  const fn = `_${help.program.replace(/-/g, '_')}`;
  const r = spawnSync('bash', ['--norc', '--noprofile', '-c',
    `PATH=/nonexistent; source "$1" || exit 9; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=\${#COMP_LINE}; ${fn}; printf '%s\\n' "\${COMPREPLY[@]}"`,
    'bash', scripts.get(help)!, ...words], { encoding: 'utf8', cwd, env: {} });
  assert.equal(r.stderr, '', `${line}: stderr`);
  assert.equal(r.status, 0, `${line}: status`);
  return r.stdout.split('\n').filter((w) => w !== '');
}

test('the scripts are valid bash and register the function for the program', () => {
  for (const [help, file] of scripts) {
    const r = spawnSync('bash', ['--norc', '-c', `source "$1" && complete -p ${help.program}`, 'bash', file], { encoding: 'utf8' });
    assert.equal(r.stderr, '');
    assert.equal(r.stdout.trim(), `complete -F _${help.program.replace(/-/g, '_')} ${help.program}`);
  }
});

test('command words level by level', () => {
  assert.deepEqual(complete(TRANSMIT_HELP, 'ux-tunnel-transmit di'), ['diag']);
  assert.deepEqual(complete(TRANSMIT_HELP, 'ux-tunnel-transmit diag '), ['path', 'traffic', 'tunnel']);
  assert.deepEqual(complete(TRANSMIT_HELP, 'ux-tunnel-transmit diag traffic '), ['servers']);
  assert.deepEqual(complete(TRANSMIT_HELP, 'ux-tunnel-transmit '),
    ['diag', 'firewall', 'install', 'keepalive', 'keys', 'restart', 'start', 'status', 'stop', 'uninstall']);
  assert.deepEqual(complete(RECEIVE_HELP, 'ux-tunnel-receive diag '), ['monitor', 'traffic', 'tunnels']);
  assert.deepEqual(complete(RECEIVE_HELP, 'ux-tunnel-receive config r'), ['remove']);
  assert.deepEqual(complete(TRANSMIT_HELP, 'ux-tunnel-transmit frobnicate '), [], 'nothing after an unknown word');
  // Options and their values before the command are skipped.
  assert.deepEqual(complete(TRANSMIT_HELP, 'ux-tunnel-transmit --config /x/tunnel.conf diag t'), ['traffic', 'tunnel']);
  assert.deepEqual(complete(RECEIVE_HELP, 'ux-tunnel-receive --dry-run config a'), ['add']);
});

test('every command of each registry can be completed word by word', () => {
  for (const help of [TRANSMIT_HELP, RECEIVE_HELP]) {
    for (const c of help.commands) {
      c.words.forEach((word, i) => {
        const offered = complete(help, [help.program, ...c.words.slice(0, i), ''].join(' '));
        assert.ok(offered.includes(word), `${help.program} ${c.words.slice(0, i).join(' ')} -> ${word}: ${offered.join(' ')}`);
      });
    }
  }
});

test('the options of the command typed, plus the global ones', () => {
  assert.deepEqual(complete(TRANSMIT_HELP, 'ux-tunnel-transmit diag traffic servers --i'), ['--interface']);
  assert.deepEqual(complete(TRANSMIT_HELP, 'ux-tunnel-transmit start --'), ['--dry-run', '--help', '--version', '--config']);
  assert.deepEqual(complete(TRANSMIT_HELP, 'ux-tunnel-transmit start '), ['--dry-run', '--help', '--version', '--config'], 'nothing more to type but options');
  assert.deepEqual(complete(TRANSMIT_HELP, 'ux-tunnel-transmit --'), ['--help', '--version', '--config'], 'before a command: the global ones only');
  assert.deepEqual(complete(RECEIVE_HELP, 'ux-tunnel-receive monitor --metrics-listen 127.0.0.1:9477 --v'), ['--verbose', '--version']);
  assert.deepEqual(complete(RECEIVE_HELP, 'ux-tunnel-receive config add 10.0.0.1 10.0.0.2 --d'), ['--dry-run'], 'after positional arguments');
  assert.deepEqual(complete(RECEIVE_HELP, 'ux-tunnel-receive status --interval '), [], 'no guess for a number');
  assert.deepEqual(complete(TRANSMIT_HELP, 'ux-tunnel-transmit diag traffic servers --interface '), []);
});

test('file names after --config and after options whose placeholder is FILE', () => {
  const files = mkdtempSync(join(dir, 'files-'));
  writeFileSync(join(files, 'tunnel.conf'), '');
  writeFileSync(join(files, 'trace.pcap'), '');
  assert.deepEqual(complete(TRANSMIT_HELP, 'ux-tunnel-transmit --config tu', files), ['tunnel.conf']);
  assert.deepEqual(complete(TRANSMIT_HELP, 'ux-tunnel-transmit start --config tu', files), ['tunnel.conf']);
  assert.deepEqual(complete(RECEIVE_HELP, 'ux-tunnel-receive diag traffic servers --read tr', files), ['trace.pcap']);
  assert.deepEqual(complete(TRANSMIT_HELP, `ux-tunnel-transmit --config = ${files}/tu`), [`${files}/tunnel.conf`], '--config=FILE, split at = by bash');
});
