// End to end: three web servers (one behind NAT) mirror their HTTP traffic to one collector; every byte arrives.
// The topology is drawn in lib/deployment.ts. Each web server runs ux-tunnel-transmit (i80), the collector
// ux-tunnel-receive with three tunnels; the clients' own wires are the reference the collector's ruei-mtun is held to.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { requireL2tp } from './lib/netns.js';
import { createDeployment, mustSucceed, type Deployment } from './lib/deployment.js';
import { startCapture, type Capture } from './lib/capture.js';
import { compareStreams, fetchKeepAlive, loadWithAb } from './lib/traffic.js';
import { scratchDir } from './lib/scratch.js';

const PAGES = ['/index.html', '/medium.bin', '/big.bin', '/index.html'];

async function captureAll(d: Deployment, label: string): Promise<{ stop(): Promise<{ clients: Awaited<ReturnType<Capture['stop']>>[]; mtun: Awaited<ReturnType<Capture['stop']>> }> }> {
  // Copies of 1500-byte NICs' frames: a small snap length gives tcpdump's ring on the 64000-MTU ruei-mtun room.
  const mtun = await startCapture(d.collector, 'ruei-mtun', join(d.dir, `${label}-mtun.pcap`), ['tcp', 'port', '80'], 2048);
  const clients = await Promise.all(d.clients.map((c, i) => startCapture(c, 'eth0', join(d.dir, `${label}-client${i + 1}.pcap`), ['tcp', 'port', '80'])));
  return {
    async stop() {
      const clientFiles = [];
      for (const c of clients) clientFiles.push(await c.stop());
      return { clients: clientFiles, mtun: await mtun.stop() };
    },
  };
}

test('every request and response of every connection reaches ruei-mtun byte-identical, also across restart and reload', async (t) => {
  await requireL2tp();
  const dir = await scratchDir(t, 'uxt-e2e-');
  const d = await createDeployment(t, dir);
  t.after(async () => {
    for (const web of d.webs) await d.transmit(web, 'stop');
    await d.receive('stop');
  });

  mustSucceed(await d.receive('start'), 'ux-tunnel-receive start');
  for (const web of d.webs) {
    mustSucceed(await d.transmit(web, 'start'), `ux-tunnel-transmit start on ${web.name}`);
    // As deployed, a little more often than the default 20 s (each keepalive reads the counters with three tc runs:
    // every second on three web servers that was a large share of an emulated CPU).
    d.startKeepalive(web, 5);
  }

  // Phase 1: keep-alive connections with pages of every size from both clients to every server, plus ab load.
  const phase1 = await captureAll(d, 'phase1');
  const bodies = await Promise.all(d.clients.map(async (client) => {
    let bytes = 0;
    for (const web of d.webs) bytes += await fetchKeepAlive(client, web, dir, PAGES);
    return bytes;
  }));
  await Promise.all([loadWithAb(d.clients[0]!, d.webs[1]!, '/index.html', 200, 4), loadWithAb(d.clients[1]!, d.webs[2]!, '/medium.bin', 40, 2)]);
  const first = await phase1.stop();
  const afterPhase1 = { collector: await d.reassembly(), router: await d.reassembly(d.router) };
  assert.ok(first.clients.every((c) => c.droppedByKernel === 0) && first.mtun.droppedByKernel === 0, 'no capture dropped packets (else the comparison means nothing)');
  const one = compareStreams(first.clients.map((c) => c.packets), first.mtun.packets, 80);
  assert.deepEqual(one.problems, [], `every half-connection of the clients is on ruei-mtun, identical (reassembly: ${JSON.stringify(afterPhase1)})`);
  assert.ok(one.connections >= 2 * 3 + 4 + 2, `${one.connections} connections compared`);
  assert.equal(one.collectorBytes, one.clientBytes, 'the totals match what the clients saw');
  assert.ok(one.clientBytes > bodies.reduce((a, b) => a + b, 0), 'the streams hold at least the bodies the clients received');

  // The collector sees all three tunnels, web3 through NAT, and every tunnel counted traffic. The load has ended, so
  // keepalives (every 5 s) are what detect sees: it listens for more than two intervals (4 s missed web1's once in CI).
  const detect = mustSucceed(await d.receive('diag', 'monitor', 'detect', '--time', '12', '--json'), 'diag monitor detect');
  const tunnels = (JSON.parse(detect.stdout) as { tunnels: Array<{ srcIp: string; tunnelId: number; nat: boolean }> }).tunnels;
  for (const web of d.webs) {
    const seen = tunnels.find((x) => x.tunnelId === web.tunnelId);
    assert.ok(seen, `tunnel of ${web.name} detected`);
    assert.equal(seen.srcIp, web.seenAs);
    assert.equal(seen.nat, web.behindNat, `${web.name} NAT status`);
  }
  mustSucceed(await d.receive('diag', 'tunnels', 'check'), 'diag tunnels check');

  // Phase 2: while web1 and web2 serve traffic, web3's transmit side restarts and the collector reloads a
  // changed tunnels.conf (a fourth sender added). web1's and web2's connections must lose nothing.
  const phase2 = await captureAll(d, 'phase2');
  const steady = Promise.all(d.clients.map(async (client) => {
    for (let round = 0; round < 3; round++) for (const web of d.webs.slice(0, 2)) await fetchKeepAlive(client, web, dir, PAGES);
  }));
  mustSucceed(await d.transmit(d.webs[2]!, 'restart'), 'ux-tunnel-transmit restart on web3');
  await writeFile(d.tunnelsConf, `${await readFile(d.tunnelsConf, 'utf8')}${'10.1.0.10 10.1.0.99 - -'}\n`);
  mustSucceed(await d.receive('reload'), 'ux-tunnel-receive reload');
  await steady;
  const second = await phase2.stop();
  const afterPhase2 = { collector: await d.reassembly(), router: await d.reassembly(d.router) };
  const two = compareStreams(second.clients.map((c) => c.packets), second.mtun.packets, 80, [d.webs[0]!.ip, d.webs[1]!.ip]);
  assert.deepEqual(two.problems, [], `web1 and web2 lost nothing during the restart and the reload (reassembly before ${JSON.stringify(afterPhase1)}, after ${JSON.stringify(afterPhase2)})`);
  assert.ok(two.connections >= 2 * 2 * 3, `${two.connections} connections compared in phase 2`);

  const status = JSON.parse(mustSucceed(await d.receive('status', '--json'), 'status').stdout) as { tunnels?: unknown[] };
  assert.equal(status.tunnels?.length, 4, 'four tunnels configured after the reload');
});
