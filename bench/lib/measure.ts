// Runs a command under rusage.py (wall time and peak RSS per run, from wait4) through the project's exec boundary.
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { execOrThrow } from '../../src/kernel/exec.js';

/** The repository root (dist/bench/lib -> ../../..). */
export const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const RUSAGE = resolve(ROOT, 'bench', 'lib', 'rusage.py');

/** Where latest.json and the raw samples go: $UX_BENCH_RESULTS (scripts/bench.sh sets it), else bench/results. */
export function resultsDir(): string {
  const dir = process.env.UX_BENCH_RESULTS ?? resolve(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  return dir;
}

export interface Run {
  readonly wall: number;
  readonly user: number;
  readonly sys: number;
  readonly maxrss_kb: number;
  readonly code: number;
}

export interface MeasureOptions {
  readonly repeat?: number;
  /** Where the command's stdout goes (default /dev/null). */
  readonly stdout?: string;
  /** Where its stderr goes (default: inherited). */
  readonly stderr?: string;
}

export async function measure(argv: readonly string[], options: MeasureOptions = {}): Promise<Run[]> {
  const flags = ['--repeat', String(options.repeat ?? 1)];
  if (options.stdout) flags.push('--stdout', options.stdout);
  if (options.stderr) flags.push('--stderr', options.stderr);
  const { stdout } = await execOrThrow(['python3', RUSAGE, ...flags, '--', ...argv]);
  return (JSON.parse(stdout) as { runs: Run[] }).runs;
}

/** Throws when a run failed: a timing of a failed command is not a figure. */
export function requireSuccess(runs: readonly Run[], what: string, okCodes: readonly number[] = [0]): void {
  const bad = runs.find((r) => !okCodes.includes(r.code));
  if (bad) throw new Error(`${what} exited ${bad.code}`);
}

/** The value after --NAME on this process's command line, or `fallback`. */
export function argFlag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : fallback;
}
