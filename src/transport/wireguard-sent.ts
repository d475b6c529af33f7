// How many of the tunnel's packets WireGuard really sent, so that the web server's status can tell exactly how many it
// took from ruei-tun1 and dropped without counting them (it queues at most 1024 per peer and drops what it cannot
// encrypt in time). ruei-wg1's own tx counter cannot tell it: it also counts WireGuard's keepalives and handshake
// messages (hundreds a day), and each of those hides one dropped packet of the mirror.
//
// So the transmit side owns a small nftables table: on the output hook (before IP fragments a datagram) one rule counts
// UDP datagrams to the collector's WireGuard port whose message is data (type 4) with a payload (a keepalive is a data
// message with none). It only counts: it accepts every packet. It is made together with ruei-tun1, so that both count
// from zero (planStart replaces the tunnel of an encrypted mirror that has no counter yet), and deleted with it.
import { op, type Operation } from '../plan/operation.js';
import { listIpTables } from '../kernel/fragment-count.js';
import type { KernelRunner } from '../kernel/runner.js';
import { readInterfaceCounter } from '../kernel/interface-counters.js';
import { WG_PORT } from './wireguard.js';

export const WG_SENT_TABLE = 'ux_tunnel_wg_sent';
const CHAIN = 'count';
const COUNTER = 'data';
/** UDP length of a WireGuard keepalive: UDP header 8, data message header 16, the empty payload's tag 16. */
const KEEPALIVE_UDP_LENGTH = 40;
/** Long enough for a packet between ruei-tun1 and the wire to be sent (WireGuard encrypts in microseconds). */
const IN_FLIGHT_MS = 200;
/** WireGuard's message type of data (the first byte of the UDP payload; little-endian 32 bits). */
const MESSAGE_DATA = 4;

/** present/absent: nftables works here and the table is there or not; unavailable: no nft, or no nf_tables. */
export type WgSentState = 'present' | 'absent' | 'unavailable';

export async function readWgSentState(runner: KernelRunner): Promise<WgSentState> {
  const tables = await listIpTables(runner);
  return tables === null ? 'unavailable' : tables.has(WG_SENT_TABLE) ? 'present' : 'absent';
}

const deleteTable = (): Operation => op('nft', ['delete', 'table', 'ip', WG_SENT_TABLE]);

function addTable(collector: string): Operation[] {
  return [
    op('nft', ['add', 'table', 'ip', WG_SENT_TABLE], deleteTable()),
    op('nft', ['add', 'counter', 'ip', WG_SENT_TABLE, COUNTER]),
    op('nft', ['add', 'chain', 'ip', WG_SENT_TABLE, CHAIN, '{ type filter hook output priority 0 ; policy accept ; }']),
    op('nft', ['add', 'rule', 'ip', WG_SENT_TABLE, CHAIN, 'ip', 'daddr', collector, 'udp', 'dport', String(WG_PORT),
      '@th,64,8', String(MESSAGE_DATA), 'udp', 'length', '>', String(KEEPALIVE_UDP_LENGTH), 'counter', 'name', COUNTER]),
  ];
}

export interface WgSentPlan {
  /** The tunnel must be made anew (encrypted, and no counter yet): both then count from zero. */
  readonly freshTunnel: boolean;
  /** Where the tunnel is (re)made, just before it: the counter (re)made, or an old one removed. */
  readonly withTunnel: Operation[];
  /** When the tunnel stays: an old counter removed (the mirror is no longer encrypted). */
  readonly alone: Operation[];
}

/** `collector`: the receiving address of an encrypted tunnel; null when it is not encrypted. */
export function planWgSent(collector: string | null, state: WgSentState | undefined): WgSentPlan {
  const old = state === 'present' ? [deleteTable()] : [];
  if (state === undefined || state === 'unavailable') return { freshTunnel: false, withTunnel: [], alone: [] };
  if (collector === null) return { freshTunnel: false, withTunnel: old, alone: old };
  return { freshTunnel: state === 'absent', withTunnel: [...old, ...addTable(collector)], alone: [] };
}

export const removeWgSent = (state: WgSentState | undefined): Operation[] => (state === 'present' ? [deleteTable()] : []);

/** The command that lists the count (JSON, for parseWgSent); the benchmark reads it too. */
export const WG_SENT_LIST: readonly string[] = ['nft', '-j', 'list', 'counter', 'ip', WG_SENT_TABLE, COUNTER];

/** The packets counted so far; null when the table is not there or cannot be read. */
export async function readWgSent(runner: KernelRunner): Promise<number | null> {
  const result = await runner.probe([...WG_SENT_LIST]);
  return result.code === 0 ? parseWgSent(result.stdout) : null;
}

/**
 * The tunnel's packets WireGuard took and has not sent: `tunnelIf`'s transmitted packets less the count, read as one
 * pair, the interface's counter (sysfs, no process) just before the count. Read apart (status read the links, then
 * tc and L2TP, then the count: seconds on a slow CPU), the keepalives that passed in between hid as many drops. A
 * packet being encrypted at that moment shows as one more; a drop never goes away, so a gap is read again a moment
 * later and the smaller kept. null: no count (no table, or the interface is gone).
 */
export async function readWgSentGap(runner: KernelRunner, tunnelIf: string): Promise<number | null> {
  const once = async (): Promise<number | null> => {
    let handed: number;
    try {
      handed = readInterfaceCounter(tunnelIf, 'tx_packets');
    } catch {
      return null;
    }
    const sent = await readWgSent(runner);
    return sent === null ? null : handed - sent;
  };
  const first = await once();
  if (first === null || first <= 0) return first;
  await new Promise((resolve) => setTimeout(resolve, IN_FLIGHT_MS));
  const again = await once();
  return again === null ? first : Math.min(first, again);
}

export function parseWgSent(json: string): number | null {
  try {
    const items = (JSON.parse(json) as { nftables?: Array<{ counter?: { name?: string; packets?: number } }> }).nftables ?? [];
    const counter = items.find((i) => i.counter?.name === COUNTER)?.counter;
    return typeof counter?.packets === 'number' ? counter.packets : null;
  } catch {
    return null;
  }
}
