// TCP stream reassembly from captured Ethernet frames: the bytes each side sent, per connection and direction.
import type { PcapPacket } from '../../../src/diag/pcap-file.js';

export interface TcpHalf {
  /** "10.0.0.1:40000>10.0.0.2:80" (IPv6 addresses in brackets). */
  readonly key: string;
  syn: boolean;
  fin: boolean;
  segments: number;
  /** Bytes missing between segments (0 when the stream is complete). */
  gaps: number;
  data: Buffer;
}

export interface ParsedTcp {
  readonly src: string;
  readonly dst: string;
  readonly sport: number;
  readonly dport: number;
  readonly seq: number;
  readonly flags: number;
  readonly payload: Buffer;
  /** IPv4 header length in bytes (20 without options); 40 for IPv6. */
  readonly ipHeaderLength: number;
}

/** The TCP segment in an Ethernet frame (IPv4 any IHL, IPv6 without extension headers); null for anything else. */
export function parseTcp(frame: Buffer): ParsedTcp | null {
  let off = 12;
  let type = frame.readUInt16BE(off);
  while (type === 0x8100 || type === 0x88a8) {
    off += 4;
    type = frame.readUInt16BE(off);
  }
  off += 2;
  let src: string;
  let dst: string;
  let ipHeaderLength: number;
  let end: number;
  if (type === 0x0800) {
    const ihl = (frame[off]! & 0x0f) * 4;
    if (frame[off + 9] !== 6 || (frame.readUInt16BE(off + 6) & 0x3fff) !== 0) return null; // not TCP, or a fragment
    src = [...frame.subarray(off + 12, off + 16)].join('.');
    dst = [...frame.subarray(off + 16, off + 20)].join('.');
    end = off + frame.readUInt16BE(off + 2);
    ipHeaderLength = ihl;
  } else if (type === 0x86dd) {
    if (frame[off + 6] !== 6) return null;
    const hex = (b: Buffer) => `[${(b.toString('hex').match(/.{4}/g) ?? []).join(':')}]`;
    src = hex(frame.subarray(off + 8, off + 24));
    dst = hex(frame.subarray(off + 24, off + 40));
    end = off + 40 + frame.readUInt16BE(off + 4);
    ipHeaderLength = 40;
  } else return null;
  const t = off + ipHeaderLength;
  const dataOffset = (frame[t + 12]! >> 4) * 4;
  return {
    src, dst, sport: frame.readUInt16BE(t), dport: frame.readUInt16BE(t + 2), seq: frame.readUInt32BE(t + 4), flags: frame[t + 13]!,
    payload: frame.subarray(t + dataOffset, Math.min(end, frame.length)), ipHeaderLength,
  };
}

/**
 * Names half-connections: "src:port>dst:port", and "...#2", "#3" for later connections on the same four addresses and
 * ports (a client reuses its port after TIME_WAIT under load): a SYN with another initial sequence number than the
 * one seen starts the next. Both captures of one conversation see the same SYNs, so they name its halves alike.
 */
export function halfKeys(): (tcp: ParsedTcp) => string {
  const current = new Map<string, { isn: number; generation: number }>();
  return (tcp) => {
    const base = `${tcp.src}:${tcp.sport}>${tcp.dst}:${tcp.dport}`;
    let entry = current.get(base);
    if (tcp.flags & 0x02) {
      if (!entry) current.set(base, (entry = { isn: tcp.seq, generation: 1 }));
      else if (entry.isn !== tcp.seq) entry = { isn: tcp.seq, generation: entry.generation + 1 };
      current.set(base, entry);
    }
    return entry && entry.generation > 1 ? `${base}#${entry.generation}` : base;
  };
}

