// IOAM data as IPFIX records in the PEN 10383 layout (pen10383.hpp): one
// template per record shape, built at run time from the trace-type table, so
// the fields present follow the trace type exactly and nothing shifts.
//
//   One data record (fields in this order, each only when the shape has it):
//   +-------------+-------------+-----------+-----------+-----------+------------+
//   | ioamEventId | OptionType  | Namespace | TraceType | NodeIndex | NodeCount  |  context
//   |  4          |  1          |  2        |  3        |  1 (trace)| 1 (trace)  |
//   +-------------+-------------+-----------+-----------+-----------+------------+
//   | DEX flow id (4), DEX sequence number (4)              DEX events with them |
//   +-----------------------------------------------------------------------------+
//   | one field per IOAM value present, in trace-type bit order (RFC 9197 4.4.2): |
//   | hop limit (1) node id (3) ingress (2) egress (2) seconds (4) fraction (4)   |
//   | transit delay (4) ns data (4) queue (4) checksum (4) hop limit wide (1)     |
//   | node id wide (7) ingress wide (4) egress wide (4) ns data wide (8) buf (4)  |
//   +-----------------------------------------------------------------------------+
//   | schema id (3) | snapshot (variable length, RFC 7011 7)          bit 22 only |
//   +-----------------------------------------------------------------------------+
//
// An event without node data (an overflowed trace whose first node found no
// room) is one record of the context fields only. Values keep their wire
// meaning: "unavailable" is all ones, "no schema" 0xffffff, neither becomes 0.
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <type_traits>

#include "ioam/core/buffer.hpp"
#include "ioam/core/bytes.hpp"
#include "ioam/core/error.hpp"
#include "ioam/export/pen10383.hpp"
#include "ioam/ipfix/field.hpp"
#include "ioam/ipfix/record.hpp"
#include "ioam/ipfix/template.hpp"
#include "ioam/netlink/event.hpp"
#include "ioam/trace/node.hpp"
#include "ioam/trace/trace_type.hpp"
#include "ioam/trace/values.hpp"

namespace ioam::exporting {

/// IOAM Option-Types (RFC 9197 7.1, RFC 9326 5).
inline constexpr std::uint8_t option_preallocated_trace = 0;
inline constexpr std::uint8_t option_dex = 4;

/// What decides a template: the kind of event, the trace type and the
/// optional fields. Two events with equal shapes share a template.
struct record_shape {
    std::uint32_t type = 0;             ///< 24-bit trace type as the event carries it (bit 23 too)
    std::uint8_t option_type = option_preallocated_trace;
    bool flow_id = false;               ///< DEX: the event carries a flow id
    bool sequence = false;              ///< DEX: the event carries a sequence number
    bool empty = false;                 ///< trace without node data: context fields only
    [[nodiscard]] constexpr bool is_dex() const noexcept { return option_type == option_dex; }
    /// Member by member, as one 8-octet compare (the session compares a
    /// shape per record).
    friend constexpr bool operator==(const record_shape& a, const record_shape& b) noexcept {
        return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b);
    }
};
static_assert(sizeof(record_shape) == 8 && std::has_unique_object_representations_v<record_shape>,
              "ioam: record_shape compares as its 8 octets, so it must have no padding");

/// The shape of a TRACE event's records (empty when it carries no node).
[[nodiscard]] constexpr record_shape shape_of(const netlink::trace_event& e, std::size_t nodes) noexcept {
    record_shape s;
    s.type = e.trace_type() & trace::type_mask;
    s.empty = nodes == 0;
    return s;
}
/// The shape of a DEX event's record: the fields it carries.
[[nodiscard]] constexpr record_shape shape_of(const netlink::dex_event& e) noexcept {
    record_shape s;
    s.type = e.present & trace::type_mask & ~trace::reserved_mask;
    s.option_type = option_dex;
    s.flow_id = e.flow_id.has_value();
    s.sequence = e.seq_num.has_value();
    return s;
}

/// Where a field's value comes from.
enum class source : std::uint8_t { event_id, option_type, namespace_id, trace_type, node_index, node_count,
                                   flow_id, sequence, value, schema_id, snapshot };

/// One field of a shape's template.
struct shape_field {
    source from = source::value;
    trace::value_id value{};  ///< for source::value
    ipfix::field_spec spec{};
};

/// Most fields a shape can have: 6 context, 2 DEX, 16 defined values, 2 snapshot.
inline constexpr std::size_t max_fields = 26;
/// Largest template record: header plus an enterprise specifier per field.
inline constexpr std::size_t max_template_record_size = 4 + max_fields * 8;

namespace detail {
[[nodiscard]] constexpr ipfix::field_spec spec(std::uint16_t id) noexcept {
    const auto& e = pen10383::element(id);
    return {e.id, e.enterprise, pen10383::wire_length(id), e.type, true};
}
}  // namespace detail

