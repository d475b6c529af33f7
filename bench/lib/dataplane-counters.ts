// The data plane bench's counters (dataplane-lab.ts): interfaces, softnet, qdiscs, tc actions, WireGuard's silent
// drops and the IP layer, read in the lab's namespaces (`ns`: the label of each host and its namespace).
import { readFileSync } from 'node:fs';
import { exec, execOrThrow } from '../../src/kernel/exec.js';
import { parseWgSent, WG_SENT_LIST } from '../../src/transport/wireguard-sent.js';

export interface Hosts {
  readonly web: string;
  readonly collector: string;
  readonly lan: string;
}
/** argv run inside network namespace `ns`. */
export const inNs = (ns: string, ...argv: string[]) => ['ip', 'netns', 'exec', ns, ...argv];

export async function link(ns: string, dev: string): Promise<{ rxPackets: number; rxBytes: number; txPackets: number; txBytes: number; rxDropped: number; txDropped: number }> {
  const l = (JSON.parse((await execOrThrow(inNs(ns, 'ip', '-j', '-s', 'link', 'show', 'dev', dev))).stdout) as Array<{ stats64: Record<'rx' | 'tx', { packets: number; bytes: number; dropped: number }> }>)[0]!;
  return { rxPackets: l.stats64.rx.packets, rxBytes: l.stats64.rx.bytes, txPackets: l.stats64.tx.packets, txBytes: l.stats64.tx.bytes, rxDropped: l.stats64.rx.dropped, txDropped: l.stats64.tx.dropped };
}

/** Sum of the second column of /proc/net/softnet_stat (packets dropped because a CPU's backlog was full). */
export function softnetDrops(): number {
  return readFileSync('/proc/net/softnet_stat', 'utf8').trim().split('\n').reduce((sum, line) => sum + parseInt(line.trim().split(/\s+/)[1]!, 16), 0);
}

/** rx/tx dropped counters of every interface and qdisc drops, keyed "ns:dev:rx|tx|qdisc-KIND". */
export async function dropCounters(hosts: Hosts): Promise<Map<string, number>> {
  const found = new Map<string, number>();
  for (const [label, ns] of [['web', hosts.web], ['collector', hosts.collector], ['lan', hosts.lan]] as const) {
    const links = JSON.parse((await execOrThrow(inNs(ns, 'ip', '-j', '-s', 'link', 'show'))).stdout) as Array<{ ifname: string; stats64?: Record<'rx' | 'tx', { dropped: number; packets: number }> }>;
    for (const l of links) {
      found.set(`${label}:${l.ifname}:rx`, l.stats64?.rx.dropped ?? 0);
      found.set(`${label}:${l.ifname}:tx`, l.stats64?.tx.dropped ?? 0);
    }
    if (label === 'web') {
      // WireGuard drops what it cannot encrypt in time without counting it anywhere: ruei-tun1's packets less the
      // product's own count of WireGuard's data datagrams (src/transport/wireguard-sent.ts), as status reads it.
      const counted = await exec(inNs(ns, ...WG_SENT_LIST));
      const sent = counted.code === 0 ? parseWgSent(counted.stdout) : null;
      const tun = links.find((l) => l.ifname === 'ruei-tun1');
      if (sent !== null && tun?.stats64) found.set('web:ruei-wg1:silent', tun.stats64.tx.packets - sent);
    }
    const qdiscs = JSON.parse((await execOrThrow(inNs(ns, 'tc', '-s', '-j', 'qdisc', 'show'))).stdout || '[]') as Array<{ kind: string; dev: string; drops?: number }>;
    for (const q of qdiscs) found.set(`${label}:${q.dev}:qdisc-${q.kind}`, (found.get(`${label}:${q.dev}:qdisc-${q.kind}`) ?? 0) + (q.drops ?? 0));
    if (label !== 'web') continue;
    // The mirror's own tc actions count what they could not deliver (mirred into a device that refused the copy).
    for (const hook of ['ingress', 'egress']) {
      const filters = JSON.parse((await exec(inNs(ns, 'tc', '-s', '-j', 'filter', 'show', 'dev', 'eth0', hook))).stdout || '[]') as Array<{ pref: number; options?: { actions?: Array<{ kind?: string; index?: number; stats?: { drops?: number; overlimits?: number } }> } }>;
      for (const f of filters) for (const a of f.options?.actions ?? []) {
        // A police action's overlimits are the budget's shedding (one action bound by every mirror filter: keyed by
        // its index, once); a mirred's drops and overlimits are copies it could not deliver.
        if (a.kind === 'police') found.set(`web:police${a.index}:shed`, a.stats?.overlimits ?? 0);
        else found.set(`web:eth0:${hook}:pref${f.pref}:${a.kind}-drops`, (a.stats?.drops ?? 0) + (a.stats?.overlimits ?? 0));
      }
    }
  }
  return found;
}

/** The counters that grew, as "ns:dev:dir=N" (where frames were dropped during a run). */
export function grown(before: Map<string, number>, after: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, value] of after) if (value > (before.get(key) ?? 0)) out[key] = value - (before.get(key) ?? 0);
  return out;
}

/** Every Ip* / IpExt* counter of web and collector, keyed "ns:Counter". */
export async function ipCounters(hosts: Hosts): Promise<Map<string, number>> {
  const found = new Map<string, number>();
  for (const [label, ns] of [['web', hosts.web], ['collector', hosts.collector]] as const) {
    const all = (JSON.parse((await execOrThrow(inNs(ns, 'nstat', '-a', '-z', '-j'))).stdout) as { kernel: Record<string, number> }).kernel;
    for (const [k, v] of Object.entries(all)) if (/^Ip(Ext)?[A-Z]/.test(k) && !/Octets|Pkts$/.test(k)) found.set(`${label}:${k}`, v);
  }
  return found;
}

export async function nstat(ns: string, names: string[]): Promise<Record<string, number>> {
  const { stdout } = await execOrThrow(inNs(ns, 'nstat', '-a', '-z', '-j'));
  const all = (JSON.parse(stdout) as { kernel: Record<string, number> }).kernel;
  return Object.fromEntries(names.map((n) => [n, all[n] ?? 0]));
}
