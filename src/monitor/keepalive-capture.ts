// Finds keepalives in the L2TPv3 packets arriving at the collector: outer source, session ID and the UDP payload.
import { DecodedFrame, decodeFrame, IPPROTO_L2TP, IPPROTO_UDP, l2tpSessionAt, L2TPV3_UDP_DATA } from '../diag/frame.js';
import type { FrameSink } from '../diag/capture.js';
import { formatIPv4 } from '../config/values.js';
import { KEEPALIVE_PORT } from '../model/transmit.js';

/**
 * Offsets in the outer IPv4 packet (header of 20 bytes): the L2TPv3 session header of `ip l2tp` sessions is the
 * 4-byte session ID, the cookie (none, or 8 bytes with cookie=) and the 4-byte default L2-specific sublayer, so the
 * inner Ethernet frame starts at 28 (36 with a cookie), its IPv4 header at 42 (50) and, without options, its UDP
 * header at 62 (70). The filter matches only whole (unfragmented) outer packets, and runs in the kernel, so the
 * monitor never sees the mirrored traffic itself. Both layouts are captured whatever tunnels.conf says: a keepalive
 * with a cookie the collector does not expect (or without one it does) is how a cookie mismatch shows. Over UDP
 * (udp=, any port) the session ID comes 12 bytes later: after the UDP header and L2TPv3's flags and version word.
 */
const SESSION_ID = 4;
const SUBLAYER = 4;
export const COOKIE_BYTES = 8;
const innerMatch = (cookie: number) =>
  `ip[${40 + cookie}:2] = 0x0800 and ip[${42 + cookie}] & 0xf = 5 and ip[${51 + cookie}] = 17 and ip[${64 + cookie}:2] = ${KEEPALIVE_PORT}`;
const UDP_SHIFT = 12;
export const KEEPALIVE_CAPTURE_FILTER =
  `ip[0] & 0xf = 5 and ip[6:2] & 0x3fff = 0 and (` +
  `(ip proto ${IPPROTO_L2TP} and ip[20:4] != 0 and ((${innerMatch(0)}) or (${innerMatch(COOKIE_BYTES)})))` +
  ` or (ip proto ${IPPROTO_UDP} and ip[28:4] = 0x${L2TPV3_UDP_DATA.toString(16).padStart(8, '0')}` +
  ` and ((${innerMatch(UDP_SHIFT)}) or (${innerMatch(UDP_SHIFT + COOKIE_BYTES)}))))`;
/** Room for the outer headers (cooked v2 20 + 20 + 12 over UDP + 16 + 14 + 20 + 8) and a keepalive of up to 4 KiB. */
export const KEEPALIVE_SNAPLEN = 4300;

/** `cookie`: the 8 bytes after the session ID as hex when the keepalive was found behind a cookie; null: no cookie. */
export type KeepaliveHandler = (source: string, sessionId: number, payload: Buffer, cookie: string | null) => void;

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
    if (!decodeFrame(buf, offset, caplen, this.linkType, f) || f.family !== 4 || f.outgoing) return false;
    const l2tp = l2tpSessionAt(buf, f);
    if (l2tp < 0) return false;
    const sessionId = buf.readUInt32BE(l2tp);
    // The layout the sender's tunnel has, as far as the packet tells: a keepalive is a UDP packet to KEEPALIVE_PORT.
    const cookieBytes = [0, COOKIE_BYTES].find((c) => this.isKeepalive(buf, l2tp + SESSION_ID + c + SUBLAYER + 14, f.end));
    if (cookieBytes === undefined) return false;
    const cookie = cookieBytes ? buf.toString('hex', l2tp + SESSION_ID, l2tp + SESSION_ID + cookieBytes) : null;
    const udp = l2tp + SESSION_ID + cookieBytes + SUBLAYER + 14 + 20;
    const source = formatIPv4(buf.readUInt32BE(f.ip + 12));
    const udpLength = buf.readUInt16BE(udp + 4);
    const end = udp + udpLength;
    if (udpLength < 8 || end > f.end) {
      // Cut short: an empty payload, which the tracker counts as malformed.
      this.onKeepalive(source, sessionId, Buffer.alloc(0), cookie);
      return true;
    }
    this.onKeepalive(source, sessionId, Buffer.from(buf.subarray(udp + 8, end)), cookie);
    return true;
  }

  /** An IPv4 header without options at `inner`, carrying UDP to KEEPALIVE_PORT, after the ethertype 0x0800. */
  private isKeepalive(buf: Buffer, inner: number, end: number): boolean {
    const udp = inner + 20;
    return udp + 8 <= end && buf.readUInt16BE(inner - 2) === 0x0800 && (buf[inner]! & 0xf) === 5 && buf[inner + 9] === 17 && buf.readUInt16BE(udp + 2) === KEEPALIVE_PORT;
  }
}
