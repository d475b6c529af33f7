// One tunnel's record in the health tracker (tracker.ts): the last keepalive, the counters it has added up, and the
// health it reports.
import type { SenderCounters } from '../keepalive/frame.js';
import type { ConfiguredTunnel, RxCounters } from './tracker.js';
import type { CookieMismatch, IntervalLoss, TunnelHealth, TunnelState } from './snapshot.js';

export interface Arrival {
  readonly atMs: number;
  readonly seq: number;
  readonly host: string;
  readonly sentAtMs: number;
  readonly counters: SenderCounters | null;
  readonly rx: RxCounters | null;
}

export interface Entry {
  conf: ConfiguredTunnel;
  state: TunnelState;
  last: Arrival | null;
  interval: number | null;
  source: string | null;
  nat: boolean | null;
  keepalives: number;
  sequenceGaps: number;
  senderRestarts: number;
  mirrored: number;
  sent: number;
  received: number;
  senderErrors: number;
  senderDrops: number;
  budgetShed: number;
  receiveErrors: number;
  /** Confirmed lost frames (see countInterval). */
  lost: number;
  /** The intervals whose loss is not settled yet, oldest first, with the deficit at their end. */
  pending: { seconds: number; sent: number; received: number; deficit: number }[];
  lastInterval: IntervalLoss | null;
  cookieMismatch: CookieMismatch | null;
}

/** A new sequence, a new host, or counters that went backwards: the sender (or its kernel objects) restarted. */
export function isRestart(prev: Arrival, now: Arrival): boolean {
  if (now.seq <= prev.seq || now.host !== prev.host) return true;
  return prev.counters !== null && now.counters !== null && now.counters.sent < prev.counters.sent;
}

export function newEntry(conf: ConfiguredTunnel): Entry {
  return {
    conf, state: 'waiting', last: null, interval: null, source: null, nat: null, keepalives: 0, sequenceGaps: 0, senderRestarts: 0,
    mirrored: 0, sent: 0, received: 0, senderErrors: 0, senderDrops: 0, budgetShed: 0, receiveErrors: 0, lost: 0, pending: [], lastInterval: null, cookieMismatch: null,
  };
}

export function toHealth(e: Entry, state: TunnelState, nowMs: number): TunnelHealth {
  const lost = e.lost;
  return {
    line: e.conf.line, tunnelId: e.conf.tunnelId, localIp: e.conf.localIp, remoteIp: e.conf.remoteIp, interface: e.conf.interface,
    state,
    lastKeepalive: e.last ? new Date(e.last.atMs).toISOString() : null,
    keepaliveAgeSeconds: e.last ? Math.max(0, (nowMs - e.last.atMs) / 1000) : null,
    host: e.last?.host ?? null, interval: e.interval, seq: e.last?.seq ?? null, source: e.source, nat: e.nat,
    keepalives: e.keepalives, sequenceGaps: e.sequenceGaps, senderRestarts: e.senderRestarts,
    mirroredFrames: e.mirrored, sentFrames: e.sent, receivedFrames: e.received, lostFrames: lost,
    lossPercent: e.sent > 0 ? (lost / e.sent) * 100 : null,
    senderErrors: e.senderErrors, senderDrops: e.senderDrops, budgetShed: e.budgetShed, receiveErrors: e.receiveErrors, lastInterval: e.lastInterval,
    cookieMismatch: e.cookieMismatch,
  };
}

