#!/usr/bin/env bash
# Benchmark (issue 9 point 6): what faultline's fault proxy costs on top of a
# direct connection, next to haproxy (mode tcp) and socat, and how exactly
# its latency and bandwidth faults hit their targets. Prints a table; not a
# timed test, not run by ctest.
#
#   tools/bench/proxy.sh [BUILD_DIR] [REPETITIONS] [WRK_DURATION]
#   (defaults: build 3 5s; PROXY=driver or PROXY=faultline forces which
#   faultline proxy is measured, HAPROXY_THREADS sets haproxy's nbthread)
#
# Everything runs on 127.0.0.1 on free ports: a one-worker nginx answering
# "hello" (and serving a 4,000,000-byte file), then wrk -t1 --latency at 1
# and 20 connections against nginx directly, faultline's proxy with no fault,
# haproxy, socat and (when a C compiler is there) "floor", the minimal epoll
# forwarder of tools/bench/epoll_forwarder.c, interleaved, REPETITIONS times. Every figure is printed
# as its range min..max over the repetitions; ratios are taken within one
# repetition. Then faultline's proxy with `latency 10ms` downstream (wrk -c1)
# and `bandwidth 1MB/s` downstream (curl fetching the 4 MB file).
#
# faultline's proxy is `faultline proxy --listen --upstream` (faults with
# --toxic JSON, or --config FILE.toml when it has no --toxic) when
# BUILD_DIR/bin/faultline has that subcommand, else
# BUILD_DIR/bin/proxy_bench_driver (the FaultProxy alone); the output says
# which. Needs wrk, nginx, haproxy, socat, curl: installed with apt-get when
# run as root, else named. Every process it starts is stopped by pid on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}
reps=${2:-3}
duration=${3:-5s}
haproxy_threads=${HAPROXY_THREADS:-1}
export PATH="$PATH:/usr/sbin:/sbin"

