// A decode plan: a run-time template compiled once, when it is learnt, into
// a flat list of steps, so that each record is read in one tight loop rather
// than by interpreting the template field by field (RFC 7011 3.4.3, 6.2, 7).
//
// Each integer field (any width 1 to 8, signed or not) is read as one
// 8-octet big-endian load of a window that lies inside the record, a shift
// left, an arithmetic shift right and a mask: no width or signedness switch
// per field, and for a template of such fields alone no switch at all.
// Fields after a variable-length field are addressed from the end of that
// field's value (a "segment" start).
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <utility>
#include <vector>

#include "ioam/core/bytes.hpp"
#include "ioam/ipfix/field.hpp"
#include "ioam/ipfix/ie.hpp"
#include "ioam/ipfix/template.hpp"
#include "ioam/ipfix/types.hpp"

namespace ioam::ipfix {

/// How a plan step reads its field.
enum class plan_kind : std::uint8_t {
    unsigned_window,  ///< unsigned integer: 8-octet window, shift left, shift right
    signed_window,    ///< signed integer: the same with an arithmetic right shift
    raw_window,       ///< another type of at most 8 octets: its octets as an integer, or typed
    unsigned_short,   ///< unsigned integer in a record shorter than 8 octets
    signed_short,     ///< signed integer in a record shorter than 8 octets
    bytes,            ///< any other fixed-length field
    variable,         ///< a variable-length field (RFC 7011 7); starts a new segment
};

/// One field of a run-time template, described once (libfds' fds_tfield is
/// the model): what the template record says (field_spec: id, enterprise,
/// length, type), its registry row, where it lies in a record, and how the
/// decode plan reads it. The template cache, the decode plan, for_each_field
/// and field_view all read this one description.
///
///   record:  | seg 0: fixed fields | varlen | seg 1: fixed fields | varlen | seg 2 ...
///   offset:  from the start of the field's segment (for a variable-length
///            field: of its length prefix); segment: how many
///            variable-length fields come before it.
struct template_field : field_spec {
    const ie_info* info = nullptr;  ///< registry row; nullptr when unknown (read as octets)
    std::uint16_t offset = 0;       ///< from the start of its segment
    std::uint16_t segment = 0;      ///< variable-length fields before it (0: offset from the record start)
    // How the decode plan reads it:
    std::int16_t window = 0;   ///< start of the 8-octet window (may precede the segment)
    std::uint8_t left = 0;     ///< bits shifted out above the field
    std::uint8_t right = 0;    ///< 64 - 8 * length
    std::uint8_t shift = 0;    ///< bits below the field in the window (right - left)
    plan_kind kind = plan_kind::bytes;
    std::uint64_t mask = ~std::uint64_t{0};  ///< the value's bits after the shifts (all for signed)

    constexpr template_field() = default;
    constexpr template_field(const field_spec& f, const ie_info* i = nullptr) noexcept : field_spec(f), info(i) {}
    [[nodiscard]] constexpr const field_spec& spec() const noexcept { return *this; }
    [[nodiscard]] constexpr bool is_variable() const noexcept { return length == variable_length; }
};
/// The earlier name of a plan's steps: they are the template's fields.
using plan_step = template_field;

/// Calls fn(i, value_t<T>) for a field of type t. Lists come as their octets.
template <class Fn>
constexpr void visit_value(std::size_t i, data_type t, bytes_view b, Fn& fn) {
    switch (t) {
#define IOAM_IPFIX_VISIT(T) \
    case data_type::T: fn(i, decode_value<data_type::T>(b)); return;
    IOAM_IPFIX_VISIT(unsigned8) IOAM_IPFIX_VISIT(unsigned16) IOAM_IPFIX_VISIT(unsigned32)
    IOAM_IPFIX_VISIT(unsigned64) IOAM_IPFIX_VISIT(signed8) IOAM_IPFIX_VISIT(signed16)
    IOAM_IPFIX_VISIT(signed32) IOAM_IPFIX_VISIT(signed64) IOAM_IPFIX_VISIT(float32)
    IOAM_IPFIX_VISIT(float64) IOAM_IPFIX_VISIT(boolean) IOAM_IPFIX_VISIT(macAddress)
    IOAM_IPFIX_VISIT(string) IOAM_IPFIX_VISIT(dateTimeSeconds) IOAM_IPFIX_VISIT(dateTimeMilliseconds)
    IOAM_IPFIX_VISIT(dateTimeMicroseconds) IOAM_IPFIX_VISIT(dateTimeNanoseconds)
    IOAM_IPFIX_VISIT(ipv4Address) IOAM_IPFIX_VISIT(ipv6Address)
#undef IOAM_IPFIX_VISIT
    default: fn(i, b); return;  // octetArray, basicList, subTemplateList, subTemplateMultiList
    }
}

/// The compiled form of a template's fields. Records handed to it must have
/// been checked against the same template (dynamic_data_set::parse does):
/// the loops trust every length, as dynamic_record::for_each_field does.
class decode_plan {
public:
    decode_plan() = default;

