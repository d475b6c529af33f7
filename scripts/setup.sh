#!/usr/bin/env bash
# Installs what the tests, the demo and the lab need (Debian packages, npm packages) and builds the TypeScript.
# Idempotent and quick when everything is already there; every README command calls it first.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

QUIET=0; [ "${1:-}" = "--quiet" ] && QUIET=1
say() { [ "$QUIET" = 1 ] || echo "[setup] $*"; }

# Debian packages: command -> package. The lab VM runs this host's binaries, so the tests' tools are installed here.
DEB_PACKAGES=(
  qemu-system-x86_64:qemu-system-x86 tcpdump:tcpdump ip:iproute2 modprobe:kmod cpio:cpio curl:curl
  nginx:nginx tshark:tshark iperf3:iperf3 nft:nftables iptables:iptables ab:apache2-utils
  systemd-analyze:systemd python3:python3 ping:iputils-ping wg:wireguard-tools
  rpmbuild:rpm rpmlint:rpmlint lintian:lintian dpkg-deb:dpkg readelf:binutils xz:xz-utils groff:groff
  ansible-playbook:ansible-core ansible-lint:ansible-lint sshd:openssh-server ssh:openssh-client
)

# Debian packages of Python modules the tests import (apt: Ansible's apt module on the lab's hosts): module -> package. Checked with Debian's own python3, the one
# these packages install into (a pyenv or venv python3 earlier on PATH cannot import them).
DEB_PYTHON_MODULES=(
  prometheus_client:python3-prometheus-client
  apt:python3-apt
)

missing=()
for pair in "${DEB_PACKAGES[@]}"; do
  cmd=${pair%%:*} pkg=${pair#*:}
  PATH="$PATH:/usr/sbin:/sbin" command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
done
for pair in "${DEB_PYTHON_MODULES[@]}"; do
  mod=${pair%%:*} pkg=${pair#*:}
  /usr/bin/python3 -c "import $mod" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "[setup] error: Debian packages ${missing[*]} are missing and installing them needs root: run as root, or apt-get install ${missing[*]}" >&2
    exit 1
  fi
  say "installing Debian packages: ${missing[*]}"
  # Packages such as nginx start their daemon on install; the project only runs them inside test namespaces.
  created_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d; created_policy=1
  fi
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y -q --no-install-recommends "${missing[@]}" > /tmp/ux-tunnel-apt.log 2>&1; then
    apt-get update -q >> /tmp/ux-tunnel-apt.log 2>&1 || true
    apt-get install -y -q --no-install-recommends "${missing[@]}" >> /tmp/ux-tunnel-apt.log 2>&1 \
      || { [ "$created_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d; echo "[setup] error: apt-get install ${missing[*]} failed; see /tmp/ux-tunnel-apt.log" >&2; tail -n 5 /tmp/ux-tunnel-apt.log >&2; exit 1; }
  fi
  [ "$created_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d
fi

if [ ! -d node_modules/typescript ] || [ package.json -nt node_modules/.package-lock.json ] || { [ -f package-lock.json ] && [ package-lock.json -nt node_modules/.package-lock.json ]; }; then
  say "installing npm packages"
  if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --loglevel=error; else npm install --no-audit --no-fund --loglevel=error; fi
fi

say "building TypeScript"
rm -rf dist
node_modules/.bin/tsc -p tsconfig.json
