// The Ansible collection (ansible/) rolls out a fleet with a real ansible-playbook over SSH: three web servers on two
// collectors, then, while one web server streams (no frame of it lost, its host not touched: changed=0), a fourth web
// server added, another moved to the other collector (its mirror out for less than a keepalive interval) and a third
// removed (its host left as before). A whole second run that changes nothing is the systemd lab's Ansible test (the
// roles' defaults); here it cost 8 minutes of CI for what web1's changed=0 in the last run also shows.
//
//   client 10.3.0.100 --+                          +-- web1 10.3.0.11 --tunnel--> coll1
//                       +--- ns lan: bridge br0 ---+-- web2 10.3.0.12 --tunnel--> coll2, later coll1
//   coll1 10.3.0.21  ---+                          +-- web3 10.3.0.13 --tunnel--> coll1 (then removed)
//   coll2 10.3.0.22  ---+                          +-- web4 10.3.0.14 (added in the third run) --> coll1
//   (ansible-playbook in the lab's own namespace; each host reached by SSH: sshd -i inside its namespace)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireL2tp, type Netns } from './lib/netns.js';
import { scratchDir } from './lib/scratch.js';
import { startCapture } from './lib/capture.js';
import { startFetchLoop } from './lib/fetch-loop.js';
import { compareStreams } from './lib/traffic.js';
import { kernelSnapshot } from './lib/receive-lab.js';
import { mustPass, packageCommand, packageFile } from './lib/packages.js';
import { createAnsibleLab, KEEPALIVE_INTERVAL, type AnsibleLab, type FleetHost, type FleetWeb } from './lib/ansible-lab.js';
import { changedHosts, playFailure, type PlayResult } from './lib/ansible-controller.js';

function assertPlayOk(result: PlayResult, what: string): void {
  const failure = playFailure(result);
  assert.equal(failure, null, `${what}: ${failure}`);
}

/** The host's state a removal must restore: links, L2TP, qdiscs, nftables ruleset, policy rules and routes. */
async function hostSnapshot(ns: Netns): Promise<string> {
  return [
    await kernelSnapshot(ns),
    (await ns.run('nft', 'list', 'ruleset')).stdout,
    (await ns.run('ip', 'rule', 'show')).stdout,
    (await ns.run('ip', 'route', 'show', 'table', 'all')).stdout,
    (await ns.run('tc', 'filter', 'show', 'dev', 'eth0', 'ingress')).stdout,
    (await ns.run('tc', 'filter', 'show', 'dev', 'eth0', 'egress')).stdout,
  ].join('\n');
}

/**
 * The client fetches web's 1 MB payload; its own wire must reach `to`'s ruei-mtun byte-identical, and `notTo`'s
 * ruei-mtun must carry none of it.
 */
async function assertMirroredTo(lab: AnsibleLab, web: FleetWeb, to: FleetHost, notTo: FleetHost, label: string): Promise<void> {
  const filter = ['tcp', 'port', '80', 'and', 'host', web.ip];
  const wire = await startCapture(lab.client, 'eth0', join(lab.dir, `${label}-client.pcap`), filter);
  const mirrored = await startCapture(to.ns, 'ruei-mtun', join(lab.dir, `${label}-${to.name}.pcap`), filter);
  const other = (await notTo.ns.probe('ip', 'link', 'show', 'dev', 'ruei-mtun')).code === 0
    ? await startCapture(notTo.ns, 'ruei-mtun', join(lab.dir, `${label}-${notTo.name}.pcap`), filter) : null;
  const body = join(lab.dir, `${label}.body`);
  await lab.client.run('curl', '-sS', '--fail', '--max-time', '120', '-o', body, `http://${web.ip}/payload.bin`);
  assert.ok(readFileSync(body).equals(web.files.get('/payload.bin')!), `${label}: the client got ${web.name}'s payload intact`);
  const comparison = compareStreams([(await wire.stop()).packets], (await mirrored.stop()).packets, 80, [web.ip]);
  assert.deepEqual(comparison.problems, [], `${label}: ${web.name}'s connection on ${to.name}'s ruei-mtun`);
  assert.ok(comparison.clientBytes > 1024 * 1024 && comparison.collectorBytes === comparison.clientBytes, `${label}: ${comparison.collectorBytes} of ${comparison.clientBytes} bytes byte-identical on ${to.name}`);
  if (other) assert.equal((await other.stop()).packets.length, 0, `${label}: nothing of ${web.name} reaches ${notTo.name}`);
}