    /// Compiles `fields` (already validated: validate_template): fills in
    /// where each lies and how it is read.
    explicit decode_plan(std::vector<template_field> fields) : steps_(std::move(fields)) {
        // Octets every record holds before and after each field (a
        // variable-length field holds at least its 1-octet prefix).
        std::size_t min_size = 0;
        for (const auto& f : steps_) min_size += f.length == variable_length ? 1 : f.length;
        std::size_t before = 0;  // octets of the record before the current segment
        std::size_t seg = 0;     // offset in the current segment
        std::uint16_t segment = 0;
        for (template_field& s : steps_) {
            s.offset = static_cast<std::uint16_t>(seg);
            s.segment = segment;
            if (s.length == variable_length) {
                s.kind = plan_kind::variable;
                windows_only_ = false;
                before += seg + 1;
                seg = 0;
                ++segment;
                continue;
            }
            const std::size_t w = s.length;
            const std::size_t start = before + seg;  // least octets before the field
            const std::size_t after = min_size - start - w;  // least octets after it
            const bool integer = is_unsigned(s.type) || is_signed(s.type);
            if (w <= 8 && start + w + after >= 8) {
                // The window: ending with the field when 8 octets precede its
                // end (an unsigned value is then the window masked), else
                // starting with it when 8 follow its start (the window shifted
                // right), else as early as the record allows.
                const std::ptrdiff_t lead = start + w >= 8 ? static_cast<std::ptrdiff_t>(8 - w)
                                            : w + after >= 8 ? 0
                                                             : static_cast<std::ptrdiff_t>(start);
                s.window = static_cast<std::int16_t>(static_cast<std::ptrdiff_t>(seg) - lead);
                s.left = static_cast<std::uint8_t>(8 * lead);
                s.right = static_cast<std::uint8_t>(64 - 8 * w);
                s.shift = static_cast<std::uint8_t>(64 - 8 * w - 8 * lead);
                s.kind = !integer ? plan_kind::raw_window
                         : is_signed(s.type) ? plan_kind::signed_window : plan_kind::unsigned_window;
                if (!is_signed(s.type) && w < 8) s.mask = (std::uint64_t{1} << (8 * w)) - 1;
            } else if (integer) {
                s.kind = is_signed(s.type) ? plan_kind::signed_short : plan_kind::unsigned_short;
            } else {
                s.kind = plan_kind::bytes;
            }
            windows_only_ = windows_only_ && s.kind <= plan_kind::raw_window;
            unsigned_only_ = unsigned_only_ && s.kind != plan_kind::signed_window;
            seg += w;
        }
        windows_only_ = windows_only_ && !steps_.empty();
        unsigned_only_ = unsigned_only_ && windows_only_;
        // Fields whose window cannot end with them (those ending in the
        // record's first 8 octets) come first; when all of those start
        // theirs, each field is one shift or one mask, not both.
        if (unsigned_only_) {
            while (shifted_ < steps_.size() && steps_[shifted_].shift != 0) ++shifted_;
            split_ = std::all_of(steps_.begin(), steps_.begin() + static_cast<std::ptrdiff_t>(shifted_),
                                 [](const plan_step& s) { return s.left == 0; }) &&
                     std::all_of(steps_.begin() + static_cast<std::ptrdiff_t>(shifted_), steps_.end(),
                                 [](const plan_step& s) { return s.shift == 0; });
        }
    }
    /// Compiles bare field specifiers (no registry rows).
    explicit decode_plan(std::span<const field_spec> fields)
        : decode_plan(std::vector<template_field>(fields.begin(), fields.end())) {}

