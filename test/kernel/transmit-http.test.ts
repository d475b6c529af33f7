// ux-tunnel-transmit with i80 and real HTTP (nginx, curl): every port-80 byte of both directions reaches the collector
// byte-identical, port 8080 does not; IP options and fragments are mirrored; a dead collector or a deleted tunnel never
// hurts HTTP; stop leaves links, addresses, qdiscs and filters of the web namespace exactly as before start.
//
//   client eth0 --- lan br0 --- web eth0 (nginx :80 :8080; tc mirred -> ruei-veth1in ... ruei-tun1) ==L2TPv3==> collector l2rx
//   (details: lib/transmit-lab.ts)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { spawnStream } from '../../src/kernel/exec.js';
import { requireL2tp } from './lib/netns.js';
import { startCapture } from './lib/capture.js';
import { CLIENT_IP, createTransmitLab, WEB_IP, WEB_IP6 } from './lib/transmit-lab.js';
import { parseTcp, tcpStreams } from './lib/tcp-streams.js';
import { scratchDir } from './lib/scratch.js';

const TRANSMIT_CLI = resolve(import.meta.dirname, '..', '..', '..', 'bin', 'ux-tunnel-transmit');
const CRAFT = resolve(import.meta.dirname, '..', '..', '..', 'test', 'kernel', 'lib', 'craft-tcp.py');

