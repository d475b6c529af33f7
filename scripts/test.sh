#!/usr/bin/env bash
# npm test: installs what is missing, builds (the TypeScript, then the packages), then runs the unit tests here and the kernel tests in the lab.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
# The package tests (test/host/packages.test.ts, test/kernel/packages-*.test.ts) check the packages of this very tree:
# built here exactly as npm run package builds them (about 1 minute).
node dist/src/package/build.js
exec node dist/test/run-tiers.js "$@"
