// What the package managers show about each package (dpkg -s, rpm -qi).
import type { Side } from '../config/paths.js';

/** One line each, under 80 characters (rpmlint, lintian). */
export const SUMMARY: Record<Side, string> = {
  transmit: 'Virtual network TAP: mirrors web traffic to a collector over L2TPv3',
  receive: 'Collector side of ux-tunnel: web servers\' L2TPv3 mirrors into ruei-mtun',
};

/** Lines under 80 characters (rpmlint, lintian). */
export const DESCRIPTION: Record<Side, string> = {
  transmit: `ux-tunnel-transmit copies both directions of the chosen services' traffic
on a web server, every Ethernet frame unchanged, into an L2TPv3 tunnel to a
collector host (tc mirred: production traffic is never redirected), and sends
a keepalive with cumulative counters so the collector can count loss.
It carries its own Node.js runtime. Configuration:
/opt/ruei/tunnel/transmit/conf/tunnel.conf (in /etc/ux-tunnel/transmit).`,
  receive: `ux-tunnel-receive terminates the L2TPv3 tunnels of the web servers listed in
tunnels.conf, one interface ruei-mtun-NNNNN each, all aggregated into
ruei-mtun for a packet analyzer. reload applies configuration changes without
touching running tunnels; a monitor counts loss per tunnel and serves
Prometheus metrics. It carries its own Node.js runtime. Configuration:
/opt/ruei/tunnel/receive/conf/tunnels.conf (in /etc/ux-tunnel/receive).`,
};

export const MAINTAINER = 'ux-tunnel developers <ux-tunnel@example.org>';

const CHANGE = (version: string) => `Package of ux-tunnel ${version}, with its own Node.js LTS runtime.`;

/** usr/share/doc/PKG/changelog.Debian (Debian policy 12.7; RFC 5322 date). */
export function debChangelog(side: Side, version: string, release: string, date: Date): string {
  return `ux-tunnel-${side} (${version}-${release}) unstable; urgency=medium\n\n  * ${CHANGE(version)}\n\n -- ${MAINTAINER}  ${date.toUTCString().replace(/GMT$/, '+0000')}\n`;
}

/** The spec's %changelog entry ("* Mon Nov 30 2026 NAME <MAIL> - VERSION-RELEASE"). */
export function rpmChangelog(version: string, release: string, date: Date): string {
  const [day, dayOfMonth, month, year] = date.toUTCString().replace(',', '').split(' ');
  return `* ${day} ${month} ${dayOfMonth} ${year} ${MAINTAINER} - ${version}-${release}\n- ${CHANGE(version)}`;
}
