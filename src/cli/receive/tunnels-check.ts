// `ux-tunnel-receive diag tunnels check`: one row per tunnel; FAIL on errors/drops, missing interface or kernel objects.
import type { ParsedArgs } from '../args.js';
import { loadConfig, missingConfigOk, readConfigText, receiveConfigPath } from './common.js';
import { readReceiveState } from '../../kernel/receive-state.js';
import { systemRunner } from '../../kernel/runner.js';
import { aggregationRow, tunnelRows } from './tunnel-rows.js';
import { alignedRows } from '../../diag/table.js';
import { monitorStateFile, readMonitorState } from '../../monitor/state-file.js';

/** Exit 1 when any row (or ruei-mtun itself) is FAIL, so a monitoring script needs only the status. */
export async function runTunnelsCheck(args: ParsedArgs): Promise<number> {
  const file = receiveConfigPath(args);
  const conf = loadConfig(file, readConfigText(file, missingConfigOk(args)));
  const state = await readReceiveState(systemRunner({ echo: null }), false);
  // The kernel cannot tell a cookie mismatch (it only drops): the monitor's keepalives can.
  const monitor = readMonitorState(monitorStateFile());
  const health = new Map((monitor.running ? monitor.snapshot.tunnels : []).map((h) => [h.tunnelId, h]));
  const rows = tunnelRows(conf.tunnels, state).map((r) => {
    const mismatch = r.configured ? health.get(r.tunnelId)?.cookieMismatch : null;
    if (!mismatch) return r;
    return { ...r, status: 'FAIL' as const, problems: [...r.problems, `cookie mismatch (seen in ${mismatch.keepalives} keepalive(s), last ${mismatch.last}), the kernel drops all its frames: ${mismatch.reason}`] };
  });
  const aggregation = aggregationRow(state);
  const failed = rows.some((r) => r.status === 'FAIL') || aggregation.status === 'FAIL';
  if (args.flags.get('json') === true) {
    process.stdout.write(`${JSON.stringify({ status: failed ? 'FAIL' : 'OK', aggregation, tunnels: rows }, null, 2)}\n`);
    return failed ? 1 : 0;
  }
  const table = [['Interface', 'Local IP', 'Remote IP', 'Rx: packets', 'Rx: errors', 'Tunnel status']];
  for (const r of rows) {
    table.push([r.interface ?? '-', r.localIp, r.remoteIp, String(r.rx?.packets ?? 0), String(r.rx ? r.rx.errors + r.rx.dropped : 0), r.status]);
  }
  process.stdout.write(alignedRows(table).map((line) => `${line}\n`).join(''));
  for (const r of rows) for (const p of r.problems) process.stdout.write(`[error] ${r.interface ?? `line ${r.line}`} (tunnel ID ${r.tunnelIdText}): ${p}\n`);
  for (const p of aggregation.problems) process.stdout.write(`[error] ${p}\n`);
  if (rows.length === 0) process.stdout.write(`[info] no tunnels configured in ${file}\n`);
  return failed ? 1 : 0;
}
