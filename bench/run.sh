#!/bin/sh
# Builds an optimized configuration (-O3, NDEBUG) in its own build directory,
# runs every benchmark with repetitions, and writes JSON plus a markdown table
# (records/s, bytes/s, ratios against libfixbuf and the baseline), the
# <ioam/ipfix.hpp> parse time, and, with CALLGRIND=1, instructions per record.
# It also builds ioam-exporter (when libmnl is there), times it replaying a
# pcap of REPLAY_EVENTS events (default 2000000) into /dev/null, and reports
# its stripped size (target: 200 KB).
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

opts="--buildtype=release -Db_ndebug=true -Dbenchmarks=enabled -Dtests=disabled -Dexporter=auto"
if [ -f "$build/build.ninja" ]; then
    meson configure "$build" $opts >/dev/null
else
    meson setup "$build" "$root" $opts >/dev/null
fi
ninja -C "$build" -j2 bench/bench_ipfix_encode bench/bench_ipfix_decode bench/bench_trace_nodes \
    bench/bench_exporter_events
exporter=$build/exporters/ioam-exporter/ioam-exporter
ninja -C "$build" -j2 exporters/ioam-exporter/ioam-exporter 2>/dev/null || true
mkdir -p "$out"

for b in ipfix_encode ipfix_decode trace_nodes exporter_events; do
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
        case $name in
        BM_decode_*) exe=$build/bench/bench_ipfix_decode ;;
        BM_export_*) exe=$build/bench/bench_exporter_events ;;
        esac
        BENCH_PASS=$name BENCH_PASSES=10 valgrind --tool=callgrind --collect-atstart=no \
            --callgrind-out-file="$out/cg.out" "$exe" > /dev/null 2> "$out/cg.log"
        ir=$(grep -h '^summary:' "$out"/cg.out.1 | awk '{print $2}')
        echo "$name $ir 10" >> "$out/callgrind.txt"
        rm -f "$out"/cg.out*
    done
fi

# The real exporter: replay rate (wall and CPU seconds) and stripped size.
: > "$out/replay.txt"
: > "$out/size.txt"
if [ -x "$exporter" ]; then
    events=${REPLAY_EVENTS:-2000000}
    BENCH_WRITE_PCAP="$out/replay.pcap" BENCH_PCAP_EVENTS=$events "$build/bench/bench_exporter_events"
    for i in 1 2 3; do
        /usr/bin/time -f "%e %U %S" -o "$out/replay.time" "$exporter" --replay "$out/replay.pcap" --file /dev/null \
            2> "$out/replay.log"
        read -r wall user sys < "$out/replay.time"
        echo "$events $wall $user $sys" | awk '{printf "ioam-exporter --replay (%d events) --file /dev/null: %.2f s wall, %.2f s user+sys: %.2f M events/s wall, %.2f M events/s CPU\n", $1, $2, $3 + $4, $1 / $2 / 1e6, $1 / ($3 + $4) / 1e6}' >> "$out/replay.txt"
    done
    grep -o 'events=[0-9]* ' "$out/replay.log" | head -1 >> "$out/replay.txt"
    rm -f "$out/replay.pcap"
    strip -o "$out/ioam-exporter.stripped" "$exporter"
    echo "ioam-exporter (-O3, NDEBUG) stripped: $(stat -c %s "$out/ioam-exporter.stripped") octets (target 204800)" >> "$out/size.txt"
    size "$out/ioam-exporter.stripped" >> "$out/size.txt"
fi

python3 "$root/bench/report.py" "$out" > "$out/results.md"
cat "$out/results.md"
