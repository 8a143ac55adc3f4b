// One printer for the exporter's console and the collector: a record (one
// trace node or one DEX event) as a line of text or a JSON object, with the
// same keys on both sides so their outputs can be compared line by line.
// Keys: event, option_type, namespace, trace_type, node_index, node_count,
// flow_id, sequence, the value names of ioam/trace/values.hpp, schema_id,
// snapshot (hex). Unavailable values stay numbers (all ones) in JSON and
// print as "unavailable" in text; no schema (0xffffff) prints as "none".
#pragma once

#include "ioam/export/decode.hpp"
#include "ioam/export/records.hpp"
#include "ioam/netlink/event.hpp"
#include "ioam/trace/node.hpp"
#include "ioam/trace/values.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ioam_tools {

namespace xp = ioam::exporting;
namespace tr = ioam::trace;

/// A trace node as the collector would decode its record.
inline xp::decoded_record record_of(const ioam::netlink::trace_event& e, std::uint32_t event_id,
                                    const tr::node_view* n, std::size_t index, std::size_t count) {
    xp::decoded_record d;
    d.event_id = event_id;
    d.option_type = xp::option_preallocated_trace;
    d.namespace_id = e.namespace_id;
    d.trace_type = e.trace_type() & tr::type_mask;
    d.node_index = static_cast<std::uint8_t>(index);
    d.node_count = static_cast<std::uint8_t>(count);
    if (!n) return d;
    n->for_each_value([&](const tr::field_value& f) {
        if (ioam::exporting::pen10383::element_of(f.id) != ioam::exporting::pen10383::none)
            d.values[static_cast<std::size_t>(f.id)] = f.value;
    });
    if (auto o = n->opaque()) {
        d.schema_id = o->schema_id;
        d.snapshot = o->data;
    }
    return d;
}

inline xp::decoded_record record_of(const ioam::netlink::dex_event& e, std::uint32_t event_id) {
    xp::decoded_record d;
    d.event_id = event_id;
    d.option_type = xp::option_dex;
    d.namespace_id = e.namespace_id;
    d.trace_type = e.present & tr::type_mask & ~tr::reserved_mask;
    d.flow_id = e.flow_id;
    d.sequence = e.seq_num;
    e.for_each_value([&](const tr::field_value& f) {
        if (ioam::exporting::pen10383::element_of(f.id) != ioam::exporting::pen10383::none)
            d.values[static_cast<std::size_t>(f.id)] = f.value;
    });
    if (auto o = e.opaque()) {
        d.schema_id = o->schema_id;
        d.snapshot = o->data;
    }
    return d;
}

/// JSON lines built from skeletons: the keys a record has (which of
/// decoded_record's values are present, a bit each in print order) select a
/// skeleton made once, the constant keys and punctuation pre-rendered, so a
/// record costs one copy per key and the formatting of its values. A
/// collector's template gives the same keys to all its records, so the last
/// skeleton almost always serves. Lines are appended to a caller's string,
/// written out once per message or batch.
class json_lines {
    // Print order: the header values, the trace values in value_table order,
    // schema_id, snapshot.
    static constexpr std::size_t header_count = 8, schema_slot = header_count + tr::value_count,
                                 snapshot_slot = schema_slot + 1, slot_count = snapshot_slot + 1;
    static_assert(slot_count <= 64, "ioam: the keys of a record must fit one 64-bit mask");
    static constexpr std::array<std::string_view, header_count> header_names = {
        "event", "option_type", "namespace", "trace_type", "node_index", "node_count", "flow_id", "sequence"};

    // A key with its punctuation, e.g. `,"node_id":`, in a fixed room (one
    // copy of constant size).
    static constexpr std::size_t key_room = 32;
    static_assert(
        [] {
            for (const auto& v : tr::value_table)
                if (v.name.size() + 4 > key_room) return false;
            return true;
        }(),
        "ioam: a trace value's name no longer fits json_lines::key_room; enlarge it");

public:
    /// Appends one JSON object and a newline. `prefix` (may be empty) is
    /// inserted first, e.g. "\"odid\":1,".
    void append(std::string& out, const xp::decoded_record& d, std::string_view prefix = {}) {
        const skeleton& k = skeleton_of(keys_of(d), prefix.empty());
        // (each key is copied as key_room octets, the value may take 20)
        const std::size_t line = prefix.size() + k.slots.size() * (key_room + 20) + 4;
        char* p = room(out, line + (d.snapshot ? 2 * d.snapshot->size() : 0), 1);
        *p++ = '{';
        if (!prefix.empty()) std::memcpy(p, prefix.data(), prefix.size());  // (an empty view's data may be null)
        p += prefix.size();
        for (const slot& s : k.slots) {
            std::memcpy(p, s.key.data(), key_room);
            p += s.key_length;
            p = value(p, d, s.index);
        }
        *p++ = '}';
        *p++ = '\n';
        out.resize(static_cast<std::size_t>(p - out.data()));
    }

