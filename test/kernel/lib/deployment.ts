// A realistic deployment: clients, three nginx web servers with ux-tunnel-transmit (one behind NAT), a collector.
//
//   client1 10.1.0.101 --+                                  +-- collector 10.1.0.10  ux-tunnel-receive: ruei-mtun
//   client2 10.1.0.102 --+---- ns lan: bridge br0 ----------+-- web1 10.1.0.11       nginx, ux-tunnel-transmit eth0 i80
//                        |                                  +-- web2 10.1.0.12       nginx, ux-tunnel-transmit eth0 i80
//                        +-- router eth0 10.1.0.1 (masquerades what 10.2.0.0/24 sends out)
//                                  eth1 10.2.0.1 ---- web3 10.2.0.13  nginx, ux-tunnel-transmit eth0 i80
//
// web3's tunnel reaches the collector from 10.1.0.1 (the NAT address) with tunnel ID 10.2.0.13 (its own address), so
// tunnels.conf names it "10.1.0.10 10.1.0.1 - 10.2.0.13". Clients reach web3 through the router without NAT.
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { createNetns, type Cleanup, type Netns } from './netns.js';
import { startNginx } from './nginx.js';
import { exec, execOrThrow, spawnStream, type ExecResult } from '../../../src/kernel/exec.js';
import { parseIPv4 } from '../../../src/config/values.js';

const BIN = resolve(import.meta.dirname, '..', '..', '..', '..', 'bin');
export const COLLECTOR_IP = '10.1.0.10';
export const ROUTER_LAN_IP = '10.1.0.1';

export interface Web {
  readonly name: string;
  readonly ns: Netns;
  /** The address clients connect to and the tunnel's local address. */
  readonly ip: string;
  /** The address the tunnel arrives from at the collector (the router's, behind NAT). */
  readonly seenAs: string;
  readonly tunnelId: number;
  readonly behindNat: boolean;
  readonly config: string;
  readonly runDir: string;
  /** Files nginx serves, by URL path. */
  readonly files: ReadonlyMap<string, Buffer>;
}

export interface Deployment {
  readonly dir: string;
  readonly lan: Netns;
  readonly router: Netns;
  readonly collector: Netns;
  readonly clients: Netns[];
  readonly webs: Web[];
  readonly tunnelsConf: string;
  /** ux-tunnel-receive ARGS in the collector with --config tunnelsConf; never throws. */
  receive(...args: string[]): Promise<ExecResult>;
  /** ux-tunnel-transmit ARGS on a web server with --config of that server; never throws. */
  transmit(web: Web, ...args: string[]): Promise<ExecResult>;
  /** Starts each web server's keepalive sender (what the keepalive unit runs); stopped with the namespace. */
  startKeepalive(web: Web, intervalSeconds: number): ChildProcess;
  /** The tunnels.conf line for a web server. */
  tunnelsLine(web: Web): string;
  /** IP reassembly counters (ReasmFails, ReasmTimeout, ReasmOKs) from /proc/net/snmp of ns (default: the collector). */
  reassembly(ns?: Netns): Promise<Record<string, number>>;
}

