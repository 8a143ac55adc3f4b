// The event decoder as it was before its one-loop walk (attr_reader, a
// result per attribute, the DEX shape decided by a first walk): kept as the
// oracle that netlink::decode_event must agree with, error for error and
// field for field (fuzz/netlink_event.cpp, tests/netlink/event.cpp).
#pragma once

#include "ioam/netlink/event.hpp"
#include "ioam/netlink/message.hpp"

namespace ioam::netlink::reference {

namespace detail {
using netlink::detail::split_node_data;
constexpr bool want_len(const attribute& a, std::size_t n) noexcept { return a.payload.size() == n; }

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
[[nodiscard]] constexpr result<void> decode_event(bytes_view in, event& ev, std::size_t base) noexcept {
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

/// Field for field (views by address and size: both borrow the same buffer).
constexpr bool same_event(const event& a, const event& b) noexcept {
    const auto same_view = [](bytes_view x, bytes_view y) { return x.data() == y.data() && x.size() == y.size(); };
    if (a.type != b.type || a.skipped != b.skipped || a.pads != b.pads) return false;
    if (a.type == ioam6::event_type::trace)
        return a.trace.namespace_id == b.trace.namespace_id && a.trace.node_len == b.trace.node_len &&
               a.trace.type_word == b.trace.type_word && same_view(a.trace.data, b.trace.data) &&
               a.trace.data_offset == b.trace.data_offset;
    const dex_event& x = a.dex;
    const dex_event& y = b.dex;
    if (x.shape != y.shape || x.option_type != y.option_type || x.namespace_id != y.namespace_id ||
        x.flow_id != y.flow_id || x.seq_num != y.seq_num || x.present != y.present || x.oss_schema != y.oss_schema ||
        !same_view(x.oss_data, y.oss_data))
        return false;
    for (unsigned bit = 0; bit < 22; ++bit)
        if ((x.present & trace::bit_mask(bit)) && !same_view(x.field[bit], y.field[bit])) return false;
    return true;
}

/// Decodes a genl payload with both decoders, into events that start alike
/// (`prior`: a reused event's state), and says whether they agree: the same
/// error at the same offset, or events field for field.
constexpr bool agree(bytes_view payload, std::size_t base, const event& prior = {}) noexcept {
    event ours = prior, ref = prior;
    const auto r1 = netlink::decode_event(payload, ours, base);
    const auto r2 = reference::decode_event(payload, ref, base);
    if (r1.error() != r2.error()) return false;
    return !r1 || same_event(ours, ref);
}

}  // namespace ioam::netlink::reference
