// Metrics exposition checked by a real Prometheus parser (python3-prometheus-client), served over real HTTP on a loopback port.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseExposition, type ParsedFamily, type ParsedSample } from '../../test/kernel/lib/prometheus.js';
import { formatNumber, METRICS_CONTENT_TYPE, parseListenAddress, renderMetrics, startMetricsServer } from './metrics.js';
import type { HealthSnapshot, TunnelHealth } from './snapshot.js';

const parseWithPrometheusClient = parseExposition;

function tunnel(overrides: Partial<TunnelHealth>): TunnelHealth {
  return {
    line: 1, tunnelId: 1, localIp: '10.10.10.10', remoteIp: '10.10.10.11', interface: 'ruei-mtun-00000', state: 'up',
    lastKeepalive: null, keepaliveAgeSeconds: null, host: null, interval: null, seq: null, source: null, nat: null,
    keepalives: 0, sequenceGaps: 0, senderRestarts: 0, mirroredFrames: 0, sentFrames: 0, receivedFrames: 0, lostFrames: 0,
    lossPercent: null, senderErrors: 0, senderDrops: 0, budgetShed: 0, receiveErrors: 0, lastInterval: null,
    ...overrides,
  };
}

function snapshot(tunnels: TunnelHealth[], overrides: Partial<HealthSnapshot> = {}): HealthSnapshot {
  return {
    version: 1, pid: 4242, started: '2026-11-23T20:00:00.250Z', updated: '2026-11-23T20:05:00.000Z', config: '/etc/ux-tunnel/tunnels.conf',
    lossWarnPercent: 1, tunnels, unknownSenders: [], unknownKeepalives: 0, malformedKeepalives: 0,
    ...overrides,
  };
}

const NOW = Date.parse('2026-11-23T20:05:07.500Z');
const UP_NAT = tunnel({
  line: 3, tunnelId: 168430091, remoteIp: '10.10.10.11', interface: 'ruei-mtun-00000', state: 'up',
  lastKeepalive: '2026-11-23T20:05:01.250Z', keepaliveAgeSeconds: 1, host: 'web1', interval: 20, seq: 15, source: '192.0.2.7', nat: true,
  keepalives: 15, sequenceGaps: 2, senderRestarts: 1, mirroredFrames: 120_000, sentFrames: 119_990, receivedFrames: 119_950, lostFrames: 40,
  lossPercent: 0.03, senderErrors: 3, senderDrops: 5, budgetShed: 11, receiveErrors: 7, fragmentedFrames: 60_000,
  lastInterval: { seconds: 20, sent: 800, received: 790, lost: 10, lossPercent: 1.25 },
});
// 2^53 - 1 frames: far beyond any real counter, but it must still print as plain digits.
const DOWN_NULLS = tunnel({ line: 4, tunnelId: 7, remoteIp: '10.10.20.5', interface: null, state: 'down', keepalives: 0, mirroredFrames: Number.MAX_SAFE_INTEGER });
const TWO_TUNNELS = snapshot([UP_NAT, DOWN_NULLS], {
  unknownSenders: [
    { source: '198.51.100.9', sessionId: 99, tunnelId: 99, host: 'stray', reason: 'session', count: 6, last: '2026-11-23T20:04:00.000Z' },
    { source: '198.51.100.10', sessionId: 7, tunnelId: 7, host: null, reason: 'address', count: 2, last: '2026-11-23T20:04:30.000Z' },
  ],
  refusedSources: [{ source: '203.0.113.66', packets: 41 }],
  unknownKeepalives: 8,
  malformedKeepalives: 3,
});

const COUNTERS = [
  'ux_tunnel_keepalives_received_total', 'ux_tunnel_keepalive_sequence_gaps_total', 'ux_tunnel_sender_restarts_total',
  'ux_tunnel_frames_mirrored_total', 'ux_tunnel_frames_sent_total', 'ux_tunnel_frames_received_total', 'ux_tunnel_frames_lost_total',
  'ux_tunnel_sender_errors_total', 'ux_tunnel_sender_drops_total', 'ux_tunnel_sender_budget_shed_total', 'ux_tunnel_receive_errors_total',
  'ux_tunnel_frames_fragmented_total', 'ux_tunnel_unknown_keepalives_total', 'ux_tunnel_malformed_keepalives_total', 'ux_tunnel_unknown_sender_keepalives_total',
  'ux_tunnel_refused_packets_total',
];
const GAUGES = [
  'ux_tunnel_up', 'ux_tunnel_state', 'ux_tunnel_keepalive_age_seconds', 'ux_tunnel_nat', 'ux_tunnel_last_interval_loss_ratio',
  'ux_tunnel_monitor_start_time_seconds', 'ux_tunnel_monitor_last_update_time_seconds', 'ux_tunnel_tunnels',
];

