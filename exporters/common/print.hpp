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
#include <charconv>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>
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
public:
    /// Appends one JSON object and a newline. `prefix` (may be empty) is
    /// inserted first, e.g. "\"odid\":1,".
    void append(std::string& out, const xp::decoded_record& d, std::string_view prefix = {}) {
        const skeleton& k = skeleton_of(keys_of(d), prefix.empty());
        const std::size_t n = out.size();
        // (each key is copied as key_room octets, the value may take 20)
        std::size_t cap = n + prefix.size() + k.slots.size() * (key_room + 20) + 4;
        if (d.snapshot) cap += 2 * d.snapshot->size();
        if (out.capacity() < cap) out.reserve(std::max(cap, 2 * out.capacity()));
        out.resize(cap);
        char* p = out.data() + n;
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

private:
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
    struct slot {
        std::array<char, key_room> key{};
        std::uint8_t index = 0, key_length = 0;
    };
    struct skeleton {
        std::uint64_t keys = ~std::uint64_t{0};
        bool first = false;
        std::vector<slot> slots;
    };

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
            std::string key = first ? "\"" : ",\"";
            first = false;
            key += i < header_count     ? header_names[i]
                   : i == schema_slot   ? std::string_view("schema_id")
                   : i == snapshot_slot ? std::string_view("snapshot")
                                        : tr::value_table[i - header_count].name;
            key += "\":";
            slot sl;
            std::memcpy(sl.key.data(), key.data(), key.size());
            sl.index = static_cast<std::uint8_t>(i);
            sl.key_length = static_cast<std::uint8_t>(key.size());
            k.slots.push_back(sl);
        }
        made_.push_back(std::move(k));
        return made_[last_ = made_.size() - 1];
    }

    // Most values are small: one or two digits without to_chars' length loop.
    static char* u64(char* p, std::uint64_t v) noexcept {
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

    [[gnu::always_inline]] static char* value(char* p, const xp::decoded_record& d, std::size_t i) noexcept {
        switch (i) {
        case 0: return u64(p, *d.event_id);
        case 1: {
            const std::string_view s = *d.option_type == xp::option_dex ? "\"dex\"" : "\"trace\"";
            std::memcpy(p, s.data(), s.size());
            return p + s.size();
        }
        case 2: return u64(p, *d.namespace_id);
        case 3: return u64(p, *d.trace_type);
        case 4: return u64(p, *d.node_index);
        case 5: return u64(p, *d.node_count);
        case 6: return u64(p, *d.flow_id);
        case 7: return u64(p, *d.sequence);
        case schema_slot: return u64(p, *d.schema_id);
        case snapshot_slot: {
            constexpr char hex[] = "0123456789abcdef";
            *p++ = '"';
            for (std::byte b : *d.snapshot) {
                *p++ = hex[std::to_integer<unsigned>(b) >> 4];
                *p++ = hex[std::to_integer<unsigned>(b) & 15];
            }
            *p++ = '"';
            return p;
        }
        default: return u64(p, *d.values[static_cast<std::size_t>(tr::value_table[i - header_count].id)]);
        }
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