/** The session interface (ruei-mtun-NNNNN) that carries `remoteIp`'s tunnel on the collector, from its status. */
async function sessionInterface(collector: FleetHost, conf: string, remoteIp: string): Promise<string> {
  const status = JSON.parse((await collector.ns.run('env', `UX_TUNNEL_RUN_DIR=${collector.runDir}`, 'ux-tunnel-receive', '--config', conf, 'status', '--json')).stdout) as
    { tunnels: Array<{ remoteIp: string; interface: string | null }> };
  const name = status.tunnels.find((row) => row.remoteIp === remoteIp)?.interface;
  assert.ok(name, `${collector.name} has a session interface for ${remoteIp}: ${JSON.stringify(status.tunnels)}`);
  return name;
}

test('ansible: two collectors, web servers set up, added, moved and removed by the inventory alone; web1 unchanged (changed=0); no frame lost on the others', { timeout: 75 * 60_000 }, async (t) => {
  await requireL2tp();
  const dir = await scratchDir(t, 'uxt-ansible-');
  const lab = await createAnsibleLab(t, dir);
  const { webs, collectors } = lab;
  const { web1, web2, web3, web4 } = webs;
  const { coll1, coll2 } = collectors;
  // The .debs of this tree, installed beforehand into the lab's root that every host shares; removed with the test.
  const env = { UX_TUNNEL_RUN_DIR: join(dir, 'run') };
  t.after(() => packageCommand(null, { ...env, UX_TUNNEL_FORCE_REMOVE: '1' }, 'dpkg', '--purge', 'ux-tunnel-transmit', 'ux-tunnel-receive'));
  mustPass(await packageCommand(null, env, 'dpkg', '-i', packageFile('deb', 'transmit'), packageFile('deb', 'receive')), 'dpkg -i');
  const web3Before = await hostSnapshot(web3.ns);

  // Two runs (each costs many minutes under emulation): the fleet, then an addition, a move and a removal at once
  // (web4 is in no inventory before the second run: Ansible never touches it).
  await lab.writeInventory({ web1: { collector: 'coll1' }, web2: { collector: 'coll2' }, web3: { collector: 'coll1' } });
  const first = await lab.play();
  assertPlayOk(first, 'first run');
  assert.deepEqual(changedHosts(first), ['coll1', 'coll2', 'web1', 'web2', 'web3'], 'the first run set up every host');
  const coll1Conf = join(coll1.rueiHome, 'tunnel', 'receive', 'conf', 'tunnels.conf');
  assert.match(readFileSync(coll1Conf, 'utf8'), /^10\.3\.0\.21 10\.3\.0\.11 - -$/m, 'coll1 got web1\'s line from the inventory');
  assert.match(readFileSync(coll1Conf, 'utf8'), /^10\.3\.0\.21 10\.3\.0\.13 - -$/m, 'coll1 got web3\'s line from the inventory');
  await assertMirroredTo(lab, web1, coll1, coll2, 'first-web1');
  await assertMirroredTo(lab, web2, coll2, coll1, 'first-web2');

  // The collector's load (capacity): what web1's tunnel brings in while it serves downloads, measured by status.
  // Downloads of the 1 MB payload, one after the other until status has measured (the window would take one whole at
  // once: a rate limit in curl paces only its reads; and status takes tens of seconds to start on one emulated CPU,
  // where a fixed 15 s of downloads had ended before it sampled); sampled once their frames arrive.
  const web1Session = await sessionInterface(coll1, coll1Conf, web1.ip);
  const rxBefore = (await coll1.ns.linkStats(web1Session)).rxBytes;
  const measured = join(dir, 'load-measured');
  const paced = lab.client.run('sh', '-c', 'while [ ! -e "$1" ]; do curl -sS --fail --max-time 30 -o /dev/null "$0"; done',
    `http://${web1.ip}/payload.bin`, measured);
  for (let i = 0; i < 600 && (await coll1.ns.linkStats(web1Session)).rxBytes < rxBefore + 100_000; i++) await new Promise((r) => setTimeout(r, 100));
  const loaded = JSON.parse((await coll1.ns.probe('env', `UX_TUNNEL_RUN_DIR=${coll1.runDir}`, 'ux-tunnel-receive', '--config', coll1Conf, 'status', '--json', '--sample', '5')).stdout) as
    { load: { totalMbps: number; tunnels: number } | null; tunnels: Array<{ remoteIp: string; rxMbps: number | null }> };
  writeFileSync(measured, '');
  await paced;
  const web1Mbps = loaded.tunnels.find((row) => row.remoteIp === web1.ip)?.rxMbps ?? 0;
  assert.ok(web1Mbps > 0.2 && loaded.load !== null && loaded.load.totalMbps >= web1Mbps, `coll1's status shows web1's load: ${JSON.stringify(loaded.load)}`);

  // While web1 serves pages: web4 joins coll1 and web2 moves there (two tunnels added by a reload), web3 is removed
  // (state absent, a tunnel removed). web1 is not touched, its mirror loses nothing, and web3's host is as before.
  const web1Ifindex = (await coll1.ns.ifindexes()).get(web1Session);
  // web2 serves pages too, captured on both collectors: its mirror may stop only while its own reload replaces the
  // tunnel, for less than one keepalive interval (coll2 keeps its line until web2 points at coll1).
  // A page every 2 s from each: the run shares one emulated CPU with the loops (at 0.5 s it took three times as long
  // as the first run), and 2 s is still fine enough to time an outage against the 20 s interval.
  const loop = await startFetchLoop(lab.client, coll1.ns, web1.ip, dir, 'change-fleet', 2);
  const moving = await startFetchLoop(lab.client, [coll2.ns, coll1.ns], web2.ip, dir, 'move-web2', 2);
  await lab.writeInventory({ web1: { collector: 'coll1' }, web2: { collector: 'coll1' }, web3: { collector: 'coll1', state: 'absent' }, web4: { collector: 'coll1' } });
  const change = await lab.play();
  const { requests, comparison } = await loop.stop();
  const move = await moving.stop();
  assertPlayOk(change, 'adding web4, moving web2, removing web3');
  console.log(`[info] web2's mirror while it moved: ${move.requests} pages, frames on coll2/coll1 ${move.framesPerCollector.join('/')}, longest outage ${move.outageSeconds.toFixed(1)} s`);
  assert.ok(move.framesPerCollector.every((n) => n > 0), `web2's pages were mirrored to coll2, then to coll1: ${move.framesPerCollector.join('/')} frames`);
  assert.ok(move.outageSeconds < KEEPALIVE_INTERVAL, `web2's mirror was out ${move.outageSeconds.toFixed(1)} s while it moved (one keepalive interval: ${KEEPALIVE_INTERVAL} s)`);
  assert.deepEqual(changedHosts(change), ['coll1', 'coll2', 'web2', 'web3', 'web4'], `web1 was not touched (changed=0):\n${change.output.slice(-3000)}`);
  assert.ok(requests > 10, `web1 served pages throughout (${requests})`);
  assert.deepEqual(comparison.problems, [], 'web1\'s pages while web4 joined, web2 moved and web3 left: every byte on coll1\'s ruei-mtun');
  assert.equal(comparison.collectorBytes, comparison.clientBytes);
  assert.equal((await coll1.ns.ifindexes()).get(web1Session), web1Ifindex, 'web1\'s session interface was not recreated');
  await assertMirroredTo(lab, web4, coll1, coll2, 'added-web4');
  await assertMirroredTo(lab, web2, coll1, coll2, 'moved-web2');
  assert.deepEqual((await coll2.ns.ifindexes()).has('ruei-mtun-00000'), false, 'coll2 has no tunnel left');
  assert.equal(await hostSnapshot(web3.ns), web3Before, 'web3 is as before the roles touched it');
  assert.equal(existsSync(join(web3.rueiHome, 'tunnel', 'transmit', 'conf', 'tunnel.conf')), false, 'web3\'s tunnel.conf is gone');
  console.log(`[info] ansible-playbook runs: ${[first, change].map((r) => `${r.seconds.toFixed(0)}s`).join(', ')}`);
});
