// Sends the keepalive through the tunnel: UDP from KEEPALIVE_SOURCE on ruei-veth1in to 255.255.255.255, every interval.
import { createSocket, type Socket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { runFile, writeRunFile } from '../kernel/run-files.js';
import { encodeKeepalive, type SenderCounters } from './frame.js';
import { KEEPALIVE_PORT, KEEPALIVE_SOURCE } from '../model/transmit.js';

/** Where the sender records its last keepalive, for `status` (runtime information only, never a source of truth). */
export function keepaliveStatusFile(env: NodeJS.ProcessEnv = process.env): string {
  return runFile('transmit-keepalive.json', env);
}

export interface KeepaliveStatus {
  readonly pid: number;
  readonly seq: number;
  /** ISO time of the last successful send; null before the first. */
  readonly lastSent: string | null;
  readonly lastError: string | null;
  readonly interval: number;
}

export function readKeepaliveStatus(file = keepaliveStatusFile()): KeepaliveStatus | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as KeepaliveStatus;
  } catch {
    return null;
  }
}

export interface SenderOptions {
  readonly tunnelId: number;
  /** The sender's tunnel address (tunnel.conf transmit-ip), sent as `local` so the receiver can tell NAT. */
  readonly local: string;
  readonly intervalSeconds: number;
  /** The cumulative counters the keepalive carries; without it (or when it fails) the keepalive carries none. */
  readonly readCounters?: () => Promise<SenderCounters>;
  /** Stop after this many sends (tests); 0 = forever. */
  readonly count: number;
  readonly log: (line: string) => void;
}

/**
 * Binding the source address makes the kernel send the limited broadcast out of the interface that holds it
 * (ruei-veth1in), so no native addon (SO_BINDTODEVICE) is needed. A failed send (the tunnel is down, stop ran) is
 * logged and retried at the next interval: the process keeps running, so systemd restarts it only after a crash.
 */
export async function runKeepaliveSender(options: SenderOptions): Promise<void> {
  const file = keepaliveStatusFile();
  let seq = 0;
  let lastSent: string | null = null;
  let lastError: string | null = null;
  let socket: Socket | null = null;
  let countersError: string | null = null;
  // Status is informational: a read-only /run must not stop the keepalive, so a failed write is ignored.
  const record = () => writeRunFile(file, JSON.stringify({ pid: process.pid, seq, lastSent, lastError, interval: options.intervalSeconds }));
  // A fixed schedule, not a pause after each send: reading the counters spawns tc, which must not stretch the interval
  // the frame announces (the receive side calls a tunnel stale after 3 intervals without a keepalive).
  const periodMs = options.intervalSeconds * 1000;
  const startedAt = Date.now();
  let slot = 0;
  for (let sent = 0; options.count === 0 || sent < options.count; ) {
    try {
      socket ??= await openSocket();
      // Read before the frame is built: this keepalive is then counted in the next one, never in itself.
      let counters: SenderCounters | undefined;
      try {
        counters = await options.readCounters?.();
        if (countersError !== null) options.log('[info] keepalive counters readable again');
        countersError = null;
      } catch (error) {
        const message = (error as Error).message;
        if (message !== countersError) options.log(`[warn] keepalive counters not read, keepalives go without them: ${message}: is the tunnel up? (ux-tunnel-transmit status)`);
        countersError = message;
      }
      const time = new Date().toISOString();
      const payload = encodeKeepalive({ tunnelId: options.tunnelId, host: hostname(), seq: seq + 1, time, interval: options.intervalSeconds, local: options.local, counters });
      await new Promise<void>((resolve, reject) => socket!.send(payload, KEEPALIVE_PORT, '255.255.255.255', (e) => (e ? reject(e) : resolve())));
      seq++;
      sent++;
      lastSent = time;
      if (lastError !== null || seq === 1) options.log(`[info] keepalive ${seq} sent from ${KEEPALIVE_SOURCE} (ruei-veth1in), every ${options.intervalSeconds}s`);
      lastError = null;
    } catch (error) {
      const message = `${(error as Error).message}: is the tunnel up? (ux-tunnel-transmit status)`;
      if (message !== lastError) options.log(`[warn] keepalive not sent: ${message}`);
      lastError = message;
      socket?.close();
      socket = null;
    }
    record();
    if (options.count !== 0 && sent >= options.count) break;
    slot = Math.max(slot + 1, Math.floor((Date.now() - startedAt) / periodMs));
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, startedAt + slot * periodMs - Date.now())));
  }
  socket?.close();
}

function openSocket(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket({ type: 'udp4', reuseAddr: false });
    socket.once('error', (e) => {
      socket.close();
      reject(e);
    });
    socket.bind({ address: KEEPALIVE_SOURCE, port: KEEPALIVE_PORT, exclusive: true }, () => {
      socket.removeAllListeners('error');
      socket.on('error', () => undefined); // send errors arrive through the send callback
      socket.setBroadcast(true);
      resolve(socket);
    });
  });
}
