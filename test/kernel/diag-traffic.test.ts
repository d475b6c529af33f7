// `diag traffic servers` on a web server's NIC and on the collector's ruei-mtun: a real HTTP server, curl over
// IPv4 and IPv6, the web NIC's frames mirrored (tc mirred, by hand) into an L2TPv3 tunnel to ux-tunnel-receive.
//
//   ns client                ns web (sender 1 of lib/receive-lab.ts)                ns collector
//   +----------------+      +--------------------------------------------+        +-----------------------------+
//   | cl0 192.0.2.2  | veth | web0 192.0.2.1, 2001:db8::1: HTTP :80      |        | ux-tunnel-receive start:    |
//   | 2001:db8::2    +------+ web0 ingress+egress --tc mirred--> l2tx ===+========+=> ruei-mtun-00000            |
//   | curl           |      | diag traffic servers --interface web0 (x2) | L2TPv3 |    --> ruei-mtun            |
//   +----------------+      +--------------------------------------------+        | diag traffic servers        |
//                                                                                 | tcpdump -w (for --read)     |
//                                                                                 +-----------------------------+
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { createNetns, requireL2tp, type Netns } from './lib/netns.js';
import { startCapture } from './lib/capture.js';
import { background, cli, reportLines, startCli, waitForPacketSockets } from './lib/diag.js';
import { configLine, createCollectorLab, writeLines } from './lib/receive-lab.js';
import { execOrThrow } from '../../src/kernel/exec.js';
import { scratchDir } from './lib/scratch.js';

const V4_CONNECTIONS = 5;
const V6_CONNECTIONS = 2;
const FILTER_LINE = '[info] Using filter: tcp[tcpflags] & (tcp-syn|tcp-ack|tcp-fin|tcp-rst) == (tcp-syn|tcp-ack) or (ip6[6] == 6 and ip6[53] & 0x17 == 0x12)';
const TABLE = [
  '[info] Server-IP    Port  Connections',
  `[info] 192.0.2.1    80    ${V4_CONNECTIONS}`,
  `[info] 2001:db8::1  80    ${V6_CONNECTIONS}`,
];

async function curl(client: Netns, url: string, times: number): Promise<void> {
  for (let i = 0; i < times; i++) {
    // One process per request: each is a new TCP connection (one curl would reuse its connection).
    const { stdout } = await client.run('curl', '-sS', '--max-time', '20', '-g', url);
    assert.equal(stdout, 'ok\n');
  }
}

async function startHttpServer(ns: Netns): Promise<void> {
  const server = background(ns, process.execPath, '-e',
    "require('http').createServer((q, s) => s.end('ok\\n')).listen(80, '::', () => console.log('ready'))");
  await new Promise<void>((resolve, reject) => {
    server.child.stdout!.once('data', () => resolve());
    server.child.once('exit', (code) => reject(new Error(`the HTTP server exited with ${code}`)));
  });
}

