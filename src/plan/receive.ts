// Pure planning for the receive side: configured tunnels + kernel state -> ordered operations (adds before deletes).
import type { ReceiveTunnel } from '../config/tunnels.js';
import { describeTunnelId } from '../config/values.js';
import { sameEncap, type L2tpSession, type L2tpTunnel } from '../kernel/l2tp.js';
import { L2TPV3_IP } from '../transport/l2tpv3-ip.js';
import { transportOf } from '../transport/l2tpv3-udp.js';
import { addFragmentCounter, removeFragmentCounter } from '../kernel/fragment-count.js';
import { planPin, removePin, type PinMode } from '../kernel/source-pin.js';
import type { Link } from '../kernel/links.js';
import { addBlockMirrorArgs, addClsactWithBlockArgs, delBlockFilterArgs, delQdiscArgs } from '../kernel/tc-blocks.js';
import {
  AGGREGATION_IF, MIRROR_BLOCK, MIRROR_PREF, RECEIVE_MTU, sessionInterfaceIndex, sessionInterfaceName, type ReceiveKernelState,
} from '../model/receive.js';
import { ip, tc, type Operation } from './operation.js';
import { NO_WG, planWireguard, removeWireguard, WG_PORT, WG_RECEIVE_IF, type WgDesired } from '../transport/wireguard.js';
import type { WgKey } from '../transport/wireguard.js';
import { formatIPv4 } from '../config/values.js';

export interface PlannedTunnel {
  readonly tunnel: ReceiveTunnel;
  readonly ifname: string;
}

export interface ReceivePlan {
  readonly operations: Operation[];
  /** Configured tunnels already in the kernel as configured: no operation touches them (repaired ones excepted). */
  readonly kept: PlannedTunnel[];
  readonly added: PlannedTunnel[];
  /** In the kernel under the configured ID but with other addresses or IDs: deleted and added again. */
  readonly replaced: PlannedTunnel[];
  /** Kept tunnels whose interface had drifted (MTU, promisc, down, qdisc): fixed in place, not recreated. */
  readonly repaired: PlannedTunnel[];
  /** Owned tunnels no longer configured (tunnel IDs), and stray ruei-mtun-NNNNN interfaces. */
  readonly removed: number[];
  readonly removedLinks: string[];
  /**
   * How many leading operations to apply, and wait for, before the rest: a replaced tunnel is re-added under the same
   * tunnel and session ID, which the kernel frees only once its asynchronous deletion has finished. 0: no split.
   */
  readonly replaceDeletesEnd: number;
  /** Kernel objects we do not own that stand in the way; nothing may be applied while there are any. */
  readonly conflicts: string[];
  /** Source pinning asked for where nftables does not work; nothing may be applied then either. */
  readonly pinProblem: string | null;
}

/**
 * Plans start/reload: afterwards the kernel holds exactly `desired`, aggregated into ruei-mtun, and only their senders
 * may reach them (source pinning: `pin` on or off, or keep, which updates the table only where it is).
 */