    /// How the rows of one template print (template_cache::process_rows,
    /// row_decoder): its fields decide the keys, made once per template, so
    /// a row is printed from its values without a decoded_record between.
    /// The hop limit alone depends on the record (its trace type may send
    /// ioamHopLimit to hop_limit_wide), hence two key lists.
    class row_plan {
    public:
        row_plan() = default;
        explicit row_plan(const xp::row_decoder& dec) {
            const auto slots = dec.slots();
            std::array<std::optional<source>, slot_count> at{};
            std::optional<std::uint16_t> hop_limit_1;
            for (const auto& [index, element] : slots) {
                // What decode() would store, told by decode.hpp's own rules:
                // the print slot the element fills and the mask of its value.
                xp::decoded_record d;
                std::optional<std::uint64_t> hl;
                xp::detail::put_value(d, hl, element, ~std::uint64_t{0});
                if (hl) {
                    hop_limit_1 = index;
                    continue;
                }
                if (const std::uint64_t k = keys_of(d); k != 0) {
                    const auto i = static_cast<std::size_t>(std::countr_zero(k));
                    at[i] = source{index, number_of(d, i)};
                }
            }
            if (at[3]) trace_type_ = static_cast<int>(at[3]->row);
            for (const bool wide : {false, true}) {
                auto with = at;
                if (hop_limit_1) {
                    const auto v = wide ? tr::value_id::hop_limit_wide : tr::value_id::hop_limit;
                    with[header_count + table_index(v)] = source{*hop_limit_1, ~std::uint64_t{0}};
                }
                std::vector<field>& out = fields_[wide];
                for (std::size_t i = 0; i < slot_count; ++i) {
                    if (!with[i]) continue;
                    field f;
                    f.key_length = render_key(f.key, i, false);
                    f.row = with[i]->row;
                    f.mask = with[i]->mask;
                    f.option_type = i == 1;
                    out.push_back(f);
                }
            }
            any_ = !slots.empty();
        }
        /// Whether its rows are IOAM records (decode() finds a PEN 10383 field).
        [[nodiscard]] bool any() const noexcept { return any_; }

    private:
        friend class json_lines;
        struct source {
            std::uint16_t row;
            std::uint64_t mask;  // the width decode() keeps
        };
        struct field {
            std::array<char, key_room> key{};  // `,"name":`
            std::uint64_t mask = 0;
            std::uint16_t row = 0;
            std::uint8_t key_length = 0;
            bool option_type = false;
        };
        std::array<std::vector<field>, 2> fields_;  // [the hop limit is the wide one]
        int trace_type_ = -1;                       // its row, if the template has one
        bool any_ = false;
    };

