#!/usr/bin/env bash
# Runs docs/examples/attach-example.toml against a stack started by hand, as a
# user's running stack would be: a stub inventory and the orders service,
# each started here in the background (not by faultline), the service
# configured to call its inventory through the fault proxy's fixed port.
# After the run it checks that both are still running, then stops them by
# their pids. Needs a build (tools/build.sh).
#
#   tools/attach-example.sh [faultline run options...]
#
# Ports: ORDERS_PORT (18080), PROXY_PORT (19000), INVENTORY_PORT (19001).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${BIN:-build/bin}
orders_port=${ORDERS_PORT:-18080}
proxy_port=${PROXY_PORT:-19000}
inventory_port=${INVENTORY_PORT:-19001}
logs=$(mktemp -d)
pids=()

stop_stack() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$logs"
}
trap stop_stack EXIT

# Waits (at most 10 s) until something accepts on 127.0.0.1:$1.
wait_listening() {
  for _ in $(seq 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "attach-example: nothing listens on 127.0.0.1:$1 after 10 s" >&2
  return 1
}

"$bin/stub-dependency" --port "$inventory_port" --latency 5ms >"$logs/inventory.log" 2>&1 &
pids+=($!)
"$bin/orders-service" --port "$orders_port" --inventory "http://127.0.0.1:$proxy_port" \
  --mode propagate --budget 2s >"$logs/orders.log" 2>&1 &
orders_pid=$!
pids+=("$orders_pid")
wait_listening "$inventory_port"
wait_listening "$orders_port"
echo "attach-example: orders-service running as pid $orders_pid on 127.0.0.1:$orders_port"

status=0
# out/attach-example unless the options given name another --out.
out=(--out out/attach-example)
for arg in "$@"; do
  case "$arg" in --out | --out=*) out=() ;; esac
done
"$bin/faultline" run docs/examples/attach-example.toml "${out[@]}" \
  --set "target.attach.port=$orders_port" \
  --set "dependencies.inventory.listen=$proxy_port" \
  --set "dependencies.inventory.address=127.0.0.1:$inventory_port" "$@" || status=$?

for pid in "${pids[@]}"; do
  if kill -0 "$pid" 2>/dev/null; then
    echo "attach-example: pid $pid is still running, as faultline found it"
  else
    echo "attach-example: pid $pid is gone" >&2
    if [ "$status" -eq 0 ]; then status=3; fi
  fi
done
exit "$status"
