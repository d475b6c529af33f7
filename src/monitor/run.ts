// The long-running monitor: captures keepalives, follows tunnels.conf and the kernel's sessions, logs, writes state.
import { readFileSync, statSync } from 'node:fs';
import { captureLive, CaptureError } from '../diag/capture.js';
import { parseTunnelsConf, type ReceiveTunnel } from '../config/tunnels.js';
import { readL2tp } from '../kernel/l2tp.js';
import { formatIPv4 } from '../config/values.js';
import { readFragmentCounts } from '../kernel/fragment-count.js';
import { readRefusedSources, type RefusedSource } from '../kernel/source-pin.js';
import { readInterfaceCounter } from '../kernel/interface-counters.js';
import { systemRunner } from '../kernel/runner.js';
import { KeepaliveExtractor, KEEPALIVE_CAPTURE_FILTER, KEEPALIVE_SNAPLEN } from './keepalive-capture.js';
import { HealthTracker, type ConfiguredTunnel, type RxCounters } from './tracker.js';
import { removeMonitorState, writeMonitorState } from './state-file.js';
import { REFUSED_SOURCES_SHOWN, type RxReading } from './snapshot.js';
import { SESSION_IF_PATTERN } from '../model/receive.js';
import { renderMetrics, startMetricsServer } from './metrics.js';

export type LogLevel = 'error' | 'warning' | 'info' | 'debug';

export interface MonitorOptions {
  readonly configFile: string;
  readonly lossWarnPercent: number;
  readonly metricsListen: { readonly host: string; readonly port: number } | null;
  readonly stateFile: string;
  readonly log: (level: LogLevel, message: string) => void;
  readonly signal: AbortSignal;
}

const TICK_MS = 1000;
/** How often the kernel's sessions are read again (a reload adds or removes session interfaces). */
const KERNEL_REFRESH_TICKS = 5;
const CAPTURE_RETRY_MS = 2000;
/** How often the per-tunnel fragmented-frame counts (nftables) are read for the metrics. */
const FRAGMENT_REFRESH_MS = 30_000;

