// Section 4, in the lab: production throughput with and without the mirror, and the mirror's completeness, per
// offered load, for the product and the other designs of the mirror path (dataplane-lab.ts), on underlays of MTU 1500
// and 9000, all in one boot of the lab so that every ratio compares figures of one run.
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

type Sample = Pick<LabSample, 'load' | 'bps' | 'sentBytes' | 'receivedBytes' | 'retransmits' | 'mirroredPayload' | 'mirroredFrames' | 'outerPackets' | 'softnetDrops' | 'reasmFails'> & { mode: string; drops: Record<string, number> };

/** The designs, in the order rows are printed; the product's two modes first. */
const DESIGNS: ReadonlyArray<readonly [string, string]> = [
  ['port', 'product, mirror of the iperf port'],
  ['budget', 'product with budget-mbit=100'],
  ['seed', 'seed\'s path (no mirror queue)'],
  ['direct', 'mirred straight into ruei-tun1'],
  ['nobridge', 'mirror queue without the bridge'],
  ['redirect', 'product, collector redirecting into ruei-mtun'],
  ['rps', 'product, collector with RPS on the session interface'],
  ['nopin', 'product without source pinning (port has it, the default)'],
  ['slowpin', 'product with source pinning without its fast path (as before 2026-12-02)'],
  ['cookie', 'product with a 64-bit cookie'],
  ['wireguard', 'product encrypted (WireGuard)'],
  ['udp', 'product over UDP (udp=1701)'],
  ['sink', 'product, the switch dropping the tunnel before the collector (the web server\'s own cost)'],
];
/** The options of issue 13, each measured as the product with it: its cost is its production over the product's. */
const OPTIONS = ['nopin', 'slowpin', 'cookie', 'udp', 'wireguard'];
const UNDERLAYS: ReadonlyArray<{ readonly mtu: number; readonly modes: readonly string[]; readonly loads?: readonly string[] }> = [
  { mtu: 1500, modes: ['none', 'port', 'sink', 'budget', 'seed', 'direct', 'nobridge', 'redirect', 'rps', 'nopin', 'slowpin', 'cookie', 'udp', 'wireguard'] },
  { mtu: 9000, modes: ['none', 'port', 'seed', 'direct'], loads: ['200M', '0'] },
];

const dropText = (d: Record<string, number>) => Object.entries(d).map(([k, v]) => `${k}=${v}`).join(' ') || 'none';
const loadName = (load: string) => (load === '0' ? 'unlimited' : `${load.replace(/M$/, '')} Mbit/s`);
const completeness = (s: Sample) => (100 * s.mirroredPayload!) / s.receivedBytes;

/** The underlays' modes kept by `designs` (all when null): `none` always, `port` too when an option is measured. */
function chosen(designs: readonly string[] | null): Array<(typeof UNDERLAYS)[number]> {
  if (designs === null) return [...UNDERLAYS];
  return UNDERLAYS.map((u) => {
    const options = u.modes.some((m) => designs.includes(m) && OPTIONS.includes(m));
    return { ...u, modes: u.modes.filter((m) => m === 'none' || designs.includes(m) || (m === 'port' && options)) };
  }).filter((u) => u.modes.length > 1);
}

