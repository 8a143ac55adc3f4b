// Big-endian loads and stores of 1 to 8 octets (IPFIX and IOAM are network
// order; IOAM has 24- and 56-bit fields, RFC 9197 4.4.2).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <array>
#include <bit>

namespace ioam {

/// A read-only byte range. Views built on it borrow the bytes: they stay valid
/// only as long as the buffer they were made from.
using bytes_view = std::span<const std::byte>;
/// A writable byte range owned by the caller.
using bytes_span = std::span<std::byte>;

/// Reads an N-octet big-endian unsigned integer (1 <= N <= 8).
template <std::size_t N>
[[nodiscard]] constexpr std::uint64_t load_be(const std::byte* p) noexcept {
    static_assert(N >= 1 && N <= 8, "ioam: load_be reads 1 to 8 octets");
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < N; ++i) v = (v << 8) | std::to_integer<std::uint64_t>(p[i]);
    return v;
}

/// Writes the low N octets of v big-endian (1 <= N <= 8).
template <std::size_t N>
constexpr void store_be(std::byte* p, std::uint64_t v) noexcept {
    static_assert(N >= 1 && N <= 8, "ioam: store_be writes 1 to 8 octets");
    for (std::size_t i = N; i-- > 0;) {
        p[i] = static_cast<std::byte>(v & 0xffU);
        v >>= 8;
    }
}

/// Run-time width (1 to 8) variants, for templates that arrive on the wire.
[[nodiscard]] constexpr std::uint64_t load_be_n(const std::byte* p, std::size_t n) noexcept {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i) v = (v << 8) | std::to_integer<std::uint64_t>(p[i]);
    return v;
}
constexpr void store_be_n(std::byte* p, std::uint64_t v, std::size_t n) noexcept {
    for (std::size_t i = n; i-- > 0;) {
        p[i] = static_cast<std::byte>(v & 0xffU);
        v >>= 8;
    }
}

[[nodiscard]] constexpr std::uint8_t load_u8(const std::byte* p) noexcept { return static_cast<std::uint8_t>(load_be<1>(p)); }
[[nodiscard]] constexpr std::uint16_t load_be16(const std::byte* p) noexcept { return static_cast<std::uint16_t>(load_be<2>(p)); }
[[nodiscard]] constexpr std::uint32_t load_be24(const std::byte* p) noexcept { return static_cast<std::uint32_t>(load_be<3>(p)); }
[[nodiscard]] constexpr std::uint32_t load_be32(const std::byte* p) noexcept { return static_cast<std::uint32_t>(load_be<4>(p)); }
[[nodiscard]] constexpr std::uint64_t load_be56(const std::byte* p) noexcept { return load_be<7>(p); }
[[nodiscard]] constexpr std::uint64_t load_be64(const std::byte* p) noexcept { return load_be<8>(p); }

constexpr void store_u8(std::byte* p, std::uint8_t v) noexcept { store_be<1>(p, v); }
constexpr void store_be16(std::byte* p, std::uint16_t v) noexcept { store_be<2>(p, v); }
constexpr void store_be24(std::byte* p, std::uint32_t v) noexcept { store_be<3>(p, v); }
constexpr void store_be32(std::byte* p, std::uint32_t v) noexcept { store_be<4>(p, v); }
constexpr void store_be56(std::byte* p, std::uint64_t v) noexcept { store_be<7>(p, v); }
constexpr void store_be64(std::byte* p, std::uint64_t v) noexcept { store_be<8>(p, v); }

/// Host-order loads and stores (netlink headers and the few kernel attributes
/// written in host order), usable in constant expressions.
[[nodiscard]] constexpr std::uint64_t load_host_n(const std::byte* p, std::size_t n) noexcept {
    if constexpr (std::endian::native == std::endian::little) {
        std::uint64_t v = 0;
        for (std::size_t i = n; i-- > 0;) v = (v << 8) | std::to_integer<std::uint64_t>(p[i]);
        return v;
    } else {
        return load_be_n(p, n);
    }
}
constexpr void store_host_n(std::byte* p, std::uint64_t v, std::size_t n) noexcept {
    if constexpr (std::endian::native == std::endian::little) {
        for (std::size_t i = 0; i < n; ++i, v >>= 8) p[i] = static_cast<std::byte>(v & 0xffU);
    } else {
        store_be_n(p, v, n);
    }
}

/// Builds a byte array from integer literals, for tests and constant data.
template <class... T>
[[nodiscard]] constexpr auto make_bytes(T... v) noexcept {
    return std::array<std::byte, sizeof...(T)>{static_cast<std::byte>(v)...};
}

}  // namespace ioam
