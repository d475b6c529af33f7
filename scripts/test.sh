#!/usr/bin/env bash
# npm test: installs what is missing, builds, then runs the unit tests here and the kernel tests in the lab.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
exec node dist/test/run-tiers.js "$@"
