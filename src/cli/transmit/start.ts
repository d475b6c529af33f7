// `ux-tunnel-transmit start|stop|restart`: build the virtual TAP and tunnel from tunnel.conf, or remove all of it.
import type { ParsedArgs } from '../args.js';
import { UserError } from '../main.js';
import { CommandError } from '../../kernel/exec.js';
import { formatPorts } from '../../config/tunnel.js';
import { describeTunnelId } from '../../config/values.js';
import { BUDGET_MODULES, SESSION_IF } from '../../model/transmit.js';
import { ensureModules, requireNetAdmin } from '../../kernel/prerequisites.js';
import { readTransmitState } from '../../kernel/transmit-state.js';
import { waitForLinksGone, waitForTunnelsGone } from '../../kernel/receive-state.js';
import { budgetTooOld } from '../../kernel/iproute2.js';
import { planStart, planStop, stateAfterStop } from '../../plan/transmit.js';
import { checkOnHost, isDryRun, loadConfig, makeRunner, prepareKernel, PROGRAM, transmitConfigPath } from './common.js';
import { systemRunner } from '../../kernel/runner.js';
import { loadWgKey, requireWgTool } from '../wireguard-key.js';

/**
 * start converges: it reads the kernel and adds only what is missing or different, so start on a running system
 * changes nothing and a crash half-way is repaired by the next start. Everything is validated first.
 */
export async function runStart(args: ParsedArgs, command = 'start', afterDryStop = false): Promise<number> {
  const file = transmitConfigPath(args);
  const conf = loadConfig(file); // validated before the kernel is even read
  const runner = makeRunner(isDryRun(args));
  const current = await prepareKernel(command, runner, conf.wireguard !== null);
  if (conf.budget && !runner.dryRun) {
    await ensureModules(BUDGET_MODULES);
    const old = budgetTooOld((await runner.probe(['tc', '-V'])).stdout);
    if (old) throw old;
  }
  // A dry-run restart plans start against the kernel as stop would leave it (stop did not really run).
  const state = afterDryStop ? stateAfterStop(current) : current;
  await checkOnHost(conf, state, runner);
  if (conf.wireguard) await requireWgTool(file);
  const plan = planStart(conf, state, conf.wireguard ? loadWgKey(file, PROGRAM, [conf]) : null);
  if (plan.conflicts.length > 0) throw new UserError(`${plan.conflicts.join('\n')}\nnothing was changed`);
  let count: number;
  try {
    const split = runner.dryRun ? 0 : plan.replaceDeletesEnd ?? 0;
    if (split > 0 && plan.replacedTunnelId !== undefined) {
      // The tunnel is replaced (e.g. moved to another collector): the kernel frees its ID and its session interface
      // asynchronously, and re-adding the same ID before that fails with "File exists".
      count = await runner.apply(plan.operations.slice(0, split));
      await waitForTunnelsGone(runner, [plan.replacedTunnelId]);
      await waitForLinksGone(runner, [SESSION_IF]);
      count += await runner.apply(plan.operations.slice(split));
    } else count = await runner.apply(plan.operations);
  } catch (error) {
    // ip l2tp add tunnel connects its socket to the remote: without a route to it the kernel refuses.
    if (error instanceof CommandError && /Network is unreachable/.test(error.stderr)) {
      throw new UserError(`${error.message}\nthis host has no route to ${conf.receivingIp}: add one (ip route get ${conf.receivingIp}), or check the receiving-side-ip in ${file}:${conf.line}; the changes were rolled back`);
    }
    throw error;
  }
  const done = runner.dryRun ? `would run ${count} command(s)` : `${count} command(s) run`;
  process.stdout.write(`[info] ${command}: ${SESSION_IF} ${conf.transmitIp} -> ${conf.receivingIp}, tunnel ID ${describeTunnelId(conf.tunnelId)}, mirroring ${formatPorts(conf.ports)} on ${conf.mirrorIf}; ${done}\n`);
  const nicMtu = state.links.find((l) => l.name === conf.mirrorIf)?.mtu;
  if (!runner.dryRun && nicMtu) {
    const path = await (await import('./diag-path.js')).pathLine(conf, nicMtu, systemRunner({ echo: null }));
    if (path) process.stdout.write(`${path}\n`);
  }
  if (!runner.dryRun) {
    const { currentKeepaliveSituation, keepaliveHint } = await import('./keepalive-hint.js');
    const hint = keepaliveHint(currentKeepaliveSituation());
    if (hint) process.stdout.write(`${hint}\n`);
  }
  return 0;
}

/**
 * stop works from the kernel alone (no config needed): our filters wherever they are, our tunnel, bridge and veth.
 * With --check-config (the unit's ExecStop) it first checks tunnel.conf and, when it is broken, removes nothing: the
 * vendor guide applies an edit with `systemctl stop` then `start`, and a typo must not leave the server without a
 * mirror (the start that follows fails on the same error; the running mirror stays until the file is fixed).
 */
export async function runStop(args: ParsedArgs, command = 'stop'): Promise<number> {
  if (args.flags.has('check-config')) {
    const file = transmitConfigPath(args);
    try {
      loadConfig(file);
    } catch (error) {
      process.stderr.write(`${PROGRAM}: ${command}: ${file} is broken, so the running mirror is left as it is (fix the file, then systemctl start ux-tunnel-transmit; to remove the mirror anyway: ${PROGRAM} stop)\n`);
      throw error;
    }
  }
  const runner = makeRunner(isDryRun(args));
  // Removing loads no module (what exists is loaded already), and when nothing is there it needs no privilege either.
  const state = await readTransmitState(runner);
  const operations = planStop(state);
  if (operations.length > 0 && !runner.dryRun) requireNetAdmin(`${PROGRAM} ${command}`);
  const count = await runner.apply(operations);
  const done = runner.dryRun ? `would run ${count} command(s)` : `${count} command(s) run`;
  process.stdout.write(`[info] ${command}: ${count === 0 ? 'nothing to remove' : 'removed the mirror, the tunnel and its interfaces'}; ${done}\n`);
  return 0;
}

/**
 * restart = stop + start, with the config validated before stop: a broken tunnel.conf leaves the running mirror
 * alone.
 */
export async function runRestart(args: ParsedArgs): Promise<number> {
  loadConfig(transmitConfigPath(args));
  await runStop(args, 'restart (stop)');
  return runStart(args, 'restart (start)', isDryRun(args));
}
