// Tests include/ioam/trace/option.hpp: trace headers (golden vectors, the
// transit node emulation, overflow), POT, E2E and DEX headers, bad input.
#include "ioam/trace/option.hpp"

#include <gtest/gtest.h>

#include <array>
#include <vector>

namespace t = ioam::trace;
using ioam::errc;
using t::value_id;

namespace {
// RFC 9197 4.4.1 by hand: namespace 123, NodeLen 2, no flags, RemainingLen 2,
// trace type 0xc00000 (bits 0 and 1), 8 free octets, then one node: hop
// limit 63, node id 2, ingress 5, egress 6.
constexpr auto golden_prealloc = ioam::make_bytes(
    0x00, 0x7b, 0x10, 0x02, 0xc0, 0x00, 0x00, 0x00,  //
    0, 0, 0, 0, 0, 0, 0, 0,                          //
    0x3f, 0x00, 0x00, 0x02, 0x00, 0x05, 0x00, 0x06);
}  // namespace

// The RFC example decodes at compile time.
static_assert(t::decode_trace(t::option_type::preallocated_trace, golden_prealloc).has_value());
static_assert(t::decode_trace(t::option_type::preallocated_trace, golden_prealloc)->nodes.size() == 1);

TEST(TraceHeader, GoldenPreallocated) {
    auto r = t::decode_trace(t::option_type::preallocated_trace, golden_prealloc);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->header.namespace_id, 123);
    EXPECT_EQ(r->header.node_len, 2);
    EXPECT_EQ(r->header.remaining_len, 2);
    EXPECT_EQ(r->header.type, 0xc00000U);
    EXPECT_FALSE(r->header.overflow());
    ASSERT_EQ(r->nodes.size(), 1U);
    const auto n = r->nodes[0];
    EXPECT_EQ(n.get<value_id::hop_limit>(), 63);
    EXPECT_EQ(n.get<value_id::node_id>(), 2U);
    EXPECT_EQ(n.get<value_id::ingress_id>(), 5);
    EXPECT_EQ(n.get<value_id::egress_id>(), 6);

    // And the encoder writes the same octets.
    std::array<std::byte, 24> out{};
    t::trace_header h{123, 2, 0, 4, 0xc00000, 0};
    ASSERT_EQ(t::encode_preallocated(h, out).value(), 24U);
    t::node_data d;
    d.set(value_id::hop_limit, 63).set(value_id::node_id, 2).set(value_id::ingress_id, 5).set(value_id::egress_id, 6);
    ASSERT_EQ(t::push_node(out, d).value(), t::push_status::written);
    EXPECT_EQ(out, golden_prealloc);
}

TEST(TraceHeader, FlagsAndFieldsRoundTrip) {
    for (std::uint8_t flags = 0; flags < 16; ++flags) {
        t::trace_header h{0xbeef, 31, flags, 127, 0xabcdef, 0x5a};
        std::array<std::byte, 8> out{};
        ASSERT_TRUE(t::encode_trace_header(h, out));
        auto back = t::decode_trace_header(out);
        ASSERT_TRUE(back);
        EXPECT_EQ(*back, h);
        EXPECT_EQ(back->overflow(), (flags & 8) != 0);
    }
    // The Overflow flag is the third bit of octet 2 (Linux: overflow:1 after nodelen:5).
    t::trace_header h{0, 0, t::flag_overflow, 0, 0, 0};
    std::array<std::byte, 8> out{};
    ASSERT_TRUE(t::encode_trace_header(h, out));
    EXPECT_EQ(out[2], std::byte{0x04});
    EXPECT_EQ(t::encode_trace_header(t::trace_header{0, 32, 0, 0, 0, 0}, out).code(), errc::value_out_of_range);
    EXPECT_EQ(t::encode_trace_header(h, std::span(out).first(7)).code(), errc::no_room);
}

