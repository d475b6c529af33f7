import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigErrors } from './errors.js';
import { checkReceivingIpsLocal, parseTunnelsConf } from './tunnels.js';
import { MALFORMED_CASES } from '../../test/fixtures/malformed-tunnels-conf.js';

test('the vendor guide\'s lines parse: derived ID, NAT with an ID as an address (en dash), ID as a number', () => {
  const text = '# tunnels\n10.10.10.10 10.10.10.11 - -\n\n10.10.10.10 192.168.1.11 \u2013 10.10.10.12  # NAT\n10.10.10.10 10.10.10.13 - 16859033\n';
  const { tunnels, warnings } = parseTunnelsConf('tunnels.conf', text);
  assert.deepEqual(tunnels, [
    { line: 2, receivingIp: '10.10.10.10', transmitIp: '10.10.10.11', tunnelId: 168430091, explicitId: false, cookie: null, wireguard: null, udpPort: null },
    { line: 4, receivingIp: '10.10.10.10', transmitIp: '192.168.1.11', tunnelId: 168430092, explicitId: true, cookie: null, wireguard: null, udpPort: null },
    { line: 5, receivingIp: '10.10.10.10', transmitIp: '10.10.10.13', tunnelId: 16859033, explicitId: true, cookie: null, wireguard: null, udpPort: null },
  ]);
  assert.equal(warnings.length, 1);
  assert.equal(warnings[0]!.location.line, 4);
});

test('an empty or comment-only file is no tunnels', () => {
  assert.deepEqual(parseTunnelsConf('t.conf', '').tunnels, []);
  assert.deepEqual(parseTunnelsConf('t.conf', '# nothing\n\n').tunnels, []);
});

for (const c of MALFORMED_CASES) {
  test(`malformed: ${c.name} is rejected with file:line and field`, () => {
    assert.throws(() => parseTunnelsConf('/etc/t.conf', c.text), (error: unknown) => {
      assert.ok(error instanceof ConfigErrors, `a ConfigErrors, not ${String(error)}`);
      const match = error.errors.find((e) => e.location.line === c.line && e.field === c.field);
      assert.ok(match, `an error for line ${c.line} field ${c.field}; got: ${error.message}`);
      assert.match(match.message, new RegExp(`^/etc/t\\.conf:${c.line}: `));
      assert.match(match.reason, c.reason);
      return true;
    });
  });
}

test('every error of a file is reported at once, in line order', () => {
  const text = '10.10.10.10 10.10.10.11 - 0\nbad\n10.10.10.10 10.10.10.256 - -\n';
  assert.throws(() => parseTunnelsConf('t.conf', text), (error: unknown) => {
    assert.ok(error instanceof ConfigErrors);
    assert.deepEqual(error.errors.map((e) => e.location.line), [1, 2, 3]);
    return true;
  });
});

test('a receiving IP that is not an address of this host is an error naming line and field', () => {
  const { tunnels } = parseTunnelsConf('t.conf', '10.10.10.10 10.10.10.11 - -\n192.0.2.1 10.10.10.12 - -\n');
  const errors = checkReceivingIpsLocal('t.conf', tunnels, new Set(['10.10.10.10']));
  assert.equal(errors.length, 1);
  assert.equal(errors[0]!.message, 't.conf:2: receiving-side-ip: 192.0.2.1 is not an address of this host (see ip address show)');
});

test('a cookie option follows the vendor\'s four fields; the value is kept in the kernel\'s form and never in an error', () => {
  const { tunnels } = parseTunnelsConf('t.conf', '10.10.10.10 10.10.10.11 - - cookie=0x0123456789ABCDEF\n10.10.10.10 10.10.10.12 - 7\n');
  assert.deepEqual(tunnels.map((t) => t.cookie), ['0123456789abcdef', null]);
  assert.throws(() => parseTunnelsConf('t.conf', '10.10.10.10 10.10.10.11 - - cookie=0123456789abcdeZ\n'), (error: unknown) => {
    assert.ok(error instanceof ConfigErrors && !error.message.includes('0123456789abcde'));
    return true;
  });
});
