// `ux-tunnel-receive status`: configured vs present tunnels, interface names, rx counters (--json for scripts).
import type { ParsedArgs } from '../args.js';
import { loadConfig, readConfigText, receiveConfigPath } from './common.js';
import { readReceiveState } from '../../kernel/receive-state.js';
import { systemRunner } from '../../kernel/runner.js';
import { aggregationRow, tunnelRows } from './tunnel-rows.js';
import { alignedRows } from '../../diag/table.js';

export async function runStatus(args: ParsedArgs): Promise<number> {
  const file = receiveConfigPath(args);
  const conf = loadConfig(file, readConfigText(file, true));
  const state = await readReceiveState(systemRunner({ echo: null }));
  const rows = tunnelRows(conf.tunnels, state);
  const aggregation = aggregationRow(state);
  const configured = rows.filter((r) => r.configured).length;
  const present = rows.filter((r) => r.configured && r.present).length;
  if (args.flags.get('json') === true) {
    process.stdout.write(`${JSON.stringify({ config: file, configured, present, aggregation, tunnels: rows }, null, 2)}\n`);
    return 0;
  }
  const agg = aggregation.present
    ? `${aggregation.interface} (ifindex ${aggregation.ifindex}): ${aggregation.tx!.packets} frames, ${aggregation.tx!.bytes} bytes aggregated`
    : `${aggregation.interface}: not present (stopped)`;
  process.stdout.write(`[info] config ${file}: ${configured} tunnel(s) configured, ${present} present\n[info] ${agg}\n`);
  const table = [['Line', 'Interface', 'Local IP', 'Remote IP', 'Tunnel-ID', 'State', 'Rx: packets', 'Rx: bytes', 'Rx: errors']];
  for (const r of rows) {
    const state = !r.configured ? 'not configured' : r.present ? 'present' : 'missing';
    table.push([r.line === null ? '-' : String(r.line), r.interface ?? '-', r.localIp, r.remoteIp, r.tunnelIdText, state,
      String(r.rx?.packets ?? '-'), String(r.rx?.bytes ?? '-'), String(r.rx ? r.rx.errors + r.rx.dropped : '-')]);
  }
  process.stdout.write(alignedRows(table).map((line) => `${line}\n`).join(''));
  return 0;
}
