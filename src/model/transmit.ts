// The kernel objects the transmit side owns: names, MTU, tc prefs, the keepalive's address, and the state read back.
import type { L2tpSession, L2tpTunnel } from '../kernel/l2tp.js';
import type { Link } from '../kernel/links.js';
import type { TcFilter, TcQdisc } from '../kernel/tc.js';
import type { BudgetKind, PoliceAction } from '../kernel/tc-police.js';
import type { WgState } from '../transport/wireguard.js';
import type { WgSentState } from '../transport/wireguard-sent.js';

/** tc mirred copies frames into VETH_IN; its peer VETH_OUT and the session SESSION_IF are the ports of BRIDGE. */
export const VETH_IN = 'ruei-veth1in';
export const VETH_OUT = 'ruei-veth1out';
export const BRIDGE = 'ruei-br1';
export const SESSION_IF = 'ruei-tun1';
export const TRANSMIT_INTERFACES = [VETH_IN, VETH_OUT, BRIDGE, SESSION_IF] as const;
/** MTU of all four: a frame bigger than an interface's MTU is silently dropped (GRO/GSO frames are segmented). */
export const TRANSMIT_MTU = 64000;

/**
 * Our tc filters on the mirror NIC live at prefs GUARD_PREF..MAX_PREF, on both hooks of its clsact qdisc; anything
 * else there belongs to someone else. GUARD_PREF holds the loop guard (only with "all"), mirrors follow from FIRST_MIRROR_PREF.
 */
export const GUARD_PREF = 46100;
export const FIRST_MIRROR_PREF = 46101;
export const MAX_PREF = 46999;

/**
 * The mirror queue: every mirrored frame is handed to VETH_IN, whose peer queues it on one CPU's backlog (RPS with a
 * one-CPU mask on VETH_OUT's receive queue), and that CPU alone does the tunnel's work (segmentation, checksums, L2TP,
 * fragmentation). Frames mirrored on different CPUs then leave in the order they were mirrored: without it each CPU's
 * backlog is drained on its own, and frames of one TCP direction mirrored on two CPUs overtake each other.
 */
export const MIRROR_RPS_FILE = `/sys/class/net/${VETH_OUT}/queues/rx-0/rps_cpus`;

/** Indexes of the mirror budget's police actions (tc-police.ts), one per kind of rate. */
export const BUDGET_INDEX: Readonly<Record<BudgetKind, number>> = { bytes: 46100, packets: 46110 };

/** The keepalive is sent from this address on VETH_IN (a /32, scope link, no ARP) to the limited broadcast. */
export const KEEPALIVE_SOURCE = '169.254.115.1';
export const KEEPALIVE_PORT = 11115;
export const KEEPALIVE_INTERVAL_SECONDS = 20;

/** clsact lives in sch_ingress; l2tp_netlink is what `ip l2tp` talks to. */
export const TRANSMIT_MODULES = ['veth', 'bridge', 'l2tp_core', 'l2tp_netlink', 'l2tp_eth', 'l2tp_ip', 'sch_ingress', 'cls_flower', 'act_mirred', 'act_gact'] as const;
/** Needed only with a mirror budget. */
export const BUDGET_MODULES = ['act_police'] as const;

/** Everything plan/transmit needs from the kernel of one network namespace. */
export interface TransmitKernelState {
  readonly links: readonly Link[];
  /** Bridge port -> its bridge (the master field of ip -j link). */
  readonly masters: ReadonlyMap<string, string>;
  /** IPv4 addresses (without prefix length) of VETH_IN. */
  readonly vethInAddresses: readonly string[];
  /** NOARP flag of VETH_IN. */
  readonly vethInNoArp: boolean;
  readonly tunnels: readonly L2tpTunnel[];
  readonly sessions: readonly L2tpSession[];
  /** clsact/ingress qdiscs by device (every device: stop finds our filters wherever they are). */
  readonly qdiscs: ReadonlyMap<string, TcQdisc>;
  /** Root qdisc kind of SESSION_IF; null when it does not exist. */
  readonly sessionRootQdisc: string | null;
  /** Every filter of every clsact/ingress qdisc, both hooks. */
  readonly filters: readonly TcFilter[];
  /** False when the kernel has no IPv6 (then there is no addrgenmode to set). */
  readonly ipv6: boolean;
  /** Every tc police action of the namespace (the budget's are ours by their cookie). */
  readonly police: readonly PoliceAction[];
  /** VETH_OUT's RPS mask (rps_cpus, as a number); null when VETH_OUT does not exist. */
  readonly mirrorRpsMask: bigint | null;
  /** The CPUs online now (/sys/devices/system/cpu/online); the mirror queue goes to the last one. */
  readonly onlineCpus: readonly number[];
  /** Encryption's objects (transport/wireguard.ts); undefined: not read (planner tests), which means none. */
  readonly wireguard?: WgState;
  /**
   * The count of the tunnel's packets WireGuard sent (transport/wireguard-sent.ts): its table, and while it is there
   * SESSION_IF's transmitted packets less that count (readWgSentGap). Undefined: not read (planner tests, or neither
   * encrypted nor asked), which means unavailable.
   */
  readonly wgSent?: WgSentState;
  readonly wgSentGap?: number | null;
}

/** rps_cpus text ("00000000,00000004") as a number; null when unreadable (""). */
export function parseCpuMask(text: string): bigint | null {
  const hex = text.trim().replaceAll(',', '');
  return /^[0-9a-fA-F]+$/.test(hex) ? BigInt(`0x${hex}`) : null;
}

/** A CPU list as the kernel prints it ("0-3,6") as numbers. */
export function parseCpuList(text: string): number[] {
  const cpus: number[] = [];
  for (const part of text.trim().split(',').filter(Boolean)) {
    const [a, b] = part.split('-').map(Number) as [number, number | undefined];
    for (let c = a; c <= (b ?? a); c++) cpus.push(c);
  }
  return cpus;
}

/** The mask rps_cpus takes for one CPU: hex, 32-bit groups separated by commas as the kernel prints them. */
export function cpuMaskText(cpu: number): string {
  const hex = (1n << BigInt(cpu)).toString(16);
  const groups: string[] = [];
  for (let end = hex.length; end > 0; end -= 8) groups.unshift(hex.slice(Math.max(0, end - 8), end));
  return groups.join(',');
}
