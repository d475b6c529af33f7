// Runs in the kernel lab (as root): times ux-tunnel-receive start/reload/stop against the same operations in raw ip/tc -batch.
//
//   node dist/bench/receive-lab.js OUT.json [--repeat N] [--sizes 1,100,1000]
//
//   ns uxb-collector: up0 (dummy) 10.10.10.10/32, default route dev up0 (the remotes 10.20.x.y exist only in
//   tunnels.conf; nothing leaves the namespace); ruei-mtun-NNNNN --tc mirred--> ruei-mtun
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { exec, execOrThrow } from '../src/kernel/exec.js';
import { argFlag, measure, requireSuccess, ROOT } from './lib/measure.js';

const NS = `uxb-collector-${process.pid}`;
const COLLECTOR_IP = '10.10.10.10';
const CLI = resolve(ROOT, 'bin', 'ux-tunnel-receive');

const out = process.argv[2];
if (!out) throw new Error('usage: receive-lab.js OUT.json [--repeat N] [--sizes 1,100,1000]');
const repeat = Number(argFlag('repeat', '3'));
const sizes = argFlag('sizes', '1,100,1000').split(',').map(Number);
const work = resolve(out, '..');

const tunnelLines = (n: number) => Array.from({ length: n }, (_, i) => `${COLLECTOR_IP} 10.20.${Math.floor(i / 250)}.${(i % 250) + 1} - -`);
const inNs = (...argv: string[]) => ['ip', 'netns', 'exec', NS, ...argv];
const cli = (conf: string, ...args: string[]) => inNs(process.execPath, CLI, '--config', conf, ...args);

