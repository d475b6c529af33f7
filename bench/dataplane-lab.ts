// Runs in the kernel lab (as root): iperf3 client -> web with no mirror, the iperf port mirrored, and `all`; counts what reaches ruei-mtun.
//
//   node dist/bench/dataplane-lab.js OUT.json [--repeat N] [--seconds S] [--loads 50M,100M,200M,400M,0]
//                                    [--modes none,port,all,seed,direct,nobridge] [--underlay 1500|9000]
//                                    [--collector-sysctl KEY=VALUE,...]
//
// Modes: none (no mirror), port (the product, mirror of the iperf port), all (the product, `all`), and three other
// designs of the iperf port's mirror, built from the product's interfaces for comparison: seed (the seed's path: no
// mirror queue, each copy on the backlog of the CPU that mirrored it), direct (mirred straight into ruei-tun1: no
// veth, no bridge, no queue: the tunnel's work on the mirroring CPU), nobridge (the mirror queue kept, the bridge
// skipped: ruei-veth1out's ingress redirects into ruei-tun1), budget (the product with budget-mbit=BUDGET_MBIT); and
// two designs of the collector with the product's port mirror: redirect (the block's filter redirects each frame into
// ruei-mtun instead of copying it, so the session interface's own stack never sees it), rps (RPS over every CPU on
// the session interface: one busy sender's flows spread over the collector's CPUs, each flow kept on one); and the
// product with each option of issue 13: nopin (the collector without source pinning, which `port` has, by default),
// cookie (a 64-bit L2TPv3 cookie on both lines), wireguard (the tunnel encrypted), udp (L2TPv3 over UDP port 1701);
// slowpin (the product with source pinning's fast path emptied: every packet through the refusing rules, as before
// that path existed); and sink, to tell the web server's own cost from the lab's: the product, with the switch
// dropping the tunnel's packets on their way to the collector (no reassembly, decapsulation or copy there), because in
// the lab every host's CPUs share this machine's cores, where on real hosts the collector's work never takes the web
// server's CPU; DESIGN+sink (seed+sink, budget+sink) does the same to another design. --underlay 9000: the web
// server's and collector's links and the switch ports to them at MTU 9000, the client's at 1500 (production frames
// stay 1514 bytes and cross whole).
//
//   ns client 10.0.0.1 --+                       +-- ns web 10.0.0.2 (iperf3 -s, ux-tunnel-transmit, mirror on eth0)
//                        +-- ns lan: br0 --------+      ruei-br1 -- ruei-tun1 ==L2TPv3/IP, MTU 1500 underlay==+
//   ns collector 10.0.0.3 --------+                                                                            |
//      ux-tunnel-receive: ruei-mtun-00000 --> ruei-mtun   <------------------------------------------------------+
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { exec, execOrThrow, spawnStream } from '../src/kernel/exec.js';
import { argFlag, ROOT } from './lib/measure.js';
import { parseCpuList } from '../src/model/transmit.js';
import { PIN_TABLE } from '../src/kernel/source-pin.js';
import { dropCounters, grown, inNs, ipCounters, link, nstat, softnetDrops } from './lib/dataplane-counters.js';

const out = process.argv[2];
if (!out) throw new Error('usage: dataplane-lab.js OUT.json [--repeat N] [--seconds S] [--loads 50M,...,0]');
const repeat = Number(argFlag('repeat', '3'));
const seconds = Number(argFlag('seconds', '4'));
const loads = argFlag('loads', '50M,100M,200M,400M,0').split(',');
// Settings to try on the collector (per-namespace sysctls), e.g. --collector-sysctl net.ipv4.ipfrag_high_thresh=67108864
const collectorSysctls = argFlag('collector-sysctl', '').split(',').filter(Boolean);
const modes = argFlag('modes', 'none,port,all').split(',');
const underlay = Number(argFlag('underlay', '1500'));
const BUDGET_MBIT = 100;

/**
 * Which CPUs play which host. With 4 or more CPUs (the bench runs the lab with --cpus 4): the web server gets every CPU
 * but one (its iperf3 pinned there, its NIC's receive work spread there by RPS), the last of them also being the one
 * the product's mirror queue uses, as on a real web server; the one CPU left plays the network and the other hosts
 * (client, switch, collector), so that their work does not compete with the web server's, as it would not on real,
 * separate hosts. With fewer CPUs every host shares them all (the layout of earlier runs). (Tried: 5 CPUs with the
 * client apart from the network: 5 emulated CPUs on this machine's 2 cores made every figure erratic.)
 */
