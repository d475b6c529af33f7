// A reboot, first boot: what an operator does once on a collector and a web server (packages installed, configured,
// enabled with `systemctl enable --now`), on hosts that the boot itself creates (lab-hosts.service, hosts.ts). The
// job then ends, the lab shuts down cleanly (every unit stopped, as in `reboot`), and its changed files are the disk
// of the second boot (lab/run --persist), where after-reboot/reboot.test.ts finds what came back by itself.
//
//   ns lab-client 10.0.0.1 -- lab-lan (br0) -- ns lab-web 10.0.0.2: ux-tunnel-transmit (+ keepalive)
//                                     `------ ns lab-collector 10.0.0.3: ux-tunnel-receive (+ monitor) -> ruei-mtun
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { requireL2tp } from '../kernel/lib/netns.js';
import { hosts, HOSTS_UNIT, installHostsUnit } from './hosts.js';
import { installBothSides, isActive, RECEIVE, systemctl, systemctlOk, TRANSMIT } from './lib.js';

test('before a reboot: both sides installed, configured and enabled on hosts the boot creates', async () => {
  await requireL2tp();
  assert.equal((await readFile('/proc/1/comm', 'utf8')).trim(), 'systemd', 'the systemd lab: systemd is PID 1');
  await installHostsUnit();
  await systemctlOk('daemon-reload');
  await systemctlOk('enable', '--now', HOSTS_UNIT);
  const { web, collector } = hosts();
  await installBothSides(collector, web);
  await systemctlOk('enable', '--now', 'ux-tunnel-receive.service', 'ux-tunnel-transmit.service');
  for (const unit of [...RECEIVE, ...TRANSMIT]) assert.equal(await isActive(unit), 'active', unit);
  for (const unit of ['ux-tunnel-receive.service', 'ux-tunnel-transmit.service', HOSTS_UNIT]) {
    assert.equal((await systemctl('is-enabled', unit)).stdout.trim(), 'enabled', `${unit} is enabled`);
  }
  assert.ok((await collector.ifindexes()).has('ruei-mtun-00000'));
  assert.ok((await web.ifindexes()).has('ruei-tun1'));
});
