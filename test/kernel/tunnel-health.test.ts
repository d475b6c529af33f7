// Tunnel health end to end: the monitor's loss per tunnel, stale/down/up, unknown and malformed keepalives, metrics.
//
//   client1 --+                         +-- collector 10.1.0.10   ux-tunnel-receive (web1, web3) + monitor --metrics-listen
//   client2 --+---- lan bridge ---------+-- web1 10.1.0.11       nginx, ux-tunnel-transmit, keepalive every 1 s
//             |                         +-- web2 10.1.0.12       ux-tunnel-transmit, NOT in tunnels.conf (unknown sender)
//             +-- router (NAT) -------------- web3 10.2.0.13     nginx, ux-tunnel-transmit; netem drops 5 % of its
//                                                                 L2TP packets on eth0 in phase 2
// Traffic is small keep-alive HTTP (one frame per packet: no fragmentation, so a lost outer packet is one lost frame).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { requireL2tp } from './lib/netns.js';
import { createDeployment, mustSucceed, type Deployment, type Web } from './lib/deployment.js';
import { scratchDir } from './lib/scratch.js';
import { exec, spawnStream } from '../../src/kernel/exec.js';
import type { TunnelHealth } from '../../src/monitor/snapshot.js';
import { parseExposition } from './lib/prometheus.js';
import { describeTunnelId } from '../../src/config/values.js';

/** A tunnel as the monitor's log names it, address(number), as a regular expression. */
const idPattern = (web: { tunnelId: number }) => describeTunnelId(web.tunnelId).replace(/[.()]/g, '\\$&');

const BIN = resolve(import.meta.dirname, '..', '..', '..', 'bin');
const METRICS_PORT = 9477;
const FUZZ_COUNT = 200;
// Keepalive interval: short for the test, long enough that tc and node under emulation keep the schedule (each keepalive
// reads the counters with three tc runs: at 2 s the three senders took a large part of one emulated CPU).
const INTERVAL = 4;

