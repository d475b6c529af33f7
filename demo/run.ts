// npm run demo: the whole chain in network namespaces — three web servers (one behind NAT) mirror to one collector.
import { join } from 'node:path';
import { requireL2tp } from '../test/kernel/lib/netns.js';
import { scratchDir } from '../test/kernel/lib/scratch.js';
import { createDeployment, mustSucceed, type Deployment } from '../test/kernel/lib/deployment.js';
import { startCapture } from '../test/kernel/lib/capture.js';
import { compareStreams, fetchKeepAlive, loadWithAb } from '../test/kernel/lib/traffic.js';

const cleanups: Array<() => unknown> = [];
const registry = { after: (fn: () => unknown) => cleanups.push(fn) };

function banner(text: string): void {
  process.stdout.write(`\n=== ${text} ===\n`);
}

function show(command: string, output: string): void {
  process.stdout.write(`$ ${command}\n${output.trimEnd()}\n`);
}

async function step(d: Deployment, where: 'collector' | number, args: string[]): Promise<string> {
  const result = where === 'collector' ? await d.receive(...args) : await d.transmit(d.webs[where]!, ...args);
  const tool = where === 'collector' ? 'collector# ux-tunnel-receive' : `${d.webs[where]!.name}# ux-tunnel-transmit`;
  show(`${tool} ${args.join(' ')}`, `${result.stdout}${result.code === 0 ? '' : result.stderr}`);
  return mustSucceed(result, `${tool} ${args.join(' ')}`).stdout;
}

async function main(): Promise<number> {
  await requireL2tp();
  const dir = await scratchDir(registry, 'ux-tunnel-demo-');
  banner('building the deployment: 2 clients, 3 nginx web servers (web3 behind a NAT router), 1 collector');
  const d = await createDeployment(registry, dir);
  for (const web of d.webs) process.stdout.write(`${web.name}: ${web.ip}${web.behindNat ? ` (behind NAT: reaches the collector as ${web.seenAs})` : ''}, mirrors eth0 port 80\n`);
  registry.after(async () => {
    for (const web of d.webs) await d.transmit(web, 'stop');
    await d.receive('stop');
  });

  banner('collector: start the receive side (tunnels.conf has one line per web server)');
  await step(d, 'collector', ['config', 'list']);
  await step(d, 'collector', ['start']);
  banner('web servers: start the transmit side and its keepalive');
  for (const [i, web] of d.webs.entries()) {
    await step(d, i, ['start']);
    d.startKeepalive(web, 2);
  }

  banner('traffic: keep-alive HTTP from both clients to every web server, and ab load; ruei-mtun is captured');
  const mtun = await startCapture(d.collector, 'ruei-mtun', join(dir, 'mtun.pcap'), ['tcp', 'port', '80']);
  const wires = await Promise.all(d.clients.map((c, i) => startCapture(c, 'eth0', join(dir, `client${i + 1}.pcap`), ['tcp', 'port', '80'])));
  const detect = d.receive('diag', 'monitor', 'detect', '--time', '8');
  const started = Date.now();
  let bodies = 0;
  for (const client of d.clients) for (const web of d.webs) bodies += await fetchKeepAlive(client, web, dir, ['/index.html', '/medium.bin', '/big.bin']);
  const requests = await loadWithAb(d.clients[0]!, d.webs[0]!, '/index.html', 300, 4);
  process.stdout.write(`clients received ${bodies} body bytes in ${d.clients.length * d.webs.length} keep-alive connections, plus ${requests} ab requests (${((Date.now() - started) / 1000).toFixed(1)}s)\n`);
  const clientPackets = [];
  for (const w of wires) clientPackets.push((await w.stop()).packets);
  const collected = await mtun.stop();

  banner('collector: which tunnels arrive, and from where (NAT)');
  const detected = await detect;
  show('collector# ux-tunnel-receive diag monitor detect --time 8', detected.stdout + detected.stderr);
  banner('collector: per-tunnel counters');
  await step(d, 'collector', ['diag', 'tunnels', 'check']);
  banner('collector: the servers seen on ruei-mtun');
  await step(d, 'collector', ['diag', 'traffic', 'servers', '--read', join(dir, 'mtun.pcap')]);

  banner('verdict');
  const result = compareStreams(clientPackets, collected.packets, 80);
  const complete = result.problems.length === 0 && collected.droppedByKernel === 0 && result.collectorBytes === result.clientBytes;
  process.stdout.write(`${result.connections} TCP connections, ${result.clientBytes} payload bytes on the clients' wires, ${result.collectorBytes} of them byte-identical on ruei-mtun\n`);
  for (const problem of result.problems.slice(0, 10)) process.stdout.write(`  ${problem}\n`);
  process.stdout.write(complete ? 'VERDICT: the mirror is complete: every request and response arrived at the collector unchanged\n' : 'VERDICT: INCOMPLETE: see the lines above\n');
  return complete ? 0 : 1;
}

let code = 1;
try {
  code = await main();
} catch (error) {
  process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
} finally {
  banner('teardown: stop both sides, remove every namespace');
  for (const fn of cleanups.reverse()) {
    try {
      await fn();
    } catch {
      /* keep tearing down */
    }
  }
}
process.exitCode = code;
