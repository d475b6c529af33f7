// The bench's result rows: one figure each, with spread, target and PASS/MISS; printed as a table and saved as JSON.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Summary } from './stats.js';

export type Verdict = 'PASS' | 'MISS' | 'n/a' | 'not measured';

export interface Row {
  readonly section: string;
  readonly name: string;
  /** The figure, already in `unit` (null when it could not be measured). */
  readonly value: number | null;
  readonly unit: string;
  /** Spread of the repetitions behind `value`, in `unit`: "min-max" and the IQR. */
  readonly spread?: { readonly n: number; readonly min: number; readonly max: number; readonly q1: number; readonly q3: number };
  /** e.g. "<= 2.0x", ">= 1.0x"; absent for context figures. */
  readonly target?: string;
  readonly verdict: Verdict;
  /** Why a figure is missing, or what it is compared with. */
  readonly note?: string;
}

export function spreadOf(s: Summary, scale = 1): Row['spread'] {
  return { n: s.n, min: s.min * scale, max: s.max * scale, q1: s.q1 * scale, q3: s.q3 * scale };
}

export function check(value: number, op: '<=' | '>=', limit: number): Verdict {
  return (op === '<=' ? value <= limit : value >= limit) ? 'PASS' : 'MISS';
}

function format(value: number, unit: string): string {
  if (!Number.isFinite(value)) return '-';
  const abs = Math.abs(value);
  const text = unit === 'x' ? value.toFixed(2) : abs >= 1000 ? value.toFixed(0) : abs >= 100 ? value.toFixed(1) : abs >= 1 ? value.toFixed(2) : value.toFixed(3);
  return text;
}

export function formatTable(rows: readonly Row[]): string {
  const header = ['section', 'figure', 'median', 'unit', 'spread (min-max; IQR) n', 'target', 'verdict', 'note'];
  const lines = [header];
  for (const r of rows) {
    const s = r.spread;
    const spread = s ? `${format(s.min, r.unit)}-${format(s.max, r.unit)}; ${format(s.q1, r.unit)}-${format(s.q3, r.unit)} n=${s.n}` : '';
    lines.push([r.section, r.name, r.value === null ? '-' : format(r.value, r.unit), r.unit, spread, r.target ?? '', r.verdict, r.note ?? '']);
  }
  const widths = header.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  return lines.map((l) => l.map((cell, i) => (i === l.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n') + '\n';
}

export function writeJson(path: string, meta: Record<string, unknown>, rows: readonly Row[]): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify({ ...meta, rows }, null, 2)}\n`);
}
