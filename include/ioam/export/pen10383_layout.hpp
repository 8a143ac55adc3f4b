// The PEN 10383 record layout (records.hpp) as a record_layout (layout.hpp):
// input a kernel event, one record per trace node (or only the first with
// node_selection::reporting_only), one per DEX event, one of context fields
// only for a trace without node data. Shape: record_shape.
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ioam/core/buffer.hpp"
#include "ioam/core/error.hpp"
#include "ioam/export/decode.hpp"
#include "ioam/export/event_input.hpp"
#include "ioam/export/layout.hpp"
#include "ioam/export/records.hpp"
#include "ioam/ipfix/dynamic_template.hpp"
#include "ioam/netlink/event.hpp"
#include "ioam/netlink/ioam6.hpp"
#include "ioam/trace/node.hpp"

namespace ioam::exporting {

/// Largest PEN 10383 record of any shape: context, DEX, values, a full snapshot.
inline constexpr std::size_t max_record_size = 16 + 8 + 96 + 3 + 3 + 255 * 4;

namespace detail {
/// Octets of the values of bits 0-11 in a node of this type: 4 per bit, 8
/// for the wide bits 8-10 (RFC 9197 4.4.2; checked against the table below).
[[nodiscard]] constexpr std::size_t defined_size(std::uint32_t type) noexcept {
    return 4 * static_cast<std::size_t>(std::popcount(type & 0xfff000U) + std::popcount(type & 0x00e000U));
}
consteval bool defined_size_ok() {
    for (std::uint32_t t = 0; t < 4096; ++t) {
        std::size_t n = 0;
        for (unsigned b = 0; b < 12; ++b)
            if ((t << 12) & trace::bit_mask(b)) n += trace::bits[b].size;
        if (n != defined_size(t << 12)) return false;
    }
    return true;
}
static_assert(defined_size_ok(), "ioam: defined_size must agree with the trace-type table (RFC 9197 4.4.1)");
}  // namespace detail

struct pen10383_layout {
    using input = netlink::event;
    using shape = record_shape;
    using decoded = decoded_record;
    static constexpr std::string_view name = "pen10383";
    static constexpr std::size_t max_record_size = exporting::max_record_size;
    static constexpr std::size_t max_template_record_size = exporting::max_template_record_size;

    event_options options{};
    event_counts counts{};

    constexpr pen10383_layout() noexcept = default;
    constexpr explicit pen10383_layout(event_options o) noexcept : options(o) {}

    template <class Out>
    constexpr result<void> encode(const input& ev, const input_context& c, Out& out) noexcept {
        auto nodes = check_event(ev, options.policy, shapes_);
        if (!nodes) return nodes.error();
        count_event(counts, ev, *nodes);
        if (ev.type == netlink::ioam6::event_type::dex) {
            const netlink::dex_event& d = ev.dex;
            const record_shape s = shape_of(d);
            if (!(s.type & trace::opaque_mask)) {
                // As for traces below: each attribute of bits 0-11 holds its
                // values in the record's order and widths.
                (void)out(s, [&](byte_writer& w) {
                    put_context(w, s, c.input_id, d.namespace_id);
                    if (d.flow_id) w.put_be32(*d.flow_id);
                    if (d.seq_num) w.put_be32(*d.seq_num);
                    for (unsigned b = 0; b < 12; ++b)
                        if (s.type & trace::bit_mask(b)) w.put_bytes(d.field[b]);
                    return w.status();
                });
                return {};
            }
            const record_context ctx{c.input_id, d.namespace_id, 0, 1, d.flow_id, d.seq_num};
            const shape_fields& fields = fields_for(s);
            (void)out(s, [&](byte_writer& w) {
                return detail::encode_record(s, fields, ctx, [&](trace::value_id v) { return ev.dex.raw(v).value_or(0); },
                                             ev.dex.opaque(), w);
            });
            return {};
        }
        const record_shape s = shape_of(ev.trace, nodes->size());
        record_context ctx{c.input_id, ev.trace.namespace_id, 0, static_cast<std::uint8_t>(nodes->size()), {}, {}};
        if (nodes->empty()) {
            (void)out(s, [&](byte_writer& w) { return encode_node_record(s, fields_for(s), ctx, nullptr, w); });
            return {};
        }
        if (!(s.type & trace::opaque_mask)) {
            // The value fields of bits 0-11 are, in order and width, the
            // node's own first octets (records.hpp's fields_of follows the
            // trace-type bits; undefined bits 12-21 come after them and are
            // not exported): a copy, not a walk. tests/export/session.cpp
            // checks it against encode_node_record for every such type.
            const std::size_t values = defined_size(s.type);
            for (const trace::node_view n : *nodes) {
                (void)out(s, [&](byte_writer& w) {
                    put_context(w, s, ctx.event_id, ctx.namespace_id);
                    w.put_u8(ctx.node_index);
                    w.put_u8(ctx.node_count);
                    w.put_bytes(n.bytes().first(values));
                    return w.status();
                });
                if (options.nodes == node_selection::reporting_only) break;
                ++ctx.node_index;
            }
            return {};
        }
        const shape_fields& fields = fields_for(s);
        for (const trace::node_view n : *nodes) {
            (void)out(s, [&](byte_writer& w) { return encode_node_record(s, fields, ctx, &n, w); });
            if (options.nodes == node_selection::reporting_only) break;
            ++ctx.node_index;
        }
        return {};
    }

    [[nodiscard]] static constexpr std::size_t defined_size(std::uint32_t type) noexcept {
        return detail::defined_size(type);
    }
    /// ioamEventId, ioamOptionType, ioamNamespaceId, ioamTraceType (records.hpp's order).
    static constexpr void put_context(byte_writer& w, const record_shape& s, std::uint32_t id, std::uint16_t ns) noexcept {
        w.put_be32(id);
        w.put_u8(s.option_type);
        w.put_be16(ns);
        w.put_be<3>(s.type);
    }

    static constexpr result<void> encode_template(std::uint16_t id, const shape& s, byte_writer& w) noexcept {
        return encode_template_record(id, s, w);
    }
    static constexpr std::size_t min_record_size(const shape& s) noexcept { return exporting::min_record_size(s); }
    static decoded decode(const ipfix::dynamic_record& r) { return decode_record(r); }

private:
    /// A shape's fields, walked once per shape and kept for the next events
    /// of it (a few shapes at a time, oldest replaced).
    constexpr const shape_fields& fields_for(const record_shape& s) noexcept {
        for (std::size_t i = 0; i < cache_size; ++i)
            if (cached_[i] && cache_[i].shape == s) return cache_[i].fields;
        auto& e = cache_[next_];
        cached_[next_] = true;
        next_ = (next_ + 1) % cache_size;
        e.shape = s;
        e.fields = shape_fields{s};
        return e.fields;
    }
    shape_cache shapes_;
    static constexpr std::size_t cache_size = 4;
    struct cached_fields {
        record_shape shape{};
        shape_fields fields{record_shape{}};
    };
    std::array<cached_fields, cache_size> cache_{};
    std::array<bool, cache_size> cached_{};
    std::size_t next_ = 0;
};

}  // namespace ioam::exporting
