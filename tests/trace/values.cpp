// Tests include/ioam/trace/values.hpp: the value table covers each field.
#include "ioam/trace/values.hpp"

#include <gtest/gtest.h>

#include <type_traits>

namespace t = ioam::trace;

static_assert(std::is_same_v<t::value_t<t::value_id::hop_limit>, std::uint8_t>);
static_assert(std::is_same_v<t::value_t<t::value_id::node_id>, std::uint32_t>);
static_assert(std::is_same_v<t::value_t<t::value_id::ingress_id>, std::uint16_t>);
static_assert(std::is_same_v<t::value_t<t::value_id::node_id_wide>, std::uint64_t>);
static_assert(std::is_same_v<t::value_t<t::value_id::namespace_data_wide>, std::uint64_t>);

TEST(Values, EveryDefinedBitIsCovered) {
    unsigned octets[22] = {};
    for (const auto& v : t::value_table) octets[v.bit] += v.width;
    for (unsigned b = 0; b < 22; ++b) EXPECT_EQ(octets[b], t::bits[b].size) << b;
}

TEST(Values, UnavailableIsAllOnesAndNotZero) {
    EXPECT_TRUE(t::is_unavailable(t::value_id::node_id, 0xffffff));
    EXPECT_FALSE(t::is_unavailable(t::value_id::node_id, 0));
    EXPECT_FALSE(t::is_unavailable(t::value_id::node_id, 0xfffffe));
    EXPECT_TRUE(t::is_unavailable(t::value_id::ingress_id, 0xffff));
    EXPECT_TRUE(t::is_unavailable(t::value_id::node_id_wide, 0xffffffffffffff));
    EXPECT_TRUE(t::is_unavailable(t::value_id::namespace_data_wide, ~0ULL));
    // A hop limit of 255 is a hop limit.
    EXPECT_FALSE(t::is_unavailable(t::value_id::hop_limit, 0xff));
}

TEST(Values, WireOrder) {
    EXPECT_EQ(t::info(t::value_id::egress_id).offset, 2);
    EXPECT_EQ(t::info(t::value_id::egress_id_wide).offset, 4);
    EXPECT_EQ(t::info(t::value_id::node_id_wide).width, 7);
    EXPECT_EQ(t::info(t::value_id::buffer_occupancy).bit, 11);
}
