// npm test's lanes (test/lanes.ts): every file runs exactly once, the work is balanced, the lane count follows the
// machine and UX_TUNNEL_LANES.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { kernelFileSeconds, laneCount, laneCpus, LAB_VM_BYTES, planLanes, systemdFileSeconds } from '../lanes.js';

const GB = 1024 ** 3;
const ROOT = resolve(import.meta.dirname, '..', '..', '..');

test('planLanes: longest first to the least loaded lane; every item once; empty lanes dropped', () => {
  const items = [['a', 900], ['b', 345], ['c', 300], ['d', 200], ['e', 100], ['f', 50]].map(([item, seconds]) => ({ item: item as string, seconds: seconds as number }));
  const lanes = planLanes(items, 2);
  assert.deepEqual(lanes, [['a', 'f'], ['b', 'c', 'd', 'e']]);
  assert.deepEqual(lanes.flat().sort(), ['a', 'b', 'c', 'd', 'e', 'f']);
  assert.deepEqual(planLanes(items.slice(0, 1), 3), [['a']], 'one item fills one lane; the others are not booted');
  assert.deepEqual(planLanes(items, 1), [['a', 'b', 'c', 'd', 'e', 'f']]);
  assert.deepEqual(planLanes([], 2), []);
});

test('kernelFileSeconds: known files by name (compiled or source), a new file gets the default', () => {
  // The same entry for the compiled file and its source, and the table's own figure rather than the default.
  assert.equal(kernelFileSeconds('/x/dist/test/kernel/ansible.test.js'), kernelFileSeconds('test/kernel/ansible.test.ts'));
  assert.ok(kernelFileSeconds('test/kernel/ansible.test.ts') > kernelFileSeconds('test/kernel/lab-l2tp.test.ts'));
  assert.notEqual(kernelFileSeconds('test/kernel/lab-l2tp.test.ts'), 120);
  assert.equal(kernelFileSeconds('dist/test/kernel/brand-new.test.js'), 120);
  // The systemd tier's files have a table of their own (its ansible test is not the kernel lab's).
  assert.ok(systemdFileSeconds('dist/test/systemd/ansible.test.js') > systemdFileSeconds('test/systemd/reboot.test.ts'));
  assert.notEqual(systemdFileSeconds('dist/test/systemd/lifecycle.test.js'), 120);
  assert.equal(systemdFileSeconds('dist/test/systemd/brand-new.test.js'), 120);
});

test('the tables cover every test file there is, so the lanes are balanced by measured figures', () => {
  const names = (dir: string) => readdirSync(join(ROOT, 'test', dir)).filter((f) => f.endsWith('.test.ts'));
  for (const file of names('kernel')) assert.notEqual(kernelFileSeconds(file), 120, `test/kernel/${file} has a measured figure in test/lanes.ts`);
  for (const file of names('systemd')) assert.notEqual(systemdFileSeconds(file), 120, `test/systemd/${file} has a measured figure in test/lanes.ts`);
});

test('laneCount: one per core within memory, at most 4; UX_TUNNEL_LANES overrides; a bad value is an error', () => {
  assert.equal(laneCount({}, 2, 24 * GB), 2);
  assert.equal(laneCount({}, 16, 64 * GB), 4);
  assert.equal(laneCount({}, 8, 2 * GB + 2 * LAB_VM_BYTES), 2, 'memory for two VMs and the host');
  assert.equal(laneCount({}, 8, 4 * GB), 1, 'never fewer than one');
  assert.equal(laneCount({ UX_TUNNEL_LANES: '1' }, 2, 24 * GB), 1);
  assert.equal(laneCount({ UX_TUNNEL_LANES: '' }, 2, 24 * GB), 2);
  assert.throws(() => laneCount({ UX_TUNNEL_LANES: 'two' }, 2, 24 * GB), /UX_TUNNEL_LANES=two: must be a whole number/);
  assert.throws(() => laneCount({ UX_TUNNEL_LANES: '0' }, 2, 24 * GB), /UX_TUNNEL_LANES=0/);
});

test('laneCpus: the cores shared out among the lanes, never more vCPUs in all than cores, at least one', () => {
  assert.equal(laneCpus(2, 2), 1);
  assert.equal(laneCpus(1, 2), 2, 'one lane (UX_TUNNEL_LANES=1) gets every core');
  assert.equal(laneCpus(4, 8), 2);
  assert.equal(laneCpus(3, 8), 2);
  assert.equal(laneCpus(4, 2), 1, 'more lanes than cores (forced): still one vCPU each');
});
