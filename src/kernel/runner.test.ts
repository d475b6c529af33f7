import { test } from 'node:test';
import assert from 'node:assert/strict';
import { systemRunner } from './runner.js';
import { ip, tc } from '../plan/operation.js';
import { formatArgv } from './exec.js';

test('dry-run prints every change as "[#] command" and runs nothing', async () => {
  const lines: string[] = [];
  const runner = systemRunner({ dryRun: true, echo: (line) => lines.push(line) });
  const count = await runner.apply([
    ip(['link', 'add', 'ruei-mtun', 'type', 'dummy']),
    tc(['qdisc', 'add', 'dev', 'ruei-mtun', 'clsact']),
  ]);
  assert.equal(count, 2);
  assert.deepEqual(lines, ['[#] ip link add ruei-mtun type dummy', '[#] tc qdisc add dev ruei-mtun clsact']);
});

test('formatArgv quotes only what a shell would need quoted', () => {
  assert.equal(formatArgv(['tc', 'filter', 'add', 'dev', 'ens3', 'protocol', 'ip', 'u32', 'match', 'ip', 'dport', '80', '0xffff']), 'tc filter add dev ens3 protocol ip u32 match ip dport 80 0xffff');
  assert.equal(formatArgv(['echo', 'a b', "it's"]), `echo 'a b' 'it'\\''s'`);
});
