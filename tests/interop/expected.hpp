// Canonical text of field values, shared by the generator (which writes the
// expected file the oracles compare with) and our own reader test. Integers
// in decimal, addresses dotted, strings as they are, octet arrays in
// lowercase hex, dateTimeMilliseconds as milliseconds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include "ioam/ipfix/field.hpp"
#include "ioam/ipfix/template.hpp"
#include "ioam/ipfix/types.hpp"

namespace interop {

inline std::string hex(std::span<const std::byte> b) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string s;
    s.reserve(2 * b.size());
    for (std::byte x : b) {
        const auto v = std::to_integer<unsigned>(x);
        s += digits[v >> 4];
        s += digits[v & 15];
    }
    return s;
}

template <class V>
std::string canonical(const V& v) {
    namespace ipfix = ioam::ipfix;
    if constexpr (std::is_integral_v<V>) {
        return std::to_string(v);
    } else if constexpr (std::is_same_v<V, ipfix::ipv4_address>) {
        std::string s;
        for (std::size_t i = 0; i < 4; ++i) {
            if (i) s += '.';
            s += std::to_string(std::to_integer<unsigned>(v.bytes[i]));
        }
        return s;
    } else if constexpr (std::is_same_v<V, ipfix::date_time_milliseconds>) {
        return std::to_string(v.milliseconds);
    } else if constexpr (std::is_same_v<V, std::string_view>) {
        return std::string(v);
    } else if constexpr (std::is_same_v<V, ipfix::octet_array_view>) {
        return hex(v);
    } else {
        static_assert(!sizeof(V*), "interop: add a canonical form for this value type");
    }
}

inline std::string json_string(std::string_view s) {
    std::string o = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') {
            o += '\\';
            o += c;
        } else if (static_cast<unsigned char>(c) < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
            o += buf;
        } else {
            o += c;
        }
    }
    return o + "\"";
}

inline const char* type_name(ioam::ipfix::data_type t) {
    using ioam::ipfix::data_type;
    switch (t) {
    case data_type::octetArray: return "octetArray";
    case data_type::unsigned8: return "unsigned8";
    case data_type::unsigned16: return "unsigned16";
    case data_type::unsigned32: return "unsigned32";
    case data_type::unsigned64: return "unsigned64";
    case data_type::string: return "string";
    case data_type::ipv4Address: return "ipv4Address";
    case data_type::dateTimeMilliseconds: return "dateTimeMilliseconds";
    default: return "other";
    }
}

}  // namespace interop
