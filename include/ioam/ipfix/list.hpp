// RFC 6313 structured data: basicList, subTemplateList and subTemplateMultiList.
//
// A list is the value of a variable-length field (RFC 7011 7): record.hpp
// hands out its octets (value_t<data_type::basicList> is octet_array_view),
// and the decoders here are views over those octets. The views borrow the
// buffer: they are valid only as long as it is. Every length is checked when
// a view is made, so iterating it cannot fail. Encoders write into a
// byte_writer and never allocate: encode a list into a scratch buffer and pass
// w.written() as the field value, or write it in place after a
// varlen_field_writer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <type_traits>
#include <utility>

#include "ioam/core/buffer.hpp"
#include "ioam/core/bytes.hpp"
#include "ioam/core/error.hpp"
#include "ioam/core/framed.hpp"
#include "ioam/ipfix/dynamic_template.hpp"
#include "ioam/ipfix/field.hpp"
#include "ioam/ipfix/record.hpp"
#include "ioam/ipfix/template.hpp"
#include "ioam/ipfix/types.hpp"

namespace ioam::ipfix {

/// The relationship among the elements of a list (RFC 6313 4.4, IANA
/// "IPFIX Structured Data Types Semantics"). Values 5..254 are unassigned:
/// decoders pass them through, callers decide.
enum class list_semantic : std::uint8_t {
    noneOf = 0x00,        ///< none of the elements is actual for the flow (4.4.1)
    exactlyOneOf = 0x01,  ///< exactly one element is actual (4.4.2)
    oneOrMoreOf = 0x02,   ///< at least one element is actual (4.4.3)
    allOf = 0x03,         ///< all elements are actual (4.4.4)
    ordered = 0x04,       ///< all are actual, in this order (4.4.5)
    undefined = 0xff,     ///< the semantic is not specified (4.4.6)
};

/// Whether a semantic value is assigned by RFC 6313 4.4.
[[nodiscard]] constexpr bool is_assigned(list_semantic s) noexcept {
    return static_cast<std::uint8_t>(s) <= 4 || s == list_semantic::undefined;
}

inline constexpr std::size_t basic_list_header_size = 5;       ///< without an enterprise number
inline constexpr std::size_t sub_template_list_header_size = 3;
inline constexpr std::size_t multi_list_entry_header_size = 4;

// ---- record ranges shared by the two sub-template lists ---------------------------

/// The records of one template packed back to back, with no padding (RFC
/// 6313 4.5.2, 4.5.3), checked by decode_list_records<T>(). Borrows the buffer.
template <compile_time_template T>
class list_records {
public:
    // Records back to back walk exactly like a data set's (without padding).
    using iterator = typename data_set_view<T>::iterator;

    constexpr list_records() noexcept = default;
    [[nodiscard]] constexpr iterator begin() const noexcept { return {{body_}, 0}; }
    [[nodiscard]] constexpr iterator end() const noexcept { return {{body_}, body_.size()}; }
    [[nodiscard]] constexpr std::size_t size() const noexcept { return count_; }
    [[nodiscard]] constexpr bool empty() const noexcept { return count_ == 0; }
    /// The records' octets.
    [[nodiscard]] constexpr bytes_view bytes() const noexcept { return body_; }

    /// Checks that `body` is a whole number of records of T; `base` is the
    /// offset of body[0] in the caller's buffer, added to error offsets.
    [[nodiscard]] static constexpr result<list_records> parse(bytes_view body, std::size_t base) noexcept {
        list_records v;
        v.body_ = body;
        std::size_t pos = 0;
        while (pos < body.size()) {  // every record is at least one octet: pos advances
            auto r = decode_record<T>(body.subspan(pos), base + pos);
            if (!r) return r.error();
            pos += r->size();
            ++v.count_;
        }
        return v;
    }

private:
    bytes_view body_{};
    std::size_t count_ = 0;
};

/// The records of a run-time template packed back to back. Borrows the buffer
/// and the template (which must outlive the view).
class dynamic_list_records {
public:
    // Records back to back walk exactly like a data set's (without padding).
    using iterator = dynamic_data_set::iterator;

