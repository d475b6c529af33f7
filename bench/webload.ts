// Section 5, in the lab: the mixed web load (many small requests, POSTs, big downloads, unpaced) through no mirror, the
// seed's path and the product, on a 1500 and a 9000 underlay; completeness, order, production cost, drops by location.
import type { WebLoadSample } from './webload-lab.js';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { resultsDir, ROOT } from './lib/measure.js';
import { runLab } from './lib/lab.js';
import { check, spreadOf, type Row } from './lib/results.js';
import { summarize } from './lib/stats.js';

const SECTION = 'web load (lab)';
const NAMES = { none: 'no mirror', seed: "seed's path (no mirror queue)", queue: 'product (mirror queue)' } as const;

export async function benchWebLoad(repeat: number, underlays: readonly number[]): Promise<Row[]> {
  const dir = mkdtempSync(join(tmpdir(), 'ux-bench-wl-'));
  try {
    const out = join(dir, 'webload.json');
    const code = await runLab(['--timeout', '2400', '--job-dir', dir, '--', process.execPath, resolve(ROOT, 'dist', 'bench', 'webload-lab.js'), out,
      '--repeat', String(repeat), '--underlays', underlays.join(',')]);
    if (!existsSync(out)) throw new Error(`lab/run exited ${code} without results`);
    const data = JSON.parse(readFileSync(out, 'utf8')) as { samples: WebLoadSample[] };
    copyFileSync(out, join(resultsDir(), 'webload-samples.json'));
    if (code !== 0) throw new Error(`lab/run exited ${code} after ${data.samples.length} runs`);
    const rows: Row[] = [];
    for (const underlay of underlays) {
      const of = (path: WebLoadSample['path']) => data.samples.filter((s) => s.underlay === underlay && s.path === path);
      const rate = (runs: WebLoadSample[]) => summarize(runs.map((s) => s.requests / s.seconds));
      const base = rate(of('none'));
      rows.push({ section: SECTION, name: `underlay ${underlay}: production, no mirror`, value: base.median, unit: 'req/s', spread: spreadOf(base), verdict: 'n/a' });
      for (const path of ['seed', 'queue'] as const) {
        const runs = of(path);
        if (runs.length === 0) continue;
        const r = rate(runs);
        const complete = summarize(runs.map((s) => (100 * s.mirroredBytes) / Math.max(1, s.clientBytes)));
        const reordered = summarize(runs.map((s) => s.reorderedMtun));
        const drops = runs.map((s) => Object.entries(s.drops).map(([k, v]) => `${k}=${v}`).join(' ') || 'none').join(' | ');
        const product = path === 'queue';
        rows.push({ section: SECTION, name: `underlay ${underlay}: production ratio, ${NAMES[path]} / none`, value: r.median / base.median, unit: 'x', verdict: 'n/a', note: `${r.median.toFixed(0)} req/s` });
        rows.push({ section: SECTION, name: `underlay ${underlay}: completeness, ${NAMES[path]}`, value: complete.median, unit: '%', spread: spreadOf(complete),
          ...(product ? { target: '100.0 %', verdict: complete.min >= 100 ? 'PASS' as const : 'MISS' as const } : { verdict: 'n/a' as const }), note: `drops by location: ${drops}` });
        rows.push({ section: SECTION, name: `underlay ${underlay}: frames out of order on ruei-mtun, ${NAMES[path]}`, value: reordered.median, unit: 'frames', spread: spreadOf(reordered),
          ...(product ? { target: '0', verdict: check(reordered.max, '<=', 0) } : { verdict: 'n/a' as const }), note: `at the mirrored NIC: ${runs.map((s) => s.reorderedNic).join(', ')}` });
      }
    }
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
