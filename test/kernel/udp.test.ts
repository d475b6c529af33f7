// L2TPv3 over UDP (udp= on both sides' lines), through the demo's nftables NAT router.
//
//   client1 --+---- lan bridge ----+-- collector 10.1.0.10  ux-tunnel-receive + monitor; tunnels.conf:
//             |                    |     web1 udp=1701 (written), web3 udp=auto -> 1702 (config add --udp auto)
//             |                    +-- web1 10.1.0.11  nginx, ux-tunnel-transmit udp=1701
//             |                    +-- web2 10.1.0.12  a spoofer: plain `ip l2tp` over UDP to 1701 with web1's session ID
//             +-- router (NAT: masquerade) -- web3 10.2.0.13  nginx, ux-tunnel-transmit udp=1702, seen as 10.1.0.1
//
// Checks: no IP protocol 115 on the collector's wire, every byte of both web servers' connections on ruei-mtun
// (web3's through the NAT), keepalives and loss accounting through UDP, detect lists both as UDP, the spoofer gets
// nothing in and each of its packets is counted as refused, stop leaves nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { requireL2tp } from './lib/netns.js';
import { createDeployment, mustSucceed, COLLECTOR_IP, type Web } from './lib/deployment.js';
import { scratchDir } from './lib/scratch.js';
import { startCapture } from './lib/capture.js';
import { compareStreams, fetchKeepAlive } from './lib/traffic.js';
import { exec, spawnStream } from '../../src/kernel/exec.js';
import type { TunnelHealth } from '../../src/monitor/snapshot.js';

const BIN = resolve(import.meta.dirname, '..', '..', '..', 'bin');

const INTERVAL = 2;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Status {
  status: string;
  tunnels: Array<{ tunnelId: number; health: TunnelHealth | null }>;
  sourcePinning: { on: boolean; refused: Array<{ source: string; packets: number }> };
}

