import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withBinDir } from './layout.js';

const UNIT = '[Service]\nExecStart=/usr/bin/ux-tunnel-receive start\nExecReload=/usr/bin/ux-tunnel-receive reload\nProtectHome=yes\n';

test('withBinDir names the executables where they are, and keeps ProtectHome=yes outside home directories', () => {
  assert.equal(withBinDir(UNIT, '/usr/local/bin', '/usr/lib/node_modules/ux-tunnel'),
    '[Service]\nExecStart=/usr/local/bin/ux-tunnel-receive start\nExecReload=/usr/local/bin/ux-tunnel-receive reload\nProtectHome=yes\n');
});

test('a checkout under a home directory gets ProtectHome=read-only (yes would hide the program from its own unit)', () => {
  assert.match(withBinDir(UNIT, '/root/ux-tunnel/bin', '/root/ux-tunnel'), /^ProtectHome=read-only$/m);
  assert.match(withBinDir(UNIT, '/usr/local/bin', '/home/ops/ux-tunnel'), /^ProtectHome=read-only$/m);
  assert.match(withBinDir(UNIT, '/home/ops/ux-tunnel/bin', '/home/ops/ux-tunnel'), /^ExecStart=\/home\/ops\/ux-tunnel\/bin\/ux-tunnel-receive start$/m);
});
