#!/usr/bin/env bash
# npm run demo: the main job on an embedded default: a simulated deployment (demo/run.ts) in the kernel lab,
# or directly on this host when its kernel has L2TP (UX_TUNNEL_KERNEL=host|lab forces either).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh --quiet
place=${UX_TUNNEL_KERNEL:-}
if [ -z "$place" ]; then
  if [ -e /sys/module/l2tp_eth ] || modprobe -n -q l2tp_eth 2>/dev/null; then place=host; else place=lab; fi
fi
if [ "$place" = host ]; then exec node --enable-source-maps dist/demo/run.js; fi
echo "[demo] this kernel has no L2TP: running the demo in the kernel lab VM (lab/run)"
exec lab/run -- node --enable-source-maps dist/demo/run.js