TEST(TraceHeader, PushNodesUntilOverflow) {
    // Room for two nodes of NodeLen 3 plus a snapshot of 4 octets each (5 words each).
    const std::uint32_t type = 0x8c0002;  // bits 0, 4, 5, 22
    std::vector<std::byte> body(8 + 10 * 4);
    t::trace_header h{7, static_cast<std::uint8_t>(t::node_len_of(type)), 0, 10, type, 0};
    ASSERT_TRUE(t::encode_preallocated(h, body));
    const auto snap = ioam::make_bytes(1, 2, 3, 4);
    for (std::uint32_t k = 1; k <= 3; ++k) {
        t::node_data d;
        d.set(value_id::hop_limit, 64 - k).set(value_id::node_id, k).set(value_id::transit_delay, 0xffffffff);
        d.set(value_id::namespace_data, k * 100);
        d.snapshot = snap;
        d.schema_id = k;
        auto s = t::push_node(body, d);
        ASSERT_TRUE(s);
        EXPECT_EQ(*s, k <= 2 ? t::push_status::written : t::push_status::overflow);
    }
    auto r = t::decode_trace(t::option_type::preallocated_trace, body);
    ASSERT_TRUE(r) << static_cast<int>(r.code());
    EXPECT_TRUE(r->header.overflow());
    EXPECT_EQ(r->header.remaining_len, 0);
    ASSERT_EQ(r->nodes.size(), 2U);
    // Most recent first.
    EXPECT_EQ(r->nodes[0].get<value_id::node_id>(), 2U);
    EXPECT_EQ(r->nodes[1].get<value_id::node_id>(), 1U);
    EXPECT_EQ(r->nodes[1].get<value_id::hop_limit>(), 63);
    EXPECT_TRUE(r->nodes[0].unavailable(value_id::transit_delay));
    EXPECT_EQ(r->nodes[0].opaque()->schema_id, 2U);
    // Once overflowed, nothing more is written.
    t::node_data d;
    EXPECT_EQ(t::push_node(body, d).value(), t::push_status::overflow);
}

TEST(TraceHeader, Incremental) {
    const std::uint32_t type = 0x802000;  // bits 0 and 10
    t::node_data n[2];
    n[0].set(value_id::hop_limit, 62).set(value_id::node_id, 3).set(value_id::namespace_data_wide, 0x0102030405060708);
    n[1].set(value_id::hop_limit, 63).set(value_id::node_id, 2).set(value_id::namespace_data_wide, ~0ULL);
    std::array<std::byte, 8 + 2 * 12> out{};
    t::trace_header h{1, 3, 0, 4, type, 0};
    ASSERT_EQ(t::encode_incremental(h, n, out).value(), out.size());
    auto r = t::decode_trace(t::option_type::incremental_trace, out);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->header.remaining_len, 4);  // room left to add, not in the data
    ASSERT_EQ(r->nodes.size(), 2U);
    EXPECT_EQ(r->nodes[0].get<value_id::namespace_data_wide>(), 0x0102030405060708U);
    EXPECT_TRUE(r->nodes[1].unavailable(value_id::namespace_data_wide));
    EXPECT_EQ(t::encode_incremental(h, n, std::span(out).first(20)).code(), errc::no_room);
}

TEST(TraceHeader, BadInput) {
    auto body = golden_prealloc;
    const auto decode = [](std::span<const std::byte> b, t::type_policy p = t::type_policy::strict) {
        return t::decode_trace(t::option_type::preallocated_trace, b, p, 1000);
    };
    // Truncated header.
    EXPECT_EQ(decode(std::span(body).first(7)).code(), errc::truncated);
    // NodeLen disagreeing with the type.
    auto b1 = body;
    b1[2] = std::byte{0x18};  // NodeLen 3
    auto r1 = decode(b1);
    EXPECT_EQ(r1.code(), errc::bad_node_len);
    EXPECT_EQ(r1.offset(), 1002U);
    // RemainingLen past the data.
    auto b2 = body;
    b2[3] = std::byte{0x05};
    auto r2 = decode(b2);
    EXPECT_EQ(r2.code(), errc::bad_remaining_len);
    EXPECT_EQ(r2.offset(), 1003U);
    // RemainingLen leaving a partial node.
    auto b3 = body;
    b3[3] = std::byte{0x03};
    EXPECT_EQ(decode(b3).code(), errc::truncated);
    // Undefined bit 12 set (NodeLen updated to match): strict rejects, lenient reads a 4-octet field.
    auto b4 = body;
    b4[2] = std::byte{0x18};
    b4[5] = std::byte{0x08};
    b4[3] = std::byte{0x01};
    auto r4 = decode(b4);
    EXPECT_EQ(r4.code(), errc::bad_trace_type);
    EXPECT_EQ(r4.offset(), 1004U);
    auto r4l = decode(b4, t::type_policy::lenient);
    ASSERT_TRUE(r4l);
    EXPECT_EQ(r4l->nodes.size(), 1U);
    // Reserved bit 23: rejected when strict, ignored when lenient.
    auto b5 = body;
    b5[6] = std::byte{0x01};
    EXPECT_EQ(decode(b5).code(), errc::bad_trace_type);
    EXPECT_TRUE(decode(b5, t::type_policy::lenient));
    // NodeLen 0 without bit 22.
    auto b6 = body;
    b6[2] = std::byte{0};
    b6[4] = std::byte{0};
    EXPECT_EQ(decode(b6).code(), errc::bad_node_len);
    // Opaque snapshot length past the end: type 0x800002, NodeLen 1, Length 9.
    auto b7 = ioam::make_bytes(0, 1, 0x08, 0x00, 0x80, 0, 0x02, 0, 0x3f, 0, 0, 1, 9, 0, 0, 0, 1, 2, 3, 4);
    auto r7 = decode(b7);
    EXPECT_EQ(r7.code(), errc::length_past_end);
    EXPECT_EQ(r7.offset(), 1000U + 8 + 4);
    // Data not a multiple of 4.
    EXPECT_EQ(decode(std::span(body).first(22)).code(), errc::bad_option);
    // Not a trace option type.
    EXPECT_EQ(t::decode_trace(t::option_type::dex, body).code(), errc::bad_option);
}

