// "all" on the NIC the tunnel leaves through: no feedback loop (the tunnel's own packets are never mirrored again),
// HTTP is unaffected, and the keepalive crosses the tunnel as a UXTK datagram the collector can decode.
//
//   client eth0 --- lan br0 --- web eth0 (tc mirred "all" -> ruei-veth1in ... ruei-tun1) ==L2TPv3 via eth0==> collector l2rx
//   (details: lib/transmit-lab.ts)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { requireL2tp } from './lib/netns.js';
import { startCapture } from './lib/capture.js';
import { createTransmitLab, TUNNEL_ID, WEB_IP } from './lib/transmit-lab.js';
import { decodeKeepalive } from '../../src/keepalive/frame.js';
import { scratchDir } from './lib/scratch.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('all: the tunnel carries the traffic once (no loop), HTTP is unaffected, the keepalive arrives', async (t) => {
  await requireL2tp();
  const dir = await scratchDir(t, 'uxt-all-');
  const lab = await createTransmitLab(t, dir);
  const { web, collector } = lab;
  await lab.writeConfig('all');
  await lab.collectorTunnel();
  await lab.curl(`http://${WEB_IP}/small.txt`);
  await lab.cliOk('start');
  const filters = (await web.run('tc', 'filter', 'show', 'dev', 'eth0', 'egress')).stdout;
  assert.match(filters, /pref 46100 flower .*\n(.*\n)*\s+ip_proto 73\n\s+dst_ip 10\.0\.0\.3/, `the loop guard is in place:\n${filters}`);

  // Frames in the tunnel are copies of a 1500-byte NIC's: a small snap length gives tcpdump's ring room for them all.
  const atCollector = await startCapture(collector, 'l2rx', join(dir, 'collector.pcap'), [], 2048);
  const nic0 = await web.linkStats('eth0');
  const tun0 = await web.linkStats('ruei-tun1');
  for (let i = 0; i < 2; i++) assert.ok((await lab.curl(`http://${WEB_IP}/big.bin`)).equals(lab.big), 'HTTP unaffected under "all"');
  assert.ok((await lab.curl(`http://${WEB_IP}:8080/big.bin`)).equals(lab.big));
  const keepalive = await lab.cli('keepalive', '--interval', '0.3', '--count', '3');
  assert.equal(keepalive.code, 0, keepalive.stderr);
  await sleep(1000);
  const nic1 = await web.linkStats('eth0');
  const tun1 = await web.linkStats('ruei-tun1');
  await sleep(2000);
  const tun2 = await web.linkStats('ruei-tun1');
  const captured = await atCollector.stop();

  const nicFrames = nic1.rxPackets - nic0.rxPackets + (nic1.txPackets - nic0.txPackets);
  const tunnelFrames = tun1.txPackets - tun0.txPackets;
  // Every production frame once, plus the keepalives: never more frames than the NIC itself carried (which includes
  // the tunnel's own outer packets); with a loop every outer packet would be mirrored again, without end.
  assert.ok(tunnelFrames > 1000, `the tunnel carried ${tunnelFrames} frames`);
  assert.ok(tunnelFrames < nicFrames, `tunnel ${tunnelFrames} frames < NIC ${nicFrames} frames`);
  assert.ok(tun2.txPackets - tun1.txPackets <= 5, `the tunnel goes quiet when the traffic stops (${tun2.txPackets - tun1.txPackets} frames in 2 s)`);
  assert.equal(captured.droppedByKernel, 0);
  const nested = captured.packets.filter((p) => p.data.length > 23 && p.data.readUInt16BE(12) === 0x0800 && p.data[23] === 115);
  assert.equal(nested.length, 0, 'no tunnel packet travelled inside the tunnel');

  // The keepalive: UDP 169.254.115.1 -> 255.255.255.255:11115, payload "UXTK" v1 + JSON with our tunnel ID.
  const keepalives = captured.packets
    .filter((p) => p.data.readUInt16BE(12) === 0x0800 && p.data[23] === 17 && p.data.readUInt16BE(36) === 11115)
    .map((p) => ({ src: [...p.data.subarray(26, 30)].join('.'), dst: [...p.data.subarray(30, 34)].join('.'), k: decodeKeepalive(p.data.subarray(42)) }));
  assert.equal(keepalives.length, 3, 'three keepalives crossed the tunnel');
  for (const [i, { src, dst, k }] of keepalives.entries()) {
    assert.equal(src, '169.254.115.1');
    assert.equal(dst, '255.255.255.255');
    assert.equal(k?.version, 2);
    assert.equal(k?.tunnelId, TUNNEL_ID);
    assert.equal(k?.seq, i + 1);
  }
  const status = JSON.parse((await lab.cliOk('status', '--json')).stdout) as { keepalive: { seq: number; ageSeconds: number; stale: boolean } };
  assert.equal(status.keepalive.seq, 3);
  assert.ok(status.keepalive.ageSeconds < 60);

  const before = await lab.cliOk('stop');
  assert.match(before.stdout, /removed the mirror/);
  assert.doesNotMatch((await web.run('ip', 'link', 'show')).stdout, /ruei-/);
});
