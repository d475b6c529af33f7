// `ux-tunnel-receive start|reload`: make the kernel hold exactly the tunnels of tunnels.conf (only the difference).
import type { ParsedArgs } from '../args.js';
import { applyPlan, isDryRun, loadConfig, makeRunner, pinModeFlag, planChecked, prepareKernel, PROGRAM, receiveConfigPath } from './common.js';
import { reassemblyWarnings } from '../../kernel/reassembly.js';

/**
 * start and reload are the same convergence: read the kernel, plan the difference, apply it. start on a running
 * system changes nothing, and a crash in the middle of an apply is repaired by the next start or reload.
 */
export async function runStartOrReload(args: ParsedArgs, command: 'start' | 'reload'): Promise<number> {
  const file = receiveConfigPath(args);
  const conf = loadConfig(file); // validated before the kernel is even read
  const pin = pinModeFlag(args);
  const runner = makeRunner(isDryRun(args));
  const state = await prepareKernel(command, runner);
  const plan = await planChecked(file, conf, state, runner, pin);
  await applyPlan(plan, runner, command, state);
  if (conf.tunnels.length > 0) for (const warning of reassemblyWarnings()) process.stderr.write(`${PROGRAM}: warning: ${warning}\n`);
  return 0;
}
