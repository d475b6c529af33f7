// Section 1, on this host: wall time of CLI commands that need no L2TP, process start to exit, against `node -e 0`.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { measure, requireSuccess, ROOT } from './lib/measure.js';
import { check, spreadOf, type Row } from './lib/results.js';
import { summarize, type Summary } from './lib/stats.js';

const SECTION = 'cli latency (host)';
const TARGET = 2.0;

export async function benchCliLatency(rounds: number): Promise<Row[]> {
  const dir = mkdtempSync(join(tmpdir(), 'ux-bench-cli-'));
  try {
    const conf = join(dir, 'tunnels.conf');
    writeFileSync(conf, '10.10.10.10 10.10.10.11 - -\n10.10.10.10 10.10.10.12 - -\n');
    const receive = resolve(ROOT, 'bin', 'ux-tunnel-receive');
    const transmit = resolve(ROOT, 'bin', 'ux-tunnel-transmit');
    // The launcher's shebang is "#!/usr/bin/env node": run it as operators do, by its path.
    const commands: Array<{ name: string; argv: string[] }> = [
      { name: 'node -e 0 (floor)', argv: [process.execPath, '-e', '0'] },
      { name: 'ux-tunnel-receive --help', argv: [receive, '--help'] },
      { name: 'ux-tunnel-receive status --dry-run', argv: [receive, '--config', conf, 'status', '--dry-run'] },
      { name: 'ux-tunnel-receive config list', argv: [receive, '--config', conf, 'config', 'list'] },
      { name: 'ux-tunnel-transmit --help', argv: [transmit, '--help'] },
    ];
    const walls = commands.map(() => [] as number[]);
    const cpu = commands.map(() => [] as number[]);
    // Round-robin, one run of each per round: drift in the machine's load spreads over all commands alike.
    for (let round = 0; round < rounds + 1; round++) {
      for (const [i, c] of commands.entries()) {
        const runs = await measure(c.argv, { stderr: join(dir, 'stderr') });
        requireSuccess(runs, c.name);
        if (round === 0) continue; // round 0 warms the page cache
        walls[i]!.push(runs[0]!.wall * 1000);
        cpu[i]!.push((runs[0]!.user + runs[0]!.sys) * 1000);
      }
    }
    const floor = summarize(walls[0]!);
    const cpuFloor = summarize(cpu[0]!);
    const rows: Row[] = [row(commands[0]!.name, floor, cpuFloor)];
    for (let i = 1; i < commands.length; i++) {
      const s = summarize(walls[i]!);
      const c = summarize(cpu[i]!);
      const r = s.median / floor.median;
      rows.push(row(commands[i]!.name, s, c));
      rows.push({ section: SECTION, name: `${commands[i]!.name} / node -e 0`, value: r, unit: 'x', target: `<= ${TARGET.toFixed(1)}x`, verdict: check(r, '<=', TARGET),
        note: `CPU time (user+sys) ratio ${(c.median / cpuFloor.median).toFixed(2)}x` });
    }
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function row(name: string, s: Summary, cpu: Summary): Row {
  return { section: SECTION, name, value: s.median, unit: 'ms', spread: spreadOf(s), verdict: 'n/a', note: `CPU time ${cpu.median.toFixed(0)} ms` };
}
