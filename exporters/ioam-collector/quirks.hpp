// --quirks go-ioam-exporter: the seed Go exporter's records (template 293,
// PEN 10383 ids 0-16, DESIGN.md "The seed exporter") repaired where the
// damage is known and marked where it is not. docs/collector.md lists the
// rules field by field; each one is a line below.
#pragma once

#include "ioam/export/decode.hpp"
#include "ioam/export/pen10383.hpp"
#include "ioam/ipfix/dynamic_template.hpp"
#include "ioam/trace/values.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

namespace ioam_collector {

namespace xp = ioam::exporting;
namespace tr = ioam::trace;

/// A record of the seed's shape: PEN 10383 values without the context
/// elements our exporter always sends (trace type, node index, event id).
[[nodiscard]] inline bool seed_shaped(const xp::decoded_record& d) noexcept {
    return d.pen_fields > 0 && !d.trace_type && !d.event_id && !d.node_index && !d.option_type;
}

/// What quirks() did to one record.
struct quirk_result {
    unsigned swapped = 0;     ///< fields whose byte order was reversed
    bool schema_none = false; ///< schema id 0 read as "no schema"
    std::string unreliable;   ///< JSON array body of value names that cannot be trusted
};

/// Repairs a seed-shaped record in place (call only when seed_shaped(d)).
inline quirk_result quirks(const ioam::ipfix::dynamic_record& r, xp::decoded_record& d) {
    namespace id = xp::pen10383::id;
    quirk_result q;
    const auto reversed = [](ioam::bytes_view b) {
        std::uint64_t x = 0;
        for (std::size_t i = b.size(); i-- > 0;) x = x << 8 | std::to_integer<std::uint64_t>(b[i]);
        return x;
    };
    r.for_each_field([&](const ioam::ipfix::field_view& f) {
        if (f.spec->enterprise != xp::pen10383::pen) return;
        const std::size_t n = f.bytes.size();
        // The seed wrote its 24- and 56-bit fields little-endian.
        if (f.spec->id == id::node_id && n == 3) {
            d.values[static_cast<std::size_t>(tr::value_id::node_id)] = reversed(f.bytes);
            ++q.swapped;
        } else if (f.spec->id == id::node_id_wide && n == 7) {
            d.values[static_cast<std::size_t>(tr::value_id::node_id_wide)] = reversed(f.bytes);
            ++q.swapped;
        } else if (f.spec->id == id::schema_id && n == 3) {
            d.schema_id = static_cast<std::uint32_t>(reversed(f.bytes));
            ++q.swapped;
        }
    });
    // It exported "no opaque state" as schema 0 (RFC 9197 4.4.2.12: 0xffffff).
    if (d.schema_id && *d.schema_id == 0) {
        d.schema_id = tr::no_schema;
        q.schema_none = true;
    }
    // With trace bits 4 (transit delay) or 7 (checksum complement) set, the
    // seed's fields after them were shifted; its records do not carry the
    // trace type, so every value from bit 5 on is marked (none can be repaired).
    for (const auto& v : tr::value_table) {
        if (v.bit < 5 || !d.values[static_cast<std::size_t>(v.id)]) continue;
        q.unreliable += (q.unreliable.empty() ? "\"" : ",\"") + std::string(v.name) + "\"";
    }
    if (d.schema_id) q.unreliable += std::string(q.unreliable.empty() ? "" : ",") + "\"schema_id\"";
    if (d.snapshot) q.unreliable += std::string(q.unreliable.empty() ? "" : ",") + "\"snapshot\"";
    return q;
}

}  // namespace ioam_collector