    dynamic_list_records() = default;
    [[nodiscard]] iterator begin() const noexcept { return {detail::dynamic_record_frames::of(t_, body_), 0}; }
    [[nodiscard]] iterator end() const noexcept { return {detail::dynamic_record_frames::of(t_, body_), body_.size()}; }
    [[nodiscard]] std::size_t size() const noexcept { return count_; }
    [[nodiscard]] bool empty() const noexcept { return count_ == 0; }
    [[nodiscard]] bytes_view bytes() const noexcept { return body_; }
    [[nodiscard]] const dynamic_template& templ() const noexcept { return *t_; }

    [[nodiscard]] static result<dynamic_list_records> parse(const dynamic_template& t, bytes_view body,
                                                            std::size_t base) noexcept {
        dynamic_list_records v;
        v.t_ = &t;
        v.body_ = body;
        std::size_t pos = 0;
        while (pos < body.size()) {
            auto n = t.record_size(body.subspan(pos), base + pos);
            if (!n) return n.error();
            if (*n == 0) return error{errc::bad_list, base + pos};  // a template of nothing cannot tile a list
            pos += *n;
            ++v.count_;
        }
        return v;
    }

private:
    const dynamic_template* t_ = nullptr;
    bytes_view body_{};
    std::size_t count_ = 0;
};

// ---- basicList (RFC 6313 4.5.1) ------------------------------------------------------
//  0                   1                   2                   3
//  +---------------+-+-----------------------------+---------------+
//  |   Semantic    |E|         Field ID            |   Element ... |
//  +---------------+-+-----------------------------+---------------+
//  |...  Length    |     Enterprise Number (only when E = 1) ...   |
//  +---------------+-----------------------------------------------+
//  |  ...          |  elements: fixed Element Length each, or each  |
//  +---------------+  with an RFC 7011 7 length prefix (65535) ... |

/// A basicList whose header and elements were checked by decode_basic_list().
/// Iterates the elements' octets (without length prefixes). Borrows the buffer.
class basic_list_view {
    // An element: Element Length octets, or an RFC 7011 7 length prefix and its value.
    struct framing {
        bytes_view body{};
        std::uint16_t elen = 0;
        [[nodiscard]] constexpr bytes_view at(std::size_t pos) const noexcept {
            if (elen != variable_length) return body.subspan(pos, elen);
            const varlen_field v = read_varlen(body, pos).value();
            return body.subspan(v.value_offset, v.size);
        }
        [[nodiscard]] constexpr std::size_t next(std::size_t pos) const noexcept {
            if (elen != variable_length) return pos + elen;
            const varlen_field v = read_varlen(body, pos).value();
            return v.value_offset + v.size;
        }
    };

public:
    using iterator = ioam::detail::framed_iterator<framing>;

    constexpr basic_list_view() noexcept = default;

    [[nodiscard]] constexpr list_semantic semantic() const noexcept { return semantic_; }
    /// The element's field specifier (id, enterprise, element length). Its
    /// type is not on the wire: known_type is false (look the IE up, or use as<Ie>()).
    [[nodiscard]] constexpr field_spec field() const noexcept { return field_; }
    [[nodiscard]] constexpr std::uint16_t element_length() const noexcept { return field_.length; }
    [[nodiscard]] constexpr bool is_variable() const noexcept { return field_.length == variable_length; }
    [[nodiscard]] constexpr std::size_t size() const noexcept { return count_; }
    [[nodiscard]] constexpr bool empty() const noexcept { return count_ == 0; }
    [[nodiscard]] constexpr iterator begin() const noexcept { return {framing{body_, field_.length}, 0}; }
    [[nodiscard]] constexpr iterator end() const noexcept { return {framing{body_, field_.length}, body_.size()}; }
    /// The whole list (header and elements) and the elements alone.
    [[nodiscard]] constexpr bytes_view bytes() const noexcept { return list_; }
    [[nodiscard]] constexpr bytes_view elements() const noexcept { return body_; }
    /// Whether the elements are the IE `Ie` (id and enterprise number).
    template <information_element Ie>
    [[nodiscard]] constexpr bool holds() const noexcept {
        return field_.id == Ie::info.id && field_.enterprise == Ie::info.enterprise;
    }

