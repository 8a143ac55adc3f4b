// Compile-time node layouts (RFC 9197 4.4.2): a list of fields gives the
// trace-type mask, NodeLen and every value's offset as constants.
//
//   using my_node = node_layout<fields::hop_lim_node_id, fields::ingress_egress_id>;
//   static_assert(my_node::type == 0xc00000 && my_node::node_len == 2);
//   auto id = my_node::get<value_id::node_id>(p);   // p: NodeLen*4 octets of one node
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "ioam/core/bytes.hpp"
#include "ioam/trace/trace_type.hpp"
#include "ioam/trace/values.hpp"

namespace ioam::trace {

/// A trace-type field, named by its bit (RFC 9197 4.4.1). Only defined data
/// bits (0-11) and the opaque state snapshot (22) may be used in a layout.
template <unsigned Bit>
struct field {
    static_assert(Bit < bit_count, "ioam: a trace-type bit is 0 to 23 (RFC 9197 4.4.1)");
    static_assert(Bit < bit_count && bits[Bit].kind != bit_kind::undefined,
                  "ioam: trace-type bits 12-21 are undefined (RFC 9197 4.4.1): remove this field from the layout");
    static_assert(Bit < bit_count && bits[Bit].kind != bit_kind::reserved,
                  "ioam: trace-type bit 23 is reserved and must be zero (RFC 9197 4.4.1): remove this field from the layout");
    static constexpr unsigned bit = Bit;
    static constexpr std::uint32_t mask = bit_mask(Bit);
};

/// Named fields (RFC 9197 4.4.2.1 to 4.4.2.13).
namespace fields {
using hop_lim_node_id = field<0>;
using ingress_egress_id = field<1>;
using timestamp_seconds = field<2>;
using timestamp_fraction = field<3>;
using transit_delay = field<4>;
using namespace_data = field<5>;
using queue_depth = field<6>;
using checksum_complement = field<7>;
using hop_lim_node_id_wide = field<8>;
using ingress_egress_id_wide = field<9>;
using namespace_data_wide = field<10>;
using buffer_occupancy = field<11>;
using opaque_state_snapshot = field<22>;
}  // namespace fields

namespace detail {
template <class T>
inline constexpr bool is_field = false;
template <unsigned B>
inline constexpr bool is_field<field<B>> = true;
}  // namespace detail

/// Something usable as a layout field.
template <class T>
concept trace_field = detail::is_field<T>;

/// The layout of one node's data for a fixed list of fields (in any order;
/// the wire order is bit order). Offsets are within the node's NodeLen*4
/// octets; the opaque state snapshot, if listed, follows at offset `size`.
template <trace_field... Fields>
struct node_layout {
    static constexpr std::uint32_t type = (std::uint32_t{0} | ... | Fields::mask);
    static_assert(std::popcount(type) == sizeof...(Fields),
                  "ioam: a field appears twice in node_layout: list each trace-type bit once (RFC 9197 4.4.1)");
    static_assert(sizeof...(Fields) > 0, "ioam: node_layout needs at least one field (RFC 9197 4.4.1)");

    /// NodeLen in 4-octet units, opaque snapshot excluded (RFC 9197 4.4.1).
    static constexpr unsigned node_len = node_len_of(type);
    /// Octets of the fixed part of a node.
    static constexpr std::size_t size = std::size_t{node_len} * 4;
    static constexpr bool has_opaque = (type & opaque_mask) != 0;

    template <class F>
    static constexpr bool contains = ((F::mask & type) != 0);

    /// Offset of a bit's field inside the node.
    template <unsigned Bit>
    static constexpr std::size_t offset_of_bit = [] {
        static_assert((type & bit_mask(Bit)) != 0,
                      "ioam: this field is not in the layout: add it to node_layout<...> (RFC 9197 4.4.2)");
        std::size_t off = 0;
        for (unsigned b = 0; b < Bit; ++b)
            if (type & bit_mask(b)) off += bits[b].size;
        return off;
    }();

    /// Offset of a value inside the node.
    template <value_id V>
    static constexpr std::size_t offset_of = offset_of_bit<info(V).bit> + info(V).offset;

    /// Reads a value from a node's first `size` octets (big-endian).
    template <value_id V>
    [[nodiscard]] static constexpr value_t<V> get(const std::byte* node) noexcept {
        return static_cast<value_t<V>>(load_be<info(V).width>(node + offset_of<V>));
    }
    /// Writes a value into a node's first `size` octets (big-endian).
    template <value_id V>
    static constexpr void set(std::byte* node, value_t<V> v) noexcept {
        store_be<info(V).width>(node + offset_of<V>, v);
    }
};

/// Calls on_layout(L{}) with the first of Layouts whose type equals the
/// run-time type, so hot paths for common trace types use compile-time
/// offsets; otherwise calls fallback(). Both must return the same type.
///
///   dispatch_layout<short_layout, wide_layout>(ev.trace_type(),
///       [&](auto l) { using L = decltype(l); ... L::get<value_id::node_id>(p) ... },
///       [&] { ... node_view ... });
template <class... Layouts, class F, class G>
constexpr decltype(auto) dispatch_layout(std::uint32_t type, F&& on_layout, G&& fallback) {
    static_assert(sizeof...(Layouts) > 0, "ioam: dispatch_layout needs at least one node_layout");
    using R = decltype(fallback());
    if constexpr (std::is_void_v<R>) {
        const bool hit = ((type == Layouts::type ? (on_layout(Layouts{}), true) : false) || ...);
        if (!hit) fallback();
    } else {
        R out{};
        const bool hit = ((type == Layouts::type ? (out = on_layout(Layouts{}), true) : false) || ...);
        if (!hit) out = fallback();
        return out;
    }
}

}  // namespace ioam::trace
