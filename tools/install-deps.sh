#!/usr/bin/env bash
# Installs the Debian packages faultline needs, if any is missing.
# Runs apt-get only when something is missing; uses sudo when not root.
set -euo pipefail

packages=(
  cmake g++ make pkg-config
  libboost-dev            # Asio + Beast
  libcpp-httplib-dev      # targets, stub dependency
  libcli11-dev
  libtomlplusplus-dev
  nlohmann-json3-dev
  doctest-dev
  golang-go               # the Go target
  libxml2-utils           # xmllint: the JUnit XML schema test
  chromium                # the HTML report's browser test
  postgresql              # hung-database, slow-cache: the real dependencies
  redis-server
  gunicorn                # targets/python: the Python orders service
  python3-flask
  python3-psycopg2
  python3-redis
  libdw-dev               # the stack census (harness/census)
  libc6-dbg               # its tests name libc's internal frames (start_thread)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
