// Checks the collector's IPv4 reassembly limits: the defaults drop fragments of the tunnels' large frames under bursts.
import { readFileSync } from 'node:fs';

/** What the README's "Collector tuning" recommends (measured: with these, the lab's reassembly failures went to 0). */
export const RECOMMENDED_HIGH_THRESH = 64 * 1024 * 1024;
export const RECOMMENDED_MAX_DIST = 0;

export type SysctlReader = (name: string) => string | null;

const readProcSys: SysctlReader = (name) => {
  try {
    return readFileSync(`/proc/sys/${name.replaceAll('.', '/')}`, 'utf8').trim();
  } catch {
    return null;
  }
};

/**
 * One warning per setting below the recommendation, with the command that fixes it. Not applied automatically:
 * these are host-wide limits (every IP flow of the host, every network namespace's share), the operator's call.
 */
export function reassemblyWarnings(read: SysctlReader = readProcSys): string[] {
  const warnings: string[] = [];
  // Number(null) is 0: an unreadable setting must read as unknown, not as a limit of 0.
  const number = (name: string) => {
    const text = read(name);
    return text === null || text === '' ? NaN : Number(text);
  };
  const maxDist = number('net.ipv4.ipfrag_max_dist');
  const highThresh = number('net.ipv4.ipfrag_high_thresh');
  const fixes: string[] = [];
  if (Number.isFinite(maxDist) && maxDist !== RECOMMENDED_MAX_DIST) {
    warnings.push(`net.ipv4.ipfrag_max_dist is ${maxDist}: fragments of a tunnel frame that arrive interleaved with ${maxDist} others are dropped, and the whole mirrored frame with them`);
    fixes.push(`net.ipv4.ipfrag_max_dist=${RECOMMENDED_MAX_DIST}`);
  }
  if (Number.isFinite(highThresh) && highThresh < RECOMMENDED_HIGH_THRESH) {
    warnings.push(`net.ipv4.ipfrag_high_thresh is ${highThresh} bytes: bursts of fragmented tunnel frames exceed it and are dropped`);
    fixes.push(`net.ipv4.ipfrag_high_thresh=${RECOMMENDED_HIGH_THRESH}`);
  }
  if (fixes.length > 0) warnings.push(`recommended on a collector (README, "Collector tuning"): sysctl -w ${fixes.join(' ')}, and the same in /etc/sysctl.d/90-ux-tunnel.conf`);
  return warnings;
}
