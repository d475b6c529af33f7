import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { parsePcapReadable, PcapFormatError, PcapStreamParser } from './pcap-stream.js';
import { readPcap } from './pcap-file.js';
import { chunksOf, l2tpV4, pcapFile, synAckV4 } from './test-frames.js';
import { LINKTYPE_ETHERNET } from './frame.js';

const frames = [
  synAckV4('10.0.0.1', 80, '10.0.0.2', 40000),
  l2tpV4('10.10.10.11', '10.10.10.10', 168430091),
  Buffer.alloc(0), // a zero-length record is legal
  synAckV4('10.0.0.1', 443, '10.0.0.3', 40001),
];

function collect(chunks: readonly Buffer[]): { hex: string[]; parser: PcapStreamParser } {
  const hex: string[] = [];
  const parser = new PcapStreamParser((buf, offset, caplen) => hex.push(buf.subarray(offset, offset + caplen).toString('hex')));
  for (const chunk of chunks) parser.push(chunk);
  parser.end();
  return { hex, parser };
}

test('both byte orders and both timestamp resolutions give the same records, link type and timestamps', () => {
  for (const bigEndian of [false, true]) {
    for (const nanosecond of [false, true]) {
      const file = pcapFile(frames, { linkType: LINKTYPE_ETHERNET, bigEndian, nanosecond });
      const { hex, parser } = collect([file]);
      assert.deepEqual(hex, frames.map((f) => f.toString('hex')), `bigEndian=${bigEndian} nanosecond=${nanosecond}`);
      assert.equal(parser.linkType, 1);
      assert.equal(parser.littleEndian, !bigEndian);
      assert.equal(parser.nanosecond, nanosecond);
      const read = readPcap(file);
      assert.deepEqual(read.packets.map((p) => [p.seconds, p.micros, p.originalLength]), [[1, 1, frames[0]!.length], [2, 2, frames[1]!.length], [3, 3, 0], [4, 4, frames[3]!.length]]);
    }
  }
});

test('records split across chunks at every possible boundary come out whole and in order', () => {
  const file = pcapFile(frames, { linkType: LINKTYPE_ETHERNET });
  const expected = frames.map((f) => f.toString('hex'));
  for (const size of [1, 2, 3, 5, 7, 15, 16, 17, 23, 24, 25, 40, 64, 100, file.length - 1]) {
    assert.deepEqual(collect(chunksOf(file, size)).hex, expected, `chunks of ${size} bytes`);
  }
  // Every two-chunk split, so a split inside the global header, a record header and a body are each covered.
  for (let cut = 1; cut < file.length; cut++) {
    assert.deepEqual(collect([file.subarray(0, cut), file.subarray(cut)]).hex, expected, `split at byte ${cut}`);
  }
});

test('a truncated last record is reported, not handed out', () => {
  const file = pcapFile(frames, { linkType: LINKTYPE_ETHERNET });
  const cut = file.subarray(0, file.length - 10);
  for (const chunks of [[cut], chunksOf(cut, 9)]) {
    const { hex, parser } = collect(chunks);
    assert.equal(hex.length, 3);
    assert.equal(parser.truncatedBytes, 16 + frames[3]!.length - 10);
  }
  // A record header alone, cut in its middle.
  const { hex, parser } = collect([pcapFile(frames.slice(0, 1), { linkType: 1 }), Buffer.alloc(7)]);
  assert.equal(hex.length, 1);
  assert.equal(parser.truncatedBytes, 7);
});

test('stop() ends the stream early; nothing after it reaches the handler', async () => {
  const file = pcapFile(frames, { linkType: LINKTYPE_ETHERNET });
  let seen = 0;
  const parser: PcapStreamParser = new PcapStreamParser(() => {
    if (++seen === 2) parser.stop();
  });
  const summary = await parsePcapReadable(Readable.from(chunksOf(file, 13)), parser);
  assert.equal(seen, 2);
  assert.equal(summary.records, 2);
});

test('parsePcapReadable consumes a stream in chunks and summarizes it', async () => {
  const file = pcapFile(frames, { linkType: 113, bigEndian: true });
  const sizes: number[] = [];
  const summary = await parsePcapReadable(Readable.from(chunksOf(file, 50)), new PcapStreamParser((_b, _o, caplen) => sizes.push(caplen)));
  assert.deepEqual(summary, { linkType: 113, records: 4, truncatedBytes: 0 });
  assert.deepEqual(sizes, frames.map((f) => f.length));
});

test('what is not classic pcap is rejected with a reason', () => {
  const parse = (buf: Buffer) => collect([buf]);
  assert.throws(() => parse(Buffer.concat([Buffer.from('0a0d0d0a', 'hex'), Buffer.alloc(40)])), /pcapng/);
  assert.throws(() => parse(Buffer.alloc(40, 0x41)), (e: Error) => e instanceof PcapFormatError && /bad magic/.test(e.message));
  assert.throws(() => parse(Buffer.alloc(0)), /empty capture/);
  assert.throws(() => parse(Buffer.alloc(10)), /too short/);
  const huge = pcapFile([Buffer.alloc(4)], { linkType: 1 });
  huge.writeUInt32LE(0x7fffffff, 24 + 8);
  assert.throws(() => parse(huge), /corrupt or not pcap/);
});
