// Tests include/ioam/trace/trace_type.hpp against RFC 9197 4.4.1.
#include "ioam/trace/trace_type.hpp"

#include <gtest/gtest.h>

#include <bit>
#include <set>
#include <string>

namespace t = ioam::trace;

static_assert(t::bit_mask(0) == 0x800000 && t::bit_mask(23) == 0x000001, "bit 0 is the MSB");
static_assert(t::node_len_of(0x800000) == 1);
static_assert(t::node_len_of(0x00e000) == 6, "bits 8-10 are 8 octets each");
static_assert(t::node_len_of(0xfff000) == 9 + 6, "the 12 defined bits: 9 short + 3 wide");
static_assert(t::node_len_of(0x000002) == 0, "the opaque snapshot is not in NodeLen");
static_assert(t::node_len_of(0x000001) == 0, "the reserved bit adds nothing");
static_assert(t::node_len_of(0x000ffc) == 10, "undefined bits count 4 octets each");
static_assert(t::unavailable(1) == 0xff && t::unavailable(3) == 0xffffff && t::unavailable(7) == 0xffffffffffffff &&
              t::unavailable(8) == ~0ULL);

TEST(TraceType, TableMatchesRfc9197) {
    // RFC 9197 4.4.1: bits 0-7 and 11 are 4-octet fields, 8-10 are 8-octet.
    for (unsigned b = 0; b < 24; ++b) {
        const auto& i = t::bits[b];
        EXPECT_EQ(i.bit, b);
        if (b <= 7 || b == 11) {
            EXPECT_EQ(i.kind, t::bit_kind::data) << b;
            EXPECT_EQ(i.size, 4) << b;
        } else if (b <= 10) {
            EXPECT_EQ(i.kind, t::bit_kind::wide) << b;
            EXPECT_EQ(i.size, 8) << b;
        } else if (b <= 21) {
            EXPECT_EQ(i.kind, t::bit_kind::undefined) << b;
            EXPECT_EQ(i.size, 4) << b;
        } else if (b == 22) {
            EXPECT_EQ(i.kind, t::bit_kind::opaque);
        } else {
            EXPECT_EQ(i.kind, t::bit_kind::reserved);
        }
    }
}

TEST(TraceType, NamesAreUnique) {
    std::set<std::string> names;
    for (const auto& i : t::bits) EXPECT_TRUE(names.insert(std::string(i.name)).second) << i.name;
}

TEST(TraceType, NodeLenMatchesKernelFormula) {
    // Linux ioam6_trace_compute_nodelen(): popcount of the short mask plus
    // twice the popcount of the wide mask, on the 32-bit type word.
    for (std::uint32_t type = 0; type <= 0xffffff; type += 0x1357) {
        const std::uint32_t word = type << 8;
        const unsigned kernel = static_cast<unsigned>(std::popcount(word & 0xff1ffc00U) + 2 * std::popcount(word & 0x00e00000U));
        EXPECT_EQ(t::node_len_of(type), kernel) << std::hex << type;
    }
}

TEST(TraceType, CheckTypePolicies) {
    EXPECT_TRUE(t::check_type(0xfff002));
    EXPECT_EQ(t::check_type(0x000800).code(), ioam::errc::bad_trace_type);  // bit 12
    EXPECT_EQ(t::check_type(0x000001, t::type_policy::strict, 9).offset(), 9U);  // bit 23
    EXPECT_TRUE(t::check_type(0x000801, t::type_policy::lenient));
    EXPECT_EQ(t::check_type(0x1000000, t::type_policy::lenient).code(), ioam::errc::bad_trace_type);
}
