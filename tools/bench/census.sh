#!/usr/bin/env bash
# The pause a native census costs: held-threads holds THREADS threads (default
# 1,000) in poll; census_bench takes ROUNDS censuses of it and prints, for
# each, how long the target was stopped and how long the whole census took.
# The issue's bound: a census of 1,000 threads pauses the target <= 2 s.
#
#   tools/bench/census.sh [THREADS] [ROUNDS]     (build/ must be configured)
set -euo pipefail
cd "$(dirname "$0")/../.."
threads=${1:-1000}
rounds=${2:-3}
cmake --build build -j2 --target census_bench held-threads >/dev/null
build/bin/census_bench --held-threads build/bin/held-threads --threads "$threads" --rounds "$rounds" |
  tee /dev/stderr | awk -v limit=2 '/worst pause/ { pause = $(NF-1) }
    END { if (pause == "") exit 1;
          if (pause + 0 > limit) { print "census.sh: pause " pause " s is over " limit " s"; exit 1 }
          print "census.sh: pause " pause " s, within " limit " s" }'