export async function benchDataPlane(repeat: number, loads: readonly string[], designs: readonly string[] | null = null): Promise<Row[]> {
  if (!existsSync(resolve(ROOT, 'dist', 'src', 'cli', 'transmit', 'start.js'))) {
    return [{ section: SECTION, name: 'all figures', value: null, unit: '', verdict: 'not measured', note: 'transmit side not available' }];
  }
  const dir = mkdtempSync(join(tmpdir(), 'ux-bench-dp-'));
  try {
    const lab = resolve(ROOT, 'dist', 'bench', 'dataplane-lab.js');
    const sysctls = COLLECTOR_SYSCTLS.length > 0 ? ` --collector-sysctl ${COLLECTOR_SYSCTLS.join(',')}` : '';
    const unknown = designs?.filter((d) => !DESIGNS.some(([mode]) => mode === d)) ?? [];
    if (unknown.length > 0) throw new Error(`unknown design(s) ${unknown.join(', ')} (designs: ${DESIGNS.map(([mode]) => mode).join(' ')})`);
    const runs = chosen(designs).map((u) => ({ ...u, loads: u.loads?.filter((l) => loads.includes(l)) ?? loads, out: join(dir, `dataplane-${u.mtu}.json`) }));
    // One boot for both underlays; every argument is the bench's own (no user input reaches this shell).
    const script = runs.map((u) => `'${process.execPath}' '${lab}' '${u.out}' --repeat ${repeat} --loads ${u.loads.join(',')} --modes ${u.modes.join(',')} --underlay ${u.mtu}${sysctls}`).join(' && ');
    // 4 emulated CPUs: the web server's 3 (the mirror queue on one of them) and one for the network, client and collector.
    const code = await runLab(['--cpus', '4', '--timeout', '3600', '--job-dir', dir, '--', 'sh', '-c', script]);
    const rows: Row[] = [];
    const production = new Map<string, { bps: number; complete: number }>();
    for (const run of runs) {
      if (!existsSync(run.out)) {
        rows.push({ section: SECTION, name: `underlay ${run.mtu}`, value: null, unit: '', verdict: 'not measured', note: `lab/run exited ${code} before this underlay's results` });
        continue;
      }
      const data = JSON.parse(readFileSync(run.out, 'utf8')) as { samples: Sample[] };
      copyFileSync(run.out, join(resultsDir(), `dataplane-${run.mtu}-samples.json`)); // every run's counters, for a closer look
      rows.push(...underlayRows(run.mtu, run.loads, data.samples, production));
    }
    rows.push(...bestPathRows(production));
    if (code !== 0) rows.push({ section: SECTION, name: 'lab run', value: null, unit: '', verdict: 'not measured', note: `lab/run exited ${code}: some figures are missing (see the log)` });
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function underlayRows(mtu: number, loads: readonly string[], samples: readonly Sample[], production: Map<string, { bps: number; complete: number }>): Row[] {
  const rows: Row[] = [];
  const at = `underlay ${mtu}, `;
  for (const load of loads) {
    const of = (mode: string) => samples.filter((s) => s.load === load && s.mode === mode);
    const base = summarize(of('none').map((s) => s.bps / 1e6));
    rows.push({ section: SECTION, name: `${at}${loadName(load)}: production, no mirror`, value: base.median, unit: 'Mbit/s', spread: spreadOf(base), verdict: 'n/a' });
    for (const [mode, label] of DESIGNS) {
      const runs = of(mode);
      if (runs.length === 0) continue;
      const bps = summarize(runs.map((s) => s.bps / 1e6));
      const ratio = bps.median / base.median;
      const product200 = load === '200M' && mtu === 1500 && mode === 'port';
      const complete = summarize(runs.map(completeness));
      if (load === '0') production.set(`${mtu} ${mode}`, { bps: bps.median, complete: complete.min });
      rows.push({ section: SECTION, name: `${at}${loadName(load)}: production, ${label}`, value: bps.median, unit: 'Mbit/s', spread: spreadOf(bps), verdict: 'n/a', note: `retransmits ${runs.map((s) => s.retransmits).join(', ')}` });
      rows.push({ section: SECTION, name: `${at}${loadName(load)}: production ratio, ${label} / none`, value: ratio, unit: 'x', ...(product200 ? { target: '>= 0.95x', verdict: check(ratio, '>=', 0.95) } : { verdict: 'n/a' as const }) });
      const product = summarize(of('port').map((s) => s.bps / 1e6));
      if (OPTIONS.includes(mode) && product.n > 0) {
        // The option's cost: the product with it against the product as shipped (source pinning on), same load, same run.
        rows.push({ section: SECTION, name: `${at}${loadName(load)}: cost of the option, ${label} / product`, value: bps.median / product.median, unit: 'x', verdict: 'n/a', note: `product ${product.median.toFixed(0)} Mbit/s, with the option ${bps.median.toFixed(0)} Mbit/s` });
      }
      if (mode === 'sink') continue; // nothing reaches the collector by design: no completeness to show
      const outer = summarize(runs.map((s) => s.outerPackets! / Math.max(1, s.mirroredFrames!)));
      const notes = `collector ${COLLECTOR_SYSCTLS.length > 0 ? 'with the old max_dist 0 tuning' : 'with the kernel defaults'}; outer IP packets/frame ${outer.median.toFixed(2)}; softnet drops ${runs.map((s) => s.softnetDrops).join(', ')}; collector IpReasmFails ${runs.map((s) => s.reasmFails).join(', ')}; drops ${runs.map((s) => dropText(s.drops)).join(' | ')}`;
      // Retransmitted segments are mirrored twice, so bytes alone could hide a few lost frames: a failed reassembly is one.
      const verdict = product200 ? { target: '100.0 %, no reasm fail', verdict: complete.min >= 99.95 && runs.every((s) => s.reasmFails === 0) ? 'PASS' as const : 'MISS' as const } : { verdict: 'n/a' as const };
      rows.push({ section: SECTION, name: `${at}${loadName(load)}: completeness, ${label}`, value: complete.median, unit: '%', spread: spreadOf(complete), ...verdict, note: notes });
    }
  }
  return rows;
}

/**
 * At unlimited load: the best design whose mirror stayed complete (every round >= 99.9 %) against the seed's path on
 * a 1500 underlay. A design that keeps production fast by shedding most of the mirror is not "the best path".
 */
function bestPathRows(production: Map<string, { bps: number; complete: number }>): Row[] {
  const seed = production.get('1500 seed');
  if (!seed) return [];
  const designOnly = (key: string) => !['seed', 'budget', 'sink', ...OPTIONS].some((m) => key.endsWith(` ${m}`));
  const complete = [...production].filter(([key, p]) => designOnly(key) && p.complete >= 99.9);
  const best = complete.sort((a, b) => b[1].bps - a[1].bps)[0];
  const fastest = [...production].filter(([key]) => !key.endsWith(' seed') && !key.endsWith(' sink')).sort((a, b) => b[1].bps - a[1].bps)[0];
  const describe = ([key, p]: [string, { bps: number; complete: number }]) => `underlay ${key.replace(' ', ', ')}: ${p.bps.toFixed(0)} Mbit/s, mirror ${p.complete.toFixed(1)} % complete`;
  return [{
    section: SECTION, name: 'unlimited: production, best complete path / seed\'s path on 1500', value: best ? best[1].bps / seed.bps : null, unit: 'x', target: '>= 3.0x',
    verdict: best ? check(best[1].bps / seed.bps, '>=', 3) : 'MISS',
    note: `${best ? `best: ${describe(best)}` : 'no design kept its mirror complete'}; fastest: ${fastest ? describe(fastest) : '-'}; seed: ${seed.bps.toFixed(0)} Mbit/s, ${seed.complete.toFixed(1)} % complete`,
  }];
}
