// Per-tunnel health from keepalives: state, NAT, sequence gaps, and loss = sender's frames sent minus frames received here.
import { describeTunnelId } from '../config/values.js';
import { decodeKeepalive } from '../keepalive/frame.js';
import { formatIPv4 } from '../config/values.js';
import type { HealthSnapshot, TunnelHealth, TunnelState, UnknownSender } from './snapshot.js';
import { isRestart, newEntry, toHealth, type Arrival, type Entry } from './tracker-entry.js';

/** A keepalive interval that has passed without a keepalive counts as missed after this fraction of an interval more. */
const GRACE = 0.5;
export const STALE_AFTER_MISSED = 3;
export const DOWN_AFTER_MISSED = 6;
/** Until a sender tells its interval, the one ux-tunnel-transmit uses by default. */
export const DEFAULT_INTERVAL_SECONDS = 20;
/** Consecutive keepalives a deficit must last to count as loss (see countInterval). */
export const SETTLE_KEEPALIVES = 3;
/** Bounds memory when something floods the collector with keepalives from ever new addresses. */
const MAX_UNKNOWN_SENDERS = 1000;

export interface ConfiguredTunnel {
  readonly line: number;
  readonly tunnelId: number;
  readonly localIp: string;
  readonly remoteIp: string;
  /** Its session interface in the kernel; null when there is none. */
  readonly interface: string | null;
  /** The cookie tunnels.conf gives it (hex); null: none. */
  readonly cookie: string | null;
  /**
   * Another source its keepalives may come from: an encrypted tunnel behind NAT arrives decrypted from the web
   * server's own address (its tunnel ID), which NAT never rewrote.
   */
  readonly alsoFrom?: string | null;
}

/** Receive counters of a session interface at the moment a keepalive arrived. */
export interface RxCounters {
  readonly packets: number;
  readonly errors: number;
  readonly dropped: number;
}

export interface HealthEvent {
  /** debug: every settled interval (monitor --verbose). */
  readonly level: 'warning' | 'info' | 'debug';
  readonly tunnelId: number | null;
  readonly message: string;
}

export interface TrackerOptions {
  readonly startedMs: number;
  readonly lossWarnPercent: number;
}

export type KeepaliveVerdict = 'tunnel' | 'unknown' | 'malformed' | 'cookie';

export class HealthTracker {
  private readonly entries = new Map<number, Entry>();
  private readonly unknown = new Map<string, UnknownSender>();
  private unknownKeepalives = 0;
  private malformedKeepalives = 0;
  private readonly events: HealthEvent[] = [];

  constructor(private readonly options: TrackerOptions) {}

  /** The tunnels to watch (after a config or kernel change); a tunnel whose addresses changed starts over. */
  setTunnels(tunnels: readonly ConfiguredTunnel[]): void {
    const keep = new Set<number>();
    for (const conf of tunnels) {
      keep.add(conf.tunnelId);
      const entry = this.entries.get(conf.tunnelId);
      if (entry && entry.conf.remoteIp === conf.remoteIp && entry.conf.localIp === conf.localIp) {
        if (entry.conf.cookie !== conf.cookie) entry.cookieMismatch = null;
        // A new session interface has fresh counters: the next keepalive is a new baseline, not an interval.
        if (entry.conf.interface !== conf.interface && entry.last) entry.last = { ...entry.last, rx: null };
        entry.conf = conf;
      } else this.entries.set(conf.tunnelId, newEntry(conf));
    }
    for (const id of [...this.entries.keys()]) if (!keep.has(id)) this.entries.delete(id);
  }

