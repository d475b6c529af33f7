// tc on a device's clsact/ingress qdisc: readers of `tc -j qdisc` / `tc -j -s filter` and argv builders for flower mirrors.
import type { KernelRunner } from './runner.js';

export type Hook = 'ingress' | 'egress';

export interface TcQdisc {
  readonly dev: string;
  /** "clsact" (ingress and egress hooks) or "ingress" (ingress hook only). */
  readonly kind: 'clsact' | 'ingress';
}

export interface TcFilter {
  readonly dev: string;
  readonly hook: Hook;
  readonly pref: number;
  /** "ip", "ipv6", "all", ... as tc prints it. */
  readonly protocol: string;
  /** "flower", "u32", "matchall", ... */
  readonly kind: string;
  readonly handle: string | null;
  /** flower's match keys as tc -j prints them; null for other kinds. */
  readonly keys: Readonly<Record<string, unknown>> | null;
  /** The mirred action's "egress mirror" / "ingress redirect" and target device; null without one. */
  readonly mirred: { readonly how: string; readonly toDev: string } | null;
  /** The kind ("mirred", "gact") and control ("pass", "continue", ...) of the first action other than police. */
  readonly action: string | null;
  readonly control: string | null;
  /** Indexes of the police actions (the mirror budget) before it, in order. */
  readonly police: readonly number[];
  /** Packets that action saw (tc -s): for mirred, the frames copied; 0 when the kernel gives no counter. */
  readonly packets: number;
  /** Packets it dropped, plus its overlimits (a mirred that cannot hand a copy to the mirror device counts one). */
  readonly drops: number;
}

/** How one of our filters looks: planned by plan/transmit, compared with TcFilter by sameFilter. */
export interface FilterSpec {
  readonly hook: Hook;
  readonly pref: number;
  readonly protocol: 'ip' | 'ipv6' | 'all';
  /** flower match arguments, e.g. ['ip_proto', 'tcp', 'dst_port', '80']. */
  readonly match: readonly string[];
  /** mirror: copy to the mirror device and let classification continue; pass: stop here, copy nothing (loop guard). */
  readonly action: 'mirror' | 'pass';
  /** The mirror budget's police actions (tc-police.ts) a frame must conform to before it is copied, by index. */
  readonly police?: readonly number[];
}

interface RawQdisc {
  kind: string;
  dev?: string;
  parent?: string;
}
interface RawAction {
  kind?: string;
  index?: number;
  mirred_action?: string;
  direction?: string;
  to_dev?: string;
  control_action?: { type?: string };
  stats?: { packets?: number; drops?: number; overlimits?: number };
}
interface RawFilter {
  protocol?: string;
  pref: number;
  kind: string;
  ingress?: boolean;
  options?: { handle?: number | string; fh?: string; keys?: Record<string, unknown>; actions?: RawAction[] };
}

export function parseQdiscs(json: string): Map<string, TcQdisc> {
  const found = new Map<string, TcQdisc>();
  if (json.trim() === '') return found;
  for (const q of JSON.parse(json) as RawQdisc[]) {
    if ((q.kind === 'clsact' || q.kind === 'ingress') && q.dev) found.set(q.dev, { dev: q.dev, kind: q.kind });
  }
  return found;
}

/**
 * Filters of `tc -j -s filter show dev DEV HOOK`. tc prints a head entry per pref without options (skipped). On a
 * plain ingress qdisc, asking for egress prints the ingress filters marked "ingress": true; those are skipped too.
 */
export function parseFilters(json: string, dev: string, hook: Hook): TcFilter[] {
  if (json.trim() === '') return [];
  return (JSON.parse(json) as RawFilter[])
    .filter((f) => f.options !== undefined && !(hook === 'egress' && f.ingress === true))
    .map((f) => {
      const actions = f.options?.actions ?? [];
      const mirred = actions.find((a) => a.kind === 'mirred');
      const first = actions.find((a) => a.kind !== 'police');
      const handle = f.options?.handle ?? f.options?.fh;
      return {
        dev,
        hook,
        pref: f.pref,
        protocol: f.protocol ?? 'all',
        kind: f.kind,
        handle: handle === undefined ? null : String(handle),
        keys: f.kind === 'flower' ? (f.options?.keys ?? {}) : null,
        mirred: mirred ? { how: `${mirred.direction ?? ''} ${mirred.mirred_action ?? ''}`.trim(), toDev: mirred.to_dev ?? '' } : null,
        action: first?.kind ?? null,
        control: first?.control_action?.type ?? null,
        police: actions.slice(0, first ? actions.indexOf(first) : actions.length).filter((a) => a.kind === 'police').map((a) => a.index ?? -1),
        packets: first?.stats?.packets ?? 0,
        // mirred counts a copy the mirror device refused (its queue full) as an overlimit, not as a drop.
        drops: (first?.stats?.drops ?? 0) + (first?.kind === 'mirred' ? (first.stats?.overlimits ?? 0) : 0),
      };
    });
}

