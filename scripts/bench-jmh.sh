#!/usr/bin/env bash
# JMH micro-benchmarks of the stratafs core (no FUSE, no kernel overlay): lookup, readdir, copy-up.
#
#   scripts/bench-jmh.sh                      short run (1 fork, 2x1s warm-up, 3x1s measurement)
#   BENCH_LONG=1 scripts/bench-jmh.sh         longer run (2 forks, 5x2s warm-up, 5x2s measurement)
#   BENCH_JMH_ARGS='-p layers=500' scripts/bench-jmh.sh LookupBench   extra JMH args / filter regex
#   BENCH_OUT=results.json                    where the JSON results go (default benchmarks/target/results.json,
#                                             inside target/ so that it never shows up in git status)
#
# Needs root (fixtures create char-device whiteouts) and writes fixtures under /tmp (removed at
# the end of each trial). Prints the JMH result table; the JSON has every number.
set -euo pipefail
cd "$(dirname "$0")/.."

mvn -B -o -q -pl benchmarks -am package -DskipTests

if [[ "${BENCH_LONG:-0}" == 1 ]]; then
  settings=(-f 2 -wi 5 -i 5 -w 2s -r 2s)
else
  settings=(-f 1 -wi 2 -i 3 -w 1s -r 1s)
fi
out="${BENCH_OUT:-benchmarks/target/results.json}"
# shellcheck disable=SC2086 # BENCH_JMH_ARGS is split on purpose
exec java -jar benchmarks/target/benchmarks.jar "${settings[@]}" -rf json -rff "$out" ${BENCH_JMH_ARGS:-} "$@"
