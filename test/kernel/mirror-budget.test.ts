// The mirror budget: tunnel.conf's budget-mbit= caps the mirror in the kernel (a tc police action every mirror filter
// binds). Frames over the budget are kept out of the mirror and counted, production frames pass untouched, and the
// count reaches the collector through the keepalive: the monitor reports it as shed, not as loss.
//
//   ns client              ns lan            ns web (ux-tunnel-transmit i80 budget-mbit=1)         ns collector
//   eth0 10.0.0.1 ------- br0 ------------- eth0 10.0.0.2 (gso_max_segs 1: one frame per packet)   eth0 10.0.0.3
//   curl                   |                  police (1 Mbit/s) -> mirred -> ruei-tun1 ==L2TPv3==> ruei-mtun-00000
//                          |                  keepalive every 1 s                                 -> ruei-mtun, monitor
//                          +----------------------------------------------------------------------
//                                             [capture: mirrored NIC]                             [capture]
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { requireL2tp } from './lib/netns.js';
import { startCapture } from './lib/capture.js';
import { createTransmitLab, WEB_IP } from './lib/transmit-lab.js';
import { scratchDir } from './lib/scratch.js';
import { dropReport } from './lib/drop-report.js';
import { exec, spawnStream } from '../../src/kernel/exec.js';
import { parsePoliceActions } from '../../src/kernel/tc-police.js';
import type { TunnelHealth } from '../../src/monitor/snapshot.js';

