// Run as an unprivileged user (setpriv to nobody, no capabilities): commands that need root say why, with exit
// status 4 (a missing prerequisite, as the README's table of exit statuses says).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { exec } from '../../src/kernel/exec.js';

const BIN = resolve(import.meta.dirname, '..', '..', '..', 'bin');
const asNobody = (...argv: string[]) => exec(['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', process.execPath, ...argv], {
  env: { PATH: process.env.PATH ?? '/usr/bin:/bin', UX_TUNNEL_RUN_DIR: '/nonexistent' }, timeoutMs: 60_000,
});

test('install as non-root names what it needs root for (files, not network interfaces), exit 4', async () => {
  const result = await asNobody(resolve(BIN, 'ux-tunnel-transmit'), 'install');
  assert.equal(result.code, 4, result.stdout + result.stderr);
  assert.match(result.stderr, /install must run as root \(it writes under \/opt, \/etc and the systemd unit directory\): run it with sudo/);
  assert.doesNotMatch(result.stderr, /network interfaces/);
});

test('a capture as non-root fails with exit 4 and says it needs root', async () => {
  const result = await asNobody(resolve(BIN, 'ux-tunnel-receive'), 'diag', 'traffic', 'servers', '--interface', 'lo', '--time', '1');
  assert.equal(result.code, 4, result.stdout + result.stderr);
  assert.match(result.stderr, /capturing on 'lo' needs root \(CAP_NET_RAW\)/);
});
