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
//
// Records of fixed-length fields of at most 8 octets can also be decoded a
// run at a time into rows of values (decode_rows). On x86 with SSSE3
// (checked at run time), for a record of at least 16 octets with no signed
// field, that reads two fields at a time: a 16-octet window of the record,
// one byte shuffle (pshufb) that puts both fields' octets byte-reversed and
// zero-extended into two 64-bit slots, one store. Each pair's shuffle
// control is compiled when the template is learnt.
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

#include "ioam/core/bytes.hpp"
#include "ioam/ipfix/field.hpp"
#include "ioam/ipfix/ie.hpp"
#include "ioam/ipfix/template.hpp"
#include "ioam/ipfix/types.hpp"

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define IOAM_IPFIX_SHUFFLE 1
#include <cpuid.h>
#else
#define IOAM_IPFIX_SHUFFLE 0
#endif

namespace ioam::ipfix {

/// Which path a decode plan may take for decode_rows.
enum class plan_path : std::uint8_t {
    automatic,  ///< the byte shuffles where the template and the CPU allow them
    scalar,     ///< never the shuffles (the portable path; tests compare both)
};

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
    explicit decode_plan(std::vector<template_field> fields, plan_path path = plan_path::automatic)
        : steps_(std::move(fields)), fields_(steps_.size()) {
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
        if (path == plan_path::automatic && unsigned_only_ && min_size >= 16 && cpu_shuffles()) compile_shuffles(min_size);
    }
    /// Compiles bare field specifiers (no registry rows).
    explicit decode_plan(std::span<const field_spec> fields, plan_path path = plan_path::automatic)
        : decode_plan(std::vector<template_field>(fields.begin(), fields.end()), path) {}

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
    [[nodiscard]] std::size_t heap_bytes() const noexcept {
        return steps_.capacity() * sizeof(template_field) + pairs_.capacity() * sizeof(shuffle_pair);
    }
    /// Whether decode_rows reads this template's records with byte shuffles.
    [[nodiscard]] bool shuffled() const noexcept { return !pairs_.empty(); }
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

    /// Slots per record in decode_rows: one per field, rounded up to even.
    [[nodiscard]] std::size_t row_slots() const noexcept { return (fields_ + 1) & ~std::size_t{1}; }
    /// Whether decode_rows takes this template: windows_only().
    [[nodiscard]] bool decodes_rows() const noexcept { return windows_only_; }
    /// Decodes `count` records of `size` octets each, back to back from
    /// `first`, into rows of row_slots() values: row r, slot i is field i of
    /// record r as for_each_u64 gives it; the slot after an odd count of
    /// fields is 0. For decodes_rows() templates only, records checked
    /// against the template (dynamic_data_set::parse). Byte shuffles where
    /// shuffled(), else a scalar loop.
    void decode_rows(const std::byte* first, std::size_t size, std::size_t count, std::uint64_t* out) const {
#if IOAM_IPFIX_SHUFFLE
        if (!pairs_.empty()) {
            shuffle_rows(first, size, count, out);
            return;
        }
#endif
        scalar_rows(first, size, count, out);
    }

private:
    // About 11 instructions a field (g++ 12): slower than for_each_u64 and a
    // sum, so template_cache::process_rows hands rows only when shuffled().
    void scalar_rows(const std::byte* first, std::size_t size, std::size_t count, std::uint64_t* out) const noexcept {
        const plan_step* const steps = steps_.data();
        const std::size_t n = fields_;
        const std::size_t stride = row_slots();
        for (; count != 0; --count, first += size, out += stride) {
            out[stride - 1] = 0;
            if (unsigned_only_) {
                for (std::size_t i = 0; i < n; ++i) out[i] = (load_window(first, steps[i]) >> steps[i].shift) & steps[i].mask;
            } else {
                for (std::size_t i = 0; i < n; ++i) out[i] = bits_at(first, steps[i]);
            }
        }
    }
    // Two fields' pshufb control: octet j of the result is octet mask[j] of
    // the window (0x80: zero). Slots 0-7 take the first field, 8-15 the
    // second (none for the last of an odd count), least significant first.
    struct alignas(16) shuffle_pair {
        std::uint8_t mask[16];
        std::ptrdiff_t window;  // start of the 16-octet window in the record
    };