    /// What append(out, dec.decode(row), prefix) writes, for a row of the
    /// template `k` was made from (when k.any()).
    void append_row(std::string& out, const row_plan& k, std::span<const std::uint64_t> row,
                    std::string_view prefix = {}) const {
        char* p = room(out, line_room(k, prefix), 1);
        p = row_line(p, k, row, prefix);
        out.resize(static_cast<std::size_t>(p - out.data()));
    }
    /// append_row for every row of a data set, the string grown once.
    void append_rows(std::string& out, const row_plan& k, const ioam::ipfix::value_rows& rows,
                     std::string_view prefix = {}) const {
        char* p = room(out, line_room(k, prefix), rows.size());
        for (std::size_t r = 0; r < rows.size(); ++r) p = row_line(p, k, rows[r], prefix);
        out.resize(static_cast<std::size_t>(p - out.data()));
    }

private:
    // Octets a line of k may take: each key is copied as key_room octets, a value may take 20.
    static std::size_t line_room(const row_plan& k, std::string_view prefix) noexcept {
        return prefix.size() + std::max(k.fields_[0].size(), k.fields_[1].size()) * (key_room + 20) + 4;
    }
    // Grows out by `lines` of `line` octets; where they start.
    static char* room(std::string& out, std::size_t line, std::size_t lines) {
        const std::size_t n = out.size(), cap = n + line * lines;
        if (out.capacity() < cap) out.reserve(std::max(cap, 2 * out.capacity()));
        out.resize(cap);
        return out.data() + n;
    }
    static char* row_line(char* p, const row_plan& k, std::span<const std::uint64_t> row,
                          std::string_view prefix) noexcept {
        const std::optional<std::uint32_t> tt =
            k.trace_type_ < 0 ? std::nullopt
                              : std::optional<std::uint32_t>(static_cast<std::uint32_t>(row[static_cast<std::size_t>(k.trace_type_)]));
        const std::vector<row_plan::field>& fs = k.fields_[xp::detail::hop_limit_is_wide(tt)];
        *p++ = '{';
        auto f = fs.begin();
        if (prefix.empty()) {
            if (f == fs.end()) {  // (a record of elements without values)
                std::memcpy(p, "}\n", 2);
                return p + 2;
            }
            // the first key without its comma
            std::memcpy(p, f->key.data() + 1, key_room - 1);
            p += f->key_length - 1;
            p = row_value(p, *f, row);
            ++f;
        } else {
            std::memcpy(p, prefix.data(), prefix.size());
            p += prefix.size();
        }
        for (; f != fs.end(); ++f) {
            std::memcpy(p, f->key.data(), key_room);
            p += f->key_length;
            p = row_value(p, *f, row);
        }
        p[0] = '}';
        p[1] = '\n';
        return p + 2;
    }
    [[gnu::always_inline]] static char* row_value(char* p, const row_plan::field& f,
                                                  std::span<const std::uint64_t> row) noexcept {
        const std::uint64_t x = row[f.row] & f.mask;
        return f.option_type ? option_type(p, x) : u64(p, x);
    }

    struct slot {
        std::array<char, key_room> key{};
        std::uint8_t index = 0, key_length = 0;
    };
    struct skeleton {
        std::uint64_t keys = ~std::uint64_t{0};
        bool first = false;
        std::vector<slot> slots;
    };

    static constexpr std::string_view name_of(std::size_t i) noexcept {
        return i < header_count     ? header_names[i]
               : i == schema_slot   ? std::string_view("schema_id")
               : i == snapshot_slot ? std::string_view("snapshot")
                                    : tr::value_table[i - header_count].name;
    }
    // Key i with its punctuation, `,"name":` (without the comma when it is
    // the first), in its room; its length.
    static std::uint8_t render_key(std::array<char, key_room>& to, std::size_t i, bool first) {
        const std::string key = (first ? "\"" : ",\"") + std::string(name_of(i)) + "\":";
        std::memcpy(to.data(), key.data(), key.size());
        return static_cast<std::uint8_t>(key.size());
    }
    static constexpr std::size_t table_index(tr::value_id v) noexcept {
        std::size_t i = 0;
        while (tr::value_table[i].id != v) ++i;
        return i;
    }

    static std::uint64_t keys_of(const xp::decoded_record& d) noexcept {
        std::uint64_t k = 0;
        const auto bit = [&](bool present, std::size_t i) { k |= std::uint64_t{present} << i; };
        bit(d.event_id.has_value(), 0);
        bit(d.option_type.has_value(), 1);
        bit(d.namespace_id.has_value(), 2);
        bit(d.trace_type.has_value(), 3);
        bit(d.node_index.has_value(), 4);
        bit(d.node_count.has_value(), 5);
        bit(d.flow_id.has_value(), 6);
        bit(d.sequence.has_value(), 7);
        for (std::size_t i = 0; i < tr::value_count; ++i)
            bit(d.values[static_cast<std::size_t>(tr::value_table[i].id)].has_value(), header_count + i);
        bit(d.schema_id.has_value(), schema_slot);
        bit(d.snapshot.has_value(), snapshot_slot);
        return k;
    }

    const skeleton& skeleton_of(std::uint64_t keys, bool first) {
        if (last_ < made_.size() && made_[last_].keys == keys && made_[last_].first == first) return made_[last_];
        for (std::size_t i = 0; i < made_.size(); ++i)
            if (made_[i].keys == keys && made_[i].first == first) return made_[last_ = i];
        // Bounded whatever the templates: a hostile stream of key sets
        // starts the list anew.
        if (made_.size() >= max_skeletons) made_.clear();
        skeleton k;
        k.keys = keys;
        k.first = first;
        for (std::size_t i = 0; i < slot_count; ++i) {
            if (!(keys >> i & 1)) continue;
            slot sl;
            sl.key_length = render_key(sl.key, i, first);
            first = false;
            sl.index = static_cast<std::uint8_t>(i);
            k.slots.push_back(sl);
        }
        made_.push_back(std::move(k));
        return made_[last_ = made_.size() - 1];
    }

