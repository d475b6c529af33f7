// Which lab VM runs which tests. One VM with a virtual CPU per core keeps only about 1.4 of this machine's 2 cores busy
// (a test waits for keepalives, timeouts and single-threaded tools much of the time), so npm test boots lab VMs side by
// side, one per lane, and gives each lane about the same amount of work: the longest first, each to the lane with the
// least so far. The lanes share the cores: more virtual CPUs than cores made every VM slower than running alone
// (emulated vCPUs preempted while holding the guest kernel's locks): measured on 2 cores, diag-path and firewall took
// 110 s in one 2-vCPU VM, 200 s each in two 2-vCPU VMs side by side, 121 s each in two 1-vCPU VMs (1.8 times the work
// per second). Each VM also isolates its tests from the other lanes' (their own root overlay, their own kernel).
import { availableParallelism, totalmem } from 'node:os';

/** Seconds each kernel test file took in a 1-vCPU lab VM beside another (CI's lanes on 2 cores): used only to balance the lanes. */
const KERNEL_SECONDS: Readonly<Record<string, number>> = {
  ansible: 1810, 'tunnel-health': 590, reassembly: 250, encryption: 285, 'packages-deb': 190, 'receive-malformed': 237,
  cookies: 195, udp: 186, 'e2e-deployment': 160, 'transmit-http': 139, 'mirror-order': 121, 'mirror-budget': 101,
  'source-pinning': 84, 'receive-repair': 81, 'receive-live': 76, firewall: 74, 'packages-rpm': 73, 'receive-traffic': 73,
  'receive-scale': 67, 'transmit-foreign': 64, install: 49, 'diag-path': 42, 'diag-traffic': 42, 'transmit-all': 37,
  'diag-monitor': 29, 'lab-l2tp': 7,
};
/** A file not in the table (a new test) counts as this many seconds until it is added. */
const UNKNOWN_SECONDS = 120;
/** Both boots of the systemd tier (the Ansible roles under systemd about 1180 s, lifecycle and reboot about 700 s). */
export const SYSTEMD_TIER_SECONDS = 1900;

export function kernelFileSeconds(file: string): number {
  const name = file.replace(/^.*\//, '').replace(/\.test\.[jt]s$/, '');
  return KERNEL_SECONDS[name] ?? UNKNOWN_SECONDS;
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
