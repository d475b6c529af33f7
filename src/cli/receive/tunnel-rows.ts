// Configured tunnels joined with what the kernel holds, one row each: shared by `status` and `diag tunnels check`.
import type { ReceiveTunnel } from '../../config/tunnels.js';
import { describeTunnelId } from '../../config/values.js';
import type { LinkCounters } from '../../kernel/links.js';
import { handshakeProblem, WG_RECEIVE_IF } from '../../transport/wireguard.js';
import { AGGREGATION_IF, MIRROR_BLOCK, MIRROR_PREF, RECEIVE_MTU, sessionInterfaceIndex, type ReceiveKernelState } from '../../model/receive.js';

export interface TunnelRow {
  /** The tunnels.conf line; null for an owned tunnel in the kernel that is not configured (any more). */
  readonly line: number | null;
  readonly interface: string | null;
  readonly ifindex: number | null;
  readonly localIp: string;
  readonly remoteIp: string;
  readonly tunnelId: number;
  readonly tunnelIdText: string;
  readonly configured: boolean;
  readonly present: boolean;
  readonly rx: LinkCounters | null;
  readonly status: 'OK' | 'FAIL';
  /** Why the status is FAIL, in words a user can act on. */
  readonly problems: string[];
}

export interface AggregationRow {
  readonly interface: string;
  readonly present: boolean;
  readonly ifindex: number | null;
  /** Mirrored frames show as transmitted on ruei-mtun (tc mirred egress into the dummy). */
  readonly tx: LinkCounters | null;
  readonly filter: boolean;
  readonly status: 'OK' | 'FAIL';
  readonly problems: string[];
}

export function aggregationRow(state: ReceiveKernelState): AggregationRow {
  const link = state.links.find((l) => l.name === AGGREGATION_IF);
  const filter = state.blockFilters.some((f) => f.pref === MIRROR_PREF && f.toDev === AGGREGATION_IF);
  const problems: string[] = [];
  if (!link) problems.push(`${AGGREGATION_IF} does not exist: run ux-tunnel-receive start`);
  else if (!link.up || !link.promisc || link.mtu !== RECEIVE_MTU) problems.push(`${AGGREGATION_IF} is not up/promisc/mtu ${RECEIVE_MTU}: run ux-tunnel-receive reload`);
  const hasTunnels = state.sessions.some((s) => sessionInterfaceIndex(s.interface) !== null);
  if (hasTunnels && !filter) problems.push(`the mirror filter (block ${MIRROR_BLOCK} pref ${MIRROR_PREF}) is missing: run ux-tunnel-receive reload`);
  return { interface: AGGREGATION_IF, present: !!link, ifindex: link?.ifindex ?? null, tx: link?.tx ?? null, filter, status: problems.length ? 'FAIL' : 'OK', problems };
}

export function tunnelRows(configured: readonly ReceiveTunnel[], state: ReceiveKernelState, nowMs = Date.now()): TunnelRow[] {
  const links = new Map(state.links.map((l) => [l.name, l]));
  const tunnels = new Map(state.tunnels.map((t) => [t.tunnelId, t]));
  const ownedSessions = state.sessions.filter((s) => sessionInterfaceIndex(s.interface) !== null);
  const sessionByTunnel = new Map(ownedSessions.map((s) => [s.tunnelId, s]));
  const rows: TunnelRow[] = [];
  const row = (line: number | null, tunnelId: number, localIp: string, remoteIp: string, configuredToo: boolean, cookie?: string | null, wireguard?: string | null): TunnelRow => {
    const kernelTunnel = tunnels.get(tunnelId);
    const session = sessionByTunnel.get(tunnelId);
    const link = session ? links.get(session.interface) : undefined;
    const problems: string[] = [];
    if (!configuredToo) problems.push('in the kernel but not in tunnels.conf: run ux-tunnel-receive reload');
    if (!kernelTunnel || !session || !link) problems.push('configured but not in the kernel: run ux-tunnel-receive reload');
    else {
      if (kernelTunnel.local !== localIp || kernelTunnel.peer !== remoteIp) problems.push(`the kernel tunnel runs ${kernelTunnel.local} -> ${kernelTunnel.peer}: run ux-tunnel-receive reload`);
      if (cookie !== undefined && (session.cookie !== cookie || session.peerCookie !== cookie)) problems.push(`the kernel session's cookie is not the one of tunnels.conf line ${line}: run ux-tunnel-receive reload`);
      const wg = wireguard ? handshakeProblem(state.wireguard, WG_RECEIVE_IF, wireguard, `the web server's tunnel.conf`, Math.floor(nowMs / 1000)) : null;
      if (wg) problems.push(`encryption: ${wg}`);
      if (!link.up) problems.push(`${link.name} is down`);
      const qdisc = state.ingressQdiscs.get(link.name);
      if (qdisc?.ingressBlock !== MIRROR_BLOCK) problems.push(`${link.name} is not mirrored into ${AGGREGATION_IF} (no clsact on block ${MIRROR_BLOCK})`);
      if (link.rx.errors > 0) problems.push(`${link.rx.errors} receive errors`);
      if (link.rx.dropped > 0) problems.push(`${link.rx.dropped} frames dropped on receive (an MTU too small?)`);
    }
    return {
      line, interface: session?.interface ?? null, ifindex: link?.ifindex ?? null, localIp, remoteIp, tunnelId,
      tunnelIdText: describeTunnelId(tunnelId), configured: configuredToo, present: !!(kernelTunnel && session && link),
      rx: link?.rx ?? null, status: problems.length ? 'FAIL' : 'OK', problems,
    };
  };
  for (const t of configured) rows.push(row(t.line, t.tunnelId, t.receivingIp, t.transmitIp, true, t.cookie, t.wireguard));
  const configuredIds = new Set(configured.map((t) => t.tunnelId));
  for (const s of ownedSessions) {
    const t = tunnels.get(s.tunnelId);
    if (!configuredIds.has(s.tunnelId) && t) rows.push(row(null, s.tunnelId, t.local, t.peer, false));
  }
  return rows;
}
