// Section 2, on this host: `diag traffic servers --read` and `diag monitor detect --read` against tcpdump -r, same filter.
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execOrThrow, exec } from '../src/kernel/exec.js';
import { measure, requireSuccess, ROOT, type Run } from './lib/measure.js';
import { check, spreadOf, type Row } from './lib/results.js';
import { summarize } from './lib/stats.js';
import { SERVERS, TUNNELS, writeServersCapture, writeTunnelsCapture } from './pcap-gen.js';

const SECTION = 'analysis (host)';
const RECEIVE = resolve(ROOT, 'bin', 'ux-tunnel-receive');

interface Case {
  readonly label: string;
  readonly write: (path: string, packets: number) => { packets: number; bytes: number };
  readonly command: (file: string, conf: string) => string[];
  /** Checks the command's JSON answer, so that a fast wrong answer never counts. */
  readonly verify: (json: Record<string, unknown>) => string | null;
}

const CASES: Case[] = [
  {
    label: 'diag traffic servers',
    write: writeServersCapture,
    command: (file) => [RECEIVE, 'diag', 'traffic', 'servers', '--read', file],
    verify: (j) => ((j.servers as unknown[]).length === SERVERS.length ? null : `found ${(j.servers as unknown[]).length} servers, expected ${SERVERS.length}`),
  },
  {
    label: 'diag monitor detect',
    write: writeTunnelsCapture,
    command: (file, conf) => [RECEIVE, '--config', conf, 'diag', 'monitor', 'detect', '--read', file],
    verify: (j) => ((j.tunnels as unknown[]).length === TUNNELS.length && j.ok === true ? null : `found ${(j.tunnels as unknown[]).length} tunnels (ok=${String(j.ok)}), expected ${TUNNELS.length}`),
  },
];

export async function benchAnalysis(sizes: { large: number; small: number }, repeat: number): Promise<Row[]> {
  const tcpdump = (await exec(['sh', '-c', 'command -v tcpdump || PATH=$PATH:/usr/sbin:/sbin command -v tcpdump'])).stdout.trim();
  if (!tcpdump) throw new Error('tcpdump is not installed (scripts/setup.sh installs it)');
  const dir = mkdtempSync(join(tmpdir(), 'ux-bench-pcap-'));
  const rows: Row[] = [];
  try {
    const conf = join(dir, 'tunnels.conf');
    writeFileSync(conf, TUNNELS.map((t) => `${t.dst} ${t.src} - -`).join('\n') + '\n');
    for (const c of CASES) {
      const rss: Record<string, number> = {};
      for (const [size, packets] of [['large', sizes.large], ['small', sizes.small]] as const) {
        const file = join(dir, `${c.label.replace(/ /g, '-')}-${packets}.pcap`);
        const t0 = Date.now();
        const written = c.write(file, packets);
        process.stderr.write(`[bench]   generated ${file}: ${written.packets} packets, ${(statSync(file).size / 1e6).toFixed(0)} MB in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
        const json = JSON.parse((await execOrThrow([...c.command(file, conf), '--json'])).stdout) as Record<string, unknown>;
        const wrong = c.verify(json);
        if (wrong) throw new Error(`${c.label} --read gave a wrong answer on ${file}: ${wrong}`);
        if (json.packets !== written.packets) throw new Error(`${c.label} read ${String(json.packets)} packets of ${written.packets}`);
        const filter = String(json.filter);
        const ours = c.command(file, conf);
        const dump = [tcpdump, '-n', '-r', file, filter];
        // -w /dev/null: tcpdump filtering without printing, a floor for reference (not the target's comparison).
        const dumpQuiet = [tcpdump, '-n', '-r', file, '-w', '/dev/null', filter];
        const runs: Run[][] = [[], [], []];
        const stderr = join(dir, 'stderr');
        for (let round = 0; round <= repeat; round++) {
          for (const [i, argv] of [ours, dump, dumpQuiet].entries()) {
            const r = await measure(argv, { stderr });
            requireSuccess(r, argv.slice(0, 3).join(' '));
            if (round > 0) runs[i]!.push(r[0]!); // round 0 warms the page cache
          }
        }
        const [oursRuns, dumpRuns, quietRuns] = runs as [Run[], Run[], Run[]];
        const wall = summarize(oursRuns.map((r) => r.wall));
        const dumpWall = summarize(dumpRuns.map((r) => r.wall));
        const quietWall = summarize(quietRuns.map((r) => r.wall));
        const mpps = (s: number) => written.packets / s / 1e6;
        const peak = Math.max(...oursRuns.map((r) => r.maxrss_kb)) / 1024;
        rss[size] = peak;
        const label = `${c.label} ${packets >= 1e6 ? `${packets / 1e6}M` : `${packets / 1e3}k`} pkts`;
        if (size === 'large') {
          rows.push({ section: SECTION, name: `${label}: ours`, value: mpps(wall.median), unit: 'Mpkt/s', spread: spreadOf({ ...wall, min: mpps(wall.max), max: mpps(wall.min), q1: mpps(wall.q3), q3: mpps(wall.q1) }), verdict: 'n/a', note: `filter: ${filter}` });
          rows.push({ section: SECTION, name: `${label}: tcpdump -n -r FILE FILTER >/dev/null`, value: mpps(dumpWall.median), unit: 'Mpkt/s', spread: spreadOf({ ...dumpWall, min: mpps(dumpWall.max), max: mpps(dumpWall.min), q1: mpps(dumpWall.q3), q3: mpps(dumpWall.q1) }), verdict: 'n/a' });
          const speed = dumpWall.median / wall.median;
          rows.push({ section: SECTION, name: `${label}: ours / tcpdump (speed)`, value: speed, unit: 'x', target: '>= 1.0x', verdict: check(speed, '>=', 1.0) });
          rows.push({ section: SECTION, name: `${label}: tcpdump -w /dev/null (no printing)`, value: mpps(quietWall.median), unit: 'Mpkt/s', verdict: 'n/a', note: `reference only; ours / it = ${(quietWall.median / wall.median).toFixed(2)}x` });
          rows.push({ section: SECTION, name: `${label}: ours peak RSS`, value: peak, unit: 'MiB', verdict: 'n/a', note: `file ${(statSync(file).size / 1e6).toFixed(0)} MB; tcpdump's RSS is below the stopwatch's floor of ${(Math.max(...dumpRuns.map((r) => r.maxrss_kb)) / 1024).toFixed(0)} MiB` });
        } else {
          rows.push({ section: SECTION, name: `${label}: ours`, value: mpps(wall.median), unit: 'Mpkt/s', verdict: 'n/a' });
          rows.push({ section: SECTION, name: `${label}: ours peak RSS`, value: peak, unit: 'MiB', verdict: 'n/a' });
        }
        rmSync(file, { force: true });
      }
      // Flat memory: the 10x larger file may cost at most 10 % (and 8 MiB of slack for GC timing) more peak RSS.
      const growth = rss.large! / rss.small!;
      const flat = rss.large! <= rss.small! * 1.1 + 8;
      rows.push({ section: SECTION, name: `${c.label}: peak RSS ${sizes.large / 1e6}M / ${sizes.small / 1e3}k pkts`, value: growth, unit: 'x', target: 'flat (<= 1.1x + 8 MiB)', verdict: flat ? 'PASS' : 'MISS' });
    }
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

