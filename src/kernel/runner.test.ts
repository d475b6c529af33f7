import { test } from 'node:test';
import assert from 'node:assert/strict';
import { systemRunner } from './runner.js';
import { ip, tc } from '../plan/operation.js';
import { CommandError, formatArgv } from './exec.js';

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

test('a write is shown as the shell line; a retried operation runs again until it succeeds, then the rest', async (t) => {
  const { mkdtemp, readFile, rm, writeFile } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { write, op } = await import('../plan/operation.js');
  const dir = await mkdtemp(join(tmpdir(), 'uxt-runner-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const lines: string[] = [];
  const runner = systemRunner({ echo: (line) => lines.push(line) });
  // "sh -c" stands in for a kernel that says "not yet" twice: a counter file makes the third attempt succeed.
  const counter = join(dir, 'n');
  await writeFile(counter, '0');
  const flaky = { ...op('ip', ['-c', `n=$(cat ${counter}); echo $((n+1)) > ${counter}; [ "$n" -ge 2 ] || { echo busy >&2; exit 1; }`]), tool: 'sh' as never, retry: { on: /busy/, attempts: 5, pauseMs: 10 } };
  await runner.apply([flaky, write(join(dir, 'rps_cpus'), '2')]);
  assert.equal((await readFile(counter, 'utf8')).trim(), '3', 'ran three times');
  assert.equal(await readFile(join(dir, 'rps_cpus'), 'utf8'), '2\n');
  assert.equal(lines[1], `[#] echo 2 > ${join(dir, 'rps_cpus')}`);
});

test('formatArgv never shows an L2TPv3 cookie: [#] lines, --dry-run and errors print <hidden> in its place', () => {
  const argv = ['ip', 'l2tp', 'add', 'session', 'name', 'ruei-tun1', 'tunnel_id', '7', 'session_id', '7', 'peer_session_id', '7', 'cookie', '0123456789abcdef', 'peer_cookie', '0123456789abcdef'];
  assert.equal(formatArgv(argv), "ip l2tp add session name ruei-tun1 tunnel_id 7 session_id 7 peer_session_id 7 cookie '<hidden>' peer_cookie '<hidden>'");
  assert.ok(!new CommandError(argv, 2, 'RTNETLINK answers: File exists').message.includes('0123456789abcdef'));
});
