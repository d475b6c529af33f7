// systemd/ux-tunnel-receive.service passes systemd-analyze verify (a copy whose Exec lines run this checkout's binary).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { exec } from '../../src/kernel/exec.js';
import { scratchDir } from '../kernel/lib/scratch.js';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const UNIT = join(ROOT, 'systemd', 'ux-tunnel-receive.service');

test('the shipped unit maps start/reload/stop to the commands and passes systemd-analyze verify', async (t) => {
  const text = await readFile(UNIT, 'utf8');
  assert.match(text, /^Type=oneshot$/m);
  assert.match(text, /^RemainAfterExit=yes$/m);
  for (const [key, command] of [['ExecStart', 'start'], ['ExecReload', 'reload'], ['ExecStop', 'stop']]) {
    assert.match(text, new RegExp(`^${key}=/usr/bin/ux-tunnel-receive ${command}$`, 'm'));
  }
  // verify needs every Exec binary to exist: point a copy at this checkout's launcher (same name, so the unit name holds).
  const dir = await scratchDir(t, 'uxt-unit-');
  const copy = join(dir, 'ux-tunnel-receive.service');
  await writeFile(copy, text.replaceAll('/usr/bin/ux-tunnel-receive', join(ROOT, 'bin', 'ux-tunnel-receive')));
  const result = await exec(['systemd-analyze', 'verify', '--man=no', copy]);
  assert.equal(result.code, 0, `systemd-analyze verify failed:\n${result.stdout}${result.stderr}`);
  assert.doesNotMatch(result.stderr, /ux-tunnel-receive\.service/, `verify complained about the unit:\n${result.stderr}`);
});

test('a unit with a broken Exec line fails verify (the check above can fail)', async (t) => {
  const dir = await scratchDir(t, 'uxt-unit-');
  const copy = join(dir, 'ux-tunnel-receive.service');
  await writeFile(copy, (await readFile(UNIT, 'utf8')).replaceAll('/usr/bin/ux-tunnel-receive', join(dir, 'missing')));
  const result = await exec(['systemd-analyze', 'verify', '--man=no', copy]);
  assert.notEqual(result.code, 0, result.stderr);
});
