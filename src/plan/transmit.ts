// Pure planning for the transmit side: tunnel.conf + kernel state -> ordered ip/tc operations for start and stop.
import { sameEncap } from '../kernel/l2tp.js';
import type { TunnelConf } from '../config/tunnel.js';
import { L2TPV3_IP } from '../transport/l2tpv3-ip.js';
import { transportOf } from '../transport/l2tpv3-udp.js';
import { delPolice, delPoliceArgs, isOurPolice, policeArgs, policeCookie, type PoliceSpec } from '../kernel/tc-police.js';
import { addClsactArgs, addFilterArgs, delFilterArgs, delQdiscArgs, sameMatch, samePolice, type FilterSpec, type Hook, type TcFilter } from '../kernel/tc.js';
import {
  BRIDGE, BUDGET_INDEX, cpuMaskText, FIRST_MIRROR_PREF, MIRROR_RPS_FILE, GUARD_PREF, KEEPALIVE_SOURCE, MAX_PREF, SESSION_IF, TRANSMIT_MTU, VETH_IN, VETH_OUT,
  type TransmitKernelState,
} from '../model/transmit.js';
import { ip, tc, write, type Operation } from './operation.js';
import { NO_WG, planWireguard, removeWireguard, WG_PORT, WG_TRANSMIT_IF, type WgDesired, type WgKey } from '../transport/wireguard.js';
import { planWgSent, removeWgSent } from '../transport/wireguard-sent.js';

export interface TransmitPlan {
  readonly operations: Operation[];
  /** Objects in the way that we do not own: start refuses, before any change, when there is one. */
  readonly conflicts: string[];
  /**
   * When the tunnel is replaced (another collector, ID, cookie or transport): the operations up to this index end with
   * its deletion, and the tunnel ID must be gone from the kernel (it frees it asynchronously) before the rest re-adds
   * it; 0: nothing is replaced.
   */
  readonly replaceDeletesEnd?: number;
  readonly replacedTunnelId?: number;
}

const HOOKS: readonly Hook[] = ['ingress', 'egress'];

/**
 * The flower filters for a port list, on both hooks of the NIC. For iN, frames arriving for local port N and leaving
 * from it; for oN, frames leaving for remote port N and arriving from it. TCP only, IPv4 (any IHL: flower finds the
 * TCP header itself) and IPv6. flower reads no ports in IP fragments, so TCP fragments (rare: TCP sets DF) are
 * mirrored whatever their port. With "all", a guard first lets the tunnel's own packets pass uncopied (no loop).
 */
export function mirrorFilters(conf: Pick<TunnelConf, 'ports' | 'receivingIp' | 'budget'>): FilterSpec[] {
  const specs: FilterSpec[] = [];
  const police = budgetPolice(conf).map((p) => p.index);
  if (conf.ports === 'all') {
    specs.push({ hook: 'egress', pref: GUARD_PREF, protocol: 'ip', match: ['ip_proto', '0x73', 'dst_ip', conf.receivingIp], action: 'pass' });
    for (const hook of HOOKS) specs.push({ hook, pref: FIRST_MIRROR_PREF, protocol: 'all', match: [], action: 'mirror', police });
    return specs;
  }
  let pref = FIRST_MIRROR_PREF;
  for (const { direction, port } of conf.ports) {
    for (const protocol of ['ip', 'ipv6'] as const) {
      for (const hook of HOOKS) {
        // The local port is the destination of arriving frames (iN) and the source of leaving ones; oN the reverse.
        const localIsDst = (direction === 'in') === (hook === 'ingress');
        specs.push({ hook, pref, protocol, match: ['ip_proto', 'tcp', localIsDst ? 'dst_port' : 'src_port', String(port)], action: 'mirror', police });
      }
      pref++;
    }
  }
  for (const protocol of ['ip', 'ipv6'] as const) {
    for (const hook of HOOKS) specs.push({ hook, pref, protocol, match: ['ip_proto', 'tcp', 'ip_flags', 'frag'], action: 'mirror', police });
    pref++;
  }
  return specs;
}

/** The police actions of the mirror budget in tunnel.conf (none without one): bytes first, then packets. */
export function budgetPolice(conf: Pick<TunnelConf, 'budget'>): PoliceSpec[] {
  const specs: PoliceSpec[] = [];
  if (conf.budget?.mbit) specs.push({ index: BUDGET_INDEX.bytes, kind: 'bytes', rate: conf.budget.mbit * 1_000_000 });
  if (conf.budget?.pps) specs.push({ index: BUDGET_INDEX.packets, kind: 'packets', rate: conf.budget.pps });
  return specs;
}

