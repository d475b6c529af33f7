// Receive-side lab: a collector namespace (10.10.10.10) and sender namespaces with plain `ip l2tp` tunnels to it.
//
//   ns sender-N                                            ns collector
//   +-------------------------------+                     +---------------------------------------------+
//   | l2tx 198.51.100.N/24 (mtu 9100) |  L2TPv3 over IP      | ruei-mtun-0000K --tc mirred--> ruei-mtun    |
//   |   tunnel/session ID = 10.10.10.1N as a number (or given)              (ux-tunnel-receive)         |
//   | u0 10.10.10.1N/32 (mtu 1500) -+---- veth -----------+- cN 10.10.10.10/32, route 10.10.10.1N/32    |
//   +-------------------------------+  outer packets      +---------------------------------------------+
//                                      fragmented
import type { TestContext } from 'node:test';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createNetns, type Netns } from './netns.js';
import { exec, execOrThrow, type ExecResult } from '../../../src/kernel/exec.js';
import { parseIPv4 } from '../../../src/config/values.js';

export const COLLECTOR_IP = '10.10.10.10';
const CLI = resolve(import.meta.dirname, '..', '..', '..', '..', 'bin', 'ux-tunnel-receive');

export interface Sender {
  readonly ns: Netns;
  readonly ip: string;
  readonly tunnelId: number;
  /** The sender's own session interface address and a made-up neighbour: frames go out without ARP. */
  readonly innerIp: string;
  readonly target: string;
}

export interface CollectorLab {
  readonly collector: Netns;
  readonly config: string;
  readonly senders: Sender[];
  /** Runs ux-tunnel-receive inside the collector namespace with --config; never throws. */
  cli(...args: string[]): Promise<ExecResult>;
  /** Like cli, but throws with the output when the exit status is not 0. */
  cliOk(...args: string[]): Promise<ExecResult>;
  writeConfig(text: string): Promise<void>;
  addSender(index: number, tunnelId?: number): Promise<Sender>;
}

export async function createCollectorLab(t: TestContext, dir: string, senderCount: number): Promise<CollectorLab> {
  const collector = await createNetns(t, 'collector');
  // ip l2tp add tunnel connects its socket, which needs a route to the remote: a default route into a dummy gives one
  // to senders that exist only in tunnels.conf (what leaves through it goes nowhere, never out of the namespace).
  await collector.ip('link add up0 type dummy', 'link set up0 up', 'route add default dev up0');
  const config = join(dir, 'tunnels.conf');
  const senders: Sender[] = [];
  const cli = (...args: string[]) => exec(collector.argv(process.execPath, CLI, '--config', config, ...args));
  const lab: CollectorLab = {
    collector, config, senders, cli,
    async cliOk(...args) {
      const result = await cli(...args);
      if (result.code !== 0) throw new Error(`ux-tunnel-receive ${args.join(' ')} exited ${result.code}:\n${result.stdout}\n${result.stderr}`);
      return result;
    },
    writeConfig: (text) => writeFile(config, text),
    async addSender(index, tunnelId) {
      const sender = await createSender(t, collector, index, tunnelId);
      senders.push(sender);
      return sender;
    },
  };
  for (let i = 1; i <= senderCount; i++) await lab.addSender(i);
  return lab;
}

/** Sender N: underlay 10.10.10.(10+N), an unmanaged tunnel to the collector, session interface tx, MTU 9100. */
async function createSender(t: TestContext, collector: Netns, index: number, tunnelId?: number): Promise<Sender> {
  const ns = await createNetns(t, `sender${index}`);
  const ip = `10.10.10.${10 + index}`;
  const id = tunnelId ?? parseIPv4(ip)!;
  await execOrThrow(['ip', 'link', 'add', `c${index}`, 'netns', collector.name, 'type', 'veth', 'peer', 'name', 'u0', 'netns', ns.name]);
  await collector.ip(`addr add ${COLLECTOR_IP}/32 dev c${index}`, `link set c${index} up`, `route add ${ip}/32 dev c${index}`);
  const innerIp = `198.51.100.${index}`;
  const target = `198.51.100.${100 + index}`;
  await ns.ip(
    `addr add ${ip}/32 dev u0`, 'link set u0 up', `route add ${COLLECTOR_IP}/32 dev u0`,
    `l2tp add tunnel tunnel_id ${id} peer_tunnel_id ${id} encap ip local ${ip} remote ${COLLECTOR_IP}`,
    `l2tp add session name l2tx tunnel_id ${id} session_id ${id} peer_session_id ${id}`,
    // No IPv6 on tx: the only frames in the tunnel are the ones a test sends.
    'link set dev l2tx addrgenmode none', 'link set dev l2tx mtu 9100 up',
    `addr add ${innerIp}/24 dev l2tx`,
    `neigh add ${target} lladdr 02:00:00:00:00:${(0x10 + index).toString(16).padStart(2, '0')} dev l2tx nud permanent`,
  );
  return { ns, ip, tunnelId: id, innerIp, target };
}

/** Sends `count` ICMP echo requests of `size` payload bytes (frame = size + 42) carrying `pattern`. */
export async function sendPings(sender: Sender, count: number, size: number, pattern: string, interval = '0.05'): Promise<void> {
  // No reply ever comes (the neighbour is made up): ping exits 1 after sending them all, which is expected.
  const result = await sender.ns.probe('ping', '-c', String(count), '-i', interval, '-s', String(size), '-p', pattern, '-W', '1', '-q', sender.target);
  if (!/(\d+) packets transmitted/.test(result.stdout)) throw new Error(`ping in ${sender.ns.name} failed: ${result.stderr}${result.stdout}`);
}

export function configLine(sender: Sender, explicitId = false): string {
  return `${COLLECTOR_IP} ${sender.ip} - ${explicitId ? String(sender.tunnelId) : '-'}`;
}

export async function writeLines(path: string, lines: string[]): Promise<void> {
  await writeFile(path, `# test tunnels\n${lines.join('\n')}\n`);
}

/** The kernel state a change must leave alone: links (without counters), L2TP objects, qdiscs, our block's filters. */
export async function kernelSnapshot(ns: Netns): Promise<string> {
  const links = JSON.parse((await ns.run('ip', '-j', '-d', 'link', 'show')).stdout) as Array<Record<string, unknown>>;
  const parts = [
    JSON.stringify(links.map((l) => ({ ifindex: l.ifindex, ifname: l.ifname, flags: l.flags, mtu: l.mtu }))),
    (await ns.run('ip', '-j', 'l2tp', 'show', 'tunnel')).stdout,
    (await ns.run('ip', '-j', 'l2tp', 'show', 'session')).stdout,
    (await ns.run('tc', '-j', 'qdisc', 'show')).stdout.replace(/"refcnt":\d+,?/g, ''),
    (await ns.probe('tc', '-j', 'filter', 'show', 'block', '1381320009')).stdout,
    (await ns.probe('nft', 'list', 'tables')).stdout, // the fragment counter's table (counters left out: they move)
  ];
  return parts.join('\n');
}
