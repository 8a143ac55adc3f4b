// receive_pacer (exporters/common/netlink_source.hpp): how long ioam-exporter
// lets events gather between two receives. Driven here the way run_live
// drives it, against events arriving at a known rate on a simulated clock.
#include "netlink_source.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <vector>

namespace {

using ioam_tools::receive_pacer;

constexpr std::uint64_t ms = 1000000;
constexpr std::uint64_t big_buffer = 64u << 20;  // what the kernel grants for the default --rcvbuf

/// Events arriving every `gap` ns from `start`; the exporter's loop: after a
/// receive that found events, wait what the pacer says (0: poll, which
/// returns at the next arrival), then read everything queued.
struct simulation {
    simulation(receive_pacer& pacer, std::uint64_t gap_ns, std::uint64_t start_ns = 0)
        : p(pacer), gap(gap_ns), t(start_ns), start(start_ns) {}
    receive_pacer& p;
    std::uint64_t gap, t, start, consumed = 0;
    std::vector<std::uint64_t> reads, waits;  // events per receive, the wait before it

    [[nodiscard]] std::uint64_t arrived(std::uint64_t at) const { return at < start ? 0 : (at - start) / gap + 1; }

    void run(std::uint64_t until) {
        std::uint64_t wait = 0;
        while (t < until) {
            if (wait > 0) t += wait;
            else t = std::max(t, start + consumed * gap);  // poll: up at the next arrival
            const std::uint64_t n = arrived(t) - consumed;
            consumed += n;
            p.received(t, n);
            reads.push_back(n);
            waits.push_back(wait);
            wait = p.wait_ns();
        }
    }
    /// Mean events per receive over the last `k` receives.
    [[nodiscard]] double recent_per_read(std::size_t k) const {
        k = std::min(k, reads.size());
        std::uint64_t s = 0;
        for (std::size_t i = reads.size() - k; i < reads.size(); ++i) s += reads[i];
        return static_cast<double>(s) / static_cast<double>(k);
    }
};

TEST(ReceivePacer, GathersTheTargetAtFortyAndFiftyThousandPerSecond) {
    for (const std::uint64_t rate : {40000u, 50000u, 100000u}) {
        receive_pacer p(10 * ms, big_buffer);
        simulation s(p, 1000000000 / rate, 1000 * ms);
        s.run(2000 * ms);
        const double per_read = s.recent_per_read(50);
        // 512 events, unless 10 ms bring fewer (40 k/s: 400, 50 k/s: 500)
        const double expect = std::min<double>(512, static_cast<double>(rate) / 100);
        EXPECT_NEAR(per_read, expect, expect * 0.05) << rate << " events/s";
        EXPECT_LE(*std::max_element(s.waits.begin(), s.waits.end()), 10 * ms);
        // a second holds at most rate / per_read + the first few polls
        EXPECT_LT(s.reads.size(), static_cast<double>(rate) / expect + 60) << rate << " events/s";
    }
}

TEST(ReceivePacer, AtMostTheLongestWait) {
    receive_pacer p(10 * ms, big_buffer);
    simulation s(p, 1000000000 / 20000);
    s.run(1000 * ms);
    EXPECT_EQ(s.waits.back(), 10 * ms);
    EXPECT_NEAR(s.recent_per_read(20), 200, 2);  // 20 k/s for 10 ms
}

TEST(ReceivePacer, ATrickleIsReadAsItComes) {
    // 150 events/s: fewer than 2 in 10 ms, so every receive follows a poll
    receive_pacer p(10 * ms, big_buffer);
    simulation s(p, 1000000000 / 150);
    s.run(2000 * ms);
    for (std::size_t i = 0; i < s.reads.size(); ++i) {
        EXPECT_EQ(s.waits[i], 0u) << i;
        EXPECT_EQ(s.reads[i], 1u) << i;
    }
}

TEST(ReceivePacer, ZeroMeansWakeForEachEvent) {
    receive_pacer p(0, big_buffer);
    simulation s(p, 1000000000 / 50000);
    s.run(100 * ms);
    EXPECT_EQ(*std::max_element(s.waits.begin(), s.waits.end()), 0u);
    EXPECT_EQ(s.recent_per_read(1000), 1.0);
}

TEST(ReceivePacer, ARiseIsTakenAtOnce) {
    receive_pacer p(10 * ms, big_buffer);
    std::uint64_t t = 0;
    for (int i = 0; i < 100; ++i) p.received(t += 10 * ms, 200);  // 20 k/s
    EXPECT_EQ(p.wait_ns(), 10 * ms);
    p.received(t += 10 * ms, 4000);  // 400 k/s: more than twice the target
    EXPECT_EQ(p.per_event_ns(), 2500u);
    EXPECT_EQ(p.wait_ns(), 512 * 2500u);
}

TEST(ReceivePacer, AFallIsTakenGradually) {
    receive_pacer p(10 * ms, big_buffer);
    std::uint64_t t = 0;
    for (int i = 0; i < 100; ++i) p.received(t += 5 * ms, 500);  // 100 k/s
    EXPECT_EQ(p.per_event_ns(), 10000u);
    p.received(t += 5 * ms, 50);  // 10 k/s for one receive
    EXPECT_GT(p.per_event_ns(), 10000u);
    EXPECT_LT(p.per_event_ns(), 20000u);
}

TEST(ReceivePacer, NothingFoundOrAnOverrunMeansPoll) {
    receive_pacer p(10 * ms, big_buffer);
    std::uint64_t t = 0;
    for (int i = 0; i < 10; ++i) p.received(t += 5 * ms, 500);
    EXPECT_GT(p.wait_ns(), 0u);
    p.received(t += 5 * ms, 0);
    EXPECT_EQ(p.wait_ns(), 0u) << "the events stopped: poll";
    p.received(t += 1 * ms, 100);
    EXPECT_GT(p.wait_ns(), 0u);
    p.overrun();
    EXPECT_EQ(p.wait_ns(), 0u) << "after ENOBUFS: read at once";
    p.received(t += 1 * ms, 100);
    EXPECT_EQ(p.per_event_ns(), 10000u) << "the rate from the next receive alone";
}

TEST(ReceivePacer, TheTargetFitsTheReceiveBuffer) {
    EXPECT_EQ(receive_pacer(10 * ms, big_buffer).target(), receive_pacer::default_target);
    EXPECT_EQ(receive_pacer(10 * ms, 1u << 20).target(), 128u);  // a quarter of 1 MiB at 2 KiB per event
    EXPECT_EQ(receive_pacer(10 * ms, 4096).target(), 1u);
    EXPECT_EQ(receive_pacer(10 * ms, 0).target(), 1u);
    // 1 MiB at 100 k/s: 128 events (1.28 ms) per receive, not 512
    receive_pacer p(10 * ms, 1u << 20);
    simulation s(p, 10000);
    s.run(1000 * ms);
    EXPECT_NEAR(s.recent_per_read(50), 128, 3);
}

}  // namespace