    static bool cpu_shuffles() noexcept {
#if IOAM_IPFIX_SHUFFLE
        // CPUID leaf 1 directly: __builtin_cpu_supports would link libgcc's
        // whole feature table (4 KB of ioam-exporter's 200 KB budget) and
        // needs __builtin_cpu_init before static constructors.
        unsigned a = 0, b = 0, c = 0, d = 0;
        return __get_cpuid(1, &a, &b, &c, &d) != 0 && (c & bit_SSSE3) != 0;
#else
        return false;
#endif
    }
    // Each window starts at the pair's first field, or 16 octets before the
    // record's end when that is earlier: never outside the record. Both
    // fields (at most 8 octets each, adjacent) lie inside it.
    void compile_shuffles(std::size_t record_size) {
        pairs_.resize((steps_.size() + 1) / 2);
        for (std::size_t k = 0; k < pairs_.size(); ++k) {
            shuffle_pair& p = pairs_[k];
            const std::size_t start = std::min<std::size_t>(steps_[2 * k].offset, record_size - 16);
            p.window = static_cast<std::ptrdiff_t>(start);
            for (std::size_t half = 0; half < 2; ++half) {
                for (std::size_t j = 0; j < 8; ++j) p.mask[8 * half + j] = 0x80;
                if (2 * k + half >= steps_.size()) continue;
                const template_field& f = steps_[2 * k + half];
                for (std::size_t j = 0; j < f.length; ++j)
                    p.mask[8 * half + j] = static_cast<std::uint8_t>(f.offset - start + f.length - 1 - j);
            }
        }
    }
#if IOAM_IPFIX_SHUFFLE
    using shuffle_vector = char __attribute__((vector_size(16), may_alias));
    [[gnu::target("ssse3"), gnu::always_inline]] static inline void shuffle_one(const std::byte* rec, std::uint64_t* out,
                                                                             const shuffle_pair* p, std::size_t k) noexcept {
        shuffle_vector w;
        std::memcpy(&w, rec + p[k].window, sizeof w);
        w = __builtin_ia32_pshufb128(w, *reinterpret_cast<const shuffle_vector*>(p[k].mask));
        std::memcpy(out + 2 * k, &w, sizeof w);
    }
    // Up to 16 pairs without a loop test each: a jump into a run of them.
    [[gnu::target("ssse3"), gnu::always_inline]] static inline void shuffle_pairs(const std::byte* rec, std::uint64_t* out,
                                                                               const shuffle_pair* p,
                                                                               std::size_t pairs) noexcept {
        switch (pairs) {
        case 16: shuffle_one(rec, out, p, 15); [[fallthrough]];
        case 15: shuffle_one(rec, out, p, 14); [[fallthrough]];
        case 14: shuffle_one(rec, out, p, 13); [[fallthrough]];
        case 13: shuffle_one(rec, out, p, 12); [[fallthrough]];
        case 12: shuffle_one(rec, out, p, 11); [[fallthrough]];
        case 11: shuffle_one(rec, out, p, 10); [[fallthrough]];
        case 10: shuffle_one(rec, out, p, 9); [[fallthrough]];
        case 9: shuffle_one(rec, out, p, 8); [[fallthrough]];
        case 8: shuffle_one(rec, out, p, 7); [[fallthrough]];
        case 7: shuffle_one(rec, out, p, 6); [[fallthrough]];
        case 6: shuffle_one(rec, out, p, 5); [[fallthrough]];
        case 5: shuffle_one(rec, out, p, 4); [[fallthrough]];
        case 4: shuffle_one(rec, out, p, 3); [[fallthrough]];
        case 3: shuffle_one(rec, out, p, 2); [[fallthrough]];
        case 2: shuffle_one(rec, out, p, 1); [[fallthrough]];
        case 1: shuffle_one(rec, out, p, 0); [[fallthrough]];
        default: break;
        }
    }
    // Out of line (a function built for SSSE3 is not inlined into others),
    // once per run of records.
    [[gnu::target("ssse3")]] void shuffle_rows(const std::byte* rec, std::size_t size, std::size_t count,
                                              std::uint64_t* out) const noexcept {
        const shuffle_pair* const p = pairs_.data();
        const std::size_t n = pairs_.size();
        const std::size_t stride = 2 * n;
        if (n <= 16) {
            for (; count != 0; --count, rec += size, out += stride) shuffle_pairs(rec, out, p, n);
            return;
        }
        for (; count != 0; --count, rec += size, out += stride) {
            std::size_t k = 0;
            for (; n - k > 16; k += 16) shuffle_pairs(rec, out + 2 * k, p + k, 16);
            shuffle_pairs(rec, out + 2 * k, p + k, n - k);
        }
    }
#endif

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
    std::size_t fields_ = 0;             // steps_.size(), without a division
    std::vector<shuffle_pair> pairs_;    // the shuffle path's controls; empty: the scalar loops
    std::size_t shifted_ = 0;  // leading steps whose window does not end with the field
    bool windows_only_ = true;
    bool unsigned_only_ = true;
    bool split_ = false;  // unsigned_only_, the first shifted_ windows start with their field, the others end with it
};

}  // namespace ioam::ipfix
