#!/usr/bin/env bash
# README command 1: installs what is missing, builds, runs the flagship
# scenario (both variants) and writes its reports to out/hung-dependency/.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
tools/build.sh
exec build/bin/faultline run scenarios/hung-dependency.toml --out out/hung-dependency "$@"
