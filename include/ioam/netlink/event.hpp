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
#include <bit>
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
constexpr bool want_len(const attr_ref& a, std::size_t n) noexcept { return a.size == n; }

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

/// A reused event's DEX member, as a new one starts (field[] is read only
/// where `present` says so).
constexpr void reset_dex(event& ev) noexcept {
    auto& d = ev.dex;
    d.shape = dex_shape::per_field;
    d.option_type = 4;
    d.namespace_id = 0;
    d.flow_id.reset();
    d.seq_num.reset();
    d.present = 0;
    d.oss_schema = trace::no_schema;
    d.oss_data = {};
    ev.skipped = 0;
    ev.pads = 0;
}

/// The kernel writes a TRACE event's four attributes in one order
/// (ioam6_event()): NAMESPACE, NODELEN, TYPE, then DATA to the end. Reads
/// an event laid out exactly so (every header, length and flag as the walk
/// below would accept them) with one comparison per attribute; false for
/// any other layout, which the walk then reads.
constexpr bool decode_kernel_trace(trace_event& t, bytes_view attrs, std::size_t base) noexcept {
    constexpr std::size_t data_at = 24;  // 3 attributes of 8 octets (payloads 2, 1 and 4, padded)
    if (attrs.size() < data_at + attr_header_size) return false;
    const std::byte* p = attrs.data();
    // An attribute header (nla_len, nla_type: two host-order u16) as one
    // host-order u32.
    const auto header = [&](std::size_t at) { return load_host<std::uint32_t>(p + at); };
    constexpr auto expect = [](std::size_t len, std::uint16_t type) {
        return static_cast<std::uint32_t>(std::endian::native == std::endian::little ? len | std::uint32_t{type} << 16
                                                                                     : len << 16 | type);
    };
    const std::size_t data_len = attrs.size() - data_at;
    if (header(0) != expect(attr_header_size + 2, ioam6::attr::trace_namespace) ||
        header(8) != expect(attr_header_size + 1, ioam6::attr::trace_nodelen) ||
        header(16) != expect(attr_header_size + 4, ioam6::attr::trace_type) ||
        header(data_at) != expect(data_len, ioam6::attr::trace_data) || data_len % 4 != 0 || data_len > 0xffff)
        return false;
    t.namespace_id = load_host<std::uint16_t>(p + attr_header_size);
    t.node_len = load_u8(p + 8 + attr_header_size);
    t.type_word = load_host<std::uint32_t>(p + 16 + attr_header_size);
    t.data = attrs.subspan(data_at + attr_header_size);
    t.data_offset = base + data_at + attr_header_size;
    return true;
}

/// What an event decoder made of one attribute.
enum class attr_use : std::uint8_t { taken, skipped, pad, bad };

/// Walks an event's attributes, handing each to use(attr_ref) -> attr_use:
/// counts the skipped ones and the pads in ev, stops at the first one use()
/// finds bad (errc::bad_attribute there), and requires the attributes whose
/// bits (1 << type) are in `required` to have been taken.
template <class Use>
constexpr result<void> walk_event(event& ev, bytes_view attrs, std::size_t base, std::size_t msg_base,
                                  unsigned required, Use&& use) noexcept {
    unsigned seen = 0;
    error bad{};
    const error walk = walk_attributes(attrs, base, [&](const attr_ref& a) {
        switch (use(a)) {
        case attr_use::taken: seen |= 1U << (a.type & 31U); return true;
        case attr_use::skipped: ++ev.skipped; return true;
        case attr_use::pad: ++ev.pads; return true;
        case attr_use::bad: break;
        }
        bad = error{errc::bad_attribute, a.offset};
        return false;
    });
    if (walk.code != errc::ok) return walk;
    if (bad.code != errc::ok) return bad;
    if ((seen & required) != required) return error{errc::missing_attribute, msg_base};
    return {};
}

/// TRACE: NAMESPACE, NODELEN, TYPE and DATA, each required.
constexpr result<void> decode_trace(event& ev, bytes_view attrs, std::size_t base, std::size_t msg_base) noexcept {
    if (decode_kernel_trace(ev.trace, attrs, base)) return {};  // every member set
    ev.trace = trace_event{};
    constexpr unsigned required = 0x1eU;  // attributes 1-4
    auto& t = ev.trace;
    return walk_event(ev, attrs, base, msg_base, required, [&](const attr_ref& a) {
        switch (a.type) {
        case ioam6::attr::trace_namespace:
            if (!want_len(a, 2)) return attr_use::bad;
            t.namespace_id = a.host16();
            return attr_use::taken;
        case ioam6::attr::trace_nodelen:
            if (!want_len(a, 1)) return attr_use::bad;
            t.node_len = load_u8(a.data);
            return attr_use::taken;
        case ioam6::attr::trace_type:
            if (!want_len(a, 4)) return attr_use::bad;
            t.type_word = a.host32();
            return attr_use::taken;
        case ioam6::attr::trace_data:
            if (a.size % 4 != 0) return attr_use::bad;
            t.data = a.payload();
            t.data_offset = a.offset + attr_header_size;
            return attr_use::taken;
        case ioam6::attr::pad:
            return a.size == 0 ? attr_use::pad : attr_use::skipped;
        default:
            return attr_use::skipped;
        }
    });
}