  /**
   * One keepalive payload that arrived from `source` in session `sessionId`. `readRx` reads the session interface's
   * counters now: right after the keepalive, so they cover exactly the frames sent before it.
   */
  onKeepalive(nowMs: number, source: string, sessionId: number, payload: Buffer, readRx: (ifname: string) => RxCounters | null, cookie: string | null = null): KeepaliveVerdict {
    const keepalive = decodeKeepalive(payload);
    if (!keepalive) {
      this.malformedKeepalives++;
      return 'malformed';
    }
    const entry = this.entries.get(sessionId);
    if (!entry || (entry.conf.remoteIp !== source && entry.conf.alsoFrom !== source)) {
      this.recordUnknown(nowMs, source, sessionId, keepalive.tunnelId, keepalive.host, entry ? 'address' : 'session');
      return 'unknown';
    }
    if (cookie !== entry.conf.cookie) {
      // The kernel dropped this keepalive, and every frame of the tunnel with it: no arrival, the tunnel goes down.
      this.recordCookieMismatch(entry, nowMs, cookie);
      return 'cookie';
    }
    if (entry.cookieMismatch) {
      this.events.push({ level: 'info', tunnelId: entry.conf.tunnelId, message: `tunnel ${describeTunnelId(entry.conf.tunnelId)} (${source}): the cookie agrees with tunnels.conf again` });
      entry.cookieMismatch = null;
    }
    const rx = entry.conf.interface ? readRx(entry.conf.interface) : null;
    const sentAtMs = Date.parse(keepalive.time);
    const arrival: Arrival = { atMs: nowMs, seq: keepalive.seq, host: keepalive.host, sentAtMs, counters: keepalive.counters ?? null, rx };
    const id = entry.conf.tunnelId;
    const prev = entry.last;
    if (prev && isRestart(prev, arrival)) {
      entry.senderRestarts++;
      entry.pending = [];
      this.events.push({ level: 'info', tunnelId: id, message: `tunnel ${describeTunnelId(id)} (${source}): the sender started over (keepalive ${arrival.seq} after ${prev.seq}); loss counting restarts from here` });
    } else if (prev) {
      entry.sequenceGaps += arrival.seq - prev.seq - 1;
      this.countInterval(entry, prev, arrival);
    }
    entry.keepalives++;
    entry.last = arrival;
    entry.interval = keepalive.interval > 0 ? keepalive.interval : entry.interval;
    entry.source = source;
    // A NAT rewrote the source when it differs from the sender's own address (version 1 frames: from its tunnel ID).
    entry.nat = source !== (keepalive.local ?? formatIPv4(keepalive.tunnelId)) || source !== entry.conf.remoteIp; // decrypted: the own address
    this.setState(entry, 'up', nowMs);
    return 'tunnel';
  }

  /** Updates states by the time that passed; returns what happened since the last call (for the log). */
  tick(nowMs: number): HealthEvent[] {
    for (const entry of this.entries.values()) this.setState(entry, this.stateOf(entry, nowMs), nowMs);
    return this.events.splice(0);
  }

  snapshot(nowMs: number, meta: { pid: number; config: string }): HealthSnapshot {
    const tunnels: TunnelHealth[] = [...this.entries.values()]
      .sort((a, b) => a.conf.line - b.conf.line)
      .map((e) => toHealth(e, this.stateOf(e, nowMs), nowMs));
    return {
      version: 1,
      pid: meta.pid,
      started: new Date(this.options.startedMs).toISOString(),
      updated: new Date(nowMs).toISOString(),
      config: meta.config,
      lossWarnPercent: this.options.lossWarnPercent,
      tunnels,
      unknownSenders: [...this.unknown.values()],
      unknownKeepalives: this.unknownKeepalives,
      malformedKeepalives: this.malformedKeepalives,
    };
  }

  private stateOf(entry: Entry, nowMs: number): TunnelState {
    if (entry.conf.interface === null) return 'down';
    const interval = entry.interval ?? DEFAULT_INTERVAL_SECONDS;
    if (!entry.last) {
      return (nowMs - this.options.startedMs) / 1000 > (STALE_AFTER_MISSED + GRACE) * DEFAULT_INTERVAL_SECONDS ? 'down' : 'waiting';
    }
    const missed = (nowMs - entry.last.atMs) / 1000 / interval - GRACE;
    if (missed >= DOWN_AFTER_MISSED) return 'down';
    if (missed >= STALE_AFTER_MISSED) return 'stale';
    return 'up';
  }

  private setState(entry: Entry, state: TunnelState, nowMs: number): void {
    const before = entry.state;
    if (before === state) return;
    entry.state = state;
    const id = entry.conf.tunnelId;
    const name = `tunnel ${describeTunnelId(id)} (${entry.conf.remoteIp}, ${entry.conf.interface ?? 'no session interface'})`;
    const age = entry.last ? `${Math.round((nowMs - entry.last.atMs) / 1000)} s` : 'ever since the monitor started';
    if (state === 'stale') this.events.push({ level: 'warning', tunnelId: id, message: `${name} is stale: no keepalive for ${age} (${STALE_AFTER_MISSED} missed); is ux-tunnel-transmit running on the sender?` });
    else if (state === 'down') {
      const why = entry.conf.interface === null ? 'the kernel has no session for it (run ux-tunnel-receive reload)' : `no keepalive for ${age}`;
      this.events.push({ level: 'warning', tunnelId: id, message: `${name} is down: ${why}` });
    } else if (state === 'up') {
      this.events.push({ level: 'info', tunnelId: id, message: before === 'waiting' ? `${name} is up: first keepalive from ${entry.last?.host || 'the sender'}` : `${name} is up again after being ${before}` });
    }
  }

