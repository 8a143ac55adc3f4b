// The values inside trace-type fields (RFC 9197 4.4.2): some fields hold two
// values (hop limit and node id, ingress and egress id). This table maps each
// value onto its bit, offset and width; it is what the exporter iterates to
// build one IPFIX field per value.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

#include "ioam/trace/trace_type.hpp"

namespace ioam::trace {

/// Every value a node can carry, in wire order (bit order, then offset).
enum class value_id : std::uint8_t {
    hop_limit,            ///< bit 0, octet 0
    node_id,              ///< bit 0, octets 1-3
    ingress_id,           ///< bit 1, octets 0-1
    egress_id,            ///< bit 1, octets 2-3
    timestamp_seconds,    ///< bit 2
    timestamp_fraction,   ///< bit 3
    transit_delay,        ///< bit 4
    namespace_data,       ///< bit 5
    queue_depth,          ///< bit 6
    checksum_complement,  ///< bit 7
    hop_limit_wide,       ///< bit 8, octet 0
    node_id_wide,         ///< bit 8, octets 1-7
    ingress_id_wide,      ///< bit 9, octets 0-3
    egress_id_wide,       ///< bit 9, octets 4-7
    namespace_data_wide,  ///< bit 10
    buffer_occupancy,     ///< bit 11
    undefined_12, undefined_13, undefined_14, undefined_15, undefined_16,
    undefined_17, undefined_18, undefined_19, undefined_20, undefined_21,
};
inline constexpr std::size_t value_count = 26;

/// One value: which bit carries it, where it sits in that bit's field, its
/// width in octets and whether all ones means "unavailable" (RFC 9197 4.4.2;
/// a hop limit has no unavailable value: 255 is a hop limit).
struct value_info {
    value_id id;
    std::uint8_t bit;
    std::uint8_t offset;
    std::uint8_t width;
    bool has_unavailable;
    std::string_view name;
};

inline constexpr std::array<value_info, value_count> value_table = {{
    {value_id::hop_limit, 0, 0, 1, false, "hop_limit"},
    {value_id::node_id, 0, 1, 3, true, "node_id"},
    {value_id::ingress_id, 1, 0, 2, true, "ingress_id"},
    {value_id::egress_id, 1, 2, 2, true, "egress_id"},
    {value_id::timestamp_seconds, 2, 0, 4, true, "timestamp_seconds"},
    {value_id::timestamp_fraction, 3, 0, 4, true, "timestamp_fraction"},
    {value_id::transit_delay, 4, 0, 4, true, "transit_delay"},
    {value_id::namespace_data, 5, 0, 4, true, "namespace_data"},
    {value_id::queue_depth, 6, 0, 4, true, "queue_depth"},
    {value_id::checksum_complement, 7, 0, 4, true, "checksum_complement"},
    {value_id::hop_limit_wide, 8, 0, 1, false, "hop_limit_wide"},
    {value_id::node_id_wide, 8, 1, 7, true, "node_id_wide"},
    {value_id::ingress_id_wide, 9, 0, 4, true, "ingress_id_wide"},
    {value_id::egress_id_wide, 9, 4, 4, true, "egress_id_wide"},
    {value_id::namespace_data_wide, 10, 0, 8, true, "namespace_data_wide"},
    {value_id::buffer_occupancy, 11, 0, 4, true, "buffer_occupancy"},
    {value_id::undefined_12, 12, 0, 4, true, "undefined_12"},
    {value_id::undefined_13, 13, 0, 4, true, "undefined_13"},
    {value_id::undefined_14, 14, 0, 4, true, "undefined_14"},
    {value_id::undefined_15, 15, 0, 4, true, "undefined_15"},
    {value_id::undefined_16, 16, 0, 4, true, "undefined_16"},
    {value_id::undefined_17, 17, 0, 4, true, "undefined_17"},
    {value_id::undefined_18, 18, 0, 4, true, "undefined_18"},
    {value_id::undefined_19, 19, 0, 4, true, "undefined_19"},
    {value_id::undefined_20, 20, 0, 4, true, "undefined_20"},
    {value_id::undefined_21, 21, 0, 4, true, "undefined_21"},
}};

namespace detail {
[[nodiscard]] constexpr bool values_table_ok() noexcept {
    std::array<unsigned, 22> octets{};
    for (std::size_t i = 0; i < value_table.size(); ++i) {
        const auto& v = value_table[i];
        if (static_cast<std::size_t>(v.id) != i) return false;
        if (v.offset != octets[v.bit]) return false;  // contiguous, in order
        octets[v.bit] += v.width;
        if (i > 0 && value_table[i - 1].bit > v.bit) return false;
    }
    for (unsigned b = 0; b < 22; ++b)
        if (octets[b] != bits[b].size) return false;  // every field fully covered
    return true;
}
}  // namespace detail
static_assert(detail::values_table_ok(),
              "ioam: the value table must cover each trace-type field exactly (RFC 9197 4.4.2)");

[[nodiscard]] constexpr const value_info& info(value_id v) noexcept { return value_table[static_cast<std::size_t>(v)]; }

/// The unsigned type that holds a value of the given width.
template <std::size_t Width>
using uint_for_width_t = std::conditional_t<
    (Width <= 1), std::uint8_t,
    std::conditional_t<(Width <= 2), std::uint16_t, std::conditional_t<(Width <= 4), std::uint32_t, std::uint64_t>>>;

/// The C++ type of a value (hop limits are uint8_t, node ids uint32_t, wide node ids uint64_t...).
template <value_id V>
using value_t = uint_for_width_t<info(V).width>;

/// A decoded value, for iteration: which value, its bit, name, width, value and
/// whether it holds the "unavailable" pattern (kept distinct from zero).
struct field_value {
    value_id id{};
    std::uint8_t bit = 0;
    std::uint8_t width = 0;
    bool unavailable = false;
    std::uint64_t value = 0;
    std::string_view name{};
};

[[nodiscard]] constexpr bool is_unavailable(value_id v, std::uint64_t x) noexcept {
    const auto& i = info(v);
    return i.has_unavailable && x == unavailable(i.width);
}

}  // namespace ioam::trace
