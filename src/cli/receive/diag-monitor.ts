// `ux-tunnel-receive diag monitor detect`: find incoming L2TPv3 tunnels (and NAT) from the packets themselves.
import { readFile } from 'node:fs/promises';
import { readRefusedSources } from '../../kernel/source-pin.js';
import { systemRunner } from '../../kernel/runner.js';
import type { ParsedArgs } from '../args.js';
import { captureRequest, runCapture, secondsText } from '../diag-capture-args.js';
import type { DiagOutput } from '../diag-traffic.js';
import { TUNNELS_FILTER, TunnelCounter, type DetectedTunnel } from '../../diag/tunnels.js';
import { compareWithConfig, describeFinding, type Finding } from '../../diag/tunnels-config.js';
import { alignedRows, INFO, WARN } from '../../diag/table.js';
import { parseTunnelsConf, type ReceiveTunnel } from '../../config/tunnels.js';
import { ConfigError, ConfigErrors } from '../../config/errors.js';
import { describeTunnelId } from '../../config/values.js';

export { MONITOR_VALUE_FLAGS } from '../flags.js';

export const MONITOR_DEFAULTS = { seconds: 30, maxPackets: 0, packetLimit: false } as const;

const STDOUT: DiagOutput = { write: (text) => void process.stdout.write(text) };

type ConfigState = { tunnels: ReceiveTunnel[]; problem: null } | { tunnels: null; problem: string[] };

/** tunnels.conf as far as it can be compared: a missing file is an empty one; a broken one is reported, not compared. */
async function loadConfig(file: string): Promise<ConfigState> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { tunnels: [], problem: null };
    return { tunnels: null, problem: [`cannot read ${file}: ${(error as Error).message}; detected tunnels are not compared with it`] };
  }
  try {
    return { tunnels: parseTunnelsConf(file, text).tunnels, problem: null };
  } catch (error) {
    if (error instanceof ConfigErrors || error instanceof ConfigError) {
      return { tunnels: null, problem: [...error.message.split('\n'), `fix ${file} first; detected tunnels are not compared with it`] };
    }
    throw error;
  }
}

/**
 * `configFile` is the tunnels.conf in force, to flag detected-but-unconfigured and configured-but-unseen tunnels.
 * Exit status 0 only when at least one tunnel was detected and tunnels.conf agrees with what was seen: every detected
 * tunnel configured as it arrives, every configured tunnel seen. 1 otherwise (a finding line says what to change).
 */
export async function runMonitorDetect(args: ParsedArgs, configFile: string, output: DiagOutput = STDOUT): Promise<number> {
  const request = await captureRequest(args, MONITOR_DEFAULTS, () => 'any');
  const json = args.flags.has('json');
  const say = (line: string) => output.write(`${line}\n`);
  if (!json) {
    say(request.file !== null
      ? `${INFO}Detecting tunnels in file '${request.file}'`
      : `${INFO}Detecting tunnels on interface '${request.interface}', capture time: ${secondsText(request.seconds)}`);
  }
  // Read before capturing, so a broken tunnels.conf is reported at once, not after the capture time.
  const config = await loadConfig(configFile);
  if (!json) for (const line of config.problem ?? []) say(`${WARN}${line}`);
  const counter = new TunnelCounter(-1);
  // -Q in: the collector's own packets into a tunnel are not incoming tunnels (cooked files are checked per frame).
  const result = await runCapture(request, TUNNELS_FILTER, counter, { inboundOnly: true });
  const detected = counter.tunnels();
  const findings = config.tunnels ? compareWithConfig(detected, config.tunnels) : [];
  const seconds = request.file === null ? request.seconds : null;
  const actions = findings.map((f) => describeFinding(f, configFile, seconds)).filter((l): l is string => l !== null);
  const ok = detected.length > 0 && config.problem === null && actions.length === 0;
  // What source pinning refused on this host since start (a capture sees packets before the pinning drops them).
  const refused = request.file === null ? await readRefusedSources(systemRunner({ echo: null })) : null;
  if (json) {
    say(JSON.stringify({ ...jsonReport(request, result.records, detected, findings, config.problem, configFile, ok), sourcePinning: refused === null ? null : { refused } }));
    return ok ? 0 : 1;
  }
  // The vendor's Type column says L2TP (over IP); one over UDP says so, with its port.
  const rows = detected.map((t) => [t.udpPort === null ? 'L2TP' : `L2TP/UDP:${t.udpPort}`, t.dstIp, t.srcIp, describeTunnelId(t.tunnelId), t.nat ? 'yes' : 'no']);
  for (const line of alignedRows([['Type', 'Dst-IP', 'Src-IP', 'Tunnel-ID', 'NAT-Status'], ...rows])) say(line);
  say(`${INFO}Detected tunnels: ${detected.length}`);
  if (detected.length === 0) {
    const where = request.file !== null ? `in '${request.file}'` : `within ${secondsText(request.seconds)}`;
    say(`${WARN}no L2TPv3 packets (IP protocol 115, or over UDP) arrived ${where}: check that ux-tunnel-transmit runs on the web servers ` +
      '(each sends a keepalive every 20s; capture for longer than that), and that no firewall or security group between drops IP protocol 115 (or the udp= port)');
  }
  if (result.truncatedBytes > 0) say(`${WARN}the last packet of the capture is cut short (${result.truncatedBytes} bytes); it was ignored`);
  if (counter.ipv6 > 0) say(`${WARN}${counter.ipv6} L2TPv3 packets over IPv6 were seen and not listed: tunnels.conf takes IPv4 tunnels only`);
  for (const line of actions) say(`${WARN}${line}`);
  for (const r of (refused ?? []).slice(0, 20)) say(`${WARN}refused: ${r.source}, ${r.packets} packets: not in tunnels.conf (source pinning drops them; add the sender's line above if it is yours)`);
  return ok ? 0 : 1;
}

function jsonReport(
  request: { interface: string | null; file: string | null; seconds: number },
  packets: number,
  detected: readonly DetectedTunnel[],
  findings: readonly Finding[],
  configProblem: string[] | null,
  configFile: string,
  ok: boolean,
): object {
  const byTunnel = new Map<DetectedTunnel, Finding>();
  for (const f of findings) if (f.kind !== 'unseen') byTunnel.set(f.tunnel, f);
  return {
    interface: request.interface,
    file: request.file,
    captureSeconds: request.file === null ? request.seconds : null,
    filter: TUNNELS_FILTER,
    packets,
    config: { file: configFile, errors: configProblem },
    tunnels: detected.map((t) => {
      const f = byTunnel.get(t);
      return {
        type: 'L2TP',
        udpPort: t.udpPort,
        dstIp: t.dstIp,
        srcIp: t.srcIp,
        tunnelId: t.tunnelId,
        tunnelIdText: describeTunnelId(t.tunnelId),
        nat: t.nat,
        packets: t.packets,
        config: f?.kind ?? null,
        configLine: f && 'line' in f ? f.line : null,
        fix: f && 'fix' in f ? f.fix : null,
      };
    }),
    unseen: findings.filter((f) => f.kind === 'unseen').map((f) => ({ line: f.line, configured: f.configured, tunnelId: f.tunnelId })),
    ok,
  };
}
