// Records of compile-time templates: template records, data records, and
// zero-copy record views read through get<Ie>(record) (RFC 7011 3.4).
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <tuple>
#include <type_traits>
#include <utility>

#include "ioam/core/buffer.hpp"
#include "ioam/core/error.hpp"
#include "ioam/ipfix/detail/aggregate.hpp"
#include "ioam/ipfix/field.hpp"
#include "ioam/ipfix/template.hpp"

namespace ioam::ipfix {

// ---- template records -----------------------------------------------------
//  0                   1                   2                   3
//  +-------------------------------+-------------------------------+
//  |      Template ID (> 255)      |          Field Count          |
//  +-------------------------------+-------------------------------+
//  | [Scope Field Count, options templates only]                   |
//  +-+-----------------------------+-------------------------------+
//  |E| Information Element id     |         Field Length          |
//  +-+-----------------------------+-------------------------------+
//  |        Enterprise Number (only when E = 1)                    |
//  +---------------------------------------------------------------+

/// Writes one field specifier (RFC 7011 3.2).
constexpr void put_field_spec(byte_writer& w, const field_spec& f) noexcept {
    w.put_be16(static_cast<std::uint16_t>(f.id | (f.enterprise ? 0x8000U : 0U)));
    w.put_be16(f.length);
    if (f.enterprise) w.put_be32(f.enterprise);
}

/// Writes the template record of T (without the set header).
template <compile_time_template T>
constexpr result<void> encode_template_record(byte_writer& w) noexcept {
    const std::size_t start = w.size();
    w.put_be16(T::id);
    w.put_be16(static_cast<std::uint16_t>(T::field_count));
    if constexpr (T::is_options) w.put_be16(static_cast<std::uint16_t>(T::scope_count));
    for (const field_spec& f : T::fields) put_field_spec(w, f);
    if (!w.ok()) {
        w.rewind(start);
        return error{errc::no_room, start};
    }
    return {};
}

// ---- data records ----------------------------------------------------------

/// Options for writing variable-length fields.
struct record_options {
    bool long_varlen = false;  ///< always use the 3-octet length prefix (RFC 7011 7)
};

namespace detail {
template <class T, std::size_t I, class V>
constexpr errc put_field(byte_writer& w, const V& value, const record_options& opt) noexcept {
    constexpr field_spec f = T::fields[I];
    using Val = field_value_t<T, I>;
    const Val v = static_cast<Val>(value);
    if constexpr (f.length == variable_length) {
        const std::size_t n = value_size(v);
        if (n > 0xffff) return errc::value_out_of_range;
        put_varlen_prefix(w, n, opt.long_varlen);
        if (std::byte* p = w.reserve(n)) return encode_value<f.type>(bytes_span{p, n}, v);
        return errc::no_room;
    } else {
        if (std::byte* p = w.reserve(f.length)) return encode_value<f.type>(bytes_span{p, f.length}, v);
        return errc::no_room;
    }
}
// A fixed-size record is reserved once and its fields written at constant
// offsets: no per-field bounds check, and the writer's state is not reloaded
// after every store (byte stores may alias it).
//
// An integer of 3, 5, 6 or 7 octets is written as one 4- or 8-octet store
// ending with the field (its value big-endian, zeros or sign above it) when
// the record holds that many octets up to the field's end: the store
// covers the end of the fields before it, so the fields are written last
// to first and each of those is written after the store that covered it.
// Every store stays inside the record.
template <class T, std::size_t I>
constexpr std::size_t window_store() noexcept {
    constexpr field_spec f = T::fields[I];
    if constexpr (!is_unsigned(f.type) && !is_signed(f.type)) {
        return 0;
    } else {
        constexpr std::size_t w = f.length == 3 ? 4 : f.length > 4 && f.length < 8 ? 8 : 0;
        return w != 0 && T::static_offsets[I] + f.length >= w ? w : 0;
    }
}
// The low W (4 or 8) octets of v, big-endian, as one store (g++ 12 splits
// the byte loop of store_be when it knows the top octet is zero).
template <std::size_t W>
constexpr void store_window(std::byte* p, std::uint64_t v) noexcept {
#if defined(__GNUC__) || defined(__clang__)
    if (!std::is_constant_evaluated() && std::endian::native == std::endian::little) {
        if constexpr (W == 4) {
            const std::uint32_t x = __builtin_bswap32(static_cast<std::uint32_t>(v));
            std::memcpy(p, &x, 4);
        } else {
            const std::uint64_t x = __builtin_bswap64(v);
            std::memcpy(p, &x, 8);
        }
        return;
    }
#endif
    store_be<W>(p, v);
}
template <class T, std::size_t I, class V>
constexpr errc put_fixed_field(std::byte* rec, const V& value) noexcept {
    constexpr field_spec f = T::fields[I];
    using Val = field_value_t<T, I>;
    if constexpr (constexpr std::size_t w = window_store<T, I>(); w != 0) {
        const Val v = static_cast<Val>(value);
        std::uint64_t bits;
        if constexpr (is_unsigned(f.type)) {
            if (!detail::fits_unsigned(v, f.length)) return errc::value_out_of_range;
            bits = v;
        } else {
            if (!detail::fits_signed(v, f.length)) return errc::value_out_of_range;
            bits = static_cast<std::uint64_t>(static_cast<std::int64_t>(v));
        }
        store_window<w>(rec + T::static_offsets[I] + f.length - w, bits);
        return errc::ok;
    } else {
        return encode_value<f.type>(bytes_span{rec + T::static_offsets[I], f.length}, static_cast<Val>(value));
    }
}
/// Writes the fields of a fixed-size record of T into `rec` (T::record_size
/// octets), last to first; the first error stops it (the caller drops the record).
template <class T, class Tuple, std::size_t... I>
constexpr errc put_fixed_fields(std::byte* rec, const Tuple& t, std::index_sequence<I...>) noexcept {
    constexpr std::size_t last = sizeof...(I) - 1;
    errc e = errc::ok;
    ((e == errc::ok ? (e = put_fixed_field<T, last - I>(rec, std::get<last - I>(t)), 0) : 0), ...);
    return e;
}
/// A tuple of a record's values: the tuple itself, or an aggregate's members.
template <class T, class Values>
constexpr decltype(auto) record_values(const Values& v) noexcept {
    if constexpr (tuple_like<Values>) {
        static_assert(std::tuple_size<std::remove_cvref_t<Values>>::value == T::field_count,
                      "ioam: one value per template field");
        return (v);
    } else {
        static_assert(std::is_aggregate_v<Values>, "ioam: a record's values are a tuple or an aggregate");
        static_assert(detail::field_count<Values>() == T::field_count,
                      "ioam: the aggregate needs one member per template field, in template order (RFC 7011 3.4.3)");
        return tie_members(v);
    }
}
template <class T, class Tuple, std::size_t... I>
constexpr result<void> put_fields(byte_writer& w, const Tuple& t, const record_options& opt,
                                  std::index_sequence<I...> seq) noexcept {
    const std::size_t start = w.size();
    errc e = errc::ok;
    if constexpr (T::is_fixed_size) {
        (void)opt;
        std::byte* rec = w.reserve(T::record_size);
        if (!rec) e = errc::no_room;
        else e = put_fixed_fields<T>(rec, t, seq);
    } else {
        ((e == errc::ok ? (e = put_field<T, I>(w, std::get<I>(t), opt), 0) : 0), ...);
    }
    if (e == errc::ok && !w.ok()) e = errc::no_room;
    if (e != errc::ok) {
        w.rewind(start);  // never leave half a record behind
        return error{e, start};
    }
    return {};
}
}  // namespace detail

/// Writes one data record of T from a tuple of its values (T::values, or any
/// tuple whose elements convert to them). A value that does not fit a reduced
/// size is errc::value_out_of_range; nothing is written on error.
template <compile_time_template T, class Tuple>
    requires(std::tuple_size<std::remove_cvref_t<Tuple>>::value == T::field_count)
constexpr result<void> encode_record(byte_writer& w, const Tuple& values, record_options opt = {}) noexcept {
    return detail::put_fields<T>(w, values, opt, std::make_index_sequence<T::field_count>{});
}

/// Writes one data record of T from an aggregate whose members are the field
/// values in template order.
template <compile_time_template T, class Agg>
    requires(std::is_aggregate_v<Agg> && !detail::tuple_like<Agg>)
constexpr result<void> encode_record(byte_writer& w, const Agg& values, record_options opt = {}) noexcept {
    static_assert(detail::field_count<Agg>() == T::field_count,
                  "ioam: the aggregate needs one member per template field, in template order (RFC 7011 3.4.3)");
    return encode_record<T>(w, detail::tie_members(values), opt);
}

// ---- record views -----------------------------------------------------------

/// A data record of template T. Borrows the message buffer: valid only while
/// that buffer is. Made by decode_record() or by iterating a data set.
template <compile_time_template T>
class record_view {
public:
    constexpr record_view() noexcept = default;

