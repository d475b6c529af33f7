import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isOurPolice, parsePoliceActions, policeArgs, policeCookie } from './tc-police.js';
import { parseFilters } from './tc.js';

// What tc 6.1 prints for `tc -j -s actions ls action police` (one byte-rate action of ours, one foreign).
const LIST = JSON.stringify([{ 'total acts': 2 }, { actions: [
  { order: 0, kind: 'police', index: 46100, control_action: { type: 'continue' }, stats: { bytes: 900, packets: 12, drops: 0, overlimits: 5 }, cookie: '7578742d6200000000007a1200' },
  { order: 1, kind: 'police', index: 3, pkts_rate: 100, stats: { packets: 1, overlimits: 0 } },
] }]);

test('police actions are read with their counters; ours are told by the cookie, which also encodes the rate', () => {
  const actions = parsePoliceActions(LIST);
  assert.deepEqual(actions, [{ index: 46100, cookie: '7578742d6200000000007a1200', packets: 12, overlimits: 5 }, { index: 3, cookie: null, packets: 1, overlimits: 0 }]);
  assert.deepEqual(actions.map(isOurPolice), [true, false]);
  assert.equal(policeCookie({ index: 46100, kind: 'bytes', rate: 8_000_000 }), '7578742d6200000000007a1200');
  assert.notEqual(policeCookie({ index: 46100, kind: 'bytes', rate: 9_000_000 }), policeCookie({ index: 46100, kind: 'bytes', rate: 8_000_000 }));
  assert.deepEqual(parsePoliceActions(''), []);
});

test('over the budget the action says continue (no mirror), within it pipe (on to mirred): tc names the exceed action first', () => {
  const args = policeArgs('add', { index: 46110, kind: 'packets', rate: 50_000 });
  assert.deepEqual(args.slice(args.indexOf('conform-exceed'), args.indexOf('conform-exceed') + 2), ['conform-exceed', 'continue/pipe']);
  assert.deepEqual(args.slice(4, 8), ['pkts_rate', '50000', 'pkts_burst', '500']);
});

test('a mirror filter with the budget: police indexes in order, and the counters of mirred (the frames copied)', () => {
  const json = JSON.stringify([{ protocol: 'ip', pref: 46101, kind: 'flower', chain: 0 }, { protocol: 'ip', pref: 46101, kind: 'flower', chain: 0, options: { handle: 1, keys: { ip_proto: 'tcp', dst_port: 80 }, actions: [
    { order: 1, kind: 'police', index: 46100, control_action: { type: 'continue' }, stats: { packets: 100, overlimits: 30 } },
    { order: 2, kind: 'police', index: 46110, control_action: { type: 'continue' }, stats: { packets: 70, overlimits: 0 } },
    { order: 3, kind: 'mirred', mirred_action: 'mirror', direction: 'egress', to_dev: 'ruei-veth1in', control_action: { type: 'continue' }, index: 1, stats: { packets: 70, drops: 0, overlimits: 2 } },
  ] } }]);
  const [filter] = parseFilters(json, 'ens3', 'ingress');
  assert.deepEqual([filter!.police, filter!.action, filter!.control, filter!.packets, filter!.drops], [[46100, 46110], 'mirred', 'continue', 70, 2]);
});