/** Root qdisc kind by device ("noqueue", "fq_codel", ...). */
export function parseRootQdiscs(json: string): Map<string, string> {
  const found = new Map<string, string>();
  if (json.trim() === '') return found;
  for (const q of JSON.parse(json) as Array<RawQdisc & { root?: boolean }>) if (q.root && q.dev) found.set(q.dev, q.kind);
  return found;
}

/** Every clsact/ingress qdisc of this namespace and all the filters on their hooks; root qdisc kinds too. */
export async function readQdiscsAndFilters(runner: KernelRunner): Promise<{ qdiscs: Map<string, TcQdisc>; roots: Map<string, string>; filters: TcFilter[] }> {
  const json = (await runner.read(['tc', '-j', 'qdisc', 'show'])).stdout;
  const qdiscs = parseQdiscs(json);
  const filters: TcFilter[] = [];
  for (const q of qdiscs.values()) {
    for (const hook of q.kind === 'clsact' ? (['ingress', 'egress'] as const) : (['ingress'] as const)) {
      filters.push(...parseFilters((await runner.read(['tc', '-j', '-s', 'filter', 'show', 'dev', q.dev, hook])).stdout, q.dev, hook));
    }
  }
  return { qdiscs, roots: parseRootQdiscs(json), filters };
}

export function addClsactArgs(dev: string): string[] {
  return ['qdisc', 'add', 'dev', dev, 'clsact'];
}

export function delQdiscArgs(dev: string, kind: string): string[] {
  return ['qdisc', 'del', 'dev', dev, kind];
}

// One flower filter per pref, always handle 1: deletion can then name exactly the filter we made.
export function addFilterArgs(dev: string, spec: FilterSpec, mirrorDev: string, verb: 'add' | 'replace' = 'add'): string[] {
  const budget = (spec.police ?? []).flatMap((index) => ['action', 'police', 'index', String(index)]);
  const action = spec.action === 'mirror' ? [...budget, 'action', 'mirred', 'egress', 'mirror', 'dev', mirrorDev, 'continue'] : ['action', 'pass'];
  return ['filter', verb, 'dev', dev, spec.hook, 'pref', String(spec.pref), 'protocol', spec.protocol, 'handle', '1', 'flower', ...spec.match, ...action];
}

export function delFilterArgs(dev: string, hook: Hook, pref: number, protocol: string, handle: string | null, kind: string): string[] {
  const exact = handle !== null ? ['handle', handle, kind] : [];
  return ['filter', 'del', 'dev', dev, hook, 'pref', String(pref), 'protocol', protocol, ...exact];
}

/** True when the kernel's filter is the one the spec describes (same hook, pref, protocol, keys and action). */
export function sameFilter(filter: TcFilter, spec: FilterSpec, mirrorDev: string): boolean {
  return filter.pref === spec.pref && sameMatch(filter, spec, mirrorDev) && samePolice(filter, spec);
}

/** The same frames on the same hook, copied to the same place (or passed), wherever its pref and whatever its budget. */
export function sameMatch(filter: TcFilter, spec: FilterSpec, mirrorDev: string): boolean {
  if (filter.hook !== spec.hook || filter.protocol !== spec.protocol || filter.kind !== 'flower') return false;
  if (spec.action === 'mirror' ? !(filter.mirred?.how === 'egress mirror' && filter.mirred.toDev === mirrorDev && filter.control === 'continue') : !(filter.action === 'gact' && filter.control === 'pass')) return false;
  return normalizedKeys(filter.keys ?? {}) === normalizedKeys(keysOf(spec.match));
}

/** Bound to the same police actions (the mirror budget), in the same order. */
export function samePolice(filter: TcFilter, spec: FilterSpec): boolean {
  return filter.police.join(',') === (spec.police ?? []).join(',');
}

/** The keys tc -j prints for flower match arguments (eth_type comes from the protocol and is left out). */
export function keysOf(match: readonly string[]): Record<string, unknown> {
  const keys: Record<string, unknown> = {};
  for (let i = 0; i + 1 < match.length; i += 2) {
    const name = match[i]!;
    const value = match[i + 1]!;
    if (name === 'ip_flags') keys[name] = Object.fromEntries(value.split('/').map((f) => (f.startsWith('no') ? [f.slice(2), false] : [f, true])));
    // tc reads a numeric ip_proto as hex and prints it back without "0x" (0x73 = 115, L2TP -> "73").
    else if (name === 'ip_proto' && value.startsWith('0x')) keys[name] = value.slice(2);
    else keys[name] = /^[0-9]+$/.test(value) && name.endsWith('_port') ? Number(value) : value;
  }
  return keys;
}

function normalizedKeys(keys: Readonly<Record<string, unknown>>): string {
  const copy: Record<string, unknown> = { ...keys };
  delete copy.eth_type;
  return JSON.stringify(Object.keys(copy).sort().map((k) => [k, copy[k]]));
}
