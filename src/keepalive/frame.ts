/*
 * The keepalive datagram (UDP payload, 169.254.115.1 -> 255.255.255.255:11115 inside the tunnel):
 *
 *   bytes 0..3   "UXTK" (ASCII magic)
 *   byte  4      version: 1 or 2 (this code writes 2)
 *   bytes 5..    one JSON object, UTF-8, no BOM; the whole payload is at most 4096 bytes
 *
 * Fields of the object (every integer is a JSON number that is a safe integer, i.e. at most 2^53-1):
 *   tunnelId   integer 0..2^32-1    the tunnel ID the sender is configured with                      (v1, required)
 *   host       string, <= 255 chars the sender's host name                                            (v1, required)
 *   seq        integer >= 1         1, 2, 3, ... since the sender process started                    (v1, required)
 *   time       string               when it was sent, ISO 8601 UTC (e.g. "2026-11-23T20:00:00.000Z")   (v1, required)
 *   interval   number > 0, finite   seconds until the next keepalive                                 (v1, required)
 *   local      dotted IPv4 string   the sender's own tunnel address (tunnel.conf transmit-ip): the receiver
 *                                  compares it with the outer source address to tell NAT            (v2, optional)
 *   counters   object               the sender's cumulative counters, read just before the frame was built, so
 *                                  a keepalive counts itself only in the next one; absent when the sender could
 *                                  not read them (its kernel objects are gone)                       (v2, optional)
 *     mirrored     packets our tc mirror filters matched on the mirror NIC (both hooks)
 *     mirrorDrops  packets those filters could not hand to ruei-veth1in (the mirror queue was full)
 *     budgetShed   packets the mirror budget (tunnel.conf budget-mbit=/budget-pps=) kept out of the mirror: counted
 *                  apart, so the receive side tells shedding from loss (optional: older senders omit it)
 *     sent         packets transmitted by ruei-tun1 (tx_packets)
 *     sentBytes    bytes transmitted by ruei-tun1 (tx_bytes)
 *     errors       tx_errors of ruei-veth1in, ruei-br1, ruei-tun1 + rx_errors of ruei-veth1out
 *     drops        the same sum for tx_dropped / rx_dropped
 *     chain        per interface: {"ruei-veth1in": {txErrors, txDropped}, "ruei-veth1out": {rxErrors, rxDropped},
 *                  "ruei-br1": {txErrors, txDropped}, "ruei-tun1": {txPackets, txBytes, txErrors, txDropped}}
 *   Every counter is a non-negative integer counted since the kernel objects were created (they restart from 0
 *   when `start` recreates them); all of them, and all of chain, are required when `counters` is present.
 *
 * Versions: readers ignore fields they do not know, so fields may be added without a new version. A frame with a
 * version above 2 is decoded for the fields it shares with version 2; `local` and `counters` are only read from
 * version 2 on (in a version 1 frame they are unknown fields). A frame whose known fields are malformed is not a
 * keepalive at all: decodeKeepalive returns null rather than a partly trusted frame.
 */
import { parseIPv4 } from '../config/values.js';

export const KEEPALIVE_MAGIC = Buffer.from('UXTK', 'ascii');
export const KEEPALIVE_VERSION = 2;
/** Bigger payloads are not keepalives: a v2 frame is about 500 bytes, and this bounds what a reader parses. */
export const KEEPALIVE_MAX_BYTES = 4096;
const MAX_HOST_CHARS = 255;

export interface Keepalive {
  readonly tunnelId: number;
  /** The sender's host name (os.hostname()). */
  readonly host: string;
  /** 1, 2, 3, ... since the sender started. */
  readonly seq: number;
  /** When it was sent, ISO 8601 UTC. */
  readonly time: string;
  /** Seconds until the next one: the receive side may call the tunnel idle after a few of these. */
  readonly interval: number;
  /** The sender's own tunnel address (v2); differs from the outer source address behind NAT. */
  readonly local?: string;
  /** The sender's cumulative counters (v2); absent when it could not read them. */
  readonly counters?: SenderCounters;
}

export interface SenderCounters {
  readonly mirrored: number;
  readonly mirrorDrops: number;
  readonly sent: number;
  readonly sentBytes: number;
  readonly errors: number;
  readonly drops: number;
  /** Frames the mirror budget shed (police overlimits); absent from senders that predate the budget. */
  readonly budgetShed?: number;
  readonly chain: {
    readonly 'ruei-veth1in': { readonly txErrors: number; readonly txDropped: number };
    readonly 'ruei-veth1out': { readonly rxErrors: number; readonly rxDropped: number };
    readonly 'ruei-br1': { readonly txErrors: number; readonly txDropped: number };
    readonly 'ruei-tun1': { readonly txPackets: number; readonly txBytes: number; readonly txErrors: number; readonly txDropped: number };
  };
}

