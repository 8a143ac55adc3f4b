// The PEN 10383 record layout (records.hpp) as a record_layout (layout.hpp):
// input a kernel event, one record per trace node (or only the first with
// node_selection::reporting_only), one per DEX event, one of context fields
// only for a trace without node data. Shape: record_shape.
#pragma once

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

struct pen10383_layout {
    using input = netlink::event;
    using shape = record_shape;
    using decoded = decoded_record;
    static constexpr std::string_view name = "pen10383";
    static constexpr std::size_t max_record_size = exporting::max_record_size;
    static constexpr std::size_t max_template_record_size = exporting::max_template_record_size;

    event_options options{};
    event_counts counts{};

    template <class Out>
    constexpr result<void> encode(const input& ev, const input_context& c, Out& out) noexcept {
        auto nodes = check_event(ev, options.policy);
        if (!nodes) return nodes.error();
        count_event(counts, ev, *nodes);
        if (ev.type == netlink::ioam6::event_type::dex) {
            const record_shape s = shape_of(ev.dex);
            const record_context ctx{c.input_id, ev.dex.namespace_id, 0, 1, ev.dex.flow_id, ev.dex.seq_num};
            (void)out(s, [&](byte_writer& w) { return encode_dex_record(s, ctx, ev.dex, w); });
            return {};
        }
        const record_shape s = shape_of(ev.trace, nodes->size());
        record_context ctx{c.input_id, ev.trace.namespace_id, 0, static_cast<std::uint8_t>(nodes->size()), {}, {}};
        if (nodes->empty()) {
            (void)out(s, [&](byte_writer& w) { return encode_node_record(s, ctx, nullptr, w); });
            return {};
        }
        const shape_fields fields{s};
        for (const trace::node_view n : *nodes) {
            (void)out(s, [&](byte_writer& w) { return encode_node_record(s, fields, ctx, &n, w); });
            if (options.nodes == node_selection::reporting_only) break;
            ++ctx.node_index;
        }
        return {};
    }

    static constexpr result<void> encode_template(std::uint16_t id, const shape& s, byte_writer& w) noexcept {
        return encode_template_record(id, s, w);
    }
    static constexpr std::size_t min_record_size(const shape& s) noexcept { return exporting::min_record_size(s); }
    static decoded decode(const ipfix::dynamic_record& r) { return decode_record(r); }
};

}  // namespace ioam::exporting
