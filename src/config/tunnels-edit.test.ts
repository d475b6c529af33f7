import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigErrors } from './errors.js';
import { addTunnel, EditError, removeTunnel, writeFileAtomic } from './tunnels-edit.js';

const FILE = '# collector tunnels\n10.10.10.10 10.10.10.11 - -   # web1\n\n# NAT\n10.10.10.10 192.168.1.12 - 10.10.10.12';

test('config add appends a line and keeps every comment and the order', () => {
  const edit = addTunnel('t.conf', FILE, '10.10.10.10', '10.10.10.13');
  assert.equal(edit.text, `${FILE}\n10.10.10.10 10.10.10.13 - -\n`);
  assert.deepEqual(edit.tunnel, { line: 6, receivingIp: '10.10.10.10', transmitIp: '10.10.10.13', tunnelId: 168430093, explicitId: false, cookie: null, wireguard: null, udpPort: null });
  assert.equal(addTunnel('t.conf', '', '10.10.10.10', '10.10.10.13', '77').tunnel.line, 1);
});

test('config add validates like the file: a duplicate is refused naming the line it clashes with, never the new line\'s number', () => {
  assert.throws(() => addTunnel('t.conf', FILE, '10.10.10.10', '10.10.10.14', '10.10.10.12'),
    (e: unknown) => e instanceof EditError && /^tunnel ID 10\.10\.10\.12\(168430092\) is already used by line 5 \(web server 192\.168\.1\.12\): give this web server another tunnel ID/.test(e.message));
  // The same web server again: it is there already, on line 2 (not "line 6" of a 5-line file, nor "use another ID").
  assert.throws(() => addTunnel('t.conf', FILE, '10.10.10.10', '10.10.10.11'),
    (e: unknown) => e instanceof EditError && /^10\.10\.10\.11 is already configured on line 2 \("10\.10\.10\.10 10\.10\.10\.11 - -"\): nothing to add/.test(e.message) && !/line 6/.test(e.message));
  assert.throws(() => addTunnel('t.conf', FILE, '10.10.10.10', '10.10.10.300'), (e: unknown) => e instanceof EditError && /transmit-side-ip: "10\.10\.10\.300" is not an IPv4 address/.test(e.message));
  // A file that is already broken is reported as it is, with its own line numbers.
  assert.throws(() => addTunnel('t.conf', '10.10.10.10 bad - -\n', '10.10.10.10', '10.10.10.13'), (e: unknown) => e instanceof ConfigErrors && /t\.conf:1:/.test(e.message));
});

test('config remove takes the transmit address or the tunnel ID and removes only that line', () => {
  const byAddress = removeTunnel('t.conf', FILE, '10.10.10.11');
  assert.equal(byAddress.text, '# collector tunnels\n\n# NAT\n10.10.10.10 192.168.1.12 - 10.10.10.12');
  assert.equal(byAddress.tunnel.line, 2);
  assert.equal(removeTunnel('t.conf', FILE, '10.10.10.12').tunnel.transmitIp, '192.168.1.12');
  assert.equal(removeTunnel('t.conf', FILE, '168430092').tunnel.line, 5);
  assert.throws(() => removeTunnel('t.conf', FILE, '10.10.10.99'), EditError);
  assert.throws(() => removeTunnel('t.conf', FILE, 'web1'), EditError);
});

test('config remove refuses an address that names two different tunnels', () => {
  const text = '10.10.10.10 10.10.10.11 - 7\n10.10.10.10 10.10.10.12 - 10.10.10.11\n';
  assert.throws(() => removeTunnel('t.conf', text, '10.10.10.11'), /matches lines 1 and 2/);
});

test('writeFileAtomic replaces the file, keeps its mode and leaves no temporary file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'uxt-edit-'));
  try {
    const path = join(dir, 'tunnels.conf');
    writeFileSync(path, 'old\n', { mode: 0o600 });
    writeFileAtomic(path, 'new\n');
    assert.equal(readFileSync(path, 'utf8'), 'new\n');
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(dir), ['tunnels.conf']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
