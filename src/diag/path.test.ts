import { test } from 'node:test';
import assert from 'node:assert/strict';
import { judgePath, measurePathMtu, type PathFacts } from './path.js';
import { fakeRunner } from '../kernel/fake-runner.js';

const BASE: PathFacts = { nic: 'ens3', nicMtu: 1500, collector: '10.10.10.10', routeDev: 'ens3', routeMtu: 1500, pathMtu: 1500, overhead: 28, transport: 'L2TPv3/IP' };

test('a 1500-byte NIC on a 1500-byte path: frames are fragmented; lower the production packets by route MTU, not the NIC the tunnel leaves by', () => {
  const v = judgePath(BASE);
  assert.deepEqual([v.frameBytes, v.outerBytes, v.whole, v.wholeAtNicMtu], [1514, 1542, false, 1458]);
  assert.match(v.lines.join('\n'), /frames larger than 1472 bytes cross as IP fragments/);
  assert.match(v.lines.join('\n'), /a path MTU of at least 1542 .* the tunnel leaves by ens3 itself, .*route MTU of 1458 .*MSS clamping to 1418/);
});

test('a jumbo path: whole; a jumbo NIC on a jumbo path: Internet-sized frames cross whole; another NIC for the tunnel: its MTU can drop', () => {
  assert.equal(judgePath({ ...BASE, routeDev: 'ens4', routeMtu: 9000, pathMtu: 9000 }).whole, true);
  const jumbo = judgePath({ ...BASE, nicMtu: 9000, routeMtu: 9000, pathMtu: 9000 });
  assert.equal(jumbo.whole, false);
  assert.match(jumbo.lines.join('\n'), /frames of connections with a 1500-byte path \(clients on the Internet\) cross whole/);
  assert.match(judgePath({ ...BASE, routeDev: 'ens4' }).lines.join('\n'), /ip link set dev ens3 mtu 1458/);
});

test('no probe answered: unknown, with the route MTU as the bound', () => {
  const v = judgePath({ ...BASE, routeMtu: 9000, pathMtu: null });
  assert.equal(v.whole, null);
  assert.match(v.lines[1]!, /unknown \(no DF probe was answered/);
});

test('the path MTU: the wanted size first, then a binary search when it does not pass', async () => {
  const ping = (mtu: number) => `ping -n -q -M do -c 1 -W 1 -I 10.0.0.2 -s ${mtu - 28} 10.0.0.3`;
  const answers = (limit: number) => Object.fromEntries(Array.from({ length: 9001 - 576 }, (_, i) => i + 576).map((m) => [ping(m), { code: m <= limit ? 0 : 1 }]));
  assert.equal(await measurePathMtu(fakeRunner(answers(9000)), '10.0.0.2', '10.0.0.3', 9000, 1542), 9000);
  assert.equal(await measurePathMtu(fakeRunner(answers(1400)), '10.0.0.2', '10.0.0.3', 1500, 1542), 1400);
  assert.equal(await measurePathMtu(fakeRunner(answers(1500)), '10.0.0.2', '10.0.0.3', 1500, 1542), 1500);
  assert.equal(await measurePathMtu(fakeRunner({}), '10.0.0.2', '10.0.0.3', 1500, 1542), null);
});
