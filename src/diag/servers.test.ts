import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SERVERS_FILTER, ServerCounter } from './servers.js';
import { readCaptureFile } from './capture.js';
import { readPcap } from './pcap-file.js';
import { exec } from '../kernel/exec.js';
import { cookedV2, ETH_IPV4, ETH_IPV6, ethernet, ipv4, ipv6, pcapFile, synAckV4, tcp, TCP_ACK, TCP_ECE, TCP_RST, TCP_SYN } from './test-frames.js';

function count(frames: readonly Buffer[], linkType = 1): ServerCounter {
  const counter = new ServerCounter(linkType);
  for (const frame of frames) counter.add(frame, 0, frame.length);
  return counter;
}

// A mixed capture: 3 connections to :80, 1 to :8443 (ECN), one IPv6 server behind extension headers, and noise.
function mixedFrames(): Buffer[] {
  return [
    synAckV4('10.0.0.1', 80, '10.0.0.9', 40000, 1),
    synAckV4('10.0.0.1', 80, '10.0.0.9', 40000, 1), // retransmitted SYN-ACK: same connection
    synAckV4('10.0.0.1', 80, '10.0.0.9', 40001, 2),
    synAckV4('10.0.0.1', 80, '10.0.0.9', 40000, 99), // the client port reused later: a new connection
    ethernet(ETH_IPV4, ipv4({ src: '10.0.0.2', dst: '10.0.0.9', protocol: 6 }, tcp(8443, 40002, TCP_SYN | TCP_ACK | TCP_ECE))),
    ethernet(ETH_IPV4, ipv4({ src: '10.0.0.9', dst: '10.0.0.1', protocol: 6 }, tcp(40003, 80, TCP_SYN))), // a SYN
    ethernet(ETH_IPV4, ipv4({ src: '10.0.0.1', dst: '10.0.0.9', protocol: 6 }, tcp(80, 40003, TCP_RST | TCP_ACK))),
    ethernet(ETH_IPV4, ipv4({ src: '10.0.0.1', dst: '10.0.0.9', protocol: 6 }, tcp(80, 40004, TCP_ACK))),
    ethernet(ETH_IPV4, ipv4({ src: '10.0.0.1', dst: '10.0.0.9', protocol: 17 }, tcp(80, 40005, TCP_SYN | TCP_ACK))), // UDP
    ethernet(ETH_IPV6, ipv6('2001:db8::80', '2001:db8::9', 6, tcp(443, 50000, TCP_SYN | TCP_ACK))),
    ethernet(ETH_IPV6, ipv6('2001:db8::80', '2001:db8::9', 6, tcp(443, 50001, TCP_SYN | TCP_ACK))),
    ethernet(0x0806, Buffer.alloc(28)),
  ];
}

const EXPECTED = [
  { ip: '10.0.0.1', family: 4, port: 80, connections: 3 },
  { ip: '2001:db8::80', family: 6, port: 443, connections: 2 },
  { ip: '10.0.0.2', family: 4, port: 8443, connections: 1 },
];

test('SYN-ACKs are counted once per connection, by server IP and port, most connections first', () => {
  const counter = count(mixedFrames());
  assert.deepEqual(counter.rows(), EXPECTED);
  assert.equal(counter.matched, 7);
});

test('ties are ordered IPv4 first, then by address numerically, then port', () => {
  const counter = count([
    synAckV4('10.0.0.10', 80, '10.0.0.9', 1),
    synAckV4('10.0.0.9', 81, '10.0.0.9', 1),
    synAckV4('10.0.0.9', 80, '10.0.0.9', 1),
    ethernet(ETH_IPV6, ipv6('::1', '::2', 6, tcp(80, 1, TCP_SYN | TCP_ACK))),
  ]);
  assert.deepEqual(counter.rows().map((r) => `${r.ip}:${r.port}`), ['10.0.0.9:80', '10.0.0.9:81', '10.0.0.10:80', '::1:80']);
});

test('cooked captures (tcpdump -i any) count the same', () => {
  const frames = mixedFrames().map((f) => cookedV2(f.readUInt16BE(12), f.subarray(14)));
  assert.deepEqual(count(frames, 276).rows(), EXPECTED);
});

test('--read of a file with other packets gives the same answer, and matches what tcpdump -r selects with the same filter', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'uxt-servers-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'mixed.pcap');
  await writeFile(file, pcapFile(mixedFrames(), { linkType: 1, bigEndian: true }));
  const counter = new ServerCounter(-1);
  const result = await readCaptureFile(file, counter);
  assert.deepEqual(counter.rows(), EXPECTED);
  assert.equal(result.records, 12);
  assert.equal(result.matched, 7);
  assert.equal(result.stoppedBy, 'end');
  // tcpdump's BPF (IPv6 at the fixed offset) and the TypeScript test select the same frames.
  const tcpdump = await exec(['tcpdump', '-r', file, '-w', join(dir, 'out.pcap'), SERVERS_FILTER]);
  assert.equal(tcpdump.code, 0, tcpdump.stderr);
  const selected = readPcap(await (await import('node:fs/promises')).readFile(join(dir, 'out.pcap')));
  assert.equal(selected.packets.length, 7);
  const limited = new ServerCounter(-1);
  const partial = await readCaptureFile(file, limited, 2);
  assert.equal(partial.stoppedBy, 'packets');
  assert.equal(partial.matched, 2);
  assert.deepEqual(limited.rows(), [{ ip: '10.0.0.1', family: 4, port: 80, connections: 1 }]);
});
