// What every receive command shares: the config file in force, the runner, the kernel state, validation before change.
import { CommandError } from '../../kernel/exec.js';
import { stringFlag, UsageError, type ParsedArgs } from '../args.js';
import { UserError } from '../main.js';
import { readConfigFile } from '../config-file.js';
import { loadWgKey, requireWgTool } from '../wireguard-key.js';
import { ConfigErrors, formatWarning } from '../../config/errors.js';
import { configPath } from '../../config/paths.js';
import { checkReceivingIpsLocal, parseTunnelsConf, type TunnelsConf } from '../../config/tunnels.js';
import { readLocalIPv4Addresses } from '../../kernel/links.js';
import { ensureModules, requireNetAdmin } from '../../kernel/prerequisites.js';
import { readSettledReceiveState, waitForLinksGone, waitForTunnelsGone } from '../../kernel/receive-state.js';
import type { KernelRunner } from '../../kernel/runner.js';
import { RECEIVE_MODULES, type ReceiveKernelState } from '../../model/receive.js';
import { planReceive, sessionInterfacesOf, type ReceivePlan } from '../../plan/receive.js';
import type { PinMode } from '../../kernel/source-pin.js';

export const PROGRAM = 'ux-tunnel-receive';

export function receiveConfigPath(args: ParsedArgs): string {
  return configPath('receive', stringFlag(args, 'config'));
}

/**
 * Whether a missing tunnels.conf may read as "no tunnels": only the default path (a fresh install before the first
 * `config add`). A --config the user typed must exist: a typo must not look like an empty, healthy collector.
 */
export function missingConfigOk(args: ParsedArgs): boolean {
  return stringFlag(args, 'config') === undefined;
}

export function isDryRun(args: ParsedArgs): boolean {
  return args.flags.get('dry-run') === true;
}

/** The file's text; a missing file is a clear error unless `missingOk` (then it reads as empty). */
export function readConfigText(file: string, missingOk = false): string {
  return readConfigFile(file, { name: 'tunnels.conf', create: 'one line per web server, "receiving-side-ip transmit-side-ip - -" (or ux-tunnel-receive config add)' }, missingOk) ?? '';
}

/** Parses the file and prints its warnings (en dashes and the like) to stderr. */
export function loadConfig(file: string, text = readConfigText(file)): TunnelsConf {
  const conf = parseTunnelsConf(file, text);
  for (const warning of conf.warnings) process.stderr.write(`${PROGRAM}: ${formatWarning(warning)}\n`);
  return conf;
}

export { makeRunner } from '../main.js';

/** Root and modules first (a dry run needs neither and loads nothing), then the kernel state. */
export async function prepareKernel(command: string, runner: KernelRunner): Promise<ReceiveKernelState> {
  await requireKernel(command, runner);
  return readSettledReceiveState(runner);
}

/** Root and the modules, for a command about to change the kernel (a dry run needs neither). */
export async function requireKernel(command: string, runner: KernelRunner): Promise<void> {
  if (!runner.dryRun) {
    requireNetAdmin(`${PROGRAM} ${command}`);
    await ensureModules(RECEIVE_MODULES);
  }
}

/**
 * Plans start/reload/config changes and refuses, before any change, receiving IPs that are not local and kernel
 * objects we do not own that hold a configured ID.
 */
export async function planChecked(file: string, conf: TunnelsConf, state: ReceiveKernelState, runner: KernelRunner, pin: PinMode = 'keep'): Promise<ReceivePlan> {
  const local = await readLocalIPv4Addresses(runner);
  const errors = checkReceivingIpsLocal(file, conf.tunnels, local);
  if (errors.length > 0) throw new ConfigErrors(errors);
  const encrypted = conf.tunnels.some((t) => t.wireguard);
  if (encrypted) await requireWgTool(file);
  const plan = planReceive(conf.tunnels, state, pin, encrypted ? loadWgKey(file, PROGRAM, conf.tunnels) : null);
  if (plan.conflicts.length > 0) {
    throw new UserError(`${plan.conflicts.map((c) => `${file}: ${c}`).join('\n')}\nnothing was changed`, 1);
  }
  if (plan.pinProblem) throw new UserError(`${plan.pinProblem}; nothing was changed`, 4);
  return plan;
}

/** --source-pinning on|off of start and reload (default on). */
export function pinModeFlag(args: ParsedArgs): PinMode {
  const value = stringFlag(args, 'source-pinning') ?? 'on';
  if (value !== 'on' && value !== 'off') throw new UsageError(`--source-pinning must be on or off, not "${value}"`);
  return value;
}

/** Applies a plan and prints one summary line; returns the number of operations. */
export async function applyPlan(plan: ReceivePlan, runner: KernelRunner, verb: string, state: ReceiveKernelState): Promise<number> {
  let count: number;
  try {
    const split = runner.dryRun ? 0 : plan.replaceDeletesEnd;
    if (split > 0) {
      count = await runner.apply(plan.operations.slice(0, split));
      const replacedIds = plan.replaced.map((r) => r.tunnel.tunnelId);
      await waitForTunnelsGone(runner, replacedIds);
      await settle(runner, sessionInterfacesOf(state, replacedIds));
      count += await runner.apply(plan.operations.slice(split));
    } else count = await runner.apply(plan.operations);
  } catch (error) {
    // ip l2tp add tunnel connects the tunnel socket to the remote: without a route to it the kernel refuses.
    const remote = error instanceof CommandError && /Network is unreachable/.test(error.stderr) ? /remote (\S+)/.exec(error.argv.join(' '))?.[1] : undefined;
    if (remote) throw new UserError(`${error instanceof Error ? error.message : ''}\nthis host has no route to ${remote}: add one (ip route get ${remote}), or check the transmit-side-ip; the changes were rolled back`);
    throw error;
  }
  await settle(runner, sessionInterfacesOf(state, plan.removed));
  const names = (list: { ifname: string }[]) => (list.length > 0 ? ` (${list.map((p) => p.ifname).join(', ')})` : '');
  const parts = [
    `${plan.added.length} added${names(plan.added)}`,
    `${plan.removed.length} removed`,
    `${plan.replaced.length} replaced${names(plan.replaced)}`,
    `${plan.repaired.length} repaired${names(plan.repaired)}`,
    `${plan.kept.length} unchanged`,
  ];
  const done = runner.dryRun ? `would run ${count} command(s)` : `${count} command(s) run`;
  process.stdout.write(`[info] ${verb}: tunnels ${parts.join(', ')}; ${done}\n`);
  return count;
}

/** Returns once the interfaces of deleted tunnels are gone (the kernel removes them asynchronously). */
export async function settle(runner: KernelRunner, names: readonly string[]): Promise<void> {
  const left = await waitForLinksGone(runner, names);
  if (left.length > 0) process.stderr.write(`${PROGRAM}: warning: ${left.length} deleted interface(s) still present after 30 s (${left.slice(0, 3).join(', ')}...)\n`);
}
