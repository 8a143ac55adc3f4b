// Field codecs: one encoder and one decoder per RFC 7012 abstract data type,
// shared by compile-time templates and templates received at run time.
// Reduced-size encoding follows RFC 7011 6.2; variable-length fields RFC 7011 7.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>

#include "ioam/core/buffer.hpp"
#include "ioam/core/bytes.hpp"
#include "ioam/core/error.hpp"
#include "ioam/ipfix/types.hpp"

namespace ioam::ipfix {

/// The C++ value type of each abstract data type.
template <data_type T> struct value_of { using type = octet_array_view; };
template <> struct value_of<data_type::unsigned8> { using type = std::uint8_t; };
template <> struct value_of<data_type::unsigned16> { using type = std::uint16_t; };
template <> struct value_of<data_type::unsigned32> { using type = std::uint32_t; };
template <> struct value_of<data_type::unsigned64> { using type = std::uint64_t; };
template <> struct value_of<data_type::signed8> { using type = std::int8_t; };
template <> struct value_of<data_type::signed16> { using type = std::int16_t; };
template <> struct value_of<data_type::signed32> { using type = std::int32_t; };
template <> struct value_of<data_type::signed64> { using type = std::int64_t; };
template <> struct value_of<data_type::float32> { using type = float; };
template <> struct value_of<data_type::float64> { using type = double; };
template <> struct value_of<data_type::boolean> { using type = boolean; };
template <> struct value_of<data_type::macAddress> { using type = mac_address; };
template <> struct value_of<data_type::string> { using type = std::string_view; };
template <> struct value_of<data_type::dateTimeSeconds> { using type = date_time_seconds; };
template <> struct value_of<data_type::dateTimeMilliseconds> { using type = date_time_milliseconds; };
template <> struct value_of<data_type::dateTimeMicroseconds> { using type = date_time_microseconds; };
template <> struct value_of<data_type::dateTimeNanoseconds> { using type = date_time_nanoseconds; };
template <> struct value_of<data_type::ipv4Address> { using type = ipv4_address; };
template <> struct value_of<data_type::ipv6Address> { using type = ipv6_address; };
// octetArray and the RFC 6313 lists decode to the raw bytes (lists: see list.hpp).
template <data_type T> using value_t = typename value_of<T>::type;

namespace detail {
[[nodiscard]] constexpr std::int64_t sign_extend(std::uint64_t v, std::size_t len) noexcept {
    if (len >= 8) return static_cast<std::int64_t>(v);
    const std::uint64_t sign = 1ULL << (8 * len - 1);
    return static_cast<std::int64_t>((v ^ sign) - sign);
}
[[nodiscard]] constexpr bool fits_unsigned(std::uint64_t v, std::size_t len) noexcept {
    return len >= 8 || (v >> (8 * len)) == 0;
}
[[nodiscard]] constexpr bool fits_signed(std::int64_t v, std::size_t len) noexcept {
    if (len >= 8) return true;
    const std::int64_t lim = std::int64_t{1} << (8 * len - 1);
    return v >= -lim && v < lim;
}
/// Copies N octets: one memcpy at run time (g++ 12 leaves the loop as N
/// byte moves), the loop in constant expressions.
template <std::size_t N>
constexpr void copy_octets(std::byte* to, const std::byte* from) noexcept {
    if (std::is_constant_evaluated()) {
        for (std::size_t i = 0; i < N; ++i) to[i] = from[i];
    } else {
        std::memcpy(to, from, N);
    }
}
template <std::size_t N>
[[nodiscard]] constexpr address<N> load_address(const std::byte* p) noexcept {
    address<N> a;
    for (std::size_t i = 0; i < N; ++i) a.bytes[i] = p[i];  // (a memcpy here costs a reader that folds the
    return a;                                              //  octets into an integer 27 more instructions)
}
/// load_be_n for a width known only at run time, with the common widths as
/// constant-size loads (a single byte swap each) instead of a byte loop.
[[nodiscard]] constexpr std::uint64_t load_be_var(const std::byte* p, std::size_t n) noexcept {
    switch (n) {
    case 1: return load_be<1>(p);
    case 2: return load_be<2>(p);
    case 4: return load_be<4>(p);
    case 8: return load_be<8>(p);
    default: return load_be_n(p, n);
    }
}
// string_view over wire bytes: not a constant expression (reinterpret_cast).
[[nodiscard]] inline std::string_view as_chars(bytes_view b) noexcept {
    return {reinterpret_cast<const char*>(b.data()), b.size()};
}
}  // namespace detail

/// Decodes a field of type T from exactly `b.size()` octets. The length must
/// already be valid for T (valid_length); views borrow `b`.
template <data_type T>
[[nodiscard]] constexpr value_t<T> decode_value(bytes_view b) noexcept {
    const std::byte* p = b.data();
    const std::size_t n = b.size();
    using V = value_t<T>;
    if constexpr (is_unsigned(T)) {
        return static_cast<V>(detail::load_be_var(p, n));
    } else if constexpr (is_signed(T)) {
        return static_cast<V>(detail::sign_extend(detail::load_be_var(p, n), n));
    } else if constexpr (T == data_type::float32) {
        return std::bit_cast<float>(static_cast<std::uint32_t>(load_be<4>(p)));
    } else if constexpr (T == data_type::float64) {
        if (n == 4) return static_cast<double>(std::bit_cast<float>(static_cast<std::uint32_t>(load_be<4>(p))));
        return std::bit_cast<double>(load_be<8>(p));
    } else if constexpr (T == data_type::boolean) {
        return boolean::from_wire(load_u8(p));
    } else if constexpr (T == data_type::macAddress) {
        return detail::load_address<6>(p);
    } else if constexpr (T == data_type::ipv4Address) {
        return detail::load_address<4>(p);
    } else if constexpr (T == data_type::ipv6Address) {
        return detail::load_address<16>(p);
    } else if constexpr (T == data_type::dateTimeSeconds) {
        return date_time_seconds{load_be32(p)};
    } else if constexpr (T == data_type::dateTimeMilliseconds) {
        return date_time_milliseconds{load_be64(p)};
    } else if constexpr (T == data_type::dateTimeMicroseconds || T == data_type::dateTimeNanoseconds) {
        V v;
        v.seconds = load_be32(p);
        v.fraction = load_be32(p + 4);
        return v;
    } else if constexpr (T == data_type::string) {
        return detail::as_chars(b);
    } else {
        return b;  // octetArray, basicList, subTemplateList, subTemplateMultiList
    }
}

/// Encodes a fixed-length field of type T into exactly `out.size()` octets.
/// Returns errc::value_out_of_range when the value does not fit a reduced
/// size (RFC 7011 6.2) or a fixed-length octetArray/string has another size.
template <data_type T>
[[nodiscard]] constexpr errc encode_value(bytes_span out, const value_t<T>& v) noexcept {
    std::byte* p = out.data();
    const std::size_t n = out.size();
    if constexpr (is_unsigned(T)) {
        if (!detail::fits_unsigned(v, n)) return errc::value_out_of_range;
        store_be_n(p, v, n);
    } else if constexpr (is_signed(T)) {
        if (!detail::fits_signed(v, n)) return errc::value_out_of_range;
        store_be_n(p, static_cast<std::uint64_t>(static_cast<std::int64_t>(v)), n);
    } else if constexpr (T == data_type::float32) {
        store_be<4>(p, std::bit_cast<std::uint32_t>(v));
    } else if constexpr (T == data_type::float64) {
        if (n == 4) store_be<4>(p, std::bit_cast<std::uint32_t>(static_cast<float>(v)));
        else store_be<8>(p, std::bit_cast<std::uint64_t>(v));
    } else if constexpr (T == data_type::boolean) {
        store_u8(p, v.raw);
    } else if constexpr (T == data_type::macAddress || T == data_type::ipv4Address ||
                         T == data_type::ipv6Address) {
        detail::copy_octets<std::tuple_size_v<decltype(v.bytes)>>(p, v.bytes.data());
    } else if constexpr (T == data_type::dateTimeSeconds) {
        store_be32(p, v.seconds);
    } else if constexpr (T == data_type::dateTimeMilliseconds) {
        store_be64(p, v.milliseconds);
    } else if constexpr (T == data_type::dateTimeMicroseconds) {
        store_be32(p, v.seconds);
        store_be32(p + 4, v.fraction & ~0x7ffU);  // RFC 7011 6.1.9: low 11 bits zero
    } else if constexpr (T == data_type::dateTimeNanoseconds) {
        store_be32(p, v.seconds);
        store_be32(p + 4, v.fraction);
    } else if constexpr (T == data_type::string) {
        if (v.size() != n) return errc::value_out_of_range;
        for (std::size_t i = 0; i < n; ++i) p[i] = static_cast<std::byte>(v[i]);
    } else {
        if (v.size() != n) return errc::value_out_of_range;
        for (std::size_t i = 0; i < n; ++i) p[i] = v[i];
    }
    return errc::ok;
}

/// Size in octets of a variable-length field's value (strings, arrays, lists).
template <class V>
[[nodiscard]] constexpr std::size_t value_size(const V& v) noexcept {
    return v.size();
}

// ---- variable-length prefix (RFC 7011 7) ----------------------------------
//   length < 255:  | len (1) | value ... |
//   otherwise:     | 255 (1) | len (2)  | value ... |

/// Writes the length prefix; `force_long` always uses the 3-octet form.
constexpr void put_varlen_prefix(byte_writer& w, std::size_t len, bool force_long = false) noexcept {
    if (len < 255 && !force_long) {
        w.put_u8(static_cast<std::uint8_t>(len));
    } else {
        w.put_u8(255);
        w.put_be16(static_cast<std::uint16_t>(len));
    }
}
[[nodiscard]] constexpr std::size_t varlen_prefix_size(std::size_t len, bool force_long = false) noexcept {
    return (len < 255 && !force_long) ? 1 : 3;
}

/// Reads a variable-length field at `pos` within `rec`: sets value offset and
/// size, or returns the error (truncated prefix, length past the end).
struct varlen_field {
    std::size_t value_offset;
    std::size_t size;
};
[[nodiscard]] constexpr result<varlen_field> read_varlen(bytes_view rec, std::size_t pos) noexcept {
    if (pos >= rec.size()) return error{errc::truncated, pos};
    std::size_t len = load_u8(rec.data() + pos);
    std::size_t off = pos + 1;
    if (len == 255) {
        if (off + 2 > rec.size()) return error{errc::truncated, pos};
        len = load_be16(rec.data() + off);
        off += 2;
    }
    if (len > rec.size() - off) return error{errc::length_past_end, pos};
    return varlen_field{off, len};
}

}  // namespace ioam::ipfix
