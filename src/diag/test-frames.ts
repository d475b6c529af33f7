// Test helpers: builds frames (Ethernet, VLAN, cooked, IPv4/IPv6, TCP, L2TPv3 over IP) and writes them as pcap.
import { parseIPv4 } from '../config/values.js';

export interface PcapOptions {
  readonly linkType: number;
  readonly bigEndian?: boolean;
  readonly nanosecond?: boolean;
  readonly snaplen?: number;
}

/** A classic pcap: global header, then one record per frame (timestamps 1.000001, 2.000002, ...). */
export function pcapFile(frames: readonly Buffer[], options: PcapOptions): Buffer {
  const be = options.bigEndian ?? false;
  const u32 = (buf: Buffer, value: number, at: number) => (be ? buf.writeUInt32BE(value, at) : buf.writeUInt32LE(value, at));
  const u16 = (buf: Buffer, value: number, at: number) => (be ? buf.writeUInt16BE(value, at) : buf.writeUInt16LE(value, at));
  const header = Buffer.alloc(24);
  u32(header, options.nanosecond ? 0xa1b23c4d : 0xa1b2c3d4, 0);
  u16(header, 2, 4);
  u16(header, 4, 6);
  u32(header, options.snaplen ?? 262144, 16);
  u32(header, options.linkType, 20);
  const parts: Buffer[] = [header];
  frames.forEach((frame, i) => {
    const record = Buffer.alloc(16);
    u32(record, i + 1, 0);
    u32(record, (i + 1) * (options.nanosecond ? 1000 : 1), 4);
    u32(record, frame.length, 8);
    u32(record, frame.length, 12);
    parts.push(record, frame);
  });
  return Buffer.concat(parts);
}

export const ETH_IPV4 = 0x0800;
export const ETH_IPV6 = 0x86dd;

export interface VlanTag {
  readonly tpid: number;
  readonly vid: number;
}

export function ethernet(etherType: number, payload: Buffer, vlans: readonly VlanTag[] = []): Buffer {
  const head = Buffer.alloc(14 + vlans.length * 4);
  Buffer.from('020000000002020000000001', 'hex').copy(head, 0);
  let at = 12;
  for (const tag of vlans) {
    head.writeUInt16BE(tag.tpid, at);
    head.writeUInt16BE(tag.vid, at + 2);
    at += 4;
  }
  head.writeUInt16BE(etherType, at);
  return Buffer.concat([head, payload]);
}

/** Linux cooked v1 (LINKTYPE_LINUX_SLL); packetType 4 marks a frame the host sent. */
export function cookedV1(etherType: number, payload: Buffer, packetType = 0): Buffer {
  const head = Buffer.alloc(16);
  head.writeUInt16BE(packetType, 0);
  head.writeUInt16BE(1, 2); // ARPHRD_ETHER
  head.writeUInt16BE(6, 4);
  Buffer.from('020000000001', 'hex').copy(head, 6);
  head.writeUInt16BE(etherType, 14);
  return Buffer.concat([head, payload]);
}

/** Linux cooked v2 (LINKTYPE_LINUX_SLL2). */
export function cookedV2(etherType: number, payload: Buffer, packetType = 0): Buffer {
  const head = Buffer.alloc(20);
  head.writeUInt16BE(etherType, 0);
  head.writeUInt32BE(7, 4); // interface index
  head.writeUInt16BE(1, 8);
  head[10] = packetType;
  head[11] = 6;
  Buffer.from('020000000001', 'hex').copy(head, 12);
  return Buffer.concat([head, payload]);
}

export interface IPv4Options {
  readonly src: string;
  readonly dst: string;
  readonly protocol: number;
  /** IP options (padded to a multiple of 4 bytes): the header grows beyond 20 bytes. */
  readonly options?: Buffer;
  readonly fragmentOffset?: number;
}

export function ipv4(o: IPv4Options, payload: Buffer): Buffer {
  const options = o.options ?? Buffer.alloc(0);
  if (options.length % 4 !== 0) throw new Error('IPv4 options must be padded to 4 bytes');
  const head = Buffer.alloc(20 + options.length);
  head[0] = 0x40 | (head.length / 4);
  head.writeUInt16BE(head.length + payload.length, 2);
  head.writeUInt16BE((o.fragmentOffset ?? 0) & 0x1fff, 6);
  head[8] = 64;
  head[9] = o.protocol;
  head.writeUInt32BE(parseIPv4(o.src)!, 12);
  head.writeUInt32BE(parseIPv4(o.dst)!, 16);
  options.copy(head, 20);
  return Buffer.concat([head, payload]);
}

