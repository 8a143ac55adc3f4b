// ioam-flow-exporter's reading of the slot table (flow_table.cpp) without a
// kernel: an array of slots in memory plays the programs' part, with the
// writes flow.bpf.c makes, at the moments a scan can meet them. Checked:
// cumulative slot counts taken as differences (never twice), a flow's slots
// on two CPUs added up, the release handshake (packets that came to a slot
// after its flow ended are counted once more, then the slot is empty and a
// new flow in it counts from zero).
#include "flow_table.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <vector>

namespace {
using namespace ioam_tools::flow;

std::uint64_t mono_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1000000000 + static_cast<std::uint64_t>(ts.tv_nsec);
}

fe_flow_key key(std::uint16_t port) {
    fe_flow_key k{};
    k.src[0] = 10, k.src[3] = 1;
    k.dst[0] = 10, k.dst[3] = 2;
    k.ifindex = 7;
    k.src_port = port;
    k.dst_port = 4739;
    k.ip_version = 4;
    k.protocol = 17;
    k.direction = fe_dir_egress;
    return k;
}

// What the program does: takes an empty slot, or adds to a used one.
void take(fe_slot& s, const fe_flow_key& k, std::uint64_t packets, std::uint64_t octets) {
    ASSERT_EQ(s.state, std::uint32_t{fe_slot_empty});
    s.key = k;
    const std::uint64_t now = mono_ns();
    s.value = fe_flow_value{packets, octets, now, now, 0, 7, 0, 64, 64, 0};
    s.state = fe_slot_used;
}
void add(fe_slot& s, std::uint64_t packets, std::uint64_t octets) {
    s.value.packets += packets;
    s.value.octets += octets;
    s.value.last_ns = mono_ns();
}

struct sink {
    std::vector<fl::flow_record> records;
    std::uint64_t packets(std::uint16_t port) const {
        std::uint64_t n = 0;
        for (const auto& r : records)
            if (r.src_port == port) n += r.packets;
        return n;
    }
    std::uint64_t octets(std::uint16_t port) const {
        std::uint64_t n = 0;
        for (const auto& r : records)
            if (r.src_port == port) n += r.octets;
        return n;
    }
};

// A table reading `n` slots, its records collected.
struct setup {
    sink out;
    std::vector<fe_slot> slots;
    table t;
    setup(table_settings s, std::size_t n)
        : slots(n), t(s, [this](const fl::flow_record& r) { out.records.push_back(r); }) {
        t.use_slots(slots);
    }
    // The program takes slot i for a flow; a scan exports one record of it.
    void first_flow(std::size_t i, std::uint16_t port, std::uint64_t packets, std::uint64_t octets) {
        take(slots[i], key(port), packets, octets);
        t.scan(-1, nullptr, false);
        ASSERT_EQ(out.records.size(), 1u);
        EXPECT_EQ(out.records[0].packets, packets);
        EXPECT_EQ(out.records[0].octets, octets);
    }
};

TEST(Slots, DifferencesOfCumulativeCountsAndTwoCpus) {
    // Active timeout 0: every scan exports what came since the previous one.
    setup x({0, 1000, 64}, 32);
    auto& [out, slots, t] = x;
    ASSERT_NO_FATAL_FAILURE(x.first_flow(3, 1000, 3, 300));
    t.scan(-1, nullptr, false);  // nothing new: no record, nothing counted twice
    EXPECT_EQ(out.records.size(), 1u);
    add(slots[3], 2, 150);
    take(slots[16 + 5], key(1000), 4, 400);  // the same flow on the second CPU's region
    t.scan(-1, nullptr, false);
    ASSERT_EQ(out.records.size(), 2u);
    EXPECT_EQ(out.records[1].packets, 6u);
    EXPECT_EQ(out.records[1].octets, 550u);
    EXPECT_EQ(out.packets(1000), 9u);
    EXPECT_EQ(t.counts().slots_used, 2u);
    EXPECT_EQ(t.size(), 1u);  // one flow, two slots
    add(slots[3], 1, 40);
    t.scan(-1, nullptr, true);  // the final scan: the rest, forced end
    EXPECT_EQ(out.records.back().reason, fl::end_reason::forced_end);
    EXPECT_EQ(out.packets(1000), 10u);
    EXPECT_EQ(out.octets(1000), 890u);
    EXPECT_EQ(t.counts().slots_released, 0u);  // the final scan releases nothing
}

