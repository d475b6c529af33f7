// Text for the monitor's part of `status`: the monitor line, loss and age cells, unknown senders.
import { INFO, WARN } from '../../diag/table.js';
import type { MonitorState } from '../../monitor/state-file.js';
import type { HealthSnapshot, TunnelHealth } from '../../monitor/snapshot.js';

export function monitorLine(monitor: MonitorState): string {
  if (!monitor.running) {
    return `${WARN}monitor: ${monitor.why}; tunnel health needs it: systemctl start ux-tunnel-receive-monitor (or run ux-tunnel-receive monitor)`;
  }
  const s = monitor.snapshot;
  const odd = s.unknownKeepalives + s.malformedKeepalives > 0 ? `; ${s.unknownKeepalives} keepalive(s) from unknown senders, ${s.malformedKeepalives} malformed` : '';
  return `${INFO}monitor: running (pid ${s.pid}) since ${s.started}, loss warning above ${s.lossWarnPercent} %${odd}`;
}

/** "12 (0.50 %)"; the percentage with two decimals, so 1 lost frame of 10000 does not read as 0. */
export function formatLoss(lost: number, percent: number | null): string {
  return percent === null ? String(lost) : `${lost} (${percent.toFixed(2)} %)`;
}

export function formatAge(seconds: number | null): string {
  if (seconds === null) return 'never';
  if (seconds < 120) return `${seconds.toFixed(0)} s ago`;
  if (seconds < 7200) return `${(seconds / 60).toFixed(0)} min ago`;
  return `${(seconds / 3600).toFixed(1)} h ago`;
}

/** One problem per tunnel whose keepalives arrive with another cookie (the monitor's finding): its frames are all dropped. */
export function cookieProblems(rows: readonly { readonly line: number | null; readonly tunnelIdText: string; readonly remoteIp: string; readonly health: TunnelHealth | null }[]): string[] {
  return rows.filter((r) => r.health?.cookieMismatch).map((r) =>
    `line ${r.line}: tunnel ${r.tunnelIdText} (${r.remoteIp}): cookie mismatch (${r.health!.cookieMismatch!.keepalives} keepalive(s), last ${r.health!.cookieMismatch!.last}), the kernel drops all its frames: ${r.health!.cookieMismatch!.reason}`);
}

export function unknownSenderLines(snapshot: HealthSnapshot): string[] {
  return snapshot.unknownSenders.map((u) => {
    const why = u.reason === 'session' ? `tunnel ID ${u.sessionId} is not in tunnels.conf` : `tunnel ID ${u.sessionId} is configured for another transmit-side-ip`;
    return `keepalives from ${u.source} (host "${u.host ?? '?'}"): ${u.count}, last ${u.last}: ${why} (config add ${u.source} ... to monitor it)`;
  });
}
