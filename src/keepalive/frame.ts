// The keepalive datagram: "UXTK", a version byte, then UTF-8 JSON (fields may be added; readers ignore unknown ones).
export const KEEPALIVE_MAGIC = Buffer.from('UXTK', 'ascii');
export const KEEPALIVE_VERSION = 1;

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
}

export function encodeKeepalive(k: Keepalive): Buffer {
  const json = JSON.stringify({ tunnelId: k.tunnelId, host: k.host, seq: k.seq, time: k.time, interval: k.interval });
  return Buffer.concat([KEEPALIVE_MAGIC, Buffer.from([KEEPALIVE_VERSION]), Buffer.from(json, 'utf8')]);
}

/** The keepalive in a UDP payload, or null when the payload is not one (wrong magic, unknown version, bad JSON). */
export function decodeKeepalive(payload: Buffer): (Keepalive & { version: number }) | null {
  if (payload.length < 6 || !payload.subarray(0, 4).equals(KEEPALIVE_MAGIC)) return null;
  const version = payload[4]!;
  if (version < 1) return null;
  try {
    const body = JSON.parse(payload.subarray(5).toString('utf8')) as Partial<Keepalive>;
    if (typeof body.tunnelId !== 'number' || typeof body.seq !== 'number' || typeof body.time !== 'string') return null;
    return { version, tunnelId: body.tunnelId, host: String(body.host ?? ''), seq: body.seq, time: body.time, interval: Number(body.interval ?? 0) };
  } catch {
    return null;
  }
}
