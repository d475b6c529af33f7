// Every frame, in order, under real web load: nginx (2 workers) answers a mixed load of many small requests, POSTs and
// big downloads; the product runs as a new user leaves it (plain start on both sides, the collector's kernel at its
// defaults). The client's own wire is the reference for the bytes, a capture of the mirrored NIC the reference for
// order, nginx's access log the reference for the requests, and tshark (Wireshark's dissectors) reads ruei-mtun.
//
//   ns client              ns lan            ns web (ux-tunnel-transmit, nginx 2 workers)     ns collector
//   eth0 10.0.0.1 ------- br0 ------------- eth0 10.0.0.2 (mirrored NIC, i80)                  eth0 10.0.0.3
//   ab, curl               |                  tc mirred -> ruei-tun1 (L2TPv3, MTU-1500 underlay) ==> ruei-mtun-00000
//   [capture: the wire]    +----------------------------------------------------------------- -> ruei-mtun
//                                             [capture: mirrored NIC]                          [capture + tshark]
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { requireL2tp } from './lib/netns.js';
import { startCapture } from './lib/capture.js';
import { createTransmitLab, WEB_IP } from './lib/transmit-lab.js';
import { reorderedFrames } from './lib/tcp-streams.js';
import { compareStreams } from './lib/traffic.js';
import { badChecksumFrames, tsharkCounts } from './lib/tshark.js';
import { mixedWebLoad, writeLoadFiles } from './lib/web-load.js';
import { scratchDir } from './lib/scratch.js';
import { dropReport } from './lib/drop-report.js';

const accessLogLines = async (dir: string) => (await readFile(join(dir, 'nginx-access.log'), 'utf8')).split('\n').filter(Boolean).length;

