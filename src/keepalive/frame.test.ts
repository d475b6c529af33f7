import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeKeepalive, encodeKeepalive } from './frame.js';

test('a keepalive round-trips; its bytes start with UXTK and version 1, then JSON', () => {
  const k = { tunnelId: 168430091, host: 'web1', seq: 3, time: '2026-11-23T20:00:00.000Z', interval: 20 };
  const bytes = encodeKeepalive(k);
  assert.equal(bytes.subarray(0, 5).toString('hex'), '5558544b01');
  assert.deepEqual(JSON.parse(bytes.subarray(5).toString()), k);
  assert.deepEqual(decodeKeepalive(bytes), { version: 1, ...k });
});

test('anything else is not a keepalive; a later version with more fields still reads', () => {
  assert.equal(decodeKeepalive(Buffer.from('GET / HTTP/1.1\r\n')), null);
  assert.equal(decodeKeepalive(Buffer.from('UXTK\x01{not json', 'latin1')), null);
  assert.equal(decodeKeepalive(Buffer.from('UXTK\x01{"seq":1}', 'latin1')), null);
  const v2 = Buffer.concat([Buffer.from('UXTK\x02', 'latin1'), Buffer.from(JSON.stringify({ tunnelId: 7, host: 'h', seq: 1, time: 't', interval: 20, counters: { tx: 5 } }))]);
  assert.equal(decodeKeepalive(v2)?.version, 2);
  assert.equal(decodeKeepalive(v2)?.tunnelId, 7);
});
