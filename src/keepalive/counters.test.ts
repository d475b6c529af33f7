import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSenderCounters } from './counters.js';
import { decodeKeepalive, encodeKeepalive } from './frame.js';
import type { Hook } from '../kernel/tc.js';

/** A flower filter as `tc -s -j filter show` prints it: a head entry without options, then the filter with its action. */
function filterJson(pref: number, action: object, packets: number, drops: number, extra: object = {}, police?: number): object[] {
  const stats = { bytes: packets * 100, packets, drops, overlimits: 0, requeues: 0, backlog: 0, qlen: 0 };
  const budget = police === undefined ? [] : [{ order: 1, kind: 'police', index: police, ref: 2, bind: 1, installed: 120, last_used: 1, stats }];
  return [
    { protocol: 'ip', pref, kind: 'flower', chain: 0, ...extra },
    {
      protocol: 'ip', pref, kind: 'flower', chain: 0, ...extra,
      options: {
        handle: 1, keys: { eth_type: 'ipv4', ip_proto: 'tcp', dst_port: 80 }, not_in_hw: true,
        actions: [...budget, { order: budget.length + 1, ...action, index: 1, ref: 1, bind: 1, installed: 120, last_used: 1, stats }],
      },
    },
  ];
}
const mirror = (toDev: string) => ({ kind: 'mirred', mirred_action: 'mirror', direction: 'egress', to_dev: toDev, control_action: { type: 'continue' } });
const pass = { kind: 'gact', control_action: { type: 'pass' } };

// ens3: our mirrors at 46101/46102 (both hooks) are summed; the guard (46100, copies nothing), a foreign mirror into
// ruei-veth1in at pref 20, a foreign filter inside our range mirroring elsewhere, and one beyond MAX_PREF are not.
const TC: Record<Hook, string> = {
  ingress: JSON.stringify([
    ...filterJson(46100, pass, 5000, 0),
    ...filterJson(46101, mirror('ruei-veth1in'), 1000, 2),
    ...filterJson(20, mirror('ruei-veth1in'), 7777, 77),
    ...filterJson(46500, mirror('eth9'), 3333, 33),
  ]),
  egress: JSON.stringify([
    ...filterJson(46102, mirror('ruei-veth1in'), 900, 1, {}, 46100), // bound to the budget's police action
    ...filterJson(47000, mirror('ruei-veth1in'), 4444, 44),
  ]),
};

const SYSFS: Record<string, Record<string, number>> = {
  'ruei-veth1in': { tx_errors: 1, tx_dropped: 10, tx_packets: 555, rx_errors: 900 },
  'ruei-veth1out': { rx_errors: 2, rx_dropped: 20, tx_errors: 900 },
  'ruei-br1': { tx_errors: 3, tx_dropped: 30, rx_dropped: 900 },
  'ruei-tun1': { tx_packets: 1850, tx_bytes: 2_470_000, tx_errors: 4, tx_dropped: 40, rx_packets: 900 },
  ens3: { tx_errors: 900, tx_dropped: 900 },
};

async function fakeSysfs(t: TestContext, tree: Record<string, Record<string, number | string>>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'uxt-counters-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  for (const [dev, files] of Object.entries(tree)) {
    await mkdir(join(root, dev, 'statistics'), { recursive: true });
    // sysfs ends each value with a newline.
    for (const [name, value] of Object.entries(files)) await writeFile(join(root, dev, 'statistics', name), `${value}\n`);
  }
  return root;
}

test('the counters sum our mirror filters on both hooks and read the chain from sysfs', async (t) => {
  const sysfsRoot = await fakeSysfs(t, SYSFS);
  const asked: string[] = [];
  const tcFilters = async (dev: string, hook: Hook) => {
    asked.push(`${dev} ${hook}`);
    return TC[hook];
  };
  const policeActions = async () => JSON.stringify([{ 'total acts': 2 }, { actions: [{ order: 0, kind: 'police', index: 46100, cookie: '7578742d620000000000bebc200', stats: { packets: 900, overlimits: 40 } }, { order: 1, kind: 'police', index: 7, stats: { packets: 5, overlimits: 5 } }] }]);
  const counters = await readSenderCounters('ens3', { sysfsRoot, tcFilters, policeActions });
  assert.deepEqual(asked.sort(), ['ens3 egress', 'ens3 ingress']);
  assert.deepEqual(counters, {
    mirrored: 1900,
    mirrorDrops: 3,
    sent: 1850,
    sentBytes: 2_470_000,
    errors: 1 + 2 + 3 + 4,
    drops: 10 + 30 + 40, // ruei-veth1out's 20 are the same frames as ruei-veth1in's tx drops
    budgetShed: 40, // our police action's overlimits; index 7 (no cookie) is someone else's
    chain: {
      'ruei-veth1in': { txErrors: 1, txDropped: 10 },
      'ruei-veth1out': { rxErrors: 2, rxDropped: 20 },
      'ruei-br1': { txErrors: 3, txDropped: 30 },
      'ruei-tun1': { txPackets: 1850, txBytes: 2_470_000, txErrors: 4, txDropped: 40 },
    },
  });
  // What the reader returns is what a v2 frame carries, unchanged.
  const frame = encodeKeepalive({ tunnelId: 1, host: 'web1', seq: 1, time: 't', interval: 20, local: '10.10.10.11', counters });
  assert.deepEqual(decodeKeepalive(frame)?.counters, counters);
});

test('no filters of ours (empty tc output) count as 0 mirrored, and without a budget no police action is listed', async (t) => {
  const sysfsRoot = await fakeSysfs(t, SYSFS);
  const policeActions = async () => assert.fail('no mirror filter binds a police action: nothing to list');
  const counters = await readSenderCounters('ens3', { sysfsRoot, tcFilters: async () => '', policeActions });
  assert.equal(counters.budgetShed, 0);
  assert.equal(counters.mirrored, 0);
  assert.equal(counters.mirrorDrops, 0);
  assert.equal(counters.sent, 1850);
});

test('a missing interface, an unreadable value or a failing tc rejects, naming what failed', async (t) => {
  const tcFilters = async (_dev: string, hook: Hook) => TC[hook];
  const { 'ruei-tun1': _gone, ...stopped } = SYSFS;
  await assert.rejects(readSenderCounters('ens3', { sysfsRoot: await fakeSysfs(t, stopped), tcFilters }), /ruei-tun1\/statistics\/tx_(errors|packets)/);
  const garbled = { ...SYSFS, 'ruei-br1': { tx_errors: 'x', tx_dropped: 30 } };
  await assert.rejects(readSenderCounters('ens3', { sysfsRoot: await fakeSysfs(t, garbled), tcFilters }), /ruei-br1\/statistics\/tx_errors: "x" is not a counter/);
  const huge = { ...SYSFS, 'ruei-tun1': { ...SYSFS['ruei-tun1']!, tx_bytes: '18446744073709551615' } };
  await assert.rejects(readSenderCounters('ens3', { sysfsRoot: await fakeSysfs(t, huge), tcFilters }), /tx_bytes: "18446744073709551615" is not a counter/);
  const sysfsRoot = await fakeSysfs(t, SYSFS);
  await assert.rejects(readSenderCounters('ens3', { sysfsRoot, tcFilters: async () => { throw new Error('command failed (exit 1): tc -s -j filter show dev ens3 ingress'); } }), /tc -s -j filter show/);
  await assert.rejects(readSenderCounters('ens3', { sysfsRoot, tcFilters: async () => '[{"pref":' }), SyntaxError);
});
