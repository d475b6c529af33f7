// loadWgKey: this host's own public key on a config line is refused with the line, before anything is applied.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newPrivateKey, publicKeyOf } from '../transport/wireguard.js';
import { loadWgKey } from './wireguard-key.js';

test("a line carrying this host's own public key is refused naming file, line and the other side's command", () => {
  const dir = mkdtempSync(join(tmpdir(), 'uxt-key-'));
  try {
    const privateKey = newPrivateKey();
    writeFileSync(join(dir, 'wireguard.key'), `${privateKey}\n`, { mode: 0o600 });
    const own = publicKeyOf(privateKey)!;
    const other = publicKeyOf(newPrivateKey())!;
    const conf = join(dir, 'tunnels.conf');
    assert.equal(loadWgKey(conf, 'ux-tunnel-receive', [{ line: 1, wireguard: other }, { line: 2, wireguard: null }]).publicKey, own);
    assert.throws(() => loadWgKey(conf, 'ux-tunnel-receive', [{ line: 1, wireguard: other }, { line: 3, wireguard: own }]),
      (e: Error) => e.message.startsWith(`${conf}:3: wireguard: ${own} is this host's own public key`) && e.message.includes('run "ux-tunnel-transmit keys" there') && e.message.endsWith('nothing was changed'));
    assert.throws(() => loadWgKey(join(dir, 'tunnel.conf'), 'ux-tunnel-transmit', [{ line: 1, wireguard: own }]), /run "ux-tunnel-receive keys" there/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
