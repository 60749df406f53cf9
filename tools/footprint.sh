#!/usr/bin/env bash
# Benchmark: faultline's own threads and RSS with 5,000+ requests in flight
# against a hung dependency (tools/footprint/footprint.toml); then
# build/bin/footprint_bench: bytes per in-flight request of the load
# generator alone with 19,000 held under a 20,000-fd limit, and bytes per
# idle connection through the fault proxy (goals: at most 4 KiB each).
# Prints the figures; exits non-zero if faultline ever had more than 2
# threads (the event loop and the sampling thread, however many requests are
# in flight), RSS >= 150 MB, or a footprint_bench goal was missed.
# Needs a built tree (tools/build.sh). Run as root for the open-file limit.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/bin/faultline
out=$(mktemp -d /tmp/faultline-footprint-XXXXXX)
trap 'rm -rf "$out"' EXIT

"$bin" run tools/footprint/footprint.toml --out "$out" --quiet >"$out/stdout" 2>"$out/stderr" &
pid=$!
peak_threads=0 min_threads=1000000 peak_rss_kb=0
while kill -0 "$pid" 2>/dev/null; do
  if status=$(cat /proc/$pid/status 2>/dev/null); then
    t=$(awk '/^Threads:/ {print $2}' <<<"$status")
    r=$(awk '/^VmRSS:/ {print $2}' <<<"$status")
    if [ -n "$t" ] && [ -n "$r" ]; then
      (( t > peak_threads )) && peak_threads=$t
      (( t < min_threads )) && min_threads=$t
      (( r > peak_rss_kb )) && peak_rss_kb=$r
    fi
  fi
  sleep 0.1   # sampling period of this monitor, not synchronisation
done
wait "$pid" || { echo "faultline failed:"; cat "$out/stderr"; exit 1; }

# results.json is written with one key per line: take the largest in_flight sample.
in_flight=$(grep -o '"in_flight": *[0-9.]*' "$out/results.json" | awk '{print int($2)}' | sort -n | tail -1)
echo "peak requests in flight:  $in_flight"
echo "faultline threads:        min $min_threads, peak $peak_threads"
echo "faultline peak RSS:       $((peak_rss_kb / 1024)) MiB"
ok=1
(( in_flight >= 5000 )) || { echo "FAIL: fewer than 5,000 requests in flight"; ok=0; }
(( peak_threads <= 2 )) || { echo "FAIL: more than 2 threads (event loop + sampling thread)"; ok=0; }
(( peak_rss_kb < 150 * 1024 )) || { echo "FAIL: RSS >= 150 MB"; ok=0; }
[ $ok -eq 1 ] && echo "OK: at most 2 threads, RSS < 150 MB"
echo
build/bin/footprint_bench --requests 19000 --connections 5000 || ok=0
[ $ok -eq 1 ]
