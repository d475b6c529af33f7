// The transmit side as the kernel holds it, in one structure: shared by `status` and `diag tunnel check`.
import type { TunnelConf } from '../../config/tunnel.js';
import { describeTunnelId } from '../../config/values.js';
import type { LinkCounters } from '../../kernel/links.js';
import type { TcFilter } from '../../kernel/tc.js';
import { readKeepaliveStatus, type KeepaliveStatus } from '../../keepalive/sender.js';
import { BRIDGE, SESSION_IF, TRANSMIT_INTERFACES, TRANSMIT_MTU, VETH_IN, VETH_OUT, type TransmitKernelState } from '../../model/transmit.js';
import { isOurFilter } from '../../plan/transmit.js';
import { handshakeProblem, WG_TRANSMIT_IF } from '../../transport/wireguard.js';

export interface InterfaceRow {
  readonly name: string;
  readonly present: boolean;
  readonly up: boolean;
  readonly mtu: number | null;
  readonly promisc: boolean;
  readonly master: string | null;
  readonly rx: LinkCounters | null;
  readonly tx: LinkCounters | null;
}

export interface FilterRow {
  readonly dev: string;
  readonly hook: string;
  readonly pref: number;
  readonly protocol: string;
  /** flower keys as "ip_proto=tcp dst_port=80", "pass" guard included. */
  readonly match: string;
  readonly action: string;
  readonly packets: number;
  readonly drops: number;
}

export interface TransmitReport {
  readonly status: 'OK' | 'FAIL';
  readonly tunnel: { readonly tunnelId: number; readonly tunnelIdText: string; readonly localIp: string; readonly remoteIp: string; readonly sessionId: number; readonly cookie: boolean; readonly udpPort: number | null } | null;
  readonly interfaces: InterfaceRow[];
  readonly filters: FilterRow[];
  readonly keepalive: (KeepaliveStatus & { readonly ageSeconds: number | null; readonly stale: boolean }) | null;
  /** Why the status is FAIL, each in words a user can act on. */
  readonly problems: string[];
}

