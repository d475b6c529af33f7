// Checks the collector's IPv4 reassembly settings: a tunnel frame larger than the underlay's MTU crosses as IP
// fragments, and the collector's kernel reassembles them. Its defaults are the right ones for ux-tunnel; one setting
// that older guides (and this project's README, before the mirror queue) recommended is unsafe.
import { readFileSync } from 'node:fs';

/** The kernel's default, and what ux-tunnel wants: see reassemblyWarnings. */
export const RECOMMENDED_MAX_DIST = 64;

export type SysctlReader = (name: string) => string | null;

const readProcSys: SysctlReader = (name) => {
  try {
    return readFileSync(`/proc/sys/${name.replaceAll('.', '/')}`, 'utf8').trim();
  } catch {
    return null;
  }
};

/**
 * A warning, with the command that fixes it, when ipfrag_max_dist is 0. The transmit side sends each tunnel's frames
 * from one CPU in order, so the fragments of one frame arrive back to back and the default distance (64) never drops
 * a good frame. With 0 the check is off: a fragment whose partner was lost waits ipfrag_time (30 s) while the
 * sender's 16-bit IP ID wraps (in under a second at a few hundred Mbit/s), and is then joined with a later frame's
 * fragment of the same ID: a corrupted frame reaches the analyzer. Settings that cannot be read give no warning.
 */
export function reassemblyWarnings(read: SysctlReader = readProcSys): string[] {
  const text = read('net.ipv4.ipfrag_max_dist');
  if (text === null || text.trim() !== '0') return [];
  return [
    'net.ipv4.ipfrag_max_dist is 0: a stale IP fragment can be joined with another tunnel frame\'s fragments once the sender\'s IP ID wraps, and a corrupted frame reaches ruei-mtun',
    `restore the kernel's default: sysctl -w net.ipv4.ipfrag_max_dist=${RECOMMENDED_MAX_DIST}, and remove the setting from /etc/sysctl.d (README, "Collector: IP reassembly")`,
  ];
}
