// Source pinning on the collector. The kernel gives an L2TPv3-over-IP packet to a session by its session ID alone,
// never by source address, and ux-tunnel's session IDs are the senders' addresses: anyone who can send IP protocol
// 115 to the collector could put frames into ruei-mtun. So the receive side owns one nftables table that drops
// protocol 115 sent to a receiving-side-ip of tunnels.conf unless its (source, destination) pair is a configured
// tunnel's (transmit-side-ip, receiving-side-ip), and counts what it drops per source address.
//
// Its chain hooks prerouting at priority -450, before defragmentation (-400): every fragment carries the addresses,
// so a spoofer's fragments are dropped before they can take reassembly memory. Packets to other addresses, and every
// other protocol, are not looked at. Updates are element adds before element deletes: a configured sender is never
// refused, not even for a moment, during a reload or `config add|remove`.
//
// Encrypted tunnels (transport/wireguard.ts): what arrives decrypted through the WireGuard interface was pinned by
// WireGuard itself (a peer's key may send only from its allowed addresses), so the rules look at other interfaces only;
// the `sealed` senders may not send protocol 115 in clear at all; and the WireGuard port is pinned like protocol 115.
//
// The common packet, protocol 115 in clear from a configured sender, is accepted by the first rule with one lookup
// (the `open` set: configured pairs that are not sealed), before the rules that refuse, which would take three set
// lookups to let it through (what that costs in the lab: bench/README.md). `open` only ever holds pairs those rules
// would let through, so the verdicts are the same: its new pairs are added last (after `senders` grew and `sealed`
// shrank), its old ones deleted first. Its `accept` ends only this chain: every other table's chains at prerouting
// (the host's own firewall) still see the packet.
//
// L2TPv3 over UDP (transport/l2tpv3-udp.ts): the `udp_ends` set holds each UDP tunnel's receiving-side-ip . port, and
// UDP to one of them is pinned like protocol 115. A non-first fragment has no port to match; without its first
// fragment (which is matched) it never completes a datagram, and reassembly discards it after 30 s.
import { op, type Operation } from '../plan/operation.js';
import type { KernelRunner } from './runner.js';
import { listIpTables, readPerSourceCounts } from './fragment-count.js';
import { WG_PORT, WG_RECEIVE_IF } from '../transport/wireguard.js';

export const PIN_TABLE = 'ux_tunnel_pin';
const CHAIN = 'pin';
/** Sources counted at most; a flood of spoofed sources cannot grow the set further (about 100 bytes an element). */
const REFUSED_SIZE = 65536;

export interface PinnedTunnel {
  readonly receivingIp: string;
  readonly transmitIp: string;
  /** Encrypted (wireguard=): its protocol 115 is accepted only decrypted, from the WireGuard interface. */
  readonly wireguard?: string | null;
  /** Over UDP (udp=): this port of receivingIp is pinned too. */
  readonly udpPort?: number | null;
}

/** unavailable: no nft, or no nf_tables; absent: nftables works and the table is not there. */
export type PinState =
  | { readonly kind: 'unavailable' }
  | { readonly kind: 'absent' }
  | {
    readonly kind: 'present'; readonly receivers: readonly string[]; readonly senders: readonly string[];
    readonly sealed: readonly string[] | null; readonly udpEnds: readonly string[] | null; readonly open: readonly string[] | null;
  };

/** start/reload: on or off as asked; config add|remove: keep, which updates the table only when it is there. */
export type PinMode = 'on' | 'off' | 'keep';

/** `tables`: listIpTables, when the caller has it already. */
export async function readPinState(runner: KernelRunner, tables = listIpTables(runner)): Promise<PinState> {
  const names = await tables;
  if (names === null) return { kind: 'unavailable' };
  if (!names.has(PIN_TABLE)) return { kind: 'absent' };
  const table = await runner.probe(['nft', '-j', 'list', 'table', 'ip', PIN_TABLE]);
  try {
    return table.code === 0 ? parsePinTable(table.stdout) : { kind: 'unavailable' };
  } catch {
    return { kind: 'unavailable' };
  }
}

type Elem = string | { concat?: string[] } | { elem?: { val?: unknown } };