test('L2TPv3 over UDP through a NAT router: byte-identical mirror, keepalives, detect, a spoofer refused and counted', async (t) => {
  await requireL2tp();
  const dir = await scratchDir(t, 'uxt-udp-');
  const d = await createDeployment(t, dir);
  const [web1, web2, web3] = d.webs as [Web, Web, Web];
  // A run directory of its own: the monitor's state file is not shared with a test running beside this one.
  const env = { ...process.env, UX_TUNNEL_RUN_DIR: join(dir, 'collector-run') };
  const receive = (...args: string[]) => exec(d.collector.argv(process.execPath, join(BIN, 'ux-tunnel-receive'), '--config', d.tunnelsConf, ...args), { env });

  // web1 written by hand; web3 (behind NAT) added by config add --udp auto, which takes the next free port.
  await writeFile(d.tunnelsConf, `${d.tunnelsLine(web1)} udp=1701\n`);
  const added = mustSucceed(await receive('config', 'add', COLLECTOR_IP, web3.seenAs, web3.ip, '--udp', 'auto'), 'config add --udp auto');
  assert.match(added.stdout, /needs the same UDP port \(1702\): its tunnel\.conf line is\n10\.1\.0\.10 10\.1\.0\.1 MIRROR-IF PORTS 10\.2\.0\.13 udp=1702\n/);
  assert.match(mustSucceed(await receive('config', 'list'), 'config list').stdout, /10\.1\.0\.1 .* UDP 1702/);
  const clash = await receive('config', 'add', COLLECTOR_IP, '10.1.0.77', '--udp', '1701');
  assert.equal(clash.code, 3, clash.stdout + clash.stderr);
  assert.match(clash.stderr, /udp: UDP port 1701 of 10\.1\.0\.10 is already line 1's: each UDP tunnel needs a port of its own/);

  const before = (await d.collector.run('ip', '-o', 'link', 'show')).stdout.replace(/^\d+: /gm, '');
  t.after(async () => {
    for (const web of [web1, web3]) await d.transmit(web, 'stop');
    await receive('stop');
  });
  const dry = mustSucceed(await receive('start', '--dry-run'), 'receive start --dry-run');
  assert.match(dry.stdout, /^\[#\] ip l2tp add tunnel tunnel_id 167837707 peer_tunnel_id 167837707 encap udp local 10\.1\.0\.10 remote 10\.1\.0\.11 udp_sport 1701 udp_dport 1701$/m);
  assert.match(dry.stdout, /^\[#\] nft add element ip ux_tunnel_pin udp_ends '\{ 10\.1\.0\.10 \. 1701, 10\.1\.0\.10 \. 1702 \}'$/m);
  mustSucceed(await receive('start'), 'receive start');
  await writeFile(web1.config, `${COLLECTOR_IP} ${web1.ip} eth0 i80 udp=1701\n`);
  await writeFile(web3.config, `${COLLECTOR_IP} ${web3.ip} eth0 i80 udp=1702\n`);
  for (const web of [web1, web3]) mustSucceed(await d.transmit(web, 'start'), `transmit start on ${web.name}`);
  assert.match(mustSucceed(await d.transmit(web3, 'status'), 'transmit status').stdout, /L2TPv3 over UDP \(port 1702\)/);

  let log = '';
  const monitor = spawnStream(d.collector.argv(process.execPath, join(BIN, 'ux-tunnel-receive'), '--config', d.tunnelsConf, 'monitor'), env);
  monitor.stderr!.on('data', (b: Buffer) => (log += b.toString()));
  t.after(() => monitor.kill('SIGKILL'));
  const keepalives = [web1, web3].map((web) => d.startKeepalive(web, INTERVAL));
  t.after(() => keepalives.forEach((k) => k.kill('SIGKILL')));

  // Warm-up: keepalives through both tunnels first (the first frames of a new path wait for ARP, and the kernel
  // queues only a few per neighbour), then the loss accounting is compared from there.
  const status = async () => JSON.parse((await receive('status', '--json')).stdout) as Status;
  const health = (s: Status, web: Web) => s.tunnels.find((r) => r.tunnelId === web.tunnelId)?.health ?? null;
  const waitFor = async (what: string, ok: (s: Status) => boolean) => {
    let s = await status();
    for (let i = 0; i < 60 && !ok(s); i++) s = (await sleep(1000), await status());
    assert.ok(ok(s), `${what}: ${JSON.stringify(s)}`);
    return s;
  };
  const first = await waitFor('keepalives through both tunnels', (s) => [web1, web3].every((w) => (health(s, w)?.keepalives ?? 0) >= 2));

  // Traffic to both, pages and a 200 KB download each; the collector's wire carries UDP and no protocol 115.
  const wire = await startCapture(d.collector, 'eth0', join(dir, 'underlay.pcap'), ['ip proto 115 or udp port 1701 or udp port 1702'], 128);
  const mtun = await startCapture(d.collector, 'ruei-mtun', join(dir, 'mtun.pcap'), ['tcp port 80'], 2048);
  const client = await startCapture(d.clients[0]!, 'eth0', join(dir, 'client.pcap'), ['tcp port 80']);
  for (const web of [web1, web3]) await fetchKeepAlive(d.clients[0]!, web, dir, ['/index.html', '/medium.bin', '/index.html']);
  await sleep(1000);
  const onClient = await client.stop();
  const mirrored = await mtun.stop();
  const underlay = await wire.stop();
  for (const c of [onClient, mirrored, underlay]) assert.equal(c.droppedByKernel, 0, 'the captures dropped nothing (else the comparison means nothing)');
  const protocolOf = (p: { data: Buffer }) => p.data[14 + 9];
  assert.equal(underlay.packets.filter((p) => protocolOf(p) === 115).length, 0, 'no IP protocol 115 packet on the collector\'s wire');
  const udpFrom = (source: number[]) => underlay.packets.filter((p) => protocolOf(p) === 17 && p.data.subarray(14 + 12, 14 + 16).equals(Buffer.from(source))).length;
  assert.ok(udpFrom([10, 1, 0, 11]) > 100 && udpFrom([10, 1, 0, 1]) > 100, `UDP from web1 (${udpFrom([10, 1, 0, 11])}) and from the NAT address (${udpFrom([10, 1, 0, 1])})`);
  const compared = compareStreams([onClient.packets], mirrored.packets, 80, [web1.ip, web3.ip]);
  assert.ok(compared.halves >= 4 && compared.clientBytes > 400_000, `both web servers carried ${compared.clientBytes} bytes in ${compared.halves} halves`);
  assert.deepEqual(compared.problems, [], 'every byte of both web servers\' connections is on ruei-mtun, identical and in order');

  // Keepalives arrive through UDP: the monitor accounts both tunnels, web3's from its NAT address, nothing lost.
  const after = await waitFor('an interval after the traffic', (s) => [web1, web3].every((w) => health(s, w)!.keepalives >= health(first, w)!.keepalives + 2));
  for (const web of [web1, web3]) {
    const [a, b] = [health(first, web)!, health(after, web)!];
    assert.ok(b.sentFrames - a.sentFrames > 50, `${web.name}: the traffic's frames are accounted (${a.sentFrames} -> ${b.sentFrames})`);
    assert.equal(b.lostFrames - a.lostFrames, 0, `${web.name}: no frame lost (${JSON.stringify(b)})`);
  }
  assert.equal(health(after, web3)!.source, web3.seenAs);
  assert.equal(after.status, 'OK', JSON.stringify(after));
  assert.doesNotMatch(log, /unknown|malformed/i);

  // Detect lists both tunnels over UDP, and agrees with tunnels.conf.
  const detect = await receive('diag', 'monitor', 'detect', '--time', String(INTERVAL * 3));
  assert.equal(detect.code, 0, detect.stdout + detect.stderr);
  assert.match(detect.stdout, /^\[info\] L2TP\/UDP:1701\s+10\.1\.0\.10\s+10\.1\.0\.11\s+10\.1\.0\.11\(167837707\)\s+no$/m);
  assert.match(detect.stdout, /^\[info\] L2TP\/UDP:1702\s+10\.1\.0\.10\s+10\.1\.0\.1\s+10\.2\.0\.13\(167903245\)\s+yes$/m);

  // A spoofer sends web1's session ID over UDP to web1's port: nothing lands, every packet is counted as refused.
  const id = String(web1.tunnelId);
  await web2.ns.run('ping', '-c', '1', '-W', '2', COLLECTOR_IP); // the collector's MAC known first: none of the 50 waits for ARP
  await web2.ns.run('ip', 'l2tp', 'add', 'tunnel', 'tunnel_id', id, 'peer_tunnel_id', id, 'encap', 'udp', 'local', web2.ip, 'remote', COLLECTOR_IP, 'udp_sport', '1701', 'udp_dport', '1701');
  await web2.ns.run('ip', 'l2tp', 'add', 'session', 'name', 'spoof', 'tunnel_id', id, 'session_id', id, 'peer_session_id', id);
  await web2.ns.ip('link set dev spoof addrgenmode none', 'link set dev spoof up', 'addr add 198.51.100.2/24 dev spoof', 'neigh add 198.51.100.99 lladdr 02:00:00:00:00:99 dev spoof nud permanent');
  const spoofCapture = await startCapture(d.collector, 'ruei-mtun', join(dir, 'spoof.pcap'), ['icmp']);
  await web2.ns.probe('ping', '-c', '50', '-i', '0.02', '-p', 'baadf00d', '-W', '1', '-q', '198.51.100.99');
  await sleep(500);
  const landed = (await spoofCapture.stop()).packets.filter((p) => p.data.includes(Buffer.from('baadf00dbaadf00d', 'hex'))).length;
  const txPackets = (JSON.parse((await web2.ns.run('ip', '-j', '-s', 'link', 'show', 'dev', 'spoof')).stdout) as Array<{ stats64: { tx: { packets: number } } }>)[0]!.stats64.tx.packets;
  await web2.ns.run('ip', 'l2tp', 'del', 'tunnel', 'tunnel_id', id);
  assert.equal(landed, 0, 'none of the spoofer\'s frames reached ruei-mtun');
  assert.ok(txPackets >= 50, `the spoofer sent ${txPackets} frames`);
  assert.deepEqual((await status()).sourcePinning, { on: true, refused: [{ source: web2.ip, packets: txPackets }] }, 'each spoofed packet counted as refused, nothing else');

  // Stop on both sides leaves the collector's links as they were.
  for (const web of [web1, web3]) mustSucceed(await d.transmit(web, 'stop'), `transmit stop on ${web.name}`);
  mustSucceed(await receive('stop'), 'receive stop');
  assert.equal((await d.collector.run('ip', '-o', 'link', 'show')).stdout.replace(/^\d+: /gm, ''), before);
  assert.equal((await d.collector.run('ip', 'l2tp', 'show', 'tunnel')).stdout, '');
});
