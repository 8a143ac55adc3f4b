// One "pass" per benchmark (all record_count records once), registered both
// as a Google Benchmark and by name for instruction counting: with
// BENCH_PASS=<benchmark name> in the environment, main() runs only that
// pass, once to warm up and then `passes` times with callgrind collecting
// (run under valgrind --tool=callgrind --collect-atstart=no; bench/run.sh).
#pragma once

#include <benchmark/benchmark.h>
#include <valgrind/callgrind.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <string>

namespace bench {

inline std::map<std::string, std::function<void()>>& passes() {
    static std::map<std::string, std::function<void()>> m;
    return m;
}

/// Registers `pass` as benchmark `name`; items = records, bytes = octets per pass.
inline void add_pass(const std::string& name, std::function<void()> pass, std::int64_t items, std::int64_t bytes) {
    passes()[name] = pass;
    benchmark::RegisterBenchmark(name.c_str(), [pass, items, bytes](benchmark::State& st) {
        for (auto _ : st) pass();
        st.SetItemsProcessed(st.iterations() * items);
        st.SetBytesProcessed(st.iterations() * bytes);
    });
}

/// The BENCH_PASS mode; returns -1 when not asked for.
inline int run_pass_mode() {
    const char* name = std::getenv("BENCH_PASS");
    if (!name) return -1;
    auto it = passes().find(name);
    if (it == passes().end()) {
        std::fprintf(stderr, "no pass named %s\n", name);
        return 2;
    }
    const int n = std::getenv("BENCH_PASSES") ? std::atoi(std::getenv("BENCH_PASSES")) : 20;
    it->second();  // warm up: first-touch, lazy allocations
    CALLGRIND_ZERO_STATS;
    CALLGRIND_TOGGLE_COLLECT;
    for (int i = 0; i < n; ++i) it->second();
    CALLGRIND_TOGGLE_COLLECT;
    CALLGRIND_DUMP_STATS_AT("passes");
    std::printf("%s: %d passes\n", name, n);
    return 0;
}

}  // namespace bench
