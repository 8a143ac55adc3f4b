// Tests include/ioam/netlink/ioam6.hpp: the kernel's numbers (uapi
// ioam6_genl.h of Linux 6.9+ and the DEX series, see DESIGN.md).
#include "ioam/netlink/ioam6.hpp"

#include <gtest/gtest.h>

namespace a = ioam::netlink::ioam6::attr;
using ioam::netlink::ioam6::dex_attr_for_bit;

static_assert(a::trace_namespace == 1 && a::trace_nodelen == 2 && a::trace_type == 3 && a::trace_data == 4);
static_assert(a::option_type == 5 && a::dex_namespace == 6 && a::dex_flow_id == 7 && a::dex_seq_num == 8);
static_assert(a::pad == a::dex_flow_id, "the kernel's 64-bit pad attribute collides with DEX_FLOW_ID");

TEST(Ioam6, DexDataAttributes) {
    EXPECT_EQ(dex_attr_for_bit(0), 9);    // HOP_LIM_NODE_ID
    EXPECT_EQ(dex_attr_for_bit(7), 16);   // CHECKSUM
    EXPECT_EQ(dex_attr_for_bit(8), 17);   // HOP_LIM_NODE_ID_WIDE
    EXPECT_EQ(dex_attr_for_bit(10), 19);  // NAMESPACE_SPECIFIC_WIDE
    EXPECT_EQ(dex_attr_for_bit(11), 20);  // BUFFER_OCCUPANCY
    EXPECT_EQ(dex_attr_for_bit(12), 21);  // BIT_12
    EXPECT_EQ(dex_attr_for_bit(21), a::dex_data_last);
    EXPECT_EQ(a::dex_oss_scid, 31);
    EXPECT_EQ(a::dex_oss_data, 32);
    EXPECT_EQ(ioam::netlink::ioam6::family_name, "IOAM6");
    EXPECT_EQ(ioam::netlink::ioam6::events_group, "ioam6_events");
}
