// Lazy frame decoder: finds the IP and transport headers of a captured frame without copying or allocating.

export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_LINUX_SLL2 = 276;
// DLT_RAW as some systems write it into files instead of LINKTYPE_RAW.
const DLT_RAW_ALIASES = new Set([12, 14]);

export const IPPROTO_TCP = 6;
export const IPPROTO_L2TP = 115;
export const IPPROTO_UDP = 17;
/** The first 4 bytes of every L2TPv3 data message over UDP (RFC 3931 4.1.2.1): T bit clear, version 3, reserved 0. */
export const L2TPV3_UDP_DATA = 0x00030000;

/**
 * Where the session ID of an L2TPv3 data message starts in a decoded frame: right after the IP header over IP
 * (protocol 115; 0 there is a control message), after the UDP header and the 4 bytes above over UDP (any port);
 * -1 when the frame is neither, a non-first fragment, or cut short.
 */
export function l2tpSessionAt(buf: Buffer, f: DecodedFrame): number {
  if (f.transport < 0) return -1;
  if (f.protocol === IPPROTO_L2TP) return f.transport + 4 <= f.end ? f.transport : -1;
  if (f.protocol !== IPPROTO_UDP || f.transport + 16 > f.end || buf.readUInt32BE(f.transport + 8) !== L2TPV3_UDP_DATA) return -1;
  return f.transport + 12;
}

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const ETHERTYPE_VLAN = 0x8100;
const ETHERTYPE_QINQ = 0x88a8;
const ETHERTYPE_QINQ_OLD = 0x9100;
// Linux cooked-capture packet type of a frame this host sent (PACKET_OUTGOING).
const PACKET_OUTGOING = 4;

export function isSupportedLinkType(linkType: number): boolean {
  return (
    linkType === LINKTYPE_ETHERNET || linkType === LINKTYPE_RAW || linkType === LINKTYPE_LINUX_SLL ||
    linkType === LINKTYPE_LINUX_SLL2 || linkType === LINKTYPE_IPV4 || linkType === LINKTYPE_IPV6 || DLT_RAW_ALIASES.has(linkType)
  );
}

/**
 * One reusable result object per analyzer: decodeFrame overwrites its fields, so a million packets cost no garbage.
 * Offsets are absolute positions in the buffer handed to decodeFrame.
 */
export class DecodedFrame {
  /** 4 or 6; 0 when the frame is not IP (or too short to tell). */
  family = 0;
  /** Start of the IP header (source address: +12 for IPv4, +8 for IPv6; destination: +16 / +24). */
  ip = 0;
  /** Transport protocol, after any IPv6 extension headers. */
  protocol = -1;
  /** Start of the transport header; -1 for a non-first fragment or when the headers run past the captured bytes. */
  transport = -1;
  /** End of the captured bytes. */
  end = 0;
  /** True when a Linux cooked capture marks the frame as sent by the capturing host. */
  outgoing = false;
}

