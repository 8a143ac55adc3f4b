// Tests include/ioam/ipfix/field.hpp: every abstract data type's codec,
// reduced-size encoding (RFC 7011 6.2) and the varlen prefix (RFC 7011 7).
#include "ioam/ipfix/field.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace {
using namespace ioam;
using namespace ioam::ipfix;

template <data_type T>
value_t<T> round_trip(const value_t<T>& v, std::size_t len) {
    std::array<std::byte, 16> buf{};
    EXPECT_EQ(encode_value<T>(bytes_span{buf.data(), len}, v), errc::ok);
    return decode_value<T>(bytes_view{buf.data(), len});
}

TEST(Field, UnsignedReducedSize) {
    for (std::size_t len = 1; len <= 8; ++len) {
        const std::uint64_t max = len == 8 ? ~0ULL : (1ULL << (8 * len)) - 1;
        EXPECT_EQ(round_trip<data_type::unsigned64>(max, len), max) << len;
        EXPECT_EQ(round_trip<data_type::unsigned64>(0, len), 0U) << len;
    }
    std::array<std::byte, 3> buf{};
    EXPECT_EQ(encode_value<data_type::unsigned32>(buf, 0x1000000U), errc::value_out_of_range);
    EXPECT_EQ(encode_value<data_type::unsigned32>(buf, 0xabcdefU), errc::ok);
    EXPECT_EQ(buf, make_bytes(0xab, 0xcd, 0xef)) << "big-endian, most significant first";
}

TEST(Field, SignedReducedSizeSignExtends) {
    for (std::size_t len = 1; len <= 8; ++len) {
        const std::int64_t lo = len == 8 ? std::numeric_limits<std::int64_t>::min() : -(std::int64_t{1} << (8 * len - 1));
        const std::int64_t hi = len == 8 ? std::numeric_limits<std::int64_t>::max() : (std::int64_t{1} << (8 * len - 1)) - 1;
        EXPECT_EQ(round_trip<data_type::signed64>(lo, len), lo) << len;
        EXPECT_EQ(round_trip<data_type::signed64>(hi, len), hi) << len;
        EXPECT_EQ(round_trip<data_type::signed64>(-1, len), -1) << len;
    }
    std::array<std::byte, 1> one{};
    EXPECT_EQ(encode_value<data_type::signed16>(one, std::int16_t{128}), errc::value_out_of_range);
    EXPECT_EQ(encode_value<data_type::signed16>(one, std::int16_t{-129}), errc::value_out_of_range);
}

TEST(Field, Floats) {
    EXPECT_EQ(round_trip<data_type::float32>(1.5f, 4), 1.5f);
    EXPECT_EQ(round_trip<data_type::float64>(-2.25, 8), -2.25);
    EXPECT_EQ(round_trip<data_type::float64>(0.1, 4), static_cast<double>(0.1f)) << "reduced to float32";
    EXPECT_TRUE(std::isnan(round_trip<data_type::float64>(std::nan(""), 8)));
    std::array<std::byte, 4> buf{};
    ASSERT_EQ(encode_value<data_type::float32>(buf, 1.0f), errc::ok);
    EXPECT_EQ(buf, make_bytes(0x3f, 0x80, 0x00, 0x00));
}

TEST(Field, BooleanUsesOneAndTwo) {
    std::array<std::byte, 1> buf{};
    ASSERT_EQ(encode_value<data_type::boolean>(buf, boolean{true}), errc::ok);
    EXPECT_EQ(buf[0], std::byte{1});
    ASSERT_EQ(encode_value<data_type::boolean>(buf, boolean{false}), errc::ok);
    EXPECT_EQ(buf[0], std::byte{2});
    buf[0] = std::byte{0};
    EXPECT_FALSE(decode_value<data_type::boolean>(buf).valid()) << "0 is neither true nor false";
}

