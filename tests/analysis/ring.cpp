// Tests include/ioam/analysis/ring.hpp, and the scale-out design as a
// replayed simulation: N nodes export DEX records of many flows, each record
// goes to the collector the ring names for its flow, K correlators each take
// their share, and every packet comes out exactly once, whole, with its
// losses at the right hop.
#include "ioam/analysis/ring.hpp"

#include "ioam/analysis/correlator.hpp"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <utility>
#include <vector>

namespace a = ioam::analysis;

TEST(Ring, SharesAreEvenAndAddingACollectorMovesFewFlows) {
    a::hash_ring r;
    for (std::uint32_t k = 0; k < 4; ++k) r.add(k);
    constexpr std::uint32_t flows = 100'000;
    std::vector<std::uint32_t> before(flows);
    std::map<std::uint32_t, unsigned> share;
    for (std::uint32_t f = 0; f < flows; ++f) ++share[before[f] = r.owner(1, f)];
    ASSERT_EQ(share.size(), 4u);
    for (const auto& [k, n] : share) {
        EXPECT_GT(n, flows / 4 * 8 / 10) << "collector " << k;
        EXPECT_LT(n, flows / 4 * 12 / 10) << "collector " << k;
    }
    r.add(4);
    unsigned moved = 0;
    for (std::uint32_t f = 0; f < flows; ++f) {
        const auto now = r.owner(1, f);
        if (now != before[f]) {
            ++moved;
            EXPECT_EQ(now, 4u) << "a flow moved between old collectors";
        }
    }
    // About 1/5 of the flows move, all to the new collector.
    EXPECT_GT(moved, flows / 5 * 7 / 10);
    EXPECT_LT(moved, flows / 5 * 13 / 10);
    r.remove(4);
    for (std::uint32_t f = 0; f < flows; f += 97) EXPECT_EQ(r.owner(1, f), before[f]);
}

TEST(Ring, SameListSameRing) {
    a::hash_ring x, y;
    for (std::uint32_t k : {3u, 1u, 2u}) x.add(k);
    for (std::uint32_t k : {1u, 2u, 3u}) y.add(k);
    for (std::uint32_t f = 0; f < 1000; ++f) EXPECT_EQ(x.owner(9, f), y.owner(9, f));
}

TEST(ScaleOut, EveryPacketCorrelatedExactlyOnce) {
    constexpr unsigned N = 6, K = 3, flows = 500, per_flow = 40;
    constexpr std::int64_t ms = 1'000'000, t0 = 1'000'000'000'000LL;
    a::hash_ring ring;
    for (std::uint32_t k = 0; k < K; ++k) ring.add(k);
    a::correlator_options o;
    o.wait_ns = 200 * ms;
    std::vector<a::correlator> coll(K, a::correlator(o));
    std::map<std::pair<std::uint32_t, std::uint32_t>, a::packet_report> seen;
    std::map<std::uint32_t, std::uint32_t> first_closed;  // per flow: its first packet sets the path
    unsigned twice = 0;
    const auto sink = [&](const a::packet_report& r) {
        if (!seen.emplace(std::pair{r.flow_id, *r.sequence}, r).second) ++twice;
        first_closed.emplace(r.flow_id, *r.sequence);
    };
    std::mt19937 rng(14);
    // Truth: each flow crosses all N nodes in order; 1% of packets are lost
    // after a random node (not the last).
    std::map<std::pair<std::uint32_t, std::uint32_t>, unsigned> lost_after;
    std::vector<std::pair<std::int64_t, std::pair<std::uint32_t, std::pair<std::uint32_t, a::hop>>>> records;
    for (std::uint32_t f = 0; f < flows; ++f)
        for (std::uint32_t q = 0; q < per_flow; ++q) {
            const std::int64_t t = t0 + (f * per_flow + q) * 10'000LL;  // a packet every 10 us
            unsigned reach = N;
            if (rng() % 100 == 0) {
                reach = 1 + rng() % (N - 1);
                lost_after[{f, q}] = reach - 1;
            }
            for (unsigned n = 0; n < reach; ++n) {
                const std::int64_t at = t + n * ms;
                // Exporters deliver with jitter of up to 20 ms.
                const std::int64_t arrive = at + static_cast<std::int64_t>(rng() % 20) * ms;
                records.push_back({arrive, {f, {q, a::hop{1000 + n, static_cast<std::uint8_t>(64 - n), at}}}});
            }
        }
    std::stable_sort(records.begin(), records.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
    for (const auto& [arrive, rec] : records) {
        const auto& [f, qh] = rec;
        coll[ring.owner(3, f)].observe_dex(3, f, qh.first, qh.second, arrive, sink);
    }
    for (auto& c : coll) c.flush(sink);
    EXPECT_EQ(twice, 0u);
    ASSERT_EQ(seen.size(), std::size_t{flows} * per_flow);
    std::uint64_t late = 0, evicted = 0, records_total = 0;
    for (const auto& c : coll) {
        late += c.stats().late_records;
        evicted += c.stats().evicted;
        records_total += c.stats().records;
        EXPECT_GT(c.stats().packets, flows * per_flow / K / 2);  // everyone got a share
    }
    EXPECT_EQ(records_total, records.size());
    EXPECT_EQ(late, 0u);
    EXPECT_EQ(evicted, 0u);
    unsigned lost = 0;
    for (const auto& [key, r] : seen) {
        const auto it = lost_after.find(key);
        if (it == lost_after.end()) {
            EXPECT_EQ(r.result, a::outcome::delivered);
            ASSERT_EQ(r.hop_count, N);
            for (unsigned i = 0; i + 1 < N; ++i) EXPECT_EQ(r.delay_ns[i], ms);
        } else if (first_closed[key.first] != key.second) {
            // The flow's first closed packet sets its path: a loss is seen from the next on.
            ++lost;
            EXPECT_EQ(r.result, a::outcome::lost);
            EXPECT_EQ(r.lost_from, 1000 + it->second);
            EXPECT_EQ(r.lost_to, 1000 + it->second + 1);
        }
    }
    EXPECT_GT(lost, 100u);
}