test('mixed web load: ruei-mtun holds every byte of the wire, in the mirrored NIC\'s order, and tshark finds every request and response', async (t) => {
  await requireL2tp();
  const dir = await scratchDir(t, 'uxt-order-');
  const lab = await createTransmitLab(t, dir, { nginxWorkers: 2 });
  const { client, web, collector } = lab;
  await writeLoadFiles(join(dir, 'www'), dir);
  await lab.writeConfig('i80');
  await lab.startBoth();
  // The client's access link is a 50 Mbit/s one (tbf on the switch port towards it): every host of this test shares the
  // lab's two emulated CPUs, and a load that saturates them starves the kernel's receive processing (ksoftirqd) of
  // web server, switch and collector alike; the benchmark measures the unpaced load and where it sheds.
  await lab.lan.run('tc', 'qdisc', 'add', 'dev', 'pc', 'root', 'tbf', 'rate', '50mbit', 'burst', '256kb', 'latency', '100ms');

  const filter = ['tcp', 'port', '80'];
  const wire = await startCapture(client, 'eth0', join(dir, 'wire.pcap'), filter);
  const nic = await startCapture(web, 'eth0', join(dir, 'nic.pcap'), filter);
  // Mirrored frames are copies of a 1500-byte NIC's (at most 1518 bytes): a small snap length gives the ring room.
  const mtun = await startCapture(collector, 'ruei-mtun', join(dir, 'mtun.pcap'), filter, 2048);
  const logged = await accessLogLines(dir);
  const load = await mixedWebLoad(client, WEB_IP, dir);
  await new Promise((r) => setTimeout(r, 1000)); // the last frames cross the tunnel
  const served = (await accessLogLines(dir)) - logged;
  const atWire = await wire.stop();
  const atNic = await nic.stop();
  const atMtun = await mtun.stop();

  assert.deepEqual([atWire.droppedByKernel, atNic.droppedByKernel, atMtun.droppedByKernel], [0, 0, 0], 'no capture dropped packets (else the comparison means nothing)');
  assert.equal(served, load.requests, 'nginx logged every request the clients completed');

  // Every payload byte of every direction of every connection, compared by sequence number (order aside).
  const bytes = compareStreams([atWire.packets], atMtun.packets, 80);
  const reorder = { wire: reorderedFrames(atWire.packets), nic: reorderedFrames(atNic.packets), mtun: reorderedFrames(atMtun.packets) };
  const mtunAnalysis = await tsharkCounts(join(dir, 'mtun.pcap'));
  const nicAnalysis = await tsharkCounts(join(dir, 'nic.pcap'));
  const summary = `${served} requests, ${bytes.connections} connections, ${bytes.clientBytes} payload bytes on the wire; frames out of order: wire ${reorder.wire.total}, ` +
    `mirrored NIC ${reorder.nic.total}, ruei-mtun ${reorder.mtun.total}; tshark on ruei-mtun ${JSON.stringify(mtunAnalysis)}, on the mirrored NIC ${JSON.stringify(nicAnalysis)}`;
  console.log(`[info] ${summary}`);
  const detail = await dropReport(web, collector);
  // UXT_KEEP=DIR keeps the captures and nginx's log for a closer look (under the lab: a --job-dir, which the host sees).
  if (process.env.UXT_KEEP) for (const f of ['wire.pcap', 'nic.pcap', 'mtun.pcap', 'nginx-access.log']) await copyFile(join(dir, f), join(process.env.UXT_KEEP, f));
  assert.deepEqual(bytes.problems.slice(0, 20), [], `every byte of the wire is on ruei-mtun (${bytes.problems.length} half-connections differ)\n${detail}`);
  assert.equal(bytes.collectorBytes, bytes.clientBytes);
  assert.ok(bytes.connections >= 500, `${bytes.connections} connections compared`);

  // Order: no direction has more frames out of sequence on ruei-mtun than the mirrored NIC itself showed.
  const worse = [...reorder.mtun.byHalf].filter(([key, n]) => n > (reorder.nic.byHalf.get(key) ?? 0)).map(([key, n]) => `${key}: ${n} on ruei-mtun, ${reorder.nic.byHalf.get(key) ?? 0} at the NIC`);
  const reasm = (await collector.run('nstat', '-az', 'IpReasmFails')).stdout;
  assert.match(reasm, /IpReasmFails\s+0\s/, 'the collector, at the kernel\'s defaults, reassembled every tunnel packet');
  assert.deepEqual(worse.slice(0, 20), [], `each direction reaches ruei-mtun in the order it crossed the NIC (${worse.length} directions reordered)\n${detail}`);

  // The analyzer's view: exactly nginx's requests and responses, no more lost segments than at the mirrored NIC, no bad
  // checksum. The reference for lost segments is the NIC, not the client: a segment the network drops before the NIC is
  // one no TAP can show (the retransmission follows), and tshark flags its gap at the NIC and on ruei-mtun alike.
  assert.equal(mtunAnalysis.requests, served, `tshark finds every HTTP request on ruei-mtun (${nicAnalysis.requests} at the NIC)\n${detail}`);
  assert.equal(mtunAnalysis.responses, served, `tshark finds every HTTP response on ruei-mtun (${nicAnalysis.responses} at the NIC)\n${detail}`);
  assert.ok(mtunAnalysis.lostSegments <= nicAnalysis.lostSegments, `tshark flags ${mtunAnalysis.lostSegments} lost segments on ruei-mtun, ${nicAnalysis.lostSegments} at the mirrored NIC\n${detail}`);
  // A bad checksum on ruei-mtun must be one the frame already had at the mirrored NIC (a TAP copies what crosses the
  // NIC, unchanged; the lab's emulated wire occasionally delivers a frame whose checksum was left to an offload that a
  // veth never performs). A frame good at the NIC and bad on ruei-mtun is corruption by the mirror: that fails.
  if (mtunAnalysis.badChecksums > 0) {
    const identity = (line: string) => line.split('\t').slice(1).join('\t'); // all but the frame number
    const atNic = new Set((await badChecksumFrames(join(dir, 'nic.pcap'), Number.MAX_SAFE_INTEGER)).map(identity));
    const frames = await badChecksumFrames(join(dir, 'mtun.pcap'), Number.MAX_SAFE_INTEGER);
    const corrupted = frames.filter((f) => !atNic.has(identity(f)));
    console.log(`[info] ${frames.length} frame(s) on ruei-mtun with a bad checksum, ${frames.length - corrupted.length} of them already bad at the mirrored NIC`);
    assert.deepEqual(corrupted.slice(0, 10), [], `frames with a bad IP or TCP checksum on ruei-mtun that were good at the mirrored NIC (frame, length, src, dst, ip.len, ip csum, ports, seq, tcp.len, tcp csum, ack):\n${detail}`);
  }
});
