// The lab's own proof: an unmanaged L2TPv3 tunnel over IP between two namespaces carries Ethernet frames unchanged.
//
//   ns left                                        ns right
//   +-------------------------+                   +-------------------------+
//   | l2tpeth-l 198.51.100.1  |  session 300/400  | l2tpeth-r 198.51.100.2  |
//   |   tunnel 100 <-> 200    |                   |   tunnel 200 <-> 100    |
//   | veth-l 192.0.2.1/24 ----+---- encap ip -----+---- veth-r 192.0.2.2/24 |
//   +-------------------------+  (IP proto 115)   +-------------------------+
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { connect, createNetns, requireL2tp } from './lib/netns.js';
import { startCapture } from './lib/capture.js';
import { exec } from '../../src/kernel/exec.js';
import { scratchDir } from './lib/scratch.js';

const ICMP_PATTERN = 'c0ffee0123456789abcdef';

test('an Ethernet frame crosses an L2TPv3 encap ip tunnel byte for byte, and nothing is left behind', async (t) => {
  await requireL2tp();
  const dir = await scratchDir(t, 'uxt-lab-');
  const left = await createNetns(t, 'left');
  const right = await createNetns(t, 'right');
  await connect(left, 'veth-l', '192.0.2.1/24', right, 'veth-r', '192.0.2.2/24');

  for (const [ns, local, remote, tid, ptid, sid, psid, dev, addr] of [
    [left, '192.0.2.1', '192.0.2.2', '100', '200', '300', '400', 'l2tpeth-l', '198.51.100.1/24'],
    [right, '192.0.2.2', '192.0.2.1', '200', '100', '400', '300', 'l2tpeth-r', '198.51.100.2/24'],
  ] as const) {
    await ns.ip(
      `l2tp add tunnel tunnel_id ${tid} peer_tunnel_id ${ptid} encap ip local ${local} remote ${remote}`,
      `l2tp add session name ${dev} tunnel_id ${tid} session_id ${sid} peer_session_id ${psid}`,
      `addr add ${addr} dev ${dev}`,
      `link set ${dev} up`,
    );
  }

  const before = await right.linkStats('l2tpeth-r');
  const sent = await startCapture(left, 'l2tpeth-l', join(dir, 'left.pcap'), ['icmp']);
  const received = await startCapture(right, 'l2tpeth-r', join(dir, 'right.pcap'), ['icmp']);
  const underlay = await startCapture(right, 'veth-r', join(dir, 'underlay.pcap'), ['ip', 'proto', '115']);
  await left.run('ping', '-c', '3', '-i', '0.2', '-W', '5', '-p', ICMP_PATTERN, '198.51.100.2');
  const sentFrames = (await sent.stop()).packets;
  const receivedFrames = (await received.stop()).packets;
  const underlayPackets = (await underlay.stop()).packets;
  const after = await right.linkStats('l2tpeth-r');

  const requests = sentFrames.filter((p) => p.data[34] === 8); // ICMP type 8 (echo request) after 14+20 bytes
  assert.equal(requests.length, 3, 'three echo requests left the left session interface');
  assert.ok(after.rxPackets - before.rxPackets >= 3, `right session counted ${after.rxPackets - before.rxPackets} received frames`);
  for (const request of requests) {
    assert.ok(request.data.toString('hex').includes(ICMP_PATTERN), 'the ping payload pattern is in the frame');
    const twin = receivedFrames.find((p) => p.data.equals(request.data));
    assert.ok(twin, `the frame ${request.data.subarray(0, 42).toString('hex')}... arrived byte-identical on the right`);
  }
  // The underlay carried the frames as IP protocol 115 (L2TPv3 over IP), not UDP.
  assert.ok(underlayPackets.length >= 6, `${underlayPackets.length} IP protocol 115 packets crossed the underlay`);
  assert.ok(underlayPackets.every((p) => p.data[23] === 115), 'every underlay packet is IP protocol 115');

  // Removing the tunnels removes their sessions and interfaces: nothing of L2TP stays in either namespace.
  for (const [ns, tid] of [[left, '100'], [right, '200']] as const) {
    await ns.ip(`l2tp del tunnel tunnel_id ${tid}`);
    const tunnels = await ns.run('ip', 'l2tp', 'show', 'tunnel');
    assert.equal(tunnels.stdout.trim(), '', `no tunnel left in ${ns.name}`);
    const links = await ns.run('ip', '-j', 'link', 'show');
    const names = (JSON.parse(links.stdout) as Array<{ ifname: string }>).map((l) => l.ifname);
    assert.ok(!names.some((n) => n.startsWith('l2tpeth')), `no session interface left in ${ns.name}: ${names.join(' ')}`);
  }
});

test('the namespaces of the test above are gone', async () => {
  const list = await exec(['ip', 'netns', 'list']);
  assert.equal(list.code, 0);
  const leftovers = list.stdout.split('\n').filter((line) => line.startsWith(`uxt-${process.pid}-`));
  assert.deepEqual(leftovers, [], 'every namespace the tests created was removed');
});
