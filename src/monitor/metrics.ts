// The receive-side monitor's health as Prometheus metrics: the text exposition format 0.0.4 and the HTTP server that serves it.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { isIPv4, isIPv6, type AddressInfo } from 'node:net';
import type { HealthSnapshot, TunnelHealth, TunnelState } from './snapshot.js';

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
export const DEFAULT_METRICS_HOST = '127.0.0.1';

const STATES: readonly TunnelState[] = ['up', 'stale', 'down', 'waiting'];

type Labels = readonly (readonly [string, string])[];

interface Sample {
  readonly labels: Labels;
  readonly value: number;
}

interface Family {
  readonly name: string;
  readonly type: 'counter' | 'gauge';
  readonly help: string;
  readonly samples: readonly Sample[];
}

/** The snapshot as Prometheus text; nowMs is the scrape time, which may be later than the snapshot's. */
export function renderMetrics(snapshot: HealthSnapshot, nowMs: number): string {
  const lines: string[] = [];
  for (const family of metricFamilies(snapshot, nowMs)) {
    lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`);
    lines.push(`# TYPE ${family.name} ${family.type}`);
    for (const sample of family.samples) lines.push(`${family.name}${formatLabels(sample.labels)} ${formatNumber(sample.value)}`);
  }
  return `${lines.join('\n')}\n`;
}

function metricFamilies(snapshot: HealthSnapshot, nowMs: number): Family[] {
  const tunnels = snapshot.tunnels;
  // A family is listed even when it has no sample (no tunnels, every value unknown), so its HELP/TYPE stay discoverable.
  const perTunnel = (name: string, type: Family['type'], help: string, value: (t: TunnelHealth) => number | null): Family => ({
    name,
    type,
    help,
    samples: tunnels.flatMap((t) => {
      const v = value(t);
      return v === null ? [] : [{ labels: tunnelLabels(t), value: v }];
    }),
  });
  const monitorWide = (name: string, type: Family['type'], help: string, value: number | null): Family => ({
    name,
    type,
    help,
    samples: value === null ? [] : [{ labels: [], value }],
  });
  return [
    perTunnel('ux_tunnel_up', 'gauge', 'Whether the tunnel is up: 1 when a keepalive arrived recently, else 0.', (t) => (t.state === 'up' ? 1 : 0)),
    {
      name: 'ux_tunnel_state',
      type: 'gauge',
      help: 'The tunnel state (up, stale, down, waiting): 1 for the current state, 0 for the others.',
      samples: tunnels.flatMap((t) => STATES.map((s) => ({ labels: [...tunnelLabels(t), ['state', s] as const], value: t.state === s ? 1 : 0 }))),
    },
    perTunnel('ux_tunnel_keepalive_age_seconds', 'gauge', 'Seconds since the last keepalive of the tunnel arrived.', (t) => keepaliveAge(t, nowMs)),
    perTunnel('ux_tunnel_nat', 'gauge', 'Whether a NAT rewrote the outer source address of the last keepalive (1) or not (0).', (t) =>
      t.nat === null ? null : t.nat ? 1 : 0,
    ),
    perTunnel('ux_tunnel_keepalives_received_total', 'counter', 'Keepalives received on the tunnel.', (t) => t.keepalives),
    perTunnel('ux_tunnel_keepalive_sequence_gaps_total', 'counter', 'Keepalives missing from the sender\'s sequence (lost on the way).', (t) => t.sequenceGaps),
    perTunnel('ux_tunnel_sender_restarts_total', 'counter', 'Times the sender\'s keepalive sequence or counters started over.', (t) => t.senderRestarts),
    perTunnel('ux_tunnel_frames_mirrored_total', 'counter', 'Frames the sender mirrored into the tunnel, over complete keepalive intervals.', (t) => t.mirroredFrames),
    perTunnel('ux_tunnel_frames_sent_total', 'counter', 'Frames the sender transmitted on its tunnel interface, over complete keepalive intervals.', (t) => t.sentFrames),
    perTunnel('ux_tunnel_frames_received_total', 'counter', 'Frames the session interface received, over complete keepalive intervals.', (t) => t.receivedFrames),
    perTunnel('ux_tunnel_frames_lost_total', 'counter', 'Frames sent but not received, over complete keepalive intervals.', (t) => t.lostFrames),
    perTunnel('ux_tunnel_sender_errors_total', 'counter', 'Errors on the sender\'s veth, bridge and tunnel interface.', (t) => t.senderErrors),
    perTunnel('ux_tunnel_sender_drops_total', 'counter', 'Drops on the sender\'s veth, bridge and tunnel interface.', (t) => t.senderDrops),
    perTunnel('ux_tunnel_sender_budget_shed_total', 'counter', 'Frames the sender\'s mirror budget kept out of the mirror (not loss).', (t) => t.budgetShed),
    perTunnel('ux_tunnel_receive_errors_total', 'counter', 'Receive errors and drops of the session interface.', (t) => t.receiveErrors),
    perTunnel('ux_tunnel_frames_fragmented_total', 'counter', 'Frames from the tunnel\'s remote IP that crossed the network as IP fragments (since start).', (t) => t.fragmentedFrames ?? null),
    perTunnel('ux_tunnel_last_interval_loss_ratio', 'gauge', 'Frames lost over frames sent in the last complete keepalive interval (0..1).', (t) =>
      t.lastInterval && t.lastInterval.sent > 0 ? t.lastInterval.lost / t.lastInterval.sent : null,
    ),
    {
      name: 'ux_tunnel_unknown_sender_keepalives_total',
      type: 'counter',
      help: 'Keepalives from a sender no configured tunnel matches, by outer source address, session ID and reason.',
      samples: snapshot.unknownSenders.map((u) => ({
        labels: [['source', u.source], ['session_id', String(u.sessionId)], ['reason', u.reason]] as const,
        value: u.count,
      })),
    },
    {
      name: 'ux_tunnel_refused_packets_total',
      type: 'counter',
      help: 'IP protocol 115 packets source pinning refused (the source is not a sender of tunnels.conf), by source address; the 50 sources with most.',
      samples: (snapshot.refusedSources ?? []).map((r) => ({ labels: [['source', r.source]] as const, value: r.packets })),
    },
    monitorWide('ux_tunnel_unknown_keepalives_total', 'counter', 'Keepalives from senders no configured tunnel matches.', snapshot.unknownKeepalives),
    monitorWide('ux_tunnel_malformed_keepalives_total', 'counter', 'Payloads on the keepalive port that are not a valid keepalive.', snapshot.malformedKeepalives),
    monitorWide('ux_tunnel_monitor_start_time_seconds', 'gauge', 'When the monitor started, in unix seconds.', unixSeconds(snapshot.started)),
    // Lets an alert tell a monitor that stopped updating from healthy tunnels whose state merely stopped changing.
    monitorWide('ux_tunnel_monitor_last_update_time_seconds', 'gauge', 'When the monitor last updated its state, in unix seconds.', unixSeconds(snapshot.updated)),
    monitorWide('ux_tunnel_tunnels', 'gauge', 'Tunnels configured in tunnels.conf.', tunnels.length),
  ];
}

