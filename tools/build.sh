#!/usr/bin/env bash
# Configures and builds everything (2 parallel jobs). In CI (CI=true)
# warnings are errors.
#
#   tools/build.sh                          into build/
#   tools/build.sh --sanitize=LIST          a sanitizer build (-fsanitize=LIST,
#                                           FAULTLINE_SANITIZE): address,undefined
#                                           into build-asan/, thread into
#                                           build-tsan/, anything else into
#                                           build-san-<list>/
#   tools/build.sh [--sanitize=LIST] --print-dir
#                                           prints that folder, builds nothing
#   ... -- TARGET...                        builds only these targets
set -euo pipefail
cd "$(dirname "$0")/.."

sanitize="" print_dir=false targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --sanitize=*) sanitize=${1#--sanitize=} ;;
    --print-dir) print_dir=true ;;
    --) shift; targets=("$@"); break ;;
    *) echo "build.sh: unknown argument \"$1\" (--sanitize=LIST, --print-dir, -- TARGET...)" >&2; exit 2 ;;
  esac
  shift
done

case ",$sanitize," in
  ,,) dir=build ;;
  *,thread,*) dir=build-tsan ;;
  *,address,*) dir=build-asan ;;
  *) dir=build-san-${sanitize//,/-} ;;
esac
if $print_dir; then
  echo "$dir"
  exit 0
fi

werror=OFF
[ "${CI:-}" = "true" ] && werror=ON
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
# A sanitizer build is a checking build: assertions on, -O1 (what the
# sanitizers recommend), line tables only: half the compile time of -O2 -g.
# The default build: -O2 with line tables only (-g1): function names and
# file:line for backtraces and the census, without the type and variable
# information that costs about 30 % of the compile time (docs/testing.md).
build_type=(-DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG")
[ -n "$sanitize" ] && build_type=(-DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g1")
cmake -S . -B "$dir" "${build_type[@]}" -DFAULTLINE_WERROR="$werror" \
  -DFAULTLINE_SANITIZE="$sanitize" "${launcher[@]}" >/dev/null
if [ ${#targets[@]} -gt 0 ]; then
  cmake --build "$dir" -j2 --target "${targets[@]}"
else
  cmake --build "$dir" -j2
fi