export function planReceive(desired: readonly ReceiveTunnel[], state: ReceiveKernelState, pin: PinMode = 'keep', key: WgKey | null = null): ReceivePlan {
  const view = new KernelView(state);
  const plan = { kept: [] as PlannedTunnel[], added: [] as PlannedTunnel[], replaced: [] as PlannedTunnel[], repaired: [] as PlannedTunnel[] };
  const conflicts: string[] = [];
  const usedIndexes = new Set(state.links.map((l) => sessionInterfaceIndex(l.name)).filter((i): i is number => i !== null));
  let nextIndex = 0;
  const freshName = () => {
    while (usedIndexes.has(nextIndex)) nextIndex++;
    usedIndexes.add(nextIndex);
    return sessionInterfaceName(nextIndex);
  };

  // Tunnel IDs deleted before anything is created (replaced ones, and removed ones whose UDP port a new one takes).
  const earlyDeletes: number[] = [];
  const create: PlannedTunnel[] = [];
  const linkRepairs: Operation[] = [];
  const qdiscRepairs: Operation[] = [];
  for (const tunnel of desired) {
    const where = `line ${tunnel.line}: tunnel ID ${describeTunnelId(tunnel.tunnelId)}`;
    const existing = view.tunnelsById.get(tunnel.tunnelId);
    const sessions = view.sessionsByTunnel.get(tunnel.tunnelId) ?? [];
    const foreignSession = view.sessionsById.get(tunnel.tunnelId)?.find((s) => sessionInterfaceIndex(s.interface) === null);
    if (existing && sessions.length > 0 && !view.owned(tunnel.tunnelId)) {
      conflicts.push(`${where} is already used by an L2TP tunnel ux-tunnel-receive does not own (session interfaces ${sessions.map((s) => s.interface).join(', ')}): delete it or configure another tunnel ID`);
      continue;
    }
    if (foreignSession) {
      conflicts.push(`${where}: L2TP session ID ${tunnel.tunnelId} is already used by session interface ${foreignSession.interface} (tunnel ${foreignSession.tunnelId}), which ux-tunnel-receive does not own; over IP, session IDs must be unique: delete it or configure another tunnel ID`);
      continue;
    }
    if (!existing) {
      create.push({ tunnel, ifname: freshName() });
      continue;
    }
    const session = sessions[0];
    const link = session ? view.linksByName.get(session.interface) : undefined;
    if (!session || !link || !matches(existing, sessions, tunnel)) {
      // An orphan tunnel (a crash between tunnel and session add) or one with other addresses/IDs: recreate it.
      earlyDeletes.push(tunnel.tunnelId);
      // A fresh name: the kernel unregisters the old interface asynchronously, after `l2tp del tunnel` returns.
      const planned = { tunnel, ifname: freshName() };
      plan.replaced.push(planned);
      create.push(planned);
      continue;
    }
    const planned = { tunnel, ifname: link.name };
    const repairs = repairLink(link).concat(repairQdisc(link.name, state));
    if (repairs.length > 0) {
      plan.repaired.push(planned);
      for (const r of repairs) (r.tool === 'tc' ? qdiscRepairs : linkRepairs).push(r);
    } else plan.kept.push(planned);
  }

  const desiredIds = new Set(desired.map((t) => t.tunnelId));
  const removed = [...view.ownedTunnelIds].filter((id) => !desiredIds.has(id)).sort((a, b) => a - b);
  // A UDP port passes from a removed tunnel to a new one: the kernel binds one socket a port, so that removal goes first.
  const newUdpEnds = new Set(create.filter((c) => c.tunnel.udpPort !== null).map((c) => `${c.tunnel.receivingIp}:${c.tunnel.udpPort}`));
  const portFreedFirst = new Set(removed.filter((r) => newUdpEnds.has(udpEndOf(view.tunnelsById.get(r)))));
  earlyDeletes.push(...portFreedFirst);
  const sessionIfs = new Set(state.sessions.map((s) => s.interface));
  const removedLinks = strayLinks(state, sessionIfs);

  const operations: Operation[] = [];
  operations.push(...aggregationOperations(state));
  // Counting before the first tunnel exists, so a tunnel's count covers all its frames.
  if (desired.length > 0) operations.push(...addFragmentCounter(state.fragmentCounter));
  // The senders allowed before their tunnels exist; the ones removed refused only after their tunnels are gone.
  const pinning = planPin(desired, state.pin, pin);
  operations.push(...pinning.before);
  // Encryption before any tunnel exists, its unused peers removed after the tunnels that used them.
  const encryption = planWireguard(wgDesired(desired, key), state.wireguard ?? NO_WG, WG_RECEIVE_IF);
  conflicts.push(...encryption.conflicts);
  const unkeyed = desired.filter((t) => t.wireguard).map((t) => t.line);
  if (unkeyed.length > 0 && !key) conflicts.push(`line(s) ${unkeyed.join(', ')} ask for encryption (wireguard=) but this host has no WireGuard key: run ux-tunnel-receive keys`);
  operations.push(...encryption.before);
  operations.push(...earlyDeletes.map((id) => L2TPV3_IP.remove(id)));
  const replaceDeletesEnd = earlyDeletes.length > 0 ? operations.length : 0;
  for (const { tunnel, ifname } of create) {
    const id = tunnel.tunnelId;
    operations.push(...transportOf(tunnel.udpPort).create({ tunnelId: id, local: tunnel.receivingIp, remote: tunnel.transmitIp, ifname, cookie: tunnel.cookie }));
    // Before the interface is up: no IPv6 link-local address, so the collector never sends NDP/MLD into a tunnel.
    if (state.ipv6) operations.push(ip(['link', 'set', 'dev', ifname, 'addrgenmode', 'none']));
    operations.push(ip(['link', 'set', 'dev', ifname, 'mtu', String(RECEIVE_MTU), 'promisc', 'on']));
  }
  operations.push(...linkRepairs);
  operations.push(...qdiscRepairs);
  for (const { ifname } of create) operations.push(tc(addClsactWithBlockArgs(ifname, MIRROR_BLOCK)));
  // The shared block lives only while a qdisc binds it. When every interface bound to it is deleted before the new
  // ones bind (a reload that replaces all tunnels, e.g. the only one's cookie or port changed), the kernel destroys it
  // with our filter, and the new interfaces bind a new, empty block: the filter is then added again.
  const filter = blockOrphaned(state, earlyDeletes) ? 'missing' : filterState(state);
  if (desired.length > 0 && filter === 'wrong') operations.push(tc(delBlockFilterArgs(MIRROR_BLOCK, MIRROR_PREF)));
  if (desired.length > 0 && filter !== 'ok') {
    operations.push(tc(addBlockMirrorArgs(MIRROR_BLOCK, MIRROR_PREF, AGGREGATION_IF), tc(delBlockFilterArgs(MIRROR_BLOCK, MIRROR_PREF))));
  }
  // Up last: a tunnel carries frames only once its mirror into ruei-mtun is in place.
  for (const { ifname } of create) operations.push(ip(['link', 'set', 'dev', ifname, 'up']));
  for (const id of removed) if (!portFreedFirst.has(id)) operations.push(L2TPV3_IP.remove(id));
  for (const name of removedLinks) operations.push(ip(['link', 'del', 'dev', name]));
  operations.push(...encryption.after);
  operations.push(...pinning.after);
  const added = create.filter((c) => !plan.replaced.includes(c));
  return { operations, ...plan, added, removed, removedLinks, replaceDeletesEnd, conflicts, pinProblem: pinning.problem };
}

