// Runs in the kernel lab (as root): the mixed web load of the completeness test, unpaced, through three designs in one
// run: no mirror, the seed's path (the same interfaces without the mirror queue: RPS off on ruei-veth1out) and the
// product. For each: requests per second, completeness on ruei-mtun, frames out of order, and where frames were dropped.
//
//   node dist/bench/webload-lab.js OUT.json [--repeat N] [--underlays 1500,9000] [--paths none,seed,queue]
//
//   ns client (MTU 1500) -- ns lan br0 -- ns web (nginx 2 workers, ux-tunnel-transmit i80) ==L2TPv3/IP==> ns collector
//   The underlay (web eth0, the switch, collector eth0) has MTU 1500 or 9000; the client's 1500 keeps production
//   frames at 1514 bytes, so on a 9000 underlay the tunnel's packets cross whole.
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { argFlag } from './lib/measure.js';
import { startCapture } from '../test/kernel/lib/capture.js';
import { createTransmitLab, WEB_IP } from '../test/kernel/lib/transmit-lab.js';
import { reorderedFrames } from '../test/kernel/lib/tcp-streams.js';
import { compareStreams } from '../test/kernel/lib/traffic.js';
import { mixedWebLoad, writeLoadFiles } from '../test/kernel/lib/web-load.js';
import type { Netns } from '../test/kernel/lib/netns.js';

export interface WebLoadSample {
  readonly underlay: number;
  readonly path: 'none' | 'seed' | 'queue';
  readonly requests: number;
  readonly seconds: number;
  readonly clientBytes: number;
  readonly mirroredBytes: number;
  readonly reorderedMtun: number;
  readonly reorderedNic: number;
  /** Counters that grew during the load, "ns:dev:dir" -> frames. */
  readonly drops: Record<string, number>;
}

const out = process.argv[2];
if (!out) throw new Error('usage: webload-lab.js OUT.json [--repeat N] [--underlays 1500,9000] [--paths none,seed,queue]');
const repeat = Number(argFlag('repeat', '1'));
const underlays = argFlag('underlays', '1500,9000').split(',').map(Number);
const paths = argFlag('paths', 'none,seed,queue').split(',') as Array<WebLoadSample['path']>;

async function dropCounters(namespaces: Array<[string, Netns]>): Promise<Map<string, number>> {
  const found = new Map<string, number>();
  for (const [label, ns] of namespaces) {
    const links = JSON.parse((await ns.run('ip', '-j', '-s', 'link', 'show')).stdout) as Array<{ ifname: string; stats64?: Record<'rx' | 'tx', { dropped: number; errors: number }> }>;
    for (const l of links) for (const dir of ['rx', 'tx'] as const) found.set(`${label}:${l.ifname}:${dir}`, (l.stats64?.[dir].dropped ?? 0) + (l.stats64?.[dir].errors ?? 0));
    const snmp = (await ns.run('cat', '/proc/net/snmp')).stdout.split('\n').filter((l) => l.startsWith('Ip:'));
    const names = snmp[0]!.split(/\s+/);
    const values = snmp[1]!.split(/\s+/);
    found.set(`${label}:IpReasmFails`, Number(values[names.indexOf('ReasmFails')]));
  }
  const softnet = (await readFile('/proc/net/softnet_stat', 'utf8')).trim().split('\n').reduce((n, l) => n + parseInt(l.trim().split(/\s+/)[1]!, 16), 0);
  found.set('softnet:dropped', softnet);
  return found;
}

async function oneRun(underlay: number, path: WebLoadSample['path']): Promise<WebLoadSample> {
  const dir = await mkdtemp(join(tmpdir(), 'ux-webload-'));
  const cleanups: Array<() => unknown> = [];
  const t = { after: (fn: () => unknown) => cleanups.push(fn) } as unknown as Parameters<typeof createTransmitLab>[0];
  try {
    const lab = await createTransmitLab(t, dir, { nginxWorkers: 2 });
    await writeLoadFiles(join(dir, 'www'), dir);
    for (const [ns, dev] of [[lab.web, 'eth0'], [lab.collector, 'eth0'], [lab.lan, 'pw'], [lab.lan, 'pk'], [lab.lan, 'pc'], [lab.lan, 'br0']] as const) {
      await ns.run('ip', 'link', 'set', 'dev', dev, 'mtu', String(dev === 'pc' ? 9000 : underlay));
    }
    await lab.writeConfig('i80');
    await lab.receiveOk('start');
    if (path !== 'none') {
      await lab.cliOk('start');
      // The seed's path: the same interfaces, each copy left on the backlog of the CPU that mirrored it.
      if (path === 'seed') await lab.web.run('sh', '-c', 'echo 0 > /sys/class/net/ruei-veth1out/queues/rx-0/rps_cpus');
    }
    await lab.curl(`http://${WEB_IP}/small.txt`);
    const namespaces: Array<[string, Netns]> = [['web', lab.web], ['lan', lab.lan], ['collector', lab.collector]];
    const before = await dropCounters(namespaces);
    const filter = ['tcp', 'port', '80'];
    const wire = await startCapture(lab.client, 'eth0', join(dir, 'wire.pcap'), filter);
    const nic = await startCapture(lab.web, 'eth0', join(dir, 'nic.pcap'), filter, 2048);
    const mtun = path === 'none' ? null : await startCapture(lab.collector, 'ruei-mtun', join(dir, 'mtun.pcap'), filter, 2048);
    const t0 = Date.now();
    const load = await mixedWebLoad(lab.client, WEB_IP, dir);
    const seconds = (Date.now() - t0) / 1000;
    await new Promise((r) => setTimeout(r, 1000));
    const atWire = await wire.stop();
    const atNic = await nic.stop();
    const atMtun = mtun ? await mtun.stop() : null;
    const after = await dropCounters(namespaces);
    const drops: Record<string, number> = {};
    for (const [k, v] of after) if (v > (before.get(k) ?? 0)) drops[k] = v - (before.get(k) ?? 0);
    const bytes = atMtun ? compareStreams([atWire.packets], atMtun.packets, 80) : null;
    return {
      underlay, path, requests: load.requests, seconds, clientBytes: bytes?.clientBytes ?? 0, mirroredBytes: bytes?.collectorBytes ?? 0,
      reorderedMtun: atMtun ? reorderedFrames(atMtun.packets).total : 0, reorderedNic: reorderedFrames(atNic.packets).total, drops,
    };
  } finally {
    for (const fn of cleanups.reverse()) await fn();
    await rm(dir, { recursive: true, force: true });
  }
}

const samples: WebLoadSample[] = [];
for (let r = 0; r < repeat; r++) {
  for (const underlay of underlays) {
    for (const path of paths) {
      const s = await oneRun(underlay, path);
      samples.push(s);
      process.stderr.write(`[bench] web load, underlay ${underlay}, ${path}: ${(s.requests / s.seconds).toFixed(0)} req/s, mirrored ${s.mirroredBytes} of ${s.clientBytes} bytes, out of order ${s.reorderedMtun} (NIC ${s.reorderedNic}), drops ${JSON.stringify(s.drops)}\n`);
      writeFileSync(out, JSON.stringify({ samples }, null, 2));
    }
  }
}
writeFileSync(resolve(out), JSON.stringify({ samples }, null, 2));
