// Compile-time templates (RFC 7011 3.4.1, 3.4.2). A template is one
// declaration, an id and a list of information elements:
//
//   using tcp_flow = ioam::ipfix::data_template<256,
//       ie::octetDeltaCount, reduced<ie::packetDeltaCount, 4>, ie::sourceIPv4Address>;
//   using stats = ioam::ipfix::options_template<257,
//       scope<ie::exportingProcessId>, ie::exportedMessageTotalCount>;
//
// Wrappers in the list: reduced<Ie, N> (RFC 7011 6.2), fixed<Ie, N> (a fixed
// length for an octetArray or string), varlen<Ie> (RFC 7011 7), and
// enterprise<Pen, Id, Type> (ie.hpp) for an inline enterprise IE.
#pragma once

#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>
#include <tuple>
#include <type_traits>

#include "ioam/core/error.hpp"
#include "ioam/ipfix/field.hpp"
#include "ioam/ipfix/ie.hpp"
#include "ioam/ipfix/types.hpp"

namespace ioam::ipfix {

/// Reduced-size encoding of an integer or float64 IE (RFC 7011 6.2).
template <information_element Ie, std::uint16_t N>
struct reduced {
    using ie = Ie;
    static constexpr std::uint16_t length = N;
};
/// A fixed length for an IE that is variable by nature (octetArray, string).
template <information_element Ie, std::uint16_t N>
struct fixed {
    using ie = Ie;
    static constexpr std::uint16_t length = N;
};
/// Explicit variable-length encoding (RFC 7011 7).
template <information_element Ie>
struct varlen {
    using ie = Ie;
    static constexpr std::uint16_t length = variable_length;
};
/// The scope fields of an options template (RFC 7011 3.4.2.2), listed first.
template <class... F>
struct scope {};

/// What a template field looks like on the wire (RFC 7011 3.2), also used for
/// templates received at run time.
struct field_spec {
    std::uint16_t id = 0;
    std::uint32_t enterprise = 0;
    std::uint16_t length = 0;
    data_type type = data_type::octetArray;
    bool known_type = true;  ///< false for IEs absent from every registry we know
    friend constexpr bool operator==(const field_spec&, const field_spec&) = default;
};

namespace detail {
template <class F>
struct field_traits {
    static_assert(information_element<F>,
                  "ioam: a template lists information elements (types with a static ie_info `info`), "
                  "optionally wrapped in reduced<>, fixed<> or varlen<> (RFC 7011 3.4.1)");
    using ie = F;
    static constexpr std::uint16_t length = F::info.length;
};
template <class Ie, std::uint16_t N> struct field_traits<reduced<Ie, N>> { using ie = Ie; static constexpr std::uint16_t length = N; };
template <class Ie, std::uint16_t N> struct field_traits<fixed<Ie, N>> { using ie = Ie; static constexpr std::uint16_t length = N; };
template <class Ie> struct field_traits<varlen<Ie>> { using ie = Ie; static constexpr std::uint16_t length = variable_length; };

template <class F>
inline constexpr field_spec spec_of = {field_traits<F>::ie::info.id, field_traits<F>::ie::info.enterprise,
                                       field_traits<F>::length, field_traits<F>::ie::info.type, true};

}  // namespace detail

/// Validation rules shared by compile-time and run-time templates. Returns the
/// first rule broken and the index of the offending field (or 0).
struct template_check {
    errc code = errc::ok;
    std::size_t field = 0;
};
/// RFC 7011 3.4.1 / 3.4.2 / 6.2. Duplicate IEs are legal on the wire (RFC 7011
/// 8), but rejected for compile-time templates, where get<Ie> must be unambiguous.
/// `fields`: any contiguous sequence of field_spec or of a type derived
/// from it (dynamic_template's template_field).
template <class Fields>
    requires requires(const Fields& f) {
        { f.size() } -> std::convertible_to<std::size_t>;
        { f[0] } -> std::convertible_to<const field_spec&>;
    }
[[nodiscard]] constexpr template_check validate_template(std::uint16_t id, const Fields& fields,
                                                         std::size_t scope_count, bool options,
                                                         bool allow_duplicates) noexcept {
    if (id < 256) return {errc::bad_template_id, 0};
    if (options && (scope_count == 0 || scope_count > fields.size())) return {errc::bad_scope_count, 0};
    if (fields.empty()) return {errc::bad_field_count, 0};
    for (std::size_t i = 0; i < fields.size(); ++i) {
        const field_spec& f = fields[i];
        if (f.id >= 0x8000) return {errc::bad_field_length, i};
        // Zero octets also for IEs we do not know: records of such fields alone
        // would take no room, and a data set of them would never end.
        if (f.length == 0 || (f.known_type && !valid_length(f.type, f.length)))
            return {errc::bad_field_length, i};
        if (!allow_duplicates)
            for (std::size_t j = 0; j < i; ++j)
                if (fields[j].id == f.id && fields[j].enterprise == f.enterprise) return {errc::duplicate_field, i};
    }
    return {};
}

namespace detail {
template <std::uint16_t Id, std::size_t Scope, bool Options, class... F>
struct template_base {
    static constexpr std::uint16_t id = Id;
    static constexpr std::size_t field_count = sizeof...(F);
    static constexpr std::size_t scope_count = Scope;
    static constexpr bool is_options = Options;
    static constexpr std::array<field_spec, sizeof...(F)> fields{spec_of<F>...};
    using field_types = std::tuple<F...>;
    /// What the record encoder takes and the full decoder returns.
    using values = std::tuple<value_t<field_traits<F>::ie::info.type>...>;

