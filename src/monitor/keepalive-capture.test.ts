import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ETH_IPV4, ethernet, ipv4, pcapFile } from '../diag/test-frames.js';
import { LINKTYPE_ETHERNET } from '../diag/frame.js';
import { readPcap } from '../diag/pcap-file.js';
import { exec } from '../kernel/exec.js';
import { KEEPALIVE_PORT } from '../model/transmit.js';
import { KEEPALIVE_CAPTURE_FILTER, KeepaliveExtractor } from './keepalive-capture.js';

const udpHeader = (sport: number, dport: number, payloadLength: number) => {
  const udp = Buffer.alloc(8);
  udp.writeUInt16BE(sport, 0);
  udp.writeUInt16BE(dport, 2);
  udp.writeUInt16BE(8 + payloadLength, 4);
  return udp;
};

/**
 * A keepalive as a sender's tunnel carries it: session ID, the cookie if any, the sublayer, then the inner frame;
 * over IP protocol 115, or (udpPort) over UDP behind L2TPv3's flags-and-version word.
 */
function outer(cookie: string | null, udpPort: number | null = null, payload = Buffer.from('{"v":2}')): Buffer {
  const inner = ethernet(ETH_IPV4, ipv4({ src: '169.254.115.1', dst: '255.255.255.255', protocol: 17 }, Buffer.concat([udpHeader(40000, KEEPALIVE_PORT, payload.length), payload])));
  const session = Buffer.alloc(4);
  session.writeUInt32BE(0x0a01000b, 0);
  const l2tp = Buffer.concat([session, cookie ? Buffer.from(cookie, 'hex') : Buffer.alloc(0), Buffer.alloc(4), inner]);
  if (udpPort === null) return ethernet(ETH_IPV4, ipv4({ src: '10.1.0.11', dst: '10.1.0.10', protocol: 115 }, l2tp));
  const message = Buffer.concat([Buffer.from([0, 3, 0, 0]), l2tp]);
  return ethernet(ETH_IPV4, ipv4({ src: '10.1.0.1', dst: '10.1.0.10', protocol: 17 }, Buffer.concat([udpHeader(udpPort, udpPort, message.length), message])));
}

const KEEPALIVES = [outer(null), outer('0123456789abcdef'), outer(null, 1701), outer('0123456789abcdef', 1702)];
// Mirrored traffic that is not a keepalive, over IP and over UDP, and UDP that is not L2TPv3.
const OTHERS = [
  ethernet(ETH_IPV4, ipv4({ src: '10.1.0.11', dst: '10.1.0.10', protocol: 115 }, Buffer.alloc(80))),
  ethernet(ETH_IPV4, ipv4({ src: '10.1.0.1', dst: '10.1.0.10', protocol: 17 }, Buffer.concat([udpHeader(1701, 1701, 84), Buffer.from([0, 3, 0, 0]), Buffer.alloc(80)]))),
  ethernet(ETH_IPV4, ipv4({ src: '10.1.0.1', dst: '10.1.0.10', protocol: 17 }, Buffer.concat([udpHeader(53, 53, 80), Buffer.alloc(80)]))),
];

test('keepalives are found over IP and over UDP, with and without a 64-bit cookie, and the cookie is handed on', () => {
  const seen: [string, number, string, string | null][] = [];
  const extractor = new KeepaliveExtractor((source, sessionId, payload, cookie) => seen.push([source, sessionId, payload.toString(), cookie]));
  extractor.setLinkType(LINKTYPE_ETHERNET);
  for (const frame of KEEPALIVES) assert.equal(extractor.add(frame, 0, frame.length), true);
  assert.deepEqual(seen, [
    ['10.1.0.11', 0x0a01000b, '{"v":2}', null],
    ['10.1.0.11', 0x0a01000b, '{"v":2}', '0123456789abcdef'],
    ['10.1.0.1', 0x0a01000b, '{"v":2}', null],
    ['10.1.0.1', 0x0a01000b, '{"v":2}', '0123456789abcdef'],
  ]);
  for (const other of OTHERS) assert.equal(extractor.add(other, 0, other.length), false);
});

test('the kernel-side capture filter (tcpdump\'s BPF) selects exactly the keepalives', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'uxt-keepalive-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'in.pcap'), pcapFile([...OTHERS, ...KEEPALIVES], { linkType: LINKTYPE_ETHERNET }));
  const tcpdump = await exec(['tcpdump', '-r', join(dir, 'in.pcap'), '-w', join(dir, 'out.pcap'), KEEPALIVE_CAPTURE_FILTER]);
  assert.equal(tcpdump.code, 0, tcpdump.stderr);
  const selected = readPcap(await readFile(join(dir, 'out.pcap'))).packets.map((p) => Buffer.from(p.data).toString('hex'));
  assert.deepEqual(selected, KEEPALIVES.map((k) => k.toString('hex')));
});
