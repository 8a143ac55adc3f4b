// Tests include/ioam/trace/ipv6.hpp: the options header layout Linux expects
// (golden vectors), padding rules, and the parser on good and bad input.
#include "ioam/trace/ipv6.hpp"

#include <gtest/gtest.h>

#include <array>
#include <iterator>
#include <vector>

namespace t = ioam::trace;
namespace v6 = ioam::trace::ipv6;
using ioam::errc;

namespace {
constexpr auto trace_body = ioam::make_bytes(0x00, 0x7b, 0x10, 0x02, 0xc0, 0x00, 0x00, 0x00,  //
                                             0, 0, 0, 0, 0, 0, 0, 0,                          //
                                             0x3f, 0x00, 0x00, 0x02, 0x00, 0x05, 0x00, 0x06);
}  // namespace

TEST(Ipv6Options, GoldenHopByHop) {
    std::array<std::byte, 64> out{};
    auto n = v6::encode_ioam_header(17, t::option_type::preallocated_trace, trace_body, out);
    ASSERT_TRUE(n);
    ASSERT_EQ(*n, 32U);
    // Next Header 17, Hdr Ext Len 3, PadN(2), option 0x31 of 26 octets at offset 4.
    const auto head = ioam::make_bytes(0x11, 0x03, 0x01, 0x00, 0x31, 0x1a, 0x00, 0x00);
    for (std::size_t i = 0; i < head.size(); ++i) EXPECT_EQ(out[i], head[i]) << i;
    for (std::size_t i = 0; i < trace_body.size(); ++i) EXPECT_EQ(out[8 + i], trace_body[i]) << i;
}

TEST(Ipv6Options, PaddingToEightOctets) {
    // IOAM bodies of 4n octets: the trailer is PadN(4) or nothing.
    for (std::size_t body = 4; body <= 64; body += 4) {
        std::vector<std::byte> b(body, std::byte{0xaa});
        std::array<std::byte, 128> out{};
        auto n = v6::encode_ioam_header(59, t::option_type::e2e, b, out);
        ASSERT_TRUE(n);
        EXPECT_EQ(*n % 8, 0U);
        EXPECT_EQ(*n, (8 + body + 7) / 8 * 8);
        EXPECT_EQ(std::to_integer<std::size_t>(out[1]), *n / 8 - 1);
        if (*n > 8 + body) {
            EXPECT_EQ(out[8 + body], std::byte{v6::opt_padn});
            EXPECT_EQ(std::to_integer<std::size_t>(out[9 + body]), *n - 8 - body - 2);
        }
        auto p = v6::parse_options(std::span(out).first(*n));
        ASSERT_TRUE(p);
        auto io = v6::first_ioam(*p);
        ASSERT_TRUE(io);
        EXPECT_EQ(io->type, t::option_type::e2e);
        EXPECT_EQ(io->body.size(), body);
        EXPECT_EQ(io->offset, 8U);
    }
    // Pad1 when one octet is missing, PadN otherwise; alignment before an option.
    std::array<std::byte, 32> out{};
    v6::options_writer w(out, 6);
    const auto three = ioam::make_bytes(1, 2, 3);
    w.add(0x1e, three);  // 2 + 2 + 3 = 7, then Pad1
    auto n = w.finish();
    ASSERT_EQ(n.value(), 8U);
    EXPECT_EQ(out[7], std::byte{v6::opt_pad1});
    v6::options_writer w2(out, 6);
    w2.add(0x1e, three).add_ioam(t::option_type::pot, std::span(trace_body).first(20));
    auto n2 = w2.finish();
    ASSERT_TRUE(n2);
    EXPECT_EQ(out[7], std::byte{v6::opt_pad1});  // 7 -> 8: the IOAM option at offset 8 (4n)
    EXPECT_EQ(out[8], std::byte{v6::opt_ioam});
}

TEST(Ipv6Options, EncoderErrors) {
    std::array<std::byte, 16> small{};
    EXPECT_EQ(v6::encode_ioam_header(17, t::option_type::preallocated_trace, trace_body, small).code(), errc::no_room);
    std::array<std::byte, 64> out{};
    EXPECT_EQ(v6::encode_ioam_header(17, t::option_type::preallocated_trace, std::span(trace_body).first(6), out).code(),
              errc::value_out_of_range);  // not 4n
    std::vector<std::byte> big(256);
    std::vector<std::byte> out2(600);
    EXPECT_EQ(v6::encode_ioam_header(17, t::option_type::preallocated_trace, big, out2).code(), errc::value_out_of_range);
}

