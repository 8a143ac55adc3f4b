// Error codes and the result type used by every encoder and decoder.
// No exceptions: a result carries either a value or an error code plus the
// byte offset (from the start of the buffer handed to the call) where
// decoding or encoding stopped.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>

namespace ioam {

enum class errc : std::uint8_t {
    ok = 0,
    // Generic framing
    truncated,            ///< fewer bytes than a header or field needs
    length_past_end,      ///< a length field points past the buffer
    length_too_small,     ///< a length field is smaller than its header
    no_room,              ///< the output buffer is too small (encoders)
    bad_padding,          ///< padding octets are not zero
    value_out_of_range,   ///< a value does not fit its encoding
    // IPFIX (RFC 7011)
    bad_version,          ///< message header version is not 10
    bad_set_id,           ///< set id 2..255 reserved, or otherwise invalid
    bad_template_id,      ///< template id below 256
    bad_field_count,      ///< field count larger than the set or zero where not allowed
    bad_field_length,     ///< field length invalid for its type (RFC 7011 6.2)
    bad_scope_count,      ///< options template scope count 0 or > field count
    duplicate_field,      ///< an IE appears twice where it may not
    unknown_template,     ///< a data set whose template is not known
    template_withdrawn,   ///< a data set after its template was withdrawn
    template_mismatch,    ///< a record does not match the template expected
    sequence_gap,         ///< sequence number not what was expected (reported, not fatal)
    bad_list,             ///< malformed RFC 6313 structured data
    // IOAM (RFC 9197, 9326, 9486)
    bad_trace_type,       ///< undefined or reserved trace-type bits set
    bad_node_len,         ///< NodeLen disagrees with the trace type
    bad_remaining_len,    ///< RemainingLen points past the trace data
    bad_option,           ///< malformed IPv6 option or option header
    misaligned,           ///< an option breaks its alignment rule (RFC 9486 4)
    // Netlink
    bad_attribute,        ///< malformed netlink attribute
    missing_attribute,    ///< a required attribute is absent
    bad_message,          ///< malformed netlink or generic netlink header
};

namespace detail {
class error_category_impl final : public std::error_category {
public:
    [[nodiscard]] const char* name() const noexcept override { return "ioam"; }
    [[nodiscard]] std::string message(int ev) const override {
        switch (static_cast<errc>(ev)) {
        case errc::ok: return "success";
        case errc::truncated: return "truncated input";
        case errc::length_past_end: return "length points past the end of the buffer";
        case errc::length_too_small: return "length smaller than its header";
        case errc::no_room: return "output buffer too small";
        case errc::bad_padding: return "padding is not zero";
        case errc::value_out_of_range: return "value does not fit its encoding";
        case errc::bad_version: return "IPFIX version is not 10";
        case errc::bad_set_id: return "invalid set id";
        case errc::bad_template_id: return "template id below 256";
        case errc::bad_field_count: return "invalid field count";
        case errc::bad_field_length: return "invalid field length for the information element";
        case errc::bad_scope_count: return "invalid options template scope count";
        case errc::duplicate_field: return "information element appears twice";
        case errc::unknown_template: return "data set references an unknown template";
        case errc::template_withdrawn: return "data set references a withdrawn template";
        case errc::template_mismatch: return "record does not match the expected template";
        case errc::sequence_gap: return "unexpected sequence number";
        case errc::bad_list: return "malformed structured data (RFC 6313)";
        case errc::bad_trace_type: return "undefined or reserved IOAM trace-type bits set";
        case errc::bad_node_len: return "IOAM NodeLen disagrees with the trace type";
        case errc::bad_remaining_len: return "IOAM RemainingLen past the trace data";
        case errc::bad_option: return "malformed IPv6 option";
        case errc::misaligned: return "option alignment violated";
        case errc::bad_attribute: return "malformed netlink attribute";
        case errc::missing_attribute: return "required netlink attribute missing";
        case errc::bad_message: return "malformed netlink message";
        }
        return "unknown ioam error";
    }
};
}  // namespace detail

[[nodiscard]] inline const std::error_category& error_category() noexcept {
    static const detail::error_category_impl cat;
    return cat;
}
[[nodiscard]] inline std::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), error_category()};
}

/// An error and where it happened.
struct error {
    errc code = errc::ok;
    std::size_t offset = 0;  ///< byte offset into the input (or output) buffer
    friend constexpr bool operator==(const error&, const error&) = default;
};

/// A value or an error (with its byte offset). Usable in constant expressions,
/// so RFC examples can be decoded at compile time. T must be default
/// constructible (views and integers are).
template <class T>
class [[nodiscard]] result {
public:
    constexpr result(T v) noexcept(std::is_nothrow_move_constructible_v<T>) : value_(std::move(v)) {}
    constexpr result(ioam::error e) noexcept : err_(e) {}
    constexpr result(errc e, std::size_t offset) noexcept : err_{e, offset} {}

    [[nodiscard]] constexpr bool has_value() const noexcept { return err_.code == errc::ok; }
    constexpr explicit operator bool() const noexcept { return has_value(); }
    [[nodiscard]] constexpr const T& value() const& noexcept { return value_; }
    [[nodiscard]] constexpr T& value() & noexcept { return value_; }
    // By value for rvalues: `for (x : f().value())` must not dangle.
    [[nodiscard]] constexpr T value() && noexcept(std::is_nothrow_move_constructible_v<T>) { return std::move(value_); }
    [[nodiscard]] constexpr const T& operator*() const& noexcept { return value_; }
    [[nodiscard]] constexpr T& operator*() & noexcept { return value_; }
    [[nodiscard]] constexpr const T* operator->() const noexcept { return &value_; }
    [[nodiscard]] constexpr T* operator->() noexcept { return &value_; }
    [[nodiscard]] constexpr errc code() const noexcept { return err_.code; }
    [[nodiscard]] constexpr std::size_t offset() const noexcept { return err_.offset; }
    [[nodiscard]] constexpr const ioam::error& error() const noexcept { return err_; }
    [[nodiscard]] std::error_code error_code() const noexcept { return make_error_code(err_.code); }
    [[nodiscard]] constexpr T value_or(T alt) const { return has_value() ? value_ : alt; }

private:
    T value_{};
    ioam::error err_{};
};

template <>
class [[nodiscard]] result<void> {
public:
    constexpr result() noexcept = default;
    constexpr result(ioam::error e) noexcept : err_(e) {}
    constexpr result(errc e, std::size_t offset) noexcept : err_{e, offset} {}
    [[nodiscard]] constexpr bool has_value() const noexcept { return err_.code == errc::ok; }
    constexpr explicit operator bool() const noexcept { return has_value(); }
    [[nodiscard]] constexpr errc code() const noexcept { return err_.code; }
    [[nodiscard]] constexpr std::size_t offset() const noexcept { return err_.offset; }
    [[nodiscard]] constexpr const ioam::error& error() const noexcept { return err_; }
    [[nodiscard]] std::error_code error_code() const noexcept { return make_error_code(err_.code); }

private:
    ioam::error err_{};
};

}  // namespace ioam

template <>
struct std::is_error_code_enum<ioam::errc> : std::true_type {};
