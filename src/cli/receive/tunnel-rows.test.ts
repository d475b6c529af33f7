import { test } from 'node:test';
import assert from 'node:assert/strict';
import { aggregationRow, tunnelRows } from './tunnel-rows.js';
import { planReceive } from '../../plan/receive.js';
import type { ReceiveTunnel } from '../../config/tunnels.js';
import { applyFake, emptyKernel, stateOf } from '../../../test/fixtures/fake-receive-kernel.js';

const a: ReceiveTunnel = { line: 2, receivingIp: '10.10.10.10', transmitIp: '10.10.10.11', tunnelId: 168430091, explicitId: false, cookie: null, wireguard: null, udpPort: null };
const b: ReceiveTunnel = { line: 3, receivingIp: '10.10.10.10', transmitIp: '10.10.10.12', tunnelId: 7, explicitId: true, cookie: null, wireguard: null, udpPort: null };

function running(tunnels: ReceiveTunnel[]) {
  const k = emptyKernel();
  applyFake(k, planReceive(tunnels, stateOf(k)).operations);
  return k;
}

test('a healthy collector: every configured tunnel present and OK', () => {
  const k = running([a, b]);
  const rows = tunnelRows([a, b], stateOf(k));
  assert.deepEqual(rows.map((r) => [r.interface, r.status, r.present]), [['ruei-mtun-00000', 'OK', true], ['ruei-mtun-00001', 'OK', true]]);
  assert.equal(aggregationRow(stateOf(k)).status, 'OK');
});

test('FAIL for drops, a configured tunnel without kernel objects, and a kernel tunnel no longer configured', () => {
  const k = running([a, b]);
  k.links = k.links.map((l) => (l.name === 'ruei-mtun-00000' ? { ...l, rx: { packets: 10, bytes: 1000, errors: 0, dropped: 2 } } : l));
  const c: ReceiveTunnel = { ...b, line: 4, transmitIp: '10.10.10.13', tunnelId: 9 };
  const rows = tunnelRows([a, c], stateOf(k));
  assert.deepEqual(rows.map((r) => [r.line, r.interface, r.status]), [[2, 'ruei-mtun-00000', 'FAIL'], [4, null, 'FAIL'], [null, 'ruei-mtun-00001', 'FAIL']]);
  assert.match(rows[0]!.problems.join(), /2 frames dropped/);
  assert.match(rows[1]!.problems.join(), /configured but not in the kernel/);
  assert.match(rows[2]!.problems.join(), /not in tunnels.conf/);
});

test('a stopped collector: ruei-mtun missing is FAIL', () => {
  assert.match(aggregationRow(stateOf(emptyKernel())).problems.join(), /ruei-mtun does not exist/);
});