/** Runs until the signal aborts; throws only when it cannot start (bad config, no tcpdump, no metrics port). */
export async function runMonitor(options: MonitorOptions): Promise<void> {
  const { log, signal } = options;
  const tracker = new HealthTracker({ startedMs: Date.now(), lossWarnPercent: options.lossWarnPercent });
  let config = loadTunnels(options.configFile); // throws ConfigErrors: the service fails with the file and line
  let configStamp = stampOf(options.configFile);
  const runner = systemRunner({ echo: null });
  let fragments: Map<string, number> | null = null;
  let refused: RefusedSource[] | null = null;
  let fragmentsRead = 0;
  let rxReadings: RxReading[] = [];
  const refreshKernel = async () => {
    // Only the metrics show them (status reads them itself): read every FRAGMENT_REFRESH_MS, one nft process each time.
    if (options.metricsListen && Date.now() - fragmentsRead >= FRAGMENT_REFRESH_MS) {
      [fragments, refused] = await Promise.all([readFragmentCounts(runner), readRefusedSources(runner)]);
      fragmentsRead = Date.now();
    }
    try {
      const { sessions } = await readL2tp(runner);
      // The session interfaces' byte counters, for status's load (Mbit/s in): the last two readings are kept. From
      // sysfs, as the keepalive's counters: no process per refresh.
      const bytes: Record<string, number> = {};
      for (const s of sessions) {
        if (!SESSION_IF_PATTERN.test(s.interface)) continue;
        try {
          bytes[s.interface] = readInterfaceCounter(s.interface, 'rx_bytes');
        } catch {
          // the interface went away since the sessions were read: left out of this reading
        }
      }
      rxReadings = [...rxReadings, { at: new Date().toISOString(), bytes }].slice(-2);
      const byTunnel = new Map(sessions.map((s) => [s.tunnelId, s.interface]));
      tracker.setTunnels(config.map((t): ConfiguredTunnel => ({
        line: t.line, tunnelId: t.tunnelId, localIp: t.receivingIp, remoteIp: t.transmitIp, interface: byTunnel.get(t.tunnelId) ?? null, cookie: t.cookie,
        alsoFrom: t.wireguard && t.explicitId ? formatIPv4(t.tunnelId) : null,
      })));
    } catch (error) {
      log('error', `cannot read the kernel's L2TP sessions: ${(error as Error).message}`);
    }
  };
  await refreshKernel();
  log('info', `monitoring ${config.length} tunnel(s) of ${options.configFile}; loss warning above ${options.lossWarnPercent} %`);

  const extractor = new KeepaliveExtractor((source, sessionId, payload, cookie) => {
    tracker.onKeepalive(Date.now(), source, sessionId, payload, readRxCounters, cookie);
  });
  const snapshot = () => {
    const now = tracker.snapshot(Date.now(), { pid: process.pid, config: options.configFile });
    const counts = fragments;
    const withFragments = counts ? { ...now, tunnels: now.tunnels.map((t) => ({ ...t, fragmentedFrames: counts.get(t.remoteIp) ?? 0 })) } : now;
    const withReadings = { ...withFragments, rxReadings };
    return refused ? { ...withReadings, refusedSources: refused.slice(0, REFUSED_SOURCES_SHOWN) } : withReadings;
  };
  const metrics = options.metricsListen
    ? await startMetricsServer(options.metricsListen, () => renderMetrics(snapshot(), Date.now()), (line) => log('info', line))
    : null;

  let ticks = 0;
  let lastWriteError: string | null = null;
  const tick = async () => {
    ticks++;
    const stamp = stampOf(options.configFile);
    if (stamp !== configStamp) {
      configStamp = stamp;
      try {
        config = loadTunnels(options.configFile);
        log('info', `${options.configFile} changed: monitoring ${config.length} tunnel(s)`);
        await refreshKernel();
      } catch (error) {
        log('error', `${(error as Error).message}\nkeeping the previous configuration (${config.length} tunnel(s))`);
      }
    } else if (ticks % KERNEL_REFRESH_TICKS === 0) await refreshKernel();
    for (const event of tracker.tick(Date.now())) log(event.level, event.message);
    const writeError = writeMonitorState(options.stateFile, snapshot());
    if (writeError && writeError !== lastWriteError) log('warning', `${writeError}: status will not show tunnel health`);
    lastWriteError = writeError;
  };
  let ticking = Promise.resolve();
  const timer = setInterval(() => (ticking = ticking.then(tick)), TICK_MS);
  try {
    await captureLoop(extractor, signal, log);
  } finally {
    clearInterval(timer);
    await ticking;
    await metrics?.close();
    removeMonitorState(options.stateFile);
  }
}

/** tcpdump on every interface, inbound only; restarted if it ends. The first failure to start is fatal (a clear error). */
async function captureLoop(extractor: KeepaliveExtractor, signal: AbortSignal, log: MonitorOptions['log']): Promise<void> {
  let everListened = false;
  while (!signal.aborted) {
    try {
      await captureLive({
        interface: 'any', filter: KEEPALIVE_CAPTURE_FILTER, seconds: 0, maxPackets: 0, inboundOnly: true,
        snaplen: KEEPALIVE_SNAPLEN, signal,
        onListening: () => {
          everListened = true;
          log('info', 'listening for keepalives (L2TPv3 packets to UDP port 11115 inside) on all interfaces');
        },
      }, extractor);
      if (signal.aborted) return;
      log('warning', `tcpdump ended; restarting it in ${CAPTURE_RETRY_MS / 1000} s`);
    } catch (error) {
      if (!everListened && error instanceof CaptureError) throw error;
      log('error', `keepalive capture failed: ${(error as Error).message}; retrying in ${CAPTURE_RETRY_MS / 1000} s`);
    }
    await new Promise((resolve) => setTimeout(resolve, CAPTURE_RETRY_MS));
  }
}

function loadTunnels(file: string): ReceiveTunnel[] {
  return parseTunnelsConf(file, readFileSync(file, 'utf8')).tunnels;
}

/** Size and mtime: enough to notice an edit or a `config add` without reading the file every second. */
function stampOf(file: string): string {
  try {
    const s = statSync(file);
    return `${s.size}/${s.mtimeMs}/${s.ino}`;
  } catch {
    return 'missing';
  }
}

function readRxCounters(ifname: string): RxCounters | null {
  try {
    return { packets: readInterfaceCounter(ifname, 'rx_packets'), errors: readInterfaceCounter(ifname, 'rx_errors'), dropped: readInterfaceCounter(ifname, 'rx_dropped') };
  } catch {
    return null; // the session interface went away between two refreshes: no interval for this keepalive
  }
}