/** Decodes the frame at buf[offset, offset + caplen) captured with linkType into out; returns out.family !== 0. */
export function decodeFrame(buf: Buffer, offset: number, caplen: number, linkType: number, out: DecodedFrame): boolean {
  const end = offset + caplen;
  out.family = 0;
  out.protocol = -1;
  out.transport = -1;
  out.end = end;
  out.outgoing = false;
  let pos: number;
  let etherType: number;
  switch (linkType) {
    case LINKTYPE_ETHERNET:
      if (caplen < 14) return false;
      etherType = buf.readUInt16BE(offset + 12);
      pos = offset + 14;
      break;
    case LINKTYPE_LINUX_SLL:
      if (caplen < 16) return false;
      out.outgoing = buf.readUInt16BE(offset) === PACKET_OUTGOING;
      etherType = buf.readUInt16BE(offset + 14);
      pos = offset + 16;
      break;
    case LINKTYPE_LINUX_SLL2:
      if (caplen < 20) return false;
      out.outgoing = buf[offset + 10] === PACKET_OUTGOING;
      etherType = buf.readUInt16BE(offset);
      pos = offset + 20;
      break;
    case LINKTYPE_IPV4:
      return decodeIPv4(buf, offset, end, out);
    case LINKTYPE_IPV6:
      return decodeIPv6(buf, offset, end, out);
    default:
      if (linkType !== LINKTYPE_RAW && !DLT_RAW_ALIASES.has(linkType)) return false;
      if (caplen < 1) return false;
      return buf[offset]! >> 4 === 4 ? decodeIPv4(buf, offset, end, out) : decodeIPv6(buf, offset, end, out);
  }
  // 802.1Q and 802.1ad tags, stacked (QinQ) or single: each is 4 bytes whose last two hold the next EtherType.
  while ((etherType === ETHERTYPE_VLAN || etherType === ETHERTYPE_QINQ || etherType === ETHERTYPE_QINQ_OLD) && pos + 4 <= end) {
    etherType = buf.readUInt16BE(pos + 2);
    pos += 4;
  }
  if (etherType === ETHERTYPE_IPV4) return decodeIPv4(buf, pos, end, out);
  if (etherType === ETHERTYPE_IPV6) return decodeIPv6(buf, pos, end, out);
  return false;
}

function decodeIPv4(buf: Buffer, pos: number, end: number, out: DecodedFrame): boolean {
  if (pos + 20 > end) return false;
  const versionIhl = buf[pos]!;
  if (versionIhl >> 4 !== 4) return false;
  const headerLength = (versionIhl & 0x0f) * 4; // options make it longer than 20
  if (headerLength < 20) return false;
  out.family = 4;
  out.ip = pos;
  out.protocol = buf[pos + 9]!;
  const fragmentOffset = buf.readUInt16BE(pos + 6) & 0x1fff;
  if (fragmentOffset === 0 && pos + headerLength <= end) out.transport = pos + headerLength;
  return true;
}

// Extension headers that are skipped to reach the transport header (RFC 8200 section 4).
const HOP_BY_HOP = 0;
const ROUTING = 43;
const FRAGMENT = 44;
const AUTH = 51;
const DEST_OPTS = 60;

function decodeIPv6(buf: Buffer, pos: number, end: number, out: DecodedFrame): boolean {
  if (pos + 40 > end) return false;
  if (buf[pos]! >> 4 !== 6) return false;
  out.family = 6;
  out.ip = pos;
  let next = buf[pos + 6]!;
  let at = pos + 40;
  for (;;) {
    if (next === HOP_BY_HOP || next === ROUTING || next === DEST_OPTS) {
      if (at + 2 > end) break;
      next = buf[at]!;
      at += (buf[at + 1]! + 1) * 8;
    } else if (next === FRAGMENT) {
      if (at + 8 > end) break;
      const nonFirst = buf.readUInt16BE(at + 2) >> 3 !== 0;
      next = buf[at]!;
      at += 8;
      if (nonFirst) {
        out.protocol = next;
        return true;
      }
    } else if (next === AUTH) {
      if (at + 2 > end) break;
      next = buf[at]!;
      at += (buf[at + 1]! + 2) * 4;
    } else {
      out.protocol = next;
      if (at <= end) out.transport = at;
      return true;
    }
  }
  return true; // extension headers cut off by the snapshot length: IPv6, but no transport header
}

/** The IPv4 source address as a 32-bit number (family 4 only). */
export function ipv4Source(buf: Buffer, frame: DecodedFrame): number {
  return buf.readUInt32BE(frame.ip + 12);
}

export function ipv4Destination(buf: Buffer, frame: DecodedFrame): number {
  return buf.readUInt32BE(frame.ip + 16);
}

/** RFC 5952 text of the 16 bytes at buf[at]: lower case, the longest run of two or more zero groups as "::". */
export function formatIPv6(buf: Buffer, at: number): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push(buf.readUInt16BE(at + i * 2));
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}