/** One of our filters: at our prefs, and mirroring into VETH_IN or the flower pass guard. */
export function isOurFilter(filter: TcFilter): boolean {
  if (filter.pref < GUARD_PREF || filter.pref > MAX_PREF) return false;
  if (filter.mirred?.toDev === VETH_IN) return true;
  return filter.pref === GUARD_PREF && filter.kind === 'flower' && filter.action === 'gact' && filter.control === 'pass';
}

export function planStart(conf: TunnelConf, state: TransmitKernelState, key: WgKey | null = null): TransmitPlan {
  const ops: Operation[] = [];
  const conflicts: string[] = [];
  // Encryption first (before the tunnel exists, protocol 115 to the collector is encrypted or dropped), removed last.
  const encryption = planWireguard(wgDesired(conf, key), state.wireguard ?? NO_WG, WG_TRANSMIT_IF);
  conflicts.push(...encryption.conflicts);
  if (conf.wireguard && !key) conflicts.push(`${conf.file}:${conf.line} asks for encryption (wireguard=) but this host has no WireGuard key: run ux-tunnel-transmit keys`);
  ops.push(...encryption.before);
  const links = new Map(state.links.map((l) => [l.name, l]));
  const recreated = new Set<string>();

  // Interfaces with our names must be ours (of the right kind); otherwise we refuse rather than take them over.
  for (const [name, kind] of [[VETH_IN, 'veth'], [VETH_OUT, 'veth'], [BRIDGE, 'bridge']] as const) {
    const link = links.get(name);
    if (link && link.kind !== kind) conflicts.push(`an interface ${name} of kind ${link.kind ?? 'unknown'} exists (ours would be a ${kind}): remove or rename it (ip link del ${name})`);
  }
  if (links.has(VETH_IN) !== links.has(VETH_OUT)) conflicts.push(`only one of ${VETH_IN} / ${VETH_OUT} exists: it is not our veth pair; remove it (ip link del ...)`);
  if (!links.has(VETH_IN) && !links.has(VETH_OUT)) {
    ops.push(ip(['link', 'add', VETH_IN, 'type', 'veth', 'peer', 'name', VETH_OUT], ip(['link', 'del', VETH_IN])));
    recreated.add(VETH_IN).add(VETH_OUT);
  }
  if (!links.has(BRIDGE)) {
    // No learning: mirrored frames of both directions enter through one port, and a learning bridge drops those whose
    // destination it learned there. ageing_time 0 plus learning off on the ports (below) forwards every frame.
    ops.push(ip(['link', 'add', BRIDGE, 'type', 'bridge', 'ageing_time', '0', 'stp_state', '0'], ip(['link', 'del', BRIDGE])));
    recreated.add(BRIDGE);
  }

  // The tunnel: ours is the one whose session interface is SESSION_IF.
  const ourSession = state.sessions.find((s) => s.interface === SESSION_IF);
  const ourTunnel = ourSession ? state.tunnels.find((t) => t.tunnelId === ourSession.tunnelId) : undefined;
  const id = conf.tunnelId;
  const tunnelOk = ourSession && ourTunnel && ourTunnel.tunnelId === id && ourTunnel.peerTunnelId === id && ourTunnel.local === conf.transmitIp &&
    ourTunnel.peer === conf.receivingIp && sameEncap(ourTunnel, conf.udpPort) && ourSession.sessionId === id && ourSession.peerSessionId === id &&
    ourSession.cookie === conf.cookie && ourSession.peerCookie === conf.cookie;
  // Encrypted: the count of what WireGuard sent starts with the tunnel (both from zero), so a tunnel without it is remade.
  const sent = planWgSent(conf.wireguard ? conf.receivingIp : null, state.wgSent);
  const clash = state.tunnels.find((t) => t.tunnelId === id && t.tunnelId !== ourTunnel?.tunnelId);
  if (clash) conflicts.push(`L2TP tunnel ID ${id} is already used by another tunnel (${clash.local} -> ${clash.peer}) that is not ours: give a unique tunnel-id in field 5 of ${conf.file}:${conf.line} (and the same on the receive side)`);
  if (links.has(SESSION_IF) && !ourSession) conflicts.push(`an interface ${SESSION_IF} exists that is not an L2TP session: remove or rename it`);
  let replaceDeletesEnd = 0;
  if (!tunnelOk || sent.freshTunnel) {
    if (ourTunnel) {
      ops.push(L2TPV3_IP.remove(ourTunnel.tunnelId));
      replaceDeletesEnd = ops.length;
    }
    ops.push(...sent.withTunnel, ...transportOf(conf.udpPort).create({ tunnelId: id, local: conf.transmitIp, remote: conf.receivingIp, ifname: SESSION_IF, cookie: conf.cookie }));
    recreated.add(SESSION_IF);
  } else ops.push(...sent.alone);

  // Link settings: only what differs (everything, for an interface made by this plan). addrgenmode before up, so no
  // IPv6 link-local address ever exists and no NDP/MLD/RS frame of ours enters the tunnel.
  const fresh = (name: string) => recreated.has(name) || !links.has(name);
  const ups: Operation[] = [];
  for (const name of [VETH_IN, VETH_OUT, SESSION_IF, BRIDGE]) {
    const link = fresh(name) ? undefined : links.get(name);
    if (state.ipv6 && link?.addrGenMode !== 'none') ops.push(ip(['link', 'set', 'dev', name, 'addrgenmode', 'none']));
    if (link?.mtu !== TRANSMIT_MTU) ops.push(ip(['link', 'set', 'dev', name, 'mtu', String(TRANSMIT_MTU)]));
    if (!link?.promisc) ops.push(ip(['link', 'set', 'dev', name, 'promisc', 'on']));
    if (name === VETH_IN) {
      // The keepalive leaves from this address to the limited broadcast: no ARP is needed, so none is ever sent.
      if (!link || !state.vethInNoArp) ops.push(ip(['link', 'set', 'dev', name, 'arp', 'off']));
      if (!link || !state.vethInAddresses.includes(KEEPALIVE_SOURCE)) ops.push(ip(['addr', 'add', `${KEEPALIVE_SOURCE}/32`, 'scope', 'link', 'dev', name]));
    }
    if (name === VETH_OUT || name === SESSION_IF) {
      if (!link || state.masters.get(name) !== BRIDGE) {
        ops.push(ip(['link', 'set', 'dev', name, 'master', BRIDGE]));
        ops.push(ip(['link', 'set', 'dev', name, 'type', 'bridge_slave', 'learning', 'off']));
      }
    }
    if (name === SESSION_IF && (!link || state.sessionRootQdisc !== 'noqueue')) {
      // No queue on the session: the default fq_codel drops whole GSO frames of the mirror when the CPU falls behind
      // (codel's 5 ms target), counted nowhere a user looks; without a queue a frame that cannot be sent is a tx drop
      // of ruei-tun1, which status and diag tunnel check report.
      ops.push(tc(['qdisc', 'replace', 'dev', SESSION_IF, 'root', 'noqueue']));
    }
    if (name === VETH_OUT) {
      // One CPU takes every mirrored frame, in the order they were mirrored (see MIRROR_RPS_FILE): the last online CPU.
      const cpu = mirrorCpu(state);
      if (fresh(name) || state.mirrorRpsMask !== 1n << BigInt(cpu)) ops.push(write(MIRROR_RPS_FILE, cpuMaskText(cpu)));
    }
    if (!link?.up) ups.push(ip(['link', 'set', 'dev', name, 'up']));
  }
  ops.push(...ups);

  // The mirror comes last: frames are copied only once the whole path to the tunnel exists.
  const nic = conf.mirrorIf;
  const qdisc = state.qdiscs.get(nic);
  if (qdisc?.kind === 'ingress') {
    conflicts.push(`${nic} has an "ingress" qdisc that is not ours: it has no egress hook, so the outgoing half of each connection cannot be mirrored without replacing it. ` +
      `Replace it by a clsact qdisc (it offers the same ingress hook; re-add its filters: tc filter show dev ${nic} ingress), then run start again; nothing was changed`);
  }
  if (!qdisc) ops.push(tc(addClsactArgs(nic), tc(delQdiscArgs(nic, 'clsact'))));
  const desired = mirrorFilters(conf);
  if (desired.length > 0 && desired[desired.length - 1]!.pref > MAX_PREF) conflicts.push(`too many ports in ${conf.file}:${conf.line} (${desired.length} filters): at most ${MAX_PREF - FIRST_MIRROR_PREF} fit`);
  const existing = state.filters.filter((f) => f.dev === nic);
  for (const f of existing) {
    if (f.pref >= GUARD_PREF && f.pref <= MAX_PREF && !isOurFilter(f)) {
      conflicts.push(`${nic} ${f.hook} has a filter at pref ${f.pref} (${f.kind}) that is not ours, in the pref range ux-tunnel-transmit uses (${GUARD_PREF}..${MAX_PREF}): move it to another pref`);
    }
  }
  // The budget's police actions exist before a filter binds them; a changed budget is changed in place.
  const police = budgetPolice(conf);
  for (const spec of police) {
    const found = state.police.find((a) => a.index === spec.index);
    if (found && !isOurPolice(found)) conflicts.push(`a tc police action with index ${spec.index} exists that ux-tunnel-transmit did not create (tc actions ls action police): the mirror budget uses indexes ${BUDGET_INDEX.bytes} and ${BUDGET_INDEX.packets}; delete it (tc actions delete action police index ${spec.index})`);
    else if (!found) ops.push(tc(policeArgs('add', spec), tc(delPoliceArgs(spec.index))));
    else if (found.cookie !== policeCookie(spec)) ops.push(tc(policeArgs('change', spec)));
  }
  ops.push(...filterChanges(nic, desired, existing));
  // Police actions no longer configured go once no filter binds them.
  for (const a of state.police) if (isOurPolice(a) && !police.some((p) => p.index === a.index)) ops.push(delPolice(a.index));
  // Our filters left on another NIC (the config named a different one before) go, with a clsact we made there.
  for (const dev of state.qdiscs.keys()) if (dev !== nic) ops.push(...removeMirror(state, dev));
  ops.push(...encryption.after);
  return { operations: ops, conflicts, replaceDeletesEnd, ...(ourTunnel && replaceDeletesEnd > 0 ? { replacedTunnelId: ourTunnel.tunnelId } : {}) };
}

