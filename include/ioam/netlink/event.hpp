// The kernel's IOAM6 events, decoded zero-copy from a generic netlink
// message (see ioam6.hpp for the numbers). Every attribute's length is
// checked against its type; unknown attributes are skipped and counted.
//
//   TRACE (cmd 1): NAMESPACE u16 | NODELEN u8 | TYPE u32 | DATA (filled nodes)
//   DEX   (cmd 2), the series' shape (kernel/patches): NAMESPACE u16 | TYPE u32 |
//                  [FLOW_ID u32] | [SEQ_NUM u32] | NODE_DATA (one node, as in a trace)
//   DEX   (cmd 2), the reference patch's shape: OPTION_TYPE u8 | DEX_NAMESPACE u16 |
//                  [FLOW_ID u32] | [SEQ_NUM u32] | one attribute per data field |
//                  [OSS_SCID, OSS_DATA]
// Both decode to the same dex_event; the series' shape is the one with
// attribute 1 (see ioam6.hpp).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "ioam/core/bytes.hpp"
#include "ioam/core/error.hpp"
#include "ioam/netlink/ioam6.hpp"
#include "ioam/netlink/message.hpp"
#include "ioam/trace/node.hpp"
#include "ioam/trace/trace_type.hpp"
#include "ioam/trace/values.hpp"

namespace ioam::netlink {

/// A TRACE event. Borrows the buffer.
struct trace_event {
    std::uint16_t namespace_id = 0;
    std::uint8_t node_len = 0;
    std::uint32_t type_word = 0;  ///< as the kernel sends it: 24-bit trace type << 8 | reserved
    bytes_view data{};            ///< the filled node data, the emitting node first
    std::size_t data_offset = 0;  ///< of data[0] in the decoded buffer

    [[nodiscard]] constexpr std::uint32_t trace_type() const noexcept { return type_word >> 8; }

    /// The nodes, validated: trace type under the policy, NodeLen against it,
    /// nodes (and snapshot lengths) tiling the data.
    [[nodiscard]] constexpr result<trace::node_list> nodes(trace::type_policy policy = trace::type_policy::strict) const noexcept {
        auto s = trace::make_shape(trace_type(), policy, data_offset);
        if (!s) return s.error();
        if (s->node_len != node_len) return error{errc::bad_node_len, data_offset};
        return trace::node_list::decode(*s, data, data_offset);
    }
};

/// Which DEX event shape a message had.
enum class dex_shape : std::uint8_t {
    node_data,  ///< the series': trace type and one node-data attribute
    per_field,  ///< the reference patch's: one attribute per data field
};

/// A DEX event: one node's data, split per field. Borrows the buffer.
struct dex_event {
    dex_shape shape = dex_shape::per_field;
    std::uint8_t option_type = 4;
    std::uint16_t namespace_id = 0;
    std::optional<std::uint32_t> flow_id;
    std::optional<std::uint32_t> seq_num;
    std::array<bytes_view, 22> field{};  ///< per trace-type bit 0-21, empty when absent
    std::uint32_t present = 0;           ///< trace-type mask of the fields present (bit 22 for a snapshot)
    std::uint32_t oss_schema = trace::no_schema;
    bytes_view oss_data{};

