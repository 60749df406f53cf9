#!/usr/bin/env bash
# README command 2 (and CI's): installs what is missing, builds, runs every
# test under ctest. Arguments after the options go to ctest (-L unit, -R x).
#
#   tools/test.sh [ctest args]                         build/
#   tools/test.sh --sanitize=address,undefined [...]   build-asan/
#   tools/test.sh --sanitize=thread [...]              build-tsan/
#
# In a sanitizer build every sanitizer report fails the test it happens in
# (the process aborts, or exits non-zero at its end), in the test binaries
# and in every process they start. See docs/testing.md.
set -euo pipefail
cd "$(dirname "$0")/.."
build_args=()
if [ $# -gt 0 ] && [[ "$1" == --sanitize=* ]]; then
  build_args=("$1")
  shift
fi
dir=$(tools/build.sh "${build_args[@]}" --print-dir)
tools/install-deps.sh
tools/build.sh "${build_args[@]}"
if [ "$dir" != build ]; then
  export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:detect_stack_use_after_return=1:strict_string_checks=1}
  export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
  export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}
fi
ctest --test-dir "$dir" --output-on-failure -j2 "$@"