TEST(Pot, RoundTripAndErrors) {
    t::pot_option p{42, 0, 0x80, 0x0102030405060708, 0x1112131415161718};
    std::array<std::byte, t::pot_size> out{};
    ASSERT_EQ(t::encode_pot(p, out).value(), t::pot_size);
    EXPECT_EQ(out[0], std::byte{0});
    EXPECT_EQ(out[1], std::byte{42});
    EXPECT_EQ(out[4], std::byte{1});
    auto back = t::decode_pot(out);
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, p);
    EXPECT_EQ(t::decode_pot(std::span(out).first(19)).code(), errc::truncated);
    out[2] = std::byte{1};
    EXPECT_EQ(t::decode_pot(out).code(), errc::bad_option);
    EXPECT_EQ(t::encode_pot(p, std::span(out).first(10)).code(), errc::no_room);
}

TEST(E2e, RoundTripAllTypes) {
    for (unsigned m = 0; m < 16; ++m) {
        t::e2e_option e;
        e.namespace_id = static_cast<std::uint16_t>(m + 1);
        if (m & 8) e.seq64 = 0x0102030405060708;
        if (m & 4) e.seq32 = 0xaabbccdd;
        if (m & 2) e.seconds = 1700000000;
        if (m & 1) e.subseconds = 123456;
        std::array<std::byte, 24> out{};
        auto n = t::encode_e2e(e, out);
        ASSERT_TRUE(n);
        EXPECT_EQ(ioam::load_be16(out.data() + 2), m << 12);
        auto back = t::decode_e2e(std::span(out).first(*n));
        ASSERT_TRUE(back);
        EXPECT_EQ(*back, e);
        if (*n > 4) {
            EXPECT_EQ(t::decode_e2e(std::span(out).first(*n - 1)).code(), errc::truncated);
        }
    }
    auto undefined = ioam::make_bytes(0, 1, 0x08, 0x00, 0, 0, 0, 0);
    EXPECT_EQ(t::decode_e2e(undefined).code(), errc::bad_trace_type);
}

TEST(Dex, GoldenAndRoundTrip) {
    // RFC 9326 3.2: namespace 0x1234, flags 0, both extension flags, type 0xf00000.
    const auto golden = ioam::make_bytes(0x12, 0x34, 0x00, 0xc0, 0xf0, 0x00, 0x00, 0x00,  //
                                         0xde, 0xad, 0xbe, 0xef, 0x00, 0x00, 0x00, 0x2a);
    auto d = t::decode_dex(golden);
    ASSERT_TRUE(d);
    EXPECT_EQ(d->namespace_id, 0x1234);
    EXPECT_EQ(d->type, 0xf00000U);
    EXPECT_EQ(d->flow_id, 0xdeadbeefU);
    EXPECT_EQ(d->seq_num, 42U);
    std::array<std::byte, 16> out{};
    ASSERT_EQ(t::encode_dex(*d, out).value(), 16U);
    EXPECT_EQ(out, golden);

    // Only a sequence number.
    t::dex_option s;
    s.namespace_id = 9;
    s.type = 0x800000;
    s.seq_num = 7;
    ASSERT_EQ(t::encode_dex(s, out).value(), 12U);
    auto back = t::decode_dex(std::span(out).first(12));
    ASSERT_TRUE(back);
    EXPECT_FALSE(back->flow_id);
    EXPECT_EQ(back->seq_num, 7U);

    // An unknown extension flag: its 4-octet field is skipped (RFC 9326 3.2).
    const auto unknown = ioam::make_bytes(0, 1, 0, 0xa0, 0x80, 0, 0, 0, 0, 0, 0, 5, 0xff, 0xff, 0xff, 0xff);
    auto u = t::decode_dex(unknown);
    ASSERT_TRUE(u);
    EXPECT_EQ(u->flow_id, 5U);
    EXPECT_FALSE(u->seq_num);
    EXPECT_EQ(t::decode_dex(std::span(unknown).first(15)).code(), errc::truncated);
    EXPECT_EQ(t::decode_dex(std::span(unknown).first(7)).code(), errc::truncated);
    // Undefined trace-type bits.
    auto bad = golden;
    bad[5] = std::byte{0x04};
    EXPECT_EQ(t::decode_dex(bad).code(), errc::bad_trace_type);
}
