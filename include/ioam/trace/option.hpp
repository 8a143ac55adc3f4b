// IOAM Option-Type headers (RFC 9197 4.4 to 4.6, RFC 9326 3.2): the
// Pre-allocated and Incremental trace headers, the Proof-of-Transit and
// Edge-to-Edge headers and the Direct Exporting header. Decoders borrow the
// buffer; encoders write into the caller's span and never allocate.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "ioam/core/buffer.hpp"
#include "ioam/core/bytes.hpp"
#include "ioam/core/error.hpp"
#include "ioam/trace/node.hpp"
#include "ioam/trace/trace_type.hpp"

namespace ioam::trace {

/// IOAM Option-Types (IANA "IOAM Option-Type", RFC 9197 7.1, RFC 9326 6).
enum class option_type : std::uint8_t {
    preallocated_trace = 0,
    incremental_trace = 1,
    pot = 2,
    e2e = 3,
    dex = 4,
};

// ---------------------------------------------------------------------------
// Trace option header (RFC 9197 4.4.1)
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |        Namespace-ID           |NodeLen  | Flags | RemainingLen|
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |               IOAM-Trace-Type                 |  Reserved     |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |  node data list [0..n], most recent first (pre-allocated: after |
//   |  RemainingLen * 4 octets of free space)                         |

inline constexpr std::size_t trace_header_size = 8;

/// Trace flags (4 bits, IANA "IOAM Trace-Flags"; bit 0 is the MSB).
inline constexpr std::uint8_t flag_overflow = 0x8;  ///< RFC 9197 4.4.1
inline constexpr std::uint8_t flag_loopback = 0x4;  ///< RFC 9322 4.1
inline constexpr std::uint8_t flag_active = 0x2;    ///< RFC 9322 4.2

struct trace_header {
    std::uint16_t namespace_id = 0;
    std::uint8_t node_len = 0;       ///< 5 bits, 4-octet units
    std::uint8_t flags = 0;          ///< 4 bits
    std::uint8_t remaining_len = 0;  ///< 7 bits, 4-octet units
    std::uint32_t type = 0;          ///< 24 bits
    std::uint8_t reserved = 0;
    [[nodiscard]] constexpr bool overflow() const noexcept { return (flags & flag_overflow) != 0; }
    friend constexpr bool operator==(const trace_header&, const trace_header&) = default;
};

/// Decodes the 8-octet trace header (no semantic checks).
[[nodiscard]] constexpr result<trace_header> decode_trace_header(bytes_view in, std::size_t base = 0) noexcept {
    if (in.size() < trace_header_size) return error{errc::truncated, base + in.size()};
    const std::byte* p = in.data();
    trace_header h;
    h.namespace_id = load_be16(p);
    const std::uint16_t w = load_be16(p + 2);
    h.node_len = static_cast<std::uint8_t>(w >> 11);
    h.flags = static_cast<std::uint8_t>((w >> 7) & 0xf);
    h.remaining_len = static_cast<std::uint8_t>(w & 0x7f);
    h.type = load_be24(p + 4);
    h.reserved = load_u8(p + 7);
    return h;
}

/// Writes the 8-octet trace header; errc::value_out_of_range when a field
/// does not fit its bits.
[[nodiscard]] constexpr result<std::size_t> encode_trace_header(const trace_header& h, bytes_span out) noexcept {
    if (h.node_len > 0x1f || h.flags > 0xf || h.remaining_len > 0x7f || h.type > type_mask)
        return error{errc::value_out_of_range, 0};
    if (out.size() < trace_header_size) return error{errc::no_room, 0};
    std::byte* p = out.data();
    store_be16(p, h.namespace_id);
    store_be16(p + 2, static_cast<std::uint16_t>((h.node_len << 11) | (h.flags << 7) | h.remaining_len));
    store_be24(p + 4, h.type);
    store_u8(p + 7, h.reserved);
    return trace_header_size;
}

/// A decoded, validated trace option. Borrows the buffer.
struct trace_option {
    option_type kind = option_type::preallocated_trace;
    trace_header header{};
    bytes_view data{};    ///< everything after the header
    bytes_view filled{};  ///< the node data list (pre-allocated: data past RemainingLen * 4)
    node_list nodes{};    ///< the nodes of `filled`, validated
};

/// Decodes a Pre-allocated or Incremental trace option body (the trace
/// header and its data, as carried after the 4-octet IOAM option header).
/// Checks: trace type under the policy, NodeLen against the type, NodeLen 0
/// without bit 22, 4n data, RemainingLen within the data (pre-allocated),
/// and nodes (with their snapshot lengths) tiling the filled part.
[[nodiscard]] constexpr result<trace_option> decode_trace(option_type kind, bytes_view body,
                                                          type_policy policy = type_policy::strict,
                                                          std::size_t base = 0) noexcept {
    if (kind != option_type::preallocated_trace && kind != option_type::incremental_trace)
        return error{errc::bad_option, base};
    auto h = decode_trace_header(body, base);
    if (!h) return h.error();
    trace_option t;
    t.kind = kind;
    t.header = *h;
    auto shape = make_shape(h->type, policy, base + 4);
    if (!shape) return shape.error();
    if (h->node_len != shape->node_len) return error{errc::bad_node_len, base + 2};
    t.data = body.subspan(trace_header_size);
    if (t.data.size() % 4 != 0) return error{errc::bad_option, base + body.size()};
    std::size_t skip = 0;
    if (kind == option_type::preallocated_trace) {
        skip = std::size_t{h->remaining_len} * 4;
        if (skip > t.data.size()) return error{errc::bad_remaining_len, base + 3};
    }
    t.filled = t.data.subspan(skip);
    auto nodes = node_list::decode(*shape, t.filled, base + trace_header_size + skip);
    if (!nodes) return nodes.error();
    t.nodes = *nodes;
    return t;
}

/// Writes a pre-allocated trace option body: the header, then
/// h.remaining_len * 4 octets of zeroed space for the nodes.
[[nodiscard]] constexpr result<std::size_t> encode_preallocated(const trace_header& h, bytes_span out) noexcept {
    auto n = encode_trace_header(h, out);
    if (!n) return n;
    const std::size_t space = std::size_t{h.remaining_len} * 4;
    if (out.size() < trace_header_size + space) return error{errc::no_room, trace_header_size};
    for (std::size_t i = 0; i < space; ++i) out[trace_header_size + i] = std::byte{0};
    return trace_header_size + space;
}

/// What push_node did.
enum class push_status : std::uint8_t { written, overflow };

/// Does what a transit node does to a pre-allocated trace (RFC 9197 4.4.1):
/// writes its node just below the filled part and lowers RemainingLen, or
/// sets the Overflow flag when the node does not fit. body is a pre-allocated
/// trace option body (as encode_preallocated wrote it), changed in place.
[[nodiscard]] constexpr result<push_status> push_node(bytes_span body, const node_data& d) noexcept {
    auto h = decode_trace_header(body);
    if (!h) return h.error();
    if (h->overflow()) return push_status::overflow;
    const trace_shape s = shape_of(h->type);
    const std::size_t need = encoded_size(s, d);
    const std::size_t room = std::size_t{h->remaining_len} * 4;
    if (room > body.size() - trace_header_size) return error{errc::bad_remaining_len, 3};
    trace_header nh = *h;
    if (need > room) {
        nh.flags = static_cast<std::uint8_t>(nh.flags | flag_overflow);
        if (auto r = encode_trace_header(nh, body); !r) return r.error();
        return push_status::overflow;
    }
    auto w = encode_node(s, d, body.subspan(trace_header_size + room - need, need));
    if (!w) return w.error();
    nh.remaining_len = static_cast<std::uint8_t>((room - need) / 4);
    if (auto r = encode_trace_header(nh, body); !r) return r.error();
    return push_status::written;
}

/// Writes an incremental trace option body: the header, then the nodes in
/// the order given (nodes[0] is the most recent, RFC 9197 4.4.1).
[[nodiscard]] constexpr result<std::size_t> encode_incremental(const trace_header& h, std::span<const node_data> nodes,
                                                               bytes_span out) noexcept {
    auto n = encode_trace_header(h, out);
    if (!n) return n;
    const trace_shape s = shape_of(h.type);
    std::size_t pos = trace_header_size;
    for (const auto& d : nodes) {
        auto w = encode_node(s, d, out.subspan(pos));
        if (!w) return error{w.code(), pos + w.offset()};
        pos += *w;
    }
    return pos;
}

// ---------------------------------------------------------------------------
// Proof of Transit (RFC 9197 4.5)
//
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |        Namespace-ID           |IOAM POT Type  |IOAM POT flags |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |  POT Type 0: Random (64 bits), Cumulative (64 bits)            |

inline constexpr std::size_t pot_size = 20;  ///< header plus POT type 0 data

struct pot_option {
    std::uint16_t namespace_id = 0;
    std::uint8_t type = 0;  ///< only type 0 is defined (RFC 9197 4.5.1)
    std::uint8_t flags = 0;
    std::uint64_t random = 0;
    std::uint64_t cumulative = 0;
    friend constexpr bool operator==(const pot_option&, const pot_option&) = default;
};

[[nodiscard]] constexpr result<pot_option> decode_pot(bytes_view body, std::size_t base = 0) noexcept {
    if (body.size() < 4) return error{errc::truncated, base + body.size()};
    pot_option p;
    p.namespace_id = load_be16(body.data());
    p.type = load_u8(body.data() + 2);
    p.flags = load_u8(body.data() + 3);
    if (p.type != 0) return error{errc::bad_option, base + 2};
    if (body.size() < pot_size) return error{errc::truncated, base + body.size()};
    p.random = load_be64(body.data() + 4);
    p.cumulative = load_be64(body.data() + 12);
    return p;
}

[[nodiscard]] constexpr result<std::size_t> encode_pot(const pot_option& p, bytes_span out) noexcept {
    if (p.type != 0) return error{errc::value_out_of_range, 2};
    byte_writer w(out);
    w.put_be16(p.namespace_id);
    w.put_u8(p.type);
    w.put_u8(p.flags);
    w.put_be64(p.random);
    w.put_be64(p.cumulative);
    if (auto s = w.status(); !s) return s.error();
    return w.size();
}

// ---------------------------------------------------------------------------
// Edge-to-Edge (RFC 9197 4.6)
//
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |         Namespace-ID          |         IOAM-E2E-Type         |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |  E2E data fields in bit order                                  |
//   Bits: 0 64-bit sequence number, 1 32-bit sequence number,
//         2 timestamp seconds, 3 timestamp subseconds, 4-15 undefined.

inline constexpr std::uint16_t e2e_seq64 = 0x8000;
inline constexpr std::uint16_t e2e_seq32 = 0x4000;
inline constexpr std::uint16_t e2e_seconds = 0x2000;
inline constexpr std::uint16_t e2e_subseconds = 0x1000;
inline constexpr std::uint16_t e2e_defined_mask = 0xf000;

struct e2e_option {
    std::uint16_t namespace_id = 0;
    std::optional<std::uint64_t> seq64;
    std::optional<std::uint32_t> seq32;
    std::optional<std::uint32_t> seconds;
    std::optional<std::uint32_t> subseconds;
    [[nodiscard]] constexpr std::uint16_t type() const noexcept {
        return static_cast<std::uint16_t>((seq64 ? e2e_seq64 : 0) | (seq32 ? e2e_seq32 : 0) |
                                          (seconds ? e2e_seconds : 0) | (subseconds ? e2e_subseconds : 0));
    }
    friend constexpr bool operator==(const e2e_option&, const e2e_option&) = default;
};

/// Decodes an E2E option body. Undefined E2E-Type bits have no defined size
/// and are rejected (errc::bad_trace_type at the type's offset).
[[nodiscard]] constexpr result<e2e_option> decode_e2e(bytes_view body, std::size_t base = 0) noexcept {
    if (body.size() < 4) return error{errc::truncated, base + body.size()};
    e2e_option e;
    e.namespace_id = load_be16(body.data());
    const std::uint16_t type = load_be16(body.data() + 2);
    if (type & ~e2e_defined_mask) return error{errc::bad_trace_type, base + 2};
    byte_reader r(body.subspan(4), base + 4);
    std::uint64_t v = 0;
    if (type & e2e_seq64) {
        if (!r.get_be<8>(v)) return error{errc::truncated, r.offset()};
        e.seq64 = v;
    }
    if (type & e2e_seq32) {
        if (!r.get_be<4>(v)) return error{errc::truncated, r.offset()};
        e.seq32 = static_cast<std::uint32_t>(v);
    }
    if (type & e2e_seconds) {
        if (!r.get_be<4>(v)) return error{errc::truncated, r.offset()};
        e.seconds = static_cast<std::uint32_t>(v);
    }
    if (type & e2e_subseconds) {
        if (!r.get_be<4>(v)) return error{errc::truncated, r.offset()};
        e.subseconds = static_cast<std::uint32_t>(v);
    }
    return e;
}

[[nodiscard]] constexpr result<std::size_t> encode_e2e(const e2e_option& e, bytes_span out) noexcept {
    byte_writer w(out);
    w.put_be16(e.namespace_id);
    w.put_be16(e.type());
    if (e.seq64) w.put_be64(*e.seq64);
    if (e.seq32) w.put_be32(*e.seq32);
    if (e.seconds) w.put_be32(*e.seconds);
    if (e.subseconds) w.put_be32(*e.subseconds);
    if (auto s = w.status(); !s) return s.error();
    return w.size();
}

// ---------------------------------------------------------------------------
// Direct Exporting (RFC 9326 3.2)
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |        Namespace-ID           |     Flags     |Extension-Flags|
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |               IOAM-Trace-Type                 |    Reserved   |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                   Flow ID (optional, 4 octets)                |
//   |               Sequence Number (optional, 4 octets)            |
//   Every Extension-Flag set adds one 4-octet field, in flag order; fields
//   of unknown flags are skipped (RFC 9326 3.2).

inline constexpr std::size_t dex_header_size = 8;
inline constexpr std::uint8_t dex_ext_flow_id = 0x80;
inline constexpr std::uint8_t dex_ext_seq_num = 0x40;

struct dex_option {
    std::uint16_t namespace_id = 0;
    std::uint8_t flags = 0;
    std::uint8_t ext_flags = 0;  ///< as received (unknown flags kept)
    std::uint32_t type = 0;      ///< 24-bit trace type
    std::uint8_t reserved = 0;
    std::optional<std::uint32_t> flow_id;
    std::optional<std::uint32_t> seq_num;
    friend constexpr bool operator==(const dex_option&, const dex_option&) = default;
};

/// Decodes a DEX option body. The trace type is checked under the policy.
[[nodiscard]] constexpr result<dex_option> decode_dex(bytes_view body, type_policy policy = type_policy::strict,
                                                      std::size_t base = 0) noexcept {
    if (body.size() < dex_header_size) return error{errc::truncated, base + body.size()};
    const std::byte* p = body.data();
    dex_option d;
    d.namespace_id = load_be16(p);
    d.flags = load_u8(p + 2);
    d.ext_flags = load_u8(p + 3);
    d.type = load_be24(p + 4);
    d.reserved = load_u8(p + 7);
    if (auto r = check_type(d.type, policy, base + 4); !r) return r.error();
    const std::size_t need = dex_header_size + 4 * static_cast<std::size_t>(std::popcount(d.ext_flags));
    if (body.size() < need) return error{errc::truncated, base + body.size()};
    std::size_t pos = dex_header_size;
    for (unsigned b = 0; b < 8; ++b) {
        const auto f = static_cast<std::uint8_t>(0x80U >> b);
        if (!(d.ext_flags & f)) continue;
        const auto v = load_be32(p + pos);
        if (f == dex_ext_flow_id) d.flow_id = v;
        if (f == dex_ext_seq_num) d.seq_num = v;
        pos += 4;
    }
    return d;
}

/// Writes a DEX option body; Extension-Flags come from the optional fields
/// (ext_flags is ignored).
[[nodiscard]] constexpr result<std::size_t> encode_dex(const dex_option& d, bytes_span out) noexcept {
    if (d.type > type_mask) return error{errc::value_out_of_range, 4};
    byte_writer w(out);
    w.put_be16(d.namespace_id);
    w.put_u8(d.flags);
    w.put_u8(static_cast<std::uint8_t>((d.flow_id ? dex_ext_flow_id : 0) | (d.seq_num ? dex_ext_seq_num : 0)));
    w.put_be<3>(d.type);
    w.put_u8(d.reserved);
    if (d.flow_id) w.put_be32(*d.flow_id);
    if (d.seq_num) w.put_be32(*d.seq_num);
    if (auto s = w.status(); !s) return s.error();
    return w.size();
}

}  // namespace ioam::trace