function tunnelLabels(t: TunnelHealth): Labels {
  // interface is empty while the kernel has no session for the tunnel; Prometheus treats an empty label as absent.
  return [['tunnel_id', String(t.tunnelId)], ['interface', t.interface ?? ''], ['remote', t.remoteIp]];
}

/** Measured at scrape time from the arrival time, so a scrape between two snapshots does not read an old age. */
function keepaliveAge(t: TunnelHealth, nowMs: number): number | null {
  const arrived = t.lastKeepalive === null ? NaN : Date.parse(t.lastKeepalive);
  if (Number.isNaN(arrived)) return t.keepaliveAgeSeconds;
  return Math.max(0, Math.round(nowMs - arrived)) / 1000;
}

function unixSeconds(iso: string): number | null {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? null : ms / 1000;
}

function formatLabels(labels: Labels): string {
  if (labels.length === 0) return '';
  return `{${labels.map(([name, value]) => `${name}="${escapeLabelValue(value)}"`).join(',')}}`;
}

/** The three escapes the format defines for label values; anything else is written as is (UTF-8). */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** Integers as plain digits (String() switches to an exponent from 1e21 on), anything else as Go's ParseFloat reads it. */
export function formatNumber(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  if (Number.isInteger(value)) return BigInt(value).toString();
  return String(value);
}

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/** PORT (on 127.0.0.1), HOST:PORT or [IPv6]:PORT, as given to --metrics-listen. */
export function parseListenAddress(text: string): ListenAddress {
  const fail = (why: string): never => {
    throw new Error(`invalid metrics listen address "${text}": ${why}; expected PORT, HOST:PORT or [IPv6]:PORT (e.g. 9469, 0.0.0.0:9469, [::1]:9469)`);
  };
  const bracketed = /^\[([^\]]*)\]:([^:]*)$/.exec(text);
  const plain = /^([^:[\]]*):([^:]*)$/.exec(text);
  let host: string;
  let portText: string;
  if (/^[^:[\]]*$/.test(text)) {
    host = DEFAULT_METRICS_HOST;
    portText = text;
  } else if (bracketed) {
    host = bracketed[1]!;
    portText = bracketed[2]!;
    if (!isIPv6(host)) fail(`"${host}" is not an IPv6 address`);
  } else if (plain) {
    host = plain[1]!;
    portText = plain[2]!;
    if (host === '') fail('the host is empty');
    if (/^[\d.]+$/.test(host) && !isIPv4(host)) fail(`"${host}" is not an IPv4 address`);
    if (!isIPv4(host) && !/^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$/.test(host)) {
      fail(`"${host}" is neither an IPv4 address nor a host name`);
    }
  } else {
    if (text.startsWith('[')) return fail('a bracketed IPv6 address needs :PORT after it');
    return fail(text.split(':').length > 2 ? 'an IPv6 address needs brackets' : 'cannot read it');
  }
  if (!/^\d{1,5}$/.test(portText)) fail(`port "${portText}" is not a number`);
  const port = Number(portText);
  // Port 0 asks the kernel for any free port: the tests use it, and the server reports the port it got.
  if (port > 65535) fail(`port ${port} is out of range 0..65535`);
  return { host, port };
}

