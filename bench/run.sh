#!/bin/sh
# Builds an optimized configuration (-O3, NDEBUG) in its own build directory,
# runs every benchmark with repetitions, and writes JSON plus a markdown table
# (records/s, bytes/s, ratios against libfixbuf and the baseline), the
# <ioam/ipfix.hpp> parse time, and, with CALLGRIND=1, instructions per record.
#
#   bench/run.sh [BUILD_DIR]     (default: build-bench)
#   REPS=5 MIN_TIME=0.5 CALLGRIND=1 bench/run.sh
# Output: BUILD_DIR/bench-results/{*.json,results.md}
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build-bench}
reps=${REPS:-5}
min_time=${MIN_TIME:-0.5}
out=$build/bench-results

opts="--buildtype=release -Db_ndebug=true -Dbenchmarks=enabled -Dtests=disabled -Dexporter=disabled"
if [ -f "$build/build.ninja" ]; then
    meson configure "$build" $opts >/dev/null
else
    meson setup "$build" "$root" $opts >/dev/null
fi
ninja -C "$build" -j2 bench/bench_ipfix_encode bench/bench_ipfix_decode bench/bench_trace_nodes
mkdir -p "$out"

for b in ipfix_encode ipfix_decode trace_nodes; do
    exe=$build/bench/bench_$b
    [ -x "$exe" ] || continue
    "$exe" --benchmark_repetitions="$reps" --benchmark_min_time="$min_time" \
        --benchmark_report_aggregates_only=true \
        --benchmark_out="$out/$b.json" --benchmark_out_format=json
done

# Parse time of the umbrella header (g++ -fsyntax-only), seconds, several runs.
printf '#include <ioam/ipfix.hpp>\nint main() {}\n' > "$out/parse.cpp"
: > "$out/parse.txt"
for i in 1 2 3 4 5; do
    /usr/bin/time -f %e g++ -std=c++20 -fsyntax-only -I"$root/include" "$out/parse.cpp" 2>> "$out/parse.txt"
done

# Instructions per record under callgrind (deterministic on a noisy machine).
: > "$out/callgrind.txt"
if [ "${CALLGRIND:-0}" = 1 ]; then
    for name in $(python3 "$root/bench/report.py" --list-passes "$out"); do
        exe=$build/bench/bench_ipfix_encode
        case $name in BM_decode_*) exe=$build/bench/bench_ipfix_decode ;; esac
        BENCH_PASS=$name BENCH_PASSES=10 valgrind --tool=callgrind --collect-atstart=no \
            --callgrind-out-file="$out/cg.out" "$exe" > /dev/null 2> "$out/cg.log"
        ir=$(grep -h '^summary:' "$out"/cg.out.1 | awk '{print $2}')
        echo "$name $ir 10" >> "$out/callgrind.txt"
        rm -f "$out"/cg.out*
    done
fi

python3 "$root/bench/report.py" "$out" > "$out/results.md"
cat "$out/results.md"