TEST(Ipv6Options, ParserSkipsUnknownOptions) {
    // An unknown option (type 0x1e), then PadN(0) to reach 4n, then IOAM.
    auto h = ioam::make_bytes(0x3b, 0x01, 0x1e, 0x02, 0xaa, 0xbb, 0x01, 0x00,  //
                              0x31, 0x06, 0x00, 0x03, 0x00, 0x05, 0x00, 0x00);
    auto p = v6::parse_options(h, 40);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->next_header(), 0x3b);
    int others = 0;
    for (const auto o : *p)
        if (!v6::is_ioam(o.type)) ++others;
    EXPECT_EQ(others, 1);
    int ioams = 0;
    auto r = v6::for_each_ioam(*p, [&](const v6::ioam_option& io) {
        ++ioams;
        EXPECT_EQ(io.type, t::option_type::e2e);
        EXPECT_EQ(io.offset, 40U + 12);
        auto e = t::decode_e2e(io.body, io.offset);
        EXPECT_TRUE(e);
        EXPECT_EQ(e->namespace_id, 5);
    });
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, 1U);
    EXPECT_EQ(ioams, 1);
}

TEST(Ipv6Options, BadInput) {
    // Misaligned IOAM option: at offset 2.
    auto mis = ioam::make_bytes(0x3b, 0x00, 0x31, 0x04, 0x00, 0x03, 0x00, 0x00);
    auto p = v6::parse_options(mis);
    ASSERT_TRUE(p);
    EXPECT_EQ(v6::first_ioam(*p).code(), errc::misaligned);
    // IOAM option without room for its 2-octet header.
    auto shorty = ioam::make_bytes(0x3b, 0x00, 0x01, 0x00, 0x31, 0x01, 0x00, 0x00);
    auto ps = v6::parse_options(shorty);
    ASSERT_TRUE(ps);
    EXPECT_EQ(v6::first_ioam(*ps).code(), errc::bad_option);
    // PadN with non-zero contents.
    auto pad = ioam::make_bytes(0x3b, 0x00, 0x01, 0x04, 0x00, 0x00, 0x01, 0x00);
    auto rp = v6::parse_options(pad);
    EXPECT_EQ(rp.code(), errc::bad_padding);
    EXPECT_EQ(rp.offset(), 6U);
    // Eight octets of padding in a row (Linux allows at most 7).
    auto run = ioam::make_bytes(0x3b, 0x01, 0x01, 0x04, 0, 0, 0, 0, 0x01, 0x00, 0x1e, 0x04, 0, 0, 0, 0);
    EXPECT_EQ(v6::parse_options(run).code(), errc::bad_padding);
    // An option longer than the header.
    auto longer = ioam::make_bytes(0x3b, 0x00, 0x1e, 0x09, 0, 0, 0, 0);
    EXPECT_EQ(v6::parse_options(longer).code(), errc::length_past_end);
    // Hdr Ext Len past the buffer.
    EXPECT_EQ(v6::parse_options(std::span(longer).first(6)).code(), errc::length_past_end);
    EXPECT_EQ(v6::parse_options(std::span(longer).first(1)).code(), errc::truncated);
    // An option type with no length octet left.
    auto tail = ioam::make_bytes(0x3b, 0x00, 0x1e, 0x03, 0, 0, 0, 0x1e);
    EXPECT_EQ(v6::parse_options(tail).code(), errc::truncated);
    // No IOAM option at all.
    auto none = ioam::make_bytes(0x3b, 0x00, 0x1e, 0x04, 0, 0, 0, 0);
    auto pn = v6::parse_options(none);
    ASSERT_TRUE(pn);
    EXPECT_FALSE(v6::first_ioam(*pn));
}

TEST(Ipv6Options, TraceThroughTheHeader) {
    std::array<std::byte, 64> out{};
    auto n = v6::encode_ioam_header(17, t::option_type::preallocated_trace, trace_body, out);
    ASSERT_TRUE(n);
    auto p = v6::parse_options(out);  // longer buffer: the rest of the packet follows
    ASSERT_TRUE(p);
    EXPECT_EQ(p->bytes().size(), *n);
    auto io = v6::first_ioam(*p);
    ASSERT_TRUE(io);
    auto tr = t::decode_trace(io->type, io->body, t::type_policy::strict, io->offset);
    ASSERT_TRUE(tr);
    EXPECT_EQ(tr->nodes.size(), 1U);
    EXPECT_EQ(tr->nodes[0].get<t::value_id::node_id>(), 2U);
}

// The options of an extension header share the framed-view scaffold (core/framed.hpp).
static_assert(std::forward_iterator<ioam::trace::ipv6::options_view::iterator>);

