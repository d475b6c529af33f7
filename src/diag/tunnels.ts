// Tunnels analyzer: lists the L2TPv3 tunnels (over IP, or over UDP on any port) seen in a capture, with the tunnel ID,
// NAT status and UDP port of each.
import { DecodedFrame, decodeFrame, IPPROTO_L2TP, IPPROTO_UDP, l2tpSessionAt, L2TPV3_UDP_DATA } from './frame.js';
import { formatIPv4 } from '../config/values.js';

/**
 * The capture filter: L2TPv3 over IP (RFC 3931 section 4.1.1), and L2TPv3 data messages over UDP (4.1.2.1) on any
 * port, IPv4. A UDP fragment after the first has no header to tell: only first fragments and whole datagrams count.
 */
export const TUNNELS_FILTER = `ip proto 115 or (udp and udp[8:4] = 0x${L2TPV3_UDP_DATA.toString(16).padStart(8, '0')})`;

export interface DetectedTunnel {
  /** Destination (receiving side) address. */
  readonly dstIp: string;
  /** Source address as it arrives: the sender's own address, or its NAT address. */
  readonly srcIp: string;
  /** The session ID of the packets; ux-tunnel-transmit sets tunnel ID = session ID = its own address as a number. */
  readonly tunnelId: number;
  /** True when the source address differs from the tunnel ID read as an address: a NAT rewrote the source. */
  readonly nat: boolean;
  /** Over UDP: the destination port (udp= on both lines); null over IP protocol 115. */
  readonly udpPort: number | null;
  readonly packets: number;
}

interface Entry {
  readonly dst: number;
  readonly src: number;
  readonly tunnelId: number;
  /** 0 over IP. */
  readonly port: number;
  packets: number;
}

/**
 * Feed it every captured frame; it keeps L2TPv3 data packets that arrived (session ID 0 is a control message, and
 * frames a cooked capture marks as sent by this host are the collector's own replies, not incoming tunnels).
 */
export class TunnelCounter {
  /** L2TPv3 frames seen (the filter's matches), including control and outgoing ones. */
  matched = 0;
  /** Frames skipped as control messages (session ID 0). */
  control = 0;
  /** Frames skipped because the capturing host sent them. */
  outgoing = 0;
  /** L2TPv3 over IPv6: tunnels.conf holds IPv4 only, so these are counted but not listed. */
  ipv6 = 0;
  private readonly frame = new DecodedFrame();
  // src -> session ID -> dst and port -> entry; a million packets of a few tunnels cost three map lookups each, no garbage.
  private readonly bySource = new Map<number, Map<number, Map<number, Entry>>>();
  private last: Entry | null = null;

  constructor(private linkType: number) {}

  setLinkType(linkType: number): void {
    this.linkType = linkType;
  }

  /** Returns true when the frame is L2TPv3 (matches TUNNELS_FILTER). */
  add(buf: Buffer, offset: number, caplen: number): boolean {
    const f = this.frame;
    if (!decodeFrame(buf, offset, caplen, this.linkType, f)) return false;
    const over = f.protocol === IPPROTO_L2TP ? 'ip' : f.protocol === IPPROTO_UDP && l2tpSessionAt(buf, f) >= 0 ? 'udp' : null;
    if (over === null) return false;
    if (f.family === 6) {
      this.ipv6++;
      return false;
    }
    this.matched++;
    if (f.outgoing) {
      this.outgoing++;
      return true;
    }
    const at = l2tpSessionAt(buf, f);
    if (at < 0) return true; // a fragment, or cut short: no session ID to read
    const port = over === 'udp' ? buf.readUInt16BE(f.transport + 2) : 0;
    const tunnelId = buf.readUInt32BE(at);
    if (tunnelId === 0) {
      this.control++;
      return true;
    }
    const src = buf.readUInt32BE(f.ip + 12);
    const dst = buf.readUInt32BE(f.ip + 16);
    const last = this.last;
    if (last && last.src === src && last.tunnelId === tunnelId && last.dst === dst && last.port === port) {
      last.packets++;
      return true;
    }
    let bySession = this.bySource.get(src);
    if (!bySession) this.bySource.set(src, (bySession = new Map()));
    let byDst = bySession.get(tunnelId);
    if (!byDst) bySession.set(tunnelId, (byDst = new Map()));
    const key = dst * 65536 + port; // below 2^48: exact as a number
    let entry = byDst.get(key);
    if (!entry) byDst.set(key, (entry = { dst, src, tunnelId, port, packets: 0 }));
    entry.packets++;
    this.last = entry;
    return true;
  }

  /** Tunnels by destination, then source, then tunnel ID (numerically), then port. */
  tunnels(): DetectedTunnel[] {
    const entries: Entry[] = [];
    for (const bySession of this.bySource.values()) for (const byDst of bySession.values()) entries.push(...byDst.values());
    entries.sort((a, b) => a.dst - b.dst || a.src - b.src || a.tunnelId - b.tunnelId || a.port - b.port);
    return entries.map((e) => ({
      dstIp: formatIPv4(e.dst),
      srcIp: formatIPv4(e.src),
      tunnelId: e.tunnelId,
      nat: e.src !== e.tunnelId,
      udpPort: e.port === 0 ? null : e.port,
      packets: e.packets,
    }));
  }
}
