// Helpers of the systemd lab's tests (lab/run --systemd: the host's systemd is PID 1 of the lab VM): the packages'
// units placed in the test's namespaces by drop-ins, systemctl and journalctl as an operator uses them.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { exec, type ExecResult } from '../../src/kernel/exec.js';
import type { Netns } from '../kernel/lib/netns.js';

export const UNIT_DIR = '/usr/lib/systemd/system';
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
 * host. (NetworkNamespacePath= alone would leave /sys showing the lab's own interfaces.)
 */
export async function placeInNamespace(unit: string, ns: Netns): Promise<void> {
  const text = await readFile(`${UNIT_DIR}/${unit}`, 'utf8');
  const lines = ['[Service]'];
  for (const match of text.matchAll(/^(Exec(?:Start|Reload|Stop))=(.*)$/gm)) {
    lines.push(`${match[1]}=`, `${match[1]}=/usr/bin/ip netns exec ${ns.name} ${match[2]}`);
  }
  await mkdir(`/etc/systemd/system/${unit}.d`, { recursive: true });
  await writeFile(`/etc/systemd/system/${unit}.d/${DROPIN}`, `${lines.join('\n')}\n`);
}

export async function removeDropIns(units: readonly string[]): Promise<void> {
  for (const unit of units) await rm(`/etc/systemd/system/${unit}.d`, { recursive: true, force: true });
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
