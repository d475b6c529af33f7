// The kernel objects the receive side owns: names, the shared tc block, and the state read back from the kernel.
import type { L2tpSession, L2tpTunnel } from '../kernel/l2tp.js';
import type { Link } from '../kernel/links.js';
import type { BlockFilter, IngressQdisc } from '../kernel/tc-blocks.js';
import type { FragmentCounterState } from '../kernel/fragment-count.js';
import type { PinState } from '../kernel/source-pin.js';
import type { WgState } from '../transport/wireguard.js';

/** The aggregation interface the analyzer captures (a dummy device). */
export const AGGREGATION_IF = 'ruei-mtun';
export const SESSION_IF_PREFIX = 'ruei-mtun-';
export const SESSION_IF_PATTERN = /^ruei-mtun-(\d{5})$/;

/** Received bytes by session interface: the counters behind the collector's load (status, the monitor's readings). */
export function sessionRxBytes(links: readonly Link[]): Map<string, number> {
  return new Map(links.filter((l) => SESSION_IF_PATTERN.test(l.name) && l.rx).map((l) => [l.name, l.rx!.bytes]));
}
/** MTU of every interface involved: frames bigger than an interface's MTU are silently dropped. */
export const RECEIVE_MTU = 64000;
/** The shared ingress filter block every ruei-mtun-NNNNN is bound to ("RUEI" in ASCII), and our filter's pref in it. */
export const MIRROR_BLOCK = 0x52554549;
export const MIRROR_PREF = 49000;
/** The kernel modules start needs (clsact lives in sch_ingress). */
export const RECEIVE_MODULES = ['l2tp_core', 'l2tp_netlink', 'l2tp_eth', 'l2tp_ip', 'dummy', 'sch_ingress', 'cls_matchall', 'act_mirred'] as const;

export function sessionInterfaceName(index: number): string {
  return `${SESSION_IF_PREFIX}${String(index).padStart(5, '0')}`;
}

/** The index NNNNN of ruei-mtun-NNNNN, or null for any other name. */
export function sessionInterfaceIndex(name: string): number | null {
  const match = SESSION_IF_PATTERN.exec(name);
  return match ? Number(match[1]) : null;
}

/** Everything plan/receive needs from the kernel of one network namespace. */
export interface ReceiveKernelState {
  readonly links: readonly Link[];
  readonly tunnels: readonly L2tpTunnel[];
  readonly sessions: readonly L2tpSession[];
  /** clsact/ingress qdiscs by device (all devices: one bound to our block elsewhere keeps the block alive). */
  readonly ingressQdiscs: ReadonlyMap<string, IngressQdisc>;
  /** Filters in MIRROR_BLOCK. */
  readonly blockFilters: readonly BlockFilter[];
  /** False when the kernel has no IPv6 (then there is no addrgenmode to set). */
  readonly ipv6: boolean;
  /** The per-sender count of fragmented frames (kernel/fragment-count.ts); undefined: not read (planner tests). */
  readonly fragmentCounter?: FragmentCounterState;
  /** Source pinning's table (kernel/source-pin.ts); undefined: not read (planner tests, status). */
  readonly pin?: PinState;
  /** Encryption's objects (transport/wireguard.ts); undefined: not read (planner tests), which means none. */
  readonly wireguard?: WgState;
}
