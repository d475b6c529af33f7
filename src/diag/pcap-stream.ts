// Streaming classic-pcap parser: records are handed out as (buffer, offset, length) views, in constant memory.
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';

/**
 * Called once per record. `offset` is where the captured bytes start in `buf`; the 16-byte record header sits right
 * before it (see recordSeconds). The view is only valid during the call: copy what you keep.
 */
export type RecordHandler = (buf: Buffer, offset: number, caplen: number, origLen: number) => void;

export class PcapFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PcapFormatError';
  }
}

const GLOBAL_HEADER = 24;
const RECORD_HEADER = 16;
// No capture tool writes records this large (tcpdump's maximum snaplen is 262144): a larger length means the
// stream is not pcap or is corrupt, and buffering it would break the constant-memory promise.
const MAX_RECORD = 1 << 20;

export class PcapStreamParser {
  /** -1 until the global header has been read. */
  linkType = -1;
  snaplen = 0;
  littleEndian = true;
  nanosecond = false;
  /** Records handed to the handler. */
  records = 0;
  /** Bytes of a record still incomplete when the stream ended (a capture cut short, or a truncated file). */
  truncatedBytes = 0;
  private stopped = false;
  // Bytes of a header or record split across chunks; never more than one record.
  private stash: Buffer | null = null;

  constructor(
    private readonly onRecord: RecordHandler,
    private readonly onHeader?: (parser: PcapStreamParser) => void,
  ) {}

  /** Ignores everything after this call (a packet limit was reached). */
  stop(): void {
    this.stopped = true;
    this.stash = null;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  push(chunk: Buffer): void {
    if (this.stopped) return;
    let pos = 0;
    while (this.stash) {
      const stash: Buffer = this.stash;
      const need = this.unitLength(stash, 0, stash.length);
      const take = Math.min(need - stash.length, chunk.length - pos);
      const grown = Buffer.concat([stash, chunk.subarray(pos, pos + take)]);
      pos += take;
      if (grown.length < need) {
        this.stash = grown;
        return;
      }
      if (this.unitLength(grown, 0, grown.length) > grown.length) {
        this.stash = grown; // the record header is complete now: the body length is known, go round again
        continue;
      }
      this.stash = null;
      this.consume(grown, 0, grown.length);
      if (this.stopped) return;
    }
    const end = this.consume(chunk, pos, chunk.length);
    if (end < chunk.length && !this.stopped) this.stash = Buffer.from(chunk.subarray(end)); // a copy: the chunk may be large
  }

  /** Call when the input has ended: records the size of an incomplete last record. */
  end(): void {
    if (this.stash) this.truncatedBytes = this.stash.length;
    this.stash = null;
    if (this.linkType < 0 && !this.stopped && this.truncatedBytes === 0) {
      throw new PcapFormatError('empty capture: no pcap header was received');
    }
    if (this.linkType < 0 && !this.stopped) {
      throw new PcapFormatError(`${this.truncatedBytes} bytes is too short for a pcap header`);
    }
  }

  /** Length of the unit (global header, or record header + body) starting at pos; as far as it can be known. */
  private unitLength(buf: Buffer, pos: number, end: number): number {
    if (this.linkType < 0) return GLOBAL_HEADER;
    if (end - pos < RECORD_HEADER) return RECORD_HEADER;
    return RECORD_HEADER + this.caplenAt(buf, pos);
  }

  private caplenAt(buf: Buffer, pos: number): number {
    const caplen = this.littleEndian ? buf.readUInt32LE(pos + 8) : buf.readUInt32BE(pos + 8);
    if (caplen > MAX_RECORD) {
      throw new PcapFormatError(`record ${this.records + 1} claims ${caplen} captured bytes: the capture is corrupt or not pcap`);
    }
    return caplen;
  }

  /** Handles every complete unit in buf[pos, end); returns where the first incomplete one starts. */
  private consume(buf: Buffer, pos: number, end: number): number {
    if (this.linkType < 0) {
      if (end - pos < GLOBAL_HEADER) return pos;
      this.readGlobalHeader(buf, pos);
      pos += GLOBAL_HEADER;
      this.onHeader?.(this);
    }
    const little = this.littleEndian;
    const onRecord = this.onRecord;
    while (end - pos >= RECORD_HEADER) {
      const caplen = this.caplenAt(buf, pos);
      if (end - pos - RECORD_HEADER < caplen) break;
      const origLen = little ? buf.readUInt32LE(pos + 12) : buf.readUInt32BE(pos + 12);
      this.records++;
      onRecord(buf, pos + RECORD_HEADER, caplen, origLen);
      pos += RECORD_HEADER + caplen;
      if (this.stopped) return end;
    }
    return pos;
  }

  private readGlobalHeader(buf: Buffer, pos: number): void {
    const magic = buf.readUInt32LE(pos);
    if (magic === 0xa1b2c3d4 || magic === 0xa1b23c4d) this.littleEndian = true;
    else if (magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1) this.littleEndian = false;
    else if (magic === 0x0a0d0d0a) throw new PcapFormatError('this is a pcapng file; write classic pcap (tcpdump -w, or editcap -F pcap IN OUT)');
    else throw new PcapFormatError(`bad magic 0x${magic.toString(16)}: not a pcap capture`);
    this.nanosecond = magic === 0xa1b23c4d || magic === 0x4d3cb2a1;
    const u32 = (at: number) => (this.littleEndian ? buf.readUInt32LE(pos + at) : buf.readUInt32BE(pos + at));
    this.snaplen = u32(16);
    // The upper bits of the link-type field may carry an FCS length (pcap-savefile(5)); the type is the low 28 bits.
    this.linkType = u32(20) & 0x0fffffff;
  }

  /** Seconds and sub-second fraction (micro- or nanoseconds, see `nanosecond`) of the record whose data is at offset. */
  timestamp(buf: Buffer, offset: number): { seconds: number; fraction: number } {
    const at = offset - RECORD_HEADER;
    return this.littleEndian
      ? { seconds: buf.readUInt32LE(at), fraction: buf.readUInt32LE(at + 4) }
      : { seconds: buf.readUInt32BE(at), fraction: buf.readUInt32BE(at + 4) };
  }
}

export interface StreamSummary {
  readonly linkType: number;
  readonly records: number;
  readonly truncatedBytes: number;
}

/** Feeds a Readable of pcap bytes through the parser until it ends (or the parser is stopped). */
export async function parsePcapReadable(input: Readable, parser: PcapStreamParser): Promise<StreamSummary> {
  for await (const chunk of input) {
    parser.push(chunk as Buffer);
    if (parser.isStopped) break;
  }
  parser.end();
  return { linkType: parser.linkType, records: parser.records, truncatedBytes: parser.truncatedBytes };
}

const FILE_CHUNK = 1 << 20;

/**
 * Feeds a pcap file through the parser in 1 MiB reads into one reused buffer: no garbage per chunk, about a third
 * faster than a read stream on a million-packet file. Safe because records are views valid only during the handler
 * call, and the parser copies the bytes it keeps across reads.
 */
export async function parsePcapFile(path: string, parser: PcapStreamParser): Promise<StreamSummary> {
  const handle = await open(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(FILE_CHUNK);
    while (!parser.isStopped) {
      const { bytesRead } = await handle.read(buf, 0, FILE_CHUNK, null);
      if (bytesRead === 0) break;
      parser.push(bytesRead === FILE_CHUNK ? buf : buf.subarray(0, bytesRead));
    }
  } finally {
    await handle.close();
  }
  parser.end();
  return { linkType: parser.linkType, records: parser.records, truncatedBytes: parser.truncatedBytes };
}
