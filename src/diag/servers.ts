// Servers analyzer: counts the connections each server IP and port accepted, from the SYN-ACKs it sent.
import { DecodedFrame, decodeFrame, formatIPv6, IPPROTO_TCP } from './frame.js';
import { formatIPv4, parseIPv4 } from '../config/values.js';

/**
 * The capture filter: SYN and ACK set, FIN and RST clear. The vendor's `tcp[tcpflags] == tcp-syn|tcp-ack` would miss
 * SYN-ACKs that carry ECE (every connection that negotiates ECN), so the other flag bits are masked out. pcap filters
 * cannot index TCP inside IPv6, so IPv6 SYN-ACKs are matched at their fixed offset (no extension headers).
 */
export const SERVERS_FILTER =
  'tcp[tcpflags] & (tcp-syn|tcp-ack|tcp-fin|tcp-rst) == (tcp-syn|tcp-ack) or (ip6[6] == 6 and ip6[53] & 0x17 == 0x12)';

const FLAG_MASK = 0x17; // FIN | SYN | RST | ACK
const SYN_ACK = 0x12;

export interface ServerRow {
  readonly ip: string;
  readonly family: 4 | 6;
  readonly port: number;
  readonly connections: number;
}

interface V6Server {
  readonly ip: string;
  readonly port: number;
  connections: number;
}

/**
 * Feed it every captured frame; it keeps only SYN-ACKs. A connection is counted once however many times its SYN-ACK
 * was retransmitted or captured (same client endpoint and same server sequence number); a reused client port with a
 * new sequence number is a new connection.
 */
export class ServerCounter {
  /** Frames that were SYN-ACKs (the filter's matches). */
  matched = 0;
  private readonly frame = new DecodedFrame();
  // IPv4: server (ip << 16 | port, as a float-safe 48-bit number) -> client (same packing) -> last SYN-ACK sequence.
  private readonly v4 = new Map<number, Map<number, number>>();
  private readonly v4Counts = new Map<number, number>();
  // IPv6 keys are the 18 raw bytes (address + port) in latin1, cheaper than formatting the address every time.
  private readonly v6 = new Map<string, Map<string, number>>();
  private readonly v6Servers = new Map<string, V6Server>();

  constructor(private linkType: number) {}

  setLinkType(linkType: number): void {
    this.linkType = linkType;
  }

  /** Returns true when the frame is a SYN-ACK (matches SERVERS_FILTER). */
  add(buf: Buffer, offset: number, caplen: number): boolean {
    const f = this.frame;
    if (!decodeFrame(buf, offset, caplen, this.linkType, f)) return false;
    const tcp = f.transport;
    if (f.protocol !== IPPROTO_TCP || tcp < 0 || tcp + 14 > f.end) return false;
    if ((buf[tcp + 13]! & FLAG_MASK) !== SYN_ACK) return false;
    this.matched++;
    const seq = buf.readUInt32BE(tcp + 4);
    if (f.family === 4) {
      const server = buf.readUInt32BE(f.ip + 12) * 65536 + buf.readUInt16BE(tcp);
      const client = buf.readUInt32BE(f.ip + 16) * 65536 + buf.readUInt16BE(tcp + 2);
      let clients = this.v4.get(server);
      if (!clients) this.v4.set(server, (clients = new Map()));
      if (clients.get(client) === seq) return true;
      clients.set(client, seq);
      this.v4Counts.set(server, (this.v4Counts.get(server) ?? 0) + 1);
      return true;
    }
    const server = buf.toString('latin1', f.ip + 8, f.ip + 24) + buf.toString('latin1', tcp, tcp + 2);
    const client = buf.toString('latin1', f.ip + 24, f.ip + 40) + buf.toString('latin1', tcp + 2, tcp + 4);
    let clients = this.v6.get(server);
    if (!clients) this.v6.set(server, (clients = new Map()));
    if (clients.get(client) === seq) return true;
    clients.set(client, seq);
    let row = this.v6Servers.get(server);
    if (!row) this.v6Servers.set(server, (row = { ip: formatIPv6(buf, f.ip + 8), port: buf.readUInt16BE(tcp), connections: 0 }));
    row.connections++;
    return true;
  }

  /** Servers by connections (most first), then IPv4 before IPv6, then address and port. */
  rows(): ServerRow[] {
    const rows: ServerRow[] = [];
    for (const [key, connections] of this.v4Counts) {
      rows.push({ ip: formatIPv4(Math.floor(key / 65536)), family: 4, port: key % 65536, connections });
    }
    for (const s of this.v6Servers.values()) rows.push({ ip: s.ip, family: 6, port: s.port, connections: s.connections });
    return rows.sort(
      (a, b) => b.connections - a.connections || a.family - b.family || compareAddresses(a, b) || a.port - b.port,
    );
  }
}

function compareAddresses(a: ServerRow, b: ServerRow): number {
  if (a.family === 4) return parseIPv4(a.ip)! - parseIPv4(b.ip)!;
  return a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : 0;
}