/** Reassembles every TCP half-connection in the frames (retransmissions and overlaps counted once). */
export function tcpStreams(packets: readonly PcapPacket[]): Map<string, TcpHalf> {
  const parts = new Map<string, { isn: number | null; segs: Array<{ seq: number; payload: Buffer }>; half: TcpHalf }>();
  const keyOf = halfKeys();
  for (const p of packets) {
    const tcp = parseTcp(p.data);
    if (!tcp) continue;
    const key = keyOf(tcp);
    let entry = parts.get(key);
    if (!entry) {
      entry = { isn: null, segs: [], half: { key, syn: false, fin: false, segments: 0, gaps: 0, data: Buffer.alloc(0) } };
      parts.set(key, entry);
    }
    entry.half.segments++;
    if (tcp.flags & 0x02) {
      entry.half.syn = true;
      entry.isn = tcp.seq;
    }
    if (tcp.flags & 0x01) entry.half.fin = true;
    // Data on a SYN starts after it: the SYN takes sequence number seq.
    if (tcp.payload.length > 0) entry.segs.push({ seq: (tcp.flags & 0x02 ? tcp.seq + 1 : tcp.seq) >>> 0, payload: Buffer.from(tcp.payload) });
  }
  const result = new Map<string, TcpHalf>();
  for (const { isn, segs, half } of parts.values()) {
    const base = isn !== null ? (isn + 1) >>> 0 : segs.length > 0 ? Math.min(...segs.map((s) => s.seq)) : 0;
    const ordered = segs.map((s) => ({ off: (s.seq - base) >>> 0, payload: s.payload })).sort((a, b) => a.off - b.off);
    const chunks: Buffer[] = [];
    let cursor = 0;
    for (const { off, payload } of ordered) {
      if (off > cursor) {
        if (off - cursor > 1 << 28) throw new Error(`${half.key}: a segment ${off - cursor} bytes ahead of the stream; not one connection?`);
        half.gaps += off - cursor;
        chunks.push(Buffer.alloc(off - cursor));
        cursor = off;
      }
      if (off + payload.length <= cursor) continue;
      chunks.push(payload.subarray(cursor - off));
      cursor = off + payload.length;
    }
    half.data = Buffer.concat(chunks);
    result.set(half.key, half);
  }
  return result;
}

/**
 * Frames that reached the capture after later bytes of their own TCP direction: a frame counts when it brings bytes
 * not seen before that lie below the highest sequence number already seen (a hole filled late). Duplicates and
 * retransmissions of bytes already seen do not count, so a capture of a wire that never reorders reads 0 however
 * often TCP retransmits. Returns the total and the count per direction ("src:port>dst:port").
 */
export function reorderedFrames(packets: readonly PcapPacket[]): { total: number; byHalf: Map<string, number> } {
  const halves = new Map<string, { base: number; maxEnd: number; covered: Array<[number, number]> }>();
  const byHalf = new Map<string, number>();
  let total = 0;
  const keyOf = halfKeys();
  for (const p of packets) {
    const tcp = parseTcp(p.data);
    if (!tcp) continue;
    const key = keyOf(tcp);
    if (tcp.payload.length === 0) continue;
    const seq = (tcp.flags & 0x02 ? tcp.seq + 1 : tcp.seq) >>> 0;
    let half = halves.get(key);
    if (!half) halves.set(key, (half = { base: seq, maxEnd: 0, covered: [] }));
    // Offsets relative to the first data seen, wrapped into a signed 32-bit window (data before it is negative).
    const start = ((seq - half.base) | 0);
    const end = start + tcp.payload.length;
    if (start < half.maxEnd && !isCovered(half.covered, start, Math.min(end, half.maxEnd))) {
      total++;
      byHalf.set(key, (byHalf.get(key) ?? 0) + 1);
    }
    addRange(half.covered, start, end);
    half.maxEnd = Math.max(half.maxEnd, end);
  }
  return { total, byHalf };
}

/** True when [start, end) lies wholly inside the sorted, merged ranges. */
function isCovered(ranges: ReadonlyArray<[number, number]>, start: number, end: number): boolean {
  for (const [a, b] of ranges) if (a <= start && end <= b) return true;
  return false;
}

/** Adds [start, end) to sorted, merged ranges (in place). */
function addRange(ranges: Array<[number, number]>, start: number, end: number): void {
  ranges.push([start, end]);
  ranges.sort((x, y) => x[0] - y[0]);
  const merged: Array<[number, number]> = [];
  for (const r of ranges) {
    const last = merged[merged.length - 1];
    if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
    else merged.push([r[0], r[1]]);
  }
  ranges.splice(0, ranges.length, ...merged);
}