/** An IPv6 extension header: 0 hop-by-hop, 43 routing, 60 destination options (8 bytes each here), 44 fragment. */
export interface Extension {
  readonly type: 0 | 43 | 44 | 60;
  readonly fragmentOffset?: number;
}

export function ipv6(src: string, dst: string, protocol: number, payload: Buffer, extensions: readonly Extension[] = []): Buffer {
  const parts: Buffer[] = [];
  extensions.forEach((ext, i) => {
    const next = extensions[i + 1]?.type ?? protocol;
    const header = Buffer.alloc(8);
    header[0] = next;
    if (ext.type === 44) header.writeUInt16BE((ext.fragmentOffset ?? 0) << 3, 2);
    parts.push(header);
  });
  const body = Buffer.concat([...parts, payload]);
  const head = Buffer.alloc(40);
  head[0] = 0x60;
  head.writeUInt16BE(body.length, 4);
  head[6] = extensions[0]?.type ?? protocol;
  head[7] = 64;
  ipv6Bytes(src).copy(head, 8);
  ipv6Bytes(dst).copy(head, 24);
  return Buffer.concat([head, body]);
}

function ipv6Bytes(text: string): Buffer {
  const [left, right] = text.includes('::') ? text.split('::') : [text, undefined];
  const l = left ? left.split(':') : [];
  const r = right ? right.split(':') : [];
  const groups = right === undefined ? l : [...l, ...Array<string>(8 - l.length - r.length).fill('0'), ...r];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

export const TCP_SYN = 0x02;
export const TCP_ACK = 0x10;
export const TCP_RST = 0x04;
export const TCP_ECE = 0x40;

export function tcp(srcPort: number, dstPort: number, flags: number, seq = 1000): Buffer {
  const head = Buffer.alloc(20);
  head.writeUInt16BE(srcPort, 0);
  head.writeUInt16BE(dstPort, 2);
  head.writeUInt32BE(seq, 4);
  head[12] = 5 << 4;
  head[13] = flags;
  head.writeUInt16BE(65535, 14);
  return head;
}

/** L2TPv3 over IP (RFC 3931 4.1.1.1): a 4-byte session ID, then (for data) the Ethernet frame it carries. */
export function l2tpOverIp(sessionId: number, inner: Buffer = Buffer.alloc(60)): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(sessionId, 0);
  return Buffer.concat([head, inner]);
}

/** A SYN-ACK from server to client over IPv4, in an Ethernet frame. */
export function synAckV4(server: string, serverPort: number, client: string, clientPort: number, seq = 1000): Buffer {
  return ethernet(ETH_IPV4, ipv4({ src: server, dst: client, protocol: 6 }, tcp(serverPort, clientPort, TCP_SYN | TCP_ACK, seq)));
}

/** An L2TPv3 data packet from src to dst with the given session ID, in an Ethernet frame. */
export function l2tpV4(src: string, dst: string, sessionId: number): Buffer {
  return ethernet(ETH_IPV4, ipv4({ src, dst, protocol: 115 }, l2tpOverIp(sessionId)));
}

/** The same over UDP (RFC 3931 4.1.2.1): UDP sport -> dport, then L2TPv3's flags-and-version word, then the session. */
export function l2tpV4Udp(src: string, dst: string, sessionId: number, dport: number, sport = dport): Buffer {
  const message = Buffer.concat([Buffer.from([0, 3, 0, 0]), l2tpOverIp(sessionId)]);
  const udp = Buffer.alloc(8);
  udp.writeUInt16BE(sport, 0);
  udp.writeUInt16BE(dport, 2);
  udp.writeUInt16BE(8 + message.length, 4);
  return ethernet(ETH_IPV4, ipv4({ src, dst, protocol: 17 }, Buffer.concat([udp, message])));
}

/** Splits a buffer into chunks of the given sizes (the last chunk takes the rest), to feed a parser piecewise. */
export function chunksOf(buffer: Buffer, size: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let at = 0; at < buffer.length; at += size) chunks.push(buffer.subarray(at, at + size));
  return chunks;
}
