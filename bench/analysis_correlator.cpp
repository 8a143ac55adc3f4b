// Correlation of DEX records into packets (include/ioam/analysis/), and the
// cost of the collector's metrics endpoint, in one run:
//   BM_correlate_dex        correlator::observe_dex, 3 nodes per packet, records of
//                           a packet spread over the stream as exporters deliver them
//   BM_naive_unordered_map  the obvious version: std::unordered_map of vectors, erase on
//                           the third record (no ordering, loss or delay work)
//   BM_baseline_hash        the floor: hash every record's key and nothing else
//   BM_metrics_render       the Prometheus text of the collector (256 hop series)
//   BM_metrics_scrape       GET /metrics through libmicrohttpd over loopback
// items = records (render, scrape: one text). Counters: bytes per open packet.
#include <benchmark/benchmark.h>

#include "analysis.hpp"
#include "metrics.hpp"

#include "ioam/analysis/correlator.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

namespace {
namespace an = ioam::analysis;

struct rec {
    std::uint32_t flow, seq;
    an::hop h;
};

// 100,000 packets of 1,000 flows through three nodes; the exports of node n
// arrive 64 * n packets later (exporters batch), so ~200 packets are open.
const std::vector<rec>& records() {
    static const std::vector<rec> r = [] {
        constexpr unsigned packets = 100'000, lag = 64;
        std::vector<rec> v;
        v.reserve(packets * 3);
        std::mt19937 rng(9326);
        std::vector<std::uint32_t> seq(1000);
        for (unsigned i = 0; i < packets + 2 * lag; ++i)
            for (unsigned n = 0; n < 3; ++n) {
                if (i < n * lag || i - n * lag >= packets) continue;
                const unsigned p = i - n * lag;
                const std::uint32_t flow = (p * 2654435761u) % 1000;
                const std::int64_t t = std::int64_t{p} * 1000 + n * 5'000'000;
                v.push_back({flow, p, an::hop{100u + n, static_cast<std::uint8_t>(64 - n), t}});
            }
        return v;
    }();
    return r;
}

void BM_correlate_dex(benchmark::State& state) {
    const auto& v = records();
    an::correlator_options o;
    o.window = 65536;
    o.wait_ns = 50'000'000;  // 50 ms of packet time at 1 Mpps: ~50,000 packets wait
    an::correlator c(o);
    std::uint64_t delivered = 0;
    const auto sink = [&](const an::packet_report& r) { delivered += r.result == an::outcome::delivered; };
    std::int64_t now = 0;
    for (auto _ : state) {
        for (const auto& r : v) c.observe_dex(1, r.flow, r.seq + static_cast<std::uint32_t>(now / 1000), r.h, now + *r.h.time_ns, sink);
        now += 200'000'000'000;  // next round: new sequence numbers, later time
        benchmark::DoNotOptimize(delivered);
    }
    c.flush(sink);
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * v.size()));
    state.counters["bytes_per_open_packet"] = static_cast<double>(c.bytes_per_packet());
    state.counters["evicted"] = static_cast<double>(c.stats().evicted);
    if (c.stats().late_records || c.stats().lost) state.SkipWithError("records came late or packets were lost");
}
BENCHMARK(BM_correlate_dex);

void BM_naive_unordered_map(benchmark::State& state) {
    const auto& v = records();
    std::uint64_t done = 0;
    for (auto _ : state) {
        std::unordered_map<std::uint64_t, std::vector<an::hop>> open;
        for (const auto& r : v) {
            auto& hops = open[std::uint64_t{r.flow} << 32 | r.seq];
            hops.push_back(r.h);
            if (hops.size() == 3) {
                ++done;
                open.erase(std::uint64_t{r.flow} << 32 | r.seq);
            }
        }
        benchmark::DoNotOptimize(done);
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * v.size()));
}
BENCHMARK(BM_naive_unordered_map);

void BM_baseline_hash(benchmark::State& state) {
    const auto& v = records();
    for (auto _ : state) {
        std::uint64_t x = 0;
        for (const auto& r : v) x ^= an::detail::mix(std::uint64_t{r.flow} << 32 | r.seq) ^ r.h.node_id;
        benchmark::DoNotOptimize(x);
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * v.size()));
}
BENCHMARK(BM_baseline_hash);

// An analysis module that has seen 256 flows over 257 nodes in pairs: 256
// hop series (the default bound), with histograms.
ioam_collector::analysis& metrics_module() {
    static const auto m = [] {
        static ioam_collector::analysis_settings s;
        s.out = "/dev/null";
        s.metrics = "127.0.0.1:47496";  // metrics are counted only with an endpoint
        s.correlator.window = 4096;
        auto a = std::make_unique<ioam_collector::analysis>(s);
        if (!a->start()) std::abort();
        for (std::uint32_t p = 0; p < 2048; ++p)
            for (unsigned n = 0; n < 2; ++n) {
                ioam::exporting::decoded_record d;
                d.option_type = 4;
                d.namespace_id = 1;
                d.flow_id = p % 256;
                d.sequence = p;
                d.values[static_cast<std::size_t>(ioam::trace::value_id::node_id)] = p % 256 + n;
                d.values[static_cast<std::size_t>(ioam::trace::value_id::hop_limit)] = 64 - n;
                d.values[static_cast<std::size_t>(ioam::trace::value_id::timestamp_seconds)] = 1000;
                d.values[static_cast<std::size_t>(ioam::trace::value_id::timestamp_fraction)] = p + 5000 * n;
                a->record(1, d);
            }
        a->finish();
        return a;
    }();
    return *m;
}

void BM_metrics_render(benchmark::State& state) {
    auto& a = metrics_module();
    std::size_t bytes = 0;
    for (auto _ : state) {
        const std::string t = a.metrics_text();
        bytes = t.size();
        benchmark::DoNotOptimize(t.data());
    }
    state.SetItemsProcessed(state.iterations());
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
    state.counters["text_bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_metrics_render);

void BM_metrics_scrape(benchmark::State& state) {
    ioam_collector::metrics_server m;
    std::string err;
    if (!m.start("127.0.0.1:47497", err)) {
        state.SkipWithError(("metrics server: " + err).c_str());
        return;
    }
    const std::string text = metrics_module().metrics_text();
    m.publish(text);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(47497);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    static const char req[] = "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    std::vector<char> buf(1 << 20);
    std::size_t got = 0;
    for (auto _ : state) {
        const int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0 || send(fd, req, sizeof req - 1, 0) < 0) {
            state.SkipWithError("cannot connect");
            if (fd >= 0) close(fd);
            return;
        }
        got = 0;
        for (ssize_t n; (n = recv(fd, buf.data(), buf.size(), 0)) > 0;) got += static_cast<std::size_t>(n);
        close(fd);
    }
    if (got < text.size()) state.SkipWithError("short answer");
    state.SetItemsProcessed(state.iterations());
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * got));
}
BENCHMARK(BM_metrics_scrape);

}  // namespace

BENCHMARK_MAIN();
