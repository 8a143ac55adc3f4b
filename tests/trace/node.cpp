// Tests include/ioam/trace/node.hpp: shapes, node views, node lists and the
// node encoder, including round trips over all 4096 combinations of the 12
// defined data bits, with and without an opaque state snapshot.
#include "ioam/trace/node.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <iterator>
#include <vector>

namespace t = ioam::trace;
using t::value_id;

namespace {

std::uint64_t mix(std::uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    return x ^ (x >> 33);
}

// Deterministic values, every 5th one "unavailable", some zero.
t::node_data make_data(std::uint64_t seed, std::vector<std::byte>& snapshot_store, std::size_t snapshot_len) {
    t::node_data d;
    for (const auto& i : t::value_table) {
        const std::uint64_t r = mix(seed * 131 + static_cast<std::uint64_t>(i.id));
        std::uint64_t v = r & t::unavailable(i.width);
        if (r % 5 == 0) v = t::unavailable(i.width);
        if (r % 7 == 0) v = 0;
        d.set(i.id, v);
    }
    snapshot_store.resize(snapshot_len);
    for (std::size_t k = 0; k < snapshot_len; ++k) snapshot_store[k] = static_cast<std::byte>(mix(seed + k) & 0xff);
    d.snapshot = snapshot_store;
    d.schema_id = seed % 3 == 0 ? t::no_schema : static_cast<std::uint32_t>(mix(seed) & 0xfffffe);
    return d;
}

void expect_node(const t::node_view& n, const t::node_data& d, std::uint32_t type) {
    unsigned seen = 0;
    for (const t::field_value f : n.values()) {
        ++seen;
        const std::uint64_t want = d.get(f.id);
        EXPECT_EQ(f.value, want) << f.name << " type " << std::hex << type;
        EXPECT_EQ(f.unavailable, t::is_unavailable(f.id, want)) << f.name;
        EXPECT_EQ(f.width, t::info(f.id).width);
        EXPECT_EQ(f.bit, t::info(f.id).bit);
    }
    unsigned expected_values = 0;
    for (const auto& i : t::value_table) {
        if (type & t::bit_mask(i.bit)) {
            ++expected_values;
            ASSERT_TRUE(n.raw(i.id)) << i.name;
            EXPECT_EQ(*n.raw(i.id), d.get(i.id));
        } else {
            EXPECT_FALSE(n.raw(i.id)) << i.name;
        }
    }
    EXPECT_EQ(seen, expected_values);
    if (type & t::opaque_mask) {
        auto o = n.opaque();
        ASSERT_TRUE(o);
        EXPECT_EQ(o->schema_id, d.schema_id);
        EXPECT_EQ(o->has_schema(), d.schema_id != t::no_schema);
        ASSERT_EQ(o->data.size(), d.snapshot.size());
        for (std::size_t k = 0; k < d.snapshot.size(); ++k) EXPECT_EQ(o->data[k], d.snapshot[k]);
    } else {
        EXPECT_FALSE(n.opaque());
    }
}

}  // namespace

TEST(Shape, OffsetsFollowBitOrder) {
    const auto s = t::shape_of(0xd0e000);  // bits 0, 1, 3, 8, 9, 10
    EXPECT_EQ(s.node_len, 9);
    EXPECT_EQ(s.offset[0], 0);
    EXPECT_EQ(s.offset[1], 4);
    EXPECT_EQ(s.offset[2], t::trace_shape::absent);
    EXPECT_EQ(s.offset[3], 8);
    EXPECT_EQ(s.offset[8], 12);
    EXPECT_EQ(s.offset[9], 20);
    EXPECT_EQ(s.offset[10], 28);
}

TEST(Shape, Validation) {
    EXPECT_EQ(t::make_shape(0x000000).code(), ioam::errc::bad_node_len);  // NodeLen 0 without bit 22
    EXPECT_TRUE(t::make_shape(0x000002));                                  // snapshot only
    EXPECT_EQ(t::make_shape(0x800400).code(), ioam::errc::bad_trace_type);  // bit 13
    auto lenient = t::make_shape(0x800401, t::type_policy::lenient);       // bit 13 + reserved
    ASSERT_TRUE(lenient);
    EXPECT_EQ(lenient->node_len, 2);
    EXPECT_EQ(lenient->type, 0x800400U);
}

