// What the receive-side monitor knows about every tunnel at one moment: written to its state file, read by status and metrics.

/**
 * up: a keepalive arrived within STALE_AFTER_MISSED intervals; stale: STALE_AFTER_MISSED keepalives missed; down:
 * DOWN_AFTER_MISSED missed, or none since the monitor started; waiting: none yet, but the monitor started too recently to tell.
 */
export type TunnelState = 'up' | 'stale' | 'down' | 'waiting';

/**
 * Frames over one interval between two keepalives of the same sender (sender's counters vs this host's); its loss is
 * settled by the keepalive after it (frames reordered around a keepalive are not loss).
 */
export interface IntervalLoss {
  /** Seconds between the two keepalives, by the sender's clock. */
  readonly seconds: number;
  /** Frames the sender transmitted on ruei-tun1 in the interval. */
  readonly sent: number;
  /** Frames ruei-mtun-NNNNN received in the same interval. */
  readonly received: number;
  /** Frames of the interval that never arrived (confirmed one keepalive later). */
  readonly lost: number;
  /** lost / sent * 100; null when nothing was sent. */
  readonly lossPercent: number | null;
}

export interface TunnelHealth {
  /** tunnels.conf line, tunnel ID and addresses. */
  readonly line: number;
  readonly tunnelId: number;
  readonly localIp: string;
  readonly remoteIp: string;
  /** ruei-mtun-NNNNN; null when the kernel has no session for the tunnel (stopped, not yet reloaded). */
  readonly interface: string | null;
  readonly state: TunnelState;
  /** ISO time the last keepalive arrived (this host's clock); null before the first. */
  readonly lastKeepalive: string | null;
  readonly keepaliveAgeSeconds: number | null;
  /** From the last keepalive: the sender's host name, interval, sequence number. */
  readonly host: string | null;
  readonly interval: number | null;
  readonly seq: number | null;
  /** Outer source address of the last keepalive, and whether a NAT rewrote it (it differs from the sender's own address). */
  readonly source: string | null;
  readonly nat: boolean | null;
  /** Keepalives received, and keepalives missing from the sequence (lost on the way) since the monitor started. */
  readonly keepalives: number;
  readonly sequenceGaps: number;
  /** Times the sender's sequence or counters started over (the keepalive or the transmit side restarted). */
  readonly senderRestarts: number;
  /** Sums over every complete interval since the monitor started. */
  readonly mirroredFrames: number;
  readonly sentFrames: number;
  readonly receivedFrames: number;
  readonly lostFrames: number;
  readonly lossPercent: number | null;
  /** Sender-side errors and drops along veth, bridge and tunnel interface (sums of interval deltas). */
  readonly senderErrors: number;
  readonly senderDrops: number;
  /** Frames the sender's mirror budget kept out of the mirror on purpose: not loss (sum of interval deltas). */
  readonly budgetShed: number;
  /** rx errors + rx dropped of ruei-mtun-NNNNN (sum of interval deltas). */
  readonly receiveErrors: number;
  /**
   * Frames from the tunnel's remote IP that arrived as IP fragments (the receive side's nftables counter, read every
   * few seconds; counted since start). Absent or null where nftables is unavailable.
   */
  readonly fragmentedFrames?: number | null;
  /** The last settled interval; null until three keepalives with counters (version 2) have arrived. */
  readonly lastInterval: IntervalLoss | null;
  /** Keepalives arrive with another cookie than tunnels.conf gives (or with one where it gives none); null: they agree. */
  readonly cookieMismatch?: CookieMismatch | null;
}

/** The kernel drops every frame of a tunnel whose cookie differs: what the keepalives showed, and what to do. */
export interface CookieMismatch {
  /** What differs and the fix, in words (never the cookies themselves). */
  readonly reason: string;
  /** Keepalives that arrived with the wrong cookie, and when the last did. */
  readonly keepalives: number;
  readonly last: string;
}

/** Keepalives that arrived but belong to no configured tunnel, grouped by where they came from. */
export interface UnknownSender {
  readonly source: string;
  readonly sessionId: number;
  /** What the keepalive says about itself (null if it could not be decoded). */
  readonly tunnelId: number | null;
  readonly host: string | null;
  /** session: no tunnels.conf line has this tunnel ID; address: the ID is configured for another transmit-side-ip. */
  readonly reason: 'session' | 'address';
  readonly count: number;
  readonly last: string;
}

export interface HealthSnapshot {
  readonly version: 1;
  readonly pid: number;
  readonly started: string;
  readonly updated: string;
  readonly config: string;
  readonly lossWarnPercent: number;
  readonly tunnels: readonly TunnelHealth[];
  readonly unknownSenders: readonly UnknownSender[];
  /** Totals since the monitor started: keepalives from unknown senders, payloads that are not a valid keepalive. */
  readonly unknownKeepalives: number;
  readonly malformedKeepalives: number;
  /** Source pinning's refusals per source (most first, at most REFUSED_SOURCES_SHOWN); absent: not read, or pinning off. */
  readonly refusedSources?: readonly { readonly source: string; readonly packets: number }[];
  /** The session interfaces' received bytes at the monitor's last two kernel reads (oldest first): status's load. */
  readonly rxReadings?: readonly RxReading[];
}

export interface RxReading {
  readonly at: string;
  /** Received bytes by session interface (ruei-mtun-NNNNN). */
  readonly bytes: Readonly<Record<string, number>>;
}

/** Refused sources shown in the metrics at most: a spoofer's random sources must not explode the series. */
export const REFUSED_SOURCES_SHOWN = 50;