TEST(Slots, ReleaseHandshake) {
    // Idle timeout 0: a flow ends at the first scan that sees it.
    setup x({1000, 0, 64}, 16);
    auto& [out, slots, t] = x;
    ASSERT_NO_FATAL_FAILURE(x.first_flow(9, 2000, 5, 500));
    EXPECT_EQ(out.records[0].reason, fl::end_reason::idle_timeout);
    EXPECT_EQ(slots[9].state, std::uint32_t{fe_slot_release});  // the flow ended: its slot released
    EXPECT_EQ(t.counts().slots_released, 1u);
    EXPECT_EQ(t.size(), 0u);
    // A program run that found the slot used before the release adds after it.
    add(slots[9], 1, 100);
    t.scan(-1, nullptr, false);
    EXPECT_EQ(slots[9].state, std::uint32_t{fe_slot_empty});  // read once more, then empty
    EXPECT_EQ(out.packets(2000), 6u);
    EXPECT_EQ(out.octets(2000), 600u);
    // Empty: the program takes it for another flow, which counts from zero.
    take(slots[9], key(2001), 2, 80);
    t.scan(-1, nullptr, false);
    EXPECT_EQ(out.packets(2001), 2u);
    EXPECT_EQ(out.octets(2001), 80u);
    EXPECT_EQ(out.packets(2000), 6u);
    t.scan(-1, nullptr, false);  // released, then read once more: nothing new
    t.scan(-1, nullptr, false);
    EXPECT_EQ(slots[9].state, std::uint32_t{fe_slot_empty});
    EXPECT_EQ(out.packets(2001), 2u);
    EXPECT_EQ(t.counts().slots_released, 2u);
}

// A flow key's six words as flow.bpf.c loads them for the slot hash.
std::array<std::uint64_t, 6> slot_words(const fe_flow_key& f) {
    std::array<std::uint64_t, 6> w{};
    std::memcpy(w.data(), f.src, 16);
    std::memcpy(w.data() + 2, f.dst, 16);
    std::memcpy(w.data() + 4, &f.ifindex, 8);
    std::uint32_t w5 = 0;
    std::memcpy(&w5, &f.ip_version, 4);
    w[5] = w5;
    return w;
}

// The slot hash (flow_types.h, fe_slot_hash, as flow.bpf.c computes it).
std::uint64_t slot_hash(const std::uint64_t (&k)[2], const std::array<std::uint64_t, 6>& w) {
    return fe_slot_hash(k[0], k[1], w[0], w[1], w[2], w[3], w[4], w[5]);
}
std::uint64_t slot_hash(const std::uint64_t (&k)[2], const fe_flow_key& f) { return slot_hash(k, slot_words(f)); }

// A sender who knows the hash picks flows that share a probe chain under
// one key; under another key (each load draws its own) they scatter.
TEST(SlotHash, FlowsAimedAtOneSlotUnderOneKeyScatterUnderAnother) {
    constexpr std::uint32_t mask = 1023;
    const std::uint64_t a[2] = {0x0123456789abcdefULL, 0xfedcba9876543210ULL};
    const std::uint64_t b[2] = {0x0f1e2d3c4b5a6978ULL, 0x8796a5b4c3d2e1f0ULL};
    std::vector<fe_flow_key> aimed;
    std::vector<unsigned> load_a(mask + 1);
    for (std::uint32_t port = 0; port < 65536; ++port) {
        const fe_flow_key f = key(static_cast<std::uint16_t>(port));
        const std::uint32_t slot = static_cast<std::uint32_t>(slot_hash(a, f)) & mask;
        ++load_a[slot];
        if (slot == 0) aimed.push_back(f);
    }
    // Under key a, 64 flows per slot on average, none far above.
    EXPECT_LT(*std::max_element(load_a.begin(), load_a.end()), 128u);
    ASSERT_GT(aimed.size(), 32u);
    std::vector<unsigned> load_b(mask + 1);
    for (const auto& f : aimed) ++load_b[static_cast<std::uint32_t>(slot_hash(b, f)) & mask];
    EXPECT_LE(*std::max_element(load_b.begin(), load_b.end()), 4u)
        << aimed.size() << " flows of one slot under key a share a slot under key b";
    EXPECT_LE(load_b[0], 4u);
}

