// The PEN 10383 record layout (records.hpp) as a record_layout (layout.hpp):
// input a kernel event, one record per trace node (or only the first with
// node_selection::reporting_only), one per DEX event, one of context fields
// only for a trace without node data. Shape: record_shape.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>

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
/// (Bits counted by table: without -mpopcnt, std::popcount is a library call.)
inline constexpr std::array<std::uint8_t, 64> bits_set = [] {
    std::array<std::uint8_t, 64> t{};
    for (unsigned i = 0; i < 64; ++i) t[i] = static_cast<std::uint8_t>(std::popcount(i));
    return t;
}();
[[nodiscard]] constexpr std::size_t defined_size(std::uint32_t type) noexcept {
    return 4 * (std::size_t{bits_set[(type >> 18) & 63]} + bits_set[(type >> 12) & 63] + bits_set[(type >> 13) & 7]);
}

/// store_be for N = 2, 3, 4 as a byte swap and one or two stores.
template <std::size_t N>
constexpr void store_be_fast(std::byte* p, std::uint32_t v) noexcept {
    static_assert(N >= 2 && N <= 4);
    if (std::is_constant_evaluated() || std::endian::native != std::endian::little) {
        store_be<N>(p, v);
        return;
    }
    if constexpr (N == 2) {
        const auto x = __builtin_bswap16(static_cast<std::uint16_t>(v));
        std::memcpy(p, &x, 2);
    } else {
        const std::uint32_t x = __builtin_bswap32(v << (8 * (4 - N)));
        std::memcpy(p, &x, N);
    }
}

/// Copies n octets (0 or 4 and up: node values) in a few overlapping 4-,
/// 8- and 16-octet moves: the records' copies are short, shorter than a
/// call to memcpy or a vectorized loop's set-up.
constexpr void copy_words(std::byte* to, const std::byte* from, std::size_t n) noexcept {
    if (std::is_constant_evaluated()) {
        std::copy_n(from, n, to);
        return;
    }
    if (n < 8) {
        if (n != 0) std::memcpy(to, from, 4);
        return;
    }
    if (n <= 16) {
        std::memcpy(to, from, 8);
        std::memcpy(to + n - 8, from + n - 8, 8);
        return;
    }
    for (std::size_t i = 0; i + 16 < n; i += 16) std::memcpy(to + i, from + i, 16);
    std::memcpy(to + n - 16, from + n - 16, 16);
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
        if (ev.type == netlink::ioam6::event_type::dex) {
            // check_event's checks, without a node list to return.
            if (auto r = check_dex(ev.dex, options.policy); !r) return r;
            count_event(counts, ev, 0);
            const netlink::dex_event& d = ev.dex;
            const record_shape s = shape_of(d);
            if (!(s.type & trace::opaque_mask)) {
                // As for traces below: each attribute of bits 0-11 holds its
                // values in the record's order and widths.
                // One reservation for the whole record (its size is the
                // shape's: min_record_size), then plain stores.
                const std::size_t size = 10 + (s.flow_id ? 4 : 0) + (s.sequence ? 4 : 0) + values_size(s.type);
                (void)out(s, [&](byte_writer& w) -> result<void> {
                    std::byte* p = w.reserve(size);
                    if (!p) return w.status();
                    put_context(p, s, c.input_id, d.namespace_id);
                    p += 10;
                    if (d.flow_id) {
                        detail::store_be_fast<4>(p, *d.flow_id);
                        p += 4;
                    }
                    if (d.seq_num) {
                        detail::store_be_fast<4>(p, *d.seq_num);
                        p += 4;
                    }
                    // Bits 0-11 in order: bit b is 0x800000 >> b; 8-8 octets for bits 8-10.
                    for (std::uint32_t m = s.type & trace::defined_mask; m != 0;) {
                        const unsigned b = static_cast<unsigned>(std::countl_zero(m)) - 8;
                        m &= ~trace::bit_mask(b);
                        const std::size_t n = trace::bits[b].size;  // 4, or 8 for bits 8-10
                        if (n == 8) detail::copy_words(p, d.field[b].data(), 8);
                        else detail::copy_words(p, d.field[b].data(), 4);
                        p += n;
                    }
                    return {};
                });
                return {};
            }
            encode_by_fields(ev, c, s, trace::node_list{}, out);
            return {};
        }
        // A trace of fixed-size nodes (no snapshot): check_event's checks
        // without building a node list.
        const trace::trace_shape* shape = nullptr;
        std::size_t count = 0;
        if (ev.type == netlink::ioam6::event_type::trace) {
            auto sh = check_trace_shape(ev.trace, options.policy, shapes_);
            if (!sh) return sh.error();
            shape = *sh;
            if (!shape->opaque) {
                auto n = count_fixed_nodes(*shape, ev.trace);
                if (!n) return n.error();
                count = *n;
            }
        }
        if (!shape || shape->opaque || count == 0) {
            auto nodes = check_event(ev, options.policy, shapes_);
            if (!nodes) return nodes.error();
            count_event(counts, ev, *nodes);
            encode_by_fields(ev, c, shape_of(ev.trace, nodes->size()), *nodes, out);
            return {};
        }
        count_event(counts, ev, count);
        const record_shape s = shape_of(ev.trace, count);
        // The value fields of bits 0-11 are, in order and width, the
        // node's own first octets (records.hpp's fields_of follows the
        // trace-type bits; undefined bits 12-21 come after them and are
        // not exported): a copy, not a walk. tests/export/session.cpp
        // checks it against encode_node_record for every such type.
        // Without a snapshot the nodes are fixed_size() apart. One
        // reservation per record (its size is the shape's), then plain stores.
        // The context (12 octets with NodeIndex and NodeCount) is the
        // same for every node but its index: written once, copied.
        const std::size_t values = values_size(s.type);
        const std::size_t stride = shape->fixed_size();
        const std::byte* data = ev.trace.data.data();
        std::array<std::byte, 12> head{};
        put_context(head.data(), s, c.input_id, ev.trace.namespace_id);
        store_u8(head.data() + 11, static_cast<std::uint8_t>(count));
        const std::size_t records = options.nodes == node_selection::reporting_only ? 1 : count;
        (void)out.each(s, records, [&](std::size_t i, byte_writer& w) -> result<void> {
            std::byte* p = w.reserve(12 + values);
            if (!p) return w.status();
            detail::copy_words(p, head.data(), 12);
            store_u8(p + 10, static_cast<std::uint8_t>(i));
            detail::copy_words(p + 12, data + i * stride, values);
            return {};
        });
        return {};
    }

    [[nodiscard]] static constexpr std::size_t defined_size(std::uint32_t type) noexcept {
        return detail::defined_size(type);
    }
    /// ioamEventId, ioamOptionType, ioamNamespaceId, ioamTraceType (records.hpp's order).
    static constexpr void put_context(std::byte* p, const record_shape& s, std::uint32_t id, std::uint16_t ns) noexcept {
        detail::store_be_fast<4>(p, id);
        store_u8(p + 4, s.option_type);
        detail::store_be_fast<2>(p + 5, ns);
        detail::store_be_fast<3>(p + 7, s.type);
    }

    static constexpr result<void> encode_template(std::uint16_t id, const shape& s, byte_writer& w) noexcept {
        return encode_template_record(id, s, w);
    }
    static constexpr std::size_t min_record_size(const shape& s) noexcept { return exporting::min_record_size(s); }
    static decoded decode(const ipfix::dynamic_record& r) { return decode_record(r); }

