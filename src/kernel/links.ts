// Readers of `ip -j -d -s link show` (interfaces with flags, MTU, kind and counters) and of the host's IPv4 addresses.
import type { KernelRunner } from './runner.js';

export interface LinkCounters {
  readonly packets: number;
  readonly bytes: number;
  readonly errors: number;
  readonly dropped: number;
}

export interface Link {
  readonly ifindex: number;
  readonly name: string;
  /** linkinfo.info_kind ("dummy", "veth", ...); null for devices without rtnl link ops (L2TP session interfaces). */
  readonly kind: string | null;
  readonly mtu: number;
  readonly up: boolean;
  readonly promisc: boolean;
  /** inet6_addr_gen_mode ("eui64", "none", ...); null when the kernel has no IPv6. */
  readonly addrGenMode: string | null;
  readonly rx: LinkCounters;
  readonly tx: LinkCounters;
}

interface RawCounters {
  packets?: number;
  bytes?: number;
  errors?: number;
  dropped?: number;
}
interface RawLink {
  ifindex: number;
  ifname: string;
  flags?: string[];
  mtu?: number;
  linkinfo?: { info_kind?: string };
  inet6_addr_gen_mode?: string;
  stats64?: { rx?: RawCounters; tx?: RawCounters };
}

const counters = (c: RawCounters | undefined): LinkCounters => ({
  packets: c?.packets ?? 0,
  bytes: c?.bytes ?? 0,
  errors: c?.errors ?? 0,
  dropped: c?.dropped ?? 0,
});

export function parseLinks(json: string): Link[] {
  if (json.trim() === '') return [];
  return (JSON.parse(json) as RawLink[]).map((l) => {
    const flags = l.flags ?? [];
    return {
      ifindex: l.ifindex,
      name: l.ifname,
      kind: l.linkinfo?.info_kind ?? null,
      mtu: l.mtu ?? 0,
      up: flags.includes('UP'),
      promisc: flags.includes('PROMISC'),
      addrGenMode: l.inet6_addr_gen_mode ?? null,
      rx: counters(l.stats64?.rx),
      tx: counters(l.stats64?.tx),
    };
  });
}

export async function readLinks(runner: KernelRunner): Promise<Link[]> {
  return parseLinks((await runner.read(['ip', '-j', '-d', '-s', 'link', 'show'])).stdout);
}

interface RawAddressLink {
  addr_info?: Array<{ family?: string; local?: string }>;
}

export function parseIPv4Addresses(json: string): Set<string> {
  const found = new Set<string>();
  if (json.trim() === '') return found;
  for (const link of JSON.parse(json) as RawAddressLink[]) {
    for (const a of link.addr_info ?? []) if (a.family === 'inet' && a.local) found.add(a.local);
  }
  return found;
}

/** The IPv4 addresses configured on this host's (namespace's) interfaces. */
export async function readLocalIPv4Addresses(runner: KernelRunner): Promise<Set<string>> {
  return parseIPv4Addresses((await runner.read(['ip', '-j', '-4', 'addr', 'show'])).stdout);
}
