// Reads the receive side's kernel state (links, L2TP tunnels and sessions, qdiscs, our block's filters) in one go.
import { existsSync } from 'node:fs';
import { listIpTables, readFragmentCounterState } from './fragment-count.js';
import { readPinState } from './source-pin.js';
import { readL2tp } from './l2tp.js';
import { readLinks } from './links.js';
import { readBlockFilters, readIngressQdiscs } from './tc-blocks.js';
import type { KernelRunner } from './runner.js';
import { readWgState } from './wireguard.js';
import { WG_RECEIVE_IF } from '../transport/wireguard.js';
import { MIRROR_BLOCK, sessionInterfaceIndex, type ReceiveKernelState } from '../model/receive.js';

/** `forPlanning`: also our nftables tables (fragment counter, source pinning: nft processes more; status need not). */
export async function readReceiveState(runner: KernelRunner, forPlanning = true): Promise<ReceiveKernelState> {
  const tables = forPlanning ? listIpTables(runner) : null;
  const [links, l2tp, ingressQdiscs, blockFilters, fragmentCounter, pin] = await Promise.all([
    readLinks(runner),
    readL2tp(runner),
    readIngressQdiscs(runner),
    readBlockFilters(runner, MIRROR_BLOCK),
    tables ? readFragmentCounterState(runner, tables) : Promise.resolve(undefined),
    tables ? readPinState(runner, tables) : Promise.resolve(undefined),
  ]);
  const wgLink = links.find((l) => l.name === WG_RECEIVE_IF);
  // Read for status too (a handful of processes): an encrypted tunnel's handshake is part of its health.
  const wireguard = await readWgState(runner, WG_RECEIVE_IF, wgLink ? (wgLink.kind ?? 'unknown') : null);
  return { links, tunnels: l2tp.tunnels, sessions: l2tp.sessions, ingressQdiscs, blockFilters, ipv6: existsSync('/proc/sys/net/ipv6'), fragmentCounter, pin, wireguard };
}

/**
 * `ip l2tp del tunnel` returns before the kernel has unregistered the session interfaces (a workqueue does it), so
 * a ruei-mtun-NNNNN without session and without link kind is one on its way out. Waits until they are gone, so
 * that a plan never mistakes them for interfaces to keep or names to avoid, and stop leaves nothing behind.
 */
export async function readSettledReceiveState(runner: KernelRunner, timeoutMs = 30_000): Promise<ReceiveKernelState> {
  return pollUntil(() => readReceiveState(runner), (state) => {
    const sessionIfs = new Set(state.sessions.map((s) => s.interface));
    return !state.links.some((l) => l.kind === null && sessionInterfaceIndex(l.name) !== null && !sessionIfs.has(l.name));
  }, timeoutMs);
}

/** Waits until none of `names` is an interface any more (after deleting their tunnels); returns those still there. */
export async function waitForLinksGone(runner: KernelRunner, names: readonly string[], timeoutMs = 30_000): Promise<string[]> {
  if (names.length === 0 || runner.dryRun) return [];
  const stillThere = async () => {
    const present = new Set((await readLinks(runner)).map((l) => l.name));
    return names.filter((n) => present.has(n));
  };
  return pollUntil(stillThere, (left) => left.length === 0, timeoutMs);
}

/** Waits until no L2TP tunnel has one of `tunnelIds` (their deletion finishes in a kernel workqueue). */
export async function waitForTunnelsGone(runner: KernelRunner, tunnelIds: readonly number[], timeoutMs = 30_000): Promise<number[]> {
  if (tunnelIds.length === 0 || runner.dryRun) return [];
  const stillThere = async () => {
    const { tunnels, sessions } = await readL2tp(runner);
    const present = new Set([...tunnels.map((t) => t.tunnelId), ...sessions.map((s) => s.sessionId)]);
    return tunnelIds.filter((id) => present.has(id));
  };
  return pollUntil(stillThere, (left) => left.length === 0, timeoutMs);
}

/** Reads every 100 ms until `done` holds or `timeoutMs` has passed; returns the last value read either way. */
async function pollUntil<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
