// `ux-tunnel-transmit diag tunnel check`: the session row of the vendor tool; FAIL on drops, errors, missing or down links.
import type { ParsedArgs } from '../args.js';
import { alignedRows } from '../../diag/table.js';
import { systemRunner } from '../../kernel/runner.js';
import { readTransmitState } from '../../kernel/transmit-state.js';
import { SESSION_IF } from '../../model/transmit.js';
import { transmitReport } from './report.js';
import { tryConfig } from './status.js';

/** Exit 1 on FAIL, with one [error] line per reason. */
export async function runTunnelCheck(args: ParsedArgs): Promise<number> {
  const conf = tryConfig(args);
  const report = transmitReport(await readTransmitState(systemRunner({ echo: null })), conf);
  const tun = report.interfaces.find((i) => i.name === SESSION_IF);
  const row = {
    interface: SESSION_IF,
    localIp: report.tunnel?.localIp ?? conf?.transmitIp ?? '-',
    remoteIp: report.tunnel?.remoteIp ?? conf?.receivingIp ?? '-',
    txPackets: tun?.tx?.packets ?? 0,
    txErrors: tun?.tx ? tun.tx.errors + tun.tx.dropped : 0,
    status: report.status,
  };
  const code = report.status === 'OK' ? 0 : 1;
  if (args.flags.get('json') === true) {
    process.stdout.write(`${JSON.stringify({ ...row, problems: report.problems }, null, 2)}\n`);
    return code;
  }
  const lines = alignedRows([
    ['Interface', 'Local IP', 'Remote IP', 'Tx: packets', 'Tx: errors', 'Tunnel status'],
    [row.interface, row.localIp, row.remoteIp, String(row.txPackets), String(row.txErrors), row.status],
  ]);
  for (const p of report.problems) lines.push(`[error] ${p}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  return code;
}
