#!/usr/bin/env bash
# The README's step by step, run for real in the kernel lab on two hosts (network namespaces) with the vendor guide's
# addresses; prints each command as an operator types it and what it printed, which the README pastes.
#
#   lab/run -- bash docs/walkthrough.sh        (refuses to run outside the lab: it writes under /opt and /etc)
#
#   ns client 10.10.10.50 --+                       ns webserver: ens3 10.10.10.11, a web server on port 80
#                           +-- ns lan (switch) ----+
#   ns collector 10.10.10.10 --------+
#
# In the lab there is no systemd: where the README says `systemctl enable --now UNIT`, this runs the unit's
# ExecStart (`ux-tunnel-receive start`, `ux-tunnel-transmit start`, and the keepalive in the background).
set -u
if [ -z "${UX_TUNNEL_IN_LAB:-}" ]; then
  echo "docs/walkthrough.sh runs only inside the kernel lab (lab/run -- bash docs/walkthrough.sh): it installs under /opt and /etc" >&2
  exit 2
fi
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PATH="$REPO/bin:$PATH"
NS_LAN=wt-lan NS_WEB=wt-webserver NS_COLL=wt-collector NS_CLIENT=wt-client
WORK=$(mktemp -d)

cleanup() {
  for ns in $NS_CLIENT $NS_WEB $NS_COLL $NS_LAN; do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
    ip netns del "$ns" 2>/dev/null
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

# "host# command", then its output; the exit status when it is not 0.
on() {
  local ns=$1 prompt=$2; shift 2
  printf '%s# %s\n' "$prompt" "$*"
  ip netns exec "$ns" bash -c "$*" 2>&1
  local code=$?
  [ "$code" -ne 0 ] && printf '(exit %s)\n' "$code"
  return 0
}
collector() { on "$NS_COLL" collector "$@"; }
webserver() { on "$NS_WEB" webserver "$@"; }

for ns in $NS_LAN $NS_WEB $NS_COLL $NS_CLIENT; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
ip -n $NS_LAN link add br0 type bridge && ip -n $NS_LAN link set br0 up
plug() { # ns ifname address
  ip link add "p-$1" netns $NS_LAN type veth peer name "$2" netns "$1"
  ip -n $NS_LAN link set "p-$1" master br0 up
  ip -n "$1" addr add "$3/24" dev "$2" && ip -n "$1" link set "$2" up
}
plug $NS_WEB ens3 10.10.10.11
plug $NS_COLL ens3 10.10.10.10
plug $NS_CLIENT eth0 10.10.10.50
# Default routes as real hosts have (the gateway 10.10.10.1 does not exist: nothing leaves the lab's namespaces).
for ns in $NS_WEB $NS_COLL; do ip -n "$ns" route add default via 10.10.10.1 dev ens3 onlink; done
mkdir -p "$WORK/www" && head -c 200000 /dev/urandom > "$WORK/www/page.bin" && echo hello > "$WORK/www/index.html"
ip netns exec $NS_WEB python3 -m http.server 80 --bind 10.10.10.11 --directory "$WORK/www" >/dev/null 2>&1 &
disown
sleep 2
# Clients keep the web server busy for the whole walkthrough.
ip netns exec $NS_CLIENT bash -c 'while true; do curl -s -o /dev/null http://10.10.10.11/page.bin; curl -s -o /dev/null http://10.10.10.11/; sleep 0.2; done' &
disown

echo '=== Step 1: firewalls'
collector 'ux-tunnel-receive firewall status'
webserver 'ux-tunnel-transmit firewall status'

echo '=== Step 2: the collector'
collector 'ux-tunnel-receive install'
collector 'ux-tunnel-receive config add 10.10.10.10 10.10.10.11'
collector 'ux-tunnel-receive start        # what systemctl enable --now ux-tunnel-receive runs'
collector 'ip link show ruei-mtun'
ip netns exec $NS_COLL ux-tunnel-receive monitor >/dev/null 2>&1 &   # what ux-tunnel-receive-monitor.service runs
disown

echo '=== Step 3: each web server'
webserver 'ux-tunnel-transmit install'
webserver 'ux-tunnel-transmit diag traffic servers --time 10'
webserver 'cd /opt/ruei/tunnel/transmit/conf && cp tunnel.conf.example tunnel.conf'
webserver "echo '10.10.10.10 10.10.10.11 ens3 i80' >> /opt/ruei/tunnel/transmit/conf/tunnel.conf"
webserver 'ux-tunnel-transmit start       # what systemctl enable --now ux-tunnel-transmit runs'
ip netns exec $NS_WEB ux-tunnel-transmit keepalive --interval 5 >/dev/null 2>&1 &
disown
webserver 'ip link'
sleep 6
webserver 'ux-tunnel-transmit status'

echo '=== Step 4: verify'
collector 'ux-tunnel-receive diag monitor detect --time 12'
collector 'ux-tunnel-receive diag tunnels check'
collector 'ux-tunnel-receive diag traffic servers --time 10'
sleep 8
collector 'ux-tunnel-receive status'

echo '=== Applying a change'
webserver "sed -i 's/ ens3 i80\$/ ens3 i80,i443/' /opt/ruei/tunnel/transmit/conf/tunnel.conf"
webserver 'ux-tunnel-transmit start       # what systemctl reload ux-tunnel-transmit runs'
webserver "sed -i 's/ ens3 i80,i443\$/ ens3 i80;i443/' /opt/ruei/tunnel/transmit/conf/tunnel.conf"
webserver 'ux-tunnel-transmit start       # a typo: nothing is changed'

echo '=== Stopping'
webserver 'ux-tunnel-transmit stop'
collector 'ux-tunnel-receive stop'
