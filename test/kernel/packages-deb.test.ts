// The .deb packages as an operator uses them (issue: native packages): installed with dpkg into the lab's root,
// configured with the vendor guide's own commands, started, upgraded while a client keeps fetching pages through the
// mirror, then removed and purged. The package scripts run inside the namespace of the side they manage.
//
//   ns client                ns lan (switch)              ns web: ux-tunnel-transmit from the .deb
//   +--------------+         +----------+         +----------------------------------------------------+
//   | eth0 10.0.0.1|--curl---| br0      |---------| eth0 10.0.0.2 nginx :80 --mirror--> ruei-tun1 ======+
//   | (capture)    |         |          |         +----------------------------------------------------+|
//   +--------------+         |          |         ns collector: ux-tunnel-receive from the .deb          |
//                            |          |---------| eth0 10.0.0.3 <== L2TPv3 ==========================+
//                            +----------+         | ruei-mtun-00000 --> ruei-mtun (capture)            |
//                                                 +----------------------------------------------------+
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { requireL2tp } from './lib/netns.js';
import { scratchDir } from './lib/scratch.js';
import { COLLECTOR_IP, createTransmitLab, WEB_IP } from './lib/transmit-lab.js';
import { kernelSnapshot } from './lib/receive-lab.js';
import { startFetchLoop } from './lib/fetch-loop.js';
import { debWithVersion, mustPass, packageCommand, packageFile, VERSION } from './lib/packages.js';
import { exec } from '../../src/kernel/exec.js';

const TRANSMIT_CONF = '/opt/ruei/tunnel/transmit/conf/tunnel.conf';
const RECEIVE_CONF = '/opt/ruei/tunnel/receive/conf/tunnels.conf';

