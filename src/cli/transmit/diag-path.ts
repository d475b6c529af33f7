// `ux-tunnel-transmit diag path`: whether the mirror's frames cross the path to the collector whole or as IP
// fragments, measured with DF probes through the real route, and what to change when they are fragmented.
import type { ParsedArgs } from '../args.js';
import { WG_OVERHEAD } from '../../transport/wireguard.js';
import { UserError } from '../main.js';
import { INFO, WARN } from '../../diag/table.js';
import { judgePath, measurePathMtu, probe, ETHERNET_HEADER, type PathFacts } from '../../diag/path.js';
import { systemRunner, type KernelRunner } from '../../kernel/runner.js';
import { transportOf } from '../../transport/l2tpv3-udp.js';
import { readLinks } from '../../kernel/links.js';
import type { TunnelConf } from '../../config/tunnel.js';
import { loadConfig, transmitConfigPath } from './common.js';

interface RawRoute {
  dev?: string;
  metrics?: Array<{ mtu?: number }>;
}

/** The facts of the path for one tunnel.conf: NIC MTU, the route and its MTU, and the measured path MTU. */
export async function pathFacts(conf: TunnelConf, runner: KernelRunner): Promise<PathFacts> {
  const links = await readLinks(runner);
  const mtuOf = (dev: string) => {
    const mtu = links.find((l) => l.name === dev)?.mtu;
    if (!mtu) throw new UserError(`there is no interface "${dev}" on this host (${conf.file}:${conf.line}: mirror-if-name; see ip link show)`);
    return mtu;
  };
  const nicMtu = mtuOf(conf.mirrorIf);
  const route = await runner.probe(['ip', '-j', 'route', 'get', conf.receivingIp, 'from', conf.transmitIp]);
  const parsed = route.code === 0 ? (JSON.parse(route.stdout) as RawRoute[])[0] : undefined;
  if (!parsed?.dev) {
    throw new UserError(`no route from ${conf.transmitIp} to ${conf.receivingIp}: ${route.stderr.trim() || 'ip route get found none'}; add one, or check ${conf.file}:${conf.line}`);
  }
  const routeMtu = parsed.metrics?.find((m) => m.mtu)?.mtu ?? mtuOf(parsed.dev);
  const overhead = overheadOf(conf);
  const wanted = nicMtu + ETHERNET_HEADER + overhead;
  const pathMtu = await measurePathMtu(runner, conf.transmitIp, conf.receivingIp, routeMtu, wanted);
  return { nic: conf.mirrorIf, nicMtu, collector: conf.receivingIp, routeDev: parsed.dev, routeMtu, pathMtu, overhead, transport: `${transportOf(conf.udpPort).name}${conf.cookie ? ' with a cookie' : ''}${conf.wireguard ? ' inside WireGuard' : ''}` };
}

/** What the tunnel adds to a mirrored frame on the path, a cookie and the encryption included. */
const overheadOf = (conf: TunnelConf) => {
  const transport = transportOf(conf.udpPort);
  return transport.overhead + (conf.cookie ? transport.cookieOverhead : 0) + (conf.wireguard ? WG_OVERHEAD : 0);
};

/**
 * start's one line about the path (`nicMtu` from the kernel state start already read): a DF probe of the largest
 * outer packet, and one of 576 bytes when that fails. Whole, or "not whole" with the way to learn more; nothing when
 * the probes cannot tell (no echo reply at all).
 */
export async function pathLine(conf: TunnelConf, nicMtu: number, runner: KernelRunner): Promise<string | null> {
  const outer = nicMtu + ETHERNET_HEADER + overheadOf(conf);
  if (await probe(runner, conf.transmitIp, conf.receivingIp, outer)) return `${INFO}path: frames cross to ${conf.receivingIp} whole (${outer}-byte packets pass with DF)`;
  if (!(await probe(runner, conf.transmitIp, conf.receivingIp, 576))) return null;
  return `${WARN}path: the largest frames (${outer}-byte packets) do not cross to ${conf.receivingIp} whole: they are sent as IP fragments, which costs CPU on both hosts; ux-tunnel-transmit diag path says what to change`;
}

/** Exit 0: frames cross whole; 1: they are fragmented; 2 (also in --json): the path MTU could not be measured. */
export async function runDiagPath(args: ParsedArgs): Promise<number> {
  const conf = loadConfig(transmitConfigPath(args));
  const facts = await pathFacts(conf, systemRunner({ echo: null }));
  const verdict = judgePath(facts);
  const code = verdict.whole === true ? 0 : verdict.whole === false ? 1 : 2;
  if (args.flags.get('json') === true) {
    process.stdout.write(`${JSON.stringify({ ...facts, ...verdict, lines: undefined, advice: verdict.lines.slice(3) }, null, 2)}\n`);
    return code;
  }
  const text = verdict.lines.map((l, i) => `${i >= 3 && verdict.whole !== true ? WARN : INFO}${l}`);
  process.stdout.write(`${text.join('\n')}\n`);
  return code;
}
