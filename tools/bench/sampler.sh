#!/bin/sh
# CPU cost of one sample of a tree holding 1,000 threads, 2,000 fds and
# 1,500 sockets (500 CLOSE_WAIT, 1,000 ESTABLISHED), new reads and old.
# Usage: tools/bench/sampler.sh [BUILD_DIR] [RUNS] [SAMPLES_PER_RUN]
# Goal (issue 8): at most 2 ms of CPU per sample.
set -eu
build=${1:-build}
runs=${2:-3}
samples=${3:-20}
err=$(mktemp)
"$build/bin/groundtruth" --step 0s:threads=1000,fds=2000,close_wait=500,established=1000 \
  --hold 120s 2>"$err" &
gt=$!
trap 'kill $gt 2>/dev/null; wait $gt 2>/dev/null; rm -f "$err"' EXIT
i=0
until grep -q "groundtruth: step 0 at" "$err"; do
  i=$((i + 1))
  if [ $i -gt 300 ] || ! kill -0 $gt 2>/dev/null; then cat "$err" >&2; exit 1; fi
  sleep 0.1
done
cat "$err"
r=1
while [ $r -le "$runs" ]; do
  echo "run $r ($samples samples):"
  "$build/bin/sampler_bench" $gt "$samples"
  r=$((r + 1))
done