    [[nodiscard]] constexpr std::uint32_t trace_type() const noexcept { return present; }
    [[nodiscard]] constexpr bool has(trace::value_id v) const noexcept {
        return (present & trace::bit_mask(trace::info(v).bit)) != 0;
    }
    [[nodiscard]] constexpr std::optional<std::uint64_t> raw(trace::value_id v) const noexcept {
        const auto& i = trace::info(v);
        if (!has(v)) return std::nullopt;
        return load_be_n(field[i.bit].data() + i.offset, i.width);
    }
    template <trace::value_id V>
    [[nodiscard]] constexpr std::optional<trace::value_t<V>> get() const noexcept {
        auto x = raw(V);
        if (!x) return std::nullopt;
        return static_cast<trace::value_t<V>>(*x);
    }
    [[nodiscard]] constexpr std::optional<trace::opaque_snapshot> opaque() const noexcept {
        if (!(present & trace::opaque_mask)) return std::nullopt;
        return trace::opaque_snapshot{oss_schema, oss_data};
    }
    /// Calls f(field_value) for every value present, in wire order.
    template <class F>
    constexpr void for_each_value(F&& f) const {
        for (const auto& i : trace::value_table) {
            if (!(present & trace::bit_mask(i.bit))) continue;
            const std::uint64_t x = load_be_n(field[i.bit].data() + i.offset, i.width);
            f(trace::field_value{i.id, i.bit, i.width, trace::is_unavailable(i.id, x), x, i.name});
        }
    }
};

/// One decoded event: its type and either a trace or a DEX payload.
struct event {
    ioam6::event_type type = ioam6::event_type::unspec;
    trace_event trace{};
    dex_event dex{};
    std::uint16_t skipped = 0;  ///< unknown attributes skipped
    std::uint16_t pads = 0;     ///< 64-bit pad attributes skipped
};

namespace detail {
constexpr bool want_len(const attribute& a, std::size_t n) noexcept { return a.payload.size() == n; }

/// Splits one node's data (the series' DEX_NODE_DATA) by trace type:
/// fields of bits 0-21 in bit order, then the opaque state snapshot (bit
/// 22: a 4-octet header with its length in 4-octet words and the schema
/// id, then the data). The data must be exactly that long.
constexpr result<void> split_node_data(dex_event& d, std::uint32_t type, bytes_view data,
                                       std::size_t offset) noexcept {
    std::size_t at = 0;
    for (unsigned b = 0; b < 22; ++b) {
        if (!(type & trace::bit_mask(b))) continue;
        const std::size_t n = trace::bits[b].size;
        if (data.size() - at < n) return error{errc::bad_attribute, offset + at};
        d.field[b] = data.subspan(at, n);
        d.present |= trace::bit_mask(b);
        at += n;
    }
    if (type & trace::opaque_mask) {
        if (data.size() - at < 4) return error{errc::bad_attribute, offset + at};
        const std::uint32_t h = load_be32(data.data() + at);
        const std::size_t n = (h >> 24) * 4U;
        if (data.size() - at - 4 < n) return error{errc::bad_attribute, offset + at};
        d.oss_schema = h & 0xffffffU;
        d.oss_data = data.subspan(at + 4, n);
        d.present |= trace::opaque_mask;
        at += 4 + n;
    }
    if (at != data.size()) return error{errc::bad_attribute, offset + at};
    return {};
}

/// The series' DEX shape carries attribute 1; the reference's never does.
constexpr result<bool> has_attr(bytes_view attrs, std::size_t base, std::uint16_t type) noexcept {
    attr_reader r(attrs, base);
    while (!r.done()) {
        auto a = r.next();
        if (!a) return a.error();
        if (a->type == type) return true;
    }
    return false;
}

/// The series' DEX shape: NAMESPACE, TYPE, [FLOW_ID], [SEQ_NUM], NODE_DATA.
constexpr result<void> decode_dex_node_shape(event& ev, bytes_view in, std::size_t base) noexcept {
    auto& d = ev.dex;
    d.shape = dex_shape::node_data;
    unsigned seen = 0;
    std::uint32_t type_word = 0;
    bytes_view data{};
    std::size_t data_offset = 0;
    attr_reader r(in.subspan(genl_header_size), base + genl_header_size);
    while (!r.done()) {
        auto a = r.next();
        if (!a) return a.error();
        const auto bad = error{errc::bad_attribute, a->offset};
        switch (a->type) {
        case ioam6::attr::trace_namespace:
            if (!want_len(*a, 2)) return bad;
            d.namespace_id = static_cast<std::uint16_t>(a->host(2));
            break;
        case ioam6::attr::trace_type:
            if (!want_len(*a, 4)) return bad;
            type_word = static_cast<std::uint32_t>(a->host(4));
            break;
        case ioam6::attr::dex2_flow_id:
            if (!want_len(*a, 4)) return bad;
            d.flow_id = static_cast<std::uint32_t>(a->host(4));
            break;
        case ioam6::attr::dex2_seq_num:
            if (!want_len(*a, 4)) return bad;
            d.seq_num = static_cast<std::uint32_t>(a->host(4));
            break;
        case ioam6::attr::dex2_node_data:
            data = a->payload;
            data_offset = a->offset + attr_header_size;
            break;
        default:
            ++ev.skipped;
            continue;
        }
        seen |= 1U << a->type;
    }
    constexpr unsigned required = (1U << ioam6::attr::trace_namespace) | (1U << ioam6::attr::trace_type) |
                                  (1U << ioam6::attr::dex2_node_data);
    if ((seen & required) != required) return error{errc::missing_attribute, base};
    auto split = split_node_data(d, type_word >> 8, data, data_offset);
    if (!split) return split.error();
    return {};
}
}  // namespace detail

/// Decodes a generic netlink payload (genl header then attributes) carrying
/// an IOAM6 event. base is the offset of in[0] in the caller's buffer.
/// Errors: errc::bad_message for an unknown command, errc::truncated or
/// errc::bad_attribute for malformed attributes, errc::bad_attribute for a
/// known attribute of the wrong length, errc::missing_attribute when a
/// required attribute is absent.
/// This form fills `ev`, so a loop can reuse one event rather than copy one
/// out of a result per message: the member of ev.type is reset and filled
/// (of a DEX event's `field`, the entries of the bits in `present`), the other
/// member is left as it was.
[[nodiscard]] constexpr result<void> decode_event(bytes_view in, event& ev, std::size_t base = 0) noexcept {
    auto g = decode_genl_header(in, base);
    if (!g) return g.error();
    if (g->cmd != static_cast<std::uint8_t>(ioam6::event_type::trace) &&
        g->cmd != static_cast<std::uint8_t>(ioam6::event_type::dex))
        return error{errc::bad_message, base};
    ev.type = static_cast<ioam6::event_type>(g->cmd);
    ev.skipped = 0;
    ev.pads = 0;
    const bool is_trace = ev.type == ioam6::event_type::trace;
    if (is_trace) {
        ev.trace = trace_event{};
    } else {
        auto& d = ev.dex;  // field[] is read only where `present` says so
        d.shape = dex_shape::per_field;
        d.option_type = 4;
        d.namespace_id = 0;
        d.flow_id.reset();
        d.seq_num.reset();
        d.present = 0;
        d.oss_schema = trace::no_schema;
        d.oss_data = {};
    }
    unsigned seen = 0;  // trace: bits 1-4 for attributes 1-4; dex: bit 6 for the namespace
    bool node_shape = false;
    if (!is_trace) {
        auto h = detail::has_attr(in.subspan(genl_header_size), base + genl_header_size,
                                  ioam6::attr::trace_namespace);
        if (!h) return h.error();
        node_shape = *h;
    }
    if (node_shape) return detail::decode_dex_node_shape(ev, in, base);
    attr_reader r(in.subspan(genl_header_size), base + genl_header_size);
    while (!r.done()) {
        auto a = r.next();
        if (!a) return a.error();
        const std::uint16_t t = a->type;
        const auto bad = error{errc::bad_attribute, a->offset};
        if (t == ioam6::attr::pad && a->payload.empty()) {
            ++ev.pads;
            continue;
        }
        if (is_trace) {
            switch (t) {
            case ioam6::attr::trace_namespace:
                if (!detail::want_len(*a, 2)) return bad;
                ev.trace.namespace_id = static_cast<std::uint16_t>(a->host(2));
                break;
            case ioam6::attr::trace_nodelen:
                if (!detail::want_len(*a, 1)) return bad;
                ev.trace.node_len = load_u8(a->payload.data());
                break;
            case ioam6::attr::trace_type:
                if (!detail::want_len(*a, 4)) return bad;
                ev.trace.type_word = static_cast<std::uint32_t>(a->host(4));
                break;
            case ioam6::attr::trace_data:
                if (a->payload.size() % 4 != 0) return bad;
                ev.trace.data = a->payload;
                ev.trace.data_offset = a->offset + attr_header_size;
                break;
            default:
                ++ev.skipped;
                continue;
            }
            seen |= 1U << t;
            continue;
        }
        auto& d = ev.dex;
        if (t >= ioam6::attr::dex_data_first && t <= ioam6::attr::dex_data_last) {
            const unsigned bit = t - ioam6::attr::dex_data_first;
            if (!detail::want_len(*a, trace::bits[bit].size)) return bad;
            d.field[bit] = a->payload;
            d.present |= trace::bit_mask(bit);
            continue;
        }
        switch (t) {
        case ioam6::attr::option_type:
            if (!detail::want_len(*a, 1)) return bad;
            d.option_type = load_u8(a->payload.data());
            break;
        case ioam6::attr::dex_namespace:
            if (!detail::want_len(*a, 2)) return bad;
            d.namespace_id = static_cast<std::uint16_t>(a->host(2));
            seen |= 1U << t;
            break;
        case ioam6::attr::dex_flow_id:
            if (!detail::want_len(*a, 4)) return bad;
            d.flow_id = static_cast<std::uint32_t>(a->host(4));
            break;
        case ioam6::attr::dex_seq_num:
            if (!detail::want_len(*a, 4)) return bad;
            d.seq_num = static_cast<std::uint32_t>(a->host(4));
            break;
        case ioam6::attr::dex_oss_scid:
            if (!detail::want_len(*a, 4)) return bad;
            d.oss_schema = load_be32(a->payload.data()) & 0xffffffU;
            d.present |= trace::opaque_mask;
            break;
        case ioam6::attr::dex_oss_data:
            if (a->payload.size() % 4 != 0 || a->payload.size() > 255 * 4) return bad;
            d.oss_data = a->payload;
            d.present |= trace::opaque_mask;
            break;
        default:
            ++ev.skipped;
            break;
        }
    }
    if (is_trace && seen != 0x1eU) return error{errc::missing_attribute, base};
    if (!is_trace && !(seen & (1U << ioam6::attr::dex_namespace))) return error{errc::missing_attribute, base};
    return {};
}
[[nodiscard]] constexpr result<event> decode_event(bytes_view in, std::size_t base = 0) noexcept {
    event ev;
    if (auto r = decode_event(in, ev, base); !r) return r.error();
    return ev;
}

/// Decodes an event from a netlink message (its payload).
[[nodiscard]] constexpr result<event> decode_event(const message& m) noexcept {
    return decode_event(m.payload, m.offset + nlmsg_header_size);
}
[[nodiscard]] constexpr result<void> decode_event(const message& m, event& ev) noexcept {
    return decode_event(m.payload, ev, m.offset + nlmsg_header_size);
}

/// The reply to IOAM6_CMD_GET_EVENT_STATS.
struct event_stats {
    std::uint64_t sent = 0;        ///< events the namespace sent to the group
    std::uint64_t suppressed = 0;  ///< events its limit did not send
};

/// Writes the request for the namespace's event counters.
constexpr message_writer& encode_event_stats_request(message_writer& w, std::uint16_t family,
                                                     std::uint32_t seq = 0) noexcept {
    constexpr std::uint16_t request = 0x1;  // NLM_F_REQUEST
    return w.begin(family, request, seq, 0).genl(ioam6::cmd_get_event_stats).end();
}

/// Decodes the reply (a genl payload). Errors: errc::bad_message for another
/// command, errc::bad_attribute for a counter not 8 octets long,
/// errc::missing_attribute when a counter is absent.
[[nodiscard]] constexpr result<event_stats> decode_event_stats(bytes_view in, std::size_t base = 0) noexcept {
    auto g = decode_genl_header(in, base);
    if (!g) return g.error();
    if (g->cmd != ioam6::cmd_get_event_stats) return error{errc::bad_message, base};
    event_stats st;
    unsigned seen = 0;
    attr_reader r(in.subspan(genl_header_size), base + genl_header_size);
    while (!r.done()) {
        auto a = r.next();
        if (!a) return a.error();
        if (a->type != ioam6::stats_attr::events_sent && a->type != ioam6::stats_attr::events_suppressed) continue;
        if (!detail::want_len(*a, 8)) return error{errc::bad_attribute, a->offset};
        (a->type == ioam6::stats_attr::events_sent ? st.sent : st.suppressed) = a->host(8);
        seen |= 1U << (a->type - ioam6::stats_attr::events_sent);
    }
    if (seen != 3U) return error{errc::missing_attribute, base};
    return st;
}

/// Writes a TRACE event message as the kernel does (ioam6_event()).
constexpr message_writer& encode_trace_event(message_writer& w, std::uint16_t family, const trace_event& e,
                                             std::uint32_t seq = 0) noexcept {
    w.begin(family, 0, seq, 0).genl(static_cast<std::uint8_t>(ioam6::event_type::trace));
    w.attr_host(ioam6::attr::trace_namespace, e.namespace_id, 2);
    w.attr_host(ioam6::attr::trace_nodelen, e.node_len, 1);
    w.attr_host(ioam6::attr::trace_type, e.type_word, 4);
    w.attr(ioam6::attr::trace_data, e.data);
    return w.end();
}

/// Writes a DEX event message in the series' shape (ioam6_dex_event() of
/// kernel/patches): the present fields and snapshot become one node-data
/// attribute, in trace order.
constexpr message_writer& encode_dex_node_event(message_writer& w, std::uint16_t family, const dex_event& e,
                                                std::uint32_t seq = 0) noexcept {
    w.begin(family, 0, seq, 0).genl(static_cast<std::uint8_t>(ioam6::event_type::dex));
    w.attr_host(ioam6::attr::trace_namespace, e.namespace_id, 2);
    w.attr_host(ioam6::attr::trace_type, e.present << 8, 4);
    if (e.flow_id) w.attr_host(ioam6::attr::dex2_flow_id, *e.flow_id, 4);
    if (e.seq_num) w.attr_host(ioam6::attr::dex2_seq_num, *e.seq_num, 4);
    std::array<std::byte, 128 + 4 + 255 * 4> buf{};
    std::size_t n = 0;
    for (unsigned b = 0; b < 22; ++b) {
        if (!(e.present & trace::bit_mask(b))) continue;
        for (std::size_t i = 0; i < e.field[b].size() && n < buf.size(); ++i) buf[n++] = e.field[b][i];
    }
    if (e.present & trace::opaque_mask) {
        const std::size_t len = e.oss_data.size() / 4 <= 255 ? e.oss_data.size() : 255 * 4;
        store_be32(buf.data() + n, static_cast<std::uint32_t>(len / 4) << 24 | (e.oss_schema & 0xffffffU));
        n += 4;
        for (std::size_t i = 0; i < len; ++i) buf[n++] = e.oss_data[i];
    }
    w.attr(ioam6::attr::dex2_node_data, bytes_view(buf.data(), n));
    return w.end();
}

/// Writes a DEX event message in the reference patch's shape. pad_wide: put a 64-bit pad attribute before
/// each 8-octet field, as architectures without efficient unaligned access do.
constexpr message_writer& encode_dex_event(message_writer& w, std::uint16_t family, const dex_event& e,
                                           std::uint32_t seq = 0, bool pad_wide = false) noexcept {
    w.begin(family, 0, seq, 0).genl(static_cast<std::uint8_t>(ioam6::event_type::dex));
    w.attr_host(ioam6::attr::option_type, e.option_type, 1);
    w.attr_host(ioam6::attr::dex_namespace, e.namespace_id, 2);
    if (e.flow_id) w.attr_host(ioam6::attr::dex_flow_id, *e.flow_id, 4);
    if (e.seq_num) w.attr_host(ioam6::attr::dex_seq_num, *e.seq_num, 4);
    for (unsigned b = 0; b < 22; ++b) {
        if (!(e.present & trace::bit_mask(b))) continue;
        if (pad_wide && trace::bits[b].size == 8) w.attr(ioam6::attr::pad, {});
        w.attr(ioam6::dex_attr_for_bit(b), e.field[b]);
    }
    if (e.present & trace::opaque_mask) {
        std::byte scid[4]{};
        store_be32(scid, e.oss_schema);
        w.attr(ioam6::attr::dex_oss_scid, bytes_view(scid, 4));
        w.attr(ioam6::attr::dex_oss_data, e.oss_data);
    }
    return w.end();
}

}  // namespace ioam::netlink
