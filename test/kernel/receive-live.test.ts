// Live changes while sender1 streams frames: config add of a 4th tunnel, config remove of another, and a reload
// after editing tunnels.conf lose no frame of sender1's tunnel and leave its interface (ifindex) untouched.
//
//   sender1 ==(streams ping -i 0.01)==+                       collector
//   sender2 ==========================+==> 10.10.10.10 --> ruei-mtun-0000N --tc mirred--> ruei-mtun (tcpdump)
//   sender3 ==========================+
//   sender4 ==(configured during the stream)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { requireL2tp } from './lib/netns.js';
import { startCapture } from './lib/capture.js';
import { COLLECTOR_IP, configLine, createCollectorLab, sendPings, writeLines } from './lib/receive-lab.js';
import { scratchDir } from './lib/scratch.js';

const STREAM_PATTERN = 'feed0001';
const STREAM_COUNT = 3000;

test('config add, config remove and reload while a tunnel streams: zero frames lost, ifindex unchanged', async (t) => {
  await requireL2tp();
  const dir = await scratchDir(t, 'uxt-rx-live-');
  const lab = await createCollectorLab(t, dir, 4);
  const { collector, senders } = lab;
  const [s1, s2, s3, s4] = senders as [typeof senders[0], typeof senders[0], typeof senders[0], typeof senders[0]];
  await writeLines(lab.config, [configLine(s1), configLine(s2), configLine(s3)]);
  await lab.cliOk('start');
  const before = await collector.ifindexes();

  const aggregated = await startCapture(collector, 'ruei-mtun', join(dir, 'agg.pcap'), ['icmp']);
  const sent = await startCapture(s1.ns, 'l2tx', join(dir, 'sent.pcap'), ['icmp']);
  let streaming = true;
  const stream = s1.ns
    .probe('ping', '-c', String(STREAM_COUNT), '-i', '0.01', '-s', '200', '-p', STREAM_PATTERN, '-W', '1', '-q', s1.target)
    .finally(() => (streaming = false));
  await new Promise((r) => setTimeout(r, 1000)); // the stream is flowing before the first change

  const add = await lab.cliOk('config', 'add', COLLECTOR_IP, s4.ip);
  assert.match(add.stdout, /1 added \(ruei-mtun-00003\).*3 unchanged/);
  const remove = await lab.cliOk('config', 'remove', s2.ip);
  assert.match(remove.stdout, /1 removed.*3 unchanged/);
  // Edit the file by hand: sender3 goes, sender2 comes back (it takes the lowest free number, 00001).
  const text = await readFile(lab.config, 'utf8');
  assert.match(text, /^# test tunnels\n/, 'config add/remove kept the comment');
  await writeFile(lab.config, text.replace(`${configLine(s3)}\n`, '') + `${configLine(s2)}\n`);
  const reload = await lab.cliOk('reload');
  assert.match(reload.stdout, /1 added \(ruei-mtun-00001\), 1 removed.*2 unchanged/);
  assert.ok(streaming, 'sender1 was still streaming when the last change was applied (raise STREAM_COUNT if not)');

  const result = await stream;
  const transmitted = Number(/(\d+) packets transmitted/.exec(result.stdout)?.[1]);
  assert.equal(transmitted, STREAM_COUNT);
  // The newly configured and re-added tunnels carry frames too.
  await sendPings(s4, 3, 100, 'feed0004');
  await sendPings(s2, 3, 100, 'feed0002');
  const aggFrames = (await aggregated.stop()).packets;
  const sentFrames = (await sent.stop()).packets.filter((p) => p.data.toString('hex').includes(STREAM_PATTERN.repeat(4)));
  assert.equal(sentFrames.length, STREAM_COUNT, 'the sender-side capture saw every streamed frame');

  const received = new Map<string, number>();
  for (const p of aggFrames) received.set(p.data.toString('hex'), (received.get(p.data.toString('hex')) ?? 0) + 1);
  const missing = sentFrames.filter((p) => received.get(p.data.toString('hex')) !== 1);
  assert.equal(missing.length, 0, `${missing.length} of ${STREAM_COUNT} streamed frames did not arrive exactly once, byte-identical, on ruei-mtun`);
  const count = (pattern: string) => aggFrames.filter((p) => p.data.toString('hex').includes(pattern.repeat(4))).length;
  assert.equal(count(STREAM_PATTERN), STREAM_COUNT);
  assert.equal(count('feed0004'), 3, 'the tunnel added live carries frames');
  assert.equal(count('feed0002'), 3, 'the tunnel re-added by reload carries frames');

  const after = await collector.ifindexes();
  assert.equal(after.get('ruei-mtun-00000'), before.get('ruei-mtun-00000'), 'the streaming tunnel kept its interface');
  assert.equal(after.get('ruei-mtun'), before.get('ruei-mtun'), 'ruei-mtun was never recreated');
  assert.deepEqual([...after.keys()].filter((n) => n.startsWith('ruei-mtun-')).sort(), ['ruei-mtun-00000', 'ruei-mtun-00001', 'ruei-mtun-00003']);
  const stats = JSON.parse((await collector.run('ip', '-j', '-s', 'link', 'show', 'dev', 'ruei-mtun-00000')).stdout) as Array<{ stats64: { rx: { dropped: number; errors: number } } }>;
  assert.deepEqual([stats[0]!.stats64.rx.dropped, stats[0]!.stats64.rx.errors], [0, 0]);
  await lab.cliOk('stop');
});
