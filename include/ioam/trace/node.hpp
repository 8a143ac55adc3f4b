// Run-time node views (RFC 9197 4.4.2) for a trace type known only at run time.
//
// A trace_shape is computed once per trace type from the constexpr bit table:
// NodeLen and the offset of every present field. Field access is then one
// table lookup and one big-endian load; nothing rescans the type.
//
//   One node (RFC 9197 4.4.2), fields in bit order, then the snapshot:
//   +--------------------------------+
//   | field of the lowest set bit    |  4 or 8 octets each
//   | ...                            |
//   +--------------------------------+  <- NodeLen * 4
//   | Length (8) | Schema ID (24)    |  only with bit 22
//   | opaque data (Length * 4 oct.)  |
//   +--------------------------------+
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "ioam/core/bytes.hpp"
#include "ioam/core/error.hpp"
#include "ioam/core/framed.hpp"
#include "ioam/trace/trace_type.hpp"
#include "ioam/trace/values.hpp"

namespace ioam::trace {

/// NodeLen and field offsets for one trace type. Small (28 octets) and
/// trivially copyable: views carry it by value.
struct trace_shape {
    static constexpr std::uint8_t absent = 0xff;
    std::uint32_t type = 0;                 ///< the 24-bit trace type (bit 23 cleared)
    std::uint8_t node_len = 0;              ///< 4-octet units, snapshot excluded
    bool opaque = false;                    ///< bit 22 set
    std::array<std::uint8_t, 22> offset{};  ///< per bit 0-21: offset in the node, or absent

    [[nodiscard]] constexpr std::size_t fixed_size() const noexcept { return std::size_t{node_len} * 4; }
    [[nodiscard]] constexpr bool has_bit(unsigned b) const noexcept { return (type & bit_mask(b)) != 0; }
    [[nodiscard]] constexpr bool has(value_id v) const noexcept { return offset[info(v).bit] != absent; }
    friend constexpr bool operator==(const trace_shape&, const trace_shape&) = default;
};

/// The shape of a trace type, without validation (undefined bits are laid out
/// as 4-octet fields, bit 23 is ignored). Use make_shape to validate.
[[nodiscard]] constexpr trace_shape shape_of(std::uint32_t type) noexcept {
    trace_shape s;
    s.type = type & type_mask & ~reserved_mask;
    s.opaque = (s.type & opaque_mask) != 0;
    unsigned off = 0;
    for (unsigned b = 0; b < 22; ++b) {
        if (s.type & bit_mask(b)) {
            s.offset[b] = static_cast<std::uint8_t>(off);
            off += bits[b].size;
        } else {
            s.offset[b] = trace_shape::absent;
        }
    }
    s.node_len = static_cast<std::uint8_t>(off / 4);
    return s;
}

/// A validated shape: the type must pass check_type under the policy, and a
/// node must carry something (NodeLen 0 is only valid with bit 22).
[[nodiscard]] constexpr result<trace_shape> make_shape(std::uint32_t type, type_policy policy = type_policy::strict,
                                                       std::size_t offset = 0) noexcept {
    if (auto r = check_type(type, policy, offset); !r) return r.error();
    trace_shape s = shape_of(type);
    if (s.node_len == 0 && !s.opaque) return error{errc::bad_node_len, offset};
    return s;
}

/// The opaque state snapshot of a node (RFC 9197 4.4.2.12). Borrows the buffer.
struct opaque_snapshot {
    std::uint32_t schema_id = no_schema;  ///< 24 bits; no_schema (0xffffff) is not 0
    bytes_view data{};                    ///< Length * 4 octets
    [[nodiscard]] constexpr bool has_schema() const noexcept { return schema_id != no_schema; }
};

class node_value_range;

/// One node's data. Borrows the buffer it was decoded from (and copies the shape).
class node_view {
public:
    constexpr node_view() noexcept = default;
    constexpr node_view(const trace_shape& s, bytes_view node) noexcept : shape_(s), bytes_(node) {}

    [[nodiscard]] constexpr const trace_shape& shape() const noexcept { return shape_; }
    /// All octets of the node, snapshot included.
    [[nodiscard]] constexpr bytes_view bytes() const noexcept { return bytes_; }
    [[nodiscard]] constexpr bool has(value_id v) const noexcept { return shape_.has(v); }