/** The transmit side's WireGuard interface: one peer, the collector, at its address and port. */
function wgDesired(conf: TunnelConf, key: WgKey | null): WgDesired | null {
  if (!conf.wireguard || !key) return null;
  const peer = { publicKey: conf.wireguard, addresses: [conf.receivingIp], endpoint: `${conf.receivingIp}:${WG_PORT}`, persistentKeepalive: 25 };
  return { ifname: WG_TRANSMIT_IF, keyFile: key.file, publicKey: key.publicKey, listenPort: null, peers: [peer] };
}

/**
 * The filter changes that turn `existing` into `desired` without a gap in the mirror. A wanted filter that one of ours
 * already matches stays where it is (a changed budget binding is replaced in place: same keys, so the same flower mask);
 * a new one is added at its own pref if that is free, else at the first free pref of its hook (flower cannot replace a
 * filter by one with other keys: EINVAL); filters no longer wanted go last. For an instant a frame may match an old
 * and a new filter and be copied twice; it is never missed. Prefs therefore need not stay in port order.
 */
function filterChanges(nic: string, desired: readonly FilterSpec[], existing: readonly TcFilter[]): Operation[] {
  const ours = existing.filter(isOurFilter);
  const taken = new Map<Hook, Set<number>>(HOOKS.map((h) => [h, new Set(existing.filter((f) => f.hook === h).map((f) => f.pref))]));
  const kept = new Set<TcFilter>();
  const adds: Operation[] = [];
  for (const spec of desired) {
    const found = ours.find((f) => !kept.has(f) && sameMatch(f, spec, VETH_IN) && (f.pref === GUARD_PREF) === (spec.pref === GUARD_PREF));
    if (found) {
      kept.add(found);
      if (!samePolice(found, spec)) adds.push(tc(addFilterArgs(nic, { ...spec, pref: found.pref }, VETH_IN, 'replace')));
      continue;
    }
    const used = taken.get(spec.hook)!;
    let pref = spec.pref;
    // The guard's pref is fixed (it must come first); a stale guard there (another collector) is replaced in place.
    if (spec.pref === GUARD_PREF && used.has(GUARD_PREF)) {
      adds.push(tc(addFilterArgs(nic, spec, VETH_IN, 'replace')));
      for (const f of ours) if (f.hook === spec.hook && f.pref === GUARD_PREF) kept.add(f);
      continue;
    }
    while (used.has(pref) && pref <= MAX_PREF) pref++;
    if (pref > MAX_PREF) return replaceAll(nic, desired, ours);
    used.add(pref);
    adds.push(tc(addFilterArgs(nic, { ...spec, pref }, VETH_IN), tc(delFilterArgs(nic, spec.hook, pref, spec.protocol, '1', 'flower'))));
  }
  const deletes = ours.filter((f) => !kept.has(f)).map((f) => tc(delFilterArgs(nic, f.hook, f.pref, f.protocol, f.handle, f.kind)));
  return [...adds, ...deletes];
}