/** Builds the namespaces, addresses, routes, NAT, nginx and both config files; starts nothing of ux-tunnel. */
export async function createDeployment(t: Cleanup, dir: string): Promise<Deployment> {
  const lan = await createNetns(t, 'lan');
  await lan.ip('link add br0 type bridge', 'link set br0 up');
  let port = 0;
  const plug = async (ns: Netns, address: string) => {
    const name = `p${port++}`;
    await execOrThrow(['ip', 'link', 'add', name, 'netns', lan.name, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns.name]);
    await lan.ip(`link set ${name} master br0`, `link set ${name} up`);
    await ns.ip(`addr add ${address}/24 dev eth0`, 'link set eth0 up');
  };
  const router = await createNetns(t, 'router');
  await plug(router, ROUTER_LAN_IP);
  const collector = await createNetns(t, 'collector');
  await plug(collector, COLLECTOR_IP);
  const clients: Netns[] = [];
  for (const n of [1, 2]) {
    const client = await createNetns(t, `client${n}`);
    await plug(client, `10.1.0.${100 + n}`);
    await client.ip('route add 10.2.0.0/24 via 10.1.0.1');
    clients.push(client);
  }

  const webs: Web[] = [];
  for (const n of [1, 2, 3]) {
    const behindNat = n === 3;
    const ns = await createNetns(t, `web${n}`);
    const ip = behindNat ? `10.2.0.1${n}` : `10.1.0.1${n}`;
    if (behindNat) {
      await execOrThrow(['ip', 'link', 'add', 'eth1', 'netns', router.name, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns.name]);
      await router.ip('addr add 10.2.0.1/24 dev eth1', 'link set eth1 up');
      await ns.ip(`addr add ${ip}/24 dev eth0`, 'link set eth0 up', 'route add default via 10.2.0.1');
    } else {
      await plug(ns, ip);
      await ns.ip('route add 10.2.0.0/24 via 10.1.0.1');
    }
    const webDir = join(dir, `web${n}`);
    const www = join(webDir, 'www');
    await mkdir(www, { recursive: true });
    const files = new Map<string, Buffer>([
      ['/index.html', Buffer.from(`<html><body>web${n}: ${'x'.repeat(900 + n)}</body></html>\n`)],
      ['/medium.bin', randomBytes(200 * 1024 + n)],
      ['/payload.bin', randomBytes(1024 * 1024 + n)],
      ['/big.bin', randomBytes(3 * 1024 * 1024 + n)],
    ]);
    for (const [path, data] of files) await writeFile(join(www, path.slice(1)), data);
    await startNginx(ns, webDir, www);
    const config = join(webDir, 'tunnel.conf');
    await writeFile(config, `# web${n}: receiving-side-ip transmit-side-ip mirror-if-name mirror-port-list\n${COLLECTOR_IP} ${ip} eth0 i80\n`);
    webs.push({ name: `web${n}`, ns, ip, seenAs: behindNat ? ROUTER_LAN_IP : ip, tunnelId: parseIPv4(ip)!, behindNat, config, runDir: join(webDir, 'run'), files });
  }
  await router.run('sysctl', '-qw', 'net.ipv4.ip_forward=1');
  // The collector reassembles every tunnel's fragmented outer packets (64000-byte frames over a 1500-byte underlay),
  // and so does the NAT router (conntrack defragments before NAT), both at the kernel's defaults: each transmit side
  // sends its frames' fragments back to back from one CPU (the mirror queue), so the defaults lose none.
  await router.run('nft', 'add table ip nat; add chain ip nat postrouting { type nat hook postrouting priority 100; }; add rule ip nat postrouting ip saddr 10.2.0.0/24 oifname "eth0" masquerade');

  const tunnelsLine = (web: Web) => `${COLLECTOR_IP} ${web.seenAs} - ${web.behindNat ? web.ip : '-'}`;
  const tunnelsConf = join(dir, 'tunnels.conf');
  await writeFile(tunnelsConf, `# the demo collector: one line per web server\n${webs.map(tunnelsLine).join('\n')}\n`);
  const envFor = (web?: Web) => ({ ...process.env, ...(web ? { UX_TUNNEL_RUN_DIR: web.runDir } : {}) });
  return {
    dir, lan, router, collector, clients, webs, tunnelsConf, tunnelsLine,
    receive: (...args) => exec(collector.argv(process.execPath, join(BIN, 'ux-tunnel-receive'), '--config', tunnelsConf, ...args), { env: envFor() }),
    transmit: (web, ...args) => exec(web.ns.argv(process.execPath, join(BIN, 'ux-tunnel-transmit'), '--config', web.config, ...args), { env: envFor(web) }),
    async reassembly(ns = collector) {
      const lines = (await ns.run('cat', '/proc/net/snmp')).stdout.split('\n').filter((l) => l.startsWith('Ip:'));
      const names = lines[0]!.split(/\s+/);
      const values = lines[1]!.split(/\s+/);
      return Object.fromEntries(names.map((n, i) => [n, Number(values[i])]).filter(([n]) => String(n).startsWith('Reasm')));
    },
    startKeepalive(web, intervalSeconds) {
      const argv = web.ns.argv(process.execPath, join(BIN, 'ux-tunnel-transmit'), '--config', web.config, 'keepalive', '--interval', String(intervalSeconds));
      return spawnStream(argv, envFor(web));
    },
  };
}

/** Throws with the command's output when it failed: for steps that must work. */
export function mustSucceed(result: ExecResult, what: string): ExecResult {
  if (result.code !== 0) throw new Error(`${what} exited ${result.code}:\n${result.stdout}\n${result.stderr}`);
  return result;
}
