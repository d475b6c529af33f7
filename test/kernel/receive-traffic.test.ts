// ux-tunnel-receive start/status/stop with three senders: every frame arrives byte-identical on its ruei-mtun-0000N
// and exactly once on ruei-mtun (1514- and 9000-byte frames included); start twice is harmless; stop leaves nothing.
//
//   sender1 tx ==L2TPv3 (ID 10.10.10.11)==+                          collector (ux-tunnel-receive)
//   sender2 tx ==L2TPv3 (ID 7, explicit)==+==> 10.10.10.10 --> ruei-mtun-00000 --+
//   sender3 tx ==L2TPv3 (ID 10.10.10.13)==+    (c1,c2,c3)      ruei-mtun-00001 --+--tc mirred (block)--> ruei-mtun
//                                                              ruei-mtun-00002 --+
//   (details: lib/receive-lab.ts; underlay MTU 1500, so 9000-byte frames cross as fragmented outer packets)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { requireL2tp } from './lib/netns.js';
import { startCapture } from './lib/capture.js';
import { configLine, createCollectorLab, kernelSnapshot, sendPings, writeLines } from './lib/receive-lab.js';
import type { PcapPacket } from '../../src/diag/pcap-file.js';
import { scratchDir } from './lib/scratch.js';

const SIZES = [56, 1472, 8958]; // ICMP payloads: frames of 98, 1514 and 9000 bytes
const PER_SIZE = 2;

interface Link { ifindex: number; ifname: string; flags: string[]; mtu: number }

