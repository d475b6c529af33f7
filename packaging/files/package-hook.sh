#!/bin/sh
# ux-tunnel-@SIDE@ @VERSION@: what the package manager does around the service, called by the .deb's maintainer
# scripts and the .rpm's scriptlets alike, so both formats behave the same.
#   installed  first install: systemd learns the units; nothing is started or enabled
#   upgraded   the new files are in place: a running side keeps running and takes the new code without losing a
#              frame (reload applies only differences, unchanged tunnels keep their interfaces); the long-running
#              companion (keepalive or monitor) restarts, which never touches a tunnel
#   removing   before the files go: the services stopped and disabled, and `stop` run once more, so the kernel is as
#              before `start` even when no service manager ran it or when the unit's ExecStop kept a mirror because
#              tunnel.conf was broken
set -u
side=@SIDE@
command=/usr/bin/ux-tunnel-$side
main_unit=ux-tunnel-$side.service
case $side in
  transmit) companion=ux-tunnel-transmit-keepalive.service; device=ruei-tun1; reload=start ;;
  *) companion=ux-tunnel-receive-monitor.service; device=ruei-mtun; reload=reload ;;
esac
systemd_runs() { [ -d /run/systemd/system ]; }
say() { echo "ux-tunnel-$side: $*"; }

case ${1:-} in
  installed)
    if systemd_runs; then systemctl daemon-reload; fi
    say "installed; nothing started. Next: the configuration in /opt/ruei/tunnel/$side/conf, then systemctl enable --now $main_unit"
    ;;
  upgraded)
    if systemd_runs; then
      systemctl daemon-reload
      if systemctl -q is-active "$main_unit"; then
        say "reloading $main_unit (running tunnels are kept)"
        systemctl reload "$main_unit" || say "warning: systemctl reload $main_unit failed: see systemctl status $main_unit"
      fi
      systemctl try-restart "$companion" || true
    elif [ -e "/sys/class/net/$device" ]; then
      # Started by hand (no service manager): the same reload, in this network namespace.
      say "$device exists: running $command $reload (running tunnels are kept)"
      "$command" "$reload" || say "warning: $command $reload failed: run it again and follow its message"
    fi
    ;;
  removing)
    if systemd_runs; then systemctl disable --now "$main_unit" "$companion" || true; fi
    if ! "$command" stop; then
      say "error: $command stop failed, so the package stays installed (removing it would leave its tunnel in the kernel)."
      say "Run $command stop, fix what it reports, then remove the package again; UX_TUNNEL_FORCE_REMOVE=1 removes it anyway."
      [ "${UX_TUNNEL_FORCE_REMOVE:-}" = 1 ] || exit 1
    fi
    ;;
  *)
    echo "usage: $0 installed|upgraded|removing" >&2
    exit 2
    ;;
esac
exit 0