/** Samples by sample name (the parser names a counter family without its _total, its samples with it). */
function samplesOf(families: readonly ParsedFamily[], name: string): ParsedSample[] {
  return families.flatMap((f) => f.samples.filter((s) => s.name === name));
}

function tunnelValue(families: readonly ParsedFamily[], name: string, tunnelId: number): number | undefined {
  const found = samplesOf(families, name).filter((s) => s.labels['tunnel_id'] === String(tunnelId));
  assert.ok(found.length <= 1, `${name} has ${found.length} samples for tunnel ${tunnelId}`);
  return found[0]?.value;
}

test('two tunnels and unknown senders, served on /metrics, read back by prometheus_client with the right types and values', async () => {
  const logged: string[] = [];
  const server = await startMetricsServer({ host: '127.0.0.1', port: 0 }, () => renderMetrics(TWO_TUNNELS, NOW), (l) => logged.push(l));
  let text: string;
  try {
    assert.equal(server.address.host, '127.0.0.1');
    assert.ok(server.address.port > 0);
    const res = await fetch(`http://127.0.0.1:${server.address.port}/metrics`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), METRICS_CONTENT_TYPE);
    text = await res.text();
  } finally {
    await server.close();
  }
  assert.deepEqual(logged, [`serving metrics on http://127.0.0.1:${server.address.port}/metrics`]);
  assert.ok(text.endsWith('\n'), 'the exposition ends with a newline');
  assert.doesNotMatch(text, /^ux_tunnel_\S+ \S*e[+-]?\d/m, 'no sample value is written with an exponent');
  assert.match(text, /^ux_tunnel_frames_mirrored_total\{tunnel_id="7",[^}]*\} 9007199254740991$/m);

  const families = await parseWithPrometheusClient(text);
  const byType = new Map<string, string>();
  for (const f of families) {
    assert.ok(f.help.length > 0, `${f.name} has a HELP text`);
    for (const s of f.samples) byType.set(s.name, f.type);
  }
  assert.equal(new Set(families.map((f) => f.name)).size, families.length, 'every family appears once');
  for (const name of COUNTERS) assert.equal(byType.get(name), 'counter', `${name} is a counter`);
  for (const name of GAUGES) assert.equal(byType.get(name), 'gauge', `${name} is a gauge`);
  assert.deepEqual([...byType.keys()].sort(), [...COUNTERS, ...GAUGES].sort(), 'no sample outside the intended families');

  for (const t of [UP_NAT, DOWN_NULLS]) {
    assert.equal(tunnelValue(families, 'ux_tunnel_frames_lost_total', t.tunnelId), t.lostFrames);
    assert.equal(tunnelValue(families, 'ux_tunnel_frames_sent_total', t.tunnelId), t.sentFrames);
    assert.equal(tunnelValue(families, 'ux_tunnel_keepalives_received_total', t.tunnelId), t.keepalives);
    assert.equal(tunnelValue(families, 'ux_tunnel_up', t.tunnelId), t.state === 'up' ? 1 : 0);
    const states = samplesOf(families, 'ux_tunnel_state').filter((s) => s.labels['tunnel_id'] === String(t.tunnelId));
    assert.deepEqual(states.map((s) => s.labels['state']).sort(), ['down', 'stale', 'up', 'waiting']);
    assert.deepEqual(states.filter((s) => s.value === 1).map((s) => s.labels['state']), [t.state], `exactly one state is 1 for tunnel ${t.tunnelId}`);
    assert.ok(states.every((s) => s.value === 0 || s.value === 1));
  }
  const upLabels = samplesOf(families, 'ux_tunnel_up').map((s) => s.labels);
  assert.deepEqual(upLabels, [
    { tunnel_id: '168430091', interface: 'ruei-mtun-00000', remote: '10.10.10.11' },
    { tunnel_id: '7', interface: '', remote: '10.10.20.5' },
  ]);
  assert.equal(tunnelValue(families, 'ux_tunnel_frames_mirrored_total', 7), Number.MAX_SAFE_INTEGER);

  // Measured at scrape time: 20:05:07.500 - 20:05:01.250, not the snapshot's 1 s.
  assert.equal(tunnelValue(families, 'ux_tunnel_keepalive_age_seconds', UP_NAT.tunnelId), 6.25);
  assert.equal(tunnelValue(families, 'ux_tunnel_nat', UP_NAT.tunnelId), 1);
  assert.equal(tunnelValue(families, 'ux_tunnel_last_interval_loss_ratio', UP_NAT.tunnelId), 10 / 800);
  for (const name of ['ux_tunnel_keepalive_age_seconds', 'ux_tunnel_nat', 'ux_tunnel_last_interval_loss_ratio']) {
    assert.equal(tunnelValue(families, name, DOWN_NULLS.tunnelId), undefined, `${name} is left out while unknown`);
  }

  const single = (name: string): number | undefined => {
    const found = samplesOf(families, name);
    assert.equal(found.length, 1, `${name} has one sample`);
    assert.deepEqual(found[0]?.labels, {});
    return found[0]?.value;
  };
  assert.equal(single('ux_tunnel_unknown_keepalives_total'), 8);
  assert.equal(single('ux_tunnel_malformed_keepalives_total'), 3);
  assert.equal(single('ux_tunnel_tunnels'), 2);
  assert.equal(single('ux_tunnel_monitor_start_time_seconds'), Date.parse(TWO_TUNNELS.started) / 1000);
  assert.equal(single('ux_tunnel_monitor_last_update_time_seconds'), Date.parse(TWO_TUNNELS.updated) / 1000);
  assert.deepEqual(
    samplesOf(families, 'ux_tunnel_unknown_sender_keepalives_total').map((s) => [s.labels, s.value]),
    [
      [{ source: '198.51.100.9', session_id: '99', reason: 'session' }, 6],
      [{ source: '198.51.100.10', session_id: '7', reason: 'address' }, 2],
    ],
  );
});

