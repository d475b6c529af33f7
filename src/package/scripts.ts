// The scripts the package managers run, for both formats. What they do lives in the package's own package-hook
// (packaging/files/package-hook.sh), so .deb and .rpm behave the same; only what must run while the package's files
// are absent (the check before the first unpack, the purge after removal) is written here.
import type { Side } from '../config/paths.js';

const hook = (side: Side, action: string) => `/usr/lib/ux-tunnel/${side}/package-hook ${action}`;

/**
 * Before unpacking: the package makes /opt/ruei/tunnel/SIDE/conf a link to /etc/ux-tunnel/SIDE. A real directory
 * there (left by `ux-tunnel-SIDE install` of the npm route) would be kept by dpkg and refused by rpm; say what to do.
 */
export function preinstallCheck(side: Side): string {
  const conf = `/opt/ruei/tunnel/${side}/conf`;
  return `conf=${conf}
if [ -d "$conf" ] && [ ! -L "$conf" ]; then
  echo "ux-tunnel-${side}: $conf is a directory (made by an installation without the package, such as ux-tunnel-${side} install)." >&2
  echo "The package keeps the configuration in /etc/ux-tunnel/${side} and makes $conf a link to it. Move your files there" >&2
  echo "(mkdir -p /etc/ux-tunnel/${side} && mv $conf/* /etc/ux-tunnel/${side}/), remove $conf (rmdir $conf), then install again." >&2
  exit 1
fi
for unit in /etc/systemd/system/ux-tunnel-${side}*.service; do
  [ -e "$unit" ] && echo "ux-tunnel-${side}: warning: $unit (from ux-tunnel-${side} install) overrides the package's unit: remove it" >&2
done
true`;
}

/** After removal with purge: the configuration, the user's own tunnel.conf included. */
export function purge(side: Side): string {
  return `rm -rf /etc/ux-tunnel/${side}
rmdir /etc/ux-tunnel 2>/dev/null || true`;
}

const daemonReload = 'if [ -d /run/systemd/system ]; then systemctl daemon-reload || true; fi';

export function debScripts(side: Side): Record<'preinst' | 'postinst' | 'prerm' | 'postrm', string> {
  const script = (body: string) => `#!/bin/sh\nset -e\n${body}\nexit 0\n`;
  return {
    preinst: script(`case "$1" in\n  install|upgrade)\n${indent(preinstallCheck(side), 4)}\n    ;;\nesac`),
    // configure with an old version ($2) is an upgrade (or a reinstall of the same version).
    postinst: script(`if [ "$1" = configure ]; then\n  if [ -z "\${2:-}" ]; then ${hook(side, 'installed')}; else ${hook(side, 'upgraded')}; fi\nfi`),
    // prerm upgrade: the old package is replaced, the service keeps running (postinst reloads it).
    prerm: script(`if [ "$1" = remove ]; then ${hook(side, 'removing')}; fi`),
    postrm: script(`case "$1" in\n  remove) ${daemonReload} ;;\n  purge)\n${indent(purge(side), 4)}\n    ${daemonReload}\n    ;;\nesac`),
  };
}

/** rpm passes the number of instances left after the transaction: 1 first install, 2 upgrade, 0 erase. */
export function rpmScripts(side: Side): Record<'pre' | 'post' | 'preun' | 'postun', string> {
  return {
    pre: preinstallCheck(side),
    post: `if [ "$1" -eq 1 ]; then ${hook(side, 'installed')}; else ${hook(side, 'upgraded')}; fi`,
    preun: `if [ "$1" -eq 0 ]; then ${hook(side, 'removing')}; fi`,
    postun: daemonReload,
  };
}

function indent(text: string, spaces: number): string {
  return text.split('\n').map((line) => `${' '.repeat(spaces)}${line}`).join('\n');
}
