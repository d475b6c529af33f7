// Helpers of the systemd lab's tests (lab/run --systemd: the host's systemd is PID 1 of the lab VM): the packages'
// units placed in the test's namespaces by drop-ins, systemctl and journalctl as an operator uses them.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { exec, type ExecResult } from '../../src/kernel/exec.js';
import type { Netns } from '../kernel/lib/netns.js';
import { mustPass, packageCommand, packageFile } from '../kernel/lib/packages.js';
import { COLLECTOR_IP, WEB_IP } from '../kernel/lib/transmit-lab.js';

export const UNIT_DIR = '/usr/lib/systemd/system';
export const RECEIVE = ['ux-tunnel-receive.service', 'ux-tunnel-receive-monitor.service'];
export const TRANSMIT = ['ux-tunnel-transmit.service', 'ux-tunnel-transmit-keepalive.service'];
export const TUNNELS_CONF = '/etc/ux-tunnel/receive/tunnels.conf';
const DROPIN = 'lab-netns.conf';

/** systemctl ARGS; never throws. */
export const systemctl = (...args: string[]): Promise<ExecResult> => exec(['systemctl', ...args], { timeoutMs: 300_000 });

export async function systemctlOk(...args: string[]): Promise<ExecResult> {
  const result = await systemctl(...args);
  if (result.code !== 0) {
    const unit = args.find((a) => a.endsWith('.service')) ?? '';
    const journal = unit ? (await exec(['journalctl', '-u', unit, '-b', '--no-pager', '-n', '30'])).stdout : '';
    throw new Error(`systemctl ${args.join(' ')} exited ${result.code}:\n${result.stdout}${result.stderr}\n${journal}`);
  }
  return result;
}

export async function journal(unit: string): Promise<string> {
  return (await exec(['journalctl', '-u', unit, '-b', '--no-pager', '-o', 'cat'])).stdout;
}

export async function mainPid(unit: string): Promise<number> {
  return Number((await systemctl('show', '-P', 'MainPID', unit)).stdout.trim());
}

export async function isActive(unit: string): Promise<string> {
  return (await systemctl('is-active', unit)).stdout.trim();
}

/**
 * A drop-in that runs every Exec line of `unit` (as the package ships it) inside `ns` with `ip netns exec`: the
 * units stay the package's own (ordering, Restart=, PartOf=, ExecStop...), only the network namespace is the test's
 * host. (NetworkNamespacePath= alone would leave /sys showing the lab's own interfaces.) `ip netns exec` itself needs
 * two things the hardened units withhold: CAP_SYS_ADMIN (setns, its own /sys mount) and the net and mount namespaces;
 * the drop-in adds only those to the units' own lists. `unitDir`: where the unit files are (the package's, unpacked,
 * when the drop-in must be there before the package is installed).
 */
export async function placeInNamespace(unit: string, ns: Pick<Netns, 'name'>, unitDir = UNIT_DIR): Promise<void> {
  const text = await readFile(`${unitDir}/${unit}`, 'utf8');
  const lines = ['[Service]', 'CapabilityBoundingSet=CAP_SYS_ADMIN', 'RestrictNamespaces=net mnt'];
  for (const match of text.matchAll(/^(Exec(?:Start|Reload|Stop))=(.*)$/gm)) {
    lines.push(`${match[1]}=`, `${match[1]}=/usr/bin/ip netns exec ${ns.name} ${match[2]}`);
  }
  await mkdir(`/etc/systemd/system/${unit}.d`, { recursive: true });
  await writeFile(`/etc/systemd/system/${unit}.d/${DROPIN}`, `${lines.join('\n')}\n`);
}

export async function removeDropIns(units: readonly string[]): Promise<void> {
  for (const unit of units) await rm(`/etc/systemd/system/${unit}.d`, { recursive: true, force: true });
}

/** After a test: both sides' units stopped and disabled, the drop-ins and the packages gone, systemd reloaded. */
export async function removeBothSides(): Promise<void> {
  await systemctl('disable', '--now', ...TRANSMIT, ...RECEIVE);
  await removeDropIns([...TRANSMIT, ...RECEIVE]);
  await packageCommand(null, { UX_TUNNEL_FORCE_REMOVE: '1' }, 'dpkg', '--purge', 'ux-tunnel-transmit', 'ux-tunnel-receive');
  await systemctl('daemon-reload');
}

export async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | null | undefined | false>): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/**
 * Both packages installed (dpkg -i, which starts nothing), their units placed in the hosts' namespaces, and the
 * configuration an operator writes: the web server's line added to tunnels.conf, tunnel.conf mirroring port 80.
 */
export async function installBothSides(collector: Pick<Netns, 'name'>, web: Pick<Netns, 'name'>): Promise<void> {
  mustPass(await packageCommand(null, {}, 'dpkg', '-i', packageFile('deb', 'transmit'), packageFile('deb', 'receive')), 'dpkg -i');
  for (const unit of [...TRANSMIT, ...RECEIVE]) {
    const state = await isActive(unit);
    if (state !== 'inactive') throw new Error(`installing started ${unit} (${state}): it must start nothing`);
  }
  for (const unit of RECEIVE) await placeInNamespace(unit, collector);
  for (const unit of TRANSMIT) await placeInNamespace(unit, web);
  await writeFile(TUNNELS_CONF, `${await readFile(TUNNELS_CONF, 'utf8')}${COLLECTOR_IP} ${WEB_IP} - -\n`);
  await writeFile('/etc/ux-tunnel/transmit/tunnel.conf', `${COLLECTOR_IP} ${WEB_IP} eth0 i80\n`);
  await systemctlOk('daemon-reload');
}