    /// The raw value, or nullopt when the trace type does not carry it.
    [[nodiscard]] constexpr std::optional<std::uint64_t> raw(value_id v) const noexcept {
        const auto& i = info(v);
        const std::uint8_t off = shape_.offset[i.bit];
        if (off == trace_shape::absent) return std::nullopt;
        return load_be_n(bytes_.data() + off + i.offset, i.width);
    }
    /// Typed access: get<value_id::node_id>() is a std::optional<std::uint32_t>.
    template <value_id V>
    [[nodiscard]] constexpr std::optional<value_t<V>> get() const noexcept {
        constexpr const value_info& i = info(V);
        const std::uint8_t off = shape_.offset[i.bit];
        if (off == trace_shape::absent) return std::nullopt;
        return static_cast<value_t<V>>(load_be<i.width>(bytes_.data() + off + i.offset));
    }
    /// True when the value is present and holds its "unavailable" pattern.
    [[nodiscard]] constexpr bool unavailable(value_id v) const noexcept {
        auto x = raw(v);
        return x && is_unavailable(v, *x);
    }
    /// A value with its metadata, or nullopt when absent.
    [[nodiscard]] constexpr std::optional<field_value> value(value_id v) const noexcept {
        auto x = raw(v);
        if (!x) return std::nullopt;
        const auto& i = info(v);
        return field_value{v, i.bit, i.width, is_unavailable(v, *x), *x, i.name};
    }
    /// The opaque state snapshot, or nullopt without bit 22.
    [[nodiscard]] constexpr std::optional<opaque_snapshot> opaque() const noexcept {
        if (!shape_.opaque) return std::nullopt;
        const std::byte* p = bytes_.data() + shape_.fixed_size();
        return opaque_snapshot{load_be24(p + 1), bytes_.subspan(shape_.fixed_size() + 4)};
    }

    /// Calls f(field_value) for every value present, in wire order.
    template <class F>
    constexpr void for_each_value(F&& f) const {
        for (const auto& i : value_table) {
            const std::uint8_t off = shape_.offset[i.bit];
            if (off == trace_shape::absent) continue;
            const std::uint64_t x = load_be_n(bytes_.data() + off + i.offset, i.width);
            f(field_value{i.id, i.bit, i.width, is_unavailable(i.id, x), x, i.name});
        }
    }

    /// Iteration over the values present: for (field_value f : node.values()).
    [[nodiscard]] constexpr node_value_range values() const noexcept;

private:
    trace_shape shape_{};
    bytes_view bytes_{};
};

/// The values a node carries, in wire order (see node_view::values()).
class node_value_range {
public:
    class iterator {
    public:
        using value_type = field_value;
        using difference_type = std::ptrdiff_t;
        constexpr iterator() noexcept = default;
        constexpr iterator(const node_view* n, std::size_t i) noexcept : n_(n), i_(i) { skip(); }
        [[nodiscard]] constexpr field_value operator*() const noexcept { return *n_->value(value_table[i_].id); }
        constexpr iterator& operator++() noexcept {
            ++i_;
            skip();
            return *this;
        }
        constexpr iterator operator++(int) noexcept {
            iterator t = *this;
            ++*this;
            return t;
        }
        friend constexpr bool operator==(const iterator& a, const iterator& b) noexcept { return a.i_ == b.i_; }

    private:
        constexpr void skip() noexcept {
            while (i_ < value_table.size() && !n_->has(value_table[i_].id)) ++i_;
        }
        const node_view* n_ = nullptr;
        std::size_t i_ = 0;
    };
    constexpr explicit node_value_range(const node_view& n) noexcept : n_(n) {}
    [[nodiscard]] constexpr iterator begin() const noexcept { return {&n_, 0}; }
    [[nodiscard]] constexpr iterator end() const noexcept { return {&n_, value_table.size()}; }

private:
    node_view n_;
};

constexpr node_value_range node_view::values() const noexcept { return node_value_range(*this); }

/// The nodes of a trace, most recent first (node data [0] of RFC 9197 4.4.1
/// is the last one written, at the lowest address). Decoding validates the
/// whole list once; iteration is then unchecked. Borrows the buffer.
class node_list {
public:
    constexpr node_list() noexcept = default;

    /// Walks data: nodes must tile it exactly. base is the offset of data[0]
    /// in the caller's buffer, for error offsets.
    [[nodiscard]] static constexpr result<node_list> decode(const trace_shape& s, bytes_view data,
                                                             std::size_t base = 0) noexcept {
        node_list l;
        l.shape_ = s;
        l.data_ = data;
        const std::size_t fixed = s.fixed_size();
        if (!s.opaque) {
            if (fixed == 0) return error{errc::bad_node_len, base};
            if (data.size() % fixed != 0) return error{errc::truncated, base + data.size() - data.size() % fixed};
            l.count_ = data.size() / fixed;
            return l;
        }
        std::size_t pos = 0;
        while (pos < data.size()) {
            if (data.size() - pos < fixed + 4) return error{errc::truncated, base + pos};
            const std::size_t len = std::size_t{load_u8(data.data() + pos + fixed)} * 4;
            if (data.size() - pos - fixed - 4 < len) return error{errc::length_past_end, base + pos + fixed};
            pos += fixed + 4 + len;
            ++l.count_;
        }
        return l;
    }

