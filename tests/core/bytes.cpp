#include "ioam/core/bytes.hpp"

#include <gtest/gtest.h>

#include <cstring>

namespace {
using namespace ioam;

// Compile-time checks: the 24- and 56-bit fields the seed exporter wrote
// little-endian must come out big-endian.
constexpr auto b24 = make_bytes(0x12, 0x34, 0x56);
static_assert(load_be24(b24.data()) == 0x123456);
constexpr auto b56 = make_bytes(0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07);
static_assert(load_be56(b56.data()) == 0x01020304050607ULL);
static_assert([] {
    std::array<std::byte, 3> a{};
    store_be24(a.data(), 0xabcdef);
    return a == make_bytes(0xab, 0xcd, 0xef);
}());

TEST(Bytes, RoundTripsEveryWidth) {
    std::array<std::byte, 8> buf{};
    const std::uint64_t v = 0x8877665544332211ULL;
    for (std::size_t n = 1; n <= 8; ++n) {
        store_be_n(buf.data(), v, n);
        const std::uint64_t mask = n == 8 ? ~0ULL : ((1ULL << (8 * n)) - 1);
        EXPECT_EQ(load_be_n(buf.data(), n), v & mask) << n;
        EXPECT_EQ(std::to_integer<unsigned>(buf[n - 1]), 0x11U) << "least significant octet last";
    }
}

TEST(Bytes, FixedWidthHelpers) {
    std::array<std::byte, 8> buf{};
    store_be16(buf.data(), 0x0a0b);
    EXPECT_EQ(buf[0], std::byte{0x0a});
    EXPECT_EQ(load_be16(buf.data()), 0x0a0b);
    store_be32(buf.data(), 0xdeadbeef);
    EXPECT_EQ(load_be32(buf.data()), 0xdeadbeefU);
    store_be64(buf.data(), 0x0102030405060708ULL);
    EXPECT_EQ(buf[7], std::byte{0x08});
    store_be56(buf.data(), 0x00ffeeddccbbaa99ULL);
    EXPECT_EQ(load_be56(buf.data()), 0x00ffeeddccbbaa99ULL);
}

TEST(Bytes, HostOrderLoad) {
    const std::uint32_t host = 0x11223344;
    std::array<std::byte, 4> raw{};
    std::memcpy(raw.data(), &host, 4);
    EXPECT_EQ(load_host_n(raw.data(), 4), 0x11223344U);
    std::array<std::byte, 4> back{};
    store_host_n(back.data(), 0x11223344U, 4);
    EXPECT_EQ(back, raw);
}
}  // namespace