/// The fields of a shape's records, in wire order; the one walk that both
/// the template and the records follow. Returns how many were written.
[[nodiscard]] constexpr std::size_t fields_of(const record_shape& s, std::span<shape_field, max_fields> out) noexcept {
    namespace id = pen10383::id;
    std::size_t n = 0;
    const auto add = [&](source f, std::uint16_t ie, trace::value_id v = {}) { out[n++] = {f, v, detail::spec(ie)}; };
    add(source::event_id, id::event_id);
    add(source::option_type, id::option_type);
    add(source::namespace_id, id::namespace_id);
    add(source::trace_type, id::trace_type);
    if (!s.is_dex()) {
        add(source::node_index, id::node_index);
        add(source::node_count, id::node_count);
        if (s.empty) return n;
    }
    if (s.is_dex() && s.flow_id) add(source::flow_id, id::dex_flow_id);
    if (s.is_dex() && s.sequence) add(source::sequence, id::dex_sequence);
    for (const auto& v : trace::value_table) {
        if (!(s.type & trace::bit_mask(v.bit))) continue;
        std::uint16_t ie = pen10383::element_of(v.id);
        if (ie == pen10383::none) continue;
        if (v.id == trace::value_id::hop_limit_wide && (s.type & trace::bit_mask(0))) ie = id::hop_limit_wide;
        add(source::value, ie, v.id);
    }
    if (s.type & trace::opaque_mask) {
        add(source::schema_id, id::schema_id);
        add(source::snapshot, id::snapshot);
    }
    return n;
}

/// Smallest record of a shape (bounds set padding, RFC 7011 3.3.1).
[[nodiscard]] constexpr std::size_t min_record_size(const record_shape& s) noexcept {
    std::array<shape_field, max_fields> f{};
    const std::size_t n = fields_of(s, f);
    std::size_t size = 0;
    for (std::size_t i = 0; i < n; ++i)
        size += f[i].spec.length == ipfix::variable_length ? 1 : f[i].spec.length;
    return size;
}

/// Writes the template record of a shape (RFC 7011 3.4.1) into w.
[[nodiscard]] constexpr result<void> encode_template_record(std::uint16_t template_id, const record_shape& s,
                                                            byte_writer& w) noexcept {
    if (template_id < 256) return error{errc::bad_template_id, w.size()};
    std::array<shape_field, max_fields> f{};
    const std::size_t n = fields_of(s, f);
    const std::size_t start = w.size();
    w.put_be16(template_id);
    w.put_be16(static_cast<std::uint16_t>(n));
    for (std::size_t i = 0; i < n; ++i) ipfix::put_field_spec(w, f[i].spec);
    if (!w.ok()) {
        w.rewind(start);
        return error{errc::no_room, start};
    }
    return {};
}

/// A shape's fields, walked once (fields_of) and reused for every record
/// of an event: the walk reads the whole trace-type table.
struct shape_fields {
    std::array<shape_field, max_fields> field{};
    std::size_t count = 0;
    constexpr explicit shape_fields(const record_shape& s) noexcept : count(fields_of(s, field)) {}
};

/// Per-record context.
struct record_context {
    std::uint32_t event_id = 0;
    std::uint16_t namespace_id = 0;
    std::uint8_t node_index = 0;
    std::uint8_t node_count = 0;
    std::optional<std::uint32_t> flow_id;
    std::optional<std::uint32_t> sequence;
};

namespace detail {
/// Writes one record; raw(v) gives an IOAM value, snap the snapshot.
template <class Raw>
[[nodiscard]] constexpr result<void> encode_record(const record_shape& s, const shape_fields& fields,
                                                   const record_context& c, Raw&& raw,
                                                   const std::optional<trace::opaque_snapshot>& snap,
                                                   byte_writer& w) noexcept {
    const auto& f = fields.field;
    const std::size_t n = fields.count;
    const std::size_t start = w.size();
    for (std::size_t i = 0; i < n; ++i) {
        const auto& sf = f[i];
        std::uint64_t x = 0;
        switch (sf.from) {
        case source::event_id: x = c.event_id; break;
        case source::option_type: x = s.option_type; break;
        case source::namespace_id: x = c.namespace_id; break;
        case source::trace_type: x = s.type; break;
        case source::node_index: x = c.node_index; break;
        case source::node_count: x = c.node_count; break;
        case source::flow_id: x = c.flow_id.value_or(0); break;
        case source::sequence: x = c.sequence.value_or(0); break;
        case source::value: x = raw(sf.value); break;
        case source::schema_id: x = snap ? snap->schema_id : trace::no_schema; break;
        case source::snapshot: {
            const bytes_view d = snap ? snap->data : bytes_view{};
            ipfix::put_varlen_prefix(w, d.size());
            w.put_bytes(d);
            continue;
        }
        }
        w.put_be_n(x, sf.spec.length);
    }
    if (!w.ok()) {
        w.rewind(start);
        return error{errc::no_room, start};
    }
    return {};
}
}  // namespace detail

/// Writes the record of one trace node (node == nullptr for an empty trace);
/// `fields` must be shape_fields{s}.
[[nodiscard]] constexpr result<void> encode_node_record(const record_shape& s, const shape_fields& fields,
                                                        const record_context& c, const trace::node_view* node,
                                                        byte_writer& w) noexcept {
    if (!node)
        return detail::encode_record(s, fields, c, [](trace::value_id) { return std::uint64_t{0}; }, std::nullopt, w);
    return detail::encode_record(s, fields, c, [&](trace::value_id v) { return node->raw(v).value_or(0); },
                                 node->opaque(), w);
}
[[nodiscard]] constexpr result<void> encode_node_record(const record_shape& s, const record_context& c,
                                                        const trace::node_view* node, byte_writer& w) noexcept {
    return encode_node_record(s, shape_fields{s}, c, node, w);
}

/// Writes the record of a DEX event.
[[nodiscard]] constexpr result<void> encode_dex_record(const record_shape& s, const record_context& c,
                                                       const netlink::dex_event& e, byte_writer& w) noexcept {
    return detail::encode_record(s, shape_fields{s}, c, [&](trace::value_id v) { return e.raw(v).value_or(0); },
                                 e.opaque(), w);
}

}  // namespace ioam::exporting
