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
  for (const [key, command] of [['ExecStart', 'start \\$UX_TUNNEL_RECEIVE_OPTIONS'], ['ExecReload', 'reload \\$UX_TUNNEL_RECEIVE_OPTIONS'], ['ExecStop', 'stop']]) {
    assert.match(text, new RegExp(`^${key}=/usr/bin/ux-tunnel-receive ${command}$`, 'm'));
  }
  assert.match(text, /^EnvironmentFile=-\/etc\/default\/ux-tunnel-receive$/m, 'the options file is optional');
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

test('the monitor unit verifies, restarts on its own, follows the receive service, and runs nothing on stop', async (t) => {
  const monitorUnit = join(ROOT, 'systemd', 'ux-tunnel-receive-monitor.service');
  const monitor = await readFile(monitorUnit, 'utf8');
  const main = await readFile(UNIT, 'utf8');
  assert.match(main, /^Wants=.*ux-tunnel-receive-monitor\.service/m);
  assert.doesNotMatch(main, /^(Requires|BindsTo|Requisite)=.*monitor/m, 'a monitor failure never stops the tunnels');
  assert.match(monitor, /^ExecStart=\/usr\/bin\/ux-tunnel-receive monitor \$UX_TUNNEL_MONITOR_OPTIONS$/m);
  assert.match(monitor, /^Restart=always$/m);
  assert.match(monitor, /^PartOf=ux-tunnel-receive\.service$/m);
  assert.doesNotMatch(monitor, /^(ExecStop|ExecStopPost|ExecReload)=/m, 'stopping the monitor runs nothing that could touch a tunnel');
  const dir = await scratchDir(t, 'uxt-unit-');
  for (const [name, text] of [['ux-tunnel-receive.service', main], ['ux-tunnel-receive-monitor.service', monitor]] as const) {
    await writeFile(join(dir, name), text.replaceAll('/usr/bin/ux-tunnel-receive', join(ROOT, 'bin', 'ux-tunnel-receive')));
  }
  const result = await exec(['systemd-analyze', 'verify', '--man=no', join(dir, 'ux-tunnel-receive.service'), join(dir, 'ux-tunnel-receive-monitor.service')]);
  assert.equal(result.code, 0, `systemd-analyze verify failed:\n${result.stdout}${result.stderr}`);
  assert.doesNotMatch(result.stderr, /ux-tunnel-receive/, `verify complained:\n${result.stderr}`);
});
