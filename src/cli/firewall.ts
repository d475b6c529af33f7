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
import { hasOption } from '../config/lines.js';
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
  const wireguard = wantsWireguard(configPath(side, stringFlag(args, 'config')));
  const before = await readStatus(runner, side, zone, wireguard);
  const out: string[] = [];
  if (action !== 'status') {
    if (before.backend === 'unknown') throw new UserError(`cannot ${action} the firewall: ${before.unknown}`);
    if (before.backend === 'none') {
      throw new UserError(`neither firewalld (firewall-cmd --state) nor nftables (nft) is present on this host, so there is no local firewall to ${action}; allow IP protocol 115 in any other firewall or cloud security list between the hosts (${HOW})`);
    }
    const operations = planFor(action, side, before, wireguard);
    await runner.apply(operations);
    out.push(describeChange(action, before, operations.length, runner.dryRun));
  }
  const after = action === 'status' || runner.dryRun ? before : await readStatus(runner, side, zone, wireguard);
  if (json) {
    const { ruleset: _omit, ...plain } = after;
    void _omit;
    process.stdout.write(`${JSON.stringify({ side, ...plain }, null, 2)}\n`);
  } else {
    out.push(...describeStatus(after, side));
    if (wireguard) out.push(`[info] the config has encrypted tunnels (wireguard=): UDP port ${WG_PORT} is part of "allowed" above`);
    process.stdout.write(out.map((line) => `${line}\n`).join(''));
  }
  if (after.mistakes.length > 0 && !json) {
    for (const mistake of after.mistakes) process.stderr.write(`[warn] ${mistake}: ${HOW}; that opening does not let the tunnel through (remove it unless something else needs it)\n`);
  }
  if (after.unknown && !json && after.backend !== 'unknown') process.stderr.write(`[warn] ${after.unknown}\n`);
  return action === 'status' && (!after.allowed || after.unknown) ? 1 : 0;
}

function planFor(action: 'open' | 'close', side: FirewallSide, status: FirewallStatus, wireguard: boolean) {
  if (status.backend === 'firewalld') {
    return action === 'open' ? firewalld.planOpen(side, status.zone!, wireguard) : firewalld.planClose(side, status.zone!, wireguard);
  }
  return action === 'open' ? nftables.planOpen(status.ruleset!, side, wireguard) : nftables.planClose(status.ruleset!);
}

/**
 * Whether the side's config has an encrypted tunnel, whose WireGuard port then needs opening too. Read leniently (the
 * firewall is not the place to report a broken config, start is): a missing or unreadable file means none.
 */
function wantsWireguard(file: string): boolean {
  try {
    return hasOption(readFileSync(file, 'utf8'), 'wireguard');
  } catch {
    return false;
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