private:
    /// The records of the shapes that the copies above do not cover (a
    /// snapshot, a trace without node data), field by field (records.hpp);
    /// kept out of encode() so that its common path stays small.
    template <class Out>
    [[gnu::noinline]] constexpr void encode_by_fields(const input& ev, const input_context& c, const record_shape& s,
                                                      const trace::node_list& nodes, Out& out) noexcept {
        const shape_fields& fields = fields_for(s);
        if (ev.type == netlink::ioam6::event_type::dex) {
            const netlink::dex_event& d = ev.dex;
            const record_context ctx{c.input_id, d.namespace_id, 0, 1, d.flow_id, d.seq_num};
            (void)out(s, [&](byte_writer& w) {
                return detail::encode_record(s, fields, ctx, [&](trace::value_id v) { return d.raw(v).value_or(0); },
                                             d.opaque(), w);
            });
            return;
        }
        record_context ctx{c.input_id, ev.trace.namespace_id, 0, static_cast<std::uint8_t>(nodes.size()), {}, {}};
        if (nodes.empty()) {
            (void)out(s, [&](byte_writer& w) { return encode_node_record(s, fields, ctx, nullptr, w); });
            return;
        }
        for (const trace::node_view n : nodes) {
            (void)out(s, [&](byte_writer& w) { return encode_node_record(s, fields, ctx, &n, w); });
            if (options.nodes == node_selection::reporting_only) break;
            ++ctx.node_index;
        }
    }

    /// defined_size of the last type (a stream of events has few types).
    constexpr std::size_t values_size(std::uint32_t type) noexcept {
        if (type != values_type_) {
            values_type_ = type;
            values_size_ = defined_size(type);
        }
        return values_size_;
    }
    std::uint32_t values_type_ = 0;
    std::size_t values_size_ = 0;  // defined_size(0)

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