test('diag traffic servers counts the connections curl made, on the web NIC and on ruei-mtun, live and from a file', async (t) => {
  await requireL2tp();
  const dir = await scratchDir(t, 'uxt-diag-traffic-');
  const lab = await createCollectorLab(t, dir, 1);
  const { collector } = lab;
  const sender = lab.senders[0]!;
  const web = sender.ns;
  const client = await createNetns(t, 'client');
  await execOrThrow(['ip', 'link', 'add', 'web0', 'netns', web.name, 'type', 'veth', 'peer', 'name', 'cl0', 'netns', client.name]);
  await web.ip('addr add 192.0.2.1/24 dev web0', 'addr add 2001:db8::1/64 dev web0 nodad', 'link set web0 up');
  await client.ip('addr add 192.0.2.2/24 dev cl0', 'addr add 2001:db8::2/64 dev cl0 nodad', 'link set cl0 up');
  // The transmit side's job, done by hand: copy both directions of web0 into the tunnel's session interface.
  await execOrThrow(['tc', '-n', web.name, '-batch', '-'], {
    input: 'qdisc add dev web0 clsact\n' +
      'filter add dev web0 ingress pref 100 matchall action mirred egress mirror dev l2tx\n' +
      'filter add dev web0 egress pref 100 matchall action mirred egress mirror dev l2tx\n',
  });
  await startHttpServer(web);
  await writeLines(lab.config, [configLine(sender)]);
  await lab.cliOk('start');

  const saved = join(dir, 'ruei-mtun.pcap');
  const recording = await startCapture(collector, 'ruei-mtun', saved, ['tcp']);
  // Three CLIs at once: the web NIC and the collector's default interface (ruei-mtun) until Ctrl-C after the
  // traffic (a time limit would race with the emulated machine's speed), and the web NIC until 4 SYN-ACKs.
  const started = Date.now();
  const onNic = startCli(web, 'receive', 'diag', 'traffic', 'servers', '--interface', 'web0', '--time', '300');
  const onMtun = startCli(collector, 'receive', '--config', lab.config, 'diag', 'traffic', 'servers', '--time', '300');
  const limited = cli(web, 'receive', '--json', 'diag', 'traffic', 'servers', '--interface', 'web0', '--time', '300', '--max-packets', '4');
  await Promise.all([waitForPacketSockets(web, 2), waitForPacketSockets(collector, 2)]);
  const traffic = Date.now();
  await curl(client, 'http://192.0.2.1/', V4_CONNECTIONS);
  await curl(client, 'http://[2001:db8::1]/', V6_CONNECTIONS);
  t.diagnostic(`${V4_CONNECTIONS + V6_CONNECTIONS} connections took ${Date.now() - traffic} ms`);
  const early = await limited;
  const earlyAfter = Date.now() - started;
  await new Promise((r) => setTimeout(r, 1000)); // the last FINs are still crossing the tunnel
  onNic.interrupt();
  onMtun.interrupt();
  const [nic, mtun] = await Promise.all([onNic.done, onMtun.done]);
  await recording.stop();

  assert.equal(nic.code, 0, nic.stdout + nic.stderr);
  assert.deepEqual(reportLines(nic), [
    "[info] Detecting server IPs and ports on interface 'web0', capture time: 300s, max packets: 1000",
    FILTER_LINE,
    ...TABLE,
  ]);
  assert.equal(mtun.code, 0, mtun.stdout + mtun.stderr);
  assert.deepEqual(reportLines(mtun), [
    "[info] Detecting server IPs and ports on interface 'ruei-mtun', capture time: 300s, max packets: 1000",
    FILTER_LINE,
    ...TABLE,
  ]);

  assert.equal(early.code, 0, early.stdout + early.stderr);
  const report = JSON.parse(early.stdout) as { servers: Array<{ ip: string; port: number; connections: number }>; stoppedBy: string; synAcks: number };
  assert.equal(report.stoppedBy, 'packets');
  assert.equal(report.synAcks, 4);
  assert.deepEqual(report.servers, [{ ip: '192.0.2.1', port: 80, connections: 4 }]);
  assert.ok(earlyAfter < 200_000, `the --max-packets capture ended after ${earlyAfter} ms, well before its 300s`);

  // --read on every TCP packet ruei-mtun carried in the same window (handshakes, data, FINs): the same table.
  // Meanwhile: a capture on an interface that does not exist fails in plain words, with exit status 1.
  const [read, missing] = await Promise.all([
    lab.cli('diag', 'traffic', 'servers', '--read', saved),
    cli(web, 'receive', 'diag', 'traffic', 'servers', '--interface', 'nosuch0', '--time', '1'),
  ]);
  assert.equal(read.code, 0, read.stdout + read.stderr);
  assert.deepEqual(reportLines(read), [`[info] Detecting server IPs and ports in file '${saved}'`, FILTER_LINE, ...TABLE]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^ux-tunnel-receive: error: interface 'nosuch0' does not exist/m);
});
