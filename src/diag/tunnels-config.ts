// Compares detected tunnels with tunnels.conf: what is missing or wrong on either side, and the line that fixes it.
import type { DetectedTunnel } from './tunnels.js';
import { formatTunnelLine, type ReceiveTunnel } from '../config/tunnels.js';
import { describeTunnelId, formatIPv4 } from '../config/values.js';

export type Finding =
  /** Detected and configured exactly so. */
  | { readonly kind: 'configured'; readonly tunnel: DetectedTunnel; readonly line: number }
  /** Detected, and no line of tunnels.conf names its source address or its tunnel ID: add `fix`. */
  | { readonly kind: 'unconfigured'; readonly tunnel: DetectedTunnel; readonly fix: string }
  /** Detected, and a line names its source or its tunnel ID but differs in another field: replace that line by `fix`. */
  | { readonly kind: 'mismatch'; readonly tunnel: DetectedTunnel; readonly line: number; readonly configured: string; readonly fix: string; readonly reason: string; readonly hasOptions?: boolean }
  /** Configured, and no packet of it was seen. */
  | { readonly kind: 'unseen'; readonly line: number; readonly configured: string; readonly tunnelId: number; readonly udpPort?: number | null };

/** The tunnels.conf line for a detected tunnel: the tunnel-ID field is needed only when NAT changed the source. */
export function suggestedLine(tunnel: DetectedTunnel): string {
  return formatTunnelLine(tunnel.dstIp, tunnel.srcIp, tunnel.nat ? formatIPv4(tunnel.tunnelId) : undefined, null, tunnel.udpPort);
}

function configuredLine(c: ReceiveTunnel): string {
  return formatTunnelLine(c.receivingIp, c.transmitIp, c.explicitId ? formatIPv4(c.tunnelId) : undefined, null, c.udpPort);
}

/** An encrypted tunnel arrives decrypted as IP protocol 115, whatever crossed the network. */
const udpPortOf = (c: ReceiveTunnel): number | null => (c.wireguard ? null : c.udpPort);
const transportText = (port: number | null) => (port === null ? 'over IP protocol 115' : `over UDP port ${port}`);

/** One finding per detected tunnel (in order), then one per configured tunnel that nothing matched (in file order). */
export function compareWithConfig(detected: readonly DetectedTunnel[], configured: readonly ReceiveTunnel[]): Finding[] {
  const findings: Finding[] = [];
  const accounted = new Set<ReceiveTunnel>();
  const exact = (d: DetectedTunnel) => (c: ReceiveTunnel) => c.transmitIp === d.srcIp && c.tunnelId === d.tunnelId && c.receivingIp === d.dstIp && udpPortOf(c) === d.udpPort;
  for (const d of detected) {
    const match = configured.find(exact(d));
    if (match) {
      accounted.add(match);
      findings.push({ kind: 'configured', tunnel: d, line: match.line });
    }
  }
  for (const d of detected) {
    if (configured.some(exact(d))) continue;
    const fix = suggestedLine(d);
    // A line that shares the source address or the tunnel ID is the one meant for this tunnel: it needs correcting.
    const near =
      configured.find((c) => !accounted.has(c) && c.transmitIp === d.srcIp && c.tunnelId === d.tunnelId) ??
      configured.find((c) => !accounted.has(c) && c.tunnelId === d.tunnelId) ??
      configured.find((c) => !accounted.has(c) && c.transmitIp === d.srcIp);
    if (!near) {
      findings.push({ kind: 'unconfigured', tunnel: d, fix });
      continue;
    }
    accounted.add(near);
    let reason: string;
    if (near.tunnelId !== d.tunnelId) {
      reason = `tunnel ID ${describeTunnelId(near.tunnelId)} is configured, but the packets carry ${describeTunnelId(d.tunnelId)}` +
        (d.nat ? ' (the sender is behind NAT: its own address is the tunnel ID)' : '');
    } else if (near.transmitIp !== d.srcIp) {
      reason = `transmit-side-ip ${near.transmitIp} is configured, but the packets come from ${d.srcIp}` + (d.nat ? ' (NAT)' : '');
    } else if (near.receivingIp === d.dstIp) {
      reason = `the tunnel is configured ${transportText(udpPortOf(near))}, but the packets come ${transportText(d.udpPort)}`;
    } else {
      reason = `receiving-side-ip ${near.receivingIp} is configured, but the packets are sent to ${d.dstIp}`;
    }
    findings.push({ kind: 'mismatch', tunnel: d, line: near.line, configured: configuredLine(near), fix, reason, hasOptions: !!(near.cookie || near.wireguard) });
  }
  for (const c of configured) {
    if (!accounted.has(c)) findings.push({ kind: 'unseen', line: c.line, configured: configuredLine(c), tunnelId: c.tunnelId, udpPort: udpPortOf(c) });
  }
  return findings;
}

/** The plain-words line for a finding that needs action; null for a tunnel that is configured correctly. */
export function describeFinding(finding: Finding, file: string, seconds: number | null): string | null {
  switch (finding.kind) {
    case 'configured':
      return null;
    case 'unconfigured': {
      const t = finding.tunnel;
      return `tunnel ${describeTunnelId(t.tunnelId)} from ${t.srcIp} to ${t.dstIp} is not in ${file}: add the line "${finding.fix}"`;
    }
    case 'mismatch':
      // The options (a cookie: a secret, never printed) stay as they are: only the four fields are wrong.
      return `${file}:${finding.line}: "${finding.configured}": ${finding.reason}: replace ${finding.hasOptions ? 'its four fields' : 'the line'} with "${finding.fix}"${finding.hasOptions ? ' and keep its options (cookie=, wireguard=)' : ''}`;
    case 'unseen': {
      const during = seconds === null ? 'in the capture' : `in ${seconds}s`;
      return `${file}:${finding.line}: "${finding.configured}" (tunnel ID ${describeTunnelId(finding.tunnelId)}): no packets seen ${during}: ` +
        `check that ux-tunnel-transmit runs on the sender (it sends a keepalive every 20s) and that no firewall drops ${finding.udpPort ? `UDP port ${finding.udpPort}` : 'IP protocol 115'}; ` +
        'if the tunnel is listed above under another source address or ID, correct this line';
    }
  }
}