    /// The elements decoded as type T (each element's length must be legal
    /// for T, RFC 7011 6.2; else errc::bad_field_length).
    template <data_type T>
    class values_view;
    template <data_type T>
    [[nodiscard]] constexpr result<values_view<T>> as() const noexcept;
    /// The elements decoded as IE `Ie`; errc::template_mismatch when the list
    /// holds another IE.
    template <information_element Ie>
    [[nodiscard]] constexpr result<values_view<Ie::info.type>> as() const noexcept {
        if (!holds<Ie>()) return error{errc::template_mismatch, base_ + 1};
        return as<Ie::info.type>();
    }

private:
    friend constexpr result<basic_list_view> decode_basic_list(bytes_view, std::size_t) noexcept;
    bytes_view list_{};
    bytes_view body_{};
    field_spec field_{};
    list_semantic semantic_ = list_semantic::undefined;
    std::size_t count_ = 0;
    std::size_t base_ = 0;
};

/// The elements of a basic_list_view decoded with the field codec of T.
template <data_type T>
class basic_list_view::values_view {
    // The list's elements, each decoded with the codec of T.
    struct framing {
        basic_list_view::framing elements{};
        [[nodiscard]] constexpr value_t<T> at(std::size_t pos) const noexcept {
            return decode_value<T>(elements.at(pos));
        }
        [[nodiscard]] constexpr std::size_t next(std::size_t pos) const noexcept { return elements.next(pos); }
    };

public:
    using iterator = ioam::detail::framed_iterator<framing>;
    constexpr values_view() noexcept = default;
    constexpr explicit values_view(const basic_list_view& l) noexcept : list_(l) {}
    [[nodiscard]] constexpr iterator begin() const noexcept {
        return {framing{{list_.body_, list_.field_.length}}, 0};
    }
    [[nodiscard]] constexpr iterator end() const noexcept {
        return {framing{{list_.body_, list_.field_.length}}, list_.body_.size()};
    }
    [[nodiscard]] constexpr std::size_t size() const noexcept { return list_.size(); }
    [[nodiscard]] constexpr bool empty() const noexcept { return list_.empty(); }
    [[nodiscard]] constexpr list_semantic semantic() const noexcept { return list_.semantic(); }

private:
    basic_list_view list_{};
};

template <data_type T>
constexpr result<basic_list_view::values_view<T>> basic_list_view::as() const noexcept {
    if (is_variable()) {
        // Each element's own length must suit T (a variable length is legal
        // only for octetArray, string and lists, but check every element anyway).
        if (natural_length(T) != variable_length) return error{errc::bad_field_length, base_ + 3};
    } else if (!valid_length(T, field_.length)) {
        return error{errc::bad_field_length, base_ + 3};
    }
    return values_view<T>{*this};
}

/// Checks a basicList: header, enterprise number, and that the elements
/// exactly fill the list (fixed length: a whole number of elements; variable:
/// every prefix and length in bounds). `base` is the offset of `list[0]` in
/// the caller's buffer. Errors: truncated (header), bad_list (element length
/// 0, or a partial element at the end), truncated / length_past_end (a
/// variable element's prefix or length).
[[nodiscard]] constexpr result<basic_list_view> decode_basic_list(bytes_view list, std::size_t base = 0) noexcept {
    if (list.size() < basic_list_header_size) return error{errc::truncated, base};
    basic_list_view v;
    v.list_ = list;
    v.base_ = base;
    v.semantic_ = static_cast<list_semantic>(load_u8(list.data()));
    const std::uint16_t raw = load_be16(list.data() + 1);
    v.field_.id = raw & 0x7fffU;
    v.field_.length = load_be16(list.data() + 3);
    v.field_.known_type = false;
    std::size_t hdr = basic_list_header_size;
    if (raw & 0x8000U) {
        if (list.size() < hdr + 4) return error{errc::truncated, base + hdr};
        v.field_.enterprise = load_be32(list.data() + hdr);
        hdr += 4;
    }
    if (v.field_.length == 0) return error{errc::bad_list, base + 3};  // would never advance
    v.body_ = list.subspan(hdr);
    const std::size_t body_base = base + hdr;
    if (v.field_.length != variable_length) {
        const std::size_t rest = v.body_.size() % v.field_.length;
        if (rest != 0) return error{errc::bad_list, body_base + v.body_.size() - rest};
        v.count_ = v.body_.size() / v.field_.length;
    } else {
        std::size_t pos = 0;
        while (pos < v.body_.size()) {  // each element takes at least its prefix octet
            auto e = read_varlen(v.body_, pos);
            if (!e) return error{e.code(), body_base + e.offset()};
            pos = e->value_offset + e->size;
            ++v.count_;
        }
    }
    return v;
}

// ---- subTemplateList (RFC 6313 4.5.2) --------------------------------------------------
//  0                   1                   2                   3
//  +---------------+-------------------------------+---------------+
//  |   Semantic    |    Template ID (> 255)        | records ...   |
//  +---------------+-------------------------------+---------------+

/// A subTemplateList of compile-time template T. Borrows the buffer.
template <compile_time_template T>
class sub_template_list_view : public list_records<T> {
public:
    constexpr sub_template_list_view() noexcept = default;
    [[nodiscard]] constexpr list_semantic semantic() const noexcept { return semantic_; }
    [[nodiscard]] constexpr std::uint16_t template_id() const noexcept { return T::id; }

private:
    template <compile_time_template U>
    friend constexpr result<sub_template_list_view<U>> decode_sub_template_list(bytes_view, std::size_t) noexcept;
    constexpr sub_template_list_view(list_records<T> r, list_semantic s) noexcept : list_records<T>(r), semantic_(s) {}
    list_semantic semantic_ = list_semantic::undefined;
};

/// A subTemplateList of a run-time template. Borrows the buffer and the template.
class dynamic_sub_template_list : public dynamic_list_records {
public:
    dynamic_sub_template_list() = default;
    dynamic_sub_template_list(dynamic_list_records r, list_semantic s) noexcept : dynamic_list_records(r), semantic_(s) {}
    [[nodiscard]] list_semantic semantic() const noexcept { return semantic_; }
    [[nodiscard]] std::uint16_t template_id() const noexcept { return templ().id(); }

private:
    list_semantic semantic_ = list_semantic::undefined;
};

/// The header of a subTemplateList: what a collector needs to find the template.
struct sub_template_list_header {
    list_semantic semantic = list_semantic::undefined;
    std::uint16_t template_id = 0;
};
/// Reads and checks the 3-octet header: truncated, or bad_template_id for an
/// id below 256 (RFC 6313 4.5.2 names a Template; 0-255 are set ids).
[[nodiscard]] constexpr result<sub_template_list_header> peek_sub_template_list(bytes_view list,
                                                                               std::size_t base = 0) noexcept {
    if (list.size() < sub_template_list_header_size) return error{errc::truncated, base};
    sub_template_list_header h;
    h.semantic = static_cast<list_semantic>(load_u8(list.data()));
    h.template_id = load_be16(list.data() + 1);
    if (h.template_id < 256) return error{errc::bad_template_id, base + 1};
    return h;
}

/// Checks a subTemplateList of T: header, template id (template_mismatch when
/// it is not T::id), and that the records exactly fill the list.
template <compile_time_template T>
[[nodiscard]] constexpr result<sub_template_list_view<T>> decode_sub_template_list(bytes_view list,
                                                                                  std::size_t base = 0) noexcept {
    auto h = peek_sub_template_list(list, base);
    if (!h) return h.error();
    if (h->template_id != T::id) return error{errc::template_mismatch, base + 1};
    auto r = list_records<T>::parse(list.subspan(sub_template_list_header_size), base + sub_template_list_header_size);
    if (!r) return r.error();
    return sub_template_list_view<T>{*r, h->semantic};
}

/// Checks a subTemplateList against a run-time template `t` (whose id must be
/// the list's template id).
[[nodiscard]] inline result<dynamic_sub_template_list> decode_sub_template_list(bytes_view list,
                                                                             const dynamic_template& t,
                                                                             std::size_t base = 0) noexcept {
    auto h = peek_sub_template_list(list, base);
    if (!h) return h.error();
    if (h->template_id != t.id()) return error{errc::template_mismatch, base + 1};
    auto r = dynamic_list_records::parse(t, list.subspan(sub_template_list_header_size),
                                         base + sub_template_list_header_size);
    if (!r) return r.error();
    return dynamic_sub_template_list{*r, h->semantic};
}

/// A function from a template id to its run-time template (or nullptr), e.g.
/// a lambda over template_cache::find().
template <class F>
concept template_resolver = std::is_invocable_r_v<const dynamic_template*, F, std::uint16_t>;

/// Checks a subTemplateList whose template is looked up by its id;
/// errc::unknown_template when `find` returns nullptr.
template <template_resolver Find>
[[nodiscard]] result<dynamic_sub_template_list> decode_sub_template_list(bytes_view list, Find&& find,
                                                                         std::size_t base = 0) noexcept {
    auto h = peek_sub_template_list(list, base);
    if (!h) return h.error();
    const dynamic_template* t = find(h->template_id);
    if (!t) return error{errc::unknown_template, base + 1};
    return decode_sub_template_list(list, *t, base);
}

// ---- subTemplateMultiList (RFC 6313 4.5.3) ----------------------------------------------
//  0                   1                   2                   3
//  +---------------+-------------------------------+---------------+
//  |   Semantic    |    Template ID X (> 255)      | Data Records  |
//  +---------------+-------------------------------+---------------+
//  | Length (incl. these 4 octets) | records of X ...              |
//  +-------------------------------+-------------------------------+
//  |    Template ID Y              | Data Records Length | ...     |

/// One Template ID / Data Records block of a subTemplateMultiList. Its
/// records are checked when decoded with their template. Borrows the buffer.
class multi_list_entry {
public:
    constexpr multi_list_entry() noexcept = default;
    constexpr multi_list_entry(std::uint16_t id, bytes_view records, std::size_t offset) noexcept
        : id_(id), records_(records), offset_(offset) {}
    [[nodiscard]] constexpr std::uint16_t template_id() const noexcept { return id_; }
    /// The records' octets (after the 4-octet entry header).
    [[nodiscard]] constexpr bytes_view bytes() const noexcept { return records_; }
    /// Offset of the entry header in the caller's buffer.
    [[nodiscard]] constexpr std::size_t offset() const noexcept { return offset_; }

