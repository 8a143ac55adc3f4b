// Tests include/ioam/netlink/message.hpp: netlink framing, attribute walks
// and the writer, on good and malformed input.
#include "ioam/netlink/message.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <vector>

namespace nl = ioam::netlink;
using ioam::errc;

TEST(Message, WriterReaderRoundTrip) {
    std::array<std::byte, 256> buf{};
    nl::message_writer w(buf);
    const auto payload = ioam::make_bytes(1, 2, 3);
    w.begin(0x1d, 0, 7, 0).genl(1).attr(4, payload).attr_host(1, 0x1234, 2).end();
    w.begin(0x1d, 0, 8, 0).genl(2).attr(3, {}).end();
    auto n = w.status();
    ASSERT_TRUE(n);
    // First message: 16 + 4 + (4+3 -> 8) + (4+2 -> 8) = 36.
    std::uint32_t len0 = 0;
    std::memcpy(&len0, buf.data(), 4);
    EXPECT_EQ(len0, 36U);
    EXPECT_EQ(*n, 36U + 16 + 4 + 4);
    EXPECT_EQ(buf[20 + 7], std::byte{0});  // attribute padding is zero

    nl::message_reader r{std::span(buf).first(*n)};
    auto m1 = r.next();
    ASSERT_TRUE(m1);
    EXPECT_EQ(m1->type, 0x1d);
    EXPECT_EQ(m1->seq, 7U);
    auto g = nl::decode_genl_header(m1->payload);
    ASSERT_TRUE(g);
    EXPECT_EQ(g->cmd, 1);
    nl::attr_reader ar(m1->payload.subspan(4), m1->offset + 20);
    auto a1 = ar.next();
    ASSERT_TRUE(a1);
    EXPECT_EQ(a1->type, 4);
    EXPECT_EQ(a1->payload.size(), 3U);
    EXPECT_EQ(a1->offset, 20U);
    auto a2 = ar.next();
    ASSERT_TRUE(a2);
    EXPECT_EQ(a2->host(2), 0x1234U);
    EXPECT_TRUE(ar.done());
    auto m2 = r.next();
    ASSERT_TRUE(m2);
    EXPECT_EQ(m2->seq, 8U);
    EXPECT_EQ(m2->offset, 36U);
    EXPECT_TRUE(r.done());
}

TEST(Message, AttributeFlagsAreMasked) {
    std::array<std::byte, 64> buf{};
    nl::message_writer w(buf);
    w.attr(static_cast<std::uint16_t>(5 | nl::nla_f_nested), {});
    w.attr(static_cast<std::uint16_t>(6 | nl::nla_f_net_byteorder), {});
    nl::attr_reader ar(w.written());
    auto a = ar.next();
    ASSERT_TRUE(a);
    EXPECT_EQ(a->type, 5);
    EXPECT_TRUE(a->nested);
    auto b = ar.next();
    ASSERT_TRUE(b);
    EXPECT_EQ(b->type, 6);
    EXPECT_TRUE(b->net_byteorder);
}

TEST(Message, BadInput) {
    std::array<std::byte, 64> buf{};
    nl::message_writer w(buf);
    w.begin(0x1d).genl(1).attr(1, ioam::make_bytes(1, 2, 3, 4)).end();
    const auto msg = w.written();  // 28 octets
    // Truncated header.
    nl::message_reader r1(msg.first(15));
    EXPECT_EQ(r1.next().code(), errc::truncated);
    EXPECT_TRUE(r1.done());  // an error ends the walk
    // nlmsg_len past the buffer.
    nl::message_reader r2(msg.first(27));
    EXPECT_EQ(r2.next().code(), errc::length_past_end);
    // nlmsg_len below the header size.
    std::vector<std::byte> small(msg.begin(), msg.end());
    small[0] = std::byte{8};
    small[1] = small[2] = small[3] = std::byte{0};
    nl::message_reader r3(small);
    EXPECT_EQ(r3.next().code(), errc::length_too_small);
    // Attribute with nla_len < 4 (would loop forever if accepted).
    auto zero = ioam::make_bytes(0, 0, 1, 0, 0, 0, 0, 0);
    nl::attr_reader a1(zero, 50);
    auto e1 = a1.next();
    EXPECT_EQ(e1.code(), errc::bad_attribute);
    EXPECT_EQ(e1.offset(), 50U);
    EXPECT_TRUE(a1.done());
    // Attribute longer than what is left.
    auto longer = ioam::make_bytes(12, 0, 1, 0, 0, 0, 0, 0);
    nl::attr_reader a2(longer);
    EXPECT_EQ(a2.next().code(), errc::truncated);
    // A partial attribute header.
    nl::attr_reader a3{std::span(longer).first(3)};
    EXPECT_EQ(a3.next().code(), errc::truncated);
    // The last attribute may omit its padding.
    auto unpadded = ioam::make_bytes(5, 0, 1, 0, 0x2a);
    nl::attr_reader a4(unpadded);
    auto ok = a4.next();
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->payload.size(), 1U);
    EXPECT_TRUE(a4.done());
    // The writer reports no room.
    std::array<std::byte, 10> tiny{};
    nl::message_writer wt(tiny);
    wt.begin(1).end();
    EXPECT_EQ(wt.status().code(), errc::no_room);
}