test('three senders: frames arrive byte-identical on their ruei-mtun-0000N and once on ruei-mtun; start twice; stop leaves nothing', async (t) => {
  await requireL2tp();
  const dir = await scratchDir(t, 'uxt-rx-');
  const lab = await createCollectorLab(t, dir, 0);
  await lab.addSender(1);
  await lab.addSender(2, 7); // configured with an explicit ID, as behind NAT
  await lab.addSender(3);
  const { collector, senders } = lab;
  const pristine = await kernelSnapshot(collector);
  await writeLines(lab.config, [configLine(senders[0]!), configLine(senders[1]!, true), configLine(senders[2]!)]);

  const start = await lab.cliOk('start');
  assert.match(start.stdout, /3 added \(ruei-mtun-00000, ruei-mtun-00001, ruei-mtun-00002\)/);
  // A new namespace has the kernel's reassembly defaults, which are right: start says nothing about them.
  assert.doesNotMatch(start.stderr, /ipfrag/);
  assert.equal((await collector.run('sysctl', '-n', 'net.ipv4.ipfrag_max_dist')).stdout.trim(), '64');
  const links = JSON.parse((await collector.run('ip', '-j', 'link', 'show')).stdout) as Link[];
  for (const name of ['ruei-mtun', 'ruei-mtun-00000', 'ruei-mtun-00001', 'ruei-mtun-00002']) {
    const link = links.find((l) => l.ifname === name);
    assert.ok(link, `${name} exists`);
    assert.equal(link.mtu, 64000, `${name} mtu`);
    for (const flag of ['PROMISC', 'UP', 'LOWER_UP']) assert.ok(link.flags.includes(flag), `${name} is ${flag}: ${link.flags.join(',')}`);
  }
  assert.ok(links.find((l) => l.ifname === 'ruei-mtun')!.flags.includes('NOARP'), 'ruei-mtun is a dummy (NOARP) like the vendor output');

  const aggregated = await startCapture(collector, 'ruei-mtun', join(dir, 'agg.pcap'));
  const perTunnel = await Promise.all([0, 1, 2].map((i) => startCapture(collector, `ruei-mtun-0000${i}`, join(dir, `s${i}.pcap`))));
  const sent = await Promise.all(senders.map((s, i) => startCapture(s.ns, 'l2tx', join(dir, `tx${i}.pcap`), ['icmp'])));
  for (const [i, sender] of senders.entries()) {
    for (const size of SIZES) await sendPings(sender, PER_SIZE, size, `c0ffee0${i + 1}`);
  }
  const aggFrames = (await aggregated.stop()).packets;
  const tunnelFrames = await Promise.all(perTunnel.map(async (c) => (await c.stop()).packets));
  const sentFrames = await Promise.all(sent.map(async (c) => (await c.stop()).packets));

  const hex = (p: PcapPacket) => p.data.toString('hex');
  const aggCount = new Map<string, number>();
  for (const p of aggFrames) aggCount.set(hex(p), (aggCount.get(hex(p)) ?? 0) + 1);
  let total = 0;
  for (const [i, frames] of sentFrames.entries()) {
    assert.equal(frames.length, SIZES.length * PER_SIZE, `sender${i + 1} sent ${frames.length} frames`);
    assert.deepEqual([...new Set(frames.map((f) => f.data.length))].sort((a, b) => a - b), [98, 1514, 9000]);
    for (const frame of frames) {
      assert.equal(frame.data.length, frame.originalLength, 'the capture kept the whole frame');
      assert.equal(tunnelFrames[i]!.filter((p) => p.data.equals(frame.data)).length, 1, `a ${frame.data.length}-byte frame of sender${i + 1} arrived once, byte-identical, on ruei-mtun-0000${i}`);
      assert.equal(aggCount.get(hex(frame)), 1, `a ${frame.data.length}-byte frame of sender${i + 1} arrived once, byte-identical, on ruei-mtun`);
      total++;
    }
    assert.equal(tunnelFrames[i]!.length, frames.length, `ruei-mtun-0000${i} saw only sender${i + 1}'s frames`);
  }
  assert.equal(aggFrames.length, total, 'ruei-mtun carries exactly the frames sent, nothing of the collector\'s own (no NDP/MLD)');

  const status = JSON.parse((await lab.cliOk('status', '--json')).stdout) as { configured: number; present: number; tunnels: Array<{ interface: string; rx: { packets: number } }> };
  assert.equal(status.configured, 3);
  assert.equal(status.present, 3);
  assert.ok(status.tunnels.every((r) => r.rx.packets >= SIZES.length * PER_SIZE), JSON.stringify(status.tunnels));
  const check = await lab.cli('diag', 'tunnels', 'check');
  assert.equal(check.code, 0, check.stdout + check.stderr);
  assert.match(check.stdout, /^\[info\] Interface\s+Local IP\s+Remote IP\s+Rx: packets\s+Rx: errors\s+Tunnel status\n/);
  assert.equal((check.stdout.match(/ OK\n/g) ?? []).length, 3);

  // start twice in a row is harmless: no command, same interfaces. With the reassembly check switched off (max_dist 0,
  // which this project's README once recommended) it says why that is unsafe and how to restore the default.
  const before = await kernelSnapshot(collector);
  await collector.run('sysctl', '-qw', 'net.ipv4.ipfrag_max_dist=0');
  const again = await lab.cliOk('start');
  assert.match(again.stdout, /3 unchanged; 0 command\(s\) run/);
  assert.match(again.stderr, /warning: net\.ipv4\.ipfrag_max_dist is 0: .*corrupted frame.*\n.*sysctl -w net\.ipv4\.ipfrag_max_dist=64/);
  const risky = await lab.cli('status');
  assert.match(risky.stdout, /^\[warn\] net\.ipv4\.ipfrag_max_dist is 0: /m, 'status says so too, as long as it lasts');
  assert.match(risky.stdout, /^\[info\] Status: WARN$/m, 'and does not call the tunnels healthy');
  assert.equal(risky.code, 1);
  assert.equal(await kernelSnapshot(collector), before);

  // stop leaves nothing: no interface, tunnel, session, qdisc or filter; the namespace is as before start.
  await lab.cliOk('stop');
  assert.equal(await kernelSnapshot(collector), pristine);
  assert.equal((await collector.run('ip', '-j', 'l2tp', 'show', 'tunnel')).stdout.trim(), '[]');
  assert.equal((await collector.run('ip', '-j', 'l2tp', 'show', 'session')).stdout.trim(), '[]');
  assert.equal((await collector.probe('tc', 'filter', 'show', 'block', '1381320009')).code !== 0, true, 'the shared block is gone');
  assert.doesNotMatch((await collector.run('ip', 'link', 'show')).stdout, /ruei-mtun/);
  const stopAgain = await lab.cliOk('stop');
  assert.match(stopAgain.stdout, /nothing to remove/);
  // diag tunnels check reports a stopped collector as FAIL with a non-zero exit.
  const stopped = await lab.cli('diag', 'tunnels', 'check');
  assert.equal(stopped.code, 1);
  assert.match(stopped.stdout, /configured but not in the kernel/);
});
