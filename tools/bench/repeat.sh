#!/bin/sh
# Flake control for the flagship: runs scenarios/hung-dependency.toml N times
# (default 5) with `faultline run --repeat` and prints whether the verdict
# was the same every time and each check's margin (observed / limit: min,
# median, max over the runs). Exits as faultline does: 0 when every run met
# its expectation and the verdicts were identical.
#
#   tools/bench/repeat.sh [BUILD_DIR] [N]
set -eu
here=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$here/build}
n=${2:-5}
out=$(mktemp -d /tmp/faultline-repeat-XXXXXX)
trap 'rm -rf "$out"' EXIT
cmake --build "$build" -j2 --target faultline orders-service stub-dependency >/dev/null
status=0
"$build/bin/faultline" run "$here/scenarios/hung-dependency.toml" --repeat "$n" --quiet \
  --out "$out" >"$out/log.txt" 2>&1 || status=$?
# The repeat summary is everything after the last run's "results:" line.
sed -n '/^verdict /,$p' "$out/log.txt"
exit $status