function cpuLayout(): { web: number[]; others: number[] } | null {
  const cpus = parseCpuList(readFileSync('/sys/devices/system/cpu/online', 'utf8'));
  if (cpus.length < 4) return null;
  const others = [cpus[cpus.length - 2]!];
  return { web: cpus.filter((c) => !others.includes(c)), others };
}
const LAYOUT = cpuLayout();
const maskOf = (cpus: readonly number[]) => cpus.reduce((m, c) => m | (1 << c), 0).toString(16);
/** argv run on the CPUs of `role` (taskset), or as it is without a layout. */
const pinned = (role: 'web' | 'others', argv: string[]) => (LAYOUT ? ['taskset', '-c', LAYOUT[role].join(','), ...argv] : argv);
const REASM = ['IpReasmReqds', 'IpReasmOKs', 'IpReasmFails', 'IpReasmTimeout'];
const work = resolve(out, '..');
const tag = `uxb${process.pid % 100000}`;
const NS = { lan: `${tag}-lan`, client: `${tag}-client`, web: `${tag}-web`, collector: `${tag}-coll` };
const IP = { client: '10.0.0.1', web: '10.0.0.2', collector: '10.0.0.3' };
const PORT = 5201;
// Ethernet 14 + IPv4 20 + TCP 20 + timestamps 12: every segment of a Linux iperf3 stream carries the timestamp option.
const HEADERS = 66;

const env = { ...process.env, UX_TUNNEL_RUN_DIR: join(work, 'run') };
// Each host's config in a directory of its own, as on two hosts: the WireGuard key lives next to the config file.
const WEB_CONF = join(work, 'web', 'tunnel.conf');
const COLLECTOR_CONF = join(work, 'collector', 'tunnels.conf');
const transmit = (...args: string[]) => execOrThrow(inNs(NS.web, process.execPath, resolve(ROOT, 'bin', 'ux-tunnel-transmit'), '--config', WEB_CONF, ...args), { env });
const receive = (...args: string[]) => execOrThrow(inNs(NS.collector, process.execPath, resolve(ROOT, 'bin', 'ux-tunnel-receive'), '--config', COLLECTOR_CONF, ...args), { env });


