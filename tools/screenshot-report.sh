#!/bin/sh
# screenshot-report.sh REPORT.html OUT.png [WIDTHxHEIGHT]
# Renders a faultline HTML report to a PNG with headless Chromium (default
# 1200x1600), e.g. for the README. Chromium runs with a throw-away profile,
# no network beyond the file, and is killed if it takes over 60 s.
set -eu
if [ $# -lt 2 ]; then
  echo "usage: $0 REPORT.html OUT.png [WIDTHxHEIGHT]" >&2
  exit 2
fi
report=$1 out=$2 size=${3:-1200x1600}
chromium=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$chromium" ]; then
  echo "$0: chromium not found; install it (tools/install-deps.sh)" >&2
  exit 1
fi
[ -r "$report" ] || { echo "$0: cannot read $report" >&2; exit 2; }
abs_report=$(cd "$(dirname "$report")" && pwd)/$(basename "$report")
case $out in /*) abs_out=$out ;; *) abs_out=$(pwd)/$out ;; esac
profile=$(mktemp -d /tmp/faultline-screenshot-XXXXXX)
trap 'rm -rf "$profile"' EXIT
# --proxy-server to a closed port: anything the page (or Chromium) tries to
# fetch fails instead of leaving the machine.
timeout -k 5 60 "$chromium" --headless --no-sandbox --disable-gpu \
  --disable-background-networking --disable-component-update --no-first-run \
  --disable-sync --disable-quic --hide-scrollbars \
  --proxy-server=127.0.0.1:9 --proxy-bypass-list='<-loopback>' \
  --user-data-dir="$profile" --window-size="$(echo "$size" | tr x ,)" \
  --screenshot="$abs_out" "file://$abs_report" >/dev/null 2>&1 || {
  echo "$0: chromium failed or timed out" >&2
  exit 1
}
[ -s "$abs_out" ] || { echo "$0: no screenshot written" >&2; exit 1; }
echo "$abs_out"
