// Finds keepalives in the L2TPv3 packets arriving at the collector: outer source, session ID and the UDP payload.
import { DecodedFrame, decodeFrame, IPPROTO_L2TP } from '../diag/frame.js';
import type { FrameSink } from '../diag/capture.js';
import { formatIPv4 } from '../config/values.js';
import { KEEPALIVE_PORT } from '../model/transmit.js';

/**
 * Offsets in the outer IPv4 packet (header of 20 bytes): the L2TPv3 session header of `ip l2tp` sessions is the
 * 4-byte session ID plus the 4-byte default L2-specific sublayer (no cookie), so the inner Ethernet frame starts at
 * 28, its IPv4 header at 42 and, without options, its UDP header at 62. The filter matches only whole (unfragmented)
 * outer packets, and runs in the kernel, so the monitor never sees the mirrored traffic itself.
 */
const L2TP_HEADER = 8;
export const KEEPALIVE_CAPTURE_FILTER =
  `ip proto ${IPPROTO_L2TP} and ip[0] & 0xf = 5 and ip[6:2] & 0x3fff = 0 and ip[20:4] != 0` +
  ` and ip[40:2] = 0x0800 and ip[42] & 0xf = 5 and ip[51] = 17 and ip[64:2] = ${KEEPALIVE_PORT}`;
/** Room for the outer headers (cooked v2 20 + 20 + 8 + 14 + 20 + 8) and a keepalive of up to 4 KiB. */
export const KEEPALIVE_SNAPLEN = 4300;

export type KeepaliveHandler = (source: string, sessionId: number, payload: Buffer) => void;

/** A FrameSink for the capture: hands every keepalive-shaped packet (valid or not) to `onKeepalive`. */
export class KeepaliveExtractor implements FrameSink {
  private readonly frame = new DecodedFrame();
  private linkType = -1;

  constructor(private readonly onKeepalive: KeepaliveHandler) {}

  setLinkType(linkType: number): void {
    this.linkType = linkType;
  }

  add(buf: Buffer, offset: number, caplen: number): boolean {
    const f = this.frame;
    if (!decodeFrame(buf, offset, caplen, this.linkType, f) || f.family !== 4 || f.protocol !== IPPROTO_L2TP || f.outgoing) return false;
    const l2tp = f.transport;
    if (l2tp < 0) return false;
    const inner = l2tp + L2TP_HEADER + 14;
    const udp = inner + 20;
    if (udp + 8 > f.end || buf.readUInt16BE(inner - 2) !== 0x0800 || buf[inner + 9] !== 17 || buf.readUInt16BE(udp + 2) !== KEEPALIVE_PORT) return false;
    const sessionId = buf.readUInt32BE(l2tp);
    const source = formatIPv4(buf.readUInt32BE(f.ip + 12));
    const udpLength = buf.readUInt16BE(udp + 4);
    const end = udp + udpLength;
    if (udpLength < 8 || end > f.end) {
      // Cut short: an empty payload, which the tracker counts as malformed.
      this.onKeepalive(source, sessionId, Buffer.alloc(0));
      return true;
    }
    this.onKeepalive(source, sessionId, Buffer.from(buf.subarray(udp + 8, end)));
    return true;
  }
}