    /// The fields, each with its place and how it is read.
    [[nodiscard]] std::span<const template_field> fields() const noexcept { return steps_; }
    [[nodiscard]] std::span<const plan_step> steps() const noexcept { return steps_; }
    /// The value of variable-length field s whose segment starts at seg
    /// (RFC 7011 7: a 1-octet length, or 255 and a 2-octet length).
    [[nodiscard]] static bytes_view variable_at(const std::byte* seg, const template_field& s) noexcept {
        const std::byte* p = seg + s.offset;
        std::size_t len = load_u8(p);
        if (len == 255) return {p + 3, load_be16(p + 1)};
        return {p + 1, len};
    }
    [[nodiscard]] std::size_t size() const noexcept { return steps_.size(); }
    [[nodiscard]] std::size_t heap_bytes() const noexcept { return steps_.capacity() * sizeof(template_field); }
    /// Whether every field is read through a window (fixed-length fields of
    /// at most 8 octets in a record of at least 8): for_each_u64 then runs
    /// without a switch.
    [[nodiscard]] bool windows_only() const noexcept { return windows_only_; }

    /// Calls fn(i, v) for each field i of `record` in template order, v typed
    /// as field_view::as<T> would give it, except integers: every unsigned
    /// type comes widened to std::uint64_t and every signed one to
    /// std::int64_t. Views borrow the record's buffer.
    template <class Fn>
    void visit(bytes_view record, Fn&& fn) const {
        const std::byte* seg = record.data();
        const std::size_t n = steps_.size();
        for (std::size_t i = 0; i < n; ++i) {
            const plan_step& s = steps_[i];
            switch (s.kind) {
            case plan_kind::unsigned_window: fn(i, unsigned_at(seg, s)); break;
            case plan_kind::signed_window: fn(i, signed_at(seg, s)); break;
            case plan_kind::unsigned_short: fn(i, load_be_n(seg + s.offset, s.length)); break;
            case plan_kind::signed_short:
                fn(i, detail::sign_extend(load_be_n(seg + s.offset, s.length), s.length));
                break;
            case plan_kind::variable: {
                const bytes_view v = variable_at(seg, s);
                visit_value(i, s.type, v, fn);
                seg = v.data() + v.size();
                break;
            }
            default: visit_value(i, s.type, bytes_view{seg + s.offset, s.length}, fn); break;
            }
        }
    }

