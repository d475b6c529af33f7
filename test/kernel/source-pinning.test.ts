// Source pinning: only the senders of tunnels.conf can put frames into ruei-mtun. A spoofer on the collector's network
// runs its own L2TPv3 tunnel with the configured sender's session ID (the kernel matches a session by ID alone).
//
//   ns sender1 10.10.10.11  ==L2TPv3 session 10.10.10.11==>  ns collector 10.10.10.10: ux-tunnel-receive,
//   ns sender2 10.10.10.12  ==L2TPv3 session 10.10.10.11==>    ruei-mtun-00000 --> ruei-mtun
//   (the spoofer: not in tunnels.conf, same session ID)        nftables table ux_tunnel_pin (prerouting -450)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { requireL2tp } from './lib/netns.js';
import { scratchDir } from './lib/scratch.js';
import { startCapture } from './lib/capture.js';
import { configLine, createCollectorLab, kernelSnapshot, sendPings, writeLines } from './lib/receive-lab.js';
import type { PcapPacket } from '../../src/diag/pcap-file.js';

const COUNT = 150;
const LEGIT = 'c0ffee01';
const SPOOF = 'baadf00d';
const carries = (p: PcapPacket, pattern: string) => p.data.includes(Buffer.from(pattern.repeat(4), 'hex'));

test('a spoofer sending a configured session ID: none of its frames on ruei-mtun, every packet counted as refused, the real sender intact', async (t) => {
  await requireL2tp();
  const dir = await scratchDir(t, 'uxt-pin-');
  const lab = await createCollectorLab(t, dir, 1);
  const [sender] = lab.senders as [typeof lab.senders[0]];
  const spoofer = await lab.addSender(2, sender.tunnelId);
  const before = await kernelSnapshot(lab.collector);
  await writeLines(lab.config, [configLine(sender)]);
  t.after(() => lab.cli('stop'));
  const started = await lab.cliOk('start', '--dry-run');
  assert.match(started.stdout, /^\[#\] nft add rule ip ux_tunnel_pin pin ip protocol 115 ip saddr \. ip daddr @open accept$/m);
  assert.match(started.stdout, /^\[#\] nft add rule ip ux_tunnel_pin pin ip protocol 115 iifname '!=' ruei-wg0 ip daddr @receivers ip saddr \. ip daddr '!=' @senders update @refused '\{ ip saddr counter \}' drop$/m);
  await lab.cliOk('start');

  // Both send at once; the spoofer's tunnel and the sender's carry the same session ID.
  const mirrored = await startCapture(lab.collector, 'ruei-mtun', join(dir, 'mtun.pcap'), ['icmp']);
  const sent = await startCapture(sender.ns, 'l2tx', join(dir, 'legit.pcap'), ['icmp']);
  const spoofSent = await spoofer.ns.probe('ip', '-j', '-s', 'link', 'show', 'dev', 'l2tx');
  await Promise.all([sendPings(sender, COUNT, 56, LEGIT, '0.02'), sendPings(spoofer, COUNT, 56, SPOOF, '0.02')]);
  const frames = (await mirrored.stop()).packets;
  const legit = (await sent.stop()).packets;
  const txOf = (json: string) => (JSON.parse(json) as Array<{ stats64: { tx: { packets: number } } }>)[0]!.stats64.tx.packets;
  const spoofed = txOf((await spoofer.ns.run('ip', '-j', '-s', 'link', 'show', 'dev', 'l2tx')).stdout) - txOf(spoofSent.stdout);

  assert.ok(spoofed >= COUNT, `the spoofer sent ${spoofed} frames into its tunnel`);
  assert.equal(frames.filter((p) => carries(p, SPOOF)).length, 0, 'none of the spoofer\'s frames reached ruei-mtun');
  assert.equal(legit.length, COUNT);
  for (const frame of legit) assert.equal(frames.filter((p) => p.data.equals(frame.data)).length, 1, 'each of the sender\'s frames arrived once, byte-identical');
  const status = JSON.parse((await lab.cli('status', '--json')).stdout) as { sourcePinning: { on: boolean; refused: Array<{ source: string; packets: number }> } };
  assert.deepEqual(status.sourcePinning, { on: true, refused: [{ source: spoofer.ip, packets: spoofed }] }, 'every spoofed packet counted as refused, nothing else');
  const text = (await lab.cli('status')).stdout;
  assert.match(text, new RegExp(`^\\[warn\\] refused: ${spoofer.ip.replaceAll('.', '\\.')}, ${spoofed} packets: not in tunnels\\.conf`, 'm'));

  // config add and remove update the allowed senders, and the fast path's (open: not encrypted), in place (the rules
  // and the counts stay).
  await lab.cliOk('config', 'add', '10.10.10.10', '10.10.10.77');
  const set = async (name: string) => (await lab.collector.run('nft', 'list', 'set', 'ip', 'ux_tunnel_pin', name)).stdout;
  for (const name of ['senders', 'open']) assert.match(await set(name), /10\.10\.10\.77 \. 10\.10\.10\.10/, `${name} has the added sender`);
  await lab.cliOk('config', 'remove', '10.10.10.77');
  for (const name of ['senders', 'open']) {
    assert.doesNotMatch(await set(name), /10\.10\.10\.77/, `${name} no longer has the removed sender`);
    assert.match(await set(name), /10\.10\.10\.11 \. 10\.10\.10\.10/);
  }

  // The check can fail: with pinning off, the same spoofer does put frames into ruei-mtun.
  await lab.cliOk('reload', '--source-pinning', 'off');
  const open = await startCapture(lab.collector, 'ruei-mtun', join(dir, 'open.pcap'), ['icmp']);
  await sendPings(spoofer, 20, 56, SPOOF, '0.02');
  assert.equal((await open.stop()).packets.filter((p) => carries(p, SPOOF)).length, 20, 'unpinned, the spoofer\'s frames land on ruei-mtun');
  assert.match((await lab.cli('status')).stdout, /^\[info\] source pinning: off/m);

  // stop removes the table with the rest: the collector as before start.
  await lab.cliOk('reload');
  await lab.cliOk('stop');
  assert.equal(await kernelSnapshot(lab.collector), before);
});