# --- packages -----------------------------------------------------------------
missing=()
for pair in wrk:wrk nginx:nginx-light haproxy:haproxy socat:socat curl:curl python3:python3; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
done
if ((${#missing[@]})); then
  if [ "$(id -u)" -eq 0 ]; then
    echo "installing: ${missing[*]}"
    apt-get install -y "${missing[@]}" >/dev/null
  else
    echo "proxy.sh: missing commands; install them with: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi

# --- processes, cleaned up by pid on any exit ----------------------------------
dir=$(mktemp -d /tmp/faultline-proxy-bench-XXXXXX)
pids=()
stop() {  # stop PID: TERM the process and the children it forked (socat), wait for it
  local pid=$1 kids
  kids=$(ps -o pid= --ppid "$pid" 2>/dev/null || true)
  kill "$pid" $kids 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  local pid
  for pid in "${pids[@]}"; do stop "$pid"; done
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# wait_port PORT PID: until 127.0.0.1:PORT accepts (0), or PID died or 10 s passed (1).
wait_port() {
  local i=0
  until (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; do
    i=$((i + 1))
    { [ $i -le 200 ] && kill -0 "$2" 2>/dev/null; } || return 1
    sleep 0.05  # polling period of this readiness check
  done
}
started=""  # the pid of the last start, for the caller
# try_start NAME PORT CMD...: runs CMD in the background (output in
# $dir/NAME.out, .err) and waits until it listens on PORT; 1 if it did not.
try_start() {
  local name=$1 port=$2
  shift 2
  "$@" >"$dir/$name.out" 2>"$dir/$name.err" &
  started=$!
  pids+=("$started")
  wait_port "$port" "$started" && return 0
  stop_started "$started"
  return 1
}
start() {  # start NAME PORT CMD...: try_start, or exit showing its output
  try_start "$@" && return 0
  echo "proxy.sh: $1 did not listen on 127.0.0.1:$2; its output:" >&2
  cat "$dir/$1.out" "$dir/$1.err" >&2
  exit 1
}
stop_started() {  # stop_started PID: stops one process started by start()
  local pid=$1 keep=() p
  stop "$pid"
  for p in "${pids[@]}"; do [ "$p" = "$pid" ] || keep+=("$p"); done
  pids=("${keep[@]}")
}

# --- nginx: one worker, "hello" on / and a 4 MB file on /big -------------------
nginx_port=$(free_port)
mkdir -p "$dir/www" "$dir/nginx-temp"
head -c 4000000 /dev/zero >"$dir/www/big"
chmod -R a+rX "$dir"
temp_paths=""
for t in client_body proxy fastcgi uwsgi scgi; do
  [ "$t" = client_body ] || ! nginx -V 2>&1 | grep -q -- "--without-http_${t}_module" || continue
  temp_paths+="  ${t}_temp_path $dir/nginx-temp/$t;"$'\n'
done
user_line=""
[ "$(id -u)" -eq 0 ] && user_line="user $(id -un) $(id -gn);"
cat >"$dir/nginx.conf" <<EOF
$user_line
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/nginx.error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
$temp_paths
  keepalive_requests 100000000;
  keepalive_timeout 300s;
  default_type text/plain;
  server {
    listen 127.0.0.1:$nginx_port;
    location = / { return 200 "hello\n"; }
    location = /big { root $dir/www; }
  }
}
EOF
start nginx "$nginx_port" nginx -e "$dir/nginx.error.log" -c "$dir/nginx.conf" -p "$dir" \
  -g 'daemon off;'

# --- faultline's proxy ------------------------------------------------------------
faultline=$build/bin/faultline
driver=$build/bin/proxy_bench_driver
# (a faultline without the subcommand prints its own help and exits 0)
proxy_help=$([ -x "$faultline" ] && "$faultline" proxy --help 2>&1 || true)
kind=${PROXY:-}
if [ -z "$kind" ]; then
  if grep -q -- --upstream <<<"$proxy_help"; then kind=faultline; else kind=driver; fi
fi
case $kind in
  faultline) [ -x "$faultline" ] || { echo "proxy.sh: no $faultline (tools/build.sh)" >&2; exit 1; } ;;
  driver) [ -x "$driver" ] || { echo "proxy.sh: no $driver (cmake --build $build --target proxy_bench_driver)" >&2; exit 1; } ;;
  *) echo "proxy.sh: PROXY must be driver or faultline, not \"$kind\"" >&2; exit 1 ;;
esac

# start_faultline START PORT [FAULT]: START is start or try_start; FAULT is
# "" (none), "latency" (10ms downstream) or "bandwidth" (1,000,000 B/s
# downstream). Sets $started.
start_faultline() {
  local start=$1 port=$2 fault=${3:-}
  if [ "$kind" = driver ]; then
    local args=(--port "$port" --upstream-port "$nginx_port")
    case $fault in
      latency) args+=(--latency 10ms) ;;
      bandwidth) args+=(--bandwidth 1000000) ;;
    esac
    $start "faultline-$fault" "$port" "$driver" "${args[@]}"
  elif [ -z "$fault" ]; then
    $start faultline "$port" "$faultline" proxy --listen "127.0.0.1:$port" \
      --upstream "127.0.0.1:$nginx_port"
  elif grep -q -- --toxic <<<"$proxy_help"; then
    local toxic  # Toxiproxy's units: latency in ms, rate in KB/s (1000 B/s)
    case $fault in
      latency) toxic='{"type": "latency", "stream": "downstream", "attributes": {"latency": 10}}' ;;
      bandwidth) toxic='{"type": "bandwidth", "stream": "downstream", "attributes": {"rate": 1000}}' ;;
    esac
    $start "faultline-$fault" "$port" "$faultline" proxy --listen "127.0.0.1:$port" \
      --upstream "127.0.0.1:$nginx_port" --toxic "$toxic"
  else
    local spec
    case $fault in
      latency) spec='{ kind = "latency", latency = "10ms", direction = "downstream" }' ;;
      bandwidth) spec='{ kind = "bandwidth", rate = "1MB/s", direction = "downstream" }' ;;
    esac
    cat >"$dir/$fault.toml" <<EOF
[[proxies]]
name = "bench"
listen = "127.0.0.1:$port"
upstream = "127.0.0.1:$nginx_port"
faults = [$spec]
EOF
    $start "faultline-$fault" "$port" "$faultline" proxy --config "$dir/$fault.toml"
  fi
}

