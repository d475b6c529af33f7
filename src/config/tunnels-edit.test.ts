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
  assert.deepEqual(edit.tunnel, { line: 6, receivingIp: '10.10.10.10', transmitIp: '10.10.10.13', tunnelId: 168430093, explicitId: false });
  assert.equal(addTunnel('t.conf', '', '10.10.10.10', '10.10.10.13', '77').tunnel.line, 1);
});

test('config add validates like the file: a duplicate is refused with the line it clashes with', () => {
  assert.throws(() => addTunnel('t.conf', FILE, '10.10.10.10', '10.10.10.14', '10.10.10.12'), (e: unknown) => e instanceof ConfigErrors && /t\.conf:6: tunnel-id: duplicate tunnel ID .*line 5/.test(e.message));
  assert.throws(() => addTunnel('t.conf', FILE, '10.10.10.10', '10.10.10.300'), ConfigErrors);
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
