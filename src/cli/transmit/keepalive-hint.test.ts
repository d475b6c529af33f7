import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keepaliveHint } from './keepalive-hint.js';

test('start by hand says exactly how to get the keepalive; under its unit, or with a sender running, nothing', () => {
  assert.equal(keepaliveHint({ inUnit: true, systemdRuns: true, senderAlive: false }), null);
  assert.equal(keepaliveHint({ inUnit: false, systemdRuns: true, senderAlive: true }), null);
  assert.match(keepaliveHint({ inUnit: false, systemdRuns: true, senderAlive: false })!, /^\[warn\] no keepalive is being sent.*Run: systemctl start ux-tunnel-transmit-keepalive/);
  assert.match(keepaliveHint({ inUnit: false, systemdRuns: false, senderAlive: false })!, /No systemd here: run ux-tunnel-transmit keepalive --interval 20/);
});