/** Plans stop: every owned object goes, ruei-mtun included. `configuredIds` also claims orphan tunnels (no session). */
export function planReceiveStop(state: ReceiveKernelState, configuredIds: ReadonlySet<number> = new Set()): Operation[] {
  const view = new KernelView(state);
  const operations: Operation[] = [];
  // The filter goes with the block when the last bound qdisc goes, unless a qdisc we do not own is bound to it too.
  if (filterState(state) !== 'missing') operations.push(tc(delBlockFilterArgs(MIRROR_BLOCK, MIRROR_PREF)));
  const ids = new Set(view.ownedTunnelIds);
  for (const t of state.tunnels) if (configuredIds.has(t.tunnelId) && !view.sessionsByTunnel.has(t.tunnelId)) ids.add(t.tunnelId);
  for (const id of [...ids].sort((a, b) => a - b)) operations.push(L2TPV3_IP.remove(id));
  const sessionIfs = new Set(state.sessions.map((s) => s.interface));
  for (const name of strayLinks(state, sessionIfs)) operations.push(ip(['link', 'del', 'dev', name]));
  if (view.linksByName.has(AGGREGATION_IF)) operations.push(ip(['link', 'del', 'dev', AGGREGATION_IF]));
  operations.push(...removeFragmentCounter(state.fragmentCounter));
  operations.push(...removeWireguard(state.wireguard ?? NO_WG, WG_RECEIVE_IF));
  operations.push(...removePin(state.pin));
  return operations;
}

/**
 * The collector's WireGuard interface: one peer per encrypted tunnel, allowed to send from its transmit-side-ip and,
 * behind NAT, from the address its tunnel ID names (inside the encryption the source is the web server's own address,
 * which NAT never sees); endpoints are learned from the handshakes.
 */
function wgDesired(desired: readonly ReceiveTunnel[], key: WgKey | null): WgDesired | null {
  const peers = desired.filter((t) => t.wireguard).map((t) => ({
    publicKey: t.wireguard!, endpoint: null,
    addresses: [...new Set([t.transmitIp, ...(t.explicitId ? [formatIPv4(t.tunnelId)] : [])])],
  }));
  if (!key || peers.length === 0) return null;
  return { ifname: WG_RECEIVE_IF, keyFile: key.file, publicKey: key.publicKey, listenPort: WG_PORT, peers };
}

/**
 * ruei-mtun-NNNNN interfaces that are no session's (someone's dummy under our name). Session interfaces of a deleted
 * tunnel linger without session and without link kind until the kernel unregisters them: those are left to go.
 */
function strayLinks(state: ReceiveKernelState, sessionIfs: ReadonlySet<string>): string[] {
  return state.links.filter((l) => sessionInterfaceIndex(l.name) !== null && !sessionIfs.has(l.name) && l.kind !== null).map((l) => l.name);
}

/** The session interfaces that go with the given tunnels (to wait for after deleting them). */
export function sessionInterfacesOf(state: ReceiveKernelState, tunnelIds: Iterable<number>): string[] {
  const ids = new Set(tunnelIds);
  return state.sessions.filter((s) => ids.has(s.tunnelId)).map((s) => s.interface);
}

class KernelView {
  readonly tunnelsById = new Map<number, L2tpTunnel>();
  readonly sessionsByTunnel = new Map<number, L2tpSession[]>();
  readonly sessionsById = new Map<number, L2tpSession[]>();
  readonly linksByName = new Map<string, Link>();
  /** Tunnels whose sessions are all ruei-mtun-NNNNN interfaces (and there is at least one). */
  readonly ownedTunnelIds = new Set<number>();

