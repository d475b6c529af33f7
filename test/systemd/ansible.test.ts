// The Ansible roles with their defaults under a real systemd (the systemd lab: systemd is PID 1): the packages
// installed by the roles from .deb files through apt, the units enabled and started by systemctl, the collector's own
// nftables firewall (input policy drop) opened by `firewall open`, the play's check; a second run changes nothing;
// `ux_tunnel_state: absent` leaves both hosts as before. The fleet itself (moves, additions) is the kernel lab's
// ansible.test.ts; this one covers what that one sets aside (package_source file, service_manager systemd, firewall).
//
//   ns client 10.0.0.1 --curl--> ns web 10.0.0.2 (web1: transmit role)  ==L2TPv3==>  ns collector 10.0.0.3 (coll1:
//                                nginx :80, ux-tunnel-transmit.service               receive role, nft input drop)
//   (ansible-playbook in the lab's own namespace; each host reached by SSH: sshd -i inside its namespace. The units
//    run in their host's namespace by a drop-in the test writes before the roles install them: lib.ts)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { requireL2tp, type Netns } from '../kernel/lib/netns.js';
import { scratchDir } from '../kernel/lib/scratch.js';
import { COLLECTOR_IP, createTransmitLab, WEB_IP } from '../kernel/lib/transmit-lab.js';
import { kernelSnapshot } from '../kernel/lib/receive-lab.js';
import { packageFile } from '../kernel/lib/packages.js';
import { startCapture } from '../kernel/lib/capture.js';
import { compareStreams } from '../kernel/lib/traffic.js';
import { changedHosts, createAnsibleController, playFailure } from '../kernel/lib/ansible-controller.js';
import { exec, execOrThrow } from '../../src/kernel/exec.js';
import { isActive, placeInNamespace, RECEIVE, removeBothSides, systemctl, TRANSMIT, UNIT_DIR } from './lib.js';

/** The collector's own firewall, as a host's: inbound dropped unless answered or local. */
const HOST_FIREWALL = [
  ['add', 'table', 'inet', 'hostfw'],
  ['add', 'chain', 'inet', 'hostfw', 'input', '{ type filter hook input priority 0 ; policy drop ; }'],
  ['add', 'rule', 'inet', 'hostfw', 'input', 'ct', 'state', 'established,related', 'accept'],
  ['add', 'rule', 'inet', 'hostfw', 'input', 'iif', 'lo', 'accept'],
];

const APT_OFFLINE = '/etc/apt/apt.conf.d/99ux-tunnel-lab-offline';
const packageStatus = async (name: string) => (await exec(['dpkg-query', '-W', '-f', '${db:Status-Status}', name])).stdout.trim() || 'not-installed';
const ruleset = async (ns: Netns) => (await ns.run('nft', 'list', 'ruleset')).stdout;