/// The series' DEX shape: NAMESPACE, TYPE, [FLOW_ID], [SEQ_NUM], NODE_DATA.
constexpr result<void> decode_dex_node_shape(event& ev, bytes_view attrs, std::size_t base,
                                             std::size_t msg_base) noexcept {
    auto& d = ev.dex;
    d.shape = dex_shape::node_data;
    std::uint32_t type_word = 0;
    bytes_view data{};
    std::size_t data_offset = 0;
    constexpr unsigned required = (1U << ioam6::attr::trace_namespace) | (1U << ioam6::attr::trace_type) |
                                  (1U << ioam6::attr::dex2_node_data);
    auto r = walk_event(ev, attrs, base, msg_base, required, [&](const attr_ref& a) {
        switch (a.type) {
        case ioam6::attr::trace_namespace:
            if (!want_len(a, 2)) return attr_use::bad;
            d.namespace_id = a.host16();
            return attr_use::taken;
        case ioam6::attr::trace_type:
            if (!want_len(a, 4)) return attr_use::bad;
            type_word = a.host32();
            return attr_use::taken;
        case ioam6::attr::dex2_flow_id:
            if (!want_len(a, 4)) return attr_use::bad;
            d.flow_id = a.host32();
            return attr_use::taken;
        case ioam6::attr::dex2_seq_num:
            if (!want_len(a, 4)) return attr_use::bad;
            d.seq_num = a.host32();
            return attr_use::taken;
        case ioam6::attr::dex2_node_data:
            data = a.payload();
            data_offset = a.offset + attr_header_size;
            return attr_use::taken;
        default:
            return attr_use::skipped;
        }
    });
    if (!r) return r;
    return split_node_data(d, type_word >> 8, data, data_offset);
}

/// DEX. The series' shape carries attribute 1, the reference patch's never
/// does: one walk reads the reference shape and hands over to the series'
/// decoder when it meets attribute 1. The errors are those of deciding the
/// shape first: a malformed attribute before any attribute 1 is the error;
/// a reference attribute of the wrong length is one only when no attribute
/// 1 and no malformed attribute follow it.
constexpr result<void> decode_dex(event& ev, bytes_view attrs, std::size_t base, std::size_t msg_base) noexcept {
    reset_dex(ev);
    auto& d = ev.dex;
    unsigned seen = 0;  // bit 6 for the namespace
    bool node_shape = false;
    error bad{};
    std::size_t rest = attrs.size();  // after a bad attribute: where the look for attribute 1 goes on
    const auto fail = [&](const attr_ref& a) {
        bad = error{errc::bad_attribute, a.offset};
        rest = a.offset - base + align4(attr_header_size + a.size);
        return false;
    };
    error walk = walk_attributes(attrs, base, [&](const attr_ref& a) {
        const std::uint16_t t = a.type;
        // The data fields first (most of a DEX event's attributes).
        if (t >= ioam6::attr::dex_data_first && t <= ioam6::attr::dex_data_last) {
            const unsigned bit = t - ioam6::attr::dex_data_first;
            if (!want_len(a, trace::bits[bit].size)) return fail(a);
            d.field[bit] = a.payload();
            d.present |= trace::bit_mask(bit);
            return true;
        }
        if (t == ioam6::attr::trace_namespace) {
            node_shape = true;
            return false;
        }
        if (t == ioam6::attr::pad && a.size == 0) {
            ++ev.pads;
            return true;
        }
        switch (t) {
        case ioam6::attr::option_type:
            if (!want_len(a, 1)) break;
            d.option_type = load_u8(a.data);
            return true;
        case ioam6::attr::dex_namespace:
            if (!want_len(a, 2)) break;
            d.namespace_id = a.host16();
            seen |= 1U << t;
            return true;
        case ioam6::attr::dex_flow_id:
            if (!want_len(a, 4)) break;
            d.flow_id = a.host32();
            return true;
        case ioam6::attr::dex_seq_num:
            if (!want_len(a, 4)) break;
            d.seq_num = a.host32();
            return true;
        case ioam6::attr::dex_oss_scid:
            if (!want_len(a, 4)) break;
            d.oss_schema = load_be32(a.data) & 0xffffffU;
            d.present |= trace::opaque_mask;
            return true;
        case ioam6::attr::dex_oss_data:
            if (a.size % 4 != 0 || a.size > 255 * 4) break;
            d.oss_data = a.payload();
            d.present |= trace::opaque_mask;
            return true;
        default:
            ++ev.skipped;
            return true;
        }
        return fail(a);
    });
    if (bad.code != errc::ok && rest < attrs.size())
        walk = walk_attributes(attrs.subspan(rest), base + rest, [&](const attr_ref& a) {
            node_shape = a.type == ioam6::attr::trace_namespace;
            return !node_shape;
        });
    if (node_shape) {
        // Fields the reference walk took before attribute 1 are not the
        // node shape's: a field stays empty unless its bit is present.
        for (unsigned b = 0; b < d.field.size(); ++b)
            if (d.present & trace::bit_mask(b)) d.field[b] = {};
        reset_dex(ev);
        return decode_dex_node_shape(ev, attrs, base, msg_base);
    }
    if (walk.code != errc::ok) return walk;
    if (bad.code != errc::ok) return bad;
    if (!(seen & (1U << ioam6::attr::dex_namespace))) return error{errc::missing_attribute, msg_base};
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
    if (in.size() < genl_header_size) return error{errc::truncated, base + in.size()};
    const std::uint8_t cmd = load_u8(in.data());
    const bytes_view attrs = in.subspan(genl_header_size);
    const std::size_t attrs_base = base + genl_header_size;
    if (cmd == static_cast<std::uint8_t>(ioam6::event_type::trace)) {
        ev.type = ioam6::event_type::trace;
        ev.skipped = 0;
        ev.pads = 0;
        return detail::decode_trace(ev, attrs, attrs_base, base);
    }
    if (cmd == static_cast<std::uint8_t>(ioam6::event_type::dex)) {
        ev.type = ioam6::event_type::dex;
        return detail::decode_dex(ev, attrs, attrs_base, base);
    }
    return error{errc::bad_message, base};
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
        if (a->payload.size() != 8) return error{errc::bad_attribute, a->offset};
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