export function transmitReport(state: TransmitKernelState, conf: TunnelConf | null, now = Date.now(), keepalive = readKeepaliveStatus()): TransmitReport {
  const problems: string[] = [];
  const session = state.sessions.find((s) => s.interface === SESSION_IF);
  const tunnel = session ? state.tunnels.find((t) => t.tunnelId === session.tunnelId) : undefined;
  if (!session || !tunnel) problems.push(`the L2TP tunnel or its session ${SESSION_IF} does not exist: run ux-tunnel-transmit start`);
  else if (conf && (tunnel.local !== conf.transmitIp || tunnel.peer !== conf.receivingIp || tunnel.tunnelId !== conf.tunnelId)) {
    problems.push(`the tunnel runs ${tunnel.local} -> ${tunnel.peer} with ID ${tunnel.tunnelId}, but ${conf.file} says ${conf.transmitIp} -> ${conf.receivingIp} with ID ${conf.tunnelId}: run ux-tunnel-transmit restart`);
  }
  else if (conf && (session.cookie !== conf.cookie || session.peerCookie !== conf.cookie)) {
    // Never the values: they are the tunnel's secret.
    problems.push(`the tunnel's cookie is not the one ${conf.file}:${conf.line} gives (${conf.cookie ? 'cookie=' : 'no cookie'}): run ux-tunnel-transmit restart`);
  }
  if (conf?.wireguard) {
    const wg = handshakeProblem(state.wireguard, WG_TRANSMIT_IF, conf.wireguard, `the collector's line for this web server in tunnels.conf`, Math.floor(now / 1000));
    if (wg) problems.push(`encryption: ${wg}`);
    const tx = state.links.find((l) => l.name === WG_TRANSMIT_IF)?.tx;
    const lost = tx ? tx.errors + tx.dropped : 0;
    if (lost > 0) problems.push(`encryption: ${WG_TRANSMIT_IF} dropped ${lost} packets of the mirror (no WireGuard session with the collector at the time, or the encryption fell behind; ip -s link show ${WG_TRANSMIT_IF})`);
    const behind = encryptionBacklogDrops(state);
    if (behind.dropped > 0) {
      problems.push(`encryption: WireGuard dropped ${behind.exact ? '' : 'at least '}${behind.dropped} packets of the mirror that ${SESSION_IF} handed it (it queues at most 1024 per peer and drops, without counting them, what it cannot encrypt in time): ` +
        `the mirror outran this host's encryption; cap it below what ${WG_TRANSMIT_IF} sends per second with budget-mbit=N in ${conf.file} (shed frames are then counted), or mirror fewer ports`);
    }
  }
  const links = new Map(state.links.map((l) => [l.name, l]));
  const interfaces: InterfaceRow[] = TRANSMIT_INTERFACES.map((name) => {
    const l = links.get(name);
    if (!l) problems.push(`${name} does not exist: run ux-tunnel-transmit start`);
    else if (!l.up) problems.push(`${name} is down: run ux-tunnel-transmit start (ip link set dev ${name} up)`);
    else if (l.mtu !== TRANSMIT_MTU) problems.push(`${name} has MTU ${l.mtu}, not ${TRANSMIT_MTU}: bigger frames are dropped; run ux-tunnel-transmit start`);
    return { name, present: !!l, up: l?.up ?? false, mtu: l?.mtu ?? null, promisc: l?.promisc ?? false, master: state.masters.get(name) ?? null, rx: l?.rx ?? null, tx: l?.tx ?? null };
  });
  // Drops along the chain: copies the veth could not take, frames the session could not send, errors anywhere.
  const count = (name: string, dir: 'rx' | 'tx') => {
    const c = links.get(name)?.[dir];
    return c ? c.errors + c.dropped : 0;
  };
  for (const [name, dir] of [[VETH_IN, 'tx'], [VETH_OUT, 'rx'], [BRIDGE, 'tx'], [SESSION_IF, 'tx']] as const) {
    const n = count(name, dir);
    if (n > 0) problems.push(`${name} counted ${n} ${dir} errors/drops (ip -s -d link show ${name})${name === SESSION_IF ? `: is the receiving side reachable? (ip route get, firewalls must allow ${conf?.udpPort ? `UDP port ${conf.udpPort}` : 'IP protocol 115'})` : ''}`);
  }
  const filters = state.filters.filter(isOurFilter).map(filterRow);
  const lost = filters.reduce((n, f) => n + f.drops, 0);
  if (lost > 0) problems.push(`the mirror filters could not copy ${lost} frames into ${VETH_IN} (tc -s filter show dev ${filters[0]!.dev} ingress|egress)`);
  if (conf && !filters.some((f) => f.dev === conf.mirrorIf && f.action === 'mirror')) problems.push(`no mirror filter on ${conf.mirrorIf}: run ux-tunnel-transmit start`);
  let ka: TransmitReport['keepalive'] = null;
  if (keepalive) {
    const ageSeconds = keepalive.lastSent ? Math.max(0, Math.round((now - Date.parse(keepalive.lastSent)) / 1000)) : null;
    const stale = ageSeconds === null || ageSeconds > 3 * keepalive.interval;
    ka = { ...keepalive, ageSeconds, stale };
  }
  return {
    status: problems.length > 0 ? 'FAIL' : 'OK',
    tunnel: session && tunnel ? { tunnelId: tunnel.tunnelId, tunnelIdText: describeTunnelId(tunnel.tunnelId), localIp: tunnel.local, remoteIp: tunnel.peer, sessionId: session.sessionId, cookie: session.peerCookie !== null, udpPort: tunnel.localPort } : null,
    interfaces, filters, keepalive: ka, problems,
  };
}

function filterRow(f: TcFilter): FilterRow {
  const keys = Object.entries(f.keys ?? {}).filter(([k]) => k !== 'eth_type').map(([k, v]) => `${k}=${typeof v === 'object' ? Object.keys(v as object).join('/') : String(v)}`);
  return { dev: f.dev, hook: f.hook, pref: f.pref, protocol: f.protocol, match: keys.join(' ') || 'every frame', action: f.mirred ? 'mirror' : 'pass', packets: f.packets, drops: f.drops };
}

/**
 * Packets of the tunnel WireGuard took and never sent. Each L2TP packet is one WireGuard packet (its MTU is above the
 * tunnel's largest: transport/wireguard.ts), so ruei-tun1's tx packets less what WireGuard sent of them is exact when
 * the count of its data packets is there (transport/wireguard-sent.ts: made with ruei-tun1, so both count from zero;
 * read as one pair). Without it (no nftables), ruei-wg1's tx counter stands in: it also counts WireGuard's keepalives
 * and handshakes, so the difference is only a lower bound (never a false alarm; `exact` false).
 */
export function encryptionBacklogDrops(state: Pick<TransmitKernelState, 'links' | 'wgSentGap'>): { dropped: number; exact: boolean } {
  if (typeof state.wgSentGap === 'number') return { dropped: Math.max(0, state.wgSentGap), exact: true };
  const tx = (name: string) => state.links.find((l) => l.name === name)?.tx?.packets;
  const [into, out] = [tx(SESSION_IF), tx(WG_TRANSMIT_IF)];
  return { dropped: into === undefined || out === undefined ? 0 : Math.max(0, into - out), exact: false };
}