  constructor(state: ReceiveKernelState) {
    for (const t of state.tunnels) this.tunnelsById.set(t.tunnelId, t);
    for (const s of state.sessions) {
      push(this.sessionsByTunnel, s.tunnelId, s);
      push(this.sessionsById, s.sessionId, s);
    }
    for (const l of state.links) this.linksByName.set(l.name, l);
    for (const [id, sessions] of this.sessionsByTunnel) {
      if (this.tunnelsById.has(id) && sessions.every((s) => sessionInterfaceIndex(s.interface) !== null)) this.ownedTunnelIds.add(id);
    }
  }

  owned(id: number): boolean {
    return this.ownedTunnelIds.has(id);
  }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function matches(t: L2tpTunnel, sessions: readonly L2tpSession[], want: ReceiveTunnel): boolean {
  const id = want.tunnelId;
  const s = sessions[0]!;
  return sessions.length === 1 && sameEncap(t, want.udpPort) && t.local === want.receivingIp && t.peer === want.transmitIp
    && t.peerTunnelId === id && s.sessionId === id && s.peerSessionId === id && sessionInterfaceIndex(s.interface) !== null
    && s.cookie === want.cookie && s.peerCookie === want.cookie; // a changed cookie: the session is made again
}

/** True when the early deletes remove every interface bound to MIRROR_BLOCK (so it goes, and its filter with it). */
function blockOrphaned(state: ReceiveKernelState, earlyDeletes: readonly number[]): boolean {
  if (earlyDeletes.length === 0) return false;
  const deletedIds = new Set(earlyDeletes);
  const deletedIfs = new Set(state.sessions.filter((s) => deletedIds.has(s.tunnelId)).map((s) => s.interface));
  return ![...state.ingressQdiscs.values()].some((q) => q.ingressBlock === MIRROR_BLOCK && !deletedIfs.has(q.dev));
}

const udpEndOf = (t: L2tpTunnel | undefined): string => (t?.localPort ? `${t.local}:${t.localPort}` : '');

function repairLink(link: Link): Operation[] {
  if (link.mtu === RECEIVE_MTU && link.promisc && link.up) return [];
  return [ip(['link', 'set', 'dev', link.name, 'mtu', String(RECEIVE_MTU), 'promisc', 'on', 'up'])];
}

function repairQdisc(dev: string, state: ReceiveKernelState): Operation[] {
  const qdisc = state.ingressQdiscs.get(dev);
  if (qdisc?.kind === 'clsact' && qdisc.ingressBlock === MIRROR_BLOCK) return [];
  const add = tc(addClsactWithBlockArgs(dev, MIRROR_BLOCK));
  return qdisc ? [tc(delQdiscArgs(dev, qdisc.kind)), add] : [add];
}

function aggregationOperations(state: ReceiveKernelState): Operation[] {
  const link = state.links.find((l) => l.name === AGGREGATION_IF);
  const operations: Operation[] = [];
  if (link && link.kind === 'dummy') {
    if (link.mtu !== RECEIVE_MTU || !link.promisc || !link.up) {
      operations.push(ip(['link', 'set', 'dev', AGGREGATION_IF, 'mtu', String(RECEIVE_MTU), 'promisc', 'on', 'up']));
    }
    return operations;
  }
  if (link) operations.push(ip(['link', 'del', 'dev', AGGREGATION_IF])); // our name on something else: recreate it
  operations.push(ip(['link', 'add', AGGREGATION_IF, 'type', 'dummy'], ip(['link', 'del', 'dev', AGGREGATION_IF])));
  if (state.ipv6) operations.push(ip(['link', 'set', 'dev', AGGREGATION_IF, 'addrgenmode', 'none']));
  operations.push(ip(['link', 'set', 'dev', AGGREGATION_IF, 'mtu', String(RECEIVE_MTU), 'promisc', 'on', 'up']));
  return operations;
}

/** Our filter is right only when it mirrors to a ruei-mtun that is there to stay (mirred loses a deleted target). */
function filterState(state: ReceiveKernelState): 'ok' | 'missing' | 'wrong' {
  const ours = state.blockFilters.filter((f) => f.pref === MIRROR_PREF);
  if (ours.length === 0) return 'missing';
  const aggregation = state.links.find((l) => l.name === AGGREGATION_IF);
  const right = ours.length === 1 && ours[0]!.kind === 'matchall' && ours[0]!.mirred === 'egress mirror' && ours[0]!.toDev === AGGREGATION_IF;
  return right && aggregation?.kind === 'dummy' ? 'ok' : 'wrong';
}