const BIN = resolve(import.meta.dirname, '..', '..', '..', 'bin');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('budget-mbit: frames over the budget are shed in the kernel and counted exactly, production is untouched, the monitor reports the shedding', async (t) => {
  await requireL2tp();
  const dir = await scratchDir(t, 'uxt-budget-');
  const lab = await createTransmitLab(t, dir);
  const { client, web, collector } = lab;
  // One frame per packet at the mirrored NIC's hooks: TCP builds GSO super-frames whatever the NIC offers (they are
  // segmented after tc's egress hook), and the police action counts a super-frame once; gso_max_segs 1 makes TCP send
  // frames. The client's link at 40 Mbit/s (tbf on the switch port): a frame rate the emulated CPUs carry without
  // dropping anything anywhere (the count must be exact). The budget, 1 Mbit/s, is below what even one busy emulated
  // CPU sends through the mirror (on one vCPU an 8 Mbit/s budget shed a third of the frames, 2 Mbit/s 44 %), and the
  // checks below hold at any speed: what was mirrored is bounded by the budget over the time the downloads took.
  for (const ns of [client, web]) await ns.run('ip', 'link', 'set', 'dev', 'eth0', 'gso_max_segs', '1');
  await lab.lan.run('tc', 'qdisc', 'add', 'dev', 'pc', 'root', 'tbf', 'rate', '40mbit', 'burst', '256kb', 'latency', '100ms');
  t.after(async () => {
    await lab.cli('stop');
    await lab.receiveOk('stop').catch(() => undefined);
  });
  await lab.writeConfig('i80', 'budget-mbit=1');
  await lab.receiveOk('start');
  const pristine = await lab.webSnapshot();
  const dry = await lab.cliOk('start', '--dry-run');
  assert.match(dry.stdout, /^\[#\] tc actions add action police rate 1000000bit burst 131072 mtu 65536 conform-exceed continue\/pipe index 46100 cookie 7578742d6200000000000f4240$/m);
  assert.match(dry.stdout, /^\[#\] tc filter add dev eth0 egress pref 46101 protocol ip handle 1 flower ip_proto tcp src_port 80 action police index 46100 action mirred egress mirror dev ruei-veth1in continue$/m);
  await lab.cliOk('start');

  // The collector's monitor and the web server's keepalive, as their units run them. Every 3 s: on one busy emulated
  // CPU a 1 s keepalive (stale after 3.5 s) was late often enough that the tunnel flapped between up and stale.
  const env = { ...process.env, UX_TUNNEL_RUN_DIR: join(dir, 'receive-run') };
  const tunnels = join(dir, 'tunnels.conf');
  const monitor = spawnStream(collector.argv(process.execPath, join(BIN, 'ux-tunnel-receive'), '--config', tunnels, 'monitor'), env);
  const keepalive = spawnStream(web.argv(process.execPath, join(BIN, 'ux-tunnel-transmit'), '--config', lab.config, 'keepalive', '--interval', '3'), { ...process.env, UX_TUNNEL_RUN_DIR: join(dir, 'run') });
  t.after(() => {
    monitor.kill('SIGKILL');
    keepalive.kill('SIGKILL');
  });
  const health = async (): Promise<TunnelHealth | null> => {
    const r = await exec(collector.argv(process.execPath, join(BIN, 'ux-tunnel-receive'), '--config', tunnels, 'status', '--json'), { env });
    return (JSON.parse(r.stdout) as { tunnels: Array<{ health: TunnelHealth | null }> }).tunnels[0]?.health ?? null;
  };
  // Seen up once is the check (a second status call could land while a late keepalive makes it stale).
  let heard: TunnelHealth | null = null;
  for (const deadline = Date.now() + 300_000; (heard = await health())?.state !== 'up' && Date.now() < deadline;) await sleep(1000);
  assert.equal(heard?.state, 'up', `the monitor hears the keepalives: ${JSON.stringify(heard)}`);
  await lab.curl(`http://${WEB_IP}/small.txt`);

  const shedNow = async () => parsePoliceActions((await web.run('tc', '-s', '-j', 'actions', 'ls', 'action', 'police')).stdout).reduce((n, a) => n + a.overlimits, 0);
  const shedBefore = await shedNow();
  const filter = ['tcp', 'port', '80'];
  // Frames are counted, not compared: 2048 bytes of each is enough, and the ring then holds tens of thousands of the
  // NIC's 64 KB GSO frames instead of a few hundred (a full ring drops, and the count would be wrong).
  const nic = await startCapture(web, 'eth0', join(dir, 'nic.pcap'), filter, 2048);
  const mtun = await startCapture(collector, 'ruei-mtun', join(dir, 'mtun.pcap'), filter, 2048);
  // Production far above the budget: two downloads of the 6 MB file, byte-identical at the client.
  const started = Date.now();
  for (let i = 0; i < 2; i++) assert.ok((await lab.curl(`http://${WEB_IP}/big.bin`)).equals(lab.big), 'production is untouched: the client gets every byte');
  const seconds = (Date.now() - started) / 1000;
  await sleep(1000);
  const [atNic, atMtun] = [await nic.stop(), await mtun.stop()];
  assert.deepEqual([atNic.droppedByKernel, atMtun.droppedByKernel], [0, 0], 'no capture dropped packets');
  const shed = (await shedNow()) - shedBefore;
  t.diagnostic(`${atNic.packets.length} frames at the NIC, ${atMtun.packets.length} on ruei-mtun, ${shed} shed by the budget`);
  const detail = () => dropReport(web, collector);
  const bytes = (packets: ReadonlyArray<{ originalLength: number }>) => packets.reduce((n, p) => n + p.originalLength, 0);
  const rate = `production ${(bytes(atNic.packets) * 8 / seconds / 1e6).toFixed(1)} Mbit/s over ${seconds.toFixed(1)} s`;
  assert.ok(shed > 0, `the 1 Mbit/s budget shed frames of downloads faster than it (${rate})\n${await detail()}`);
  // The police bucket starts full (its burst), then refills at the budget: nothing more can have been mirrored (5 %
  // for how the kernel and the capture count a frame's length).
  const allowed = (1e6 / 8 * seconds + 131072) * 1.05;
  assert.ok(bytes(atMtun.packets) <= allowed, `the mirror kept to the budget: ${bytes(atMtun.packets)} bytes mirrored, at most ${Math.round(allowed)} allowed (${rate})`);
  assert.ok(atMtun.packets.length > 100, 'frames within the budget are mirrored');
  assert.equal(atNic.packets.length - atMtun.packets.length, shed, `every frame missing on ruei-mtun is one the budget shed, exactly\n${await detail()}`);

  // The keepalive carries the count; the monitor reports it as shed, and not as loss.
  let seen: TunnelHealth | null = null;
  for (const deadline = Date.now() + 300_000; Date.now() < deadline;) {
    seen = await health();
    if ((seen?.budgetShed ?? 0) >= shed + shedBefore) break;
    await sleep(1000);
  }
  assert.equal(seen?.budgetShed, shed + shedBefore, `status reports every shed frame: ${JSON.stringify(seen)}`);
  assert.equal(seen?.lostFrames, 0, 'shedding is not loss');
  const text = await exec(collector.argv(process.execPath, join(BIN, 'ux-tunnel-receive'), '--config', tunnels, 'status'), { env });
  assert.match(text.stdout, /Dropped \(sender\)\s+Shed \(budget\)/);

  // The budget removed: the police action goes after the filters that bound it; stop then leaves nothing.
  await lab.writeConfig('i80');
  await lab.cliOk('start');
  assert.deepEqual(parsePoliceActions((await web.run('tc', '-j', 'actions', 'ls', 'action', 'police')).stdout), [], 'no police action is left');
  assert.doesNotMatch((await web.run('tc', 'filter', 'show', 'dev', 'eth0', 'egress')).stdout, /police/);
  keepalive.kill('SIGKILL');
  await lab.cliOk('stop');
  assert.equal(await lab.webSnapshot(), pristine, 'stop leaves the web server as before start');
});
