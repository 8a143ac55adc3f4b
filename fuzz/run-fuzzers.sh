#!/usr/bin/env bash
# Builds the libFuzzer harnesses (clang, ASan + UBSan) and runs each one for a
# bounded time on a copy of its corpus (the repository is not modified).
# Fails on any crash, leak, UB report, timeout or out-of-memory.
#
#   fuzz/run-fuzzers.sh                  # every harness, 60 s each
#   FUZZ_SECONDS=3600 fuzz/run-fuzzers.sh ipfix_template_cache   # a long run of one
#
# Environment: FUZZ_SECONDS (per harness, default 60), FUZZ_MAX_LEN (largest
# input libFuzzer makes, default 8192: larger regression inputs are cut to
# it, and the replay tests run them whole), FUZZ_BUILD_DIR
# (default build-fuzz), FUZZ_JOBS (parallel fuzzing processes per harness,
# default 1), FUZZ_KEEP (a directory to keep the grown corpora and any
# crash inputs in; default: a temporary directory, removed on success).
# A crash input is printed with the command that replays it; copy it into
# fuzz/corpus/<harness>/ as a regression input once fixed.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${FUZZ_BUILD_DIR:-$src/build-fuzz}
seconds=${FUZZ_SECONDS:-60}
jobs=${FUZZ_JOBS:-1}
harnesses=("$@")
if [ ${#harnesses[@]} -eq 0 ]; then
  harnesses=(ipfix_message ipfix_record ipfix_template_cache ipfix_list ipfix_file
             trace_node trace_option trace_ipv6 netlink_event exporter_replay rawexport)
fi

if [ ! -d "$build/meson-private" ]; then
  CXX=${CXX:-clang++} meson setup "$build" "$src" -Dfuzzing_engine=libfuzzer \
    -Dtests=disabled -Dbenchmarks=disabled -Dexporter=disabled
else
  meson configure "$build" -Dfuzzing_engine=libfuzzer >/dev/null
fi
targets=()
for h in "${harnesses[@]}"; do targets+=("fuzz/fuzz-$h"); done
ninja -C "$build" -j "${NINJA_JOBS:-2}" "${targets[@]}"

work=${FUZZ_KEEP:-$(mktemp -d -t ioam-fuzz.XXXXXX)}
mkdir -p "$work"
# Leaks are reported by ASan at exit; UBSan stops at the first report.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
failed=()
for h in "${harnesses[@]}"; do
  corpus=$work/corpus/$h
  mkdir -p "$corpus" "$work/artifacts"
  cp -r "$src/fuzz/corpus/$h/." "$corpus/"
  log=$work/$h.log
  echo "== $h: ${seconds}s on $(ls "$corpus" | wc -l) seed inputs"
  rc=0
  parallel=()
  [ "$jobs" -gt 1 ] && parallel=(-jobs="$jobs" -workers="$jobs")
  (cd "$work" && "$build/fuzz/fuzz-$h" "$corpus" -max_total_time="$seconds" -rss_limit_mb=2048 \
     -timeout=10 -max_len="${FUZZ_MAX_LEN:-8192}" -print_final_stats=1 "${parallel[@]}" \
     -artifact_prefix="$work/artifacts/$h-") >"$log" 2>&1 || rc=$?
  if [ "$jobs" -gt 1 ]; then cat "$work"/fuzz-*.log >>"$log" 2>/dev/null || true; rm -f "$work"/fuzz-*.log; fi
  grep -E '^stat::number_of_executed_units|^Done|cov: ' "$log" | tail -2 || true
  if [ $rc -ne 0 ] || grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|fuzz check failed' "$log"; then
    echo "FAIL $h (exit $rc); log: $log"
    grep -E 'ERROR:|runtime error:|fuzz check failed|SUMMARY' "$log" | head -5
    for a in "$work"/artifacts/"$h"-*; do
      [ -e "$a" ] && echo "  reproduce: $build/fuzz/fuzz-$h $a"
    done
    failed+=("$h")
  else
    echo "ok   $h"
  fi
done
if [ ${#failed[@]} -ne 0 ]; then
  echo "fuzzers failed: ${failed[*]} (corpora, logs and crash inputs kept in $work)"
  exit 1
fi
echo "all ${#harnesses[@]} fuzzers ran ${seconds}s each without a finding"
[ -n "${FUZZ_KEEP:-}" ] || rm -rf "$work"
