// Reads a whole classic pcap file (tcpdump -w) into packets; for small captures in tests and fixtures.

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

export const LINKTYPE_ETHERNET = 1;

export function readPcap(buffer: Buffer): PcapFile {
  if (buffer.length < 24) throw new Error(`pcap: ${buffer.length} bytes is too short for a pcap header`);
  const magic = buffer.readUInt32LE(0);
  let little: boolean;
  let nanos = false;
  if (magic === 0xa1b2c3d4 || magic === 0xa1b23c4d) little = true;
  else if (magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1) little = false;
  else throw new Error(`pcap: bad magic 0x${magic.toString(16)} (not a classic pcap file; pcapng is not supported)`);
  if (magic === 0xa1b23c4d || magic === 0x4d3cb2a1) nanos = true;
  const u32 = (offset: number) => (little ? buffer.readUInt32LE(offset) : buffer.readUInt32BE(offset));
  const linkType = u32(20) & 0x0fffffff;
  const packets: PcapPacket[] = [];
  let offset = 24;
  while (offset + 16 <= buffer.length) {
    const caplen = u32(offset + 8);
    if (offset + 16 + caplen > buffer.length) break; // a capture cut short by the stop signal
    const fraction = u32(offset + 4);
    packets.push({
      seconds: u32(offset),
      micros: nanos ? Math.floor(fraction / 1000) : fraction,
      originalLength: u32(offset + 12),
      data: buffer.subarray(offset + 16, offset + 16 + caplen),
    });
    offset += 16 + caplen;
  }
  return { linkType, packets };
}
