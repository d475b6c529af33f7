// The mirror budget's tc police actions: standalone actions (one for bytes, one for packets, since one police action
// cannot hold both rates) that every mirror filter binds by index before its mirred. A frame over the budget makes the
// police action return "continue": the filter's mirred is skipped and classification goes on as if the filter had not
// matched, so production frames pass untouched, and the police action's overlimits count exactly what was shed.
import type { KernelRunner } from './runner.js';
import { tc, type Operation } from '../plan/operation.js';

export type BudgetKind = 'bytes' | 'packets';

/** Ours are marked by a cookie "uxt-" + kind + the configured value, which also says whether one is up to date. */
const COOKIE_PREFIX = '7578742d'; // "uxt-"
const KIND_BYTE: Record<BudgetKind, string> = { bytes: '62', packets: '70' }; // "b", "p"

export interface PoliceSpec {
  readonly index: number;
  readonly kind: BudgetKind;
  /** bits/s for bytes, packets/s for packets. */
  readonly rate: number;
}

export interface PoliceAction {
  readonly index: number;
  /** The cookie as hex, or null without one. */
  readonly cookie: string | null;
  /** Frames the action saw, and those over the budget (shed from the mirror). */
  readonly packets: number;
  readonly overlimits: number;
}

export function policeCookie(spec: PoliceSpec): string {
  return COOKIE_PREFIX + KIND_BYTE[spec.kind] + BigInt(spec.rate).toString(16).padStart(16, '0');
}

export const isOurPolice = (action: PoliceAction): boolean => action.cookie?.startsWith(COOKIE_PREFIX) ?? false;

interface RawPolice {
  kind?: string;
  index?: number;
  cookie?: string;
  stats?: { packets?: number; overlimits?: number };
}

/** Police actions of `tc -j -s actions ls action police`: [{"total acts": N}, {"actions": [...]}]. */
export function parsePoliceActions(json: string): PoliceAction[] {
  if (json.trim() === '') return [];
  const parsed = JSON.parse(json) as Array<{ actions?: RawPolice[] }>;
  return parsed.flatMap((entry) => entry.actions ?? []).filter((a) => a.kind === 'police' && typeof a.index === 'number').map((a) => ({
    index: a.index!, cookie: a.cookie ?? null, packets: a.stats?.packets ?? 0, overlimits: a.stats?.overlimits ?? 0,
  }));
}

export async function readPoliceActions(runner: KernelRunner): Promise<PoliceAction[]> {
  const result = await runner.probe(['tc', '-j', '-s', 'actions', 'ls', 'action', 'police']);
  // Without act_police loaded there are none (tc then fails to find the action kind).
  return result.code === 0 ? parsePoliceActions(result.stdout) : [];
}

/**
 * `tc actions add|change action police ...` arguments. tc's syntax is `conform-exceed EXCEED/CONFORM`: over the
 * budget "continue" (skip the mirror), within it "pipe" (on to mirred). Bytes: the burst holds 10 ms at the rate, and at least two
 * 64 KB GSO frames, with mtu 64 KB (police's default mtu of 2 KB would shed every GSO frame). Packets: 10 ms of
 * packets, at least 64.
 */
export function policeArgs(verb: 'add' | 'change', spec: PoliceSpec): string[] {
  const rate = spec.kind === 'bytes'
    ? ['rate', `${spec.rate}bit`, 'burst', String(Math.max(131072, Math.ceil(spec.rate / 8 / 100))), 'mtu', '65536']
    : ['pkts_rate', String(spec.rate), 'pkts_burst', String(Math.max(64, Math.ceil(spec.rate / 100)))];
  return ['actions', verb, 'action', 'police', ...rate, 'conform-exceed', 'continue/pipe', 'index', String(spec.index), 'cookie', policeCookie(spec)];
}

export function delPoliceArgs(index: number): string[] {
  return ['actions', 'delete', 'action', 'police', 'index', String(index)];
}

/**
 * Deleting a police action right after the filters that bound it were replaced or deleted: the kernel releases the
 * binding only once the old filters are destroyed (after an RCU grace period, in a work queue), and refuses until then.
 */
export function delPolice(index: number): Operation {
  return { ...tc(delPoliceArgs(index)), retry: { on: /Failed to delete TC action|bound/, attempts: 50, pauseMs: 100 } };
}