TEST(Node, RoundTripAll4096Combinations) {
    const std::size_t snapshot_lens[] = {0, 4, 12, 255 * 4};
    std::vector<std::byte> buf(4 * (60 + 4 + 255 * 4));
    std::vector<std::byte> store[3];
    for (std::uint32_t m = 0; m < 4096; ++m) {
        for (int with_opaque = 0; with_opaque < 2; ++with_opaque) {
            for (std::size_t li = 0; li < (with_opaque ? 4U : 1U); ++li) {
                const std::uint32_t type = (m << 12) | (with_opaque ? t::opaque_mask : 0);
                auto shape = t::make_shape(type);
                if (type == 0) {
                    EXPECT_EQ(shape.code(), ioam::errc::bad_node_len);
                    continue;
                }
                ASSERT_TRUE(shape) << std::hex << type;
                // Three nodes back to back, snapshot lengths varying per node.
                t::node_data d[3];
                std::size_t pos = 0;
                for (int k = 0; k < 3; ++k) {
                    d[k] = make_data(type * 7 + static_cast<std::uint64_t>(k) * 3 + li, store[k],
                                     with_opaque ? snapshot_lens[(li + static_cast<std::size_t>(k)) % 4] : 0);
                    auto w = t::encode_node(*shape, d[k], std::span(buf).subspan(pos));
                    ASSERT_TRUE(w);
                    EXPECT_EQ(*w, t::encoded_size(*shape, d[k]));
                    pos += *w;
                }
                auto list = t::node_list::decode(*shape, std::span(buf).first(pos));
                ASSERT_TRUE(list) << std::hex << type << " " << static_cast<int>(list.code());
                ASSERT_EQ(list->size(), 3U);
                int k = 0;
                for (const t::node_view n : *list) expect_node(n, d[k++], type);
                EXPECT_EQ(k, 3);
                expect_node((*list)[2], d[2], type);
            }
        }
    }
}

TEST(Node, TypedAccessorsAndUnavailable) {
    const auto s = t::shape_of(0xc22002);  // bits 0, 1, 6, 10, 22
    std::array<std::byte, 64> buf{};
    t::node_data d;
    d.set(value_id::hop_limit, 255)
        .set(value_id::node_id, 0xffffff)
        .set(value_id::ingress_id, 0)
        .set(value_id::egress_id, 0xffff)
        .set(value_id::queue_depth, 0)
        .set(value_id::namespace_data_wide, 0xffffffffffffffffULL);
    d.schema_id = t::no_schema;
    auto w = t::encode_node(s, d, buf);
    ASSERT_TRUE(w);
    EXPECT_EQ(*w, 4U * s.node_len + 4);
    t::node_view n(s, std::span(buf).first(*w));
    EXPECT_EQ(n.get<value_id::hop_limit>(), std::uint8_t{255});
    EXPECT_FALSE(n.unavailable(value_id::hop_limit));  // 255 is a hop limit
    EXPECT_TRUE(n.unavailable(value_id::node_id));
    EXPECT_FALSE(n.unavailable(value_id::ingress_id));  // zero is a value, not "unavailable"
    EXPECT_EQ(n.get<value_id::ingress_id>(), std::uint16_t{0});
    EXPECT_TRUE(n.unavailable(value_id::egress_id));
    EXPECT_TRUE(n.unavailable(value_id::namespace_data_wide));
    EXPECT_FALSE(n.get<value_id::timestamp_seconds>());
    EXPECT_FALSE(n.unavailable(value_id::timestamp_seconds));  // absent is not unavailable
    auto o = n.opaque();
    ASSERT_TRUE(o);
    EXPECT_FALSE(o->has_schema());
    EXPECT_EQ(o->schema_id, 0xffffffU);
    EXPECT_TRUE(o->data.empty());
    // for_each_value visits the same values as values().
    unsigned a = 0, b = 0;
    n.for_each_value([&](const t::field_value&) { ++a; });
    for ([[maybe_unused]] auto f : n.values()) ++b;
    EXPECT_EQ(a, 6U);
    EXPECT_EQ(a, b);
}

TEST(Node, BadInput) {
    const auto s = t::shape_of(0x800000);
    std::array<std::byte, 16> buf{};
    // A partial node.
    auto r = t::node_list::decode(s, std::span(buf).first(6), 100);
    EXPECT_EQ(r.code(), ioam::errc::truncated);
    EXPECT_EQ(r.offset(), 104U);
    // Snapshot length past the end: NodeLen 1, Length 3 but only 4 octets follow.
    const auto so = t::shape_of(0x800002);
    auto bad = ioam::make_bytes(0x3f, 0, 0, 1, 3, 0xff, 0xff, 0xff, 1, 2, 3, 4);
    auto r2 = t::node_list::decode(so, bad);
    EXPECT_EQ(r2.code(), ioam::errc::length_past_end);
    EXPECT_EQ(r2.offset(), 4U);
    // No room for the snapshot header.
    auto r3 = t::node_list::decode(so, std::span(bad).first(6));
    EXPECT_EQ(r3.code(), ioam::errc::truncated);
    // A shape with NodeLen 0 and no snapshot never loops.
    EXPECT_EQ(t::node_list::decode(t::shape_of(0), buf).code(), ioam::errc::bad_node_len);
    // Encoder: bad snapshot length, no room.
    t::node_data d;
    std::array<std::byte, 3> odd{};
    d.snapshot = odd;
    EXPECT_EQ(t::encode_node(so, d, buf).code(), ioam::errc::value_out_of_range);
    d.snapshot = {};
    EXPECT_EQ(t::encode_node(so, d, std::span(buf).first(7)).code(), ioam::errc::no_room);
}

TEST(Node, EmptyListIsValid) {
    auto r = t::node_list::decode(t::shape_of(0xf00000), {});
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->empty());
    EXPECT_EQ(r->begin(), r->end());
}

// The trace views share the framed-view scaffold (core/framed.hpp).
static_assert(std::forward_iterator<ioam::trace::node_list::iterator>);

