// Section 3, in the lab: receive-side control plane (start of 1/100/1000 tunnels vs raw ip/tc -batch, reload, stop).
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { resultsDir, ROOT } from './lib/measure.js';
import { runLab } from './lib/lab.js';
import { check, spreadOf, type Row } from './lib/results.js';
import { summarize } from './lib/stats.js';

const SECTION = 'receive control plane (lab)';

interface SizeTimes {
  readonly start: number[];
  readonly raw: number[];
  readonly stop: number[];
  readonly operations: number;
}

export async function benchReceive(repeat: number, sizes: readonly number[]): Promise<Row[]> {
  const dir = mkdtempSync(join(tmpdir(), 'ux-bench-lab-'));
  try {
    const out = join(dir, 'receive.json');
    const code = await runLab(['--timeout', '2700', '--job-dir', dir, '--', process.execPath, resolve(ROOT, 'dist', 'bench', 'receive-lab.js'), out, '--repeat', String(repeat), '--sizes', sizes.join(',')]);
    if (code !== 0) throw new Error(`lab/run exited ${code}`);
    copyFileSync(out, join(resultsDir(), 'receive-samples.json'));
    const data = JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown> & { nodeFloor: number[]; reload: { walls: number[]; operations: number[]; logged: number[] } };
    const floor = summarize(data.nodeFloor);
    const rows: Row[] = [{ section: SECTION, name: 'node -e 0 in the lab (floor of any start)', value: floor.median, unit: 's', spread: spreadOf(floor), verdict: 'n/a' }];
    for (const n of sizes) {
      const t = data[`n${n}`] as SizeTimes;
      const start = summarize(t.start);
      const raw = summarize(t.raw);
      const stop = summarize(t.stop);
      const r = start.median / raw.median;
      rows.push({ section: SECTION, name: `start ${n} tunnel(s)`, value: start.median, unit: 's', spread: spreadOf(start), verdict: 'n/a', note: `${t.operations} operations` });
      rows.push({ section: SECTION, name: `raw ip/tc -batch, same ${t.operations} operations`, value: raw.median, unit: 's', spread: spreadOf(raw), verdict: 'n/a' });
      rows.push(n === 1000
        ? { section: SECTION, name: `start ${n} / raw -batch`, value: r, unit: 'x', target: '<= 1.5x', verdict: check(r, '<=', 1.5) }
        : { section: SECTION, name: `start ${n} / raw -batch`, value: r, unit: 'x', verdict: 'n/a', note: 'dominated by Node start-up in the lab' });
      rows.push({ section: SECTION, name: `stop ${n} tunnel(s)`, value: stop.median, unit: 's', spread: spreadOf(stop), verdict: 'n/a' });
    }
    const reload = summarize(data.reload.walls);
    const ops = Math.max(...data.reload.operations);
    rows.push({ section: SECTION, name: 'reload adding 1 tunnel to 1000', value: reload.median, unit: 's', spread: spreadOf(reload), verdict: 'n/a' });
    rows.push({ section: SECTION, name: 'reload adding 1 tunnel to 1000: kernel operations', value: ops, unit: 'ops', target: '<= 10', verdict: check(ops, '<=', 10), note: `"[#]" lines logged: ${data.reload.logged.join(', ')}` });
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
