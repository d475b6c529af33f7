// Network namespaces for kernel tests: unique names, commands run inside them, and removal that always happens.
import { exec, execOrThrow, type ExecResult } from '../../../src/kernel/exec.js';
import { ensureModules } from '../../../src/kernel/prerequisites.js';

let counter = 0;

export class Netns {
  constructor(readonly name: string) {}

  /** Runs argv inside the namespace; throws CommandError (naming the command and its stderr) on failure. */
  run(...argv: string[]): Promise<ExecResult> {
    return execOrThrow(['ip', 'netns', 'exec', this.name, ...argv]);
  }

  /** Runs argv inside the namespace and returns the result whatever the exit status. */
  probe(...argv: string[]): Promise<ExecResult> {
    return exec(['ip', 'netns', 'exec', this.name, ...argv]);
  }

  /** Runs several ip commands in one process ("link add ..." lines). */
  async ip(...lines: string[]): Promise<void> {
    await execOrThrow(['ip', '-n', this.name, '-batch', '-'], { input: lines.join('\n') + '\n' });
  }

  argv(...argv: string[]): string[] {
    return ['ip', 'netns', 'exec', this.name, ...argv];
  }

  /** ifindex by interface name: what a live change must leave alone. */
  async ifindexes(): Promise<Map<string, number>> {
    const links = JSON.parse((await this.run('ip', '-j', 'link', 'show')).stdout) as Array<{ ifname: string; ifindex: number }>;
    return new Map(links.map((l) => [l.ifname, l.ifindex]));
  }

  async linkStats(dev: string): Promise<{ rxPackets: number; txPackets: number; rxBytes: number; txBytes: number }> {
    const { stdout } = await this.run('ip', '-j', '-s', 'link', 'show', 'dev', dev);
    const link = (JSON.parse(stdout) as Array<{ stats64: { rx: { packets: number; bytes: number }; tx: { packets: number; bytes: number } } }>)[0]!;
    return { rxPackets: link.stats64.rx.packets, rxBytes: link.stats64.rx.bytes, txPackets: link.stats64.tx.packets, txBytes: link.stats64.tx.bytes };
  }
}

/** Where removals are registered: a node:test TestContext, or the demo's own list. */
export interface Cleanup {
  after(fn: () => unknown): unknown;
}

/**
 * Creates a namespace with loopback up, removed when the test ends (pass or fail). Names carry the process ID so
 * parallel or leftover runs never collide, and a prefix ("uxt-") that a cleanup can find.
 */
export async function createNetns(t: Cleanup, label: string): Promise<Netns> {
  const name = `uxt-${process.pid}-${++counter}-${label}`.slice(0, 40);
  await execOrThrow(['ip', 'netns', 'add', name]);
  t.after(() => removeNetns(name));
  const ns = new Netns(name);
  await ns.ip('link set lo up');
  return ns;
}

export async function removeNetns(name: string): Promise<void> {
  // Processes left inside (tcpdump, servers) would keep the namespace's devices alive: kill them first.
  const pids = await exec(['ip', 'netns', 'pids', name]);
  for (const pid of pids.stdout.split(/\s+/).filter(Boolean)) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  await exec(['ip', 'netns', 'del', name]);
}

/** A veth pair with one end in each namespace, each end given an address and brought up. */
export async function connect(a: Netns, aDev: string, aAddr: string, b: Netns, bDev: string, bAddr: string): Promise<void> {
  await execOrThrow(['ip', 'link', 'add', aDev, 'netns', a.name, 'type', 'veth', 'peer', 'name', bDev, 'netns', b.name]);
  await a.ip(`addr add ${aAddr} dev ${aDev}`, `link set ${aDev} up`);
  await b.ip(`addr add ${bAddr} dev ${bDev}`, `link set ${bDev} up`);
}

/**
 * Kernel tests need L2TP. Where it is missing they fail loudly instead of skipping: run them through the lab
 * (npm test does that by itself), never around it.
 */
export async function requireL2tp(): Promise<void> {
  try {
    await ensureModules(['l2tp_eth', 'l2tp_ip', 'veth']);
  } catch (error) {
    throw new Error(`this kernel cannot run the kernel tests (${(error as Error).message}); run them in the lab: npm test, or lab/run node --test dist/test/kernel`);
  }
}