test('.deb: the guide\'s commands work, NODE_* cannot steer it, an upgrade while mirroring loses no frame, removal and purge leave the hosts as before', async (t) => {
  await requireL2tp();
  const dir = await scratchDir(t, 'uxt-pkg-deb-');
  const lab = await createTransmitLab(t, dir);
  const env = { UX_TUNNEL_RUN_DIR: join(dir, 'run') };
  const [transmitDeb, receiveDeb] = [packageFile('deb', 'transmit'), packageFile('deb', 'receive')];
  // Whatever happens, the lab's root ends without the packages (the namespaces, and their tunnels, go first).
  t.after(() => packageCommand(null, { ...env, UX_TUNNEL_FORCE_REMOVE: '1' }, 'dpkg', '--purge', 'ux-tunnel-transmit', 'ux-tunnel-receive'));
  const webBefore = await lab.webSnapshot();
  const collectorBefore = await kernelSnapshot(lab.collector);

  const installed = mustPass(await packageCommand(null, env, 'dpkg', '-i', transmitDeb, receiveDeb), 'dpkg -i');
  assert.match(installed.stdout, /ux-tunnel-receive: installed; nothing started/);
  assert.equal(await lab.web.ifindexes().then((m) => m.has('ruei-tun1')), false, 'installing started nothing');

  // --version: the project's version on the package's own runtime (the pinned LTS), never the host's node.
  const version = mustPass(await exec(['/opt/ruei/tunnel/transmit/ux-tunnel-transmit', '--version']), '--version');
  assert.match(version.stdout, new RegExp(`^ux-tunnel-transmit ${VERSION.replaceAll('.', '\\.')}\\nNode\\.js v24\\.\\d+\\.\\d+ \\(the package's own runtime\\)`));
  assert.notEqual(version.stdout.includes(process.version), true, 'not the host\'s Node.js');

  // NODE_OPTIONS (--require), NODE_PATH and the rest cannot make the root-run command load anything. The same
  // variables do run the payload in the host's node: the control shows the check can fail.
  const marker = join(dir, 'steered');
  const payload = join(dir, 'payload.cjs');
  await writeFile(payload, `require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'loaded');\n`);
  const steering = { ...process.env, NODE_OPTIONS: `--require ${payload}`, NODE_PATH: dir, NODE_DEBUG: 'module' };
  const steered = await exec(['/usr/bin/ux-tunnel-receive', '--version'], { env: steering });
  assert.equal(steered.code, 0, steered.stderr);
  assert.equal(steered.stderr, '', 'NODE_DEBUG had no effect either');
  assert.equal(existsSync(marker), false, 'NODE_OPTIONS --require was ignored by the packaged command');
  await exec([process.execPath, '-e', '0'], { env: steering });
  assert.equal(existsSync(marker), true, 'control: the host\'s node does load the payload');

  // The vendor guide: "cd /opt/ruei/tunnel/transmit/conf && cp tunnel.conf.example tunnel.conf", then edit it.
  mustPass(await exec(['sh', '-c', 'cd /opt/ruei/tunnel/transmit/conf && cp tunnel.conf.example tunnel.conf']), 'the guide\'s cp');
  assert.ok(existsSync('/etc/ux-tunnel/transmit/tunnel.conf'), 'conf/ is the configuration directory under /etc');
  await writeFile(TRANSMIT_CONF, `${readFileSync(TRANSMIT_CONF, 'utf8')}${COLLECTOR_IP} ${WEB_IP} eth0 i80\n`);
  const tunnelsLine = `${COLLECTOR_IP} ${WEB_IP} - -`;
  await writeFile(RECEIVE_CONF, `${readFileSync(RECEIVE_CONF, 'utf8')}${tunnelsLine}\n`);
  mustPass(await packageCommand(lab.collector, env, '/opt/ruei/tunnel/receive/ux-tunnel-receive', 'start'), 'receive start');
  mustPass(await packageCommand(lab.web, env, 'sh', '-c', 'cd /opt/ruei/tunnel/transmit && ./ux-tunnel-transmit start'), 'transmit start');

  // A client fetches a page every 50 ms through the whole upgrade of both sides.
  const fetching = await startFetchLoop(lab.client, lab.collector, WEB_IP, dir, 'upgrade');
  const [collectorLinks, webLinks] = [await lab.collector.ifindexes(), await lab.web.ifindexes()];

  const next = `${VERSION}-2`;
  const upgradeReceive = mustPass(await packageCommand(lab.collector, env, 'dpkg', '-i', await debWithVersion(receiveDeb, next, dir)), 'receive upgrade');
  assert.match(upgradeReceive.stdout, /ruei-mtun exists: running \/usr\/bin\/ux-tunnel-receive reload/);
  assert.match(upgradeReceive.stdout, /1 unchanged/);
  const upgradeTransmit = mustPass(await packageCommand(lab.web, env, 'dpkg', '-i', await debWithVersion(transmitDeb, next, dir)), 'transmit upgrade');
  assert.match(upgradeTransmit.stdout, /ruei-tun1 exists: running \/usr\/bin\/ux-tunnel-transmit start/);
  const upgraded = await exec(['dpkg-query', '-W', '-f', '${Version}', 'ux-tunnel-receive']);
  assert.equal(upgraded.stdout, next);
  assert.ok(readFileSync(RECEIVE_CONF, 'utf8').includes(tunnelsLine), 'the edited tunnels.conf (a conffile) was kept');

  const { requests, comparison } = await fetching.stop();
  assert.ok(requests >= 20, `the client fetched ${requests} pages during the upgrades`);
  assert.deepEqual(comparison.problems, [], 'every TCP byte of the client\'s wire is on ruei-mtun, identical');
  assert.ok(comparison.connections >= requests, `${comparison.connections} connections compared`);
  for (const [ns, before, names] of [[lab.collector, collectorLinks, ['ruei-mtun', 'ruei-mtun-00000']], [lab.web, webLinks, ['ruei-tun1', 'ruei-veth1in']]] as const) {
    const after = await ns.ifindexes();
    for (const name of names) assert.equal(after.get(name), before.get(name), `${name} kept its ifindex through the upgrade`);
  }

  // Removal stops the side (the kernel as before start) and keeps the configuration; purge removes it.
  mustPass(await packageCommand(lab.web, env, 'dpkg', '-r', 'ux-tunnel-transmit'), 'dpkg -r');
  assert.equal(await lab.webSnapshot(), webBefore, 'the web server as before start');
  assert.equal(existsSync('/usr/bin/ux-tunnel-transmit'), false);
  assert.ok(existsSync('/etc/ux-tunnel/transmit/tunnel.conf'), 'dpkg -r keeps the configuration');
  mustPass(await packageCommand(null, env, 'dpkg', '--purge', 'ux-tunnel-transmit'), 'dpkg --purge transmit');
  assert.equal(existsSync('/etc/ux-tunnel/transmit'), false, 'purge removes the configuration, tunnel.conf included');
  mustPass(await packageCommand(lab.collector, env, 'dpkg', '--purge', 'ux-tunnel-receive'), 'dpkg --purge receive');
  assert.equal(await kernelSnapshot(lab.collector), collectorBefore, 'the collector as before start');
  for (const path of ['/etc/ux-tunnel', '/opt/ruei', '/usr/lib/ux-tunnel']) assert.equal(existsSync(path), false, `${path} removed`);
});