# --- the configurations ---------------------------------------------------------
faultline_port=$(free_port)
start_faultline start "$faultline_port"

haproxy_port=$(free_port)
cat >"$dir/haproxy.cfg" <<EOF
global
  nbthread $haproxy_threads
  maxconn 4096
defaults
  mode tcp
  timeout connect 5s
  timeout client 300s
  timeout server 300s
frontend bench
  bind 127.0.0.1:$haproxy_port
  default_backend nginx
backend nginx
  server nginx 127.0.0.1:$nginx_port
EOF
start haproxy "$haproxy_port" haproxy -db -f "$dir/haproxy.cfg"

socat_port=$(free_port)
start socat "$socat_port" socat "TCP-LISTEN:$socat_port,fork,reuseaddr,bind=127.0.0.1" \
  "TCP:127.0.0.1:$nginx_port"
socat_pid=$started

configs="direct faultline haproxy socat"
declare -A port_of=([direct]=$nginx_port [faultline]=$faultline_port [haproxy]=$haproxy_port
  [socat]=$socat_port)
# The floor: what one extra hop costs a forwarder that does nothing else.
if command -v cc >/dev/null 2>&1 &&
  cc -O2 -o "$dir/epoll_forwarder" tools/bench/epoll_forwarder.c 2>"$dir/cc.err"; then
  floor_port=$(free_port)
  start floor "$floor_port" "$dir/epoll_forwarder" "$floor_port" "$nginx_port"
  floor_pid=$started
  configs+=" floor"
  port_of[floor]=$floor_port
fi

# run_wrk CONNECTIONS PORT: prints "req/s p50_us p99_us errors" of one wrk run.
run_wrk() {
  wrk -t1 -c"$1" -d"$duration" --latency "http://127.0.0.1:$2/" | awk '
    function us(v) {
      if (v ~ /us$/) return v + 0
      if (v ~ /ms$/) return v * 1000
      if (v ~ /s$/) return v * 1000000
      return v + 0
    }
    $1 == "50%" { p50 = us($2) }
    $1 == "99%" { p99 = us($2) }
    $1 == "Requests/sec:" { rps = $2 }
    /Socket errors:/ { for (i = 3; i <= NF; i++) if ($i ~ /^[0-9]+,?$/) errors += $i + 0 }
    /Non-2xx or 3xx responses:/ { errors += $NF }
    END { printf "%.0f %.1f %.1f %d\n", rps, p50, p99, errors }'
}

results=$dir/results  # rep config connections rps p50_us p99_us errors
: >"$results"
echo "faultline proxy: $([ "$kind" = driver ] && echo "$driver (the FaultProxy alone)" ||
  echo "$faultline proxy --listen --upstream")"
echo "nginx $(nginx -v 2>&1 | sed 's|.*/||'), 1 worker; haproxy $(haproxy -v | awk 'NR==1{print $3}') mode tcp, nbthread $haproxy_threads; socat fork$([ -z "${floor_pid:-}" ] && echo "; no floor (no cc)" || echo "; floor = tools/bench/epoll_forwarder.c")"
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
echo "wrk -t1 -d$duration --latency, $reps repetitions interleaved; $(nproc) cores, load average $(loadavg)"
# Every hop costs system calls (the floor makes about 6 per request), so
# their price on this machine bounds what any proxy adds.
if cc -O2 -o "$dir/syscall_cost" tools/bench/syscall_cost.c 2>>"$dir/cc.err"; then
  echo "this machine: $("$dir/syscall_cost")"
fi
echo
for ((rep = 1; rep <= reps; rep++)); do
  for c in 1 20; do
    for cfg in $configs; do
      read -r rps p50 p99 errors < <(run_wrk "$c" "${port_of[$cfg]}")
      echo "$rep $cfg $c $rps $p50 $p99 $errors" >>"$results"
      printf '  run %d/%d  %-9s -c%-2d %8s req/s  p50 %7s us  p99 %7s us%s\n' "$rep" "$reps" \
        "$cfg" "$c" "$rps" "$p50" "$p99" "$([ "$errors" -eq 0 ] || echo "  ($errors errors)")"
    done
  done
done
stop_started "$socat_pid"  # and its forked children, before the faults run
[ -z "${floor_pid:-}" ] || stop_started "$floor_pid"

