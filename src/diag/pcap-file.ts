// Reads a whole classic pcap file (tcpdump -w) into packets; for small captures in tests and fixtures.
import { PcapStreamParser } from './pcap-stream.js';
export { LINKTYPE_ETHERNET } from './frame.js';

export interface PcapPacket {
  readonly seconds: number;
  readonly micros: number;
  readonly originalLength: number;
  readonly data: Buffer;
}

export interface PcapFile {
  readonly linkType: number;
  readonly packets: PcapPacket[];
}

/** Parses a pcap held in memory; an incomplete last record (a capture cut short by the stop signal) is dropped. */
export function readPcap(buffer: Buffer): PcapFile {
  const packets: PcapPacket[] = [];
  const parser: PcapStreamParser = new PcapStreamParser((buf, offset, caplen, origLen) => {
    const { seconds, fraction } = parser.timestamp(buf, offset);
    packets.push({
      seconds,
      micros: parser.nanosecond ? Math.floor(fraction / 1000) : fraction,
      originalLength: origLen,
      data: Buffer.from(buf.subarray(offset, offset + caplen)),
    });
  });
  parser.push(buffer);
  parser.end();
  return { linkType: parser.linkType, packets };
}
