// `ux-tunnel-transmit status`: the tunnel, its interfaces, the mirror filters with counters, the keepalive's age.
import type { ParsedArgs } from '../args.js';
import { alignedRows, INFO, WARN } from '../../diag/table.js';
import { systemRunner } from '../../kernel/runner.js';
import { readTransmitState } from '../../kernel/transmit-state.js';
import type { TunnelConf } from '../../config/tunnel.js';
import { loadConfig, transmitConfigPath } from './common.js';
import { transmitReport } from './report.js';

/** Reads only (no root needed where ip/tc may read); exit 1 when something is wrong, so scripts need only the status. */
export async function runStatus(args: ParsedArgs): Promise<number> {
  const report = transmitReport(await readTransmitState(systemRunner({ echo: null })), tryConfig(args));
  const code = report.status === 'OK' ? 0 : 1;
  if (args.flags.get('json') === true) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return code;
  }
  const out: string[] = [];
  const t = report.tunnel;
  out.push(t ? `${INFO}Tunnel: ID ${t.tunnelIdText}, ${t.localIp} -> ${t.remoteIp}, ${t.udpPort ? `L2TPv3 over UDP (port ${t.udpPort})` : 'L2TPv3 over IP (protocol 115)'}, session ${t.sessionId}` : `${INFO}Tunnel: none`);
  out.push(...alignedRows([
    ['Interface', 'State', 'MTU', 'Master', 'Tx: packets', 'Tx: errors', 'Rx: packets', 'Rx: errors'],
    ...report.interfaces.map((i) => [
      i.name, i.present ? `${i.up ? 'UP' : 'DOWN'}${i.promisc ? ',PROMISC' : ''}` : 'missing', String(i.mtu ?? '-'), i.master ?? '-',
      String(i.tx?.packets ?? '-'), String(i.tx ? i.tx.errors + i.tx.dropped : '-'), String(i.rx?.packets ?? '-'), String(i.rx ? i.rx.errors + i.rx.dropped : '-'),
    ]),
  ]));
  if (report.filters.length === 0) out.push(`${INFO}Mirror: no filters`);
  else out.push(...alignedRows([['Mirror-IF', 'Hook', 'Pref', 'Protocol', 'Match', 'Action', 'Packets'], ...report.filters.map((f) => [f.dev, f.hook, String(f.pref), f.protocol, f.match, f.action, String(f.packets)])]));
  const k = report.keepalive;
  if (!k) out.push(`${INFO}Keepalive: never sent (is ux-tunnel-transmit-keepalive.service running? systemctl status ux-tunnel-transmit-keepalive)`);
  else out.push(`${k.stale ? WARN : INFO}Keepalive: ${k.lastSent ? `last sent ${k.ageSeconds}s ago (number ${k.seq}, every ${k.interval}s)` : 'not sent yet'}${k.lastError ? `; last error: ${k.lastError}` : ''}${k.stale ? '; the sender seems to have stopped: systemctl status ux-tunnel-transmit-keepalive' : ''}`);
  for (const p of report.problems) out.push(`[error] ${p}`);
  out.push(`${INFO}Status: ${report.status}`);
  process.stdout.write(`${out.join('\n')}\n`);
  return code;
}

/** The config helps to compare; status must work without it (a stopped or unconfigured host). */
export function tryConfig(args: ParsedArgs): TunnelConf | null {
  try {
    return loadConfig(transmitConfigPath(args));
  } catch {
    return null;
  }
}
