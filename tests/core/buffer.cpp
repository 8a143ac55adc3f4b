#include "ioam/core/buffer.hpp"

#include <gtest/gtest.h>

namespace {
using namespace ioam;

TEST(ByteWriter, NoRoomIsStickyAndReportsOffset) {
    std::array<std::byte, 5> buf{};
    byte_writer w(buf);
    w.put_be16(0x0102);
    w.put_be32(0x03040506);  // does not fit: 2 + 4 > 5
    w.put_u8(7);             // would fit, but the writer already failed
    ASSERT_FALSE(w.ok());
    auto st = w.status();
    EXPECT_EQ(st.code(), errc::no_room);
    EXPECT_EQ(st.offset(), 2U);
    EXPECT_EQ(w.size(), 2U);
    w.rewind(0);
    EXPECT_TRUE(w.ok());
}

TEST(ByteWriter, WritesBigEndian) {
    std::array<std::byte, 7> buf{};
    byte_writer w(buf);
    w.put_be<3>(0xa1b2c3);
    w.put_be32(0xd4e5f607);
    ASSERT_TRUE(w.ok());
    EXPECT_EQ(buf, make_bytes(0xa1, 0xb2, 0xc3, 0xd4, 0xe5, 0xf6, 0x07));
}

TEST(ByteReader, BoundsChecked) {
    constexpr auto in = make_bytes(1, 2, 3);
    byte_reader r(in, 100);
    std::uint64_t v = 0;
    EXPECT_TRUE(r.get_be<2>(v));
    EXPECT_EQ(v, 0x0102U);
    EXPECT_EQ(r.offset(), 102U);
    EXPECT_FALSE(r.get_be<2>(v));
    bytes_view rest;
    EXPECT_TRUE(r.take(1, rest));
    EXPECT_TRUE(r.empty());
    EXPECT_FALSE(r.skip(1));
}
}  // namespace
