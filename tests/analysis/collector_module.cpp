// Tests the collector's analysis module (exporters/ioam-collector/analysis.cpp)
// with hostile decoded records: trace events cut short, out of order, from
// many sessions, with absurd node counts, DEX records without keys. It must
// not crash, must account for what it drops, and its metrics text must stay
// in the exposition format (every sample line: name, optional labels, number).
#include "analysis.hpp"

#include <gtest/gtest.h>

#include <random>
#include <regex>
#include <sstream>
#include <string>

namespace {
using ioam::trace::value_id;

ioam::exporting::decoded_record record(std::mt19937_64& rng) {
    ioam::exporting::decoded_record d;
    const auto pick = [&](std::uint64_t n) { return rng() % n; };
    d.option_type = pick(2) ? 4 : 0;
    d.namespace_id = static_cast<std::uint16_t>(pick(3));
    if (pick(8)) d.flow_id = static_cast<std::uint32_t>(pick(50));
    if (pick(8)) d.sequence = static_cast<std::uint32_t>(pick(200));
    if (pick(8)) d.event_id = static_cast<std::uint32_t>(pick(4));
    if (pick(8)) d.node_index = static_cast<std::uint8_t>(pick(5));
    if (pick(8)) d.node_count = static_cast<std::uint8_t>(pick(40));  // up to 39: past max_hops
    d.values[static_cast<std::size_t>(value_id::node_id)] = pick(20);
    d.values[static_cast<std::size_t>(value_id::hop_limit)] = pick(256);
    if (pick(4)) d.values[static_cast<std::size_t>(value_id::timestamp_seconds)] = pick(4) ? 1'790'000'000 + pick(3) : rng();
    if (pick(4)) d.values[static_cast<std::size_t>(value_id::timestamp_fraction)] = pick(4) ? pick(1'000'000) : rng();
    return d;
}
}  // namespace

TEST(CollectorModule, HostileRecordsAndTheMetricsText) {
    ioam_collector::analysis_settings s;
    s.out = "/dev/null";
    s.metrics = "127.0.0.1:0";  // any free port: the text is what is checked
    s.max_series = 8;
    s.correlator.window = 128;
    s.correlator.max_flows = 16;
    ioam_collector::analysis a(s);
    ASSERT_TRUE(a.start());
    std::mt19937_64 rng(14);
    for (int i = 0; i < 100'000; ++i) a.record(rng() % 70'000, record(rng));
    a.finish();
    const std::string text = a.metrics_text();
    const std::regex sample(R"(^[a-z_]+(\{([a-z_]+="[^"]*",?)*\})? -?[0-9.e+Inf-]+$)");
    std::istringstream in(text);
    std::size_t samples = 0;
    for (std::string line; std::getline(in, line);) {
        if (line.empty() || line[0] == '#') continue;
        EXPECT_TRUE(std::regex_match(line, sample)) << line;
        ++samples;
    }
    EXPECT_GT(samples, 20u);
    // Bounded: at most max_series label sets (plus "other") per hop family.
    std::size_t hop_series = 0;
    for (std::size_t at = 0; (at = text.find("\nioam_hop_packets_total{", at)) != std::string::npos; ++at) ++hop_series;
    EXPECT_LE(hop_series, s.max_series + 1);
    EXPECT_NE(text.find("ioam_correlator_trace_events_partial_total "), std::string::npos);
}