# --- fault accuracy ---------------------------------------------------------------
# What a 10 ms timer costs here before any proxy is involved: a bare C thread
# sleeping to 10 ms deadlines for 3 s (tools/bench/timer_floor.c), its
# wake-ups' lateness p50.
sleep_late=""
if cc -O2 -o "$dir/timer_floor" tools/bench/timer_floor.c 2>>"$dir/cc.err"; then
  sleep_late=$("$dir/timer_floor" 30 | awk '$1 == "each" { print $4 }')
fi
fault_port=$(free_port)
start_faultline start "$fault_port" latency
latency_pid=$started
for ((rep = 1; rep <= reps; rep++)); do
  read -r rps p50 p99 errors < <(run_wrk 1 "$fault_port")
  echo "$rep latency10ms 1 $rps $p50 $p99 $errors" >>"$results"
  printf '  run %d/%d  latency 10ms -c1 %8s req/s  p50 %7s us  p99 %7s us\n' "$rep" "$reps" "$rps" \
    "$p50" "$p99"
done
stop_started "$latency_pid"

# The bandwidth fault exists once the proxy has its stage (a fault kind is a
# file in harness/proxy/faults/; the driver is built with or without it): a
# proxy that does not start with it says why, and the table says "not
# available" instead of measuring a fault the proxy ignores.
bw_port=$(free_port)
has_bandwidth=0
bandwidth_error=""
if [ "$kind" = faultline ] && [ ! -f harness/proxy/faults/bandwidth.cc ]; then
  bandwidth_error="no harness/proxy/faults/bandwidth.cc in this tree"
elif start_faultline try_start "$bw_port" bandwidth; then
  has_bandwidth=1
  bw_pid=$started
  for ((rep = 1; rep <= reps; rep++)); do
    speed=$(curl -s -o /dev/null --max-time 60 -w '%{speed_download}' "http://127.0.0.1:$bw_port/big")
    echo "$rep bandwidth 1 $speed 0 0 0" >>"$results"
    printf '  run %d/%d  bandwidth 1MB/s  %s bytes/s\n' "$rep" "$reps" "$speed"
  done
  stop_started "$bw_pid"
else
  bandwidth_error=$(grep -v '^$' "$dir/faultline-bandwidth.err" | head -1 || true)
fi
echo

