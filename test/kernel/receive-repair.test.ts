// Repair from the kernel alone: after objects vanish behind ux-tunnel-receive's back (a crash mid-apply, an admin),
// reload rebuilds exactly what is missing and traffic flows again; a second collector namespace is never touched.
//
//   sender1 ==L2TPv3==> collector A: ruei-mtun-00000 --mirred--> ruei-mtun      collector B (own tunnels.conf,
//                       (qdisc deleted, interface down, orphan tunnel,             own ruei-mtun): unchanged by
//                        ruei-mtun deleted: each repaired by reload)               anything done in A
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createNetns, requireL2tp } from './lib/netns.js';
import { startCapture } from './lib/capture.js';
import { COLLECTOR_IP, configLine, createCollectorLab, kernelSnapshot, sendPings, writeLines } from './lib/receive-lab.js';
import { exec } from '../../src/kernel/exec.js';
import type { Netns } from './lib/netns.js';
import type { CollectorLab, Sender } from './lib/receive-lab.js';
import { scratchDir } from './lib/scratch.js';

const CLI = resolve(import.meta.dirname, '..', '..', '..', 'bin', 'ux-tunnel-receive');

async function framesArrive(lab: CollectorLab, sender: Sender, dir: string, pattern: string): Promise<number> {
  const capture = await startCapture(lab.collector, 'ruei-mtun', join(dir, `${pattern}.pcap`), ['icmp']);
  await sendPings(sender, 3, 100, pattern);
  return (await capture.stop()).packets.filter((p) => p.data.toString('hex').includes(pattern.repeat(4))).length;
}

test('reload repairs lost qdisc/filter, a down interface, an orphan tunnel and a deleted ruei-mtun; other namespaces untouched', async (t) => {
  await requireL2tp();
  const dir = await scratchDir(t, 'uxt-rx-repair-');
  const lab = await createCollectorLab(t, dir, 1);
  const { collector } = lab;
  const sender = lab.senders[0]!;
  // Collector B: another namespace with its own address and file; it must never see A's objects or changes.
  const other: Netns = await createNetns(t, 'collector-b');
  await other.ip('link add eth0 type dummy', `addr add ${COLLECTOR_IP}/24 dev eth0`, 'link set eth0 up', 'route add default dev eth0');
  const otherConfig = join(dir, 'b.conf');
  await writeFile(otherConfig, `${COLLECTOR_IP} 10.10.10.77 - -\n`);
  const otherStart = await exec(other.argv(process.execPath, CLI, '--config', otherConfig, 'start'));
  assert.equal(otherStart.code, 0, otherStart.stderr);
  const otherState = await kernelSnapshot(other);

  await writeLines(lab.config, [configLine(sender), `${COLLECTOR_IP} 10.10.10.12 - 4242`]);
  assert.match((await lab.cliOk('start')).stdout, /2 added/);
  assert.equal(await framesArrive(lab, sender, dir, 'beef0001'), 3);
  const ifindex = (await collector.run('cat', '/sys/class/net/ruei-mtun-00000/ifindex')).stdout.trim();

  // The qdisc (and with the last bound one, the block and its filter) gone, the interface down.
  await collector.run('tc', 'qdisc', 'del', 'dev', 'ruei-mtun-00000', 'clsact');
  await collector.run('tc', 'qdisc', 'del', 'dev', 'ruei-mtun-00001', 'clsact');
  await collector.run('ip', 'link', 'set', 'dev', 'ruei-mtun-00000', 'down');
  // As if a start had crashed between `l2tp add tunnel` and `l2tp add session` for the second line.
  await collector.run('ip', 'l2tp', 'del', 'tunnel', 'tunnel_id', '4242');
  await new Promise((r) => setTimeout(r, 1000));
  await collector.run('ip', 'l2tp', 'add', 'tunnel', 'tunnel_id', '4242', 'peer_tunnel_id', '4242', 'encap', 'ip', 'local', COLLECTOR_IP, 'remote', '10.10.10.12');
  const check = await lab.cli('diag', 'tunnels', 'check');
  assert.equal(check.code, 1, 'the check sees the damage');
  assert.match(check.stdout, /ruei-mtun-00000 is down/);
  const repair = await lab.cliOk('reload');
  assert.match(repair.stdout, /1 replaced \(ruei-mtun-00001\), 1 repaired \(ruei-mtun-00000\)/);
  assert.match(repair.stderr, /\[#\] tc filter add block 1381320009 pref 49000 /);
  assert.equal((await collector.run('cat', '/sys/class/net/ruei-mtun-00000/ifindex')).stdout.trim(), ifindex, 'repaired in place, not recreated');
  assert.equal(await framesArrive(lab, sender, dir, 'beef0002'), 3);
  assert.equal((await lab.cli('diag', 'tunnels', 'check')).code, 0);

  // The same tunnel ID with another transmit address: the tunnel is replaced (deleted, waited for, added again).
  await writeLines(lab.config, [configLine(sender), `${COLLECTOR_IP} 10.10.10.13 - 4242`]);
  assert.match((await lab.cliOk('reload')).stdout, /0 added, 0 removed, 1 replaced \(ruei-mtun-0000\d\), 0 repaired, 1 unchanged/);
  const tunnels = JSON.parse((await collector.run('ip', '-j', 'l2tp', 'show', 'tunnel')).stdout) as Array<{ tunnel_id: number; peer: string }>;
  assert.equal(tunnels.find((x) => x.tunnel_id === 4242)?.peer, '10.10.10.13');
  assert.equal((await collector.run('cat', '/sys/class/net/ruei-mtun-00000/ifindex')).stdout.trim(), ifindex, 'the other tunnel was not touched');

  // ruei-mtun deleted: the filter's mirred loses its target; reload recreates both.
  await collector.run('ip', 'link', 'del', 'dev', 'ruei-mtun');
  const again = await lab.cliOk('reload');
  assert.match(again.stderr, /\[#\] ip link add ruei-mtun type dummy\n[\s\S]*\[#\] tc filter del block 1381320009 pref 49000\n\[#\] tc filter add block/);
  assert.equal(await framesArrive(lab, sender, dir, 'beef0003'), 3);
  assert.deepEqual((await lab.cliOk('reload')).stdout.match(/0 command\(s\) run/)?.length, 1, 'and then the kernel is as configured');

  await lab.cliOk('stop');
  assert.equal(await kernelSnapshot(other), otherState, 'collector B never changed');
  const otherStop = await exec(other.argv(process.execPath, CLI, '--config', otherConfig, 'stop'));
  assert.equal(otherStop.code, 0, otherStop.stderr);
});
