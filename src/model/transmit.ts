// The kernel objects the transmit side owns: names, MTU, tc prefs, the keepalive's address, and the state read back.
import type { L2tpSession, L2tpTunnel } from '../kernel/l2tp.js';
import type { Link } from '../kernel/links.js';
import type { TcFilter, TcQdisc } from '../kernel/tc.js';

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

/** The keepalive is sent from this address on VETH_IN (a /32, scope link, no ARP) to the limited broadcast. */
export const KEEPALIVE_SOURCE = '169.254.115.1';
export const KEEPALIVE_PORT = 11115;
export const KEEPALIVE_INTERVAL_SECONDS = 20;

/** clsact lives in sch_ingress; l2tp_netlink is what `ip l2tp` talks to. */
export const TRANSMIT_MODULES = ['veth', 'bridge', 'l2tp_core', 'l2tp_netlink', 'l2tp_eth', 'l2tp_ip', 'sch_ingress', 'cls_flower', 'act_mirred', 'act_gact'] as const;

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
}