    /// The records, read with compile-time template T (template_mismatch when
    /// the entry names another template).
    template <compile_time_template T>
    [[nodiscard]] constexpr result<list_records<T>> records() const noexcept {
        if (id_ != T::id) return error{errc::template_mismatch, offset_};
        return list_records<T>::parse(records_, offset_ + multi_list_entry_header_size);
    }
    /// The records, read with run-time template t.
    [[nodiscard]] result<dynamic_list_records> records(const dynamic_template& t) const noexcept {
        if (id_ != t.id()) return error{errc::template_mismatch, offset_};
        return dynamic_list_records::parse(t, records_, offset_ + multi_list_entry_header_size);
    }

private:
    std::uint16_t id_ = 0;
    bytes_view records_{};
    std::size_t offset_ = 0;
};

/// A subTemplateMultiList whose entry framing was checked by
/// decode_sub_template_multi_list(). Iterates its entries. Borrows the buffer.
class sub_template_multi_list_view {
    // An entry: 16-bit template id, 16-bit length (header included).
    struct framing {
        bytes_view list{};
        std::size_t base = 0;
        [[nodiscard]] constexpr multi_list_entry at(std::size_t pos) const noexcept {
            const std::size_t len = load_be16(list.data() + pos + 2);
            return {load_be16(list.data() + pos),
                    list.subspan(pos + multi_list_entry_header_size, len - multi_list_entry_header_size), base + pos};
        }
        [[nodiscard]] constexpr std::size_t next(std::size_t pos) const noexcept {
            return pos + load_be16(list.data() + pos + 2);
        }
    };

public:
    using iterator = ioam::detail::framed_iterator<framing>;

