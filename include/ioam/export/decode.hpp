// The collector's side of records.hpp: a data record received through the
// template cache (ioam/ipfix/template_cache.hpp), read back into IOAM values.
// Works on any template naming PEN 10383 elements, so the seed Go exporter's
// template 293 (ids 0-16, one message per event) decodes too.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <type_traits>
#include <vector>

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

namespace detail {
/// The trace value each PEN 10383 element carries (value_count: none, or
/// handled apart: ioamHopLimit, whose value depends on the trace type).
inline constexpr auto value_of_element = [] {
    std::array<std::uint8_t, pen10383::elements.size()> t{};
    for (auto& x : t) x = static_cast<std::uint8_t>(trace::value_count);
    for (const auto& v : trace::value_table) {
        const std::uint16_t e = pen10383::element_of(v.id);
        if (e < t.size() && e != pen10383::id::hop_limit) t[e] = static_cast<std::uint8_t>(v.id);
    }
    return t;
}();
}  // namespace detail

namespace detail {
/// Stores the value x of PEN 10383 element e (not the snapshot) in d.
inline void put_value(decoded_record& d, std::optional<std::uint64_t>& hop_limit_1, std::uint16_t e, std::uint64_t x) {
    namespace id = pen10383::id;
    ++d.pen_fields;
    switch (e) {
    case id::namespace_id: d.namespace_id = static_cast<std::uint16_t>(x); break;
    case id::hop_limit: hop_limit_1 = x; break;
    case id::hop_limit_wide: d.values[static_cast<std::size_t>(trace::value_id::hop_limit_wide)] = x; break;
    case id::schema_id: d.schema_id = static_cast<std::uint32_t>(x); break;
    case id::dex_flow_id: d.flow_id = static_cast<std::uint32_t>(x); break;
    case id::dex_sequence: d.sequence = static_cast<std::uint32_t>(x); break;
    case id::trace_type: d.trace_type = static_cast<std::uint32_t>(x); break;
    case id::node_index: d.node_index = static_cast<std::uint8_t>(x); break;
    case id::node_count: d.node_count = static_cast<std::uint8_t>(x); break;
    case id::event_id: d.event_id = static_cast<std::uint32_t>(x); break;
    case id::option_type: d.option_type = static_cast<std::uint8_t>(x); break;
    default:
        if (const auto v = value_of_element[e]; v < trace::value_count) d.values[v] = x;
        break;
    }
}
/// Whether ioamHopLimit is the wide value's: the trace type has bit 8 and not bit 0.
[[nodiscard]] constexpr bool hop_limit_is_wide(const std::optional<std::uint32_t>& trace_type) noexcept {
    return trace_type && !(*trace_type & trace::bit_mask(0)) && (*trace_type & trace::bit_mask(8));
}
/// ioamHopLimit goes to the 1-octet value unless the trace type has only bit 8.
inline void put_hop_limit(decoded_record& d, const std::optional<std::uint64_t>& hop_limit_1) {
    if (!hop_limit_1) return;
    d.values[static_cast<std::size_t>(hop_limit_is_wide(d.trace_type) ? trace::value_id::hop_limit_wide
                                                                       : trace::value_id::hop_limit)] = hop_limit_1;
}
/// The element of a template field when it is one of PEN 10383's, else none.
inline std::uint16_t element_of(const ipfix::template_field& f) noexcept {
    return f.enterprise == pen10383::pen && f.id < pen10383::elements.size() ? f.id : pen10383::none;
}
}  // namespace detail

/// Reads the PEN 10383 fields of a record, through the template's decode
/// plan (decode_plan::for_each_u64: the fast path). A field of an integer
/// element with no octets or more than 8 is counted in other_fields.
[[nodiscard]] inline decoded_record decode_record(const ipfix::dynamic_record& r) {
    namespace id = pen10383::id;
    decoded_record d;
    std::optional<std::uint64_t> hop_limit_1;  // ioamHopLimit: bit 0's, or bit 8's when only that is set
    const auto fields = r.templ().fields();
    r.for_each_u64([&]<class V>(std::size_t i, const V& x) {
        const std::uint16_t e = detail::element_of(fields[i]);
        if (e == pen10383::none) {
            ++d.other_fields;
            return;
        }
        if constexpr (std::is_same_v<V, std::uint64_t>) {
            if (e == id::snapshot) {
                d.snapshot = r.field(i).bytes;
                ++d.pen_fields;
            } else if (fields[i].length == 0) {
                ++d.other_fields;
            } else {
                detail::put_value(d, hop_limit_1, e, x);
            }
        } else {
            const bytes_view b = x;  // longer than 8 octets, or variable-length
            if (e == id::snapshot) {
                d.snapshot = b;
                ++d.pen_fields;
            } else if (b.empty() || b.size() > 8) {
                ++d.other_fields;
            } else {
                detail::put_value(d, hop_limit_1, e, load_be_n(b.data(), b.size()));
            }
        }
    });
    detail::put_hop_limit(d, hop_limit_1);
    return d;
}

/// decode_record for the rows of template_cache::process_rows: the fields'
/// elements resolved once per template, then each row read by slot. Only
/// for a template without an ioamSnapshot field (its octets are not in a
/// row): usable() says.
class row_decoder {
public:
    row_decoder() = default;
    explicit row_decoder(const ipfix::dynamic_template& t) : t_(&t) {
        const auto fields = t.fields();
        for (std::size_t i = 0; i < fields.size(); ++i) {
            const std::uint16_t e = detail::element_of(fields[i]);
            if (e == pen10383::id::snapshot) {
                usable_ = false;
            } else if (e == pen10383::none || fields[i].length == 0) {
                ++other_fields_;
            } else {
                slots_.push_back({static_cast<std::uint16_t>(i), e});
            }
        }
    }
    /// A PEN 10383 field with a value: its index in the row and its element.
    struct slot {
        std::uint16_t index, element;
    };
    [[nodiscard]] const ipfix::dynamic_template* templ() const noexcept { return t_; }
    [[nodiscard]] bool usable() const noexcept { return usable_; }
    /// The fields decode() reads, in template order (a later one of the
    /// same element wins).
    [[nodiscard]] std::span<const slot> slots() const noexcept { return slots_; }
    /// What decode_record gives for the record whose values are `row`.
    [[nodiscard]] decoded_record decode(std::span<const std::uint64_t> row) const {
        decoded_record d;
        d.other_fields = other_fields_;
        std::optional<std::uint64_t> hop_limit_1;
        for (const auto& [i, e] : slots_) detail::put_value(d, hop_limit_1, e, row[i]);
        detail::put_hop_limit(d, hop_limit_1);
        return d;
    }

private:
    const ipfix::dynamic_template* t_ = nullptr;
    std::vector<slot> slots_;
    std::size_t other_fields_ = 0;
    bool usable_ = true;
};

}  // namespace ioam::exporting