async function topology(): Promise<void> {
  for (const ns of Object.values(NS)) {
    await execOrThrow(['ip', 'netns', 'add', ns]);
    await execOrThrow(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
  }
  await execOrThrow(['ip', '-n', NS.lan, '-batch', '-'], { input: 'link add br0 type bridge\nlink set br0 up\n' });
  for (const [name, ns, addr] of [['pc', NS.client, IP.client], ['pw', NS.web, IP.web], ['pk', NS.collector, IP.collector]] as const) {
    await execOrThrow(['ip', 'link', 'add', name, 'netns', NS.lan, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
    await execOrThrow(['ip', '-n', NS.lan, '-batch', '-'], { input: `link set ${name} master br0\nlink set ${name} up\n` });
    await execOrThrow(['ip', '-n', ns, '-batch', '-'], { input: `addr add ${addr}/24 dev eth0\nlink set eth0 up\n` });
    if (LAYOUT) {
      // The switch port's and the host's receive work on their CPUs (RPS); the web server's NIC spreads over its own.
      await execOrThrow(inNs(NS.lan, 'sh', '-c', `echo ${maskOf(LAYOUT.others)} > /sys/class/net/${name}/queues/rx-0/rps_cpus`));
      await execOrThrow(inNs(ns, 'sh', '-c', `echo ${maskOf(ns === NS.web ? LAYOUT.web : LAYOUT.others)} > /sys/class/net/eth0/queues/rx-0/rps_cpus`));
    }
    if (ns !== NS.client && underlay !== 1500) {
      await execOrThrow(['ip', '-n', NS.lan, 'link', 'set', 'dev', name, 'mtu', String(underlay)]);
      await execOrThrow(['ip', '-n', ns, 'link', 'set', 'dev', 'eth0', 'mtu', String(underlay)]);
    }
  }
}

const tcIn = (ns: string, ...args: string[]) => execOrThrow(inNs(ns, 'tc', ...args));

/** The receive side's one filter in its shared block (model/receive.ts: block 1381320009, pref 49000), with `action`. */
async function blockFilter(action: 'mirror' | 'redirect'): Promise<void> {
  // Deleted and added again (tc cannot replace the action of a matchall filter in place: "File exists").
  await tcIn(NS.collector, 'filter', 'del', 'block', '1381320009', 'pref', '49000');
  await tcIn(NS.collector, 'filter', 'add', 'block', '1381320009', 'pref', '49000', 'protocol', 'all', 'matchall', 'action', 'mirred', 'egress', action, 'dev', 'ruei-mtun');
}

/** Turns the product's port mirror (just started) into the design of `mode`; see the header. */
async function alterDesign(mode: string): Promise<void> {
  if (mode === 'redirect') await blockFilter('redirect');
  if (mode === 'rps') {
    // Every online CPU (the lab has few: a mask that fits in one hex group).
    const mask = parseCpuList(readFileSync('/sys/devices/system/cpu/online', 'utf8')).reduce((m, cpu) => m | (1 << cpu), 0);
    await execOrThrow(inNs(NS.collector, 'sh', '-c', `echo ${mask.toString(16)} > /sys/class/net/ruei-mtun-00000/queues/rx-0/rps_cpus`));
  }
  if (mode === 'seed') await execOrThrow(inNs(NS.web, 'sh', '-c', 'echo 0 > /sys/class/net/ruei-veth1out/queues/rx-0/rps_cpus'));
  if (mode === 'slowpin') await execOrThrow(inNs(NS.collector, 'nft', 'flush', 'set', 'ip', PIN_TABLE, 'open'));
  if (mode === 'sink') {
    // On the switch port to the collector (every fragment of an L2TPv3 packet carries protocol 115 in its IP header).
    await tcIn(NS.lan, 'qdisc', 'add', 'dev', 'pk', 'clsact');
    await tcIn(NS.lan, 'filter', 'add', 'dev', 'pk', 'egress', 'pref', '1', 'protocol', 'ip', 'u32', 'match', 'ip', 'protocol', '115', '0xff', 'action', 'drop');
  }
  if (mode === 'nobridge') {
    await tcIn(NS.web, 'qdisc', 'add', 'dev', 'ruei-veth1out', 'clsact');
    await tcIn(NS.web, 'filter', 'add', 'dev', 'ruei-veth1out', 'ingress', 'pref', '1', 'matchall', 'action', 'mirred', 'egress', 'redirect', 'dev', 'ruei-tun1');
  }
  if (mode === 'direct') {
    // The product's filters go (stop later finds none to remove), ours copy straight into the L2TP session device.
    for (const hook of ['ingress', 'egress']) {
      const prefs = new Set((JSON.parse((await tcIn(NS.web, '-j', 'filter', 'show', 'dev', 'eth0', hook)).stdout || '[]') as Array<{ pref: number }>).map((f) => f.pref));
      for (const pref of prefs) await tcIn(NS.web, 'filter', 'del', 'dev', 'eth0', hook, 'pref', String(pref));
      const port = hook === 'ingress' ? 'dst_port' : 'src_port';
      await tcIn(NS.web, 'filter', 'add', 'dev', 'eth0', hook, 'pref', '100', 'protocol', 'ip', 'flower', 'ip_proto', 'tcp', port, String(PORT), 'action', 'mirred', 'egress', 'mirror', 'dev', 'ruei-tun1');
    }
  }
}

async function restoreDesign(mode: string): Promise<void> {
  if (mode === 'redirect') await blockFilter('mirror');
  if (mode === 'rps') await execOrThrow(inNs(NS.collector, 'sh', '-c', 'echo 0 > /sys/class/net/ruei-mtun-00000/queues/rx-0/rps_cpus'));
  if (mode === 'slowpin') await execOrThrow(inNs(NS.collector, 'nft', 'add', 'element', 'ip', PIN_TABLE, 'open', `{ ${IP.web} . ${IP.collector} }`));
  if (mode === 'sink') await tcIn(NS.lan, 'qdisc', 'del', 'dev', 'pk', 'clsact');
  if (mode === 'direct') for (const hook of ['ingress', 'egress']) await tcIn(NS.web, 'filter', 'del', 'dev', 'eth0', hook, 'pref', '100');
}

/**
 * Until the web server's WireGuard interface has shaken hands with the collector's (it starts to at once: persistent
 * keepalive), so that the first seconds of a run do not measure the blackhole that keeps the mirror from leaving in clear.
 */
async function handshake(): Promise<void> {
  for (let i = 0; i < 60; i++) {
    const { stdout } = await execOrThrow(inNs(NS.web, 'wg', 'show', 'ruei-wg1', 'latest-handshakes'));
    if (/\s[1-9]\d*\s*$/m.test(stdout)) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error('ruei-wg1 has not shaken hands with the collector in 30 s');
}

const COOKIE = '5a17c0ffee0c0de1';

/** The options of the web server's line and of the collector's line for a mode of issue 13 (budget: the web's only). */
function optionsOf(mode: string, keys: { collector: string; web: string } | null): [string, string] {
  if (mode === 'budget') return [` budget-mbit=${BUDGET_MBIT}`, ''];
  if (mode === 'cookie') return [` cookie=${COOKIE}`, ` cookie=${COOKIE}`];
  if (mode === 'wireguard' && keys) return [` wireguard=${keys.collector}`, ` wireguard=${keys.web}`];
  if (mode === 'udp') return [' udp=1701', ' udp=1701'];
  return ['', ''];
}

function writeSecret(file: string, text: string): void {
  writeFileSync(file, text, { mode: 0o600 });
  chmodSync(file, 0o600);
}

const publicKeyIn = (out: string) => /^wireguard=(\S+)$/m.exec(out)?.[1] ?? '';

export interface Sample {
  mode: string;
  load: string;
  round: number;
  /** Receiver's goodput, bits/s. */
  bps: number;
  sentBytes: number;
  /** Payload bytes the iperf3 server received: every one of them crossed web's eth0, where the mirror copies. */
  receivedBytes: number;
  retransmits: number;
  /** TCP payload bytes that reached ruei-mtun (frames' bytes minus 66 header bytes each). */
  mirroredPayload: number | null;
  mirroredFrames: number | null;
  /** IP protocol 115 packets (fragments counted one by one) that reached the collector's eth0. */
  outerPackets: number | null;
  softnetDrops: number;
  reasmFails: number | null;
  /** Deltas of the collector's IP reassembly counters. */
  reasm: Record<string, number> | null;
  /** Interface drop counters that grew during the run. */
  drops: Record<string, number>;
  /** IP-layer counters (Ip*, IpExt*) of web and collector that grew during the run. */
  ipCounters: Record<string, number>;
}

async function iperf(load: string): Promise<{ bps: number; sentBytes: number; receivedBytes: number; retransmits: number }> {
  // Linux keeps each destination's congestion state (ssthresh) from the last connection: every run starts afresh.
  for (const ns of [NS.client, NS.web]) await execOrThrow(inNs(ns, 'ip', 'tcp_metrics', 'flush', 'all'));
  const argv = inNs(NS.client, ...pinned('others', ['iperf3']), '-c', IP.web, '-p', String(PORT), '-t', String(seconds), '-J', ...(load === '0' ? [] : ['-b', load]));
  const { stdout } = await execOrThrow(argv);
  const j = JSON.parse(stdout) as { end: { sum_sent: { bytes: number; retransmits?: number }; sum_received: { bytes: number; bits_per_second: number } } };
  // The sender's count includes what was still in its socket buffer when the test ended: never on the wire.
  return { bps: j.end.sum_received.bits_per_second, sentBytes: j.end.sum_sent.bytes, receivedBytes: j.end.sum_received.bytes, retransmits: j.end.sum_sent.retransmits ?? 0 };
}

async function measureRun(mode: string, load: string, round: number): Promise<Sample> {
  const mirrored = mode !== 'none';
  const before = mirrored ? { mtun: await link(NS.collector, 'ruei-mtun'), eth: await link(NS.collector, 'eth0'), nstat: await nstat(NS.collector, REASM) } : null;
  const drops0 = softnetDrops();
  const ip0 = await ipCounters(NS);
  const counters0 = await dropCounters(NS);
  const result = await iperf(load);
  // The mirror trails production by the tunnel's queues: let them drain before reading the counters.
  await new Promise((r) => setTimeout(r, 1000));
  const drops = softnetDrops() - drops0;
  const dropped = grown(counters0, await dropCounters(NS));
  const ipGrown = grown(ip0, await ipCounters(NS));
  if (!before) return { mode, load, round, ...result, mirroredPayload: null, mirroredFrames: null, outerPackets: null, softnetDrops: drops, reasmFails: null, reasm: null, drops: dropped, ipCounters: ipGrown };
  const mtun = await link(NS.collector, 'ruei-mtun');
  const eth = await link(NS.collector, 'eth0');
  const reasm = await nstat(NS.collector, REASM);
  const frames = mtun.txPackets - before.mtun.txPackets;
  return {
    mode, load, round, ...result,
    mirroredPayload: mtun.txBytes - before.mtun.txBytes - HEADERS * frames,
    mirroredFrames: frames,
    outerPackets: eth.rxPackets - before.eth.rxPackets,
    softnetDrops: drops,
    reasmFails: reasm.IpReasmFails! - before.nstat.IpReasmFails!,
    reasm: Object.fromEntries(REASM.map((k) => [k, reasm[k]! - before.nstat[k]!])),
    drops: dropped,
    ipCounters: ipGrown,
  };
}

async function main(): Promise<void> {
  for (const dir of ['run', 'web', 'collector']) mkdirSync(join(work, dir), { recursive: true, mode: 0o700 });
  const samples: Sample[] = [];
  try {
    await topology();
    for (const setting of collectorSysctls) await execOrThrow(inNs(NS.collector, 'sysctl', '-w', setting));
    const server = spawnStream(inNs(NS.web, ...pinned('web', ['iperf3', '-s', '-p', String(PORT)])));
    process.stderr.write(`[bench-lab] CPUs: ${LAYOUT ? `web server ${LAYOUT.web.join(',')} (mirror queue on its last), client, switch and collector ${LAYOUT.others.join(',')}` : 'shared by every host'}\n`);
    server.stdout!.resume();
    await new Promise((r) => setTimeout(r, 1500));
    writeFileSync(COLLECTOR_CONF, `${IP.collector} ${IP.web} - -\n`);
    await receive('start');
    // Keys for the wireguard mode, made once (each side's next to its config file).
    const keys = modes.includes('wireguard') ? { collector: publicKeyIn((await receive('keys')).stdout), web: publicKeyIn((await transmit('keys')).stdout) } : null;
    for (let round = 0; round < repeat; round++) {
      // Each round starts one design later: measured in a fixed order, the design right after `none` ran about 15 %
      // slower at 200 Mbit/s in two runs whichever design it was (2026-12-02), which a fixed order would charge to it.
      for (const mode of [...modes.slice(round % modes.length), ...modes.slice(0, round % modes.length)]) {
        // DESIGN+sink: the design with the switch dropping its tunnel packets too (its cost to the web server alone).
        const [design = mode, ...extras] = mode.split('+');
        if (design !== 'none') {
          const [options, collectorOptions] = optionsOf(design, keys);
          // 0600 on every write (a mode given to writeFileSync applies only to a new file): a cookie must be root's alone.
          writeSecret(WEB_CONF, `${IP.collector} ${IP.web} eth0 ${design === 'all' ? 'all' : `i${PORT}`}${options}\n`);
          if (collectorOptions || design === 'nopin') {
            writeSecret(COLLECTOR_CONF, `${IP.collector} ${IP.web} - -${collectorOptions}\n`);
            await receive('reload', '--source-pinning', design === 'nopin' ? 'off' : 'on');
          }
          await transmit('start');
          if (design === 'wireguard') await handshake();
          for (const part of [design, ...extras]) await alterDesign(part);
        }
        for (const load of loads) {
          const s = await measureRun(mode, load, round);
          samples.push(s);
          const pct = s.mirroredPayload === null ? '' : `, mirror ${(100 * s.mirroredPayload / s.receivedBytes).toFixed(1)} % of received (${(100 * s.mirroredPayload / s.sentBytes).toFixed(1)} % of sent), ${(s.outerPackets! / Math.max(1, s.mirroredFrames!)).toFixed(2)} outer/frame`;
          process.stderr.write(`[bench-lab] round ${round + 1} ${mode} ${load === '0' ? 'unlimited' : load}: ${(s.bps / 1e6).toFixed(0)} Mbit/s${pct}, softnet drops ${s.softnetDrops}, reasm ${JSON.stringify(s.reasm)}, interface drops ${JSON.stringify(s.drops)}, IP counters ${JSON.stringify(s.ipCounters)}\n`);
        }
        if (design !== 'none') {
          for (const part of [...extras].reverse()) await restoreDesign(part);
          await restoreDesign(design);
          await transmit('stop');
          if (optionsOf(design, keys)[1] || design === 'nopin') {
            writeFileSync(COLLECTOR_CONF, `${IP.collector} ${IP.web} - -\n`);
            await receive('reload', '--source-pinning', 'on');
          }
        }
      }
    }
    await receive('stop');
    server.kill('SIGKILL');
  } finally {
    writeFileSync(out!, `${JSON.stringify({ repeat, seconds, loads, underlay, layout: LAYOUT, collectorSysctls, headerBytes: HEADERS, samples }, null, 2)}\n`);
    for (const ns of Object.values(NS)) {
      const pids = await exec(['ip', 'netns', 'pids', ns]);
      for (const pid of pids.stdout.split(/\s+/).filter(Boolean)) await exec(['kill', '-9', pid]);
      await exec(['ip', 'netns', 'del', ns]);
    }
  }
}

await main();