test('under systemd: the roles install the packages from files, enable the units, open the firewall and verify; again changed=0; absent leaves both hosts as before', { timeout: 60 * 60_000 }, async (t) => {
  await requireL2tp();
  assert.equal((await readFile('/proc/1/comm', 'utf8')).trim(), 'systemd', 'the systemd lab: systemd is PID 1');
  const dir = await scratchDir(t, 'uxt-ansible-systemd-');
  const lab = await createTransmitLab(t, dir);
  t.after(async () => {
    await removeBothSides();
    // The copies the roles made on the hosts (which share the lab's root).
    for (const side of ['transmit', 'receive'] as const) await rm(join('/var/tmp', basename(packageFile('deb', side))), { force: true });
  });
  for (const command of HOST_FIREWALL) await lab.collector.run('nft', ...command);
  // The hosts install from a file with no repository lists (an offline host): apt takes the .debs' dependencies from
  // what is installed. With this machine's lists apt's cache took minutes to open on an emulated CPU (1.4 s natively),
  // four times a run. The file and the empty directory are in the lab VM's own root overlay, removed after the test.
  const emptyLists = await mkdtemp(join(tmpdir(), 'uxt-apt-lists-'));
  await mkdir(join(emptyLists, 'partial'));
  await writeFile(APT_OFFLINE, `Dir::State::Lists "${emptyLists}";\nDir::Cache::pkgcache "";\nDir::Cache::srcpkgcache "";\n`);
  t.after(() => Promise.all([rm(APT_OFFLINE, { force: true }), rm(emptyLists, { recursive: true, force: true })]));
  const before = { web: await lab.webSnapshot(), collector: await kernelSnapshot(lab.collector), webRules: await ruleset(lab.web), collectorRules: await ruleset(lab.collector) };

  // The units run in their host's namespace: drop-ins made from the packages' own unit files, in place before the
  // roles install the packages (whose postinst reloads systemd) and start the units.
  const unpacked = await mkdtemp(join(tmpdir(), 'uxt-units-'));
  t.after(() => rm(unpacked, { recursive: true, force: true }));
  for (const side of ['transmit', 'receive'] as const) await execOrThrow(['dpkg-deb', '-x', packageFile('deb', side), unpacked]);
  for (const unit of RECEIVE) await placeInNamespace(unit, lab.collector, join(unpacked, UNIT_DIR));
  for (const unit of TRANSMIT) await placeInNamespace(unit, lab.web, join(unpacked, UNIT_DIR));

  const controller = await createAnsibleController(t, dir);
  const inventory = join(dir, 'inventory.yml');
  const writeInventory = (state: 'present' | 'absent') => writeFile(inventory, `${JSON.stringify({
    all: { vars: { ux_tunnel_package_source: 'file', ux_tunnel_state: state, ux_tunnel_verify_timeout: 240 }, children: {
      ux_tunnel_collectors: { hosts: { coll1: { ...controller.hostVars('coll1', lab.collector), ux_tunnel_receiving_ip: COLLECTOR_IP, ux_tunnel_package_file: packageFile('deb', 'receive') } } },
      ux_tunnel_web_servers: { hosts: { web1: {
        ...controller.hostVars('web1', lab.web), ux_tunnel_collector: 'coll1', ux_tunnel_transmit_ip: WEB_IP, ux_tunnel_mirror_if: 'eth0', ux_tunnel_ports: ['i80'],
        ux_tunnel_package_file: packageFile('deb', 'transmit'),
      } } },
    } },
  }, null, 2)}\n`);

  await writeInventory('present');
  const first = await controller.play(inventory);
  assert.equal(playFailure(first), null, `first run: ${playFailure(first)}`);
  assert.deepEqual(changedHosts(first), ['coll1', 'web1'], 'the first run set up both hosts');
  for (const name of ['ux-tunnel-transmit', 'ux-tunnel-receive']) assert.equal(await packageStatus(name), 'installed', `${name} installed by the role`);
  for (const unit of [...TRANSMIT, ...RECEIVE]) assert.equal(await isActive(unit), 'active', `${unit} started`);
  for (const unit of ['ux-tunnel-transmit.service', 'ux-tunnel-receive.service']) {
    assert.equal((await systemctl('is-enabled', unit)).stdout.trim(), 'enabled', `${unit} enabled (it comes back after a reboot)`);
  }
  assert.match(await ruleset(lab.collector), /ux-tunnel: L2TP/, 'firewall open added its rule to the collector\'s own firewall');

  // The check passed, so a keepalive crossed the collector's firewall; a download's bytes are on ruei-mtun as on the wire.
  const filter = ['tcp', 'port', '80'];
  const wire = await startCapture(lab.client, 'eth0', join(dir, 'client.pcap'), filter);
  const mirrored = await startCapture(lab.collector, 'ruei-mtun', join(dir, 'mtun.pcap'), filter);
  assert.ok((await lab.curl(`http://${WEB_IP}/big.bin`)).equals(lab.big), 'the client got the file intact');
  const comparison = compareStreams([(await wire.stop()).packets], (await mirrored.stop()).packets, 80);
  assert.deepEqual(comparison.problems, [], 'the download on ruei-mtun');
  assert.ok(comparison.clientBytes > lab.big.length && comparison.collectorBytes === comparison.clientBytes, `${comparison.collectorBytes} of ${comparison.clientBytes} bytes`);

  const second = await controller.play(inventory);
  assert.equal(playFailure(second), null, `second run: ${playFailure(second)}`);
  assert.deepEqual(changedHosts(second), [], `the second run changed nothing:\n${second.output.slice(-3000)}`);

  await writeInventory('absent');
  const removal = await controller.play(inventory);
  assert.equal(playFailure(removal), null, `removal: ${playFailure(removal)}`);
  for (const unit of [...TRANSMIT, ...RECEIVE]) assert.notEqual(await isActive(unit), 'active', `${unit} stopped`);
  for (const name of ['ux-tunnel-transmit', 'ux-tunnel-receive']) assert.notEqual(await packageStatus(name), 'installed', `${name} removed`);
  assert.equal(await lab.webSnapshot(), before.web, 'the web server\'s links, qdiscs and filters as before');
  assert.equal(await kernelSnapshot(lab.collector), before.collector, 'the collector\'s kernel state as before');
  assert.equal(await ruleset(lab.web), before.webRules, 'the web server\'s firewall as before');
  assert.equal(await ruleset(lab.collector), before.collectorRules, 'the collector\'s firewall as before (its own table kept, our rule gone)');
  console.log(`[info] ansible-playbook runs under systemd: ${[first, second, removal].map((r) => `${r.seconds.toFixed(0)}s`).join(', ')}`);
});
