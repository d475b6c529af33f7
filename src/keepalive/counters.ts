// Reads the transmit side's cumulative counters (tc mirror filters on the NIC, the veth/bridge/session chain) for the keepalive.
import { readInterfaceCounter } from '../kernel/interface-counters.js';
import { exec, execOrThrow } from '../kernel/exec.js';
import { parseFilters, type Hook, type TcFilter } from '../kernel/tc.js';
import { isOurPolice, parsePoliceActions } from '../kernel/tc-police.js';
import { BRIDGE, FIRST_MIRROR_PREF, MAX_PREF, SESSION_IF, VETH_IN, VETH_OUT } from '../model/transmit.js';
import type { SenderCounters } from './frame.js';

export interface CounterSources {
  /** Where the interfaces' statistics directories are: /sys/class/net (a fake tree in tests). */
  readonly sysfsRoot?: string;
  /** The output of `tc -s -j filter show dev DEV HOOK`. */
  readonly tcFilters?: (dev: string, hook: Hook) => Promise<string>;
  /** The output of `tc -s -j actions ls action police` ("" when there are none). */
  readonly policeActions?: () => Promise<string>;
}

// tc reads with the rtnl lock held; a stuck read must cost one keepalive's counters, not the keepalive itself.
const TC_TIMEOUT_MS = 5000;

async function tcFiltersOf(dev: string, hook: Hook): Promise<string> {
  return (await execOrThrow(['tc', '-s', '-j', 'filter', 'show', 'dev', dev, hook], { timeoutMs: TC_TIMEOUT_MS })).stdout;
}

async function policeActionsOf(): Promise<string> {
  // Without act_police loaded tc fails to list the kind: then there is no budget and nothing was shed.
  const result = await exec(['tc', '-s', '-j', 'actions', 'ls', 'action', 'police'], { timeoutMs: TC_TIMEOUT_MS });
  return result.code === 0 ? result.stdout : '';
}

/**
 * The counters a v2 keepalive carries. Throws (naming the interface or command) when one cannot be read, which is
 * what happens when the transmit side is stopped and its interfaces are gone: the caller then sends no counters.
 */
export async function readSenderCounters(mirrorIf: string, deps: CounterSources = {}): Promise<SenderCounters> {
  const root = deps.sysfsRoot ?? '/sys/class/net';
  const tcFilters = deps.tcFilters ?? tcFiltersOf;
  const stat = (dev: string, name: string) => readInterfaceCounter(dev, name, root);
  // tc first (a process: milliseconds, much more under emulation), then the interfaces' counters in one synchronous
  // burst, ruei-tun1's last: the caller sends the keepalive right after, and a frame sent between the read of `sent`
  // and the keepalive counts at the collector before it counts here (the receive side balances that over the next
  // interval, but the shorter the gap, the more exact each interval).
  const [ingress, egress] = await Promise.all([tcFilters(mirrorIf, 'ingress'), tcFilters(mirrorIf, 'egress')]);
  const ours = [...parseFilters(ingress, mirrorIf, 'ingress'), ...parseFilters(egress, mirrorIf, 'egress')].filter(isOurMirror);
  // The police actions are listed only when a mirror filter binds one (a budget is set): one process less per keepalive.
  const police = ours.some((f) => f.police.length > 0) ? await (deps.policeActions ?? policeActionsOf)() : '';
  const vethIn = [stat(VETH_IN, 'tx_errors'), stat(VETH_IN, 'tx_dropped')] as const;
  const vethOut = [stat(VETH_OUT, 'rx_errors'), stat(VETH_OUT, 'rx_dropped')] as const;
  const bridge = [stat(BRIDGE, 'tx_errors'), stat(BRIDGE, 'tx_dropped')] as const;
  const tun = [stat(SESSION_IF, 'tx_errors'), stat(SESSION_IF, 'tx_dropped'), stat(SESSION_IF, 'tx_bytes'), stat(SESSION_IF, 'tx_packets')] as const;
  const chain = {
    [VETH_IN]: { txErrors: vethIn[0], txDropped: vethIn[1] },
    [VETH_OUT]: { rxErrors: vethOut[0], rxDropped: vethOut[1] },
    [BRIDGE]: { txErrors: bridge[0], txDropped: bridge[1] },
    [SESSION_IF]: { txPackets: tun[3], txBytes: tun[2], txErrors: tun[0], txDropped: tun[1] },
  };
  return {
    mirrored: sum(ours.map((f) => f.packets)),
    mirrorDrops: sum(ours.map((f) => f.drops)),
    sent: chain[SESSION_IF].txPackets,
    sentBytes: chain[SESSION_IF].txBytes,
    errors: sum([vethIn[0], vethOut[0], bridge[0], tun[0]]),
    // A frame the mirror queue cannot take (the mirror CPU's backlog is full) is counted twice by the kernel: as a tx
    // drop of ruei-veth1in (the handoff failed) and as an rx drop of ruei-veth1out (the backlog refused it). It is
    // summed once, as ruei-veth1in's; ruei-veth1out's stays in the chain for diagnosis.
    drops: sum([vethIn[1], bridge[1], tun[1]]),
    budgetShed: sum(parsePoliceActions(police).filter(isOurPolice).map((a) => a.overlimits)),
    chain,
  };
}

/**
 * Ours: in our pref range and mirroring into VETH_IN. The mirred must be the first action, because packets/drops are
 * the first action's counters. GUARD_PREF (the loop guard) copies nothing, so it is left out of the range.
 */
function isOurMirror(f: TcFilter): boolean {
  return f.pref >= FIRST_MIRROR_PREF && f.pref <= MAX_PREF && f.action === 'mirred' && f.mirred?.toDev === VETH_IN;
}

function sum(values: readonly number[]): number {
  const total = values.reduce((a, b) => a + b, 0);
  if (!Number.isSafeInteger(total)) throw new Error(`counter sum ${total} exceeds 2^53`);
  return total;
}
