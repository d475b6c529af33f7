// Which lab VM runs which tests. One VM with a virtual CPU per core keeps only about 1.4 of this machine's 2 cores busy
// (a test waits for keepalives, timeouts and single-threaded tools much of the time), so npm test boots lab VMs side by
// side, one per lane, and gives each lane about the same amount of work: the longest first, each to the lane with the
// least so far. The lanes share the cores: more virtual CPUs than cores made every VM slower than running alone
// (emulated vCPUs preempted while holding the guest kernel's locks): measured on 2 cores, diag-path and firewall took
// 110 s in one 2-vCPU VM, 200 s each in two 2-vCPU VMs side by side, 121 s each in two 1-vCPU VMs (1.8 times the work
// per second). Each VM also isolates its tests from the other lanes' (their own root overlay, their own kernel).
import { availableParallelism, totalmem } from 'node:os';

/**
 * Seconds each kernel test file took in a 1-vCPU lab VM beside another (CI's lanes on 2 cores; the run of 2026-12-02,
 * whose machine was about a fifth slower than the one before): used only to balance the lanes.
 */
const KERNEL_SECONDS: Readonly<Record<string, number>> = {
  ansible: 1900, 'tunnel-health': 600, encryption: 425, reassembly: 350, cookies: 250, 'receive-malformed': 235,
  'packages-deb': 230, 'e2e-deployment': 210, udp: 175, 'mirror-order': 140, 'mirror-budget': 137, 'transmit-http': 119,
  'receive-repair': 84, firewall: 81, 'receive-live': 78, 'source-pinning': 75, 'receive-scale': 73, install: 66,
  'receive-traffic': 66, 'packages-rpm': 64, 'diag-traffic': 60, 'transmit-foreign': 39, 'diag-path': 35,
  'transmit-all': 33, 'diag-monitor': 31, 'lab-l2tp': 11,
};
/**
 * The systemd tier's files, each a boot of the systemd lab of its own unless two land in one lane (then one boot runs
 * both); a file with a half in after-reboot/ counts that second boot too. Measured as above.
 */
const SYSTEMD_SECONDS: Readonly<Record<string, number>> = { ansible: 1900, lifecycle: 620, reboot: 320 };
/** A file not in the tables (a new test) counts as this many seconds until it is added. */
const UNKNOWN_SECONDS = 120;

const testName = (file: string) => file.replace(/^.*\//, '').replace(/\.test\.[jt]s$/, '');

export function kernelFileSeconds(file: string): number {
  return KERNEL_SECONDS[testName(file)] ?? UNKNOWN_SECONDS;
}

export function systemdFileSeconds(file: string): number {
  return SYSTEMD_SECONDS[testName(file)] ?? UNKNOWN_SECONDS;
}

export interface LaneItem<T> {
  readonly item: T;
  readonly seconds: number;
}

/** Longest first, each to the least loaded lane (ties: the lower lane). Lanes that get nothing are dropped. */
export function planLanes<T>(items: ReadonlyArray<LaneItem<T>>, lanes: number): T[][] {
  const plan = Array.from({ length: Math.max(1, lanes) }, () => ({ items: [] as T[], seconds: 0 }));
  const order = [...items].sort((a, b) => b.seconds - a.seconds);
  for (const { item, seconds } of order) {
    const lane = plan.reduce((best, candidate) => (candidate.seconds < best.seconds ? candidate : best));
    lane.items.push(item);
    lane.seconds += seconds;
  }
  return plan.filter((lane) => lane.items.length > 0).map((lane) => lane.items);
}

/** Each lab VM takes 4 GB and keeps more than half a core busy: one lane per core, as memory allows, at most 4. */
export const LAB_VM_BYTES = 4096 * 1024 * 1024;

/**
 * How many lab VMs run side by side: UX_TUNNEL_LANES when set (1 runs them one after the other, as before lanes),
 * otherwise one per core, but no more than memory holds (with 2 GB left for this host) and never more than 4.
 */
export function laneCount(env: NodeJS.ProcessEnv = process.env, cores = availableParallelism(), memory = totalmem()): number {
  const forced = env.UX_TUNNEL_LANES;
  if (forced !== undefined && forced !== '') {
    const n = Number(forced);
    if (!Number.isInteger(n) || n < 1) throw new Error(`UX_TUNNEL_LANES=${forced}: must be a whole number of lab VMs, 1 or more`);
    return n;
  }
  const byMemory = Math.floor((memory - 2 * 1024 ** 3) / LAB_VM_BYTES);
  return Math.max(1, Math.min(cores, byMemory, 4));
}

/** Virtual CPUs per lab VM: the cores shared out among the lanes, never more vCPUs in all than cores (at least 1). */
export function laneCpus(lanes: number, cores = availableParallelism()): number {
  return Math.max(1, Math.floor(cores / Math.max(1, lanes)));
}