test('i80: every port-80 connection reaches the collector byte-identical in both directions, port 8080 does not; stop restores everything', async (t) => {
  await requireL2tp();
  const dir = await scratchDir(t, 'uxt-tx-');
  const lab = await createTransmitLab(t, dir);
  const { client, web, collector } = lab;
  await lab.writeConfig('i80');
  await lab.collectorTunnel();
  await lab.curl(`http://${WEB_IP}/small.txt`); // neighbours resolved before anything is measured
  const pristine = await lab.webSnapshot();

  // --dry-run prints the exact commands and changes nothing.
  const dry = await lab.cliOk('start', '--dry-run');
  assert.match(dry.stdout, /^\[#\] ip link add ruei-veth1in type veth peer name ruei-veth1out$/m);
  assert.match(dry.stdout, /^\[#\] tc filter add dev eth0 ingress pref 46101 protocol ip handle 1 flower ip_proto tcp dst_port 80 action mirred egress mirror dev ruei-veth1in continue$/m);
  assert.equal(await lab.webSnapshot(), pristine, 'a dry run changed nothing');

  const start = await lab.cliOk('start');
  assert.match(start.stdout, /start: ruei-tun1 10\.0\.0\.2 -> 10\.0\.0\.3, tunnel ID 10\.0\.0\.2\(167772162\), mirroring i80 on eth0/);
  const again = await lab.cliOk('start');
  assert.match(again.stdout, /; 0 command\(s\) run/, `a second start changes nothing: ${again.stdout}${again.stderr}`);
  // Started by hand (no systemd in the lab, no keepalive sender): start says exactly how to get the keepalive; once a
  // sender runs, it says nothing about it.
  assert.match(start.stdout, /^\[warn\] no keepalive is being sent.*No systemd here: run ux-tunnel-transmit keepalive --interval 20/m);
  const sender = spawnStream(web.argv(process.execPath, TRANSMIT_CLI, '--config', lab.config, 'keepalive', '--interval', '1'), { ...process.env, UX_TUNNEL_RUN_DIR: join(lab.dir, 'run') });
  try {
    for (let i = 0; i < 300 && !existsSync(join(lab.dir, 'run', 'transmit-keepalive.json')); i++) await new Promise((r) => setTimeout(r, 100));
    assert.doesNotMatch((await lab.cliOk('start')).stdout, /no keepalive/, 'with a keepalive sender running, start does not ask for one');
  } finally {
    sender.kill();
  }
  const links = JSON.parse((await web.run('ip', '-j', '-d', 'link', 'show')).stdout) as Array<{ ifname: string; mtu: number; flags: string[]; master?: string; inet6_addr_gen_mode?: string }>;
  for (const name of ['ruei-veth1in', 'ruei-veth1out', 'ruei-br1', 'ruei-tun1']) {
    const link = links.find((l) => l.ifname === name);
    assert.ok(link, `${name} exists`);
    assert.equal(link.mtu, 64000, `${name} mtu`);
    for (const flag of ['UP', 'PROMISC']) assert.ok(link.flags.includes(flag), `${name} is ${flag}`);
    assert.equal(link.inet6_addr_gen_mode, 'none', `${name} has no IPv6 link-local address`);
  }
  assert.equal(links.find((l) => l.ifname === 'ruei-veth1out')!.master, 'ruei-br1');
  assert.equal(links.find((l) => l.ifname === 'ruei-tun1')!.master, 'ruei-br1');

  const l2rxBefore = await collector.linkStats('l2rx');
  const atClient = await startCapture(client, 'eth0', join(dir, 'client.pcap'), ['tcp']);
  // Copies of a 1500-byte NIC's frames: a small snap length gives tcpdump's ring room (a longer frame shows truncated).
  const atCollector = await startCapture(collector, 'l2rx', join(dir, 'collector.pcap'), [], 2048);
  const bigBody = await lab.curl(`http://${WEB_IP}/big.bin`);
  assert.ok(bigBody.equals(lab.big), 'curl got the big file intact');
  await lab.curl(`http://${WEB_IP}/small.txt`);
  await lab.curl(`http://[${WEB_IP6}]/small.txt`);
  const upload = Buffer.alloc(300_000, 'u');
  await client.run('sh', '-c', `head -c 300000 /dev/zero | tr '\\0' u > ${join(dir, 'upload.bin')}`);
  assert.equal((await lab.curl(`http://${WEB_IP}/upload`, '--data-binary', `@${join(dir, 'upload.bin')}`)).toString(), 'uploaded\n');
  const notMirrored = await lab.curl(`http://${WEB_IP}:8080/big.bin`);
  assert.ok(notMirrored.equals(lab.big));
  await client.run('python3', CRAFT, CLIENT_IP, WEB_IP);
  await new Promise((r) => setTimeout(r, 500));
  const clientCapture = await atClient.stop();
  const collectorCapture = await atCollector.stop();
  const clientFrames = clientCapture.packets;
  const collectorFrames = collectorCapture.packets;
  // The kernel's own count: every frame the session received is in the capture (else the capture, not the mirror, lost it).
  const l2rxReceived = (await collector.linkStats('l2rx')).rxPackets - l2rxBefore.rxPackets;
  assert.deepEqual([clientCapture.droppedByKernel, collectorCapture.droppedByKernel], [0, 0], 'tcpdump kept up with both captures');
  const tun1 = await web.linkStats('ruei-tun1');
  const reasm = (await collector.run('nstat', '-az', 'IpReasmFails')).stdout;
  assert.match(reasm, /IpReasmFails\s+0\s/, `the collector reassembled every outer packet (${tun1.txPackets} sent by ruei-tun1, ${l2rxReceived} received)`);
  assert.equal(collectorFrames.length, l2rxReceived, 'the capture holds every frame the collector\'s session interface received');

  if (process.env.UXT_DEBUG) {
    for (const [ns, cmd] of [[web, 'ip -s link'], [web, 'cat /proc/net/softnet_stat'], [collector, 'ip -s link'], [collector, 'nstat -az IpReasmFails IpReasmReqds IpReasmOKs'], [collector, 'cat /proc/net/softnet_stat'], [web, 'tc -s qdisc show'], [lab.lan, 'ip -s link']] as const) {
      console.log(`== ${ns.name}: ${cmd}\n${(await ns.probe('sh', '-c', cmd)).stdout}`);
    }
  }
  const sent = tcpStreams(clientFrames);
  const got = tcpStreams(collectorFrames);
  const http = [...sent.values()].filter((h) => /:80>|:80$/.test(h.key) && h.syn && !/:4000[1-3]/.test(h.key)); // 4000x: hand-made
  assert.equal(http.length, 2 * 4, `four port-80 connections, two halves each: ${[...sent.keys()].join(' ')}`);
  let bytes = 0;
  for (const half of http) {
    const twin = got.get(half.key);
    assert.ok(twin, `${half.key} reached the collector`);
    assert.equal(half.gaps, 0, `${half.key} complete at the client`);
    assert.equal(twin.gaps, 0, `${half.key}: no segment missing at the collector`);
    assert.deepEqual([twin.syn, twin.fin, twin.segments >= 1], [half.syn, half.fin, true], `${half.key}: SYN and FIN (as sent) reached the collector; client ${JSON.stringify({ ...half, data: half.data.length })} collector ${JSON.stringify({ ...twin, data: twin.data.length })}`);
    assert.equal(twin.data.length, half.data.length, `${half.key}: ${twin.data.length} of ${half.data.length} bytes`);
    assert.ok(twin.data.equals(half.data), `${half.key}: byte-identical`);
    bytes += twin.data.length;
  }
  assert.ok(bytes > lab.big.length, `${bytes} payload bytes compared`);
  const response = [...got.values()].find((h) => h.key.startsWith(`${WEB_IP}:80>`) && h.data.length > lab.big.length)!;
  assert.ok(response.data.subarray(response.data.length - lab.big.length).equals(lab.big), 'the collector holds the several-MB body byte for byte');
  const request = [...got.values()].find((h) => h.key.endsWith(`>${WEB_IP}:80`) && h.data.includes('POST /upload'));
  assert.ok(request?.data.includes(upload), 'the collector holds the uploaded body');
  assert.ok([...sent.keys()].some((k) => k.endsWith(':8080')), 'the client did talk to port 8080');
  assert.ok(![...got.keys()].some((k) => /:8080(>|$)/.test(k)), 'no frame of port 8080 was mirrored');

  // Hand-made packets: IP options (IHL 6) are mirrored, so are both fragments of a TCP segment; port 8081 is not.
  const raw = collectorFrames.map((p) => p.data);
  const withOptions = raw.map(parseTcp).find((p) => p?.payload.includes('UXT-IPOPT-MARK'));
  assert.equal(withOptions?.ipHeaderLength, 24, 'the SYN with IP options (IHL 6) to port 80 was mirrored');
  assert.ok(raw.some((f) => f.includes('UXT-FRAG-MARK')), 'the second (non-first) fragment of a port-80 segment was mirrored');
  assert.ok(raw.some((f) => f.length > 34 && f.readUInt16BE(18) === 0x2222 && (f.readUInt16BE(20) & 0x2000) !== 0), 'the first fragment was mirrored');
  assert.ok(!raw.some((f) => f.includes('UXT-NOT-MIRRORED')), 'the packet to port 8081 was not mirrored');
  assert.ok(!raw.some((f) => f.length > 23 && f.readUInt16BE(12) === 0x0800 && f[23] === 115), 'no tunnel packet was mirrored into the tunnel');

  // status and diag tunnel check see a healthy tunnel and counting filters.
  const status = JSON.parse((await lab.cliOk('status', '--json')).stdout) as { status: string; filters: Array<{ pref: number; hook: string; packets: number }> };
  assert.equal(status.status, 'OK');
  assert.ok(status.filters.find((f) => f.pref === 46101 && f.hook === 'ingress')!.packets > 100, JSON.stringify(status.filters));
  const check = await lab.cli('diag', 'tunnel', 'check');
  assert.equal(check.code, 0, check.stdout + check.stderr);
  assert.match(check.stdout, /^\[info\] Interface +Local IP +Remote IP +Tx: packets +Tx: errors +Tunnel status\n\[info\] ruei-tun1 +10\.0\.0\.2 +10\.0\.0\.3 +\d+ +0 +OK\n$/);

  // An edit applied live (what systemctl reload runs): i80 -> i80,i8080 only adds filters (flower cannot replace a
  // filter by one with other keys, and port 80's mirror must not pause); back to i80 removes just those.
  await lab.writeConfig('i80,i8080');
  const edit = await lab.cliOk('start');
  assert.doesNotMatch(edit.stderr, /tc filter (del|replace)/, `adding a port deletes or replaces nothing:\n${edit.stderr}`);
  const mirrored8080 = async () => {
    const before = (await collector.linkStats('l2rx')).rxPackets;
    await lab.curl(`http://${WEB_IP}:8080/small.txt`);
    await new Promise((r) => setTimeout(r, 500));
    return (await collector.linkStats('l2rx')).rxPackets - before;
  };
  assert.ok((await mirrored8080()) >= 6, 'port 8080 is mirrored after the edit');
  await lab.writeConfig('i80');
  const back = await lab.cliOk('start');
  assert.match(back.stderr, /\[#\] tc filter del dev eth0 ingress pref 4610\d protocol ip handle 1 flower/);
  assert.equal(await mirrored8080(), 0, 'and no longer after the edit is undone');

  // The collector unreachable (its link down), then the tunnel deleted by hand: HTTP keeps working.
  await collector.ip('link set eth0 down');
  for (let i = 0; i < 3; i++) assert.ok((await lab.curl(`http://${WEB_IP}/big.bin`)).equals(lab.big), 'HTTP works with the collector unreachable');
  await web.ip(`l2tp del tunnel tunnel_id ${167772162}`);
  assert.ok((await lab.curl(`http://${WEB_IP}/big.bin`)).equals(lab.big), 'HTTP works with the tunnel deleted by hand');
  assert.equal((await lab.curl(`http://${WEB_IP}:8080/small.txt`)).toString(), 'hello from the web namespace\n');
  const broken = await lab.cli('diag', 'tunnel', 'check');
  assert.equal(broken.code, 1, 'a deleted tunnel is a FAIL');
  assert.match(broken.stdout, /FAIL\n/);
  assert.match(broken.stdout, /\[error\] the L2TP tunnel or its session ruei-tun1 does not exist/);

  // stop leaves the web namespace as it was before start; a second stop has nothing to do.
  await lab.cliOk('start'); // repairs the deleted tunnel first, so stop has everything to remove
  await lab.cliOk('stop');
  assert.equal(await lab.webSnapshot(), pristine, 'links, addresses, qdiscs and filters are as before start');
  assert.match((await lab.cliOk('stop')).stdout, /nothing to remove/);
});
