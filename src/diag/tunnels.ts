// Tunnels analyzer: lists the L2TPv3-over-IP tunnels seen in a capture, with the tunnel ID and NAT status of each.
import { DecodedFrame, decodeFrame, IPPROTO_L2TP } from './frame.js';
import { formatIPv4 } from '../config/values.js';

/** The capture filter: L2TPv3 over IP (RFC 3931 section 4.1.1), IPv4. */
export const TUNNELS_FILTER = 'ip proto 115';

export interface DetectedTunnel {
  /** Destination (receiving side) address. */
  readonly dstIp: string;
  /** Source address as it arrives: the sender's own address, or its NAT address. */
  readonly srcIp: string;
  /** The session ID of the packets; ux-tunnel-transmit sets tunnel ID = session ID = its own address as a number. */
  readonly tunnelId: number;
  /** True when the source address differs from the tunnel ID read as an address: a NAT rewrote the source. */
  readonly nat: boolean;
  readonly packets: number;
}

interface Entry {
  readonly dst: number;
  readonly src: number;
  readonly tunnelId: number;
  packets: number;
}

/**
 * Feed it every captured frame; it keeps L2TPv3 data packets that arrived (session ID 0 is a control message, and
 * frames a cooked capture marks as sent by this host are the collector's own replies, not incoming tunnels).
 */
export class TunnelCounter {
  /** IP protocol 115 frames seen (the filter's matches), including control and outgoing ones. */
  matched = 0;
  /** Frames skipped as control messages (session ID 0). */
  control = 0;
  /** Frames skipped because the capturing host sent them. */
  outgoing = 0;
  /** L2TPv3 over IPv6: tunnels.conf holds IPv4 only, so these are counted but not listed. */
  ipv6 = 0;
  private readonly frame = new DecodedFrame();
  // src -> session ID -> dst -> entry; a million packets of a few tunnels cost three map lookups each, no garbage.
  private readonly bySource = new Map<number, Map<number, Map<number, Entry>>>();
  private last: Entry | null = null;

  constructor(private linkType: number) {}

  setLinkType(linkType: number): void {
    this.linkType = linkType;
  }

  /** Returns true when the frame is IP protocol 115 (matches TUNNELS_FILTER). */
  add(buf: Buffer, offset: number, caplen: number): boolean {
    const f = this.frame;
    if (!decodeFrame(buf, offset, caplen, this.linkType, f) || f.protocol !== IPPROTO_L2TP) return false;
    if (f.family === 6) {
      this.ipv6++;
      return false;
    }
    this.matched++;
    if (f.outgoing) {
      this.outgoing++;
      return true;
    }
    const at = f.transport;
    if (at < 0 || at + 4 > f.end) return true; // a fragment, or cut short: no session ID to read
    const tunnelId = buf.readUInt32BE(at);
    if (tunnelId === 0) {
      this.control++;
      return true;
    }
    const src = buf.readUInt32BE(f.ip + 12);
    const dst = buf.readUInt32BE(f.ip + 16);
    const last = this.last;
    if (last && last.src === src && last.tunnelId === tunnelId && last.dst === dst) {
      last.packets++;
      return true;
    }
    let bySession = this.bySource.get(src);
    if (!bySession) this.bySource.set(src, (bySession = new Map()));
    let byDst = bySession.get(tunnelId);
    if (!byDst) bySession.set(tunnelId, (byDst = new Map()));
    let entry = byDst.get(dst);
    if (!entry) byDst.set(dst, (entry = { dst, src, tunnelId, packets: 0 }));
    entry.packets++;
    this.last = entry;
    return true;
  }

  /** Tunnels by destination, then source, then tunnel ID (numerically). */
  tunnels(): DetectedTunnel[] {
    const entries: Entry[] = [];
    for (const bySession of this.bySource.values()) for (const byDst of bySession.values()) entries.push(...byDst.values());
    entries.sort((a, b) => a.dst - b.dst || a.src - b.src || a.tunnelId - b.tunnelId);
    return entries.map((e) => ({
      dstIp: formatIPv4(e.dst),
      srcIp: formatIPv4(e.src),
      tunnelId: e.tunnelId,
      nat: e.src !== e.tunnelId,
      packets: e.packets,
    }));
  }
}
