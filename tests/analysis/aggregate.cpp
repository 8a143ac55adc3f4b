// Tests include/ioam/analysis/aggregate.hpp: per-path and per-hop interval
// aggregates from closed packets, and its bound.
#include "ioam/analysis/aggregate.hpp"

#include <gtest/gtest.h>

namespace a = ioam::analysis;

namespace {
a::packet_report packet(std::uint32_t flow, std::initializer_list<std::int64_t> times_ms) {
    a::packet_report r;
    r.namespace_id = 1;
    r.flow_id = flow;
    for (const auto t : times_ms) r.hops[r.hop_count++] = a::hop{100u + r.hop_count, 64, t * 1'000'000};
    for (unsigned i = 0; i + 1 < r.hop_count; ++i) r.delay_ns[i] = *r.hops[i + 1].time_ns - *r.hops[i].time_ns;
    r.path_delay_ns = *r.hops[r.hop_count - 1].time_ns - *r.hops[0].time_ns;
    return r;
}
}  // namespace

TEST(Aggregate, PathAndHopSummaries) {
    a::interval_aggregator g;
    g.add(packet(1, {0, 5, 15}));
    g.add(packet(1, {0, 7, 19}));
    auto lost = packet(1, {0, 6, 18});
    lost.result = a::outcome::lost;
    lost.lost_from = 103;
    lost.lost_to = 104;
    g.add(lost);
    ASSERT_EQ(g.paths().size(), 1u);
    const auto& p = g.paths().begin()->second;
    EXPECT_EQ(p.packets, 3u);
    EXPECT_EQ(p.lost, 1u);
    EXPECT_EQ(p.lost_to, 104u);
    EXPECT_EQ(p.node_count, 3);
    EXPECT_EQ(p.path_delay.count, 2u);  // the lost packet has no path delay
    EXPECT_EQ(p.path_delay.min_ns, 15'000'000);
    EXPECT_EQ(p.path_delay.max_ns, 19'000'000);
    EXPECT_EQ(p.path_delay.sum_ns, 34'000'000);
    EXPECT_EQ(p.hop_delay[0].mean_ns(), 6'000'000);
    EXPECT_EQ(p.hop_delay[1].min_ns, 10'000'000);
    EXPECT_EQ(p.hop_delay[1].max_ns, 12'000'000);
    g.add(packet(2, {0, 1}));
    EXPECT_EQ(g.paths().size(), 2u);
    g.reset();
    EXPECT_TRUE(g.paths().empty());
}

TEST(Aggregate, BoundedKeysCountOverflow) {
    a::interval_aggregator g(3);
    for (std::uint32_t f = 0; f < 5; ++f) g.add(packet(f, {0, 1}));
    EXPECT_EQ(g.paths().size(), 3u);
    EXPECT_EQ(g.overflow(), 2u);
}