test('label values with quotes, backslashes and newlines survive the parser unchanged', async () => {
  const odd = 'ruei "mtun"\\00001\nsecond line';
  const oddSource = 'C:\\"\n\\n';
  const text = renderMetrics(
    snapshot([tunnel({ tunnelId: 5, interface: odd, remoteIp: 'x"y' })], {
      unknownSenders: [{ source: oddSource, sessionId: 1, tunnelId: null, host: null, reason: 'session', count: 1, last: '2026-11-23T20:00:00.000Z' }],
    }),
    NOW,
  );
  assert.equal(text.split('\n').filter((l) => l.startsWith('ux_tunnel_up')).length, 1, 'the newline is escaped, not written');
  const families = await parseWithPrometheusClient(text);
  assert.deepEqual(samplesOf(families, 'ux_tunnel_up')[0]?.labels, { tunnel_id: '5', interface: odd, remote: 'x"y' });
  assert.equal(samplesOf(families, 'ux_tunnel_unknown_sender_keepalives_total')[0]?.labels['source'], oddSource);
});

test('no tunnels: every family is still declared once, and the exposition parses', async () => {
  const text = renderMetrics(snapshot([]), NOW);
  const families = await parseWithPrometheusClient(text);
  assert.equal(families.length, COUNTERS.length + GAUGES.length);
  assert.equal(samplesOf(families, 'ux_tunnel_tunnels')[0]?.value, 0);
  assert.equal(text.match(/^# TYPE /gm)?.length, families.length);
  assert.equal(text.match(/^# HELP /gm)?.length, families.length);
});

test('source pinning\'s refusals: one counter per refused source, read back by the parser', async () => {
  const text = renderMetrics(snapshot([UP_NAT], { refusedSources: [{ source: '10.9.9.9', packets: 1200 }, { source: '10.9.9.8', packets: 3 }] }), NOW);
  const samples = samplesOf(await parseWithPrometheusClient(text), 'ux_tunnel_refused_packets_total');
  assert.deepEqual(samples.map((s) => [s.labels.source, s.value]), [['10.9.9.9', 1200], ['10.9.9.8', 3]]);
});

test('numbers: integers as plain digits at any size, the special values as the format spells them', () => {
  assert.equal(formatNumber(0), '0');
  assert.equal(formatNumber(1e21), '1000000000000000000000');
  assert.equal(formatNumber(0.125), '0.125');
  assert.equal(formatNumber(NaN), 'NaN');
  assert.equal(formatNumber(Infinity), '+Inf');
  assert.equal(formatNumber(-Infinity), '-Inf');
});

test('parseListenAddress: PORT, HOST:PORT, [IPv6]:PORT; anything else is an error naming the value', () => {
  const good: [string, { host: string; port: number }][] = [
    ['9469', { host: '127.0.0.1', port: 9469 }],
    ['0', { host: '127.0.0.1', port: 0 }],
    ['65535', { host: '127.0.0.1', port: 65535 }],
    ['0.0.0.0:9469', { host: '0.0.0.0', port: 9469 }],
    ['10.1.2.3:80', { host: '10.1.2.3', port: 80 }],
    ['localhost:9469', { host: 'localhost', port: 9469 }],
    ['[::1]:9469', { host: '::1', port: 9469 }],
    ['[::]:9469', { host: '::', port: 9469 }],
    ['[fe80::1]:1', { host: 'fe80::1', port: 1 }],
  ];
  for (const [text, want] of good) assert.deepEqual(parseListenAddress(text), want, text);
  const bad: [string, RegExp][] = [
    ['', /not a number/],
    ['abc', /port "abc" is not a number/],
    ['65536', /out of range/],
    ['-1', /not a number/],
    ['9469.5', /not a number/],
    [':9469', /host is empty/],
    ['127.0.0.1:', /port "" is not a number/],
    ['127.0.0.1:http', /not a number/],
    ['1.2.3.999:80', /not an IPv4 address/],
    ['bad_host!:80', /neither an IPv4 address nor a host name/],
    ['::1:9469', /IPv6 address needs brackets/],
    ['[::1]', /needs :PORT after it/],
    ['[10.0.0.1]:80', /not an IPv6 address/],
    ['[::1]:99999', /out of range|not a number/],
    [' 9469', /not a number/],
  ];
  for (const [text, why] of bad) {
    assert.throws(() => parseListenAddress(text), (e: Error) => {
      assert.ok(e.message.includes(`"${text}"`), `the message names the value: ${e.message}`);
      assert.match(e.message, why);
      assert.match(e.message, /expected PORT, HOST:PORT or \[IPv6\]:PORT/);
      return true;
    }, text);
  }
});

test('HTTP: / points to /metrics, HEAD works, other paths 404, other methods 405, a render failure is a 500', async () => {
  let fail = false;
  const logged: string[] = [];
  const server = await startMetricsServer({ host: '127.0.0.1', port: 0 }, () => {
    if (fail) throw new Error('state file unreadable');
    return renderMetrics(snapshot([]), NOW);
  }, (l) => logged.push(l));
  const base = `http://127.0.0.1:${server.address.port}`;
  try {
    const root = await fetch(`${base}/`);
    assert.equal(root.status, 200);
    assert.match(await root.text(), /href="\/metrics"/);
    const head = await fetch(`${base}/metrics`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-type'), METRICS_CONTENT_TYPE);
    assert.equal(await head.text(), '');
    assert.equal((await fetch(`${base}/metrics?x=1`)).status, 200);
    for (const path of ['/metric', '/metrics/', '/favicon.ico']) {
      const res = await fetch(`${base}${path}`);
      assert.equal(res.status, 404, path);
      assert.match(await res.text(), /\/metrics/);
    }
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const res = await fetch(`${base}/metrics`, { method });
      assert.equal(res.status, 405, method);
      assert.equal(res.headers.get('allow'), 'GET, HEAD');
      await res.text();
    }
    fail = true;
    const broken = await fetch(`${base}/metrics`);
    assert.equal(broken.status, 500);
    assert.match(await broken.text(), /state file unreadable/);
    assert.ok(logged.some((l) => /metrics: cannot render: state file unreadable/.test(l)), logged.join('\n'));
  } finally {
    await server.close();
  }
});

test('a port already in use is refused with a message that says what to do', async () => {
  const first = await startMetricsServer({ host: '127.0.0.1', port: 0 }, () => '', () => undefined);
  try {
    const port = first.address.port;
    await assert.rejects(
      startMetricsServer({ host: '127.0.0.1', port }, () => '', () => undefined),
      { message: `cannot listen on 127.0.0.1:${port} for metrics: address in use: choose another port with --metrics-listen` },
    );
  } finally {
    await first.close();
  }
});