/** The configured pairs from `nft -j list table ip ux_tunnel_pin`, each as "SOURCE . DESTINATION". */
export function parsePinTable(json: string): PinState {
  const items = (JSON.parse(json) as { nftables?: Array<{ set?: { name?: string; elem?: Elem[] } }> }).nftables ?? [];
  const elems = (name: string) => (items.find((i) => i.set?.name === name)?.set?.elem ?? []).map(elemText).filter((e): e is string => e !== null);
  // A table made before encryption (or UDP, or the fast path) existed has no `sealed` (`udp_ends`, `open`) set (null):
  // it is made again.
  const has = (name: string) => items.some((i) => i.set?.name === name);
  return {
    kind: 'present', receivers: elems('receivers'), senders: elems('senders'),
    sealed: has('sealed') ? elems('sealed') : null, udpEnds: has('udp_ends') ? elems('udp_ends') : null, open: has('open') ? elems('open') : null,
  };
}

function elemText(e: Elem): string | null {
  if (typeof e === 'string') return e;
  const value = 'elem' in e ? e.elem?.val : e;
  if (typeof value === 'string') return value;
  const concat = (value as { concat?: unknown } | undefined)?.concat;
  // nft -j gives a port (inet_service) as a number: "10.0.0.3 . 1701" either way.
  return Array.isArray(concat) && concat.every((c) => typeof c === 'string' || typeof c === 'number') ? concat.join(' . ') : null;
}

const pairOf = (t: PinnedTunnel) => `${t.transmitIp} . ${t.receivingIp}`;
const udpEndOf = (t: PinnedTunnel) => `${t.receivingIp} . ${t.udpPort}`;
/** Adds or deletes `list` in `set`, undone by the opposite. */
function elements(set: string, list: readonly string[], verb: 'add' | 'delete'): Operation {
  const args = (v: 'add' | 'delete') => [v, 'element', 'ip', PIN_TABLE, set, `{ ${list.join(', ')} }`];
  return op('nft', args(verb), op('nft', args(verb === 'add' ? 'delete' : 'add')));
}
const deleteTable = (): Operation => op('nft', ['delete', 'table', 'ip', PIN_TABLE]);

export interface PinPlan {
  /** Before the tunnels are created: the table, or the elements of new tunnels. */
  readonly before: Operation[];
  /** After the tunnels are removed: elements of removed tunnels, or the table (off). */
  readonly after: Operation[];
  /** Pinning asked for where nftables does not work: the caller refuses to change anything. */
  readonly problem: string | null;
}

