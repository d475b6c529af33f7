// 1000 tunnels: start builds them all (status shows 1000 present), a reload that adds one runs only that tunnel's
// operations (counted from --dry-run and from the apply), and stop removes all of them.
//
//   collector 10.10.10.10 (default route into a dummy: the 1000 remotes 10.20.x.y exist only in tunnels.conf)
//     ruei-mtun-00000 .. ruei-mtun-00999 --tc mirred (one shared block, one filter)--> ruei-mtun
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { requireL2tp } from './lib/netns.js';
import { COLLECTOR_IP, createCollectorLab, kernelSnapshot } from './lib/receive-lab.js';
import { scratchDir } from './lib/scratch.js';

const lines = (count: number) => Array.from({ length: count }, (_, i) => `${COLLECTOR_IP} 10.20.${Math.floor(i / 250)}.${(i % 250) + 1} - -`);

test('1000 tunnels start; a reload adding one runs only its operations; stop removes everything', async (t) => {
  await requireL2tp();
  const dir = await scratchDir(t, 'uxt-rx-scale-');
  const lab = await createCollectorLab(t, dir, 1);
  const { collector } = lab;
  const pristine = await kernelSnapshot(collector);
  const thousand = lines(1000);
  await writeFile(lab.config, `${thousand.join('\n')}\n`);

  const start = await lab.cliOk('start');
  // 6 per tunnel, 3 for ruei-mtun, 1 for the block's filter, 6 for the fragment counter's nftables table (3 rules:
  // L2TP over IP, over UDP, WireGuard), 16 for source pinning's (6 sets, those not empty filled with one command each
  // whatever the number of tunnels, 5 rules: the fast path and 4 refusing).
  assert.match(start.stdout, /1000 added .*; 6026 command\(s\) run/);
  const status = JSON.parse((await lab.cliOk('status', '--json')).stdout) as { configured: number; present: number; tunnels: Array<{ interface: string; ifindex: number }> };
  assert.equal(status.configured, 1000);
  assert.equal(status.present, 1000);
  assert.equal(status.tunnels[999]!.interface, 'ruei-mtun-00999');
  const sessions = JSON.parse((await collector.run('ip', '-j', 'l2tp', 'show', 'session')).stdout) as unknown[];
  assert.equal(sessions.length, 1000);
  const filters = JSON.parse((await collector.run('tc', '-j', 'filter', 'show', 'block', '1381320009')).stdout) as Array<{ options?: unknown }>;
  assert.equal(filters.filter((f) => f.options).length, 1, 'one filter serves all 1000 tunnels');

  // One more tunnel: the dry run shows exactly its eight commands (six, its sender allowed, then put on source
  // pinning's fast path), and the apply runs exactly those.
  const extra = `${COLLECTOR_IP} 10.30.0.1 - -`;
  await writeFile(lab.config, `${[...thousand, extra].join('\n')}\n`);
  const dry = await lab.cliOk('reload', '--dry-run');
  const commands = dry.stdout.split('\n').filter((l) => l.startsWith('[#] '));
  assert.equal(commands.length, 8, commands.join('\n'));
  for (const command of commands) assert.ok(/ruei-mtun-01000|169738241|10\.30\.0\.1 \./.test(command), `only the new tunnel's commands: ${command}`);
  const reload = await lab.cliOk('reload');
  assert.match(reload.stdout, /1 added \(ruei-mtun-01000\), 0 removed, 0 replaced, 0 repaired, 1000 unchanged; 8 command\(s\) run/);
  const after = JSON.parse((await lab.cliOk('status', '--json')).stdout) as typeof status;
  assert.equal(after.present, 1001);
  assert.deepEqual(after.tunnels.slice(0, 1000).map((r) => r.ifindex), status.tunnels.map((r) => r.ifindex), 'no existing tunnel was recreated');

  await lab.cliOk('stop');
  assert.equal(await kernelSnapshot(collector), pristine);
});
