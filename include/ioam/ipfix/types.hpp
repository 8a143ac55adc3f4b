// RFC 7012 abstract data types, each mapped once to a C++ value type.
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace ioam::ipfix {

/// Abstract data types, numbered as in IANA's "IPFIX Information Element Data
/// Types" registry (RFC 7012 3.1, RFC 5610 3.1).
enum class data_type : std::uint8_t {
    octetArray = 0,
    unsigned8 = 1,
    unsigned16 = 2,
    unsigned32 = 3,
    unsigned64 = 4,
    signed8 = 5,
    signed16 = 6,
    signed32 = 7,
    signed64 = 8,
    float32 = 9,
    float64 = 10,
    boolean = 11,
    macAddress = 12,
    string = 13,
    dateTimeSeconds = 14,
    dateTimeMilliseconds = 15,
    dateTimeMicroseconds = 16,
    dateTimeNanoseconds = 17,
    ipv4Address = 18,
    ipv6Address = 19,
    basicList = 20,
    subTemplateList = 21,
    subTemplateMultiList = 22,
};

/// Data type semantics, numbered as in IANA's registry (RFC 7012 3.2, RFC 5610 3.2).
enum class data_semantics : std::uint8_t {
    default_ = 0,
    quantity = 1,
    totalCounter = 2,
    deltaCounter = 3,
    identifier = 4,
    flags = 5,
    list = 6,
    snmpCounter = 7,
    snmpGauge = 8,
    unassigned = 255,
};

/// RFC 7011 7: a length of 65535 in a template marks a variable-length field.
inline constexpr std::uint16_t variable_length = 0xffff;

/// Natural wire length of a type (variable_length for strings, arrays, lists).
[[nodiscard]] constexpr std::uint16_t natural_length(data_type t) noexcept {
    switch (t) {
    case data_type::unsigned8: case data_type::signed8: case data_type::boolean: return 1;
    case data_type::unsigned16: case data_type::signed16: return 2;
    case data_type::unsigned32: case data_type::signed32: case data_type::float32:
    case data_type::dateTimeSeconds: case data_type::ipv4Address: return 4;
    case data_type::unsigned64: case data_type::signed64: case data_type::float64:
    case data_type::dateTimeMilliseconds: case data_type::dateTimeMicroseconds:
    case data_type::dateTimeNanoseconds: return 8;
    case data_type::macAddress: return 6;
    case data_type::ipv6Address: return 16;
    case data_type::octetArray: case data_type::string: case data_type::basicList:
    case data_type::subTemplateList: case data_type::subTemplateMultiList: return variable_length;
    }
    return variable_length;
}

[[nodiscard]] constexpr bool is_unsigned(data_type t) noexcept {
    return t >= data_type::unsigned8 && t <= data_type::unsigned64;
}
[[nodiscard]] constexpr bool is_signed(data_type t) noexcept {
    return t >= data_type::signed8 && t <= data_type::signed64;
}
[[nodiscard]] constexpr bool is_list(data_type t) noexcept {
    return t >= data_type::basicList && t <= data_type::subTemplateMultiList;
}

/// Whether `len` is a legal encoded length for type t (RFC 7011 6.2: reduced
/// size only for unsigned, signed and float64; float64 may shrink to 4).
[[nodiscard]] constexpr bool valid_length(data_type t, std::uint16_t len) noexcept {
    const std::uint16_t nat = natural_length(t);
    if (len == 0) return false;  // a zero-length field would allow zero-length records
    if (len == variable_length)
        return nat == variable_length;  // only variable types may be variable
    if (nat == variable_length) return true;  // fixed length for an octetArray/string/list
    if (is_unsigned(t) || is_signed(t)) return len >= 1 && len <= nat;
    if (t == data_type::float64) return len == 4 || len == 8;
    return len == nat;
}

// ---- value types -----------------------------------------------------------

/// boolean (RFC 7011 6.1.5): 1 is true, 2 is false; other values are invalid.
struct boolean {
    std::uint8_t raw = 2;
    constexpr boolean() noexcept = default;
    constexpr boolean(bool b) noexcept : raw(b ? 1 : 2) {}
    constexpr static boolean from_wire(std::uint8_t w) noexcept { boolean b; b.raw = w; return b; }
    [[nodiscard]] constexpr bool valid() const noexcept { return raw == 1 || raw == 2; }
    constexpr explicit operator bool() const noexcept { return raw == 1; }
    friend constexpr bool operator==(boolean, boolean) = default;
};

/// Fixed-size address values: plain byte arrays in network order.
template <std::size_t N>
struct address {
    std::array<std::byte, N> bytes{};
    friend constexpr bool operator==(const address&, const address&) = default;
};
using mac_address = address<6>;
using ipv4_address = address<4>;
using ipv6_address = address<16>;

/// dateTimeSeconds: seconds since the UNIX epoch (RFC 7011 6.1.7).
struct date_time_seconds {
    std::uint32_t seconds = 0;
    friend constexpr bool operator==(date_time_seconds, date_time_seconds) = default;
};
/// dateTimeMilliseconds: milliseconds since the UNIX epoch (RFC 7011 6.1.8).
struct date_time_milliseconds {
    std::uint64_t milliseconds = 0;
    friend constexpr bool operator==(date_time_milliseconds, date_time_milliseconds) = default;
};
/// dateTimeMicroseconds / dateTimeNanoseconds: NTP format, seconds since
/// 1900-01-01 and a binary fraction (RFC 7011 6.1.9, 6.1.10). For
/// microseconds the low 11 bits of the fraction are zero on the wire.
struct ntp_timestamp {
    std::uint32_t seconds = 0;
    std::uint32_t fraction = 0;
    friend constexpr bool operator==(ntp_timestamp, ntp_timestamp) = default;
};
struct date_time_microseconds : ntp_timestamp {};
struct date_time_nanoseconds : ntp_timestamp {};

/// Seconds between the NTP era 0 epoch (1900) and the UNIX epoch (1970).
inline constexpr std::uint32_t ntp_unix_offset = 2208988800U;

/// octetArray and string decode to views that borrow the message buffer.
using octet_array_view = std::span<const std::byte>;
using string_view = std::string_view;

}  // namespace ioam::ipfix
