// Templates that arrive at run time (RFC 7011 3.4, 8) and the records they
// describe. Field values are decoded lazily through the same field codecs
// (field.hpp) that compile-time templates use.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "ioam/core/buffer.hpp"
#include "ioam/core/error.hpp"
#include "ioam/core/framed.hpp"
#include "ioam/ipfix/decode_plan.hpp"
#include "ioam/ipfix/field.hpp"
#include "ioam/ipfix/ie.hpp"
#include "ioam/ipfix/message.hpp"
#include "ioam/ipfix/record.hpp"
#include "ioam/ipfix/template.hpp"

namespace ioam::ipfix {

/// Resolves (id, enterprise) to a registry row: a list of tables searched in
/// order. Tables are borrowed (typically constexpr arrays with static storage).
class ie_registry {
public:
    ie_registry() = default;
    explicit ie_registry(std::span<const ie_info> table) { add(table); }
    void add(std::span<const ie_info> table) { tables_.push_back(table); }
    [[nodiscard]] const ie_info* find(std::uint16_t id, std::uint32_t enterprise) const noexcept {
        for (auto t : tables_)
            for (const ie_info& i : t)
                if (i.id == id && i.enterprise == enterprise) return &i;
        return nullptr;
    }

private:
    std::vector<std::span<const ie_info>> tables_;
};

/// One field of a run-time record: its description in the template (spec:
/// the specifier, place and plan), its registry row (nullptr when unknown:
/// read it as octets) and its bytes. Borrows the buffer and the template.
struct field_view {
    const template_field* spec = nullptr;
    const ie_info* info = nullptr;
    bytes_view bytes{};

    [[nodiscard]] data_type type() const noexcept { return spec->type; }
    /// The value as type T; T must be the field's type (check type() first).
    template <data_type T>
    [[nodiscard]] value_t<T> as() const noexcept { return decode_value<T>(bytes); }
    /// Integers of any width and signedness, widened (bool false when not an integer).
    [[nodiscard]] bool to_u64(std::uint64_t& out) const noexcept {
        if (!is_unsigned(spec->type) && !is_signed(spec->type)) return false;
        const std::uint64_t raw = detail::load_be_var(bytes.data(), bytes.size());
        out = is_unsigned(spec->type) ? raw : static_cast<std::uint64_t>(detail::sign_extend(raw, bytes.size()));
        return true;
    }
};

/// A template received on the wire (or built at run time), validated by the
/// same rules as compile-time templates, with its fields' types resolved.
class dynamic_template {
public:
    dynamic_template() = default;

    /// Builds from a checked template record; unknown IEs decode as octets.
    /// Duplicate IEs are allowed here (RFC 7011 8); lengths are checked
    /// against the registry's type (RFC 7011 6.2).
    [[nodiscard]] static result<dynamic_template> from_record(const template_record_view& r, const ie_registry& reg) {
        dynamic_template t;
        t.id_ = r.id();
        t.options_ = r.is_options();
        t.scope_count_ = r.scope_count();
        std::vector<template_field> fields;
        fields.reserve(r.field_count());
        r.for_each_field([&](field_spec f) {
            const ie_info* info = reg.find(f.id, f.enterprise);
            if (info) {
                f.type = info->type;
                f.known_type = true;
            }
            fields.emplace_back(f, info);
        });
        const template_check c = validate_template(t.id_, fields, t.scope_count_, t.options_, true);
        if (c.code != errc::ok) return error{c.code, r.offset()};
        t.finish(std::move(fields));
        return t;
    }
    /// Builds from field specifiers (e.g. to re-export).
    [[nodiscard]] static result<dynamic_template> from_fields(std::uint16_t id, std::span<const field_spec> fields,
                                                              std::size_t scope_count, bool options,
                                                              const ie_registry* reg = nullptr) {
        dynamic_template t;
        t.id_ = id;
        t.options_ = options;
        t.scope_count_ = static_cast<std::uint16_t>(scope_count);
        std::vector<template_field> tf;
        tf.reserve(fields.size());
        for (const auto& f : fields) tf.emplace_back(f, reg ? reg->find(f.id, f.enterprise) : nullptr);
        const template_check c = validate_template(id, tf, scope_count, options, true);
        if (c.code != errc::ok) return error{c.code, c.field};
        t.finish(std::move(tf));
        return t;
    }