export function planPin(desired: readonly PinnedTunnel[], state: PinState | undefined, mode: PinMode): PinPlan {
  const none = { before: [], after: [], problem: null };
  if (!state) return none;
  if (mode === 'off') return { ...none, after: state.kind === 'present' ? [deleteTable()] : [] };
  const senders = [...new Set(desired.map(pairOf))];
  const sealed = [...new Set(desired.filter((t) => t.wireguard).map(pairOf))];
  const want = {
    receivers: [...new Set(desired.map((t) => t.receivingIp))],
    senders,
    sealed,
    udp_ends: [...new Set(desired.filter((t) => t.udpPort).map(udpEndOf))],
    open: senders.filter((pair) => !sealed.includes(pair)),
  };
  if (state.kind === 'present' && state.sealed !== null && state.udpEnds !== null && state.open !== null) {
    const have = { receivers: state.receivers, senders: state.senders, sealed: state.sealed, udp_ends: state.udpEnds, open: state.open };
    const missing = (want: readonly string[], have: readonly string[]) => want.filter((w) => !have.includes(w));
    const sets = ['receivers', 'senders', 'sealed', 'udp_ends'] as const;
    // Allowed senders first, sealed ones and pinned ports last; on the way out the reverse (never a moment too strict or
    // too open). The fast path's pairs leave before anything else changes and come last.
    const before = [['open', missing(have.open, want.open), 'delete'] as const, ...sets.map((set) => [set, missing(want[set], have[set]), 'add'] as const)];
    const after = [...[...sets].reverse().map((set) => [set, missing(have[set], want[set]), 'delete'] as const), ['open', missing(want.open, have.open), 'add'] as const];
    const run = (list: ReadonlyArray<readonly [string, string[], 'add' | 'delete']>) => list.filter(([, l]) => l.length > 0).map(([set, l, verb]) => elements(set, l, verb));
    return { before: run(before), after: run(after), problem: null };
  }
  if ((mode === 'keep' && state.kind !== 'present') || desired.length === 0) return none;
  if (state.kind === 'unavailable') {
    return { ...none, problem: 'source pinning needs nftables (the nft command and the kernel\'s nf_tables): install the nftables package, or start with --source-pinning off (UX_TUNNEL_RECEIVE_OPTIONS in /etc/default/ux-tunnel-receive) to accept IP protocol 115 from any source' };
  }
  const refuse = ['update', '@refused', '{ ip saddr counter }', 'drop'];
  const notDecrypted = ['iifname', '!=', WG_RECEIVE_IF];
  const fill = (set: string, list: readonly string[]) => (list.length > 0 ? [op('nft', ['add', 'element', 'ip', PIN_TABLE, set, `{ ${list.join(', ')} }`])] : []);
  return {
    before: [
      // A table of an older version is made again (one transaction each, the moment between unpinned).
      ...(state.kind === 'present' ? [deleteTable()] : []),
      op('nft', ['add', 'table', 'ip', PIN_TABLE], deleteTable()),
      op('nft', ['add', 'set', 'ip', PIN_TABLE, 'receivers', '{ type ipv4_addr ; }']),
      op('nft', ['add', 'set', 'ip', PIN_TABLE, 'senders', '{ type ipv4_addr . ipv4_addr ; }']),
      op('nft', ['add', 'set', 'ip', PIN_TABLE, 'sealed', '{ type ipv4_addr . ipv4_addr ; }']),
      op('nft', ['add', 'set', 'ip', PIN_TABLE, 'udp_ends', '{ type ipv4_addr . inet_service ; }']),
      op('nft', ['add', 'set', 'ip', PIN_TABLE, 'open', '{ type ipv4_addr . ipv4_addr ; }']),
      op('nft', ['add', 'set', 'ip', PIN_TABLE, 'refused', `{ type ipv4_addr ; size ${REFUSED_SIZE} ; flags dynamic ; }`]),
      ...fill('receivers', want.receivers), ...fill('senders', want.senders), ...fill('sealed', want.sealed), ...fill('udp_ends', want.udp_ends),
      ...fill('open', want.open),
      op('nft', ['add', 'chain', 'ip', PIN_TABLE, CHAIN, '{ type filter hook prerouting priority -450 ; policy accept ; }']),
      op('nft', ['add', 'rule', 'ip', PIN_TABLE, CHAIN, 'ip', 'protocol', '115', 'ip', 'saddr', '.', 'ip', 'daddr', '@open', 'accept']),
      op('nft', ['add', 'rule', 'ip', PIN_TABLE, CHAIN, 'ip', 'protocol', '115', ...notDecrypted, 'ip', 'daddr', '@receivers',
        'ip', 'saddr', '.', 'ip', 'daddr', '!=', '@senders', ...refuse]),
      op('nft', ['add', 'rule', 'ip', PIN_TABLE, CHAIN, 'ip', 'protocol', '115', ...notDecrypted, 'ip', 'saddr', '.', 'ip', 'daddr', '@sealed', ...refuse]),
      op('nft', ['add', 'rule', 'ip', PIN_TABLE, CHAIN, 'udp', 'dport', String(WG_PORT), 'ip', 'daddr', '@receivers',
        'ip', 'saddr', '.', 'ip', 'daddr', '!=', '@senders', ...refuse]),
      op('nft', ['add', 'rule', 'ip', PIN_TABLE, CHAIN, 'ip', 'daddr', '.', 'udp', 'dport', '@udp_ends',
        'ip', 'saddr', '.', 'ip', 'daddr', '!=', '@senders', ...refuse]),
    ],
    after: [],
    problem: null,
  };
}

export function removePin(state: PinState | undefined): Operation[] {
  return state?.kind === 'present' ? [deleteTable()] : [];
}

export interface RefusedSource {
  readonly source: string;
  readonly packets: number;
}

/** Packets refused per source address since start, most first; null when pinning is off or nftables unavailable. */
export async function readRefusedSources(runner: KernelRunner): Promise<RefusedSource[] | null> {
  const counts = await readPerSourceCounts(runner, PIN_TABLE, 'refused');
  return counts && [...counts].map(([source, packets]) => ({ source, packets })).sort((a, b) => b.packets - a.packets);
}
