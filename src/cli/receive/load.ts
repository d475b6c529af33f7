// The collector's load for capacity planning: Mbit/s of mirrored frames arriving in each session interface, and in
// total, from two readings of the interfaces' receive counters: the monitor's last one and status's own (instant), or
// two readings `--sample` seconds apart (one `ip -s link` each).
import { readLinks } from '../../kernel/links.js';
import type { KernelRunner } from '../../kernel/runner.js';
import { SESSION_IF_PATTERN, sessionRxBytes, type ReceiveKernelState } from '../../model/receive.js';
import type { RxReading } from '../../monitor/snapshot.js';

export interface Load {
  readonly seconds: number;
  readonly tunnels: number;
  readonly totalMbps: number;
  /** Mbit/s by session interface (ruei-mtun-NNNNN). */
  readonly perInterface: Record<string, number>;
}

/**
 * The load since one of the monitor's readings (it reads the counters every few seconds and keeps the last two): the
 * newest at least `minMs` old, so the rate covers a second or more; null without readings.
 */
export function loadSinceReading(readings: readonly RxReading[], now: ReadonlyMap<string, number>, nowMs: number, minMs = 1000): Load | null {
  const usable = readings.filter((r) => nowMs - Date.parse(r.at) >= minMs);
  const reading = usable[usable.length - 1] ?? readings[0];
  if (!reading || nowMs - Date.parse(reading.at) <= 0) return null;
  return loadBetween(new Map(Object.entries(reading.bytes)), now, nowMs - Date.parse(reading.at));
}

/** Rates from byte counters read `ms` apart; an interface missing from either reading (made or removed meanwhile) is left out. */
export function loadBetween(before: ReadonlyMap<string, number>, after: ReadonlyMap<string, number>, ms: number): Load {
  const perInterface: Record<string, number> = {};
  for (const [name, bytes] of after) {
    const earlier = before.get(name);
    if (earlier === undefined || bytes < earlier) continue;
    perInterface[name] = ((bytes - earlier) * 8) / (ms / 1000) / 1e6;
  }
  const rates = Object.values(perInterface);
  return { seconds: Math.round(ms / 100) / 10, tunnels: rates.length, totalMbps: rates.reduce((a, b) => a + b, 0), perInterface };
}

/** null when not asked for (seconds 0) or when there is no tunnel to measure. */
export async function measureLoad(runner: KernelRunner, state: ReceiveKernelState, seconds: number): Promise<Load | null> {
  if (seconds <= 0 || !state.links.some((l) => SESSION_IF_PATTERN.test(l.name))) return null;
  const read = async () => sessionRxBytes(await readLinks(runner));
  const started = Date.now();
  const before = await read();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  return loadBetween(before, await read(), Date.now() - started);
}