# --- the table ----------------------------------------------------------------------
echo "load average at the end: $(loadavg) (on $(nproc) cores; above $(nproc), expect noise)"
awk -v reps="$reps" -v configs="$configs" -v has_bandwidth="$has_bandwidth" -v sleep_late="$sleep_late" \
  -v bandwidth_error="$bandwidth_error" '
  function add(k, v) {
    if (!(k in min) || v < min[k]) min[k] = v
    if (!(k in max) || v > max[k]) max[k] = v
  }
  function range(k, fmt) {
    if (!(k in min)) return "-"
    return sprintf(fmt "..", min[k]) sprintf(fmt, max[k])
  }
  function goal(name, k, ok) {
    printf "  %-50s %-22s %s\n", name, range(k, fmtof[k]), ok ? "met" : "NOT met"
  }
  { rep = $1; cfg = $2; c = $3
    rps[rep, cfg, c] = $4; p50[rep, cfg, c] = $5; p99[rep, cfg, c] = $6; err[cfg, c] += $7 }
  END {
    ncfgs = split(configs, cfgs, " ")
    for (rep = 1; rep <= reps; rep++) for (ci = 1; ci <= 2; ci++) for (i = 1; i <= ncfgs; i++) {
      c = ci == 1 ? 1 : 20; cfg = cfgs[i]
      add("rps" cfg c, rps[rep, cfg, c]); add("p50" cfg c, p50[rep, cfg, c])
      add("p99" cfg c, p99[rep, cfg, c])
      add("vd" cfg c, rps[rep, cfg, c] / rps[rep, "direct", c])
      add("vh" cfg c, rps[rep, cfg, c] / rps[rep, "haproxy", c])
    }
    printf "%-9s %4s  %-15s %-15s %-15s %-11s %-11s %s\n", "config", "conn", "req/s",
      "p50 us", "p99 us", "req/s/direct", "req/s/haproxy", "errors"
    for (ci = 1; ci <= 2; ci++) for (i = 1; i <= ncfgs; i++) {
      c = ci == 1 ? 1 : 20; cfg = cfgs[i]
      printf "%-9s %4d  %-15s %-15s %-15s %-11s %-11s %d\n", cfg, c, range("rps" cfg c, "%.0f"),
        range("p50" cfg c, "%.0f"), range("p99" cfg c, "%.0f"), range("vd" cfg c, "%.2f"),
        range("vh" cfg c, "%.2f"), err[cfg, c]
    }
    ok_add = ok_ratio = ok_p99 = ok_lat50 = ok_lat99 = ok_bw = 1
    for (rep = 1; rep <= reps; rep++) {
      d = p50[rep, "faultline", 1] - p50[rep, "direct", 1]; add("add", d); if (d > 10) ok_add = 0
      r = rps[rep, "faultline", 20] / rps[rep, "haproxy", 20]; add("ratio", r); if (r < 1.0) ok_ratio = 0
      v = p99[rep, "faultline", 20] / 1000; add("p99", v); if (v >= 1.0) ok_p99 = 0
      add("hadd", p50[rep, "haproxy", 1] - p50[rep, "direct", 1])
      if (ncfgs == 5) {
        add("fadd", p50[rep, "floor", 1] - p50[rep, "direct", 1])
        add("fratio", rps[rep, "floor", 20] / rps[rep, "haproxy", 20])
      }
      v = (p50[rep, "latency10ms", 1] - p50[rep, "direct", 1]) / 1000; add("lat50", v)
      if (v < 9.5 || v > 10.5) ok_lat50 = 0
      add("lat50p", (p50[rep, "latency10ms", 1] - p50[rep, "faultline", 1]) / 1000)
      v = p99[rep, "latency10ms", 1] / 1000; add("lat99", v); if (v > 11.5) ok_lat99 = 0
      if (has_bandwidth) {
        v = rps[rep, "bandwidth", 1] / 1000000; add("bw", v); if (v < 0.98 || v > 1.02) ok_bw = 0
      }
    }
    fmtof["add"] = "%+.0f us"; fmtof["ratio"] = "%.2fx"; fmtof["p99"] = "%.3f ms"
    fmtof["lat50"] = "%.2f ms"; fmtof["lat99"] = "%.2f ms"; fmtof["bw"] = "%.3f"
    printf "\ngoals (range over %d repetitions; met = every repetition meets it)\n", reps
    goal("proxy p50 - direct p50, 1 conn (<= +10 us)", "add", ok_add)
    printf "  %-50s %-22s %s\n", "  (for reading: haproxy p50 - direct p50)", range("hadd", "%+.0f us"), "info"
    if (ncfgs == 5) printf "  %-50s %-22s %s\n", "  (for reading: floor p50 - direct p50)",
      range("fadd", "%+.0f us"), "info"
    goal("proxy req/s / haproxy req/s, 20 conn (>= 1.0)", "ratio", ok_ratio)
    if (ncfgs == 5) printf "  %-50s %-22s %s\n", "  (for reading: floor req/s / haproxy req/s)",
      range("fratio", "%.2fx"), "info"
    goal("proxy p99, 20 conn (< 1 ms)", "p99", ok_p99)
    goal("latency 10ms: p50 - direct p50 (10 +/- 0.5 ms)", "lat50", ok_lat50)
    printf "  %-50s %-22s %s\n", "  (for reading: p50 - no-fault proxy p50)", range("lat50p", "%.2f ms"),
      "info"
    if (sleep_late != "") printf "  %-50s %-22s %s\n", "  (for reading: a bare 10 ms sleep here, late p50)",
      sprintf("%.2f ms", sleep_late), "info"
    goal("latency 10ms: p99 (<= 11.5 ms)", "lat99", ok_lat99)
    if (has_bandwidth) goal("bandwidth 1MB/s: bytes/s / 1,000,000 (1 +/- 2 %)", "bw", ok_bw)
    else printf "  %-50s %s\n", "bandwidth:", "not available in this build" \
      (bandwidth_error == "" ? "" : " (" bandwidth_error ")")
  }' "$results"
