#!/usr/bin/env bash
# npm run bench: installs and builds (scripts/setup.sh), then runs the benchmark (bench/README.md). Not a test: exits 0 unless it cannot run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
# The bench runs from a copy of the build: a rebuild in this tree (npm test, npm run build) while the lab sections
# run for many minutes would otherwise swap the code under them. The copy is under /tmp, which the lab VM sees.
SNAPSHOT=$(mktemp -d /tmp/ux-bench-snapshot.XXXXXX)
trap 'rm -rf "$SNAPSHOT"' EXIT
cp -r bin dist lab package.json "$SNAPSHOT/"
mkdir -p "$SNAPSHOT/bench/lib" bench/results
cp bench/lib/rusage.py "$SNAPSHOT/bench/lib/"
UX_BENCH_RESULTS="$PWD/bench/results" node "$SNAPSHOT/dist/bench/main.js" "$@"
