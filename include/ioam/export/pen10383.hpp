// The IOAM information elements under private enterprise number 10383, as
// the seed Go exporter numbered them (ids 0-16), extended with the values it
// could not export (ids 17-20) and the per-record context a collector needs
// to put the nodes of one event back together (ids 21-25). IANA has no IOAM
// elements yet (draft-spiegel-ippm-ioam-rawexport-07 leaves them TBD).
//
// One constexpr table is the single source of truth: the record mapping
// (trace_records.hpp), the collector's registry, docs/exporter.md and the
// libfixbuf XML and python-ipfix iespec files in exporters/ioam-exporter/ie/
// are all derived from it (and a test checks the shipped files against it).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "ioam/ipfix/ie.hpp"
#include "ioam/ipfix/types.hpp"
#include "ioam/trace/values.hpp"

namespace ioam::exporting::pen10383 {

inline constexpr std::uint32_t pen = 10383;

/// Element ids (RFC 7011 3.2: 15 bits, E bit set on the wire).
namespace id {
inline constexpr std::uint16_t namespace_id = 0;
inline constexpr std::uint16_t hop_limit = 1;
inline constexpr std::uint16_t node_id = 2;
inline constexpr std::uint16_t ingress_id = 3;
inline constexpr std::uint16_t egress_id = 4;
inline constexpr std::uint16_t timestamp_seconds = 5;
inline constexpr std::uint16_t timestamp_fraction = 6;
inline constexpr std::uint16_t namespace_data = 7;
inline constexpr std::uint16_t queue_depth = 8;
inline constexpr std::uint16_t node_id_wide = 9;
inline constexpr std::uint16_t ingress_id_wide = 10;
inline constexpr std::uint16_t egress_id_wide = 11;
inline constexpr std::uint16_t namespace_data_wide = 12;
inline constexpr std::uint16_t schema_id = 13;
inline constexpr std::uint16_t snapshot = 14;
inline constexpr std::uint16_t dex_flow_id = 15;
inline constexpr std::uint16_t dex_sequence = 16;
// Not in the seed: its records shifted every later field when these bits were set.
inline constexpr std::uint16_t transit_delay = 17;
inline constexpr std::uint16_t checksum_complement = 18;
inline constexpr std::uint16_t buffer_occupancy = 19;
inline constexpr std::uint16_t hop_limit_wide = 20;  ///< bit 8's hop limit when bit 0 is also set
// Context of a record (the seed sent one message per event instead).
inline constexpr std::uint16_t trace_type = 21;   ///< the 24-bit IOAM-Trace-Type
inline constexpr std::uint16_t node_index = 22;   ///< 0 = the reporting node (most recent)
inline constexpr std::uint16_t node_count = 23;   ///< nodes in the event's trace
inline constexpr std::uint16_t event_id = 24;     ///< exporter's event counter, groups records
inline constexpr std::uint16_t option_type = 25;  ///< IOAM Option-Type: 0 pre-allocated trace, 4 DEX
// The kernel's event counters, in the exporter's statistics record (stats.hpp).
inline constexpr std::uint16_t kernel_events_sent = 26;        ///< IOAM events the kernel sent to listeners
inline constexpr std::uint16_t kernel_events_suppressed = 27;  ///< IOAM events its rate limit suppressed
}  // namespace id

using ipfix::data_semantics;
using ipfix::data_type;

/// The registry rows (id, PEN, abstract type, semantics, natural length,
/// name, units). Lengths on the wire may be reduced: see wire_length().
inline constexpr std::array<ipfix::ie_info, 28> elements = {{
    {id::namespace_id, pen, data_type::unsigned16, data_semantics::identifier, 2, "ioamNamespaceId", {}},
    {id::hop_limit, pen, data_type::unsigned8, data_semantics::quantity, 1, "ioamHopLimit", "hops"},
    {id::node_id, pen, data_type::unsigned32, data_semantics::identifier, 4, "ioamNodeId", {}},
    {id::ingress_id, pen, data_type::unsigned16, data_semantics::identifier, 2, "ioamIngressIfId", {}},
    {id::egress_id, pen, data_type::unsigned16, data_semantics::identifier, 2, "ioamEgressIfId", {}},
    {id::timestamp_seconds, pen, data_type::unsigned32, data_semantics::default_, 4, "ioamTimestampSeconds", "seconds"},
    {id::timestamp_fraction, pen, data_type::unsigned32, data_semantics::default_, 4, "ioamTimestampFraction", {}},
    {id::namespace_data, pen, data_type::unsigned32, data_semantics::default_, 4, "ioamNamespaceData", {}},
    {id::queue_depth, pen, data_type::unsigned32, data_semantics::quantity, 4, "ioamQueueDepth", {}},
    {id::node_id_wide, pen, data_type::unsigned64, data_semantics::identifier, 8, "ioamNodeIdWide", {}},
    {id::ingress_id_wide, pen, data_type::unsigned32, data_semantics::identifier, 4, "ioamIngressIfIdWide", {}},
    {id::egress_id_wide, pen, data_type::unsigned32, data_semantics::identifier, 4, "ioamEgressIfIdWide", {}},
    {id::namespace_data_wide, pen, data_type::unsigned64, data_semantics::default_, 8, "ioamNamespaceDataWide", {}},
    {id::schema_id, pen, data_type::unsigned32, data_semantics::identifier, 4, "ioamOpaqueStateSchemaId", {}},
    {id::snapshot, pen, data_type::octetArray, data_semantics::default_, ipfix::variable_length,
     "ioamOpaqueStateSnapshot", {}},
    {id::dex_flow_id, pen, data_type::unsigned32, data_semantics::identifier, 4, "ioamDexFlowId", {}},
    {id::dex_sequence, pen, data_type::unsigned32, data_semantics::identifier, 4, "ioamDexSequenceNumber", {}},
    {id::transit_delay, pen, data_type::unsigned32, data_semantics::quantity, 4, "ioamTransitDelay", "nanoseconds"},
    {id::checksum_complement, pen, data_type::unsigned32, data_semantics::default_, 4, "ioamChecksumComplement", {}},
    {id::buffer_occupancy, pen, data_type::unsigned32, data_semantics::quantity, 4, "ioamBufferOccupancy", {}},
    {id::hop_limit_wide, pen, data_type::unsigned8, data_semantics::quantity, 1, "ioamHopLimitWide", "hops"},
    {id::trace_type, pen, data_type::unsigned32, data_semantics::flags, 4, "ioamTraceType", {}},
    {id::node_index, pen, data_type::unsigned8, data_semantics::identifier, 1, "ioamNodeIndex", {}},
    {id::node_count, pen, data_type::unsigned8, data_semantics::quantity, 1, "ioamNodeCount", {}},
    {id::event_id, pen, data_type::unsigned32, data_semantics::identifier, 4, "ioamEventId", {}},
    {id::option_type, pen, data_type::unsigned8, data_semantics::identifier, 1, "ioamOptionType", {}},
    {id::kernel_events_sent, pen, data_type::unsigned64, data_semantics::totalCounter, 8, "ioamKernelEventsSent", {}},
    {id::kernel_events_suppressed, pen, data_type::unsigned64, data_semantics::totalCounter, 8,
     "ioamKernelEventsSuppressed", {}},
}};

namespace detail {
[[nodiscard]] constexpr bool table_ok() noexcept {
    for (std::size_t i = 0; i < elements.size(); ++i)
        if (elements[i].id != i || elements[i].enterprise != pen ||
            elements[i].length != ipfix::natural_length(elements[i].type))
            return false;
    return true;
}
}  // namespace detail
static_assert(detail::table_ok(), "ioam: PEN 10383 elements must be listed by id, each with its type's natural length");

[[nodiscard]] constexpr const ipfix::ie_info& element(std::uint16_t i) noexcept { return elements[i]; }

/// The table as a registry span (for ipfix::ie_registry).
[[nodiscard]] constexpr std::span<const ipfix::ie_info> registry() noexcept { return elements; }

/// An element as a compile-time IE type (usable in data_template<> and get<>).
template <std::uint16_t Id>
struct ie {
    static_assert(Id < elements.size(), "ioam: no such PEN 10383 element; see ioam/export/pen10383.hpp");
    static constexpr ipfix::ie_info info = elements[Id];
};

/// Octets on the wire: the 24- and 56-bit IOAM values use reduced-size
/// encoding (RFC 7011 6.2), big-endian like every other integer.
[[nodiscard]] constexpr std::uint16_t wire_length(std::uint16_t i) noexcept {
    switch (i) {
    case id::node_id: case id::schema_id: case id::trace_type: return 3;
    case id::node_id_wide: return 7;
    default: return elements[i].length;
    }
}

/// The element that carries an IOAM value, or `none` for the undefined
/// bits 12-21 (all ones by RFC 9197 4.4.1; laid out, never exported).
inline constexpr std::uint16_t none = 0xffff;
[[nodiscard]] constexpr std::uint16_t element_of(trace::value_id v) noexcept {
    using trace::value_id;
    switch (v) {
    case value_id::hop_limit: return id::hop_limit;
    case value_id::node_id: return id::node_id;
    case value_id::ingress_id: return id::ingress_id;
    case value_id::egress_id: return id::egress_id;
    case value_id::timestamp_seconds: return id::timestamp_seconds;
    case value_id::timestamp_fraction: return id::timestamp_fraction;
    case value_id::transit_delay: return id::transit_delay;
    case value_id::namespace_data: return id::namespace_data;
    case value_id::queue_depth: return id::queue_depth;
    case value_id::checksum_complement: return id::checksum_complement;
    case value_id::hop_limit_wide: return id::hop_limit;  // ioamHopLimitWide when bit 0 is set too
    case value_id::node_id_wide: return id::node_id_wide;
    case value_id::ingress_id_wide: return id::ingress_id_wide;
    case value_id::egress_id_wide: return id::egress_id_wide;
    case value_id::namespace_data_wide: return id::namespace_data_wide;
    case value_id::buffer_occupancy: return id::buffer_occupancy;
    default: return none;
    }
}

namespace detail {
[[nodiscard]] constexpr bool values_fit() noexcept {
    for (const auto& v : trace::value_table) {
        const std::uint16_t e = element_of(v.id);
        if (e == none) continue;
        if (wire_length(e) != v.width) return false;  // every value exported whole, never truncated
    }
    return wire_length(id::hop_limit_wide) == 1;
}
}  // namespace detail
static_assert(detail::values_fit(), "ioam: every IOAM value must map onto an element of exactly its width (RFC 9197 4.4.2)");

}  // namespace ioam::exporting::pen10383
