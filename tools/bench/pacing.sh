#!/bin/sh
# The load generator's start lag (actual send minus intended send) at 1,000
# and 10,000 requests/s against a fast server (a one-worker nginx answering
# "ok" from memory; package nginx-light), and faultline's own CPU, over RUNS runs of each rate. Prints the
# p50/p99/max of requests.start_lag_ms from each run's results.json and the
# range over the runs.
# Usage: tools/bench/pacing.sh [BUILD_DIR] [RUNS] [SECONDS]
# Goals (issue 8): start lag p99 at most 1 ms at 1,000 req/s and at most
# 2 ms at 10,000 req/s.
set -eu
build=$(cd "${1:-build}" && pwd)
runs=${2:-3}
seconds=${3:-5}
export PATH="$build/bin:$PATH"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
command -v nginx >/dev/null || { echo "pacing.sh: needs nginx (apt-get install -y nginx-light)" >&2; exit 2; }
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$dir/nginx/logs"
cat >"$dir/nginx/nginx.conf" <<CONF
worker_processes 1;
pid $dir/nginx/nginx.pid;
error_log $dir/nginx/logs/error.log;
events { worker_connections 20000; }
http {
  access_log off;
  client_body_temp_path $dir/nginx;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$port;
    location / { return 200 "ok"; }
  }
}
CONF
cat >"$dir/pacing.toml" <<TOML
name = "pacing"
[target]
argv = ["nginx", "-c", "$dir/nginx/nginx.conf", "-p", "$dir/nginx", "-g", "daemon off;"]
base_url = "http://127.0.0.1:$port"
ready = { kind = "tcp", port = $port }
[load]
rate = 1000
path = "/"
timeout = "2s"
[[phases]]
name = "steady"
duration = "${seconds}s"
[[checks]]
kind = "error_ratio"
limit = 0.01
TOML
printf '%-8s %-4s %10s %10s %10s %10s %12s\n' rate run p50_ms p99_ms max_ms sent/s faultline_cpu
for rate in 1000 10000; do
  r=1
  while [ "$r" -le "$runs" ]; do
    out="$dir/out-$rate-$r"
    faultline run "$dir/pacing.toml" --set load.rate=$rate --out "$out" -q >"$dir/log" 2>&1 &
    pid=$!
    stat=""
    while kill -0 $pid 2>/dev/null; do
      s=$(cat /proc/$pid/stat 2>/dev/null || true)
      [ -n "$s" ] && stat=$s
      sleep 0.1
    done
    wait $pid || { echo "faultline failed at rate $rate:"; cat "$dir/log"; exit 1; }
    cpu=$(echo "$stat" | awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}')
    python3 - "$out/results.json" "$rate" "$r" "$seconds" "$cpu" <<'PY'
import json, sys
path, rate, run, seconds, cpu = sys.argv[1:]
v = json.load(open(path))["variants"][0]
lag = v["requests"]["start_lag_ms"]
sent = v["requests"]["total"] / float(seconds)
share = 100 * float(cpu) / float(seconds)
print(f"{rate:<8} {run:<4} {lag['p50']:10.3f} {lag['p99']:10.3f} {lag['max']:10.3f} {sent:10.0f} {cpu:>6} s ({share:.0f}% of a core)")
PY
    r=$((r + 1))
  done
done
