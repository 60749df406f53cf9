#!/usr/bin/env bash
# README command 2 (and CI's): installs what is missing, builds, runs every
# test under ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
tools/build.sh
ctest --test-dir build --output-on-failure -j2 "$@"
