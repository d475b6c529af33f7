// The hosts of the reboot test, built at every boot of the systemd lab by lab-hosts.service, as a server's network
// configuration is: fixed namespace names (the units' drop-ins name them, and they must mean the same after a reboot),
// the same addresses and switch as the end-to-end tests (wireHosts). The unit is ordered before network-online.target,
// where a real server's network configuration sits, so a tunnel unit ordered wrongly would find no host to run in.
//
//   node dist/test/systemd/hosts.js up      (what lab-hosts.service runs)
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { execOrThrow } from '../../src/kernel/exec.js';
import { Netns } from '../kernel/lib/netns.js';
import { wireHosts } from '../kernel/lib/transmit-lab.js';

export const HOSTS = { lan: 'lab-lan', client: 'lab-client', web: 'lab-web', collector: 'lab-collector' } as const;
export const HOSTS_UNIT = 'lab-hosts.service';

export function hosts(): Record<keyof typeof HOSTS, Netns> {
  return { lan: new Netns(HOSTS.lan), client: new Netns(HOSTS.client), web: new Netns(HOSTS.web), collector: new Netns(HOSTS.collector) };
}

async function up(): Promise<void> {
  const all = hosts();
  for (const ns of Object.values(all)) {
    await execOrThrow(['ip', 'netns', 'add', ns.name]);
    await ns.ip('link set lo up');
  }
  await wireHosts(all.lan, all.client, all.web, all.collector);
}

/** Installs lab-hosts.service (enabled): the hosts exist at every boot from then on, before the network is online. */
export async function installHostsUnit(): Promise<void> {
  await writeFile(`/etc/systemd/system/${HOSTS_UNIT}`, `[Unit]
Description=Kernel lab: the test's hosts (network namespaces and their switch), as a server's network configuration
DefaultDependencies=no
After=local-fs.target
Wants=network.target
Before=network.target network-online.target
[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=${process.execPath} ${fileURLToPath(import.meta.url)} up
[Install]
WantedBy=network-online.target multi-user.target
`);
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === 'up') await up();