    // Most values are small: one or two digits without to_chars' length loop.
    [[gnu::always_inline]] static char* u64(char* p, std::uint64_t v) noexcept {
        if (v < 10) {
            *p = static_cast<char>('0' + v);
            return p + 1;
        }
        if (v < 100) {
            p[0] = static_cast<char>('0' + v / 10);
            p[1] = static_cast<char>('0' + v % 10);
            return p + 2;
        }
        return std::to_chars(p, p + 20, v).ptr;
    }

    static char* option_type(char* p, std::uint64_t o) noexcept {
        const std::string_view s = o == xp::option_dex ? "\"dex\"" : "\"trace\"";
        std::memcpy(p, s.data(), s.size());
        return p + s.size();
    }

    // The number in print slot i of d (not the snapshot's).
    static std::uint64_t number_of(const xp::decoded_record& d, std::size_t i) noexcept {
        switch (i) {
        case 0: return *d.event_id;
        case 1: return *d.option_type;
        case 2: return *d.namespace_id;
        case 3: return *d.trace_type;
        case 4: return *d.node_index;
        case 5: return *d.node_count;
        case 6: return *d.flow_id;
        case 7: return *d.sequence;
        case schema_slot: return *d.schema_id;
        default: return *d.values[static_cast<std::size_t>(tr::value_table[i - header_count].id)];
        }
    }

    [[gnu::always_inline]] static char* value(char* p, const xp::decoded_record& d, std::size_t i) noexcept {
        if (i == 1) return option_type(p, *d.option_type);
        if (i != snapshot_slot) return u64(p, number_of(d, i));
        constexpr char hex[] = "0123456789abcdef";
        *p++ = '"';
        for (std::byte b : *d.snapshot) {
            *p++ = hex[std::to_integer<unsigned>(b) >> 4];
            *p++ = hex[std::to_integer<unsigned>(b) & 15];
        }
        *p++ = '"';
        return p;
    }

    static constexpr std::size_t max_skeletons = 64;
    std::vector<skeleton> made_;
    std::size_t last_ = 0;
};

/// One JSON object per line, written at once. `prefix` (may be empty) is
/// inserted first, e.g. "\"odid\":1,".
inline void print_json(std::FILE* f, const xp::decoded_record& d, const char* prefix = "") {
    thread_local json_lines lines;
    thread_local std::string line;
    line.clear();
    lines.append(line, d, prefix);
    std::fwrite(line.data(), 1, line.size(), f);
}

/// One line of text per record.
inline void print_text(std::FILE* f, const xp::decoded_record& d) {
    const bool dex = d.option_type && *d.option_type == xp::option_dex;
    std::fprintf(f, "%s", dex ? "DEX" : "TRACE");
    if (d.event_id) std::fprintf(f, " event %" PRIu32, *d.event_id);
    if (d.namespace_id) std::fprintf(f, " ns %u", static_cast<unsigned>(*d.namespace_id));
    if (d.trace_type) std::fprintf(f, " type 0x%06" PRIx32, *d.trace_type);
    if (d.node_index && d.node_count) {
        if (*d.node_count == 0)
            std::fprintf(f, " no node data (overflow)");
        else
            std::fprintf(f, " node %u/%u", static_cast<unsigned>(*d.node_index) + 1, static_cast<unsigned>(*d.node_count));
    }
    if (d.flow_id) std::fprintf(f, " flow %" PRIu32, *d.flow_id);
    if (d.sequence) std::fprintf(f, " seq %" PRIu32, *d.sequence);
    std::fputc(':', f);
    for (const auto& v : tr::value_table) {
        const auto& x = d.values[static_cast<std::size_t>(v.id)];
        if (!x) continue;
        std::fprintf(f, " %.*s=", static_cast<int>(v.name.size()), v.name.data());
        if (tr::is_unavailable(v.id, *x))
            std::fputs("unavailable", f);
        else
            std::fprintf(f, "%" PRIu64, *x);
    }
    if (d.schema_id) {
        if (*d.schema_id == tr::no_schema)
            std::fputs(" schema=none", f);
        else
            std::fprintf(f, " schema=%" PRIu32, *d.schema_id);
    }
    if (d.snapshot) {
        std::fprintf(f, " snapshot=%zu octets", d.snapshot->size());
        if (!d.snapshot->empty()) std::fputc(' ', f);
        for (std::byte b : *d.snapshot) std::fprintf(f, "%02x", std::to_integer<unsigned>(b));
    }
    std::fputc('\n', f);
}

}  // namespace ioam_tools
