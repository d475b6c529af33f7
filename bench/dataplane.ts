// Section 4, in the lab: production throughput with and without the mirror, and the mirror's completeness, per offered load.
import type { Sample as LabSample } from './dataplane-lab.js';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { resultsDir, ROOT } from './lib/measure.js';
import { runLab } from './lib/lab.js';
import { check, spreadOf, type Row } from './lib/results.js';
import { summarize } from './lib/stats.js';

const SECTION = 'data plane (lab)';
// The collector at the kernel's defaults, as the README now says (the mirror queue sends each frame's fragments back
// to back). UX_BENCH_OLD_REASSEMBLY=1 measures the settings the README recommended before (max_dist 0, 64 MB).
const COLLECTOR_SYSCTLS = process.env.UX_BENCH_OLD_REASSEMBLY ? ['net.ipv4.ipfrag_max_dist=0', 'net.ipv4.ipfrag_high_thresh=67108864'] : [];

type Sample = Pick<LabSample, 'load' | 'bps' | 'sentBytes' | 'receivedBytes' | 'retransmits' | 'mirroredPayload' | 'mirroredFrames' | 'outerPackets' | 'softnetDrops' | 'reasmFails'> & { mode: 'none' | 'port' | 'all'; drops: Record<string, number> };

const dropText = (d: Record<string, number>) => Object.entries(d).map(([k, v]) => `${k}=${v}`).join(' ') || 'none';
const loadName = (load: string) => (load === '0' ? 'unlimited' : `${load.replace(/M$/, '')} Mbit/s`);

export async function benchDataPlane(repeat: number, loads: readonly string[]): Promise<Row[]> {
  if (!existsSync(resolve(ROOT, 'dist', 'src', 'cli', 'transmit', 'start.js'))) {
    return [{ section: SECTION, name: 'all figures', value: null, unit: '', verdict: 'not measured', note: 'transmit side not available' }];
  }
  const dir = mkdtempSync(join(tmpdir(), 'ux-bench-dp-'));
  try {
    const out = join(dir, 'dataplane.json');
    const code = await runLab(['--timeout', '1500', '--job-dir', dir, '--', process.execPath, resolve(ROOT, 'dist', 'bench', 'dataplane-lab.js'), out, '--repeat', String(repeat), '--loads', loads.join(','),
      ...(COLLECTOR_SYSCTLS.length > 0 ? ['--collector-sysctl', COLLECTOR_SYSCTLS.join(',')] : [])]);
    if (!existsSync(out)) throw new Error(`lab/run exited ${code} without results`);
    const data = JSON.parse(readFileSync(out, 'utf8')) as { samples: Sample[]; seconds: number };
    copyFileSync(out, join(resultsDir(), 'dataplane-samples.json')); // every run's counters, for a closer look
    if (code !== 0) throw new Error(`lab/run exited ${code} after ${data.samples.length} runs`);
    const rows: Row[] = [];
    for (const load of loads) {
      const of = (mode: Sample['mode']) => data.samples.filter((s) => s.load === load && s.mode === mode);
      const base = summarize(of('none').map((s) => s.bps / 1e6));
      rows.push({ section: SECTION, name: `${loadName(load)}: production, no mirror`, value: base.median, unit: 'Mbit/s', spread: spreadOf(base), verdict: 'n/a' });
      for (const mode of ['port', 'all'] as const) {
        const runs = of(mode);
        if (runs.length === 0) continue;
        const label = mode === 'port' ? 'mirror of the iperf port' : 'mirror all';
        const bps = summarize(runs.map((s) => s.bps / 1e6));
        const ratio = bps.median / base.median;
        const at200 = load === '200M';
        rows.push({ section: SECTION, name: `${loadName(load)}: production, ${label}`, value: bps.median, unit: 'Mbit/s', spread: spreadOf(bps), verdict: 'n/a', note: `retransmits ${runs.map((s) => s.retransmits).join(', ')}` });
        rows.push({ section: SECTION, name: `${loadName(load)}: production ratio, ${label} / none`, value: ratio, unit: 'x', ...(at200 ? { target: '>= 0.9x', verdict: check(ratio, '>=', 0.9) } : { verdict: 'n/a' as const }) });
        const complete = summarize(runs.map((s) => (100 * s.mirroredPayload!) / s.receivedBytes));
        const outer = summarize(runs.map((s) => s.outerPackets! / Math.max(1, s.mirroredFrames!)));
        const notes = `collector ${COLLECTOR_SYSCTLS.length > 0 ? 'with the old max_dist 0 tuning' : 'with the kernel defaults'}; outer IP packets/frame ${outer.median.toFixed(2)}; softnet drops ${runs.map((s) => s.softnetDrops).join(', ')}; collector IpReasmFails ${runs.map((s) => s.reasmFails).join(', ')}; interface drops ${runs.map((s) => dropText(s.drops)).join(' | ')}`;
        rows.push({ section: SECTION, name: `${loadName(load)}: completeness, ${label}`, value: complete.median, unit: '%', spread: spreadOf(complete),
          // Retransmitted segments are mirrored twice, so bytes alone could hide a few lost frames: a failed reassembly is one.
          ...(at200 && mode === 'port' ? { target: '100.0 %, no reasm fail', verdict: complete.min >= 99.95 && runs.every((s) => s.reasmFails === 0) ? 'PASS' as const : 'MISS' as const } : { verdict: 'n/a' as const }), note: notes });
      }
    }
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
