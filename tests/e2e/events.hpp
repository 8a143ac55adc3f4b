// Test inputs shared by the export tests and the replay generator: IOAM6
// kernel events built with the netlink encoder from node values chosen here,
// so expectations come from these values, never from the exporter's output.
#pragma once

#include "ioam/netlink/event.hpp"
#include "ioam/netlink/message.hpp"
#include "ioam/trace/node.hpp"
#include "ioam/trace/trace_type.hpp"
#include "ioam/trace/values.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace e2e {

namespace t = ioam::trace;
namespace nl = ioam::netlink;

inline constexpr std::uint16_t family_id = 0x1d;  // any genl family id; the exporter learns it or takes all

/// One node's input values and snapshot. The snapshot lives only in the
/// vector (data.snapshot stays empty), so copies never borrow another
/// object's storage; node() binds it for encoding.
struct node_input {
    t::node_data data{};
    std::vector<std::byte> snapshot;

    /// data with its snapshot; borrows this object, use it at once.
    [[nodiscard]] t::node_data node() const {
        t::node_data d = data;
        d.snapshot = snapshot;
        return d;
    }
};

/// Distinct, recognisable values: value v of node i. Some are set to the
/// unavailable pattern (all ones) to check it is kept distinct from 0.
inline node_input make_node(std::size_t i, std::optional<std::uint32_t> schema, std::size_t snapshot_words) {
    node_input n;
    for (const auto& v : t::value_table) {
        const std::uint64_t width_mask = t::unavailable(v.width);
        std::uint64_t x = (0x0102030405060708ULL * (static_cast<std::uint64_t>(v.id) + 3) + 0x1111 * (i + 1)) & width_mask;
        if (v.id == t::value_id::hop_limit) x = 64 - i;
        if (v.id == t::value_id::hop_limit_wide) x = 200 - i;  // distinct, to see which field went where
        if (v.id == t::value_id::queue_depth && i == 1) x = width_mask;   // unavailable
        if (v.id == t::value_id::egress_id && i == 0) x = width_mask;     // unavailable (local delivery)
        if (v.bit >= 12 && v.bit <= 21) x = width_mask;                   // undefined bits: all ones
        n.data.set(v.id, x);
    }
    n.data.schema_id = schema ? *schema : t::no_schema;
    for (std::size_t k = 0; k < snapshot_words * 4; ++k) n.snapshot.push_back(static_cast<std::byte>(0xa0 + i * 16 + k));
    return n;
}

/// A TRACE event's inputs: namespace, type, nodes (most recent first).
struct trace_input {
    std::string name;
    std::uint16_t namespace_id = 0;
    std::uint32_t type = 0;
    std::vector<node_input> nodes;
};

/// Encodes the node data of a trace (most recent first).
inline std::vector<std::byte> encode_data(const trace_input& in) {
    const t::trace_shape s = t::shape_of(in.type);
    std::vector<std::byte> out;
    for (const auto& n : in.nodes) {
        const t::node_data d = n.node();
        std::vector<std::byte> b(t::encoded_size(s, d));
        auto r = t::encode_node(s, d, b);
        if (!r) return {};
        out.insert(out.end(), b.begin(), b.end());
    }
    return out;
}

/// A whole netlink message (nlmsghdr + genl + attributes) for a TRACE event.
inline std::vector<std::byte> trace_message(const trace_input& in, std::uint32_t seq = 0,
                                            std::optional<std::uint8_t> node_len = std::nullopt) {
    const auto data = encode_data(in);
    std::vector<std::byte> buf(64 + data.size());
    nl::message_writer w(buf);
    nl::trace_event e;
    e.namespace_id = in.namespace_id;
    e.node_len = node_len ? *node_len : static_cast<std::uint8_t>(t::node_len_of(in.type));
    e.type_word = in.type << 8;
    e.data = data;
    nl::encode_trace_event(w, family_id, e, seq);
    buf.resize(w.status().value());
    return buf;
}

/// A DEX event: one node's values as attributes.
struct dex_input {
    std::uint16_t namespace_id = 0;
    std::uint32_t type = 0;
    std::optional<std::uint32_t> flow_id, seq_num;
    node_input node;
};

inline std::vector<std::byte> dex_message(const dex_input& in, std::uint32_t seq = 0) {
    const t::trace_shape s = t::shape_of(in.type & ~t::opaque_mask);
    std::vector<std::byte> node(s.fixed_size() + 8);
    (void)t::encode_node(s, in.node.node(), node);
    nl::dex_event e;
    e.namespace_id = in.namespace_id;
    e.flow_id = in.flow_id;
    e.seq_num = in.seq_num;
    for (unsigned b = 0; b < 22; ++b) {
        if (!(in.type & t::bit_mask(b))) continue;
        e.field[b] = ioam::bytes_view(node).subspan(s.offset[b], t::bits[b].size);
        e.present |= t::bit_mask(b);
    }
    if (in.type & t::opaque_mask) {
        e.present |= t::opaque_mask;
        e.oss_schema = in.node.data.schema_id;
        e.oss_data = in.node.snapshot;
    }
    std::vector<std::byte> buf(512 + in.node.snapshot.size());
    nl::message_writer w(buf);
    nl::encode_dex_event(w, family_id, e, seq);
    buf.resize(w.status().value());
    return buf;
}

/// The trace inputs the replay test and the unit tests share, including
/// those that broke the Go exporter.
inline std::vector<trace_input> standard_traces() {
    std::vector<trace_input> v;
    auto nodes = [](std::size_t count, bool opaque_schema_first) {
        std::vector<node_input> n;
        for (std::size_t i = 0; i < count; ++i) {
            const bool with_schema = opaque_schema_first ? i == 1 : true;
            n.push_back(make_node(i, with_schema ? std::optional<std::uint32_t>(7 + i) : std::nullopt, with_schema ? 2 : 0));
        }
        return n;
    };
    v.push_back({"short fields", 123, 0xf40000, nodes(2, false)});
    v.push_back({"bits 4 and 7 (transit delay, checksum complement)", 123, 0x898000, nodes(2, false)});
    v.push_back({"wide fields only", 124, 0x00f000, nodes(3, false)});
    v.push_back({"both hop limits", 125, 0x808000, nodes(1, false)});
    v.push_back({"opaque state: no schema at the reporting node", 126, 0x800002, nodes(2, true)});
    v.push_back({"overflowed trace: no node data", 127, 0xc00000, {}});
    v.push_back({"all defined bits and undefined bit 12", 128, 0xfff800, nodes(1, false)});
    v.push_back({"every defined bit and a snapshot", 129, 0xfff002, nodes(2, false)});
    return v;
}

}  // namespace e2e
