// `ux-tunnel-receive status [--watch]`: configured vs present tunnels with counters, and their health from the monitor.
import { numberFlag, type ParsedArgs } from '../args.js';
import { outputClosed } from '../main.js';
import { loadConfig, missingConfigOk, readConfigText, receiveConfigPath } from './common.js';
import { readReceiveState } from '../../kernel/receive-state.js';
import { systemRunner } from '../../kernel/runner.js';
import { aggregationRow, tunnelRows, type AggregationRow, type TunnelRow } from './tunnel-rows.js';
import { alignedRows, INFO, WARN } from '../../diag/table.js';
import { monitorStateFile, readMonitorState, type MonitorState } from '../../monitor/state-file.js';
import type { TunnelHealth } from '../../monitor/snapshot.js';
import { cookieProblems, formatAge, formatLoss, monitorLine, unknownSenderLines } from './status-health.js';
import { reassemblyWarnings } from '../../kernel/reassembly.js';
import { readFragmentCounts } from '../../kernel/fragment-count.js';
import { readRefusedSources, type RefusedSource } from '../../kernel/source-pin.js';
import { loadSinceReading, measureLoad, type Load } from './load.js';
import { sessionRxBytes } from '../../model/receive.js';

interface Status {
  readonly config: string;
  readonly configured: number;
  readonly present: number;
  readonly aggregation: AggregationRow;
  /** fragmented: frames that crossed the network as IP fragments (first fragments seen from the tunnel's remote IP). */
  /** rxMbps: the mirrored traffic arriving in the tunnel now (Mbit/s over the load's sample); null when not sampled. */
  readonly tunnels: (TunnelRow & { readonly health: TunnelHealth | null; readonly fragmented: number | null; readonly rxMbps: number | null })[];
  /** The collector's load: what every tunnel brings in, in total (capacity planning). */
  readonly load: Load | null;
  readonly monitor: MonitorState;
  /** Kernel settings that put the tunnels' frames at risk (ipfrag_max_dist 0), each with its fix. */
  readonly warnings: string[];
  /** FAIL: a configured tunnel is missing; WARN: frames are at risk (warnings); the exit status follows it. */
  readonly status: 'OK' | 'WARN' | 'FAIL';
  readonly problems: string[];
  /** Source pinning: on when its table is there; the packets it refused per source since start. */
  readonly sourcePinning: { readonly on: boolean; readonly refused: RefusedSource[] };
}

export async function runStatus(args: ParsedArgs): Promise<number> {
  const json = args.flags.get('json') === true;
  if (args.flags.get('watch') !== true) {
    const status = await collectStatus(receiveConfigPath(args), missingConfigOk(args), sampleSeconds(args));
    process.stdout.write(json ? `${JSON.stringify(toJson(status), null, 2)}\n` : renderText(status));
    return status.status === 'OK' ? 0 : 1;
  }
  return watch(args, json);
}