    /// Calls fn(i, std::uint64_t) for each field of at most 8 octets (signed
    /// integers sign-extended, as field_view::to_u64 gives them; any other
    /// type as its octets read big-endian) and fn(i, bytes_view) for longer
    /// and variable-length fields. Views borrow the record's buffer.
    template <class Fn>
    void for_each_u64(bytes_view record, Fn&& fn) const {
        const std::byte* seg = record.data();
        const plan_step* const steps = steps_.data();
        const std::size_t n = steps_.size();
        if (split_) {
            // The common case (no signed field, a record of 8 octets or more):
            // one load, a byte swap and one shift or mask per field.
            const plan_step* s = steps;
            const plan_step* const mid = steps + shifted_;
            const plan_step* const end = steps + n;
            // (an index here: g++ 12 gives the pointer loop three more instructions per field)
            for (std::size_t k = 0; k != shifted_; ++k) fn(k, load_window(seg, steps[k]) >> steps[k].shift);
            s = mid;
            const auto at = [&](const plan_step* p) {
                fn(static_cast<std::size_t>(p - steps), load_window(seg, *p) & p->mask);
            };
            for (; end - s >= 4; s += 4) {
                at(s);
                at(s + 1);
                at(s + 2);
                at(s + 3);
            }
            // The last 0 to 3 without a loop test per field.
            if (end - s >= 2) {
                at(s);
                at(s + 1);
                s += 2;
            }
            if (s != end) at(s);
            return;
        }
        if (unsigned_only_) {
            // No signed field: one shift and a mask per field.
            const plan_step* s = steps;
            const plan_step* const end = steps + n;
            for (; end - s >= 2; s += 2) {
                fn(static_cast<std::size_t>(s - steps), (load_window(seg, s[0]) >> s[0].shift) & s[0].mask);
                fn(static_cast<std::size_t>(s - steps) + 1, (load_window(seg, s[1]) >> s[1].shift) & s[1].mask);
            }
            if (s != end) fn(static_cast<std::size_t>(s - steps), (load_window(seg, *s) >> s->shift) & s->mask);
            return;
        }
        if (windows_only_) {
            for (const plan_step* s = steps; s != steps + n; ++s)
                fn(static_cast<std::size_t>(s - steps), bits_at(seg, *s));
            return;
        }
        for (std::size_t i = 0; i < n; ++i) {
            const plan_step& s = steps[i];
            switch (s.kind) {
            case plan_kind::unsigned_window:
            case plan_kind::raw_window:
            case plan_kind::signed_window: fn(i, bits_at(seg, s)); break;
            case plan_kind::unsigned_short: fn(i, load_be_n(seg + s.offset, s.length)); break;
            case plan_kind::signed_short:
                fn(i, static_cast<std::uint64_t>(detail::sign_extend(load_be_n(seg + s.offset, s.length), s.length)));
                break;
            case plan_kind::variable: {
                const bytes_view v = variable_at(seg, s);
                fn(i, v);
                seg = v.data() + v.size();
                break;
            }
            default:
                if (s.length <= 8) fn(i, load_be_n(seg + s.offset, s.length));
                else fn(i, bytes_view{seg + s.offset, s.length});
                break;
            }
        }
    }

private:
    // One unaligned 8-octet load and a byte swap (load_be<8> at a run-time
    // offset is left as eight loads by g++ 12).
    static std::uint64_t load_window(const std::byte* seg, const plan_step& s) noexcept {
        std::uint64_t v;
        std::memcpy(&v, seg + s.window, sizeof v);
        if constexpr (std::endian::native == std::endian::little) {
#if defined(__GNUC__) || defined(__clang__)
            v = __builtin_bswap64(v);
#else
            v = load_be<8>(seg + s.window);
#endif
        }
        return v;
    }
    static std::uint64_t window_at(const std::byte* seg, const plan_step& s) noexcept {
        return load_window(seg, s) << s.left;
    }
    // The field's value: unsigned ones zero-extended, signed ones sign-extended.
    static std::uint64_t bits_at(const std::byte* seg, const plan_step& s) noexcept {
        return static_cast<std::uint64_t>(static_cast<std::int64_t>(window_at(seg, s)) >> s.right) & s.mask;
    }
    static std::uint64_t unsigned_at(const std::byte* seg, const plan_step& s) noexcept {
        return window_at(seg, s) >> s.right;
    }
    static std::int64_t signed_at(const std::byte* seg, const plan_step& s) noexcept {
        return static_cast<std::int64_t>(window_at(seg, s)) >> s.right;
    }

    std::vector<template_field> steps_;  // the template's fields
    std::size_t shifted_ = 0;  // leading steps whose window does not end with the field
    bool windows_only_ = true;
    bool unsigned_only_ = true;
    bool split_ = false;  // unsigned_only_, the first shifted_ windows start with their field, the others end with it
};

}  // namespace ioam::ipfix