    static constexpr template_check check = validate_template(Id, fields, Scope, Options, false);
    static_assert(check.code != errc::bad_template_id,
                  "ioam: template ids must be 256 or above; 0-255 are set ids (RFC 7011 3.4.1)");
    static_assert(check.code != errc::bad_field_count, "ioam: a template needs at least one field (RFC 7011 3.4.1)");
    static_assert(check.code != errc::bad_scope_count,
                  "ioam: an options template needs at least one scope field, listed in scope<...> first (RFC 7011 3.4.2.2)");
    static_assert(check.code != errc::bad_field_length,
                  "ioam: illegal field length: reduced size is only for integers (1..natural size) and float64 (4), "
                  "variable length only for octetArray, string and lists (RFC 7011 6.2, 7)");
    static_assert(check.code != errc::duplicate_field,
                  "ioam: an information element appears twice; get<Ie> would be ambiguous, declare a distinct IE");

    static constexpr bool is_fixed_size = ((field_traits<F>::length != variable_length) && ...);
    /// Smallest encoding of a record: fixed fields plus a 1-octet prefix per variable field.
    static constexpr std::size_t min_record_size =
        ((field_traits<F>::length == variable_length ? 1 : field_traits<F>::length) + ... + 0);
    /// Size of a record when every field is fixed; 0 otherwise.
    static constexpr std::size_t record_size = is_fixed_size ? min_record_size : 0;
    /// Octets of the template record (header plus field specifiers).
    static constexpr std::size_t template_record_size =
        (Options ? 6 : 4) + ((field_traits<F>::ie::info.enterprise ? 8 : 4) + ... + 0);
    /// Offsets of the fields before the first variable-length one (the rest
    /// are found at run time); variable_length from there on.
    static constexpr std::array<std::uint16_t, sizeof...(F)> static_offsets = [] {
        std::array<std::uint16_t, sizeof...(F)> o{};
        std::size_t pos = 0;
        bool var = false;
        for (std::size_t i = 0; i < fields.size(); ++i) {
            o[i] = var ? variable_length : static_cast<std::uint16_t>(pos);
            if (fields[i].length == variable_length) var = true;
            pos += fields[i].length;
        }
        return o;
    }();

    /// Index of the field naming IE `Ie` (with or without a wrapper).
    template <class Ie>
    static constexpr std::size_t index_of() noexcept {
        constexpr std::size_t idx = [] {
            for (std::size_t i = 0; i < fields.size(); ++i)
                if (fields[i].id == Ie::info.id && fields[i].enterprise == Ie::info.enterprise) return i;
            return fields.size();
        }();
        return idx;
    }
    template <class Ie>
    static constexpr bool contains = index_of<Ie>() < sizeof...(F);
};

// Without a scope<...> first, the scope count is 0 and the validator says so.
template <std::uint16_t Id, class... F>
struct options_split {
    using type = template_base<Id, 0, true, F...>;
};
template <std::uint16_t Id, class... S, class... F>
struct options_split<Id, scope<S...>, F...> {
    using type = template_base<Id, sizeof...(S), true, S..., F...>;
};
}  // namespace detail

/// A data template (RFC 7011 3.4.1): an id (>= 256) and its fields in order.
template <std::uint16_t Id, class... F>
struct data_template : detail::template_base<Id, 0, false, F...> {};

/// An options template (RFC 7011 3.4.2.2): scope<...> fields first, then the others.
template <std::uint16_t Id, class Scope, class... F>
struct options_template : detail::options_split<Id, Scope, F...>::type {};

/// Anything declared with data_template<> or options_template<>.
template <class T>
concept compile_time_template = requires {
    { T::id } -> std::convertible_to<std::uint16_t>;
    { T::fields };
    typename T::values;
    { T::is_fixed_size } -> std::convertible_to<bool>;
};

/// The i-th field's value type in template T.
template <compile_time_template T, std::size_t I>
using field_value_t = std::tuple_element_t<I, typename T::values>;

}  // namespace ioam::ipfix