/** When old and new filters do not fit the pref range together (a very long port list changed): old ones go first. */
function replaceAll(nic: string, desired: readonly FilterSpec[], ours: readonly TcFilter[]): Operation[] {
  return [
    ...ours.map((f) => tc(delFilterArgs(nic, f.hook, f.pref, f.protocol, f.handle, f.kind))),
    ...desired.map((spec) => tc(addFilterArgs(nic, spec, VETH_IN), tc(delFilterArgs(nic, spec.hook, spec.pref, spec.protocol, '1', 'flower')))),
  ];
}

/** The CPU that does the mirror's tunnel work: the highest-numbered online CPU (interrupts favour the first ones). */
export function mirrorCpu(state: Pick<TransmitKernelState, 'onlineCpus'>): number {
  return state.onlineCpus.length > 0 ? Math.max(...state.onlineCpus) : 0;
}

/** Removes our filters from dev, and its clsact when nothing but ours was on it (then it was ours: we made it). */
function removeMirror(state: TransmitKernelState, dev: string): Operation[] {
  const all = state.filters.filter((f) => f.dev === dev);
  const ours = all.filter(isOurFilter);
  if (ours.length === 0) return [];
  const ops = ours.map((f) => tc(delFilterArgs(dev, f.hook, f.pref, f.protocol, f.handle, f.kind)));
  if (state.qdiscs.get(dev)?.kind === 'clsact' && ours.length === all.length) ops.push(tc(delQdiscArgs(dev, 'clsact')));
  return ops;
}

