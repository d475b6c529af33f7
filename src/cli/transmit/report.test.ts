import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encryptionBacklogDrops } from './report.js';
import type { Link } from '../../kernel/links.js';

const counters = (packets: number) => ({ packets, bytes: packets * 1500, errors: 0, dropped: 0 });
const link = (name: string, tx: number): Link => ({ ifindex: 1, name, kind: null, mtu: 65000, up: true, promisc: false, addrGenMode: null, rx: counters(0), tx: counters(tx) });

test('packets the tunnel handed WireGuard and WireGuard never sent are its silent drops; none without both interfaces', () => {
  // In the lab: a 3 MB burst, 2326 L2TP packets into ruei-wg1, 1500 encrypted and sent.
  const lowerBound = (dropped: number) => ({ dropped, exact: false });
  assert.deepEqual(encryptionBacklogDrops({ links: [link('ruei-tun1', 2326), link('ruei-wg1', 1500)] }), lowerBound(826));
  assert.deepEqual(encryptionBacklogDrops({ links: [link('ruei-tun1', 2284), link('ruei-wg1', 2284)] }), lowerBound(0));
  assert.deepEqual(encryptionBacklogDrops({ links: [link('ruei-tun1', 10), link('ruei-wg1', 14)] }), lowerBound(0), 'WireGuard\'s own keepalives: never a false alarm');
  assert.deepEqual(encryptionBacklogDrops({ links: [link('ruei-tun1', 2326)] }), lowerBound(0), 'not encrypted: nothing to compare');
});

test('with the count of WireGuard\'s data packets, its drops are exact: its keepalives and handshakes hide none', () => {
  // ruei-wg1's tx holds 40 keepalives and handshakes: by it, 2 drops; by the count of data packets, 42.
  const links = [link('ruei-tun1', 10_000), link('ruei-wg1', 9_998)];
  assert.deepEqual(encryptionBacklogDrops({ links, wgSentGap: 42 }), { dropped: 42, exact: true });
  assert.deepEqual(encryptionBacklogDrops({ links, wgSentGap: 0 }), { dropped: 0, exact: true });
  assert.deepEqual(encryptionBacklogDrops({ links, wgSentGap: -1 }), { dropped: 0, exact: true }, 'a keepalive sent between the two readings');
  assert.deepEqual(encryptionBacklogDrops({ links, wgSentGap: null }), { dropped: 2, exact: false }, 'the table is not there: the lower bound');
});
