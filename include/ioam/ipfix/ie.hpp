// Information elements: what a template names. An IE type is any type with a
// `static constexpr ie_info info`. IANA's elements come from one generated
// constexpr table (ioam/ipfix/iana.hpp); enterprise elements are declared the
// same way with their private enterprise number (RFC 7011 3.2).
#pragma once

#include <concepts>
#include <cstdint>
#include <string_view>

#include "ioam/ipfix/types.hpp"

namespace ioam::ipfix {

/// One row of an IE registry (RFC 7012 2, RFC 5610 3).
struct ie_info {
    std::uint16_t id = 0;            ///< element id, 15 bits (the E bit is not part of it)
    std::uint32_t enterprise = 0;    ///< private enterprise number, 0 for IANA
    data_type type = data_type::octetArray;
    data_semantics semantics = data_semantics::default_;
    std::uint16_t length = variable_length;  ///< default encoded length
    std::string_view name{};
    std::string_view units{};
};

/// An information element type: carries its registry row.
template <class T>
concept information_element = requires {
    { T::info } -> std::convertible_to<const ie_info&>;
};

/// An enterprise-specific IE declared inline in a template list.
template <std::uint32_t Pen, std::uint16_t Id, data_type Type,
          data_semantics Sem = data_semantics::default_>
struct enterprise {
    static_assert(Pen != 0, "ioam: enterprise IEs need a non-zero private enterprise number (RFC 7011 3.2)");
    static_assert(Id < 0x8000, "ioam: IE ids are 15 bits (RFC 7011 3.2)");
    static constexpr ie_info info{Id, Pen, Type, Sem, natural_length(Type), {}, {}};
};

}  // namespace ioam::ipfix
