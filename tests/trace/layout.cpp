// Tests include/ioam/trace/layout.hpp: compile-time layouts agree with the
// run-time shape for the same type, and read and write the right octets.
#include "ioam/trace/layout.hpp"
#include "ioam/trace/node.hpp"

#include <gtest/gtest.h>

#include <array>

namespace t = ioam::trace;
namespace f = ioam::trace::fields;
using t::value_id;

using kernel_default = t::node_layout<f::hop_lim_node_id, f::ingress_egress_id, f::timestamp_seconds,
                                      f::timestamp_fraction, f::transit_delay, f::namespace_data, f::queue_depth,
                                      f::checksum_complement, f::hop_lim_node_id_wide, f::ingress_egress_id_wide,
                                      f::namespace_data_wide, f::buffer_occupancy>;
static_assert(kernel_default::type == 0xfff000);
static_assert(kernel_default::node_len == 15);
static_assert(kernel_default::offset_of<value_id::node_id> == 1);
static_assert(kernel_default::offset_of<value_id::egress_id> == 6);
static_assert(kernel_default::offset_of<value_id::hop_limit_wide> == 32);
static_assert(kernel_default::offset_of<value_id::egress_id_wide> == 44);
static_assert(kernel_default::offset_of<value_id::buffer_occupancy> == 56);

// Order in the list does not matter: the wire order is bit order.
using reordered = t::node_layout<f::namespace_data_wide, f::hop_lim_node_id, f::opaque_state_snapshot>;
static_assert(reordered::type == 0x802002 && reordered::node_len == 3 && reordered::has_opaque);
static_assert(reordered::offset_of<value_id::namespace_data_wide> == 4);
static_assert(reordered::size == 12);
static_assert(reordered::contains<f::hop_lim_node_id> && !reordered::contains<f::queue_depth>);

template <class L>
constexpr bool agrees_with_shape() {
    const t::trace_shape s = t::shape_of(L::type);
    if (s.node_len != L::node_len) return false;
    for (unsigned b = 0; b < 22; ++b)
        if (s.has_bit(b) != ((L::type & t::bit_mask(b)) != 0)) return false;
    return true;
}
static_assert(agrees_with_shape<kernel_default>() && agrees_with_shape<reordered>());

TEST(Layout, GetAndSet) {
    using L = t::node_layout<f::hop_lim_node_id, f::ingress_egress_id_wide, f::queue_depth>;
    static_assert(L::type == 0x824000 && L::node_len == 4);
    std::array<std::byte, L::size> node{};
    L::set<value_id::hop_limit>(node.data(), 63);
    L::set<value_id::node_id>(node.data(), 0xabcdef);
    L::set<value_id::queue_depth>(node.data(), 0x01020304);
    L::set<value_id::ingress_id_wide>(node.data(), 0x11111111);
    L::set<value_id::egress_id_wide>(node.data(), 0x22222222);
    // Wire order: bit 0, bit 6, bit 9.
    const auto expect = ioam::make_bytes(63, 0xab, 0xcd, 0xef, 1, 2, 3, 4, 0x11, 0x11, 0x11, 0x11, 0x22, 0x22, 0x22, 0x22);
    EXPECT_EQ(node, expect);
    EXPECT_EQ(L::get<value_id::node_id>(node.data()), 0xabcdefU);
    EXPECT_EQ(L::get<value_id::egress_id_wide>(node.data()), 0x22222222U);

    t::node_view v(t::shape_of(L::type), node);
    EXPECT_EQ(v.get<value_id::queue_depth>(), 0x01020304U);
    EXPECT_EQ(v.get<value_id::hop_limit>(), 63);
}

TEST(Layout, DispatchRunTimeTypeOntoLayouts) {
    using A = t::node_layout<f::hop_lim_node_id>;
    using B = t::node_layout<f::hop_lim_node_id, f::namespace_data_wide>;
    const auto node = ioam::make_bytes(63, 0, 0, 9, 1, 2, 3, 4, 5, 6, 7, 8);
    const auto read_id = [&](std::uint32_t type) {
        return t::dispatch_layout<A, B>(
            type,
            [&](auto l) -> std::uint64_t {
                using L = decltype(l);
                return L::template get<value_id::node_id>(node.data()) + L::node_len * 1000;
            },
            [&]() -> std::uint64_t {
                return t::node_view(t::shape_of(type), node).raw(value_id::node_id).value_or(0);
            });
    };
    EXPECT_EQ(read_id(A::type), 1009U);  // compile-time layout A
    EXPECT_EQ(read_id(B::type), 3009U);  // compile-time layout B
    EXPECT_EQ(read_id(0xc00000), 9U);    // run-time fallback
    int calls = 0;
    t::dispatch_layout<A>(0x400000, [&](auto) { calls += 10; }, [&] { ++calls; });
    EXPECT_EQ(calls, 1);
}