TEST(Field, AddressesAndTimes) {
    const ipv4_address a{make_bytes(192, 0, 2, 1)};
    EXPECT_EQ(round_trip<data_type::ipv4Address>(a, 4), a);
    ipv6_address b;
    b.bytes[0] = std::byte{0x20};
    b.bytes[15] = std::byte{0x01};
    EXPECT_EQ(round_trip<data_type::ipv6Address>(b, 16), b);
    const mac_address m{make_bytes(0, 0x11, 0x22, 0x33, 0x44, 0x55)};
    EXPECT_EQ(round_trip<data_type::macAddress>(m, 6), m);
    EXPECT_EQ(round_trip<data_type::dateTimeSeconds>({1700000000}, 4).seconds, 1700000000U);
    EXPECT_EQ(round_trip<data_type::dateTimeMilliseconds>({1700000000123ULL}, 8).milliseconds, 1700000000123ULL);
    date_time_microseconds us;
    us.seconds = 3900000000U;
    us.fraction = 0xffffffffU;
    EXPECT_EQ(round_trip<data_type::dateTimeMicroseconds>(us, 8).fraction, 0xfffff800U)
        << "RFC 7011 6.1.9: the low 11 bits of a microsecond fraction are zero";
    date_time_nanoseconds ns;
    ns.seconds = 1;
    ns.fraction = 0xffffffffU;
    EXPECT_EQ(round_trip<data_type::dateTimeNanoseconds>(ns, 8).fraction, 0xffffffffU);
}

TEST(Field, StringsAndOctetsBorrowTheBuffer) {
    const auto raw = make_bytes('e', 't', 'h', '0');
    const std::string_view s = decode_value<data_type::string>(raw);
    EXPECT_EQ(s, "eth0");
    EXPECT_EQ(static_cast<const void*>(s.data()), static_cast<const void*>(raw.data())) << "zero copy";
    std::array<std::byte, 3> buf{};
    EXPECT_EQ(encode_value<data_type::string>(buf, std::string_view("eth0")), errc::value_out_of_range)
        << "a fixed-length string field takes exactly its length";
}

TEST(Field, VarlenBothForms) {
    std::array<std::byte, 8> buf{};
    byte_writer w(buf);
    put_varlen_prefix(w, 254);
    put_varlen_prefix(w, 255);
    put_varlen_prefix(w, 3, true);
    ASSERT_TRUE(w.ok());
    EXPECT_EQ(w.size(), 7U);
    EXPECT_EQ(buf[0], std::byte{254});
    EXPECT_EQ(buf[1], std::byte{255});
    EXPECT_EQ(load_be16(buf.data() + 2), 255U);
    EXPECT_EQ(buf[4], std::byte{255});
    EXPECT_EQ(load_be16(buf.data() + 5), 3U);

    const auto short_form = make_bytes(2, 'h', 'i');
    auto v = read_varlen(short_form, 0);
    ASSERT_TRUE(v);
    EXPECT_EQ(v->value_offset, 1U);
    EXPECT_EQ(v->size, 2U);
    const auto long_form = make_bytes(255, 0, 1, 'x');
    v = read_varlen(long_form, 0);
    ASSERT_TRUE(v);
    EXPECT_EQ(v->value_offset, 3U);
    EXPECT_EQ(v->size, 1U);
}

TEST(Field, VarlenBadInput) {
    const auto past = make_bytes(5, 'a', 'b');
    EXPECT_EQ(read_varlen(past, 0).code(), errc::length_past_end);
    const auto cut = make_bytes(255, 0);
    EXPECT_EQ(read_varlen(cut, 0).code(), errc::truncated);
    const auto long_past = make_bytes(255, 0xff, 0xff, 1);
    EXPECT_EQ(read_varlen(long_past, 0).code(), errc::length_past_end);
    EXPECT_EQ(read_varlen(bytes_view{}, 0).code(), errc::truncated);
}

TEST(Field, ValidLengths) {
    EXPECT_TRUE(valid_length(data_type::unsigned64, 3));
    EXPECT_FALSE(valid_length(data_type::unsigned16, 3));
    EXPECT_FALSE(valid_length(data_type::unsigned16, 0));
    EXPECT_TRUE(valid_length(data_type::float64, 4));
    EXPECT_FALSE(valid_length(data_type::float64, 6));
    EXPECT_FALSE(valid_length(data_type::float32, 2)) << "RFC 7011 6.2: only float64 reduces";
    EXPECT_FALSE(valid_length(data_type::ipv4Address, 3));
    EXPECT_FALSE(valid_length(data_type::unsigned8, variable_length));
    EXPECT_TRUE(valid_length(data_type::string, variable_length));
    EXPECT_TRUE(valid_length(data_type::octetArray, 12));
}
}  // namespace
