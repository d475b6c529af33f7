// Counts, per sender, the tunnel frames that crossed the network as IP fragments: a frame larger than the path's MTU
// is split by the web server and reassembled here, which costs both hosts CPU and loses the whole frame when one
// fragment is lost (README, "Collector: IP reassembly"; `ux-tunnel-transmit diag path` says how to avoid it).
//
// The kernel keeps no such count per source, so the receive side owns a small nftables table: a chain on prerouting
// at priority -450, before any defragmentation (conntrack's is at -400, the local input's comes after the hooks), sees
// every fragment; its one rule counts first fragments (offset 0, more-fragments set) of IP protocol 115 per source
// address in a dynamic set, one element with a counter per sender (and those of L2TPv3 over UDP, by the first bytes of
// the UDP payload). It only counts: it accepts every packet.
import { op, type Operation } from '../plan/operation.js';
import type { KernelRunner } from './runner.js';
import { L2TPV3_UDP_DATA } from '../transport/l2tpv3-udp.js';
import { WG_PORT } from '../transport/wireguard.js';

export const FRAGMENT_TABLE = 'ux_tunnel_fragments';
const CHAIN = 'count';
const SET = 'fragmented';
/** Senders counted at most (an element is about 100 bytes); a flood of spoofed sources cannot grow it further. */
const SET_SIZE = 65536;

/** present/absent: nftables works here and the table is there or not; unavailable: no nft, or no nf_tables. */
export type FragmentCounterState = 'present' | 'absent' | 'unavailable';

/** The names of the ip-family nftables tables; null when nftables does not work here (no nft, or no nf_tables). */
export async function listIpTables(runner: KernelRunner): Promise<ReadonlySet<string> | null> {
  const result = await runner.probe(['nft', '-j', 'list', 'tables', 'ip']);
  if (result.code !== 0) return null;
  try {
    const items = (JSON.parse(result.stdout) as { nftables?: Array<{ table?: { name?: string } }> }).nftables ?? [];
    return new Set(items.map((i) => i.table?.name).filter((n): n is string => n !== undefined));
  } catch {
    return null;
  }
}

/** `tables`: listIpTables, when the caller has it already (planning reads our tables once for all of them). */
export async function readFragmentCounterState(runner: KernelRunner, tables = listIpTables(runner)): Promise<FragmentCounterState> {
  const names = await tables;
  return names === null ? 'unavailable' : names.has(FRAGMENT_TABLE) ? 'present' : 'absent';
}

const deleteTable = (): Operation => op('nft', ['delete', 'table', 'ip', FRAGMENT_TABLE]);

/** The table, its chain, set and rule, when nftables works here and the table is missing; undone as one. */
export function addFragmentCounter(state: FragmentCounterState | undefined): Operation[] {
  if (state !== 'absent') return [];
  return [
    op('nft', ['add', 'table', 'ip', FRAGMENT_TABLE], deleteTable()),
    op('nft', ['add', 'chain', 'ip', FRAGMENT_TABLE, CHAIN, '{ type filter hook prerouting priority -450 ; policy accept ; }']),
    op('nft', ['add', 'set', 'ip', FRAGMENT_TABLE, SET, `{ type ipv4_addr ; size ${SET_SIZE} ; flags dynamic ; }`]),
    op('nft', ['add', 'rule', 'ip', FRAGMENT_TABLE, CHAIN, 'ip', 'protocol', '115', 'ip', 'frag-off', '&', '0x3fff', '==', '0x2000',
      'update', `@${SET}`, '{ ip saddr counter }']),
    // Over UDP (udp=): a first fragment whose UDP payload starts as an L2TPv3 data message does, whatever the port.
    op('nft', ['add', 'rule', 'ip', FRAGMENT_TABLE, CHAIN, 'ip', 'protocol', 'udp', 'ip', 'frag-off', '&', '0x3fff', '==', '0x2000',
      '@th,64,32', `0x${L2TPV3_UDP_DATA.toString(16).padStart(8, '0')}`, 'update', `@${SET}`, '{ ip saddr counter }']),
    // Encrypted (wireguard=): the tunnel's packet is encrypted whole, and the WireGuard datagram is what fragments.
    op('nft', ['add', 'rule', 'ip', FRAGMENT_TABLE, CHAIN, 'ip', 'protocol', 'udp', 'ip', 'frag-off', '&', '0x3fff', '==', '0x2000',
      'udp', 'dport', String(WG_PORT), 'update', `@${SET}`, '{ ip saddr counter }']),
  ];
}

export function removeFragmentCounter(state: FragmentCounterState | undefined): Operation[] {
  return state === 'present' ? [deleteTable()] : [];
}

/**
 * Fragmented frames per source address from `nft -j list set ip ux_tunnel_fragments fragmented`; null when the table
 * is not there (stopped, or nftables unavailable): the caller shows "-" rather than 0.
 */
export const readFragmentCounts = (runner: KernelRunner): Promise<Map<string, number> | null> => readPerSourceCounts(runner, FRAGMENT_TABLE, SET);

/** The packet counters of a dynamic per-source set of ours (ip TABLE SET); null when it is not there. */
export async function readPerSourceCounts(runner: KernelRunner, table: string, set: string): Promise<Map<string, number> | null> {
  const result = await runner.probe(['nft', '-j', 'list', 'set', 'ip', table, set]);
  if (result.code !== 0) return null;
  try {
    return parseFragmentCounts(result.stdout);
  } catch {
    return null;
  }
}

interface RawElem {
  elem?: { val?: unknown; counter?: { packets?: number } };
}

export function parseFragmentCounts(json: string): Map<string, number> {
  const items = (JSON.parse(json) as { nftables?: Array<{ set?: { elem?: Array<RawElem | string> } }> }).nftables ?? [];
  const counts = new Map<string, number>();
  for (const item of items) {
    for (const e of item.set?.elem ?? []) {
      if (typeof e === 'string') counts.set(e, 0);
      else if (typeof e.elem?.val === 'string') counts.set(e.elem.val, e.elem.counter?.packets ?? 0);
    }
  }
  return counts;
}