/** Everything start made, in reverse: the mirror first (no frame is copied into a half-removed path), then the rest. */
export function planStop(state: TransmitKernelState): Operation[] {
  const ops: Operation[] = [];
  for (const dev of state.qdiscs.keys()) ops.push(...removeMirror(state, dev));
  for (const a of state.police) if (isOurPolice(a)) ops.push(delPolice(a.index));
  const session = state.sessions.find((s) => s.interface === SESSION_IF);
  if (session) ops.push(L2TPV3_IP.remove(session.tunnelId)); // deletes the session and ruei-tun1 with it
  const names = new Set(state.links.map((l) => l.name));
  if (names.has(BRIDGE)) ops.push(ip(['link', 'del', BRIDGE]));
  if (names.has(VETH_IN)) ops.push(ip(['link', 'del', VETH_IN])); // its peer goes with it
  else if (names.has(VETH_OUT)) ops.push(ip(['link', 'del', VETH_OUT]));
  ops.push(...removeWgSent(state.wgSent));
  ops.push(...removeWireguard(state.wireguard ?? NO_WG, WG_TRANSMIT_IF)); // after the tunnel: never a packet in clear
  return ops;
}

/** The kernel state as planStop would leave it (for a dry-run restart, whose stop does not really run). */
export function stateAfterStop(state: TransmitKernelState): TransmitKernelState {
  const removedQdiscs = new Set(planStop(state).map((o) => o.args).filter((a) => a[0] === 'qdisc').map((a) => a[3]!));
  const ourSession = state.sessions.find((s) => s.interface === SESSION_IF);
  return {
    ...state,
    links: state.links.filter((l) => ![VETH_IN, VETH_OUT, BRIDGE, SESSION_IF].includes(l.name)),
    masters: new Map(),
    vethInAddresses: [],
    vethInNoArp: false,
    sessionRootQdisc: null,
    mirrorRpsMask: null,
    tunnels: state.tunnels.filter((t) => t.tunnelId !== ourSession?.tunnelId),
    sessions: state.sessions.filter((s) => s !== ourSession),
    qdiscs: new Map([...state.qdiscs].filter(([dev]) => !removedQdiscs.has(dev))),
    filters: state.filters.filter((f) => !isOurFilter(f)),
    police: state.police.filter((a) => !isOurPolice(a)),
    ...(state.wireguard ? { wireguard: NO_WG } : {}),
    ...(state.wgSent === 'present' ? { wgSent: 'absent' as const, wgSentGap: null } : {}),
  };
}