    constexpr sub_template_multi_list_view() noexcept = default;
    [[nodiscard]] constexpr list_semantic semantic() const noexcept { return semantic_; }
    [[nodiscard]] constexpr iterator begin() const noexcept { return {framing{list_, base_}, 1}; }
    [[nodiscard]] constexpr iterator end() const noexcept { return {framing{list_, base_}, list_.size()}; }
    /// Number of entries (Template ID / Data Records blocks).
    [[nodiscard]] constexpr std::size_t size() const noexcept { return count_; }
    [[nodiscard]] constexpr bool empty() const noexcept { return count_ == 0; }
    [[nodiscard]] constexpr bytes_view bytes() const noexcept { return list_; }

private:
    friend constexpr result<sub_template_multi_list_view> decode_sub_template_multi_list(bytes_view,
                                                                                         std::size_t) noexcept;
    bytes_view list_{};
    std::size_t base_ = 0;
    std::size_t count_ = 0;
    list_semantic semantic_ = list_semantic::undefined;
};

/// Checks the framing of a subTemplateMultiList: the semantic octet, then
/// entries that exactly fill the list. Per entry: truncated (fewer than 4
/// octets left), bad_template_id (id below 256), bad_list (Data Records
/// Length below 4: it counts the entry header, RFC 6313 4.5.3),
/// length_past_end. The records of each entry are checked by
/// multi_list_entry::records() with their template.
[[nodiscard]] constexpr result<sub_template_multi_list_view> decode_sub_template_multi_list(
    bytes_view list, std::size_t base = 0) noexcept {
    if (list.empty()) return error{errc::truncated, base};
    sub_template_multi_list_view v;
    v.list_ = list;
    v.base_ = base;
    v.semantic_ = static_cast<list_semantic>(load_u8(list.data()));
    std::size_t pos = 1;
    while (pos < list.size()) {
        if (list.size() - pos < multi_list_entry_header_size) return error{errc::truncated, base + pos};
        const std::uint16_t id = load_be16(list.data() + pos);
        const std::uint16_t len = load_be16(list.data() + pos + 2);
        if (id < 256) return error{errc::bad_template_id, base + pos};
        if (len < multi_list_entry_header_size) return error{errc::bad_list, base + pos + 2};
        if (len > list.size() - pos) return error{errc::length_past_end, base + pos + 2};
        pos += len;  // at least 4: always advances
        ++v.count_;
    }
    return v;
}

// ---- encoders ------------------------------------------------------------------------------
// Each writer appends one list to a byte_writer. Errors are sticky; finish()
// reports the first one and then rewinds the writer to where the list began,
// so a failed list leaves nothing behind (errc::no_room when out of space).

namespace detail {
class list_writer_base {
protected:
    constexpr explicit list_writer_base(byte_writer& w) noexcept : w_(&w), start_(w.size()) {}
    constexpr void fail(errc e) noexcept {
        if (err_ == errc::ok) err_ = e;
    }
    [[nodiscard]] constexpr bool good() const noexcept { return err_ == errc::ok && w_->ok(); }
    [[nodiscard]] constexpr result<void> close() noexcept {
        if (err_ == errc::ok && !w_->ok()) err_ = errc::no_room;
        if (err_ != errc::ok) {
            w_->rewind(start_);
            return error{err_, start_};
        }
        return {};
    }
    /// Writes one value of type T, fixed length `len` or variable (RFC 7011 7).
    template <data_type T>
    constexpr void put_value(const value_t<T>& v, std::uint16_t len, bool long_varlen) noexcept {
        if (!good()) return;
        if (len == variable_length) {
            if constexpr (natural_length(T) == variable_length) {
                const std::size_t n = value_size(v);
                if (n > 0xffff) return fail(errc::value_out_of_range);
                put_varlen_prefix(*w_, n, long_varlen);
                if (std::byte* p = w_->reserve(n)) fail_if(encode_value<T>(bytes_span{p, n}, v));
            } else {
                fail(errc::bad_field_length);  // RFC 7011 7: only octetArray, string, lists
            }
        } else if (std::byte* p = w_->reserve(len)) {
            fail_if(encode_value<T>(bytes_span{p, len}, v));
        }
    }
    constexpr void fail_if(errc e) noexcept {
        if (e != errc::ok) fail(e);
    }

