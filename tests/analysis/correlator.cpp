// Tests include/ioam/analysis/correlator.hpp with constructed exports of
// known truth: paths, delays, losses, duplicates, reordering, late records,
// path changes, clock trouble, window evictions and traces.
#include "ioam/analysis/correlator.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

namespace a = ioam::analysis;

namespace {

constexpr std::int64_t ms = 1'000'000;
constexpr std::int64_t t0 = 1'700'000'000LL * 1'000'000'000LL;

struct sink {
    std::vector<a::packet_report> out;
    void operator()(const a::packet_report& r) { out.push_back(r); }
};

a::hop node(std::uint64_t id, std::uint8_t hl, std::int64_t t) { return a::hop{id, hl, t}; }

// Nodes A, B, C with hop limits 64, 63, 62; links A-B 5 ms, B-C 10 ms.
constexpr std::uint64_t A = 101, B = 102, C = 103, D = 104;

a::correlator_options opts(std::size_t window = 1024) {
    a::correlator_options o;
    o.window = window;
    o.wait_ns = 100 * ms;
    return o;
}

}  // namespace

TEST(Correlator, DexPathOrderedByHopLimitWithDelays) {
    a::correlator c(opts());
    sink s;
    // Arrival order at the collector is C, A, B (different exporters).
    c.observe_dex(7, 42, 1, node(C, 62, t0 + 15 * ms), t0, s);
    c.observe_dex(7, 42, 1, node(A, 64, t0), t0, s);
    c.observe_dex(7, 42, 1, node(B, 63, t0 + 5 * ms), t0, s);
    EXPECT_TRUE(s.out.empty());
    EXPECT_EQ(c.open_packets(), 1u);
    c.tick(t0 + 100 * ms, s);
    ASSERT_EQ(s.out.size(), 1u);
    const auto& r = s.out[0];
    EXPECT_EQ(r.namespace_id, 7);
    EXPECT_EQ(r.flow_id, 42u);
    EXPECT_EQ(r.sequence, 1u);
    ASSERT_EQ(r.hop_count, 3);
    EXPECT_EQ(r.hops[0].node_id, A);
    EXPECT_EQ(r.hops[1].node_id, B);
    EXPECT_EQ(r.hops[2].node_id, C);
    EXPECT_EQ(r.delay[0], a::delay_state::ok);
    EXPECT_EQ(r.delay_ns[0], 5 * ms);
    EXPECT_EQ(r.delay_ns[1], 10 * ms);
    EXPECT_EQ(r.path_delay_ns, 15 * ms);
    EXPECT_EQ(r.result, a::outcome::delivered);
    EXPECT_EQ(c.stats().packets, 1u);
    EXPECT_EQ(c.open_packets(), 0u);
}

TEST(Correlator, LossFoundAtTheRightHop) {
    a::correlator c(opts());
    sink s;
    std::int64_t now = t0;
    for (std::uint32_t q = 0; q < 100; ++q, now += ms) {
        c.observe_dex(1, 9, q, node(A, 64, now), now, s);
        if (q % 10 == 3) continue;  // lost between A and B
        c.observe_dex(1, 9, q, node(B, 63, now + 5 * ms), now, s);
        if (q % 10 == 7) continue;  // lost between B and C
        c.observe_dex(1, 9, q, node(C, 62, now + 15 * ms), now, s);
    }
    c.flush(s);
    ASSERT_EQ(s.out.size(), 100u);
    unsigned ab = 0, bc = 0;
    for (const auto& r : s.out) {
        const auto q = *r.sequence;
        if (q % 10 == 3) {
            EXPECT_EQ(r.result, a::outcome::lost);
            EXPECT_EQ(r.lost_from, A);
            EXPECT_EQ(r.lost_to, B);
            ++ab;
        } else if (q % 10 == 7) {
            EXPECT_EQ(r.result, a::outcome::lost);
            EXPECT_EQ(r.lost_from, B);
            EXPECT_EQ(r.lost_to, C);
            ++bc;
        } else {
            EXPECT_EQ(r.result, a::outcome::delivered) << q;
        }
    }
    EXPECT_EQ(ab, 10u);
    EXPECT_EQ(bc, 10u);
    EXPECT_EQ(c.stats().lost, 20u);
    EXPECT_EQ(c.stats().delivered, 80u);
}