/** The operations of a start, from --dry-run's "[#] tool args" lines, as consecutive per-tool batch files. */
async function rawBatches(conf: string, tag: string): Promise<{ script: string; operations: number }> {
  const dry = await execOrThrow(cli(conf, 'start', '--dry-run'));
  const ops = dry.stdout.split('\n').filter((l) => l.startsWith('[#] ')).map((l) => l.slice(4).split(' '));
  if (ops.some((words) => words.some((w) => /['"\\]/.test(w)))) throw new Error('a dry-run command needs shell quoting; the bench cannot replay it');
  const groups: Array<{ tool: string; lines: string[] }> = [];
  for (const [tool, ...args] of ops) {
    if (tool !== 'ip' && tool !== 'tc') throw new Error(`start --dry-run printed a ${tool} command; only ip and tc are replayed`);
    const last = groups[groups.length - 1];
    if (last?.tool === tool) last.lines.push(args.join(' '));
    else groups.push({ tool, lines: [args.join(' ')] });
  }
  const steps = groups.map((g, i) => {
    const file = join(work, `${tag}-${i}.${g.tool}`);
    writeFileSync(file, `${g.lines.join('\n')}\n`);
    return `${g.tool} -batch ${file}`;
  });
  return { script: steps.join(' && '), operations: ops.length };
}

async function countTunnels(): Promise<number> {
  const { stdout } = await execOrThrow(inNs('ip', '-j', 'l2tp', 'show', 'tunnel'));
  return stdout.trim() === '' ? 0 : (JSON.parse(stdout) as unknown[]).length;
}

async function expectTunnels(n: number, after: string): Promise<void> {
  const found = await countTunnels();
  if (found !== n) throw new Error(`after ${after}: ${found} L2TP tunnels in the namespace, expected ${n}`);
}

async function main(): Promise<void> {
  await execOrThrow(['ip', 'netns', 'add', NS]);
  try {
    await execOrThrow(['ip', '-n', NS, '-batch', '-'], {
      input: ['link set lo up', 'link add up0 type dummy', 'link set up0 up', `addr add ${COLLECTOR_IP}/32 dev up0`, 'route add default dev up0'].join('\n') + '\n',
    });
    const results: Record<string, unknown> = { repeat, sizes };
    const stderr = join(work, 'stderr.log');
    results.nodeFloor = (await measure(inNs(process.execPath, '-e', '0'), { repeat })).map((r) => r.wall);
    // Warm-up: loads the kernel modules (start modprobes them) and the page cache, outside any timing.
    const warm = join(work, 'warm.conf');
    writeFileSync(warm, `${tunnelLines(1).join('\n')}\n`);
    await execOrThrow(cli(warm, 'start'));
    await execOrThrow(cli(warm, 'stop'));
    for (const n of sizes) {
      const conf = join(work, `tunnels-${n}.conf`);
      writeFileSync(conf, `${tunnelLines(n).join('\n')}\n`);
      const raw = await rawBatches(conf, `raw-${n}`);
      const times = { start: [] as number[], raw: [] as number[], stop: [] as number[], operations: raw.operations };
      for (let r = 0; r < repeat; r++) {
        // Alternate which goes first, so a drift in the machine's speed does not favour one side.
        const order = r % 2 === 0 ? ['start', 'raw'] : ['raw', 'start'];
        for (const which of order) {
          if (which === 'start') {
            const run = await measure(cli(conf, 'start'), { stderr });
            requireSuccess(run, `start of ${n}`);
            times.start.push(run[0]!.wall);
            await expectTunnels(n, `start of ${n}`);
          } else {
            const run = await measure(inNs('sh', '-c', raw.script), { stderr });
            requireSuccess(run, `raw ip/tc -batch of ${n}`);
            times.raw.push(run[0]!.wall);
            await expectTunnels(n, `raw -batch of ${n}`);
          }
          const stop = await measure(cli(conf, 'stop'), { stderr });
          requireSuccess(stop, `stop of ${n}`);
          if (which === 'start') times.stop.push(stop[0]!.wall);
          await expectTunnels(0, `stop of ${n}`);
        }
        process.stderr.write(`[bench-lab] ${n} tunnels, round ${r + 1}: start ${times.start.at(-1)!.toFixed(2)} s, raw ${times.raw.at(-1)!.toFixed(2)} s, stop ${times.stop.at(-1)!.toFixed(2)} s\n`);
      }
      results[`n${n}`] = times;
    }
    results.reload = await benchReload();
    writeFileSync(out!, `${JSON.stringify(results, null, 2)}\n`);
  } finally {
    await exec(['ip', 'netns', 'del', NS]);
  }
}

/** Start 1000, add one line, time reload and count the operations it ran (its summary line and its "[#]" log). */
async function benchReload(): Promise<Record<string, unknown>> {
  const base = tunnelLines(1000);
  const conf = join(work, 'reload.conf');
  const walls: number[] = [];
  const operations: number[] = [];
  const logged: number[] = [];
  for (let r = 0; r < repeat; r++) {
    writeFileSync(conf, `${base.join('\n')}\n`);
    await execOrThrow(cli(conf, 'start'));
    writeFileSync(conf, `${[...base, `${COLLECTOR_IP} 10.30.0.1 - -`].join('\n')}\n`);
    const outFile = join(work, 'reload.out');
    const errFile = join(work, `reload-${r}.err`);
    const run = await measure(cli(conf, 'reload'), { stdout: outFile, stderr: errFile });
    requireSuccess(run, 'reload adding one tunnel to 1000');
    walls.push(run[0]!.wall);
    const summary = /; (\d+) command\(s\) run/.exec(readFileSync(outFile, 'utf8'));
    operations.push(summary ? Number(summary[1]) : NaN);
    logged.push(readFileSync(errFile, 'utf8').split('\n').filter((l) => l.startsWith('[#] ')).length);
    await expectTunnels(1001, 'reload');
    await execOrThrow(cli(conf, 'stop'));
    process.stderr.write(`[bench-lab] reload +1 to 1000, round ${r + 1}: ${run[0]!.wall.toFixed(2)} s, ${operations.at(-1)} operations\n`);
  }
  return { walls, operations, logged };
}

await main();
