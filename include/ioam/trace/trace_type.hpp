// The IOAM-Trace-Type registry (RFC 9197 4.4.1, IANA "IOAM Trace-Type"):
// one constexpr table read by the compile-time layouts, the run-time node
// view, the encoders and the kernel event decoder.
//
//   IOAM-Trace-Type: 24 bits, bit 0 is the most significant bit.
//    0                   1                   2
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |  4-octet data  |wide |4| undefined (4 each) |O|R|
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   O = opaque state snapshot (variable length), R = reserved.
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ioam/core/error.hpp"

namespace ioam::trace {

/// What a trace-type bit stands for (RFC 9197 4.4.1).
enum class bit_kind : std::uint8_t {
    data,       ///< a defined 4-octet field (bits 0-7, 11)
    wide,       ///< a defined 8-octet field (bits 8-10)
    undefined,  ///< bits 12-21: 4 octets of 0xffffffff when a transit node fills them
    opaque,     ///< bit 22: the variable-length opaque state snapshot
    reserved,   ///< bit 23: sent as zero, ignored on receipt
};

/// One trace-type bit: its number (0 = MSB), the octets it adds to a node
/// (for bit 22 the fixed Length/Schema ID word only) and a stable name.
struct bit_info {
    std::uint8_t bit;
    std::uint8_t size;
    bit_kind kind;
    std::string_view name;
};

inline constexpr std::size_t bit_count = 24;

/// RFC 9197 4.4.1, the single source of truth for trace-type bits.
inline constexpr std::array<bit_info, bit_count> bits = {{
    {0, 4, bit_kind::data, "hop_lim_node_id"},
    {1, 4, bit_kind::data, "ingress_egress_id"},
    {2, 4, bit_kind::data, "timestamp_seconds"},
    {3, 4, bit_kind::data, "timestamp_fraction"},
    {4, 4, bit_kind::data, "transit_delay"},
    {5, 4, bit_kind::data, "namespace_data"},
    {6, 4, bit_kind::data, "queue_depth"},
    {7, 4, bit_kind::data, "checksum_complement"},
    {8, 8, bit_kind::wide, "hop_lim_node_id_wide"},
    {9, 8, bit_kind::wide, "ingress_egress_id_wide"},
    {10, 8, bit_kind::wide, "namespace_data_wide"},
    {11, 4, bit_kind::data, "buffer_occupancy"},
    {12, 4, bit_kind::undefined, "undefined_12"},
    {13, 4, bit_kind::undefined, "undefined_13"},
    {14, 4, bit_kind::undefined, "undefined_14"},
    {15, 4, bit_kind::undefined, "undefined_15"},
    {16, 4, bit_kind::undefined, "undefined_16"},
    {17, 4, bit_kind::undefined, "undefined_17"},
    {18, 4, bit_kind::undefined, "undefined_18"},
    {19, 4, bit_kind::undefined, "undefined_19"},
    {20, 4, bit_kind::undefined, "undefined_20"},
    {21, 4, bit_kind::undefined, "undefined_21"},
    {22, 4, bit_kind::opaque, "opaque_state_snapshot"},
    {23, 0, bit_kind::reserved, "reserved"},
}};

/// The mask of trace-type bit b in the 24-bit field (bit 0 = 0x800000).
[[nodiscard]] constexpr std::uint32_t bit_mask(unsigned b) noexcept { return 0x800000U >> b; }

namespace detail {
[[nodiscard]] constexpr std::uint32_t mask_of(bit_kind k) noexcept {
    std::uint32_t m = 0;
    for (const auto& b : bits)
        if (b.kind == k) m |= bit_mask(b.bit);
    return m;
}
}  // namespace detail

inline constexpr std::uint32_t type_mask = 0xffffffU;               ///< all 24 bits
inline constexpr std::uint32_t data_mask = detail::mask_of(bit_kind::data);       ///< 4-octet fields
inline constexpr std::uint32_t wide_mask = detail::mask_of(bit_kind::wide);       ///< 8-octet fields
inline constexpr std::uint32_t defined_mask = data_mask | wide_mask;              ///< bits 0-11
inline constexpr std::uint32_t undefined_mask = detail::mask_of(bit_kind::undefined);  ///< bits 12-21
inline constexpr std::uint32_t opaque_mask = detail::mask_of(bit_kind::opaque);   ///< bit 22
inline constexpr std::uint32_t reserved_mask = detail::mask_of(bit_kind::reserved);  ///< bit 23

static_assert(defined_mask == 0xfff000U && undefined_mask == 0x000ffcU && opaque_mask == 0x2U &&
              reserved_mask == 0x1U, "ioam: the trace-type table disagrees with RFC 9197 4.4.1");

/// The unavailable values (RFC 9197 4.4.2): all ones of the field's width.
inline constexpr std::uint64_t unavailable(unsigned width_octets) noexcept {
    return width_octets >= 8 ? ~std::uint64_t{0} : ((std::uint64_t{1} << (8 * width_octets)) - 1);
}
/// Schema ID of an opaque state snapshot when no schema is configured (RFC 9197 4.4.2.13).
inline constexpr std::uint32_t no_schema = 0xffffffU;

/// NodeLen (4-octet units, opaque snapshot excluded) for a trace type, counting
/// undefined bits as 4 octets each as RFC 9197 4.4.1 and Linux do.
[[nodiscard]] constexpr unsigned node_len_of(std::uint32_t type) noexcept {
    return static_cast<unsigned>(std::popcount(type & (data_mask | undefined_mask)) +
                                 2 * std::popcount(type & wide_mask));
}

/// How a decoder treats bits 12-21 and 23.
enum class type_policy : std::uint8_t {
    strict,   ///< undefined or reserved bits are errc::bad_trace_type (the default)
    lenient,  ///< RFC 9197 4.4.1 receiver rules: bits 12-21 are 4-octet fields, bit 23 ignored
};

/// Checks a 24-bit trace type under a policy (offset is reported with the error).
[[nodiscard]] constexpr result<void> check_type(std::uint32_t type, type_policy policy = type_policy::strict,
                                                std::size_t offset = 0) noexcept {
    if (type & ~type_mask) return error{errc::bad_trace_type, offset};
    if (policy == type_policy::strict && (type & (undefined_mask | reserved_mask)))
        return error{errc::bad_trace_type, offset};
    return {};
}

}  // namespace ioam::trace