TEST(Correlator, DuplicatesReorderingAndLateRecords) {
    a::correlator c(opts());
    sink s;
    c.observe_dex(1, 9, 6, node(A, 64, t0), t0, s);
    c.observe_dex(1, 9, 5, node(A, 64, t0), t0, s);  // A exported 5 after 6
    c.observe_dex(1, 9, 6, node(A, 64, t0), t0, s);  // duplicate
    c.observe_dex(1, 9, 6, node(B, 63, t0 + ms), t0, s);
    c.observe_dex(1, 9, 5, node(B, 63, t0 + ms), t0, s);  // B too
    c.tick(t0 + 200 * ms, s);
    ASSERT_EQ(s.out.size(), 2u);
    EXPECT_EQ(c.stats().duplicates, 1u);
    EXPECT_EQ(c.stats().reordered, 2u);
    const auto& six = s.out[0].sequence == 6u ? s.out[0] : s.out[1];
    EXPECT_EQ(six.duplicates, 1);
    EXPECT_EQ(six.hop_count, 2);
    // A record of packet 6 after it closed is late: counted, not a new packet.
    c.observe_dex(1, 9, 6, node(C, 62, t0 + 300 * ms), t0 + 300 * ms, s);
    c.flush(s);
    EXPECT_EQ(c.stats().late_records, 1u);
    EXPECT_EQ(s.out.size(), 2u);
}

