// Commands that should not need the kernel's L2TP modules: editing tunnels.conf on a stopped collector, and a stop with
// nothing to remove (this host's kernel has no L2TP at all, which is what makes the test fail on code that asks for
// modules first). Each runs in a private network namespace (unshare -n) holding the receiving IP on its loopback.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { exec } from '../../src/kernel/exec.js';
import { scratchDir } from '../kernel/lib/scratch.js';

const BIN = resolve(import.meta.dirname, '..', '..', '..', 'bin');

/** argv in a fresh network namespace whose lo holds 10.10.10.10 (the paths are this test's own). */
const isolated = (argv: string[]) => ['unshare', '-n', 'sh', '-c', 'ip link set lo up && ip addr add 10.10.10.10/32 dev lo && exec "$@"', 'sh', ...argv];

test('config add on a stopped collector only edits the file; stop with nothing to remove succeeds; neither needs L2TP', async (t) => {
  const dir = await scratchDir(t, 'uxt-nokernel-');
  const conf = join(dir, 'tunnels.conf');
  await writeFile(conf, '# collector\n');
  const env = { ...process.env, UX_TUNNEL_RUN_DIR: dir };
  const add = await exec(isolated([join(BIN, 'ux-tunnel-receive'), '--config', conf, 'config', 'add', '10.10.10.10', '10.10.10.11']), { env, timeoutMs: 30_000 });
  assert.equal(add.code, 0, add.stdout + add.stderr);
  assert.match(add.stdout, /added line 2 .*ruei-mtun is not there \(stopped\): the change applies at the next start/);
  assert.equal(await readFile(conf, 'utf8'), '# collector\n10.10.10.10 10.10.10.11 - -\n');

  const receiveStop = await exec(isolated([join(BIN, 'ux-tunnel-receive'), '--config', conf, 'stop']), { env, timeoutMs: 30_000 });
  assert.equal(receiveStop.code, 0, receiveStop.stdout + receiveStop.stderr);
  assert.match(receiveStop.stdout, /stop: nothing to remove/);
  const transmitStop = await exec(isolated([join(BIN, 'ux-tunnel-transmit'), '--config', join(dir, 'tunnel.conf'), 'stop']), { env, timeoutMs: 30_000 });
  assert.equal(transmitStop.code, 0, transmitStop.stdout + transmitStop.stderr);
  assert.match(transmitStop.stdout, /stop: nothing to remove/);
});

test('diag traffic servers before there is a tunnel.conf captures on the default route\'s interface and says so', async (t) => {
  const dir = await scratchDir(t, 'uxt-nokernel-');
  const argv = ['unshare', '-n', 'sh', '-c', 'ip link set lo up && ip route add default dev lo && exec "$@"', 'sh',
    join(BIN, 'ux-tunnel-transmit'), '--config', join(dir, 'tunnel.conf'), 'diag', 'traffic', 'servers', '--time', '1'];
  const result = await exec(argv, { env: { ...process.env, UX_TUNNEL_RUN_DIR: dir }, timeoutMs: 60_000 });
  assert.match(result.stderr, /no .*tunnel\.conf yet: capturing on lo, the interface of the default route \(--interface IF chooses another\)/, result.stdout + result.stderr);
  assert.match(result.stdout, /on interface 'lo'/);
  assert.equal(result.code, 1, 'it ran: nothing answered within the second (exit 1 with the reason), not a configuration error (3)');
});

test('stop --check-config (the unit\'s ExecStop) with a broken tunnel.conf removes nothing and says why, exit 3', async (t) => {
  const dir = await scratchDir(t, 'uxt-nokernel-');
  const conf = join(dir, 'tunnel.conf');
  await writeFile(conf, '10.10.10.10 10.10.10.11 ens3 i80;i443\n');
  const result = await exec(isolated([join(BIN, 'ux-tunnel-transmit'), '--config', conf, 'stop', '--check-config']), { env: { ...process.env, UX_TUNNEL_RUN_DIR: dir }, timeoutMs: 30_000 });
  assert.equal(result.code, 3, result.stdout + result.stderr);
  assert.match(result.stderr, /is broken, so the running mirror is left as it is \(fix the file, then systemctl start ux-tunnel-transmit; to remove the mirror anyway: ux-tunnel-transmit stop\)/);
  assert.match(result.stderr, /tunnel\.conf:1: mirror-port-list: "i80;i443": separate the ports with commas/);
  assert.doesNotMatch(result.stdout, /\[info\] stop/, 'nothing was removed');
});
