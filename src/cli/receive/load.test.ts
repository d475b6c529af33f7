// The collector's load: Mbit/s per session interface and in total from two counter readings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadBetween } from './load.js';

test('load: bytes received between two readings as Mbit/s, per tunnel and in total; interfaces made, removed or reset meanwhile left out', () => {
  const before = new Map([['ruei-mtun-00000', 1_000_000], ['ruei-mtun-00001', 0], ['ruei-mtun-00002', 5_000], ['ruei-mtun-00004', 9_000]]);
  const after = new Map([['ruei-mtun-00000', 13_500_000], ['ruei-mtun-00001', 250_000], ['ruei-mtun-00003', 7_000], ['ruei-mtun-00004', 100]]);
  const load = loadBetween(before, after, 2000);
  assert.deepEqual(load.perInterface, { 'ruei-mtun-00000': 50, 'ruei-mtun-00001': 1 });
  assert.equal(load.totalMbps, 51);
  assert.equal(load.tunnels, 2);
  assert.equal(load.seconds, 2);
});

test('load since the monitor\'s readings: the newest at least a second old; the older one when both are newer; none without readings', async () => {
  const { loadSinceReading } = await import('./load.js');
  const now = Date.parse('2026-12-01T10:00:10Z');
  const current = new Map([['ruei-mtun-00000', 2_000_000]]);
  const readings = [{ at: '2026-12-01T10:00:05Z', bytes: { 'ruei-mtun-00000': 0 } }, { at: '2026-12-01T10:00:09.500Z', bytes: { 'ruei-mtun-00000': 1_000_000 } }];
  // 09.5 is only 0.5 s old: the reading at 05 (5 s) is used: 2 MB in 5 s = 3.2 Mbit/s.
  assert.equal(loadSinceReading(readings, current, now)!.totalMbps, 3.2);
  assert.equal(loadSinceReading([readings[0]!, { at: '2026-12-01T10:00:08Z', bytes: { 'ruei-mtun-00000': 1_000_000 } }], current, now)!.totalMbps, 4, '1 MB in the last 2 s');
  assert.equal(loadSinceReading([], current, now), null);
});
