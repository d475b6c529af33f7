// The transmit side's systemd units pass `systemd-analyze verify` (ExecStart pointed at this checkout's bin/), and
// the keepalive is wired so that its crash is restarted without touching the mirror's service.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { exec } from '../../src/kernel/exec.js';
import { withBinDir } from '../../src/install/layout.js';
import { scratchDir } from '../kernel/lib/scratch.js';

const REPO = resolve(import.meta.dirname, '..', '..', '..');
const UNITS = ['ux-tunnel-transmit.service', 'ux-tunnel-transmit-keepalive.service'];

test('systemd-analyze verify passes for both transmit units, and fails for a unit whose executable is missing', async (t) => {
  const dir = await scratchDir(t, 'uxt-units-');
  for (const unit of UNITS) await writeFile(join(dir, unit), withBinDir(await readFile(join(REPO, 'systemd', unit), 'utf8'), join(REPO, 'bin')));
  const verify = await exec(['systemd-analyze', 'verify', ...UNITS.map((u) => join(dir, u))]);
  assert.equal(verify.code, 0, verify.stderr);
  assert.doesNotMatch(verify.stderr, /ux-tunnel-transmit/, verify.stderr);

  // The check can fail: the same unit pointing at an executable that does not exist.
  const broken = join(dir, 'broken', 'ux-tunnel-transmit.service');
  await exec(['mkdir', '-p', join(dir, 'broken')]);
  await writeFile(broken, withBinDir(await readFile(join(REPO, 'systemd', UNITS[0]!), 'utf8'), join(dir, 'missing-bin')));
  const failed = await exec(['systemd-analyze', 'verify', broken]);
  assert.notEqual(failed.code, 0, 'verify rejects a unit whose ExecStart does not exist');
});

test('the keepalive restarts on its own; the mirror service only Wants it (a keepalive crash never stops the mirror)', async () => {
  const main = await readFile(join(REPO, 'systemd', UNITS[0]!), 'utf8');
  const keepalive = await readFile(join(REPO, 'systemd', UNITS[1]!), 'utf8');
  assert.match(main, /^Wants=.*ux-tunnel-transmit-keepalive\.service/m);
  assert.doesNotMatch(main, /^(Requires|BindsTo|Requisite)=.*keepalive/m);
  assert.match(main, /^ExecStop=\/usr\/bin\/ux-tunnel-transmit stop --check-config$/m, 'a stop with a broken tunnel.conf removes nothing');
  assert.match(main, /^ExecReload=\/usr\/bin\/ux-tunnel-transmit start$/m, 'reload applies an edit (validated first)');
  assert.match(keepalive, /^Restart=always$/m);
  assert.match(keepalive, /^StartLimitIntervalSec=0$/m);
  assert.match(keepalive, /^PartOf=ux-tunnel-transmit\.service$/m);
  assert.doesNotMatch(keepalive, /^(ExecStop|ExecStopPost)=/m, 'stopping the keepalive runs nothing that could touch the mirror');
});
