import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encryptionBacklogDrops } from './report.js';
import type { Link } from '../../kernel/links.js';

const counters = (packets: number) => ({ packets, bytes: packets * 1500, errors: 0, dropped: 0 });
const link = (name: string, tx: number): Link => ({ ifindex: 1, name, kind: null, mtu: 65000, up: true, promisc: false, addrGenMode: null, rx: counters(0), tx: counters(tx) });

test('packets the tunnel handed WireGuard and WireGuard never sent are its silent drops; none without both interfaces', () => {
  // In the lab: a 3 MB burst, 2326 L2TP packets into ruei-wg1, 1500 encrypted and sent.
  assert.equal(encryptionBacklogDrops({ links: [link('ruei-tun1', 2326), link('ruei-wg1', 1500)] }), 826);
  assert.equal(encryptionBacklogDrops({ links: [link('ruei-tun1', 2284), link('ruei-wg1', 2284)] }), 0);
  assert.equal(encryptionBacklogDrops({ links: [link('ruei-tun1', 10), link('ruei-wg1', 14)] }), 0, 'WireGuard\'s own keepalives: never a false alarm');
  assert.equal(encryptionBacklogDrops({ links: [link('ruei-tun1', 2326)] }), 0, 'not encrypted: nothing to compare');
});