// Differences between two flow keys that a sender can pick and that pass
// a multiply with certainty (bit 63 of a word), alone, in pairs of words and
// combined with low bits of the next word (which would cancel what a chain
// of multiply-xorshift steps carries from one word to the next): none
// collides for every key, each lands in the same slot about once in 1,024
// keys, as unrelated flows do.
TEST(SlotHash, NoKeyIndependentCollisions) {
    const fe_flow_key f = key(1000);
    std::vector<fe_flow_key> others;
    const auto flip = [&](auto&& change) {
        fe_flow_key g = f;
        change(g);
        others.push_back(g);
    };
    for (const int byte : {7, 15}) {  // the top octet of each address word
        flip([&](fe_flow_key& g) { g.src[byte] ^= 0x80; });
        flip([&](fe_flow_key& g) { g.dst[byte] ^= 0x80; });
        flip([&](fe_flow_key& g) {
            g.src[byte] ^= 0x80;
            g.dst[byte] ^= 0x80;
        });
    }
    flip([&](fe_flow_key& g) { g.dst_port ^= 0x8000; });
    flip([&](fe_flow_key& g) {  // a linear hash's collision
        g.src[15] ^= 0x80;
        g.dst_port ^= 0x8000;
    });
    flip([&](fe_flow_key& g) {  // a multiply-xorshift chain's (found in review)
        g.dst[15] ^= 0x80;
        g.src_port ^= 4;
        g.dst_port ^= 0x8000;
    });
    flip([&](fe_flow_key& g) {
        g.src_port = 1001;
        g.dst[15] ^= 1;
    });
    std::uint64_t k[2] = {0, 0};
    for (std::size_t d = 0; d < others.size(); ++d) {
        unsigned same_hash = 0, same_slot = 0;
        for (std::uint64_t i = 1; i <= 2000; ++i) {
            k[0] = i * 0x9e3779b97f4a7c15ULL;
            k[1] = ~i * 0xbf58476d1ce4e5b9ULL;
            same_hash += slot_hash(k, f) == slot_hash(k, others[d]);
            same_slot += (slot_hash(k, f) & 1023) == (slot_hash(k, others[d]) & 1023);
        }
        EXPECT_EQ(same_hash, 0u) << "difference " << d;
        EXPECT_LE(same_slot, 12u) << "difference " << d << ": about 2 in 2,000 keys, not all";
    }
    // Every pair of single-bit flips in the six words (73,920 pairs): none
    // lands in the same slot of 65,536 under 4 or more of 16 keys (random
    // flows: about 16 in 65,536 keys each).
    const std::array<std::uint64_t, 6> w = slot_words(f);
    unsigned pairs = 0, bad = 0;
    for (int a = 0; a < 6 * 64; ++a) {
        for (int b = a; b < 6 * 64; ++b, ++pairs) {
            std::array<std::uint64_t, 6> v = w;
            v[a / 64] ^= std::uint64_t{1} << (a % 64);
            if (b != a) v[b / 64] ^= std::uint64_t{1} << (b % 64);
            unsigned same = 0;
            for (std::uint64_t i = 1; i <= 16; ++i) {
                const std::uint64_t key[2] = {i * 0x9e3779b97f4a7c15ULL, (i + 77) * 0xd6e8feb86659fd93ULL};
                same += ((slot_hash(key, w) ^ slot_hash(key, v)) & 0xffff) == 0;
            }
            bad += same >= 4;
        }
    }
    EXPECT_EQ(pairs, 73920u);
    EXPECT_EQ(bad, 0u) << "pairs of bit flips that share a slot under 4 or more of 16 keys";
    // The key is used: one flow, two keys, two hashes.
    const std::uint64_t k1[2] = {1, 2}, k2[2] = {1, 3}, k3[2] = {2, 2};
    EXPECT_NE(slot_hash(k1, f), slot_hash(k2, f));
    EXPECT_NE(slot_hash(k1, f), slot_hash(k3, f));
}

}  // namespace