    [[nodiscard]] std::uint16_t id() const noexcept { return id_; }
    [[nodiscard]] bool is_options() const noexcept { return options_; }
    [[nodiscard]] std::size_t scope_count() const noexcept { return scope_count_; }
    /// The fields: specifier, registry row, place in a record and how the
    /// plan reads each (template_field, decode_plan.hpp).
    [[nodiscard]] std::span<const template_field> fields() const noexcept { return plan_.fields(); }
    [[nodiscard]] const ie_info* info(std::size_t i) const noexcept { return plan_.fields()[i].info; }
    [[nodiscard]] bool is_fixed_size() const noexcept { return fixed_; }
    [[nodiscard]] std::size_t min_record_size() const noexcept { return min_size_; }
    /// Offset of field i in every record, or variable_length when it follows
    /// a variable-length field and must be found by walking the record.
    [[nodiscard]] std::size_t static_offset(std::size_t i) const noexcept {
        const template_field& f = plan_.fields()[i];
        return f.segment == 0 ? f.offset : variable_length;
    }
    /// The template compiled for reading records (decode_plan.hpp), built
    /// once when the template is made; it holds the fields.
    [[nodiscard]] const decode_plan& plan() const noexcept { return plan_; }
    /// Heap octets this template holds (what a cache accounts for it).
    [[nodiscard]] std::size_t heap_bytes() const noexcept { return plan_.heap_bytes(); }
    /// Index of the first field naming (id, enterprise), or fields().size().
    [[nodiscard]] std::size_t index_of(std::uint16_t id, std::uint32_t enterprise = 0) const noexcept {
        const auto fields = plan_.fields();
        for (std::size_t i = 0; i < fields.size(); ++i)
            if (fields[i].id == id && fields[i].enterprise == enterprise) return i;
        return fields.size();
    }

    /// Writes the template record (for re-export or a file).
    [[nodiscard]] result<void> encode(byte_writer& w) const noexcept {
        const std::size_t start = w.size();
        w.put_be16(id_);
        w.put_be16(static_cast<std::uint16_t>(plan_.size()));
        if (options_) w.put_be16(scope_count_);
        for (const auto& f : plan_.fields()) put_field_spec(w, f);
        if (!w.ok()) {
            w.rewind(start);
            return error{errc::no_room, start};
        }
        return {};
    }

    /// Size of the record at the start of `in`, every length checked.
    [[nodiscard]] result<std::size_t> record_size(bytes_view in, std::size_t base = 0) const noexcept {
        if (fixed_) {
            if (in.size() < min_size_) return error{errc::truncated, base};
            return min_size_;
        }
        std::size_t pos = 0;
        for (const auto& f : plan_.fields()) {
            if (f.length == variable_length) {
                auto v = read_varlen(in, pos);
                if (!v) return error{v.code(), base + v.offset()};
                pos = v->value_offset + v->size;
            } else {
                if (in.size() - pos < f.length) return error{errc::truncated, base + pos};
                pos += f.length;
            }
        }
        return pos;
    }

private:
    void finish(std::vector<template_field> fields) {
        fixed_ = true;
        min_size_ = 0;
        for (const auto& f : fields) {
            if (f.length == variable_length) {
                fixed_ = false;
                min_size_ += 1;
            } else {
                min_size_ += f.length;
            }
        }
        plan_ = decode_plan{std::move(fields)};
    }

    std::uint16_t id_ = 0;
    std::uint16_t scope_count_ = 0;
    bool options_ = false;
    bool fixed_ = true;
    std::size_t min_size_ = 0;
    decode_plan plan_;  // the fields, described once
};

/// A record of a run-time template. Borrows the buffer and the template.
class dynamic_record {
public:
    dynamic_record() = default;
    dynamic_record(const dynamic_template* t, bytes_view bytes) noexcept : t_(t), bytes_(bytes) {}
    [[nodiscard]] const dynamic_template& templ() const noexcept { return *t_; }
    [[nodiscard]] bytes_view bytes() const noexcept { return bytes_; }