    [[nodiscard]] constexpr bytes_view bytes() const noexcept { return {data_, size_}; }
    [[nodiscard]] constexpr std::size_t size() const noexcept { return size_; }

    /// The bytes of field I (without a variable-length prefix).
    template <std::size_t I>
    [[nodiscard]] constexpr bytes_view field_bytes() const noexcept {
        constexpr field_spec f = T::fields[I];
        if constexpr (T::is_fixed_size) {
            return {data_ + T::static_offsets[I], f.length};
        } else {
            return {data_ + offsets_[I], lengths_[I]};
        }
    }
    /// The decoded value of field I.
    template <std::size_t I>
    [[nodiscard]] constexpr field_value_t<T, I> field() const noexcept {
        return decode_value<T::fields[I].type>(field_bytes<I>());
    }

private:
    template <compile_time_template U>
    friend constexpr result<record_view<U>> decode_record(bytes_view, std::size_t) noexcept;

    struct no_offsets {};
    using offsets_t = std::conditional_t<T::is_fixed_size, no_offsets, std::array<std::uint16_t, T::field_count>>;

    const std::byte* data_ = nullptr;
    std::size_t size_ = 0;
    [[no_unique_address]] offsets_t offsets_{};
    [[no_unique_address]] offsets_t lengths_{};
};

/// Reads one record of T from the start of `in` (which may hold more). Every
/// variable length is checked against `in`; `base` is added to error offsets.
template <compile_time_template T>
[[nodiscard]] constexpr result<record_view<T>> decode_record(bytes_view in, std::size_t base = 0) noexcept {
    record_view<T> r;
    r.data_ = in.data();
    if constexpr (T::is_fixed_size) {
        if (in.size() < T::record_size) return error{errc::truncated, base};
        r.size_ = T::record_size;
    } else {
        std::size_t pos = 0;
        for (std::size_t i = 0; i < T::field_count; ++i) {
            const std::uint16_t len = T::fields[i].length;
            // A record fits in a message (RFC 7011 3.1: 16-bit Message Length);
            // offsets are kept in 16 bits, so refuse a longer one.
            if (pos > 0xffff - 3) return error{errc::length_past_end, base + pos};
            if (len == variable_length) {
                auto v = read_varlen(in, pos);
                if (!v) return error{v.code(), base + v.offset()};
                r.offsets_[i] = static_cast<std::uint16_t>(v->value_offset);
                r.lengths_[i] = static_cast<std::uint16_t>(v->size);
                pos = v->value_offset + v->size;
            } else {
                if (in.size() - pos < len) return error{errc::truncated, base + pos};
                r.offsets_[i] = static_cast<std::uint16_t>(pos);
                r.lengths_[i] = len;
                pos += len;
            }
        }
        r.size_ = pos;
    }
    return r;
}

/// The value of information element Ie in a record (RFC 7011 3.4.3).
template <information_element Ie, compile_time_template T>
[[nodiscard]] constexpr auto get(const record_view<T>& r) noexcept {
    static_assert(T::template contains<Ie>,
                  "ioam: get<Ie>: this information element is not in the record's template");
    return r.template field<T::template index_of<Ie>()>();
}
/// The value of the I-th field of a record.
template <std::size_t I, compile_time_template T>
[[nodiscard]] constexpr auto get(const record_view<T>& r) noexcept {
    static_assert(I < T::field_count, "ioam: get<I>: field index past the template's field count");
    return r.template field<I>();
}

/// All values of a record, in template order.
template <compile_time_template T>
[[nodiscard]] constexpr typename T::values to_values(const record_view<T>& r) noexcept {
    return [&]<std::size_t... I>(std::index_sequence<I...>) {
        return typename T::values{r.template field<I>()...};
    }(std::make_index_sequence<T::field_count>{});
}

}  // namespace ioam::ipfix