TEST(Correlator, NegativeAndImplausibleDelaysAreCountedNotHidden) {
    a::correlator c(opts());
    sink s;
    c.observe_dex(1, 9, 1, node(A, 64, t0), t0, s);
    c.observe_dex(1, 9, 1, node(B, 63, t0 - 2 * ms), t0, s);  // B's clock behind
    c.observe_dex(1, 9, 1, node(C, 62, t0 + 20'000 * ms), t0, s);  // 20 s later
    c.observe_dex(1, 9, 2, node(A, 64, t0), t0, s);
    c.observe_dex(1, 9, 2, a::hop{B, 63, std::nullopt}, t0, s);  // no timestamp
    c.flush(s);
    ASSERT_EQ(s.out.size(), 2u);
    EXPECT_EQ(s.out[0].delay[0], a::delay_state::negative);
    EXPECT_EQ(s.out[0].delay_ns[0], -2 * ms);
    EXPECT_EQ(s.out[0].delay[1], a::delay_state::implausible);
    EXPECT_FALSE(s.out[0].path_delay_ns.has_value());
    EXPECT_EQ(s.out[1].delay[0], a::delay_state::missing);
    EXPECT_EQ(c.stats().negative_delays, 1u);
    EXPECT_EQ(c.stats().implausible_delays, 1u);
    EXPECT_EQ(c.stats().missing_delays, 1u);
}

TEST(Correlator, PathChangeAndMissingMiddleRecord) {
    a::correlator c(opts());
    sink s;
    const auto send = [&](std::uint32_t q, std::initializer_list<std::uint64_t> nodes) {
        std::uint8_t hl = 64;
        for (const auto n : nodes) c.observe_dex(1, 9, q, node(n, hl--, t0 + q * ms), t0 + q * ms, s);
    };
    send(0, {A, B, C});
    send(1, {A, B, C});
    send(2, {A, D, C});  // rerouted through D
    send(3, {A, D, C});
    send(4, {A, C});     // D's export missing: the packet reached C
    c.flush(s);
    ASSERT_EQ(s.out.size(), 5u);
    EXPECT_EQ(s.out[2].result, a::outcome::path_change);
    EXPECT_EQ(s.out[3].result, a::outcome::delivered);
    EXPECT_EQ(s.out[4].result, a::outcome::delivered);
    EXPECT_TRUE(s.out[4].missing_records);
    EXPECT_EQ(c.stats().path_changes, 1u);
    EXPECT_EQ(c.stats().missing_records, 1u);
}

TEST(Correlator, WindowBoundsMemoryAndCountsEvictions) {
    a::correlator c(opts(4));
    const std::size_t bytes = c.bytes();
    sink s;
    for (std::uint32_t q = 0; q < 10; ++q) c.observe_dex(1, 9, q, node(A, 64, t0), t0, s);
    EXPECT_EQ(c.open_packets(), 4u);
    EXPECT_EQ(c.stats().evicted, 6u);
    ASSERT_EQ(s.out.size(), 6u);
    EXPECT_TRUE(s.out[0].evicted);
    EXPECT_EQ(s.out[0].sequence, 0u);  // oldest first
    EXPECT_EQ(c.bytes(), bytes);
    c.flush(s);
    EXPECT_EQ(s.out.size(), 10u);
    EXPECT_FALSE(s.out[9].evicted);
}

TEST(Correlator, UnkeyedRecordsAndFlowLimit) {
    a::correlator_options o = opts();
    o.max_flows = 2;
    o.flow_idle_ns = 1000 * ms;
    a::correlator c(o);
    sink s;
    c.observe_dex(1, std::nullopt, 1, node(A, 64, t0), t0, s);
    c.observe_dex(1, 9, std::nullopt, node(A, 64, t0), t0, s);
    EXPECT_EQ(c.stats().records_unkeyed, 2u);
    for (std::uint32_t f = 0; f < 3; ++f) c.observe_dex(1, f, 1, node(A, 64, t0), t0, s);
    EXPECT_EQ(c.stats().flows, 2u);
    EXPECT_EQ(c.stats().flows_untracked, 1u);
    c.flush(s);
    EXPECT_EQ(s.out.size(), 3u);  // still correlated, without a known path
    c.tick(t0 + 2000 * ms, s);
    EXPECT_EQ(c.stats().flows_expired, 2u);
    c.observe_dex(1, 2, 2, node(A, 64, t0 + 2000 * ms), t0 + 2000 * ms, s);
    EXPECT_EQ(c.stats().flows, 3u);
}

TEST(Correlator, TraceEventsFromEveryNodeMeetByTheirFirstHop) {
    a::correlator c(opts());
    sink s;
    for (int p = 0; p < 20; ++p) {
        const std::int64_t t = t0 + p * 50 * ms;
        const a::hop h[3] = {node(A, 63, t), node(B, 62, t + 5 * ms), node(C, 61, t + 15 * ms)};
        c.observe_trace(5, std::span(h, 1), t, s);
        if (p == 7) continue;  // lost between A and B
        c.observe_trace(5, std::span(h, 2), t, s);
        if (p == 11) continue;  // lost between B and C
        c.observe_trace(5, std::span(h, 3), t, s);
        if (p == 13) c.observe_trace(5, std::span(h, 3), t, s);  // duplicate event
    }
    c.flush(s);
    ASSERT_EQ(s.out.size(), 20u);
    for (int p = 0; p < 20; ++p) {
        const auto& r = s.out[static_cast<std::size_t>(p)];
        EXPECT_EQ(r.kind, a::packet_kind::trace);
        EXPECT_FALSE(r.sequence.has_value());
        EXPECT_EQ(r.flow_id, A);
        if (p == 7) {
            EXPECT_EQ(r.result, a::outcome::lost);
            EXPECT_EQ(r.lost_from, A);
            EXPECT_EQ(r.lost_to, B);
        } else if (p == 11) {
            EXPECT_EQ(r.result, a::outcome::lost);
            EXPECT_EQ(r.lost_from, B);
            EXPECT_EQ(r.lost_to, C);
        } else {
            EXPECT_EQ(r.result, a::outcome::delivered);
            ASSERT_EQ(r.hop_count, 3);
            EXPECT_EQ(r.delay_ns[0], 5 * ms);
            EXPECT_EQ(r.delay_ns[1], 10 * ms);
        }
    }
    EXPECT_EQ(c.stats().duplicates, 1u);
    EXPECT_EQ(c.stats().records, 20u + 19u + 18u + 1u);
}

TEST(Correlator, TimestampFormats) {
    EXPECT_EQ(a::timestamp_ns(2u, 500'000u), 2'500'000'000LL);
    EXPECT_EQ(a::timestamp_ns(2u, 500u, a::timestamp_format::ptp_ns), 2'000'000'500LL);
    EXPECT_EQ(a::timestamp_ns(2u, 0x80000000u, a::timestamp_format::ntp), 2'500'000'000LL);
    EXPECT_FALSE(a::timestamp_ns(0xffffffffu, 1u).has_value());  // unavailable
    EXPECT_FALSE(a::timestamp_ns(2u, 0xffffffffu).has_value());
    EXPECT_FALSE(a::timestamp_ns(2u, 1'000'000u).has_value());  // not microseconds
    EXPECT_FALSE(a::timestamp_ns(std::nullopt, 1u).has_value());
}

// Hostile input: random namespaces, flows, sequences, node ids, hop limits and
// times (negative, huge, missing), duplicates and oversized traces. Whatever
// comes in, every opened packet is reported once, the window holds, memory
// stays what it was at construction, and every record is accounted for.
TEST(Correlator, RandomInputKeepsItsBounds) {
    a::correlator_options o;
    o.window = 64;
    o.max_flows = 16;
    o.wait_ns = 5 * ms;
    o.flow_idle_ns = 50 * ms;
    a::correlator c(o);
    const std::size_t bytes = c.bytes();
    std::mt19937_64 rng(14);
    std::uint64_t reported = 0, hops = 0;
    const auto s = [&](const a::packet_report& r) {
        ++reported;
        hops += r.hop_count;
        ASSERT_LE(r.hop_count, a::max_hops);
        ASSERT_LE(c.open_packets(), o.window);
    };
    std::int64_t now = 0;
    std::vector<a::hop> trace;
    for (int i = 0; i < 200'000; ++i) {
        now += static_cast<std::int64_t>(rng() % 100'000);
        const auto pick = [&](std::uint64_t n) { return rng() % n; };
        a::hop h{pick(8), pick(4) ? std::optional<std::uint8_t>(static_cast<std::uint8_t>(pick(256))) : std::nullopt,
                 pick(4) ? std::optional<std::int64_t>(static_cast<std::int64_t>(rng())) : std::nullopt};
        if (pick(2)) {
            c.observe_dex(static_cast<std::uint16_t>(pick(3)), pick(8) ? std::optional<std::uint32_t>(pick(40)) : std::nullopt,
                          pick(8) ? std::optional<std::uint32_t>(pick(100)) : std::nullopt, h, now, s);
        } else {
            trace.assign(pick(24), h);  // up to 23 hops: past max_hops
            for (auto& t : trace) t.node_id = pick(8);
            c.observe_trace(static_cast<std::uint16_t>(pick(3)), trace, now, s);
        }
        if (i % 1000 == 0) c.tick(now, s);
    }
    c.flush(s);
    const auto& st = c.stats();
    EXPECT_EQ(c.open_packets(), 0u);
    EXPECT_EQ(c.bytes(), bytes);
    EXPECT_EQ(reported, st.packets);
    EXPECT_EQ(st.delivered + st.lost + st.path_changes, st.packets);
    EXPECT_GT(st.evicted, 0u);
    EXPECT_GT(st.hops_truncated, 0u);
    EXPECT_GT(st.flows_untracked, 0u);
    EXPECT_GT(st.negative_delays + st.implausible_delays, 0u);
    EXPECT_GT(st.late_records, 0u);
    EXPECT_GT(hops, 0u);
}

// Two packets the first node timestamped in the same microsecond (a burst):
// their events share the key, and the later hops tell them apart.
TEST(Correlator, TracesWithTheSameFirstHopStayApart) {
    a::correlator c(opts());
    sink s;
    const a::hop h1[3] = {node(A, 63, t0), node(B, 62, t0 + 5 * ms), node(C, 61, t0 + 15 * ms)};
    const a::hop h2[3] = {node(A, 63, t0), node(B, 62, t0 + 5 * ms + 20'000), node(C, 61, t0 + 15 * ms + 40'000)};
    c.observe_trace(5, std::span(h1, 1), t0, s);
    c.observe_trace(5, std::span(h2, 1), t0, s);  // identical to h1's: cannot be told from a duplicate
    c.observe_trace(5, std::span(h1, 2), t0, s);
    c.observe_trace(5, std::span(h2, 2), t0, s);
    c.observe_trace(5, std::span(h2, 3), t0, s);
    c.observe_trace(5, std::span(h1, 3), t0, s);
    c.flush(s);
    ASSERT_EQ(s.out.size(), 2u);
    EXPECT_EQ(c.stats().duplicates, 1u);
    for (const auto& r : s.out) {
        EXPECT_EQ(r.result, a::outcome::delivered);
        ASSERT_EQ(r.hop_count, 3);
    }
    EXPECT_EQ(s.out[0].delay_ns[0], 5 * ms);
    EXPECT_EQ(s.out[0].delay_ns[1], 10 * ms);
    EXPECT_EQ(s.out[1].delay_ns[0], 5 * ms + 20'000);
    EXPECT_EQ(s.out[1].delay_ns[1], 10 * ms + 20'000);
}