interface Status {
  present: number;
  monitor: { running: boolean; unknownKeepalives?: number; malformedKeepalives?: number; unknownSenders?: Array<{ source: string; sessionId: number; reason: string; count: number }> };
  tunnels: Array<{ tunnelId: number; interface: string | null; health: TunnelHealth | null }>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('the monitor counts loss per tunnel, sees a sender go stale, down and up again, and survives strangers', async (t) => {
  await requireL2tp();
  const dir = await scratchDir(t, 'uxt-health-');
  const d = await createDeployment(t, dir);
  const [web1, web2, web3] = d.webs as [Web, Web, Web];
  await writeFile(d.tunnelsConf, `${d.tunnelsLine(web1)}\n${d.tunnelsLine(web3)}\n`);
  const runDir = join(dir, 'collector-run');
  const env = { ...process.env, UX_TUNNEL_RUN_DIR: runDir };
  const status = async (): Promise<Status> => {
    const r = mustSucceed(await exec(d.collector.argv(process.execPath, join(BIN, 'ux-tunnel-receive'), '--config', d.tunnelsConf, 'status', '--json'), { env }), 'status --json');
    return JSON.parse(r.stdout) as Status;
  };
  const health = (s: Status, web: Web) => s.tunnels.find((r) => r.tunnelId === web.tunnelId)?.health ?? null;
  t.after(async () => {
    for (const web of d.webs) await d.transmit(web, 'stop');
    await d.receive('stop');
  });

  mustSucceed(await d.receive('start'), 'ux-tunnel-receive start');
  const keepalives = new Map<Web, ReturnType<Deployment['startKeepalive']>>();
  for (const web of d.webs) {
    mustSucceed(await d.transmit(web, 'start'), `ux-tunnel-transmit start on ${web.name}`);
    keepalives.set(web, d.startKeepalive(web, INTERVAL));
  }
  let log = '';
  const monitor = spawnStream(d.collector.argv(process.execPath, join(BIN, 'ux-tunnel-receive'), '--config', d.tunnelsConf, 'monitor',
    '--verbose', '--loss-warn', '1', '--metrics-listen', `127.0.0.1:${METRICS_PORT}`), env);
  monitor.stderr!.on('data', (b: Buffer) => (log += b.toString()));
  const monitorExit = new Promise<number | null>((resolve) => monitor.on('close', (code) => resolve(code)));
  // Its log, for a failure: in the lab's job directory when there is one (read on the host after the VM ends; the
  // test's own directory is removed by an earlier after-hook: node:test runs them in the order they were registered).
  t.after(async () => {
    monitor.kill('SIGKILL');
    if (process.env.LAB_JOB_DIR) await writeFile(join(process.env.LAB_JOB_DIR, 'tunnel-health-monitor.log'), log);
  });

  // Paced small-request load on both monitored servers until the test says stop. Paced, not flat out: a saturated
  // emulated CPU lets per-CPU backlogs grow to hundreds of frames, and a keepalive overtaking them makes the loss of
  // one interval look like the next one's (real hosts keep these queues short).
  let loading = true;
  const load = (client: number, web: Web) => (async () => {
    while (loading) {
      await d.clients[client]!.probe('ab', '-q', '-k', '-n', '50', '-c', '1', `http://${web.ip}/index.html`);
      await sleep(100);
    }
  })();
  const loads = [load(0, web1), load(1, web3)];
  t.after(async () => {
    loading = false;
    await Promise.all(loads);
  });

  // Where the time goes on a slow machine (the test waits for events, however long they take).
  let mark = Date.now();
  const phaseDone = (name: string) => {
    t.diagnostic(`[time] ${name}: ${((Date.now() - mark) / 1000).toFixed(0)} s`);
    mark = Date.now();
  };

  // Phase 1: both up, with counters over several keepalive intervals and nothing lost.
  const dropsBefore = await kernelDrops(d);
  // Warm-up first: the first frames of a new path wait for ARP (the kernel queues only a few per neighbour).
  await waitFor(status, (s) => [web1, web3].every((w) => (health(s, w)?.lastInterval?.sent ?? 0) > 0), 300_000, 'both tunnels report an interval');
  await sleep(3 * INTERVAL * 1000);
  const first = await status();
  await sleep(4 * INTERVAL * 1000);
  const second = await status();
  for (const web of [web1, web3]) {
    const [a, b] = [health(first, web)!, health(second, web)!];
    assert.equal(b.state, 'up', `${web.name} is up`);
    assert.equal(b.nat, web.behindNat, `${web.name} NAT status`);
    assert.ok(b.keepalives - a.keepalives >= 3, `${web.name}: several keepalive intervals (${a.keepalives} -> ${b.keepalives})`);
    assert.ok(b.sentFrames - a.sentFrames > 300, `${web.name}: traffic flowed (${b.sentFrames - a.sentFrames} frames)`);
    assert.equal(b.lostFrames - a.lostFrames, 0, `${web.name}: nothing lost in ${b.sentFrames - a.sentFrames} frames (kernel drops before ${dropsBefore}, after ${await kernelDrops(d)}; ${JSON.stringify(b)})\n${log.split('\n').filter((l) => l.includes(String(web.tunnelId))).slice(-12).join('\n')}`);
  }

  phaseDone('phase 1 (both up)');

  // Phase 2: netem drops 5 % of web3's L2TP packets (only those: production traffic is not touched).
  await web3.ns.run('tc', 'qdisc', 'add', 'dev', 'eth0', 'root', 'handle', '1:', 'prio', 'bands', '3', 'priomap', ...Array<string>(16).fill('0'));
  await web3.ns.run('tc', 'qdisc', 'add', 'dev', 'eth0', 'parent', '1:3', 'handle', '30:', 'netem', 'loss', '5%');
  await web3.ns.run('tc', 'filter', 'add', 'dev', 'eth0', 'parent', '1:', 'protocol', 'ip', 'prio', '1', 'u32', 'match', 'ip', 'protocol', '115', '0xff', 'flowid', '1:3');
  await sleep(2500);
  const lossStart = await status();
  // 2500 frames: 5 % is 125 +- 11 (one standard deviation), so the 3-7 % window below is 4.5 standard deviations each
  // side (a false failure about once in 200 000 runs); more frames only cost minutes on a slow CPU.
  await waitFor(status, (s) => health(s, web3)!.sentFrames - health(lossStart, web3)!.sentFrames >= 2500, 900_000, 'web3 sent 2500 frames under netem');
  const lossEnd = await status();
  await web3.ns.run('tc', 'qdisc', 'del', 'dev', 'eth0', 'root');
  const delta = (web: Web, key: 'sentFrames' | 'lostFrames') => health(lossEnd, web)![key] - health(lossStart, web)![key];
  const percent = (delta(web3, 'lostFrames') / delta(web3, 'sentFrames')) * 100;
  t.diagnostic(`web3 under netem loss 5%: ${delta(web3, 'lostFrames')} of ${delta(web3, 'sentFrames')} frames lost (${percent.toFixed(2)} %); web1: ${delta(web1, 'lostFrames')} of ${delta(web1, 'sentFrames')}`);
  assert.ok(percent >= 3 && percent <= 7, `web3's loss ${percent.toFixed(2)} % is within 5 +- 2 %`);
  assert.equal(delta(web1, 'lostFrames'), 0, "web1's loss stays 0");
  assert.ok(delta(web1, 'sentFrames') > 300, 'web1 carried traffic meanwhile');
  assert.ok(health(lossEnd, web3)!.sequenceGaps > 0 || health(lossEnd, web3)!.lostFrames > 0, 'lost keepalives show as sequence gaps');
  assert.match(log, new RegExp(`tunnel ${idPattern(web3)} \\(${web3.seenAs}\\): \\d+ of \\d+ frames lost .*above 1 %`), 'the loss warning is logged');

  // The rest needs no load (web1 staying up is its keepalives' doing): stopped here, it leaves the emulated CPU to the
  // phases that wait for the monitor (with load to the end this test took 15 minutes in CI).
  loading = false;
  await Promise.all(loads);
  phaseDone('phase 2 (netem loss)');

  // Phase 3: a sender nobody configured (web2's tunnel) and 200 malformed keepalives through it.
  const fuzz = join(dir, 'fuzz.mjs');
  await writeFile(fuzz, FUZZ_SCRIPT);
  mustSucceed(await exec(web2.ns.argv(process.execPath, fuzz, String(FUZZ_COUNT))), 'fuzz sender');
  const strangers = await waitFor(status, (s) => (s.monitor.malformedKeepalives ?? 0) >= FUZZ_COUNT && (s.monitor.unknownKeepalives ?? 0) >= 3, 300_000, 'malformed and unknown keepalives counted');
  assert.equal(strangers.monitor.malformedKeepalives, FUZZ_COUNT, 'every malformed keepalive was counted, once');
  assert.ok(strangers.monitor.unknownSenders?.some((u) => u.source === web2.ip && u.sessionId === web2.tunnelId && u.reason === 'session'), JSON.stringify(strangers.monitor.unknownSenders));
  assert.equal(strangers.monitor.running, true, 'the monitor still runs');
  const text = mustSucceed(await exec(d.collector.argv(process.execPath, join(BIN, 'ux-tunnel-receive'), '--config', d.tunnelsConf, 'status'), { env }), 'status').stdout;
  assert.match(text, /Health\s+Keepalive\s+NAT\s+Sent\s+Received\s+Lost \(last\)\s+Lost \(total\)\s+Dropped \(sender\)\s+Shed \(budget\)\s+KA gaps/);
  assert.match(text, new RegExp(`\\[warn\\] keepalives from ${web2.ip.replaceAll('.', '\\.')} .*not in tunnels\\.conf`));

  phaseDone('phase 3 (strangers)');

  // Phase 4: the metrics endpoint, read with a real exposition-format parser.
  const scraped = mustSucceed(await d.collector.probe('curl', '-sS', '--max-time', '10', `http://127.0.0.1:${METRICS_PORT}/metrics`), 'curl /metrics').stdout;
  const families = new Map((await parseExposition(scraped)).map((f) => [f.name, f]));
  // Counter families are named without _total by the parser; their samples keep it.
  const sample = (name: string, web: Web) => families.get(name.replace(/_total$/, ''))?.samples.find((s) => s.name === name && s.labels.tunnel_id === String(web.tunnelId))?.value;
  for (const web of [web1, web3]) assert.equal(sample('ux_tunnel_up', web), 1, `${web.name} up in the metrics`);
  assert.equal(families.get('ux_tunnel_frames_lost')?.type, 'counter', 'frames_lost is a counter (the parser strips _total)');
  assert.ok((sample('ux_tunnel_frames_lost_total', web3) ?? 0) > 0, 'web3 lost frames in the metrics');
  assert.equal(families.get('ux_tunnel_malformed_keepalives')?.samples[0]?.value, FUZZ_COUNT);

  phaseDone('phase 4 (metrics)');

  // Phase 5: web3's transmit side stops: stale after 3 missed keepalives (3.5 intervals), down after 6 (6.5); then back.
  keepalives.get(web3)!.kill('SIGTERM');
  mustSucceed(await d.transmit(web3, 'stop'), 'ux-tunnel-transmit stop on web3');
  const stale = await waitFor(status, (s) => health(s, web3)!.state !== 'up', 300_000, 'web3 no longer up');
  assert.notEqual(health(stale, web3)!.state, 'waiting');
  const down = await waitFor(status, (s) => health(s, web3)!.state === 'down', 300_000, 'web3 down');
  // When the transitions happened: the monitor's own log (status, a process per poll, lags by seconds under emulation).
  const ageAt = (what: string) => Number(new RegExp(`tunnel ${idPattern(web3)} .* is ${what}: no keepalive for (\\d+) s`).exec(log)?.[1] ?? NaN);
  const [staleAge, downAge] = [ageAt('stale'), ageAt('down')];
  t.diagnostic(`web3 stale at keepalive age ${staleAge} s, down at ${downAge} s (interval ${INTERVAL} s; documented: 3.5 and 6.5 intervals)`);
  assert.ok(staleAge >= 3.5 * INTERVAL && staleAge <= 3.5 * INTERVAL + 3, `stale at ${staleAge} s: within 3 s after 3.5 intervals`);
  assert.ok(downAge >= 6.5 * INTERVAL && downAge <= 6.5 * INTERVAL + 3, `down at ${downAge} s: within 3 s after 6.5 intervals`);
  assert.equal(health(down, web1)!.state, 'up', 'web1 is unaffected');
  mustSucceed(await d.transmit(web3, 'start'), 'ux-tunnel-transmit start on web3 again');
  keepalives.set(web3, d.startKeepalive(web3, INTERVAL));
  const back = await waitFor(status, (s) => health(s, web3)!.state === 'up', 300_000, 'web3 up again');
  assert.ok(health(back, web3)!.senderRestarts >= 1, 'the restart is noticed');
  assert.match(log, new RegExp(`tunnel ${idPattern(web3)} .* is stale`));
  assert.match(log, new RegExp(`tunnel ${idPattern(web3)} .* is up again after being down`));
  assert.equal(monitor.exitCode, null, 'the same monitor process throughout');

  phaseDone('phase 5 (stale, down, up)');

  // A monitor stop leaves no state behind, and status says it does not run.
  monitor.kill('SIGTERM');
  assert.equal(await monitorExit, 0, `the monitor exits 0 on SIGTERM:\n${log.slice(-2000)}`);
  const after = await status();
  assert.equal(after.monitor.running, false);
  assert.equal(after.present, 2, 'stopping the monitor touched no tunnel');
  await assert.rejects(readFile(join(runDir, 'receive-monitor.json')), 'the state file is removed');

  // A new monitor (what systemctl restart does) picks the tunnels up again: both up, with their interfaces unchanged.
  const again = spawnStream(d.collector.argv(process.execPath, join(BIN, 'ux-tunnel-receive'), '--config', d.tunnelsConf, 'monitor'), env);
  t.after(() => again.kill('SIGKILL'));
  const restarted = await waitFor(status, (s) => s.monitor.running && [web1, web3].every((w) => health(s, w)?.state === 'up'), 300_000, 'both up under a new monitor');
  assert.deepEqual(restarted.tunnels.map((r) => r.health?.interface), after.tunnels.map((r) => r.health?.interface ?? r.interface));
  phaseDone('monitor stop and restart');
  again.kill('SIGTERM');
});

/** Where the lab's kernel drops frames: the per-CPU backlog (softnet_stat) and the veths' tx drops, for failure reports. */
async function kernelDrops(d: Deployment): Promise<string> {
  const softnet = (await d.collector.run('cat', '/proc/net/softnet_stat')).stdout.trim().split('\n').map((l) => parseInt(l.split(/\s+/)[1]!, 16));
  const links = async (ns: Deployment['lan']) => (JSON.parse((await ns.run('ip', '-j', '-s', 'link')).stdout) as Array<{ ifname: string; stats64: { tx: { dropped: number }; rx: { dropped: number; errors: number } } }>)
    .filter((l) => l.stats64.tx.dropped + l.stats64.rx.dropped + l.stats64.rx.errors > 0).map((l) => `${l.ifname}:tx${l.stats64.tx.dropped}/rx${l.stats64.rx.dropped}/err${l.stats64.rx.errors}`);
  const snmp = async (ns: Deployment['lan']) => {
    const lines = (await ns.run('cat', '/proc/net/snmp')).stdout.split('\n').filter((l) => l.startsWith('Ip:'));
    const names = lines[0]!.split(/\s+/);
    const values = lines[1]!.split(/\s+/);
    return names.map((n, i) => [n, values[i]]).filter(([n, v]) => /Discards|Errors|NoRoutes|Reasm(Fails|Timeout)/.test(n!) && v !== '0').map(([n, v]) => `${n}=${v}`).join(',');
  };
  const sessions = (await d.collector.run('ip', '-s', 'l2tp', 'show', 'session')).stdout.split('\n').filter((l) => /errors|discards/.test(l)).map((l) => l.trim()).join(' | ');
  const parts = [`softnet ${softnet.join(',')}`, `collector l2tp: ${sessions}`];
  for (const [name, ns] of [['collector', d.collector], ['router', d.router], ['web3', d.webs[2]!.ns]] as const) parts.push(`${name} snmp ${await snmp(ns)}`);
  for (const [name, ns] of [['lan', d.lan], ['collector', d.collector], ['web1', d.webs[0]!.ns], ['web3', d.webs[2]!.ns], ['router', d.router]] as const) parts.push(`${name} ${(await links(ns)).join(' ')}`);
  return parts.join('; ');
}

// Waits for what must happen, however slow the machine (a status is a process start: seconds under emulation, more on a
// busy CPU): the deadlines only end a test that would otherwise hang. When things happened is checked from the
// monitor's own log, not from how long the wait took.
async function waitFor(read: () => Promise<Status>, done: (s: Status) => boolean, timeoutMs: number, what: string): Promise<Status> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await read();
    if (done(s)) return s;
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}: ${JSON.stringify(s)}`);
    // Not back to back: each status is a Node start, and on one emulated CPU polling without a pause took half the CPU
    // from the load the test waits for (this test then took over 20 minutes).
    await sleep(3000);
  }
}

// Runs inside web2 (whose transmit side is up): valid keepalives of an unconfigured tunnel come from its keepalive
// sender; this adds payloads that are not keepalives, sent the same way (from 169.254.115.1 on ruei-veth1in).
const FUZZ_SCRIPT = `
import { createSocket } from 'node:dgram';
const count = Number(process.argv[2]);
let seed = 12345;
const random = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
const valid = Buffer.concat([Buffer.from('UXTK\\x02'), Buffer.from(JSON.stringify({ tunnelId: 1, host: 'x', seq: 1, time: 'now', interval: 1 }))]);
const socket = createSocket('udp4');
await new Promise((resolve) => socket.bind({ address: '169.254.115.1', port: 0 }, resolve));
socket.setBroadcast(true);
for (let i = 0; i < count; i++) {
  let payload;
  if (i % 4 === 0) payload = Buffer.from(Array.from({ length: Math.floor(random() * 600) }, () => Math.floor(random() * 256)));
  else if (i % 4 === 1) payload = valid.subarray(0, Math.floor(random() * (valid.length - 1)));
  else if (i % 4 === 2) { payload = Buffer.from(valid); payload[5 + Math.floor(random() * (valid.length - 5))] = 0x00; }
  else payload = Buffer.concat([Buffer.from('UXTK\\x00'), Buffer.from('{}')]);
  await new Promise((resolve, reject) => socket.send(payload, 11115, '255.255.255.255', (e) => (e ? reject(e) : resolve())));
  await new Promise((resolve) => setTimeout(resolve, 5));
}
socket.close();
`;
