#!/usr/bin/env bash
# npm run demo: the main job on an embedded default. Until the simulated deployment exists, it proves the lab's L2TP path.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
if [ -f dist/test/demo/deployment.js ]; then
  exec node dist/test/run-demo.js "$@"
fi
exec node dist/test/run-tiers.js --kernel dist/test/kernel/lab-l2tp.test.js
