#!/usr/bin/env bash
# `make fuzz`: builds the fuzz targets (tests/fuzz/) with clang-14 and libFuzzer in build-fuzz/ (address and
# undefined-behaviour sanitizers on), runs each for FUZZ_SECONDS over a copy of its saved corpus, and merges
# the inputs that reached new code back into tests/fuzz/corpus/<target>/. Prints executions and crashes per
# target; any crash (or broken invariant) fails, and its input is kept in build-fuzz/crashes/.
# FUZZ_TARGETS="phone jwt" limits the run to some targets.
set -euo pipefail
cd "$(dirname "$0")/.."

FUZZ_SECONDS=${FUZZ_SECONDS:-60}
BUILD=${FUZZ_BUILD_DIR:-build-fuzz}
CORPUS=tests/fuzz/corpus
ALL_TARGETS=$(sed -n 's/^set(HAVEN_FUZZ_TARGETS \(.*\))$/\1/p' tests/fuzz/CMakeLists.txt)
TARGETS=${FUZZ_TARGETS:-$ALL_TARGETS}

cmake -S tests/fuzz -B "$BUILD" -G Ninja -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_BUILD_TYPE=None >/dev/null
cmake --build "$BUILD" -j "$(nproc)" --target $(for t in $TARGETS; do printf '%s_fuzz ' "$t"; done)
mkdir -p "$BUILD/crashes" "$BUILD/logs"

failed=0
total=0
report=()
for t in $TARGETS; do
  work="$BUILD/work/$t"
  rm -rf "$work"
  mkdir -p "$work" "$CORPUS/$t"
  cp -r "$CORPUS/$t/." "$work/"
  dict=()
  [ -f "tests/fuzz/dict/$t.dict" ] && dict=(-dict="tests/fuzz/dict/$t.dict")
  log="$BUILD/logs/$t.log"
  echo "fuzzing $t for ${FUZZ_SECONDS}s ..."
  rc=0
  # -timeout: an input that takes 10 s is a hang; -rss_limit_mb: a parser must not need 2 GB.
  "$BUILD/${t}_fuzz" "${dict[@]}" -max_total_time="$FUZZ_SECONDS" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$BUILD/crashes/$t-" "$work" >"$log" 2>&1 || rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  [ -z "$execs" ] && execs=$(grep -o '^#[0-9]*' "$log" | tail -1 | tr -d '#')
  execs=${execs:-0}
  total=$((total + execs))
  crashes=0
  if [ "$rc" -ne 0 ]; then
    crashes=1
    failed=1
    echo "  $t CRASHED (exit $rc); input: $(grep -o "$BUILD/crashes/$t-[^ ]*" "$log" | tail -1); log: $log"
    grep -m1 -A12 -E 'ERROR: (AddressSanitizer|libFuzzer)|runtime error|invariant broken' "$log" | sed 's/^/    /' || true
  fi
  # Merge and minimise in one pass: the named inputs (seed-*, regression-*) stay; of the rest, only inputs
  # that reach an edge none of the kept ones reach are added (edges, not hit counts: the corpus stays small).
  # After a crash the corpus is left as it is: a merge would drop every input that crashes.
  before=$(ls "$CORPUS/$t" | wc -l)
  merged="$BUILD/merged/$t"
  rm -rf "$merged"
  mkdir -p "$merged"
  find "$CORPUS/$t" -maxdepth 1 -type f \( -name 'seed-*' -o -name 'regression-*' \) -exec cp {} "$merged/" \;
  if [ "$crashes" -ne 0 ]; then
    :
  elif "$BUILD/${t}_fuzz" -merge=1 -use_counters=0 -max_len=4096 -timeout=10 \
      -artifact_prefix="$BUILD/crashes/$t-merge-" "$merged" "$CORPUS/$t" "$work" >"$BUILD/logs/$t.merge.log" 2>&1; then
    rm -rf "$CORPUS/$t"
    cp -r "$merged" "$CORPUS/$t"
  else
    echo "  $t: merging the corpus failed, see $BUILD/logs/$t.merge.log"
    failed=1
  fi
  after=$(ls "$CORPUS/$t" | wc -l)
  bytes=$(cat "$CORPUS/$t"/* | wc -c)
  report+=("$(printf '%-14s %12s executions  %d crashes  corpus %d -> %d files (%d bytes)' "$t" "$execs" "$crashes" \
    "$before" "$after" "$bytes")")
done

echo
printf '%s\n' "${report[@]}"
echo "total: $total executions in ${FUZZ_SECONDS}s per target"
exit $failed