    [[nodiscard]] constexpr const trace_shape& shape() const noexcept { return shape_; }
    [[nodiscard]] constexpr std::size_t size() const noexcept { return count_; }
    [[nodiscard]] constexpr bool empty() const noexcept { return count_ == 0; }
    [[nodiscard]] constexpr bytes_view bytes() const noexcept { return data_; }

    // A node: the shape's fixed size, plus the opaque state snapshot when
    // the shape has one (its length in 4-octet words in its first octet).
    struct framing {
        trace_shape shape{};
        bytes_view data{};
        [[nodiscard]] constexpr std::size_t size(std::size_t pos) const noexcept {
            std::size_t n = shape.fixed_size();
            if (shape.opaque) n += 4 + std::size_t{load_u8(data.data() + pos + n)} * 4;
            return n;
        }
        [[nodiscard]] constexpr node_view at(std::size_t pos) const noexcept {
            return {shape, data.subspan(pos, size(pos))};
        }
        [[nodiscard]] constexpr std::size_t next(std::size_t pos) const noexcept { return pos + size(pos); }
    };
    using iterator = ioam::detail::framed_iterator<framing>;
    [[nodiscard]] constexpr iterator begin() const noexcept { return {framing{shape_, data_}, 0}; }
    [[nodiscard]] constexpr iterator end() const noexcept { return {framing{shape_, data_}, data_.size()}; }

    /// The i-th node (0 = most recent). O(1) without a snapshot, O(i) with one.
    [[nodiscard]] constexpr node_view operator[](std::size_t i) const noexcept {
        if (!shape_.opaque) return {shape_, data_.subspan(i * shape_.fixed_size(), shape_.fixed_size())};
        auto it = begin();
        while (i-- > 0) ++it;
        return *it;
    }

private:
    trace_shape shape_{};
    bytes_view data_{};
    std::size_t count_ = 0;
};

/// Values to write into one node (encoders, tests, the injector). Values the
/// shape does not carry are ignored; an absent snapshot writes Length 0.
struct node_data {
    std::array<std::uint64_t, value_count> v{};
    std::uint32_t schema_id = no_schema;
    bytes_view snapshot{};  ///< a multiple of 4 octets, at most 255 * 4

    constexpr node_data& set(value_id id, std::uint64_t x) noexcept {
        v[static_cast<std::size_t>(id)] = x;
        return *this;
    }
    [[nodiscard]] constexpr std::uint64_t get(value_id id) const noexcept { return v[static_cast<std::size_t>(id)]; }
};

/// Octets one node of this shape takes with this data.
[[nodiscard]] constexpr std::size_t encoded_size(const trace_shape& s, const node_data& d) noexcept {
    return s.fixed_size() + (s.opaque ? 4 + d.snapshot.size() : 0);
}

/// Writes one node. Returns the octets written; errc::no_room when out is too
/// small, errc::value_out_of_range for a bad snapshot length or schema id.
[[nodiscard]] constexpr result<std::size_t> encode_node(const trace_shape& s, const node_data& d,
                                                         bytes_span out) noexcept {
    if (s.opaque && (d.snapshot.size() % 4 != 0 || d.snapshot.size() > 255 * 4 || d.schema_id > 0xffffffU))
        return error{errc::value_out_of_range, 0};
    const std::size_t n = encoded_size(s, d);
    if (out.size() < n) return error{errc::no_room, 0};
    for (const auto& i : value_table) {
        const std::uint8_t off = s.offset[i.bit];
        if (off != trace_shape::absent) store_be_n(out.data() + off + i.offset, d.v[static_cast<std::size_t>(i.id)], i.width);
    }
    if (s.opaque) {
        std::byte* p = out.data() + s.fixed_size();
        store_u8(p, static_cast<std::uint8_t>(d.snapshot.size() / 4));
        store_be24(p + 1, d.schema_id);
        for (std::size_t k = 0; k < d.snapshot.size(); ++k) p[4 + k] = d.snapshot[k];
    }
    return n;
}

}  // namespace ioam::trace