export type DecodedKeepalive = Keepalive & { readonly version: number };

const TOTALS = ['mirrored', 'mirrorDrops', 'sent', 'sentBytes', 'errors', 'drops'] as const;
const CHAIN_FIELDS = {
  'ruei-veth1in': ['txErrors', 'txDropped'],
  'ruei-veth1out': ['rxErrors', 'rxDropped'],
  'ruei-br1': ['txErrors', 'txDropped'],
  'ruei-tun1': ['txPackets', 'txBytes', 'txErrors', 'txDropped'],
} as const;

export function encodeKeepalive(k: Keepalive): Buffer {
  // Fields are copied one by one so that a caller's extra properties never reach the wire.
  const body: Record<string, unknown> = { tunnelId: k.tunnelId, host: k.host, seq: k.seq, time: k.time, interval: k.interval };
  if (k.local !== undefined) body.local = k.local;
  if (k.counters !== undefined) body.counters = k.counters;
  return Buffer.concat([KEEPALIVE_MAGIC, Buffer.from([KEEPALIVE_VERSION]), Buffer.from(JSON.stringify(body), 'utf8')]);
}

/**
 * The keepalive in a UDP payload, or null when the payload is not a valid one (see the format above). It reads
 * whatever arrives on the collector's port, so it never throws and returns only fields it has checked.
 */
export function decodeKeepalive(payload: Buffer): DecodedKeepalive | null {
  try {
    return decode(payload);
  } catch {
    return null;
  }
}

// fatal: invalid UTF-8 is an error, not U+FFFD; ignoreBOM keeps a BOM in the text, where JSON.parse rejects it.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function decode(payload: Buffer): DecodedKeepalive | null {
  if (payload.length < 6 || payload.length > KEEPALIVE_MAX_BYTES || !payload.subarray(0, 4).equals(KEEPALIVE_MAGIC)) return null;
  const version = payload[4]!;
  if (version < 1) return null;
  const body: unknown = JSON.parse(utf8.decode(payload.subarray(5)));
  if (!isObject(body)) return null;
  const { tunnelId, host, seq, time, interval } = body;
  if (!Number.isInteger(tunnelId) || (tunnelId as number) < 0 || (tunnelId as number) > 0xffffffff) return null;
  if (typeof host !== 'string' || host.length > MAX_HOST_CHARS) return null;
  if (!Number.isSafeInteger(seq) || (seq as number) < 1) return null;
  if (typeof time !== 'string') return null;
  if (typeof interval !== 'number' || !Number.isFinite(interval) || interval <= 0) return null;
  const k: { -readonly [F in keyof DecodedKeepalive]: DecodedKeepalive[F] } = { version, tunnelId: tunnelId as number, host, seq: seq as number, time, interval };
  if (version >= 2 && hasOwn(body, 'local')) {
    if (typeof body.local !== 'string' || parseIPv4(body.local) === null) return null;
    k.local = body.local;
  }
  if (version >= 2 && hasOwn(body, 'counters')) {
    const counters = decodeCounters(body.counters);
    if (counters === null) return null;
    k.counters = counters;
  }
  return k;
}

function decodeCounters(value: unknown): SenderCounters | null {
  if (!isObject(value) || !isObject(value.chain)) return null;
  const totals = countsOf(value, TOTALS);
  if (totals === null) return null;
  const chain: Record<string, Record<string, number>> = {};
  for (const [ifName, fields] of Object.entries(CHAIN_FIELDS)) {
    const entry = value.chain[ifName];
    const counts = isObject(entry) ? countsOf(entry, fields) : null;
    if (counts === null) return null;
    chain[ifName] = counts;
  }
  const optional: Record<string, number> = {};
  if (hasOwn(value, 'budgetShed')) {
    if (!isCount(value.budgetShed)) return null;
    optional.budgetShed = value.budgetShed;
  }
  // Every field of TOTALS and CHAIN_FIELDS was checked above, which is exactly what the type promises.
  return { ...totals, ...optional, chain } as unknown as SenderCounters;
}

/** The named fields of `object`, or null when one of them is not a counter. */
function countsOf(object: Record<string, unknown>, fields: readonly string[]): Record<string, number> | null {
  const out: Record<string, number> = {};
  for (const field of fields) {
    const count = object[field];
    if (!isCount(count)) return null;
    out[field] = count;
  }
  return out;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// Own properties only: a JSON key such as "constructor" must not be found on Object.prototype.
function hasOwn(object: Record<string, unknown>, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(object, key);
}

function isCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}
