// The receive side's .rpm (the vendor's format) through rpm's own scriptlets: installed, started, upgraded while a
// tunnel carries traffic (its interfaces kept), then erased leaving the collector as before start. The lab's root is
// Debian's: its rpm database knows none of the packages the .rpm requires (glibc, iproute...), so installs use
// --nodeps (and Debian's rpm wants --force-debian); the dependencies themselves are checked in
// test/host/packages.test.ts against an rpm database that has them.
//
//   ns web (ux-tunnel-transmit from the tree) ==L2TPv3==> ns collector: ux-tunnel-receive from the .rpm
//   10.0.0.2 (nginx :80, mirror of port 80)              10.0.0.3, ruei-mtun-00000 --> ruei-mtun
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { requireL2tp } from './lib/netns.js';
import { scratchDir } from './lib/scratch.js';
import { COLLECTOR_IP, createTransmitLab, WEB_IP } from './lib/transmit-lab.js';
import { kernelSnapshot } from './lib/receive-lab.js';
import { mustPass, packageCommand, packageFile } from './lib/packages.js';

const RPM = ['rpm', '--force-debian', '--nodeps'];
const RECEIVE_CONF = '/opt/ruei/tunnel/receive/conf/tunnels.conf';

test('.rpm: rpm -i starts nothing, an upgrade reloads the running side keeping its tunnels, rpm -e leaves the collector as before', async (t) => {
  await requireL2tp();
  const dir = await scratchDir(t, 'uxt-pkg-rpm-');
  const lab = await createTransmitLab(t, dir);
  const env = { UX_TUNNEL_RUN_DIR: join(dir, 'run') };
  const rpm = packageFile('rpm', 'receive');
  t.after(() => packageCommand(null, { ...env, UX_TUNNEL_FORCE_REMOVE: '1' }, ...RPM, '-e', 'ux-tunnel-receive'));
  const collectorBefore = await kernelSnapshot(lab.collector);

  const installed = mustPass(await packageCommand(lab.collector, env, ...RPM, '-i', rpm), 'rpm -i');
  assert.match(installed.stdout, /ux-tunnel-receive: installed; nothing started/);
  assert.equal((await lab.collector.ifindexes()).has('ruei-mtun'), false, 'installing started nothing');
  const configs = mustPass(await packageCommand(null, env, 'rpm', '-qc', 'ux-tunnel-receive'), 'rpm -qc').stdout.trim().split('\n').sort();
  assert.deepEqual(configs, ['/etc/default/ux-tunnel-receive-monitor', '/etc/ux-tunnel/receive/tunnels.conf']);

  const line = `${COLLECTOR_IP} ${WEB_IP} - -`;
  await writeFile(RECEIVE_CONF, `${readFileSync(RECEIVE_CONF, 'utf8')}${line}\n`);
  mustPass(await packageCommand(lab.collector, env, '/opt/ruei/tunnel/receive/ux-tunnel-receive', 'start'), 'receive start');
  await lab.writeConfig('i80');
  await lab.cliOk('start');
  t.after(() => lab.cli('stop'));
  await lab.curl(`http://${WEB_IP}/small.txt`);
  const before = await lab.collector.ifindexes();
  const rxBefore = (await lab.collector.linkStats('ruei-mtun-00000')).rxPackets;
  assert.ok(rxBefore > 0, 'the tunnel carries the mirror');

  // An upgrade: rpm runs the new %post with 2 (reload) and the old %preun with 1 (nothing stopped). Reinstalling the
  // same build takes exactly that path.
  const upgraded = mustPass(await packageCommand(lab.collector, env, ...RPM, '-U', '--replacepkgs', rpm), 'rpm -U');
  assert.match(upgraded.stdout, /ruei-mtun exists: running \/usr\/bin\/ux-tunnel-receive reload/);
  assert.match(upgraded.stdout, /1 unchanged/);
  assert.ok(readFileSync(RECEIVE_CONF, 'utf8').includes(line), '%config(noreplace): the edited tunnels.conf was kept');
  const after = await lab.collector.ifindexes();
  for (const name of ['ruei-mtun', 'ruei-mtun-00000']) assert.equal(after.get(name), before.get(name), `${name} kept its ifindex`);
  assert.deepEqual(await lab.curl(`http://${WEB_IP}/small.txt`), Buffer.from('hello from the web namespace\n'));
  assert.ok((await lab.collector.linkStats('ruei-mtun-00000')).rxPackets > rxBefore, 'the mirror still arrives after the upgrade');

  await lab.cliOk('stop');
  mustPass(await packageCommand(lab.collector, env, ...RPM, '-e', 'ux-tunnel-receive'), 'rpm -e');
  assert.equal(await kernelSnapshot(lab.collector), collectorBefore, 'the collector as before start');
  assert.equal(existsSync('/usr/bin/ux-tunnel-receive'), false);
  // rpm's convention for an edited %config file on erase: kept as .rpmsave (rpm has no purge).
  assert.ok(existsSync('/etc/ux-tunnel/receive/tunnels.conf.rpmsave'), 'the edited tunnels.conf saved as .rpmsave');
  await packageCommand(null, env, 'rm', '-rf', '/etc/ux-tunnel');
});
