// The path from the web server to the collector: does a mirrored frame cross it whole, or as IP fragments? Fragments
// cost the web server's CPU (every frame sent twice over) and the collector's reassembly, and a lost fragment loses
// the whole frame. Measured with DF probes (ping -M do) through the real route, compared with what the mirror sends.
import type { KernelRunner } from '../kernel/runner.js';

/** Ethernet header of a mirrored frame (the tunnel carries whole frames; the 4-byte FCS is not sent). */
export const ETHERNET_HEADER = 14;
/** An ICMP echo over IPv4 adds 28 bytes to its payload (ping -s). */
const ICMP_IPV4 = 28;
/** Below this IPv4 must pass unfragmented (RFC 791's 576, less nothing: we never probe smaller). */
const MIN_PROBE_MTU = 576;

export interface PathFacts {
  readonly nic: string;
  readonly nicMtu: number;
  readonly collector: string;
  /** The route's device and MTU (the route's own mtu attribute, else the device's). */
  readonly routeDev: string;
  readonly routeMtu: number;
  /** Largest IP packet that crossed with DF set; null when no probe was answered (ICMP filtered?). */
  readonly pathMtu: number | null;
  /** What the transport adds to each frame, outer IP header included. */
  readonly overhead: number;
  readonly transport: string;
}

export interface PathVerdict {
  /** The largest mirrored frame, and the IP packet it becomes on the path. */
  readonly frameBytes: number;
  readonly outerBytes: number;
  /** true: frames cross whole; false: the largest become IP fragments; null: unknown (no probe answered). */
  readonly whole: boolean | null;
  /** The largest production packet (IP MTU) whose frames cross whole on this path (null when unknown). */
  readonly wholeAtNicMtu: number | null;
  readonly lines: string[];
}

export function judgePath(f: PathFacts): PathVerdict {
  const frameBytes = f.nicMtu + ETHERNET_HEADER;
  const outerBytes = frameBytes + f.overhead;
  const mtu = f.pathMtu ?? null;
  const lines = [
    `route to ${f.collector}: dev ${f.routeDev}, MTU ${f.routeMtu}`,
    mtu === null
      ? `path MTU to ${f.collector}: unknown (no DF probe was answered: does ${f.collector} answer ping?); the route's MTU ${f.routeMtu} is an upper bound`
      : `path MTU to ${f.collector}: ${mtu} (DF probes through the route)`,
    `largest mirrored frame: ${frameBytes} bytes (${f.nic} MTU ${f.nicMtu} + ${ETHERNET_HEADER}), ${outerBytes} bytes on the path with ${f.transport} (+${f.overhead})`,
  ];
  const limit = mtu ?? f.routeMtu;
  const whole = outerBytes <= limit ? (mtu === null ? null : true) : false;
  const wholeAtNicMtu = limit - f.overhead - ETHERNET_HEADER;
  if (outerBytes <= limit && mtu !== null) lines.push('frames cross whole: no fragmentation, no reassembly on the collector');
  else if (outerBytes > limit) {
    lines.push(`frames larger than ${limit - f.overhead} bytes cross as IP fragments (two per full-size frame): the web server sends each twice over, ` +
      'the collector reassembles them, and a lost fragment loses the whole frame (see the benchmark: fragmentation is the mirror\'s largest avoidable cost)');
    // Clients on the Internet send and receive at most 1500-byte packets whatever the NIC's MTU: on a jumbo path
    // their frames cross whole even when the NIC's own largest frame does not.
    if (f.nicMtu > 1500 && 1500 + ETHERNET_HEADER + f.overhead <= limit) lines.push(`frames of connections with a 1500-byte path (clients on the Internet) cross whole: only this network's larger frames are fragmented`);
    const production = f.routeDev === f.nic
      ? `the tunnel leaves by ${f.nic} itself, so lower the production packets, not the NIC: a route MTU of ${wholeAtNicMtu} on the production routes (ip route change ... mtu ${wholeAtNicMtu}) or TCP MSS clamping to ${wholeAtNicMtu - 40}`
      : `a production MTU of ${wholeAtNicMtu} on ${f.nic} (ip link set dev ${f.nic} mtu ${wholeAtNicMtu})`;
    lines.push(`to send every frame whole: a path MTU of at least ${outerBytes} between this host and ${f.collector} (jumbo frames: many cloud networks carry 9000), ` +
      `or production packets of at most ${wholeAtNicMtu} bytes, as cloud mirroring services advise: ${production}`);
  }
  return { frameBytes, outerBytes, whole, wholeAtNicMtu: mtu === null ? null : wholeAtNicMtu, lines };
}

/** One DF probe of an IP packet of `mtu` bytes from `from` to `to`: true when the echo came back. */
export async function probe(runner: KernelRunner, from: string, to: string, mtu: number): Promise<boolean> {
  const result = await runner.probe(['ping', '-n', '-q', '-M', 'do', '-c', '1', '-W', '1', '-I', from, '-s', String(mtu - ICMP_IPV4), to]);
  return result.code === 0;
}

/**
 * The largest IP packet that crosses from `from` to `to` with DF set, up to `upTo` (the route's MTU: the kernel
 * refuses larger ones itself). `wanted` is tried first, so a path that carries the mirror's frames whole costs one
 * probe; otherwise a binary search. null when not even MIN_PROBE_MTU is answered.
 */
export async function measurePathMtu(runner: KernelRunner, from: string, to: string, upTo: number, wanted: number): Promise<number | null> {
  if (wanted <= upTo && (await probe(runner, from, to, wanted))) {
    if (wanted === upTo || !(await probe(runner, from, to, upTo))) return wanted;
    return upTo;
  }
  if (!(await probe(runner, from, to, MIN_PROBE_MTU))) return null;
  let good = MIN_PROBE_MTU;
  let bad = Math.min(wanted, upTo + 1);
  if (upTo < wanted && (await probe(runner, from, to, upTo))) return upTo;
  while (bad - good > 1) {
    const mid = Math.floor((good + bad) / 2);
    if (await probe(runner, from, to, mid)) good = mid;
    else bad = mid;
  }
  return good;
}
