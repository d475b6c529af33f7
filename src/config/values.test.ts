import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeTunnelId, formatIPv4, parseIPv4, parseTunnelId } from './values.js';

test('parseIPv4 reads dotted quads and rejects everything else', () => {
  assert.equal(parseIPv4('10.10.10.11'), 168430091);
  assert.equal(parseIPv4('255.255.255.255'), 4294967295);
  assert.equal(parseIPv4('0.0.0.0'), 0);
  for (const bad of ['10.10.10', '10.10.10.256', '10.10.10.011', '10.10.10.1.1', '10..10.1', 'a.b.c.d', ' 10.1.1.1', '10.1.1.-1', '']) {
    assert.equal(parseIPv4(bad), null, bad);
  }
});

test('formatIPv4 is the inverse of parseIPv4', () => {
  for (const ip of ['10.10.10.11', '0.0.0.1', '255.255.255.255', '192.168.1.11']) assert.equal(formatIPv4(parseIPv4(ip)!), ip);
});

test('parseTunnelId takes an IPv4 address or a number 1..4294967295', () => {
  assert.equal(parseTunnelId('10.10.10.11'), 168430091);
  assert.equal(parseTunnelId('1'), 1);
  assert.equal(parseTunnelId('4294967295'), 4294967295);
  assert.match(String(parseTunnelId('0')), /out of range/);
  assert.match(String(parseTunnelId('4294967296')), /out of range/);
  assert.match(String(parseTunnelId('99999999999')), /out of range/);
  assert.match(String(parseTunnelId('0.0.0.0')), /reserves/);
  assert.match(String(parseTunnelId('12a')), /neither/);
  assert.match(String(parseTunnelId('10.10.10.300')), /neither/);
});

test('describeTunnelId shows the ID as the vendor tooling does', () => {
  assert.equal(describeTunnelId(168430091), '10.10.10.11(168430091)');
});
