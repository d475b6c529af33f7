// Transmit-side lab: client, web (nginx, ux-tunnel-transmit) and collector (plain ip l2tp) on one switched link.
//
//   ns client                 ns lan (switch)               ns web (ux-tunnel-transmit)
//   +------------------+      +------------------+      +--------------------------------------------------+
//   | eth0 10.0.0.1    |------| br0              |------| eth0 10.0.0.2, fd00::2   nginx :80 :8080          |
//   |      fd00::1     |      |                  |      |   --tc mirred--> ruei-veth1in = ruei-veth1out     |
//   +------------------+      |                  |      |                  ruei-br1 -- ruei-tun1 (L2TPv3) ==+==> 10.0.0.3
//                             |                  |      +--------------------------------------------------+
//   ns collector              |                  |
//   +------------------+      |                  |
//   | eth0 10.0.0.3    |------|                  |
//   | l2rx (session)   |      +------------------+   the tunnel's outer packets leave through web's eth0
//   +------------------+                             (MTU 1500): frames cross as fragmented IP protocol 115
import type { TestContext } from 'node:test';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createNetns, type Netns } from './netns.js';
import { startNginx } from './nginx.js';
import { exec, execOrThrow, type ExecResult } from '../../../src/kernel/exec.js';
import { parseIPv4 } from '../../../src/config/values.js';

export const CLIENT_IP = '10.0.0.1';
export const WEB_IP = '10.0.0.2';
export const COLLECTOR_IP = '10.0.0.3';
export const WEB_IP6 = 'fd00::2';
export const TUNNEL_ID = parseIPv4(WEB_IP)!;
const BIN = resolve(import.meta.dirname, '..', '..', '..', '..', 'bin');
const CLI = join(BIN, 'ux-tunnel-transmit');

export interface TransmitLab {
  readonly dir: string;
  readonly client: Netns;
  readonly web: Netns;
  readonly collector: Netns;
  readonly lan: Netns;
  readonly config: string;
  /** Sizes of the files nginx serves: /big.bin (several MB) and /small.txt. */
  readonly big: Buffer;
  /** ux-tunnel-transmit in the web namespace with --config; never throws. */
  cli(...args: string[]): Promise<ExecResult>;
  cliOk(...args: string[]): Promise<ExecResult>;
  writeConfig(ports: string, extra?: string): Promise<void>;
  /** The collector's end of the tunnel (plain ip l2tp): session interface l2rx, up, MTU 64000, no IPv6. */
  collectorTunnel(): Promise<void>;
  /** ux-tunnel-receive in the collector namespace with --config DIR/tunnels.conf (this lab's one tunnel); never throws. */
  receive(...args: string[]): Promise<ExecResult>;
  /** receive(), throwing on a non-zero exit. */
  receiveOk(...args: string[]): Promise<ExecResult>;
  /**
   * Both sides started plainly (ux-tunnel-receive, then ux-tunnel-transmit with the config written), stopped after the
   * test, and the neighbours resolved with one request, so nothing measured afterwards waits for ARP.
   */
  startBoth(): Promise<void>;
  /** curl from the client; returns the body bytes. */
  curl(url: string, ...extra: string[]): Promise<Buffer>;
  /** What stop must leave exactly as before start: links (no counters), qdiscs, filters of both hooks of eth0. */
  webSnapshot(): Promise<string>;
}

/** The hosts' one switched link: a bridge in `lan`, and each host's eth0 (addressed as above) on a port of it. */
export async function wireHosts(lan: Netns, client: Netns, web: Netns, collector: Netns): Promise<void> {
  await lan.ip('link add br0 type bridge', 'link set br0 up');
  for (const [ns, port, addr, addr6] of [[client, 'pc', CLIENT_IP, 'fd00::1'], [web, 'pw', WEB_IP, WEB_IP6], [collector, 'pk', COLLECTOR_IP, 'fd00::3']] as const) {
    await execOrThrow(['ip', 'link', 'add', port, 'netns', lan.name, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns.name]);
    await lan.ip(`link set ${port} master br0`, `link set ${port} up`);
    // A switch port forwards frames in the order they arrive. A veth queues each on the backlog of the CPU that sent
    // it, so a host sending from two CPUs (a client's process and its softirq) had its frames reordered by this wire
    // before they reached the web server (tshark then took a request for a retransmission, at the NIC and in the
    // mirror alike). One CPU per port makes the emulated wire keep order, as a real one does.
    await lan.run('sh', '-c', `echo 1 > /sys/class/net/${port}/queues/rx-0/rps_cpus`);
    await ns.ip(`addr add ${addr}/24 dev eth0`, `addr add ${addr6}/64 dev eth0 nodad`, 'link set eth0 up');
  }
}