/** "host:port", with brackets around an IPv6 host. */
export function formatListenAddress(address: ListenAddress): string {
  return `${isIPv6(address.host) ? `[${address.host}]` : address.host}:${address.port}`;
}

export interface MetricsServer {
  close(): Promise<void>;
  /** The address actually bound (the real port when 0 was asked for). */
  readonly address: ListenAddress;
}

/** Serves getText() at GET /metrics; resolves once listening, rejects with an actionable message when it cannot listen. */
export function startMetricsServer(listen: ListenAddress, getText: () => string, log: (line: string) => void): Promise<MetricsServer> {
  const server = createServer((req, res) => handle(req, res, getText, log));
  return new Promise((resolve, reject) => {
    const onStartError = (e: NodeJS.ErrnoException): void => reject(new Error(listenErrorMessage(listen, e)));
    server.once('error', onStartError);
    server.listen({ host: listen.host, port: listen.port }, () => {
      server.off('error', onStartError);
      server.on('error', (e) => log(`metrics server error: ${e.message}`));
      const info = server.address() as AddressInfo;
      const address = { host: info.address, port: info.port };
      log(`serving metrics on http://${formatListenAddress(address)}/metrics`);
      resolve({
        address,
        close: () =>
          new Promise<void>((done, fail) => {
            server.close((e) => (e ? fail(e) : done()));
            // Scrapers keep their connections open; without this close() would wait for them to time out.
            server.closeAllConnections();
          }),
      });
    });
  });
}

function listenErrorMessage(listen: ListenAddress, e: NodeJS.ErrnoException): string {
  const where = `cannot listen on ${formatListenAddress(listen)} for metrics`;
  switch (e.code) {
    case 'EADDRINUSE':
      return `${where}: address in use: choose another port with --metrics-listen`;
    case 'EACCES':
      return `${where}: permission denied (ports below 1024 need root): choose another port with --metrics-listen`;
    case 'EADDRNOTAVAIL':
      return `${where}: ${listen.host} is not an address of this host: choose another with --metrics-listen`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `${where}: cannot resolve host ${listen.host}: give an IP address with --metrics-listen`;
    default:
      return `${where}: ${e.message}`;
  }
}

function handle(req: IncomingMessage, res: ServerResponse, getText: () => string, log: (line: string) => void): void {
  const path = (req.url ?? '/').split('?')[0];
  if (path !== '/metrics' && path !== '/') return reply(res, 404, 'text/plain; charset=utf-8', 'not found: metrics are at /metrics\n');
  // HEAD shares GET's headers; node leaves out the body itself.
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    return reply(res, 405, 'text/plain; charset=utf-8', `method ${req.method} not allowed: use GET\n`);
  }
  if (path === '/') {
    return reply(res, 200, 'text/html; charset=utf-8', '<html><head><title>ux-tunnel</title></head><body><a href="/metrics">Metrics</a></body></html>\n');
  }
  let text: string;
  try {
    text = getText();
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    log(`metrics: cannot render: ${message}`);
    return reply(res, 500, 'text/plain; charset=utf-8', `cannot render metrics: ${message}\n`);
  }
  reply(res, 200, METRICS_CONTENT_TYPE, text);
}

function reply(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}
