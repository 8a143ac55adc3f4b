// The collector's side of records.hpp: a data record received through the
// template cache (ioam/ipfix/template_cache.hpp), read back into IOAM values.
// Works on any template naming PEN 10383 elements, so the seed Go exporter's
// template 293 (ids 0-16, one message per event) decodes too.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "ioam/core/bytes.hpp"
#include "ioam/export/pen10383.hpp"
#include "ioam/ipfix/dynamic_template.hpp"
#include "ioam/trace/trace_type.hpp"
#include "ioam/trace/values.hpp"

namespace ioam::exporting {

/// One record's IOAM content; absent fields stay nullopt. Borrows the
/// record's buffer (snapshot).
struct decoded_record {
    std::optional<std::uint32_t> event_id;
    std::optional<std::uint8_t> option_type;
    std::optional<std::uint16_t> namespace_id;
    std::optional<std::uint32_t> trace_type;
    std::optional<std::uint8_t> node_index;
    std::optional<std::uint8_t> node_count;
    std::optional<std::uint32_t> flow_id;
    std::optional<std::uint32_t> sequence;
    std::array<std::optional<std::uint64_t>, trace::value_count> values{};
    std::optional<std::uint32_t> schema_id;
    std::optional<bytes_view> snapshot;
    std::size_t pen_fields = 0;    ///< PEN 10383 fields read
    std::size_t other_fields = 0;  ///< fields of other elements, ignored

    [[nodiscard]] constexpr const std::optional<std::uint64_t>& value(trace::value_id v) const noexcept {
        return values[static_cast<std::size_t>(v)];
    }
};

/// Reads the PEN 10383 fields of a record. An integer field of a length its
/// element does not allow (longer than 8 octets) is counted in other_fields.
[[nodiscard]] inline decoded_record decode_record(const ipfix::dynamic_record& r) {
    namespace id = pen10383::id;
    using trace::value_id;
    decoded_record d;
    std::optional<std::uint64_t> hop_limit_1;  // ioamHopLimit: bit 0's, or bit 8's when only that is set
    r.for_each_field([&](const ipfix::field_view& f) {
        if (f.spec->enterprise != pen10383::pen || f.spec->id >= pen10383::elements.size()) {
            ++d.other_fields;
            return;
        }
        const std::uint16_t e = f.spec->id;
        if (e == id::snapshot) {
            d.snapshot = f.bytes;
            ++d.pen_fields;
            return;
        }
        if (f.bytes.empty() || f.bytes.size() > 8) {
            ++d.other_fields;
            return;
        }
        ++d.pen_fields;
        const std::uint64_t x = load_be_n(f.bytes.data(), f.bytes.size());
        const auto set = [&](value_id v) { d.values[static_cast<std::size_t>(v)] = x; };
        switch (e) {
        case id::namespace_id: d.namespace_id = static_cast<std::uint16_t>(x); break;
        case id::hop_limit: hop_limit_1 = x; break;
        case id::hop_limit_wide: set(value_id::hop_limit_wide); break;
        case id::schema_id: d.schema_id = static_cast<std::uint32_t>(x); break;
        case id::dex_flow_id: d.flow_id = static_cast<std::uint32_t>(x); break;
        case id::dex_sequence: d.sequence = static_cast<std::uint32_t>(x); break;
        case id::trace_type: d.trace_type = static_cast<std::uint32_t>(x); break;
        case id::node_index: d.node_index = static_cast<std::uint8_t>(x); break;
        case id::node_count: d.node_count = static_cast<std::uint8_t>(x); break;
        case id::event_id: d.event_id = static_cast<std::uint32_t>(x); break;
        case id::option_type: d.option_type = static_cast<std::uint8_t>(x); break;
        default:
            for (const auto& v : trace::value_table)
                if (pen10383::element_of(v.id) == e && v.id != value_id::hop_limit_wide) set(v.id);
            break;
        }
    });
    if (hop_limit_1) {
        const bool wide_only = d.trace_type && !(*d.trace_type & trace::bit_mask(0)) &&
                               (*d.trace_type & trace::bit_mask(8));
        d.values[static_cast<std::size_t>(wide_only ? value_id::hop_limit_wide : value_id::hop_limit)] = hop_limit_1;
    }
    return d;
}

}  // namespace ioam::exporting
