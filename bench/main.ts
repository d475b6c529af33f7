// npm run bench: runs each section, prints one table, writes bench/results/latest.json. Never fails the test suite.
//
//   node dist/bench/main.js [--quick] [--loads 200M,0] [--designs nopin,cookie,udp,wireguard] [SECTION...]
//                                     sections: cli analysis receive dataplane webload (default: all)
//
// A run of some sections keeps the other sections' rows from the previous latest.json, each row marked with the
// time it was measured; ratios are always between figures of the same section, measured in the same run.
import { existsSync, readFileSync } from 'node:fs';
import { cpus, hostname, loadavg } from 'node:os';
import { join } from 'node:path';
import { benchAnalysis } from './analysis.js';
import { benchCliLatency } from './cli-latency.js';
import { benchDataPlane } from './dataplane.js';
import { resultsDir } from './lib/measure.js';
import { formatTable, writeJson, type Row } from './lib/results.js';
import { benchReceive } from './receive.js';
import { benchWebLoad } from './webload.js';

interface Section {
  readonly key: string;
  readonly title: string;
  readonly run: () => Promise<Row[]>;
}

type TimedRow = Row & { measuredAt?: string };

const quick = process.argv.includes('--quick');
const loadsAt = process.argv.indexOf('--loads');
// --loads 200M,0: the data plane's offered loads (iperf3 -b; 0 is unlimited). The targets are at 200M and unlimited.
const LOADS = loadsAt > 0 ? process.argv[loadsAt + 1]!.split(',') : ['100M', '200M', '0'];
// --designs a,b: the data plane's designs to measure (dataplane.ts; `none`, and `port` for the options' costs, always).
const designsAt = process.argv.indexOf('--designs');
const DESIGNS = designsAt > 0 ? process.argv[designsAt + 1]!.split(',') : null;
const only = new Set(process.argv.slice(2).filter((a, i, all) => !a.startsWith('-') && !['--loads', '--designs'].includes(all[i - 1]!)));

const SECTIONS: Section[] = [
  { key: 'cli', title: 'cli latency (host)', run: () => benchCliLatency(quick ? 5 : 20) },
  { key: 'analysis', title: 'analysis (host)', run: () => benchAnalysis(quick ? { large: 200_000, small: 20_000 } : { large: 1_000_000, small: 100_000 }, quick ? 2 : 5) },
  { key: 'receive', title: 'receive control plane (lab)', run: () => benchReceive(quick ? 1 : 3, quick ? [1, 100] : [1, 100, 1000]) },
  { key: 'dataplane', title: 'data plane (lab)', run: () => benchDataPlane(quick ? 1 : 3, quick ? ['200M'] : LOADS, DESIGNS) },
  { key: 'webload', title: 'web load (lab)', run: () => benchWebLoad(quick ? 1 : 2, quick ? [1500] : [1500, 9000]) },
];

for (const key of only) {
  if (!SECTIONS.some((s) => s.key === key)) {
    process.stderr.write(`[bench] unknown section "${key}" (sections: ${SECTIONS.map((s) => s.key).join(' ')})\n`);
    process.exit(2);
  }
}

const out = join(resultsDir(), 'latest.json');
const previous: TimedRow[] = only.size > 0 && existsSync(out) ? ((JSON.parse(readFileSync(out, 'utf8')) as { rows?: TimedRow[] }).rows ?? []) : [];
const rows: TimedRow[] = [];
const started = new Date();
for (const section of SECTIONS) {
  if (only.size > 0 && !only.has(section.key)) {
    rows.push(...previous.filter((r) => r.section === section.title));
    continue;
  }
  process.stderr.write(`[bench] ${section.title} (load average ${loadavg()[0]!.toFixed(1)}) ...\n`);
  const t0 = Date.now();
  const at = new Date().toISOString();
  try {
    rows.push(...(await section.run()).map((r) => ({ ...r, measuredAt: at })));
  } catch (error) {
    // A section that cannot run is reported in the table, not as a failed bench: the other figures still count.
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`[bench] ${section.title}: ${message}\n`);
    rows.push({ section: section.title, name: 'section', value: null, unit: '', verdict: 'not measured', note: message.split('\n')[0]!, measuredAt: at });
  }
  process.stderr.write(`[bench] ${section.title}: ${((Date.now() - t0) / 1000).toFixed(0)} s (load average now ${loadavg()[0]!.toFixed(1)})\n`);
}

process.stdout.write(formatTable(rows));
writeJson(out, {
  started: started.toISOString(),
  finished: new Date().toISOString(),
  host: hostname(),
  cpus: `${cpus().length} x ${cpus()[0]?.model ?? '?'}`,
  node: process.version,
  argv: process.argv.slice(2),
}, rows);
process.stdout.write(`[bench] table written to ${out}\n`);
