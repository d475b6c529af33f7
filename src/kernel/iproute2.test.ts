import { test } from 'node:test';
import assert from 'node:assert/strict';
import { budgetTooOld, noJsonError, parseIproute2Version } from './iproute2.js';

test('iproute2 versions: numbered releases and the older snapshot names', () => {
  assert.deepEqual(parseIproute2Version('ip utility, iproute2-6.1.0, libbpf 1.1.0'), [6, 1]);
  assert.deepEqual(parseIproute2Version('tc utility, iproute2-5.10.0'), [5, 10]);
  assert.deepEqual(parseIproute2Version('ip utility, iproute2-ss180813'), [4, 16]);
  assert.deepEqual(parseIproute2Version('ip utility, iproute2-ss170501'), [4, 0]);
  assert.equal(parseIproute2Version('BusyBox v1.35'), null);
});

test('an ip without JSON output gets "too old, needs 4.16", naming its version; other failures are not explained away', () => {
  const failed = { argv: [], code: 255, stdout: '', stderr: 'Option "-j" is unknown, try "ip -help".\n' };
  const error = noJsonError(['ip', '-j', 'link', 'show'], failed, 'ip utility, iproute2-ss161212');
  assert.match(error!.message, /^ip from iproute2 4\.0 cannot print JSON \(-j\): ux-tunnel needs iproute2 4\.16 or newer/);
  assert.equal(noJsonError(['ip', '-j', 'link', 'show', 'dev', 'eth9'], { ...failed, stderr: 'Device "eth9" does not exist.\n' }), null);
  assert.equal(noJsonError(['ip', 'link', 'show'], failed), null);
});

test('a mirror budget needs iproute2 5.14 (valid JSON for police actions)', () => {
  assert.match(budgetTooOld('tc utility, iproute2-5.10.0')!.message, /needs iproute2 5\.14 or newer .* this host has 5\.10/);
  assert.equal(budgetTooOld('tc utility, iproute2-6.1.0, libbpf 1.1.0'), null);
  assert.equal(budgetTooOld('unknown'), null);
});