export async function createTransmitLab(t: TestContext, dir: string, options: { nginxWorkers?: number } = {}): Promise<TransmitLab> {
  const lan = await createNetns(t, 'lan');
  const client = await createNetns(t, 'client');
  const web = await createNetns(t, 'web');
  const collector = await createNetns(t, 'collector');
  await wireHosts(lan, client, web, collector);
  const big = randomBytes(6 * 1024 * 1024);
  const www = join(dir, 'www');
  await mkdir(www, { recursive: true });
  await writeFile(join(www, 'big.bin'), big);
  await writeFile(join(www, 'small.txt'), 'hello from the web namespace\n');
  await startNginx(web, dir, www, options.nginxWorkers);
  const config = join(dir, 'tunnel.conf');
  const cli = (...args: string[]) => exec(web.argv(process.execPath, CLI, '--config', config, ...args), { env: { ...process.env, UX_TUNNEL_RUN_DIR: join(dir, 'run') } });
  const receiveOk = async (...args: string[]) => {
    const result = await receive(...args);
    if (result.code !== 0) throw new Error(`ux-tunnel-receive ${args.join(' ')} exited ${result.code}:\n${result.stdout}\n${result.stderr}`);
    return result;
  };
  const receive = async (...args: string[]) => {
    const tunnels = join(dir, 'tunnels.conf');
    await writeFile(tunnels, `${COLLECTOR_IP} ${WEB_IP} - -\n`);
    const env = { ...process.env, UX_TUNNEL_RUN_DIR: join(dir, 'receive-run') };
    return exec(collector.argv(process.execPath, join(BIN, 'ux-tunnel-receive'), '--config', tunnels, ...args), { env });
  };
  return {
    dir, client, web, collector, lan, config, big, cli,
    async cliOk(...args) {
      const result = await cli(...args);
      if (result.code !== 0) throw new Error(`ux-tunnel-transmit ${args.join(' ')} exited ${result.code}:\n${result.stdout}\n${result.stderr}`);
      return result;
    },
    writeConfig: (ports, extra = '') => writeFile(config, `# test\n${COLLECTOR_IP} ${WEB_IP} eth0 ${ports}${extra ? ` ${extra}` : ''}\n`),
    async collectorTunnel() {
      // The collector reassembles the tunnel's fragmented outer packets at the kernel's defaults.
      await collector.ip(
        `l2tp add tunnel tunnel_id ${TUNNEL_ID} peer_tunnel_id ${TUNNEL_ID} encap ip local ${COLLECTOR_IP} remote ${WEB_IP}`,
        `l2tp add session name l2rx tunnel_id ${TUNNEL_ID} session_id ${TUNNEL_ID} peer_session_id ${TUNNEL_ID}`,
        'link set dev l2rx addrgenmode none', 'link set dev l2rx mtu 64000 promisc on up',
      );
    },
    receive,
    receiveOk,
    async startBoth() {
      // Usually a no-op: hooks run in the order they were registered, so the namespaces (and the scratch directory)
      // are already gone; it matters when a namespace outlives a failed removal. Never throws.
      t.after(async () => {
        await cli('stop');
        await receive('stop').catch(() => undefined);
      });
      await receiveOk('start');
      const started = await cli('start');
      if (started.code !== 0) throw new Error(`ux-tunnel-transmit start exited ${started.code}:\n${started.stdout}\n${started.stderr}`);
      await client.run('curl', '-sS', '--fail', '--max-time', '60', '-o', '/dev/null', `http://${WEB_IP}/small.txt`);
    },
    async curl(url, ...extra) {
      const out = join(dir, `curl-${Date.now()}-${Math.random().toString(36).slice(2)}`);
      await client.run('curl', '-sS', '--fail', '-g', '--max-time', '60', '-o', out, ...extra, url);
      const { readFile } = await import('node:fs/promises');
      return readFile(out);
    },
    async webSnapshot() {
      const links = JSON.parse((await web.run('ip', '-j', '-d', 'link', 'show')).stdout) as Array<Record<string, unknown>>;
      return [
        JSON.stringify(links.map((l) => ({ ifindex: l.ifindex, ifname: l.ifname, flags: l.flags, mtu: l.mtu, kind: (l.linkinfo as { info_kind?: string } | undefined)?.info_kind, master: l.master }))),
        // Lifetimes tick, and duplicate address detection may still be running on eth0's link-local address when the
        // first snapshot is taken (tentative): neither is something start or stop does.
        (await web.run('ip', '-j', 'addr', 'show')).stdout.replace(/"(valid|preferred)_life_time":\d+,?|"tentative":true,?/g, ''),
        (await web.run('tc', '-j', 'qdisc', 'show')).stdout.replace(/"refcnt":\d+,?/g, ''),
        (await web.probe('tc', '-j', 'filter', 'show', 'dev', 'eth0', 'ingress')).stdout,
        (await web.probe('tc', '-j', 'filter', 'show', 'dev', 'eth0', 'egress')).stdout,
        (await web.probe('ip', '-j', 'l2tp', 'show', 'tunnel')).stdout,
      ].join('\n');
    },
  };
}
