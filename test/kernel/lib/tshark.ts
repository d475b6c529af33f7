// A real analyzer on a capture: Wireshark's dissectors (tshark) count HTTP requests and responses, the TCP analysis'
// lost-segment flags, and frames whose IP or TCP checksum is wrong, as an analyzer reading ruei-mtun would see them.
import { execOrThrow } from '../../../src/kernel/exec.js';

export interface TsharkCounts {
  readonly requests: number;
  readonly responses: number;
  /** Frames tshark flags "previous segment not captured" (tcp.analysis.lost_segment). */
  readonly lostSegments: number;
  /** Frames flagged out of order or retransmitted by tshark's TCP analysis (informational). */
  readonly outOfOrder: number;
  /** Frames whose IPv4 header checksum or TCP checksum tshark found bad (checksum validation switched on). */
  readonly badChecksums: number;
}

/** Frames matching each display filter, over the whole capture (tshark -z io,stat with one interval). */
export async function frameCounts(file: string, filters: readonly string[], options: readonly string[] = []): Promise<number[]> {
  const { stdout } = await execOrThrow(['tshark', '-n', '-r', file, ...options, '-q', '-z', `io,stat,0,${filters.join(',')}`]);
  const row = stdout.split('\n').find((l) => /^\|\s*[\d.]+\s*<>\s*[\d.]+\s*\|/.test(l) || /^\|\s*Dur\s*<>/.test(l));
  if (!row) throw new Error(`tshark printed no statistics row for ${file}:\n${stdout}`);
  // | 0.000 <> 0.055 | frames | bytes | frames | bytes | ...: the frame counts are every other cell after the interval.
  const cells = row.split('|').slice(2, -1).map((c) => Number(c.trim()));
  return filters.map((_, i) => cells[2 * i]!);
}

/**
 * Default settings for the HTTP and TCP analysis (what a user's tshark does); a second pass with checksum validation
 * on, because tshark does not check checksums by default.
 */
export async function tsharkCounts(file: string): Promise<TsharkCounts> {
  const [requests, responses, lostSegments, outOfOrder] = await frameCounts(file, ['http.request', 'http.response', 'tcp.analysis.lost_segment', 'tcp.analysis.out_of_order']);
  const [badChecksums] = await frameCounts(file, ['ip.checksum.status==0||tcp.checksum.status==0'], ['-o', 'ip.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE']);
  return { requests: requests!, responses: responses!, lostSegments: lostSegments!, outOfOrder: outOfOrder!, badChecksums: badChecksums! };
}

/**
 * One line per frame with a bad IP or TCP checksum: frame number, then what identifies the frame (length, addresses,
 * IP length and checksum status, ports, sequence, TCP length and checksum status, acknowledgement).
 */
export async function badChecksumFrames(file: string, limit = 10): Promise<string[]> {
  const { stdout } = await execOrThrow(['tshark', '-n', '-r', file, '-o', 'ip.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE', '-Y', 'ip.checksum.status==0||tcp.checksum.status==0',
    '-T', 'fields', '-e', 'frame.number', '-e', 'frame.len', '-e', 'ip.src', '-e', 'ip.dst', '-e', 'ip.len', '-e', 'ip.checksum.status', '-e', 'tcp.srcport', '-e', 'tcp.dstport', '-e', 'tcp.seq_raw', '-e', 'tcp.len', '-e', 'tcp.checksum.status', '-e', 'tcp.ack_raw']);
  return stdout.split('\n').filter(Boolean).slice(0, limit);
}

/**
 * Frames that cannot be what the mirrored NIC carried: a bad IPv4 header or TCP checksum (validation on), or a length
 * that disagrees with the IPv4 header (a frame joined from two frames' fragments of different sizes, whose TCP
 * checksum tshark then cannot verify). Frames of 60 bytes and less are left out (Ethernet pads them).
 */
export async function corruptedFrames(file: string, only = 'frame'): Promise<number> {
  const [corrupted] = await frameCounts(file, [`(${only})&&(ip.checksum.status==0||tcp.checksum.status==0||(frame.len>60&&frame.len!=ip.len+14))`],
    ['-o', 'ip.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE', '-o', 'tcp.analyze_sequence_numbers:FALSE', '-o', 'tcp.desegment_tcp_streams:FALSE']);
  return corrupted!;
}
