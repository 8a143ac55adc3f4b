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

#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string_view>

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

/// One JSON object per line. `prefix` (may be empty) is inserted first, e.g. "\"odid\":1,".
inline void print_json(std::FILE* f, const xp::decoded_record& d, const char* prefix = "") {
    std::fputc('{', f);
    std::fputs(prefix, f);
    bool first = prefix[0] == '\0';
    const auto key = [&](std::string_view k) {
        std::fprintf(f, "%s\"%.*s\":", first ? "" : ",", static_cast<int>(k.size()), k.data());
        first = false;
    };
    const auto num = [&](const char* k, const auto& v) {
        if (!v) return;
        key(k);
        std::fprintf(f, "%" PRIu64, static_cast<std::uint64_t>(*v));
    };
    num("event", d.event_id);
    if (d.option_type) {
        key("option_type");
        std::fprintf(f, "\"%s\"", *d.option_type == xp::option_dex ? "dex" : "trace");
    }
    num("namespace", d.namespace_id);
    num("trace_type", d.trace_type);
    num("node_index", d.node_index);
    num("node_count", d.node_count);
    num("flow_id", d.flow_id);
    num("sequence", d.sequence);
    for (const auto& v : tr::value_table) {
        const auto& x = d.values[static_cast<std::size_t>(v.id)];
        if (!x) continue;
        key(v.name);
        std::fprintf(f, "%" PRIu64, *x);
    }
    num("schema_id", d.schema_id);
    if (d.snapshot) {
        key("snapshot");
        std::fputc('"', f);
        for (std::byte b : *d.snapshot) std::fprintf(f, "%02x", std::to_integer<unsigned>(b));
        std::fputc('"', f);
    }
    std::fputs("}\n", f);
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