    byte_writer* w_;
    std::size_t start_;
    errc err_ = errc::ok;
};
}  // namespace detail

/// Writes a basicList (RFC 6313 4.5.1) element by element.
class basic_list_writer : detail::list_writer_base {
public:
    /// Writes the header for elements of field `f` (id, enterprise, element
    /// length; variable_length for elements with a length prefix each).
    constexpr basic_list_writer(byte_writer& w, list_semantic s, const field_spec& f,
                                record_options opt = {}) noexcept
        : list_writer_base(w), len_(f.length), long_(opt.long_varlen) {
        if (f.id >= 0x8000) fail(errc::value_out_of_range);
        if (f.length == 0) fail(errc::bad_field_length);
        w.put_u8(static_cast<std::uint8_t>(s));
        put_field_spec(w, field_spec{static_cast<std::uint16_t>(f.id & 0x7fffU), f.enterprise, f.length,
                                     f.type, f.known_type});
    }
    /// Appends one element of type T, encoded with the field codec.
    template <data_type T>
    constexpr basic_list_writer& add(const value_t<T>& v) noexcept {
        put_value<T>(v, len_, long_);
        if (good()) ++count_;
        return *this;
    }
    /// Appends one pre-encoded element (exactly the element length when fixed).
    constexpr basic_list_writer& add_bytes(bytes_view element) noexcept {
        if (len_ != variable_length && element.size() != len_) fail(errc::value_out_of_range);
        return add<data_type::octetArray>(element);
    }
    [[nodiscard]] constexpr std::size_t size() const noexcept { return count_; }
    /// The first error, or success; on error the list is removed from the writer.
    [[nodiscard]] constexpr result<void> finish() noexcept { return close(); }

private:
    std::uint16_t len_;
    bool long_;
    std::size_t count_ = 0;
};

/// Writes a basicList of field F (an IE, or reduced<>/fixed<>/varlen<> of one)
/// from a range of values convertible to its value type.
template <class F, class Range>
constexpr result<void> encode_basic_list(byte_writer& w, list_semantic s, const Range& values,
                                         record_options opt = {}) noexcept {
    constexpr field_spec f = detail::spec_of<F>;
    static_assert(valid_length(f.type, f.length),
                  "ioam: illegal element length for a basicList element (RFC 6313 4.5.1, RFC 7011 6.2)");
    basic_list_writer l(w, s, f, opt);
    for (const auto& v : values) l.template add<f.type>(static_cast<value_t<f.type>>(v));
    return l.finish();
}

/// Writes a subTemplateList (RFC 6313 4.5.2) record by record.
class sub_template_list_writer : detail::list_writer_base {
public:
    constexpr sub_template_list_writer(byte_writer& w, list_semantic s, std::uint16_t template_id,
                                       record_options opt = {}) noexcept
        : list_writer_base(w), id_(template_id), opt_(opt) {
        if (template_id < 256) fail(errc::bad_template_id);
        w.put_u8(static_cast<std::uint8_t>(s));
        w.put_be16(template_id);
    }
    /// Appends a record of T (a tuple or aggregate of its values); T must be
    /// the list's template (else errc::template_mismatch).
    template <compile_time_template T, class Values>
    constexpr sub_template_list_writer& add(const Values& v) noexcept {
        if (T::id != id_) fail(errc::template_mismatch);
        if (!good()) return *this;
        if (auto r = encode_record<T>(*w_, v, opt_); !r) fail(r.code());
        else ++count_;
        return *this;
    }
    /// Appends a pre-encoded record (e.g. of a run-time template).
    constexpr sub_template_list_writer& add_record_bytes(bytes_view record) noexcept {
        if (record.empty()) fail(errc::bad_list);
        w_->put_bytes(record);
        if (good()) ++count_;
        return *this;
    }
    [[nodiscard]] constexpr std::size_t size() const noexcept { return count_; }
    [[nodiscard]] constexpr result<void> finish() noexcept { return close(); }

private:
    std::uint16_t id_;
    record_options opt_;
    std::size_t count_ = 0;
};

/// Writes a subTemplateList of template T from a range of records (tuples or aggregates).
template <compile_time_template T, class Range>
constexpr result<void> encode_sub_template_list(byte_writer& w, list_semantic s, const Range& records,
                                                record_options opt = {}) noexcept {
    sub_template_list_writer l(w, s, T::id, opt);
    for (const auto& r : records) l.template add<T>(r);
    return l.finish();
}

/// Writes a subTemplateMultiList (RFC 6313 4.5.3). Consecutive records of the
/// same template share one entry; a record of another template opens the next.
class sub_template_multi_list_writer : detail::list_writer_base {
public:
    constexpr sub_template_multi_list_writer(byte_writer& w, list_semantic s, record_options opt = {}) noexcept
        : list_writer_base(w), opt_(opt) {
        w.put_u8(static_cast<std::uint8_t>(s));
    }
    template <compile_time_template T, class Values>
    constexpr sub_template_multi_list_writer& add(const Values& v) noexcept {
        if (!open(T::id)) return *this;
        if (auto r = encode_record<T>(*w_, v, opt_); !r) fail(r.code());
        return *this;
    }
    constexpr sub_template_multi_list_writer& add_record_bytes(std::uint16_t template_id, bytes_view record) noexcept {
        if (record.empty()) fail(errc::bad_list);
        if (!open(template_id)) return *this;
        w_->put_bytes(record);
        return *this;
    }
    /// Starts an entry with no records (Data Records Length 4).
    constexpr sub_template_multi_list_writer& add_empty_entry(std::uint16_t template_id) noexcept {
        close_entry();
        open(template_id);
        close_entry();
        return *this;
    }
    [[nodiscard]] constexpr std::size_t entries() const noexcept { return entries_; }
    [[nodiscard]] constexpr result<void> finish() noexcept {
        close_entry();
        return close();
    }

private:
    constexpr bool open(std::uint16_t id) noexcept {
        if (id < 256) fail(errc::bad_template_id);
        if (!good()) return false;
        if (entry_ && id == entry_id_) return true;
        close_entry();
        entry_start_ = w_->size();
        entry_id_ = id;
        entry_ = true;
        ++entries_;
        w_->put_be16(id);
        w_->put_be16(0);  // filled in by close_entry()
        return good();
    }
    constexpr void close_entry() noexcept {
        if (!entry_) return;
        entry_ = false;
        if (!good()) return;
        const std::size_t len = w_->size() - entry_start_;
        if (len > 0xffff) return fail(errc::value_out_of_range);
        store_be16(w_->data() + entry_start_ + 2, static_cast<std::uint16_t>(len));
    }

