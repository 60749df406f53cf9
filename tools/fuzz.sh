#!/usr/bin/env bash
# tools/fuzz.sh NAME SECONDS [libFuzzer flags...]
#
# Builds the libFuzzer target tests/fuzz/NAME_fuzz.cc into build-fuzz/ (its
# own folder: clang++-14, -fsanitize=fuzzer,address,undefined) and runs it
# for SECONDS on a working copy of its seed corpus, build-fuzz/fuzz/NAME/
# corpus/ (seeded from tests/fuzz/corpus/NAME/ on every start, kept between
# runs). Names: the files tests/fuzz/*_fuzz.cc without "_fuzz.cc".
#
# Exit status: 0 when the run ended with no crash, leak or timeout (prints
# the executions and exec/s); otherwise libFuzzer's non-zero status, after
# printing the reproducer's path and how to replay it. A reproducer worth
# keeping goes into tests/fuzz/corpus/NAME/ with the fix, so the replay test
# in the normal suite pins it. See docs/testing.md.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  echo "usage: tools/fuzz.sh NAME SECONDS [libFuzzer flags...]" >&2
  echo "names: $(cd tests/fuzz && ls ./*_fuzz.cc | sed 's|^\./||; s|_fuzz\.cc$||' | tr '\n' ' ')" >&2
  exit 2
}
[ $# -ge 2 ] || usage
name=$1 seconds=$2
shift 2
[ -f "tests/fuzz/${name}_fuzz.cc" ] || { echo "fuzz.sh: no fuzz target \"$name\"" >&2; usage; }
[[ "$seconds" =~ ^[0-9]+$ ]] && [ "$seconds" -gt 0 ] || { echo "fuzz.sh: SECONDS must be a positive integer, got \"$seconds\"" >&2; usage; }

cxx=${FUZZ_CXX:-clang++-14}
if ! command -v "$cxx" >/dev/null && [ "$cxx" = clang++-14 ] && [ "$(id -u)" -eq 0 ]; then
  # Only fuzzing needs clang (the suite replays the corpora with gcc), so the
  # README's commands do not install it; this does, once.
  echo "fuzz.sh: installing clang-14 and libclang-rt-14-dev" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends clang-14 libclang-rt-14-dev >&2
fi
command -v "$cxx" >/dev/null || { echo "fuzz.sh: $cxx not found: apt-get install clang-14 libclang-rt-14-dev" >&2; exit 2; }
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER="$cxx" \
  -DFAULTLINE_FUZZ=ON "${launcher[@]}" >/dev/null
cmake --build build-fuzz -j2 --target "fuzz_$name"

work=build-fuzz/fuzz/$name
mkdir -p "$work/corpus" "$work/artifacts"
cp -n tests/fuzz/corpus/"$name"/* "$work/corpus/" 2>/dev/null || true
log=$work/last-run.log

echo "fuzz.sh: fuzz_$name for ${seconds}s on $work/corpus (log: $log)" >&2
status=0
# -timeout: one input running 10 s is a hang. The sanitizers abort on any
# report (-fno-sanitize-recover), leaks included (libFuzzer's -detect_leaks).
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_stack_use_after_return=1} \
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} \
  "build-fuzz/bin/fuzz_$name" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 -artifact_prefix="$work/artifacts/" "$@" "$work/corpus" >"$log" 2>&1 || status=$?

runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
files=$(find "$work/corpus" -type f | wc -l)
if [ "$status" -eq 0 ]; then
  echo "fuzz.sh: $name: ${runs:-?} executions in ${seconds}s (${rate:-?} exec/s), corpus $files files: no crash, leak or timeout"
  exit 0
fi
tail -n 60 "$log" >&2
artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
echo "fuzz.sh: $name FAILED (libFuzzer exit status $status) after ${runs:-?} executions" >&2
if [ -n "$artifact" ]; then
  echo "fuzz.sh: reproducer: $artifact" >&2
  echo "fuzz.sh: replay: build-fuzz/bin/fuzz_$name $artifact   (or, without clang: build/bin/fuzz_$name $artifact)" >&2
else
  echo "fuzz.sh: no reproducer written; see $log" >&2
fi
exit "$status"