  /**
   * Loss is settled SETTLE_KEEPALIVES - 1 keepalives late. The deficit D = frames sent - frames received since the
   * monitor started is read at each keepalive, but frames sent just before a keepalive can arrive after it (the
   * keepalive overtakes them through another CPU's backlog or another NIC queue) and frames sent just after the sender
   * read its counters can arrive before it: D then holds frames that a later interval gives back. Real loss never
   * comes back, so the confirmed loss is the running maximum of the smallest D over SETTLE_KEEPALIVES consecutive
   * keepalives: it never decreases (a Prometheus counter) and ignores a deficit that did not last.
   */
  private countInterval(entry: Entry, prev: Arrival, now: Arrival): void {
    if (!prev.counters || !now.counters || !prev.rx || !now.rx) {
      entry.pending = [];
      return;
    }
    const sent = now.counters.sent - prev.counters.sent;
    const received = now.rx.packets - prev.rx.packets;
    entry.sent += sent;
    entry.received += received;
    entry.mirrored += Math.max(0, now.counters.mirrored - prev.counters.mirrored);
    entry.senderErrors += Math.max(0, now.counters.errors - prev.counters.errors);
    entry.senderDrops += Math.max(0, now.counters.drops - prev.counters.drops);
    entry.budgetShed += Math.max(0, (now.counters.budgetShed ?? 0) - (prev.counters.budgetShed ?? 0));
    entry.receiveErrors += Math.max(0, now.rx.errors + now.rx.dropped - prev.rx.errors - prev.rx.dropped);
    const deficit = entry.sent - entry.received;
    entry.pending.push({ seconds: Math.max(0, (now.sentAtMs - prev.sentAtMs) / 1000), sent, received, deficit });
    if (entry.pending.length < SETTLE_KEEPALIVES) return;
    const settling = entry.pending.shift()!;
    const confirmed = Math.max(entry.lost, Math.min(settling.deficit, ...entry.pending.map((p) => p.deficit)));
    const lost = confirmed - entry.lost;
    entry.lost = confirmed;
    const lossPercent = settling.sent > 0 ? (lost / settling.sent) * 100 : null;
    this.events.push({ level: 'debug', tunnelId: entry.conf.tunnelId, message: `tunnel ${describeTunnelId(entry.conf.tunnelId)}: interval of ${settling.seconds.toFixed(1)} s: sent ${settling.sent}, received ${settling.received}, deficits ${[settling.deficit, ...entry.pending.map((p) => p.deficit)].join(', ')}, lost ${lost} (total ${confirmed})` });
    entry.lastInterval = { seconds: settling.seconds, sent: settling.sent, received: settling.received, lost, lossPercent };
    if (lossPercent !== null && lost > 0 && lossPercent > this.options.lossWarnPercent) {
      const id = entry.conf.tunnelId;
      this.events.push({ level: 'warning', tunnelId: id, message: `tunnel ${describeTunnelId(id)} (${entry.conf.remoteIp}): ${lost} of ${settling.sent} frames lost (${lossPercent.toFixed(2)} %, above ${this.options.lossWarnPercent} %) in ${settling.seconds.toFixed(0)} s` });
    }
  }

  /** Said once when it starts; the values are never told (they are the tunnel's secret). */
  private recordCookieMismatch(entry: Entry, nowMs: number, received: string | null): void {
    const line = entry.conf.line;
    const reason = received === null
      ? `the web server sends no cookie, but tunnels.conf line ${line} has one: give the web server's tunnel.conf line the same cookie= and run ux-tunnel-transmit restart there (or remove it from line ${line} and run ux-tunnel-receive reload)`
      : entry.conf.cookie === null
        ? `the web server sends a cookie, but tunnels.conf line ${line} has none: copy the web server's cookie= to line ${line} and run ux-tunnel-receive reload`
        : `the web server's cookie is not the one of tunnels.conf line ${line}: copy the cookie= of line ${line} to the web server's tunnel.conf and run ux-tunnel-transmit restart there`;
    const id = entry.conf.tunnelId;
    if (entry.cookieMismatch?.reason !== reason) {
      this.events.push({ level: 'warning', tunnelId: id, message: `tunnel ${describeTunnelId(id)} (${entry.conf.remoteIp}): cookie mismatch, the kernel drops all its frames: ${reason}` });
    }
    entry.cookieMismatch = { reason, keepalives: (entry.cookieMismatch?.keepalives ?? 0) + 1, last: new Date(nowMs).toISOString() };
  }

  private recordUnknown(nowMs: number, source: string, sessionId: number, tunnelId: number, host: string, reason: UnknownSender['reason']): void {
    this.unknownKeepalives++;
    const key = `${source}/${sessionId}`;
    const seen = this.unknown.get(key);
    if (!seen) {
      if (this.unknown.size >= MAX_UNKNOWN_SENDERS) this.unknown.delete(this.unknown.keys().next().value!);
      const what = reason === 'session' ? `tunnel ID ${sessionId} is not in tunnels.conf` : `tunnel ID ${sessionId} is configured for another transmit-side-ip`;
      this.events.push({ level: 'warning', tunnelId: null, message: `keepalive from ${source} (host "${host}"): ${what}; counted, not monitored` });
    }
    this.unknown.delete(key); // re-inserted last: the eviction above drops the longest silent one
    this.unknown.set(key, { source, sessionId, tunnelId, host, reason, count: (seen?.count ?? 0) + 1, last: new Date(nowMs).toISOString() });
  }
}
