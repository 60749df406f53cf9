#!/usr/bin/env bash
# Configures and builds everything into build/ (2 parallel jobs). In CI
# (CI=true) warnings are errors.
set -euo pipefail
cd "$(dirname "$0")/.."
werror=OFF
[ "${CI:-}" = "true" ] && werror=ON
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFAULTLINE_WERROR="$werror" >/dev/null
cmake --build build -j2
