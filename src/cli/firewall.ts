// `firewall open|close|status` (both sides): allow IP protocol 115 with firewalld, else nftables, and flag port-115 mistakes.
import { stringFlag, UsageError, type ParsedArgs } from './args.js';
import { systemRunner, type KernelRunner } from '../kernel/runner.js';
import { requireNetAdmin } from '../kernel/prerequisites.js';
import * as firewalld from '../firewall/firewalld.js';
import * as nftables from '../firewall/nftables.js';
import { readStatus, type FirewallStatus } from '../firewall/status.js';
import type { FirewallSide } from '../firewall/side.js';
import { UserError } from './main.js';
import { readFileSync } from 'node:fs';
import { configPath } from '../config/paths.js';
import { hasOption, optionValues } from '../config/lines.js';
import { parseUdpPort } from '../config/tunnel-options.js';
import { WG_PORT } from '../transport/wireguard.js';

export { FIREWALL_VALUE_FLAGS } from './flags.js';

const HOW = 'L2TPv3 is IP protocol 115, not TCP or UDP port 115';

export async function runFirewall(args: ParsedArgs, side: FirewallSide, runner: KernelRunner = defaultRunner(args)): Promise<number> {
  const action = args.words[1];
  const zone = stringFlag(args, 'zone');
  const json = args.flags.has('json');
  if (action !== 'open' && action !== 'close' && action !== 'status') {
    throw new UsageError('firewall takes open, close or status');
  }
  if (action !== 'status' && !runner.dryRun) requireNetAdmin(`firewall ${action}`);
  const udpPorts = udpPortsOf(configPath(side, stringFlag(args, 'config')));
  const before = await readStatus(runner, side, zone, udpPorts);
  const out: string[] = [];
  if (action !== 'status') {
    if (before.backend === 'unknown') throw new UserError(`cannot ${action} the firewall: ${before.unknown}`);
    if (before.backend === 'none') {
      throw new UserError(`neither firewalld (firewall-cmd --state) nor nftables (nft) is present on this host, so there is no local firewall to ${action}; allow IP protocol 115 in any other firewall or cloud security list between the hosts (${HOW})`);
    }
    const operations = planFor(action, side, before, udpPorts);
    await runner.apply(operations);
    out.push(describeChange(action, before, operations.length, runner.dryRun));
  }
  const after = action === 'status' || runner.dryRun ? before : await readStatus(runner, side, zone, udpPorts);
  if (json) {
    const { ruleset: _omit, ...plain } = after;
    void _omit;
    process.stdout.write(`${JSON.stringify({ side, ...plain }, null, 2)}\n`);
  } else {
    out.push(...describeStatus(after, side));
    if (udpPorts.includes(WG_PORT)) out.push(`[info] the config has encrypted tunnels (wireguard=): UDP port ${WG_PORT} is part of "allowed" above`);
    const l2tpUdp = udpPorts.filter((p) => p !== WG_PORT);
    if (l2tpUdp.length > 0) out.push(`[info] the config has tunnels over UDP (udp=): UDP port(s) ${l2tpUdp.join(', ')} are part of "allowed" above`);
    process.stdout.write(out.map((line) => `${line}\n`).join(''));
  }
  if (after.mistakes.length > 0 && !json) {
    for (const mistake of after.mistakes) process.stderr.write(`[warn] ${mistake}: ${HOW}; that opening does not let the tunnel through (remove it unless something else needs it)\n`);
  }
  if (after.unknown && !json && after.backend !== 'unknown') process.stderr.write(`[warn] ${after.unknown}\n`);
  return action === 'status' && (!after.allowed || after.unknown) ? 1 : 0;
}

function planFor(action: 'open' | 'close', side: FirewallSide, status: FirewallStatus, udpPorts: readonly number[]) {
  if (status.backend === 'firewalld') {
    return action === 'open' ? firewalld.planOpen(side, status.zone!, udpPorts) : firewalld.planClose(side, status.zone!, udpPorts);
  }
  return action === 'open' ? nftables.planOpen(status.ruleset!, side, udpPorts) : nftables.planClose(status.ruleset!);
}

/**
 * The UDP ports the side's config needs open too: WireGuard's when a tunnel is encrypted, each udp= port. Read
 * leniently (the firewall is not the place to report a broken config, start is): a missing or unreadable file means none.
 */
function udpPortsOf(file: string): number[] {
  try {
    const text = readFileSync(file, 'utf8');
    const ports = optionValues(text, 'udp').map((v) => parseUdpPort(v)).filter((p): p is number => typeof p === 'number');
    return [...new Set([...(hasOption(text, 'wireguard') ? [WG_PORT] : []), ...ports])];
  } catch {
    return [];
  }
}

function describeChange(action: 'open' | 'close', status: FirewallStatus, count: number, dryRun: boolean): string {
  if (count === 0) return `[info] nothing to ${action}: ${action === 'open' ? 'IP protocol 115 is already allowed' : 'no rule of ux-tunnel is present'}`;
  const where = status.backend === 'firewalld' ? `firewalld zone ${status.zone} (runtime and permanent)` : 'nftables (runtime)';
  const verb = action === 'open' ? (dryRun ? 'would allow' : 'allowed') : (dryRun ? 'would remove' : 'removed');
  return `[info] ${verb} IP protocol 115 ${action === 'open' ? 'in' : 'from'} ${where}`;
}

function describeStatus(status: FirewallStatus, side: FirewallSide): string[] {
  const direction = side === 'receive' ? 'incoming' : 'outgoing';
  if (status.backend === 'unknown') return [`[warn] cannot tell whether ${direction} IP protocol 115 is allowed: ${status.unknown}`];
  if (status.backend === 'none') {
    return [`[info] no firewalld and no nftables on this host${status.unknown ? '' : `: nothing here filters ${direction} IP protocol 115`}`];
  }
  if (status.backend === 'firewalld') {
    return [
      `[info] firewalld zone ${status.zone}: ${direction} IP protocol 115 ${status.allowed ? 'allowed' : 'NOT allowed'} (runtime), ${status.permanent ? 'allowed' : 'NOT allowed'} (permanent)`,
    ];
  }
  const lines = status.chains!.length === 0
    ? [`[info] nftables has no ${side === 'receive' ? 'input' : 'output'} chain${status.unknown ? '' : `: nothing in nftables filters ${direction} IP protocol 115`}`]
    : status.chains!.map((c) => `[info] nftables chain ${c.chain}: ${direction} IP protocol 115 ${c.open ? 'allowed by ux-tunnel' : status.blockedBy?.includes(c.chain) ? 'blocked (policy drop, no ux-tunnel rule): ux-tunnel-* firewall open' : 'no ux-tunnel rule'}`);
  if (status.chains!.some((c) => c.open)) {
    lines.push('[info] nftables rules are runtime only: add "meta l4proto 115 accept" to the chain in /etc/nftables.conf to keep it across reboots');
  }
  return lines;
}

function defaultRunner(args: ParsedArgs): KernelRunner {
  return systemRunner({ dryRun: args.flags.has('dry-run'), echo: args.flags.has('json') ? null : undefined });
}
