// IOAM data as raw octets in IPFIX, after draft-spiegel-ippm-ioam-rawexport-07
// ("In-situ OAM raw data export with IPFIX"): one record per event, the IOAM
// Option as the node saw it (its header and data, uninterpreted) in one
// variable-length octetArray whose element says the Option-Type, with the
// draft's report flags and encapsulation type and an IANA timestamp.
//
//   One data record (one template per Option-Type):
//   +-----------------+-----------------------+--------------------------------+
//   | ioamReportFlags | ioamEncapsulationType | observationTimeNanoseconds     |
//   | PEN 10383/64, 1 | PEN 10383/65, 1       | IANA 325, 8 (NTP format)       |
//   +-----------------+-----------------------+--------------------------------+
//   | ioamPreallocatedTraceData (PEN 10383/66)  TRACE events                   |
//   |   or ioamDirectExportData (PEN 10383/70)  DEX events                     |
//   | variable length (RFC 7011 7): the IOAM Option body, from its             |
//   | Namespace-ID on (the 4-octet IPv6 option header is not included)         |
//   +--------------------------------------------------------------------------+
//
// The draft leaves the element ids TBD, so they live under PEN 10383 as the
// seed layout's do, in a block of their own (64-70) above pen10383.hpp's.
// The kernel's events do not carry the packet, so the option octets are
// rebuilt from the event with the IOAM encoders (ioam/trace/option.hpp):
//   TRACE: the 8-octet trace header (Namespace-ID, NodeLen, trace type and
//          the reserved octet as the event gives them; Flags 0, or Overflow
//          when no node fitted; RemainingLen 0: the free space above the
//          filled nodes is not in the event and is left out) then the node
//          data of the event unchanged.
//   DEX:   the DEX header (Namespace-ID, Flags 0, Extension-Flags and the
//          Flow ID / Sequence Number the event carries, trace type = the
//          fields the event carries) then the node's data, encoded as one
//          trace node (RFC 9197 4.4.2) of that trace type.
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "ioam/core/buffer.hpp"
#include "ioam/core/bytes.hpp"
#include "ioam/core/error.hpp"
#include "ioam/export/decode.hpp"
#include "ioam/export/pen10383.hpp"
#include "ioam/export/records.hpp"
#include "ioam/ipfix/dynamic_template.hpp"
#include "ioam/ipfix/ie.hpp"
#include "ioam/ipfix/record.hpp"
#include "ioam/ipfix/template.hpp"
#include "ioam/ipfix/types.hpp"
#include "ioam/netlink/event.hpp"
#include "ioam/trace/node.hpp"
#include "ioam/trace/option.hpp"
#include "ioam/trace/trace_type.hpp"
#include "ioam/trace/values.hpp"