/** Redraws like top until Ctrl-C; with --json (or when stdout is not a terminal) appends instead, one report per refresh. */
async function watch(args: ParsedArgs, json: boolean): Promise<number> {
  const seconds = numberFlag(args, 'interval', 2, 0.2);
  const inPlace = !json && process.stdout.isTTY === true;
  let stopped = false;
  const stop = () => (stopped = true);
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  while (!stopped && !outputClosed()) {
    const status = await collectStatus(receiveConfigPath(args), missingConfigOk(args), sampleSeconds(args));
    if (json) process.stdout.write(`${JSON.stringify(toJson(status))}\n`);
    else if (inPlace) process.stdout.write(`\x1b[H\x1b[2J${INFO}${new Date().toISOString()}, every ${seconds} s (Ctrl-C ends)\n${renderText(status)}`);
    else process.stdout.write(`${INFO}${new Date().toISOString()}\n${renderText(status)}\n`);
    for (let waited = 0; waited < seconds * 1000 && !stopped && !outputClosed(); waited += 100) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return 0;
}

/** --sample S: measure the load over S seconds now; 0 (default): since the monitor's last reading of the counters. */
const sampleSeconds = (args: ParsedArgs) => numberFlag(args, 'sample', 0, 0);

async function collectStatus(file: string, missingOk: boolean, sample: number): Promise<Status> {
  const conf = loadConfig(file, readConfigText(file, missingOk));
  const runner = systemRunner({ echo: null });
  const [state, fragments, refused] = await Promise.all([readReceiveState(runner, false), readFragmentCounts(runner), readRefusedSources(runner)]);
  const monitor = readMonitorState(monitorStateFile());
  const health = new Map((monitor.running ? monitor.snapshot.tunnels : []).map((h) => [h.tunnelId, h]));
  const load = sample > 0 ? await measureLoad(runner, state, sample)
    : monitor.running && monitor.snapshot.rxReadings ? loadSinceReading(monitor.snapshot.rxReadings, sessionRxBytes(state.links), Date.now()) : null;
  const rows = tunnelRows(conf.tunnels, state).map((r) => ({
    ...r,
    health: r.configured ? (health.get(r.tunnelId) ?? null) : null,
    fragmented: fragments && r.present ? (fragments.get(r.remoteIp) ?? 0) : null,
    rxMbps: r.interface && load ? (load.perInterface[r.interface] ?? null) : null,
  }));
  const warnings = conf.tunnels.length > 0 ? reassemblyWarnings() : [];
  const problems = rows.filter((r) => r.configured && !r.present).map((r) => `line ${r.line}: tunnel ${r.tunnelIdText} (${r.remoteIp}) is missing from the kernel: run ux-tunnel-receive start (or systemctl start ux-tunnel-receive)`);
  problems.push(...cookieProblems(rows));
  problems.push(...rows.flatMap((r) => r.problems.filter((p) => p.startsWith('encryption:')).map((p) => `line ${r.line}: tunnel ${r.tunnelIdText} (${r.remoteIp}): ${p}`)));
  return {
    config: file,
    status: problems.length > 0 ? 'FAIL' : warnings.length > 0 ? 'WARN' : 'OK',
    problems,
    configured: rows.filter((r) => r.configured).length,
    present: rows.filter((r) => r.configured && r.present).length,
    aggregation: aggregationRow(state),
    tunnels: rows,
    load,
    monitor,
    warnings,
    sourcePinning: { on: refused !== null, refused: refused ?? [] },
  };
}

/** Source pinning's line, and one per refused source (most first): someone sends IP protocol 115 who may not. */
function pinningLines(status: Status): string[] {
  if (status.configured === 0) return [];
  const { on, refused } = status.sourcePinning;
  if (!on) return [`${INFO}source pinning: off (any host that can send IP protocol 115 here can put frames into ruei-mtun; start or reload without --source-pinning off to turn it on)`];
  const total = refused.reduce((n, r) => n + r.packets, 0);
  return [
    `${INFO}source pinning: on (IP protocol 115, and the UDP ports of udp= lines, accepted only from the senders of tunnels.conf), ${total} packet(s) refused`,
    ...refused.slice(0, 10).map((r) => `${WARN}refused: ${r.source}, ${r.packets} packets: not in tunnels.conf (a web server of yours? ux-tunnel-receive diag monitor detect prints its line)`),
    ...(refused.length > 10 ? [`${WARN}refused: ${refused.length - 10} more source(s) (ux-tunnel-receive status --json lists them)`] : []),
  ];
}

function toJson(status: Status): unknown {
  const m = status.monitor;
  const monitor = m.running
    ? { running: true, pid: m.snapshot.pid, started: m.snapshot.started, updated: m.snapshot.updated, lossWarnPercent: m.snapshot.lossWarnPercent,
      unknownKeepalives: m.snapshot.unknownKeepalives, malformedKeepalives: m.snapshot.malformedKeepalives, unknownSenders: m.snapshot.unknownSenders }
    : { running: false, why: m.why };
  return { ...status, monitor };
}

function renderText(status: Status): string {
  const agg = status.aggregation.present
    ? `${status.aggregation.interface} (ifindex ${status.aggregation.ifindex}): ${status.aggregation.tx!.packets} frames, ${status.aggregation.tx!.bytes} bytes aggregated`
    : `${status.aggregation.interface}: not present (stopped)`;
  const out = [
    `${INFO}config ${status.config}: ${status.configured} tunnel(s) configured, ${status.present} present`,
    `${INFO}${agg}`,
    monitorLine(status.monitor),
  ];
  const withHealth = status.monitor.running;
  if (status.load) out.push(`${INFO}load: ${status.load.totalMbps.toFixed(1)} Mbit/s mirrored in over ${status.load.tunnels} tunnel(s) (the last ${status.load.seconds} s)`);
  else if (status.configured > 0) out.push(`${INFO}load: not measured (the monitor is not running; status --sample 1 measures it)`);
  const header = ['Line', 'Interface', 'Local IP', 'Remote IP', 'Tunnel-ID', 'State', 'Rx: Mbit/s', 'Rx: packets', 'Rx: bytes', 'Rx: errors', 'Rx: fragmented'];
  if (withHealth) header.push('Health', 'Keepalive', 'NAT', 'Sent', 'Received', 'Lost (last)', 'Lost (total)', 'Dropped (sender)', 'Shed (budget)', 'KA gaps');
  const table = [header];
  for (const r of status.tunnels) {
    const state = !r.configured ? 'not configured' : r.present ? 'present' : 'missing';
    const row = [r.line === null ? '-' : String(r.line), r.interface ?? '-', r.localIp, r.remoteIp, r.tunnelIdText, state,
      r.rxMbps === null ? '-' : r.rxMbps.toFixed(1), String(r.rx?.packets ?? '-'), String(r.rx?.bytes ?? '-'), String(r.rx ? r.rx.errors + r.rx.dropped : '-'), String(r.fragmented ?? '-')];
    if (withHealth) {
      const h = r.health;
      row.push(h?.cookieMismatch ? `${h.state} (cookie)` : h?.state ?? '-', formatAge(h?.keepaliveAgeSeconds ?? null), h?.nat == null ? '-' : h.nat ? 'yes' : 'no',
        String(h?.sentFrames ?? '-'), String(h?.receivedFrames ?? '-'),
        h?.lastInterval ? formatLoss(h.lastInterval.lost, h.lastInterval.lossPercent) : '-',
        h && h.sentFrames > 0 ? formatLoss(h.lostFrames, h.lossPercent) : '-', String(h?.senderDrops ?? '-'), String(h?.budgetShed ?? '-'), String(h?.sequenceGaps ?? '-'));
    }
    table.push(row);
  }
  out.push(...alignedRows(table));
  if (status.monitor.running) out.push(...unknownSenderLines(status.monitor.snapshot).map((line) => `${WARN}${line}`));
  out.push(...pinningLines(status));
  out.push(...status.warnings.map((line) => `${WARN}${line}`));
  out.push(...status.problems.map((p) => `[error] ${p}`));
  out.push(`${INFO}Status: ${status.status}`);
  return `${out.join('\n')}\n`;
}
