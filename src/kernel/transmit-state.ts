// Reads the transmit side's kernel state in one go: links (with bridge masters), VETH_IN's addresses, L2TP, tc.
import { existsSync } from 'node:fs';
import { safeRead } from './prerequisites.js';
import { readL2tp } from './l2tp.js';
import { parseLinks } from './links.js';
import { readQdiscsAndFilters } from './tc.js';
import { readPoliceActions } from './tc-police.js';
import type { KernelRunner } from './runner.js';
import { readWgState } from './wireguard.js';
import { WG_TRANSMIT_IF } from '../transport/wireguard.js';
import { readWgSentGap, readWgSentState } from '../transport/wireguard-sent.js';
import { MIRROR_RPS_FILE, parseCpuList, parseCpuMask, SESSION_IF, VETH_IN, VETH_OUT, type TransmitKernelState } from '../model/transmit.js';

interface RawLink {
  ifname: string;
  master?: string;
  flags?: string[];
  addr_info?: Array<{ family?: string; local?: string }>;
}

/** Bridge port -> bridge, from `ip -j link show` (the receive side's parseLinks does not keep the master). */
export function parseMasters(json: string): Map<string, string> {
  const masters = new Map<string, string>();
  if (json.trim() === '') return masters;
  for (const l of JSON.parse(json) as RawLink[]) if (l.master) masters.set(l.ifname, l.master);
  return masters;
}

/**
 * `encrypted`: the config asks for encryption, so the count of WireGuard's sent packets is read even before ruei-wg1
 * exists (start must know whether nftables works); otherwise only when ruei-wg1 is there (no nft run, and no
 * nf_tables module loaded by one, on a web server that does not encrypt).
 */
export async function readTransmitState(runner: KernelRunner, encrypted = false): Promise<TransmitKernelState> {
  const linkJson = (await runner.read(['ip', '-j', '-d', '-s', 'link', 'show'])).stdout;
  const links = parseLinks(linkJson);
  const vethIn = (JSON.parse(linkJson || '[]') as RawLink[]).find((l) => l.ifname === VETH_IN);
  let vethInAddresses: string[] = [];
  if (vethIn) {
    const addr = await runner.probe(['ip', '-j', '-4', 'addr', 'show', 'dev', VETH_IN]);
    const parsed = addr.code === 0 && addr.stdout.trim() ? (JSON.parse(addr.stdout) as RawLink[]) : [];
    vethInAddresses = parsed.flatMap((l) => (l.addr_info ?? []).filter((a) => a.family === 'inet' && a.local).map((a) => a.local!));
  }
  const wgLink = links.find((l) => l.name === WG_TRANSMIT_IF);
  const [l2tp, tc, police, wireguard] = await Promise.all([readL2tp(runner), readQdiscsAndFilters(runner), readPoliceActions(runner),
    readWgState(runner, WG_TRANSMIT_IF, wgLink ? (wgLink.kind ?? 'unknown') : null)]);
  const wgSent = wgLink || encrypted ? await readWgSentState(runner) : undefined;
  return {
    links,
    masters: parseMasters(linkJson),
    vethInAddresses,
    vethInNoArp: vethIn?.flags?.includes('NOARP') ?? false,
    tunnels: l2tp.tunnels,
    sessions: l2tp.sessions,
    qdiscs: tc.qdiscs,
    sessionRootQdisc: tc.roots.get(SESSION_IF) ?? null,
    filters: tc.filters,
    police,
    ipv6: existsSync('/proc/sys/net/ipv6'),
    mirrorRpsMask: links.some((l) => l.name === VETH_OUT) ? parseCpuMask(safeRead(MIRROR_RPS_FILE)) : null,
    onlineCpus: parseCpuList(safeRead('/sys/devices/system/cpu/online')),
    wireguard,
    ...(wgSent ? { wgSent, wgSentGap: wgSent === 'present' ? await readWgSentGap(runner, SESSION_IF) : null } : {}),
  };
}