namespace ioam::exporting::rawexport {

inline constexpr std::uint32_t pen = pen10383::pen;

/// Element ids under PEN 10383 for the draft's proposed elements (TBD there).
namespace id {
inline constexpr std::uint16_t first = 64;
inline constexpr std::uint16_t report_flags = 64;
inline constexpr std::uint16_t encapsulation_type = 65;
inline constexpr std::uint16_t preallocated_trace_data = 66;
inline constexpr std::uint16_t incremental_trace_data = 67;
inline constexpr std::uint16_t e2e_data = 68;
inline constexpr std::uint16_t pot_data = 69;
inline constexpr std::uint16_t direct_export_data = 70;
}  // namespace id

/// IANA element used in the record: observationTimeNanoseconds.
inline constexpr std::uint16_t observation_time_nanoseconds = 325;

using ipfix::data_semantics;
using ipfix::data_type;

inline constexpr std::array<ipfix::ie_info, 7> elements = {{
    {id::report_flags, pen, data_type::unsigned8, data_semantics::flags, 1, "ioamReportFlags", {}},
    {id::encapsulation_type, pen, data_type::unsigned8, data_semantics::identifier, 1, "ioamEncapsulationType", {}},
    {id::preallocated_trace_data, pen, data_type::octetArray, data_semantics::default_, ipfix::variable_length,
     "ioamPreallocatedTraceData", {}},
    {id::incremental_trace_data, pen, data_type::octetArray, data_semantics::default_, ipfix::variable_length,
     "ioamIncrementalTraceData", {}},
    {id::e2e_data, pen, data_type::octetArray, data_semantics::default_, ipfix::variable_length, "ioamE2EData", {}},
    {id::pot_data, pen, data_type::octetArray, data_semantics::default_, ipfix::variable_length, "ioamPOTData", {}},
    {id::direct_export_data, pen, data_type::octetArray, data_semantics::default_, ipfix::variable_length,
     "ioamDirectExportData", {}},
}};

namespace detail {
[[nodiscard]] constexpr bool table_ok() noexcept {
    for (std::size_t i = 0; i < elements.size(); ++i)
        if (elements[i].id != id::first + i || elements[i].enterprise != pen) return false;
    return true;
}
}  // namespace detail
static_assert(detail::table_ok(), "ioam: rawexport elements must be listed by id from 64, under PEN 10383");
static_assert(pen10383::elements.size() <= id::first,
              "ioam: PEN 10383 ids from 64 on belong to the rawexport layout; number new pen10383 elements below 64");

[[nodiscard]] constexpr const ipfix::ie_info& element(std::uint16_t i) noexcept { return elements[i - id::first]; }
/// The table as a registry span (for ipfix::ie_registry).
[[nodiscard]] constexpr std::span<const ipfix::ie_info> registry() noexcept { return elements; }

/// The element carrying an Option-Type's raw octets (RFC 9197 7.1, RFC 9326 5).
[[nodiscard]] constexpr std::uint16_t data_element(trace::option_type t) noexcept {
    switch (t) {
    case trace::option_type::preallocated_trace: return id::preallocated_trace_data;
    case trace::option_type::incremental_trace: return id::incremental_trace_data;
    case trace::option_type::pot: return id::pot_data;
    case trace::option_type::e2e: return id::e2e_data;
    case trace::option_type::dex: return id::direct_export_data;
    }
    return id::preallocated_trace_data;
}
[[nodiscard]] constexpr std::optional<trace::option_type> option_of(std::uint16_t element_id) noexcept {
    switch (element_id) {
    case id::preallocated_trace_data: return trace::option_type::preallocated_trace;
    case id::incremental_trace_data: return trace::option_type::incremental_trace;
    case id::pot_data: return trace::option_type::pot;
    case id::e2e_data: return trace::option_type::e2e;
    case id::direct_export_data: return trace::option_type::dex;
    default: return std::nullopt;
    }
}

/// ioamEncapsulationType values. The draft's code points are TBD; these are
/// ours. Linux carries IOAM in IPv6 Hop-by-Hop options (RFC 9486).
namespace encapsulation {
inline constexpr std::uint8_t unknown = 0;
inline constexpr std::uint8_t ipv6 = 1;
}  // namespace encapsulation

/// ioamReportFlags: why the data was exported (the draft's drop, congestion
/// and tracked-flow reasons). The kernel's event gives no reason: 0.
inline constexpr std::uint8_t report_flags_none = 0;

/// Largest raw option: a DEX header with both optional fields, one node with
/// every field of bits 0-21 (100 octets), an opaque snapshot of 255 words.
inline constexpr std::size_t max_option_size = 8 + 8 + 100 + 4 + 255 * 4;
/// Largest record: flags, encapsulation, time, a 3-octet length prefix, the option.
inline constexpr std::size_t max_record_size = 1 + 1 + 8 + 3 + max_option_size;
inline constexpr std::size_t field_count = 4;
inline constexpr std::size_t max_template_record_size = 4 + field_count * 8;

// ---------------------------------------------------------------------------
// Time

/// UNIX nanoseconds as dateTimeNanoseconds (NTP format, RFC 7011 6.1.10).
[[nodiscard]] constexpr ipfix::ntp_timestamp to_ntp(std::uint64_t unix_ns) noexcept {
    const std::uint64_t s = unix_ns / 1000000000U, ns = unix_ns % 1000000000U;
    return {static_cast<std::uint32_t>(s + ipfix::ntp_unix_offset), static_cast<std::uint32_t>((ns << 32) / 1000000000U)};
}
/// Back to UNIX nanoseconds (era 0: 1900-2036), rounded to the nearest.
[[nodiscard]] constexpr std::uint64_t from_ntp(ipfix::ntp_timestamp t) noexcept {
    const std::uint64_t s = t.seconds - std::uint64_t{ipfix::ntp_unix_offset};
    return s * 1000000000U + ((std::uint64_t{t.fraction} * 1000000000U + (1ULL << 31)) >> 32);
}

// ---------------------------------------------------------------------------
// Rebuilding the option octets from an event

/// The Pre-allocated Trace option body of a TRACE event (see the top of this
/// file for what is rebuilt). errc::value_out_of_range when the event's
/// fields do not fit a trace header, errc::no_room when out is too small.
[[nodiscard]] constexpr result<std::size_t> rebuild_trace_option(const netlink::trace_event& e,
                                                                 bytes_span out) noexcept {
    trace::trace_header h;
    h.namespace_id = e.namespace_id;
    h.node_len = e.node_len;
    h.flags = e.data.empty() ? trace::flag_overflow : 0;
    h.remaining_len = 0;
    h.type = e.trace_type();
    h.reserved = static_cast<std::uint8_t>(e.type_word & 0xff);
    auto n = trace::encode_preallocated(h, out);
    if (!n) return n;
    if (out.size() - *n < e.data.size()) return error{errc::no_room, *n};
    for (std::size_t i = 0; i < e.data.size(); ++i) out[*n + i] = e.data[i];
    return *n + e.data.size();
}

/// The DEX option body of a DEX event followed by its data as one trace node.
[[nodiscard]] constexpr result<std::size_t> rebuild_dex_option(const netlink::dex_event& e, bytes_span out) noexcept {
    trace::dex_option d;
    d.namespace_id = e.namespace_id;
    d.type = e.present & trace::type_mask;
    d.flow_id = e.flow_id;
    d.seq_num = e.seq_num;
    auto n = trace::encode_dex(d, out);
    if (!n) return n;
    trace::node_data node;
    for (const auto& v : trace::value_table)
        if (auto x = e.raw(v.id)) node.set(v.id, *x);
    if (auto o = e.opaque()) {
        node.schema_id = o->schema_id;
        node.snapshot = o->data;
    }
    auto m = trace::encode_node(trace::shape_of(d.type), node, out.subspan(*n));
    if (!m) return error{m.code(), *n + m.offset()};
    return *n + *m;
}

// ---------------------------------------------------------------------------
// Templates and records

/// The shape of an event's record: only the Option-Type decides the template.
struct raw_shape {
    std::uint8_t option_type = option_preallocated_trace;
    friend constexpr bool operator==(const raw_shape&, const raw_shape&) = default;
};
[[nodiscard]] constexpr raw_shape shape_of(std::uint8_t option_type) noexcept { return raw_shape{option_type}; }

namespace detail {
[[nodiscard]] constexpr std::array<ipfix::field_spec, field_count> fields(const raw_shape& s) noexcept {
    const auto spec = [](std::uint16_t i) {
        const auto& e = element(i);
        return ipfix::field_spec{e.id, e.enterprise, e.length, e.type, true};
    };
    return {spec(id::report_flags), spec(id::encapsulation_type),
            ipfix::field_spec{observation_time_nanoseconds, 0, 8, data_type::dateTimeNanoseconds, true},
            spec(data_element(static_cast<trace::option_type>(s.option_type)))};
}
}  // namespace detail

/// Smallest record (bounds set padding, RFC 7011 3.3.1).
[[nodiscard]] constexpr std::size_t min_record_size(const raw_shape&) noexcept { return 1 + 1 + 8 + 1; }

/// Writes the template record of a shape (RFC 7011 3.4.1) into w.
[[nodiscard]] constexpr result<void> encode_template_record(std::uint16_t template_id, const raw_shape& s,
                                                            byte_writer& w) noexcept {
    if (template_id < 256) return error{errc::bad_template_id, w.size()};
    const std::size_t start = w.size();
    w.put_be16(template_id);
    w.put_be16(static_cast<std::uint16_t>(field_count));
    for (const auto& f : detail::fields(s)) ipfix::put_field_spec(w, f);
    if (!w.ok()) {
        w.rewind(start);
        return error{errc::no_room, start};
    }
    return {};
}

/// What a record says besides the option.
struct record_context {
    std::uint64_t observation_time_ns = 0;  ///< UNIX nanoseconds
    std::uint8_t report_flags = report_flags_none;
    std::uint8_t encapsulation = encapsulation::ipv6;
};

/// Writes one record around already rebuilt option octets.
[[nodiscard]] constexpr result<void> encode_record(const record_context& c, bytes_view option,
                                                   byte_writer& w) noexcept {
    const std::size_t start = w.size();
    w.put_u8(c.report_flags);
    w.put_u8(c.encapsulation);
    const auto t = to_ntp(c.observation_time_ns);
    w.put_be32(t.seconds);
    w.put_be32(t.fraction);
    ipfix::put_varlen_prefix(w, option.size());
    w.put_bytes(option);
    if (!w.ok()) {
        w.rewind(start);
        return error{errc::no_room, start};
    }
    return {};
}

/// Writes the record of a TRACE event.
[[nodiscard]] constexpr result<void> encode_trace_record(const record_context& c, const netlink::trace_event& e,
                                                         byte_writer& w) noexcept {
    std::array<std::byte, max_option_size> buf{};
    auto n = rebuild_trace_option(e, buf);
    if (!n) return n.error();
    return encode_record(c, bytes_view(buf).first(*n), w);
}

/// Writes the record of a DEX event.
[[nodiscard]] constexpr result<void> encode_dex_record(const record_context& c, const netlink::dex_event& e,
                                                       byte_writer& w) noexcept {
    std::array<std::byte, max_option_size> buf{};
    auto n = rebuild_dex_option(e, buf);
    if (!n) return n.error();
    return encode_record(c, bytes_view(buf).first(*n), w);
}

// ---------------------------------------------------------------------------
// Collector side

/// One rawexport record's fields; absent ones stay nullopt. Borrows the
/// record's buffer (data).
struct raw_record {
    std::optional<std::uint8_t> report_flags;
    std::optional<std::uint8_t> encapsulation;
    std::optional<std::uint64_t> observation_time_ns;  ///< UNIX nanoseconds
    std::optional<trace::option_type> option_type;     ///< from the data element
    bytes_view data{};                                 ///< the option octets
    std::size_t raw_fields = 0;    ///< rawexport fields read
    std::size_t other_fields = 0;  ///< other fields, ignored
};

/// Reads the rawexport fields of a record (raw_fields is 0 for a record of
/// another layout).
[[nodiscard]] inline raw_record decode_record(const ipfix::dynamic_record& r) {
    raw_record d;
    r.for_each_field([&](const ipfix::field_view& f) {
        const auto& s = *f.spec;
        if (s.enterprise == 0 && s.id == observation_time_nanoseconds && f.bytes.size() == 8) {
            d.observation_time_ns = from_ntp({load_be32(f.bytes.data()), load_be32(f.bytes.data() + 4)});
            return;
        }
        if (s.enterprise != pen || s.id < id::first || s.id >= id::first + elements.size()) {
            ++d.other_fields;
            return;
        }
        ++d.raw_fields;
        if (s.id == id::report_flags || s.id == id::encapsulation_type) {
            if (f.bytes.size() != 1) {
                --d.raw_fields;
                ++d.other_fields;
                return;
            }
            (s.id == id::report_flags ? d.report_flags : d.encapsulation) = load_u8(f.bytes.data());
            return;
        }
        d.option_type = option_of(s.id);
        d.data = f.bytes;
    });
    return d;
}

/// A raw option decoded with the IOAM decoders. Borrows the record's buffer.
struct raw_option {
    trace::option_type kind = trace::option_type::preallocated_trace;
    trace::trace_option trace{};  ///< pre-allocated and incremental traces
    trace::dex_option dex{};      ///< DEX
    trace::node_list dex_node{};  ///< DEX: the node's data (0 or 1 node)
    trace::pot_option pot{};
    trace::e2e_option e2e{};
};

/// Decodes the option octets of a record. Traces are checked as
/// trace::decode_trace does; a DEX option must be followed by exactly one
/// node of its trace type (or nothing).
[[nodiscard]] constexpr result<raw_option> decode_option(trace::option_type kind, bytes_view data,
                                                         trace::type_policy policy = trace::type_policy::lenient) noexcept {
    raw_option o;
    o.kind = kind;
    switch (kind) {
    case trace::option_type::preallocated_trace:
    case trace::option_type::incremental_trace: {
        auto t = trace::decode_trace(kind, data, policy);
        if (!t) return t.error();
        o.trace = *t;
        return o;
    }
    case trace::option_type::pot: {
        auto p = trace::decode_pot(data);
        if (!p) return p.error();
        o.pot = *p;
        return o;
    }
    case trace::option_type::e2e: {
        auto e = trace::decode_e2e(data);
        if (!e) return e.error();
        o.e2e = *e;
        return o;
    }
    case trace::option_type::dex: {
        auto d = trace::decode_dex(data, policy);
        if (!d) return d.error();
        o.dex = *d;
        const std::size_t header = trace::dex_header_size + 4 * static_cast<std::size_t>(std::popcount(d->ext_flags));
        const bytes_view rest = data.subspan(header);
        if (trace::shape_of(d->type).node_len == 0 && !(d->type & trace::opaque_mask)) {
            if (!rest.empty()) return error{errc::bad_option, header};
            return o;  // a DEX option asking for no data
        }
        auto s = trace::make_shape(d->type, policy, 4);
        if (!s) return s.error();
        auto nodes = trace::node_list::decode(*s, rest, header);
        if (!nodes) return nodes.error();
        if (nodes->size() > 1) return error{errc::bad_option, header + s->fixed_size()};
        o.dex_node = *nodes;
        return o;
    }
    }
    return error{errc::bad_option, 0};
}

namespace detail {
inline void set_values(decoded_record& d, const trace::node_view& n) {
    n.for_each_value([&](const trace::field_value& f) {
        if (pen10383::element_of(f.id) != pen10383::none) d.values[static_cast<std::size_t>(f.id)] = f.value;
    });
    if (auto s = n.opaque()) {
        d.schema_id = s->schema_id;
        d.snapshot = s->data;
    }
}
}  // namespace detail

/// Calls f(decoded_record) once per node of a trace option (once with no
/// values for a trace without nodes) or once for a DEX option, with the
/// same values a PEN 10383 record of that node would carry (no event id).
/// Nothing for POT and E2E options.
template <class F>
void for_each_node(const raw_option& o, F&& f) {
    decoded_record d;
    if (o.kind == trace::option_type::dex) {
        d.option_type = option_dex;
        d.namespace_id = o.dex.namespace_id;
        d.trace_type = o.dex.type & trace::type_mask;
        d.flow_id = o.dex.flow_id;
        d.sequence = o.dex.seq_num;
        if (!o.dex_node.empty()) detail::set_values(d, o.dex_node[0]);
        f(d);
        return;
    }
    if (o.kind != trace::option_type::preallocated_trace && o.kind != trace::option_type::incremental_trace) return;
    d.option_type = static_cast<std::uint8_t>(o.kind);
    d.namespace_id = o.trace.header.namespace_id;
    d.trace_type = o.trace.header.type & trace::type_mask;
    d.node_count = static_cast<std::uint8_t>(o.trace.nodes.size());
    d.node_index = 0;
    if (o.trace.nodes.empty()) {
        f(d);
        return;
    }
    for (const trace::node_view n : o.trace.nodes) {
        decoded_record x = d;
        detail::set_values(x, n);
        f(x);
        ++*d.node_index;
    }
}

}  // namespace ioam::exporting::rawexport
