// Diagnosis, in the lab: where `ux-tunnel-receive start|stop` of N tunnels spends its time (strace of every process it starts).
//
//   lab/run -- node dist/bench/trace-receive-lab.js [N]      (needs strace; not part of npm run bench)
//
// Prints a timeline: Node's own start-up, then each child process (ip, tc, modprobe) with its duration, then the
// time between the last child and exit. strace slows every process down; read the shares, not the absolute times.
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { exec, execOrThrow } from '../src/kernel/exec.js';
import { ROOT } from './lib/measure.js';

const n = Number(process.argv[2] ?? '1000');
const NS = `uxb-trace-${process.pid}`;
const dir = mkdtempSync(join(tmpdir(), 'uxb-trace-'));
const conf = join(dir, 'tunnels.conf');
writeFileSync(conf, Array.from({ length: n }, (_, i) => `10.10.10.10 10.20.${Math.floor(i / 250)}.${(i % 250) + 1} - -\n`).join(''));

interface Proc { pid: number; argv: string; start: number; end: number }

function timeline(file: string): string {
  const procs = new Map<number, Proc>();
  let first = Infinity;
  let last = 0;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^(\d+) +(\d+\.\d+) (.*)$/.exec(line);
    if (!m) continue;
    const pid = Number(m[1]);
    const t = Number(m[2]);
    first = Math.min(first, t);
    last = Math.max(last, t);
    const exe = /^execve\("[^"]*", \[(.*?)\]/.exec(m[3]!);
    if (exe && / = 0$/.test(m[3]!)) procs.set(pid, { pid, argv: exe[1]!.replace(/"/g, '').replace(/, /g, ' ').slice(0, 90), start: t, end: t });
    if (/^\+\+\+ (exited|killed)/.test(m[3]!)) {
      const p = procs.get(pid);
      if (p) p.end = t;
    }
  }
  const list = [...procs.values()].sort((a, b) => a.start - b.start);
  const main = list[0]!;
  const lines = [`total ${(last - first).toFixed(2)} s`];
  let cursor = main.start;
  for (const p of list.slice(1)) {
    lines.push(`  +${(p.start - main.start).toFixed(2)} s (gap ${(p.start - cursor).toFixed(2)} s)  ${(p.end - p.start).toFixed(2)} s  ${p.argv}`);
    cursor = Math.max(cursor, p.end);
  }
  lines.push(`  last child ended -> exit: ${(main.end - cursor).toFixed(2)} s`);
  return lines.join('\n');
}

async function traced(label: string, ...args: string[]): Promise<void> {
  const file = join(dir, `${label}.strace`);
  const result = await exec(['ip', 'netns', 'exec', NS, 'strace', '-f', '--seccomp-bpf', '-ttt', '-q', '-e', 'trace=execve', '-o', file,
    process.execPath, resolve(ROOT, 'bin', 'ux-tunnel-receive'), '--config', conf, ...args]);
  process.stdout.write(`== ${label} (exit ${result.code}): ${result.stdout.trim().split('\n').at(-1)!.replace(/\(ruei-mtun-[^)]*\)/g, '(...)')}\n${timeline(file)}\n`);
}

await execOrThrow(['ip', 'netns', 'add', NS]);
try {
  await execOrThrow(['ip', '-n', NS, '-batch', '-'], { input: 'link set lo up\nlink add up0 type dummy\nlink set up0 up\naddr add 10.10.10.10/32 dev up0\nroute add default dev up0\n' });
  await execOrThrow(['ip', 'netns', 'exec', NS, process.execPath, resolve(ROOT, 'bin', 'ux-tunnel-receive'), '--config', conf, 'status']); // warm the page cache
  await traced(`start ${n}`, 'start');
  writeFileSync(conf, `${readFileSync(conf, 'utf8')}10.10.10.10 10.30.0.1 - -\n`);
  await traced(`reload +1 to ${n}`, 'reload');
  await traced(`stop ${n + 1}`, 'stop');
} finally {
  await exec(['ip', 'netns', 'del', NS]);
}
