// `ux-tunnel-receive stop`: remove every object the receive side owns (tunnels, sessions, qdiscs, filter, ruei-mtun).
import type { ParsedArgs } from '../args.js';
import { parseTunnelsConf } from '../../config/tunnels.js';
import { isDryRun, makeRunner, PROGRAM, readConfigText, receiveConfigPath, settle } from './common.js';
import { readSettledReceiveState } from '../../kernel/receive-state.js';
import { requireNetAdmin } from '../../kernel/prerequisites.js';
import { planReceiveStop } from '../../plan/receive.js';
import { sessionInterfaceIndex } from '../../model/receive.js';

export async function runStop(args: ParsedArgs): Promise<number> {
  const runner = makeRunner(isDryRun(args));
  // Removing loads no module (what exists is loaded already), and when nothing is there it needs no privilege either.
  const state = await readSettledReceiveState(runner);
  // The config only helps to claim orphan tunnels (no session yet); a broken or missing file must not block stop.
  let ids = new Set<number>();
  try {
    const file = receiveConfigPath(args);
    ids = new Set(parseTunnelsConf(file, readConfigText(file, true)).tunnels.map((t) => t.tunnelId));
  } catch {
    /* stop works from the kernel alone */
  }
  const operations = planReceiveStop(state, ids);
  if (operations.length > 0 && !runner.dryRun) requireNetAdmin(`${PROGRAM} stop`);
  const count = await runner.apply(operations);
  await settle(runner, state.sessions.map((s) => s.interface).filter((name) => sessionInterfaceIndex(name) !== null));
  const done = runner.dryRun ? `would run ${count} command(s)` : `${count} command(s) run`;
  process.stdout.write(`[info] stop: ${count === 0 ? 'nothing to remove' : 'removed every ruei-mtun object'}; ${done}\n`);
  return 0;
}
