// `diag traffic servers` (both sides): capture SYN-ACKs on an interface and list the servers that answered.
import type { ParsedArgs } from './args.js';
import { captureRequest, runCapture, secondsText } from './diag-capture-args.js';
import { SERVERS_FILTER, ServerCounter } from '../diag/servers.js';
import { alignedRows, INFO, WARN } from '../diag/table.js';

/** Flags this command reads; each side's main.ts lists them among its value flags. */
export { TRAFFIC_VALUE_FLAGS } from './flags.js';

export const TRAFFIC_DEFAULTS = { seconds: 30, maxPackets: 1000, packetLimit: true } as const;

export interface DiagOutput {
  /** Receives whole lines (with their newline). */
  write(text: string): void;
}

const STDOUT: DiagOutput = { write: (text) => void process.stdout.write(text) };

/**
 * `defaultInterface` is the mirror NIC (transmit) or ruei-mtun (receive); --interface overrides it.
 * Exit status 0 when at least one server answered a connection, 1 when none did (the symptom to act on).
 */
export async function runTrafficServers(
  args: ParsedArgs,
  defaultInterface: () => Promise<string> | string,
  output: DiagOutput = STDOUT,
): Promise<number> {
  const request = await captureRequest(args, TRAFFIC_DEFAULTS, defaultInterface);
  const json = args.flags.has('json');
  const say = (line: string) => output.write(`${line}\n`);
  const limit = request.maxPackets > 0 ? `, max packets: ${request.maxPackets}` : '';
  if (!json) {
    say(request.file !== null
      ? `${INFO}Detecting server IPs and ports in file '${request.file}'${limit}`
      : `${INFO}Detecting server IPs and ports on interface '${request.interface}', capture time: ${secondsText(request.seconds)}${limit}`);
    say(`${INFO}Using filter: ${SERVERS_FILTER}`);
  }
  const counter = new ServerCounter(-1);
  const result = await runCapture(request, SERVERS_FILTER, counter);
  const servers = counter.rows();
  const ok = servers.length > 0;
  if (json) {
    say(JSON.stringify({
      interface: request.interface,
      file: request.file,
      captureSeconds: request.file === null ? request.seconds : null,
      maxPackets: request.maxPackets || null,
      filter: SERVERS_FILTER,
      packets: result.records,
      synAcks: result.matched,
      stoppedBy: result.stoppedBy,
      servers: servers.map((s) => ({ ip: s.ip, port: s.port, connections: s.connections })),
      ok,
    }));
    return ok ? 0 : 1;
  }
  for (const line of alignedRows([['Server-IP', 'Port', 'Connections'], ...servers.map((s) => [s.ip, String(s.port), String(s.connections)])])) say(line);
  if (result.truncatedBytes > 0) say(`${WARN}the last packet of the capture is cut short (${result.truncatedBytes} bytes); it was ignored`);
  if (!ok) {
    const where = request.file !== null ? `in '${request.file}'` : `on '${request.interface}' within ${secondsText(request.seconds)}`;
    say(`${WARN}no server answered a connection ${where} (no SYN-ACK among ${result.records} packets): ` +
      'check that clients reach the web server, and that this is the interface the traffic crosses (ip -s link show; --interface IF); ' +
      'on the receive side, run diag tunnels check and diag monitor detect');
  }
  return ok ? 0 : 1;
}