    /// Calls fn(field_view) for each field in template order: each field
    /// where the template's description puts it (offsets within segments;
    /// only variable-length prefixes are read).
    template <class Fn>
    void for_each_field(Fn&& fn) const {
        const std::byte* seg = bytes_.data();
        for (const template_field& f : t_->fields()) {
            if (f.length == variable_length) {
                const bytes_view v = decode_plan::variable_at(seg, f);  // checked when the set was parsed
                fn(field_view{&f, f.info, v});
                seg = v.data() + v.size();
            } else {
                fn(field_view{&f, f.info, bytes_view{seg + f.offset, f.length}});
            }
        }
    }
    /// Calls fn(i, value) for each field through the template's plan: the
    /// fast path (decode_plan::visit says how values are typed).
    template <class Fn>
    void visit(Fn&& fn) const {
        t_->plan().visit(bytes_, fn);
    }
    /// Calls fn(i, std::uint64_t) or fn(i, bytes_view) for each field
    /// (decode_plan::for_each_u64).
    template <class Fn>
    void for_each_u64(Fn&& fn) const {
        t_->plan().for_each_u64(bytes_, fn);
    }
    /// The i-th field: at its offset, after the variable-length fields
    /// before it (if any) are stepped over.
    [[nodiscard]] field_view field(std::size_t i) const noexcept {
        const auto fields = t_->fields();
        const template_field& f = fields[i];
        const std::byte* seg = bytes_.data();
        if (f.segment != 0)
            for (std::size_t j = 0; j < i; ++j)
                if (fields[j].length == variable_length) {
                    const bytes_view v = decode_plan::variable_at(seg, fields[j]);
                    seg = v.data() + v.size();
                }
        if (f.length == variable_length) return {&f, f.info, decode_plan::variable_at(seg, f)};
        return {&f, f.info, bytes_view{seg + f.offset, f.length}};
    }
    /// The first field naming (id, enterprise); spec == nullptr when absent.
    [[nodiscard]] field_view find(std::uint16_t id, std::uint32_t enterprise = 0) const noexcept {
        const std::size_t i = t_->index_of(id, enterprise);
        return i < t_->fields().size() ? field(i) : field_view{};
    }
    /// The value of a compile-time IE type, decoded with its codec; false when
    /// the IE is absent or its type in the template differs.
    template <information_element Ie>
    [[nodiscard]] bool get(value_t<Ie::info.type>& out) const noexcept {
        const field_view f = find(Ie::info.id, Ie::info.enterprise);
        if (!f.spec || f.spec->type != Ie::info.type) return false;
        out = f.template as<Ie::info.type>();
        return true;
    }

private:
    const dynamic_template* t_ = nullptr;
    bytes_view bytes_{};
};

/// Records of one run-time template decoded at once (decode_plan::
/// decode_rows): row r holds record r's fields in template order, each as
/// dynamic_record::for_each_u64 gives it. Borrows a buffer that lives until
/// the callback it is handed to returns, and the template.
class value_rows {
public:
    value_rows(const dynamic_template* t, const std::uint64_t* v, std::size_t rows) noexcept
        : t_(t), v_(v), rows_(rows), stride_(t->plan().row_slots()), fields_(t->fields().size()) {}
    [[nodiscard]] const dynamic_template& templ() const noexcept { return *t_; }
    /// Records.
    [[nodiscard]] std::size_t size() const noexcept { return rows_; }
    /// Record r's values, one per field.
    [[nodiscard]] std::span<const std::uint64_t> operator[](std::size_t r) const noexcept {
        return {v_ + r * stride_, fields_};
    }
    /// Every row back to back, stride() slots each: after an odd count of
    /// fields, each row ends with a 0 slot.
    [[nodiscard]] std::span<const std::uint64_t> slots() const noexcept { return {v_, rows_ * stride_}; }
    [[nodiscard]] std::size_t stride() const noexcept { return stride_; }

private:
    const dynamic_template* t_;
    const std::uint64_t* v_;
    std::size_t rows_, stride_, fields_;
};

namespace detail {
/// Records of a run-time template back to back (a data set, a sub-template
/// list): the template's size when fixed, else measured (checked when the
/// view was made).
struct dynamic_record_frames {
    const dynamic_template* t = nullptr;
    bytes_view body{};
    std::size_t fixed = 0;  // the record size of a fixed-size template
    [[nodiscard]] static dynamic_record_frames of(const dynamic_template* t, bytes_view body) noexcept {
        return {t, body, t && t->is_fixed_size() ? t->min_record_size() : 0};
    }
    [[nodiscard]] std::size_t size(std::size_t pos) const noexcept {
        return fixed ? fixed : t->record_size(body.subspan(pos)).value();
    }
    [[nodiscard]] dynamic_record at(std::size_t pos) const noexcept { return {t, body.subspan(pos, size(pos))}; }
    [[nodiscard]] std::size_t next(std::size_t pos) const noexcept { return pos + size(pos); }
};
}  // namespace detail

/// The records of a data set, checked against a run-time template. Borrows
/// the buffer and the template; iteration cannot fail.
class dynamic_data_set {
public:
    using iterator = ioam::detail::framed_iterator<detail::dynamic_record_frames>;

    dynamic_data_set() = default;
    [[nodiscard]] iterator begin() const noexcept { return {detail::dynamic_record_frames::of(t_, body_), 0}; }
    [[nodiscard]] iterator end() const noexcept { return {detail::dynamic_record_frames::of(t_, body_), end_}; }
    [[nodiscard]] std::size_t size() const noexcept { return count_; }
    [[nodiscard]] const dynamic_template& templ() const noexcept { return *t_; }

    /// Checks every record of `s` against `t` and the trailing padding.
    [[nodiscard]] static result<dynamic_data_set> parse(const dynamic_template& t, const set_view& s) noexcept {
        if (s.id() != t.id()) return error{errc::template_mismatch, s.offset()};
        dynamic_data_set d;
        d.t_ = &t;
        d.body_ = s.body();
        const std::size_t base = s.body_offset();
        std::size_t pos = 0;
        if (t.is_fixed_size() && t.min_record_size() > 0) {
            d.count_ = d.body_.size() / t.min_record_size();
            pos = d.count_ * t.min_record_size();
        }
        while (d.body_.size() - pos >= t.min_record_size()) {
            auto n = t.record_size(d.body_.subspan(pos), base + pos);
            if (!n) return n.error();
            pos += *n;
            ++d.count_;
        }
        if (auto p = check_padding(d.body_, pos, base); !p) return p.error();
        d.end_ = pos;
        return d;
    }

private:
    const dynamic_template* t_ = nullptr;
    bytes_view body_{};
    std::size_t end_ = 0;
    std::size_t count_ = 0;
};

}  // namespace ioam::ipfix
