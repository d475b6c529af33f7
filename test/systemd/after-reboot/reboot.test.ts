// A reboot, second boot: the lab boots from the disk the first boot left (lab/run --persist; reboot.test.ts set it up)
// and nobody touches anything: the hosts come up (lab-hosts.service, before network-online.target), then the tunnel
// units by themselves, in that order, and a client's pages reach ruei-mtun byte for byte.
//
//   ns lab-client 10.0.0.1 --curl--> ns lab-web 10.0.0.2: nginx :80, ux-tunnel-transmit.service (enabled)
//                                       ruei-tun1 ==L2TPv3==> ns lab-collector 10.0.0.3: ux-tunnel-receive.service
//                                                              (enabled), ruei-mtun-00000 --> ruei-mtun
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { scratchDir } from '../../kernel/lib/scratch.js';
import { startNginx } from '../../kernel/lib/nginx.js';
import { startFetchLoop } from '../../kernel/lib/fetch-loop.js';
import { WEB_IP } from '../../kernel/lib/transmit-lab.js';
import { exec } from '../../../src/kernel/exec.js';
import { hosts, HOSTS_UNIT } from '../hosts.js';
import { isActive, journal, RECEIVE, systemctl, TRANSMIT, waitFor } from '../lib.js';

/** A unit property that is a monotonic timestamp (µs since boot). */
async function monotonic(unit: string, property: string): Promise<number> {
  return Number((await systemctl('show', '-P', property, unit)).stdout.trim());
}

test('after a reboot: the hosts, then the tunnels, came back by themselves after the network, and traffic flows', async (t) => {
  assert.equal((await readFile('/proc/1/comm', 'utf8')).trim(), 'systemd', 'the systemd lab: systemd is PID 1');
  assert.ok(existsSync(`/etc/systemd/system/${HOSTS_UNIT}`), 'the first boot\'s disk is here (test/systemd/reboot.test.ts ran in the boot before)');
  // The boot settles by itself; the job does not wait for multi-user.target, so this waits for the units' own end.
  for (const unit of [HOSTS_UNIT, ...RECEIVE, ...TRANSMIT]) {
    const state = await waitFor(`${unit} settled after the boot`, 300_000, async () => {
      const s = await isActive(unit);
      return s === 'active' || s === 'failed' ? s : null;
    });
    assert.equal(state, 'active', `${unit} came back at boot:\n${await journal(unit)}`);
  }
  // In order: the hosts (the network), network-online.target, then each tunnel unit.
  const online = await monotonic('network-online.target', 'ActiveEnterTimestampMonotonic');
  assert.ok(await monotonic(HOSTS_UNIT, 'ActiveEnterTimestampMonotonic') <= online, 'the hosts were up before network-online.target');
  for (const unit of ['ux-tunnel-receive.service', 'ux-tunnel-transmit.service']) {
    assert.ok(await monotonic(unit, 'InactiveExitTimestampMonotonic') >= online, `${unit} started after network-online.target`);
    assert.match(await journal(unit), /^\[#\] /m, `${unit} built its objects in this boot`);
  }
  const { client, web, collector } = hosts();
  assert.ok((await collector.ifindexes()).has('ruei-mtun-00000'), 'the collector\'s tunnel is back');
  assert.ok((await web.ifindexes()).has('ruei-tun1'), 'the web server\'s tunnel is back');

  // Traffic flows: the web site's pages (its own server, started as the site would be), fetched and mirrored.
  const dir = await scratchDir(t, 'uxt-reboot-');
  const www = join(dir, 'www');
  await mkdir(www);
  await writeFile(join(www, 'small.txt'), 'hello from the web namespace\n');
  await startNginx(web, dir, www);
  const nginx = Number(await readFile(join(dir, 'nginx.pid'), 'utf8'));
  t.after(() => process.kill(nginx, 'SIGTERM')); // the site's server; the hosts themselves stay, as on a server
  const fetching = await startFetchLoop(client, collector, WEB_IP, dir, 'after-reboot');
  const { requests, comparison } = await fetching.stop();
  assert.ok(requests >= 5, `${requests} pages fetched`);
  assert.deepEqual(comparison.problems, [], 'every TCP byte of the client\'s wire is on ruei-mtun, identical');
  // And the keepalive reaches the monitor: the collector knows the web server is up.
  await waitFor('the keepalive at the monitor', 90_000, async () => {
    const status = JSON.parse((await exec(collector.argv('/usr/bin/ux-tunnel-receive', 'status', '--json'))).stdout) as { tunnels: Array<{ health: { state: string } | null }> };
    return status.tunnels[0]?.health?.state === 'up';
  });
});
