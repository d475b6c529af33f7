// Streams large generated pcap files to disk (constant memory): a web traffic mix, and L2TPv3-over-IP tunnel traffic.
import { closeSync, openSync, writeSync } from 'node:fs';
import { ETH_IPV4, ethernet, ipv4, l2tpOverIp, tcp, TCP_ACK, TCP_SYN } from '../src/diag/test-frames.js';
import { parseIPv4 } from '../src/config/values.js';

const BUFFER = 4 << 20;
const LINKTYPE_ETHERNET = 1;

/** Writes pcap records through one reused 4 MiB buffer. */
class PcapWriter {
  private readonly fd: number;
  private readonly buf = Buffer.allocUnsafe(BUFFER);
  private at = 0;
  packets = 0;
  bytes = 0;

  constructor(path: string) {
    this.fd = openSync(path, 'w');
    const header = Buffer.alloc(24);
    header.writeUInt32LE(0xa1b2c3d4, 0);
    header.writeUInt16LE(2, 4);
    header.writeUInt16LE(4, 6);
    header.writeUInt32LE(262144, 16);
    header.writeUInt32LE(LINKTYPE_ETHERNET, 20);
    this.put(header);
  }

  /** Appends one record; `patch` edits the frame's bytes in the output buffer (ports, sequence numbers) in place. */
  record(frame: Buffer, patch?: (buf: Buffer, at: number) => void): void {
    if (this.at + 16 + frame.length > BUFFER) this.flush();
    const n = this.packets++;
    this.buf.writeUInt32LE(1_700_000_000 + Math.floor(n / 100_000), this.at);
    this.buf.writeUInt32LE((n % 100_000) * 10, this.at + 4);
    this.buf.writeUInt32LE(frame.length, this.at + 8);
    this.buf.writeUInt32LE(frame.length, this.at + 12);
    frame.copy(this.buf, this.at + 16);
    patch?.(this.buf, this.at + 16);
    this.at += 16 + frame.length;
  }

  close(): { packets: number; bytes: number } {
    this.flush();
    closeSync(this.fd);
    return { packets: this.packets, bytes: this.bytes };
  }

  private put(data: Buffer): void {
    data.copy(this.buf, this.at);
    this.at += data.length;
  }

  private flush(): void {
    let done = 0;
    while (done < this.at) done += writeSync(this.fd, this.buf, done, this.at - done);
    this.bytes += this.at;
    this.at = 0;
  }
}

// Offsets inside an Ethernet + 20-byte IPv4 frame.
const IP = 14;
const TCP = 34;

function tcpFrame(src: string, dst: string, sport: number, dport: number, flags: number, payload = 0): Buffer {
  return ethernet(ETH_IPV4, ipv4({ src, dst, protocol: 6 }, Buffer.concat([tcp(sport, dport, flags), Buffer.alloc(payload, 0x61)])));
}

export const SERVERS = Array.from({ length: 16 }, (_, i) => ({ ip: `10.0.0.${1 + (i >> 1)}`, port: i % 2 === 0 ? 80 : 443 }));
/** Client endpoints are drawn from a fixed pool (ports get reused with a new sequence number, as real clients do). */
export const CLIENT_ENDPOINTS = 4096;
const DATA_SIZES = [1448, 1448, 1448, 1448, 512, 100];

/**
 * A web traffic mix, 10 frames per connection: SYN, SYN-ACK, ACK, then 6 data frames from the server (full frames,
 * as tcpdump -w writes without -s). Returns the number of connections (= SYN-ACKs), spread evenly over SERVERS.
 */
export function writeServersCapture(path: string, packets: number): { packets: number; bytes: number; connections: number } {
  const w = new PcapWriter(path);
  const syn = tcpFrame('172.16.0.1', '10.0.0.1', 1024, 80, TCP_SYN);
  const synAck = tcpFrame('10.0.0.1', '172.16.0.1', 80, 1024, TCP_SYN | TCP_ACK);
  const ack = tcpFrame('172.16.0.1', '10.0.0.1', 1024, 80, TCP_ACK);
  const data = DATA_SIZES.map((size) => tcpFrame('10.0.0.1', '172.16.0.1', 80, 1024, TCP_ACK, size));
  const frames = [syn, synAck, ack, ...data];
  let connections = 0;
  for (let conn = 0; w.packets < packets; conn++) {
    const server = SERVERS[conn % SERVERS.length]!;
    const endpoint = conn % CLIENT_ENDPOINTS;
    const client = (parseIPv4('172.16.0.0')! + (endpoint >> 4)) >>> 0;
    const clientPort = 20000 + (endpoint & 15);
    const serverIp = parseIPv4(server.ip)!;
    const seq = (conn * 2654435761) >>> 0;
    for (let i = 0; i < frames.length && w.packets < packets; i++) {
      const fromServer = i === 1 || i >= 3;
      w.record(frames[i]!, (buf, at) => {
        buf.writeUInt32BE(fromServer ? serverIp : client, at + IP + 12);
        buf.writeUInt32BE(fromServer ? client : serverIp, at + IP + 16);
        buf.writeUInt16BE(fromServer ? server.port : clientPort, at + TCP);
        buf.writeUInt16BE(fromServer ? clientPort : server.port, at + TCP + 2);
        buf.writeUInt32BE((seq + i) >>> 0, at + TCP + 4);
      });
      if (i === 1) connections++;
    }
  }
  return { ...w.close(), connections };
}

export interface GeneratedTunnel {
  readonly src: string;
  readonly dst: string;
  readonly sessionId: number;
}

/** Four senders to one collector; tunnel ID = the sender's address as a number (no NAT). */
export const TUNNELS: GeneratedTunnel[] = ['10.10.10.11', '10.10.10.12', '10.10.10.13', '10.10.10.14']
  .map((src) => ({ src, dst: '10.10.10.10', sessionId: parseIPv4(src)! }));

/** L2TPv3-over-IP frames carrying mirrored web frames of mixed sizes, the tunnels interleaved pseudo-randomly. */
export function writeTunnelsCapture(path: string, packets: number): { packets: number; bytes: number } {
  const w = new PcapWriter(path);
  const innerSizes = [60, 66, 1200, 1400, 590, 1400];
  const templates = TUNNELS.map((t) => innerSizes.map((size) => {
    const inner = tcpFrame('10.0.0.1', '172.16.0.1', 80, 20000, TCP_ACK, size - 54 > 0 ? size - 54 : 0);
    return ethernet(ETH_IPV4, ipv4({ src: t.src, dst: t.dst, protocol: 115 }, l2tpOverIp(t.sessionId, inner)));
  }));
  let state = 12345;
  while (w.packets < packets) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    const tunnel = (state >>> 16) % TUNNELS.length;
    w.record(templates[tunnel]![(state >>> 8) % innerSizes.length]!);
  }
  return w.close();
}