    record_options opt_;
    std::size_t entry_start_ = 0;
    std::size_t entries_ = 0;
    std::uint16_t entry_id_ = 0;
    bool entry_ = false;
};

/// Writes a list in place as a variable-length field of a record being built
/// (RFC 7011 7): reserves the 3-octet length form, which finish() fills in.
///   varlen_field_writer f(w); basic_list_writer l(w, ...); ...; l.finish(); f.finish();
class varlen_field_writer {
public:
    constexpr explicit varlen_field_writer(byte_writer& w) noexcept : w_(&w), start_(w.size()) {
        w.put_u8(255);
        w.put_be16(0);
    }
    [[nodiscard]] constexpr result<void> finish() noexcept {
        if (!w_->ok()) {
            w_->rewind(start_);
            return error{errc::no_room, start_};
        }
        if (w_->size() < start_ + 3) return error{errc::truncated, start_};  // rewound past our prefix
        const std::size_t len = w_->size() - start_ - 3;
        if (len > 0xffff) {
            w_->rewind(start_);
            return error{errc::value_out_of_range, start_};
        }
        store_be16(w_->data() + start_ + 1, static_cast<std::uint16_t>(len));
        return {};
    }

private:
    byte_writer* w_;
    std::size_t start_;
};

}  // namespace ioam::ipfix
