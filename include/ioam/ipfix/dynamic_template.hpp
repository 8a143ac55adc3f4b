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

/// One field of a run-time record: its specifier, its registry row (nullptr
/// when unknown: read it as octets) and its bytes. Borrows the buffer.
struct field_view {
    const field_spec* spec = nullptr;
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
        t.fields_.reserve(r.field_count());
        r.for_each_field([&](field_spec f) {
            const ie_info* info = reg.find(f.id, f.enterprise);
            if (info) {
                f.type = info->type;
                f.known_type = true;
            }
            t.fields_.push_back(f);
            t.info_.push_back(info);
        });
        const template_check c = validate_template(t.id_, t.fields_, t.scope_count_, t.options_, true);
        if (c.code != errc::ok) return error{c.code, r.offset()};
        t.finish();
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
        t.fields_.assign(fields.begin(), fields.end());
        for (const auto& f : fields) t.info_.push_back(reg ? reg->find(f.id, f.enterprise) : nullptr);
        const template_check c = validate_template(id, t.fields_, scope_count, options, true);
        if (c.code != errc::ok) return error{c.code, c.field};
        t.finish();
        return t;
    }

    [[nodiscard]] std::uint16_t id() const noexcept { return id_; }
    [[nodiscard]] bool is_options() const noexcept { return options_; }
    [[nodiscard]] std::size_t scope_count() const noexcept { return scope_count_; }
    [[nodiscard]] std::span<const field_spec> fields() const noexcept { return fields_; }
    [[nodiscard]] const ie_info* info(std::size_t i) const noexcept { return info_[i]; }
    [[nodiscard]] bool is_fixed_size() const noexcept { return fixed_; }
    [[nodiscard]] std::size_t min_record_size() const noexcept { return min_size_; }
    /// Offset of field i in every record, or variable_length when it follows
    /// a variable-length field and must be found by walking the record.
    [[nodiscard]] std::size_t static_offset(std::size_t i) const noexcept { return offsets_[i]; }
    /// The template compiled for reading records (decode_plan.hpp), built
    /// once when the template is made.
    [[nodiscard]] const decode_plan& plan() const noexcept { return plan_; }
    /// Heap octets this template holds (what a cache accounts for it).
    [[nodiscard]] std::size_t heap_bytes() const noexcept {
        return fields_.capacity() * sizeof(field_spec) + info_.capacity() * sizeof(const ie_info*) +
               offsets_.capacity() * sizeof(std::size_t) + plan_.heap_bytes();
    }
    /// Index of the first field naming (id, enterprise), or fields().size().
    [[nodiscard]] std::size_t index_of(std::uint16_t id, std::uint32_t enterprise = 0) const noexcept {
        for (std::size_t i = 0; i < fields_.size(); ++i)
            if (fields_[i].id == id && fields_[i].enterprise == enterprise) return i;
        return fields_.size();
    }

    /// Writes the template record (for re-export or a file).
    [[nodiscard]] result<void> encode(byte_writer& w) const noexcept {
        const std::size_t start = w.size();
        w.put_be16(id_);
        w.put_be16(static_cast<std::uint16_t>(fields_.size()));
        if (options_) w.put_be16(scope_count_);
        for (const auto& f : fields_) put_field_spec(w, f);
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
        for (const auto& f : fields_) {
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
    void finish() {
        fixed_ = true;
        min_size_ = 0;
        offsets_.clear();
        for (const auto& f : fields_) {
            offsets_.push_back(fixed_ ? min_size_ : variable_length);
            if (f.length == variable_length) {
                fixed_ = false;
                min_size_ += 1;
            } else {
                min_size_ += f.length;
            }
        }
        plan_ = decode_plan{fields_};
    }

    std::uint16_t id_ = 0;
    std::uint16_t scope_count_ = 0;
    bool options_ = false;
    bool fixed_ = true;
    std::size_t min_size_ = 0;
    std::vector<field_spec> fields_;
    std::vector<const ie_info*> info_;
    std::vector<std::size_t> offsets_;  // up to the first variable-length field
    decode_plan plan_;
};

/// A record of a run-time template. Borrows the buffer and the template.
class dynamic_record {
public:
    dynamic_record() = default;
    dynamic_record(const dynamic_template* t, bytes_view bytes) noexcept : t_(t), bytes_(bytes) {}
    [[nodiscard]] const dynamic_template& templ() const noexcept { return *t_; }
    [[nodiscard]] bytes_view bytes() const noexcept { return bytes_; }

    /// Calls fn(field_view) for each field in template order.
    template <class Fn>
    void for_each_field(Fn&& fn) const {
        std::size_t pos = 0;
        const auto fields = t_->fields();
        for (std::size_t i = 0; i < fields.size(); ++i) {
            std::size_t off = pos, len = fields[i].length;
            if (len == variable_length) {
                const auto v = read_varlen(bytes_, pos).value();  // checked when the set was parsed
                off = v.value_offset;
                len = v.size;
            }
            fn(field_view{&fields[i], t_->info(i), bytes_.subspan(off, len)});
            pos = off + len;
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
    /// The i-th field.
    [[nodiscard]] field_view field(std::size_t i) const noexcept {
        const auto fields = t_->fields();
        if (const std::size_t off = t_->static_offset(i);
            off != variable_length && fields[i].length != variable_length)
            return {&fields[i], t_->info(i), bytes_.subspan(off, fields[i].length)};
        field_view out{};
        std::size_t n = 0;
        for_each_field([&](const field_view& f) {
            if (n++ == i) out = f;
        });
        return out;
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

/// The records of a data set, checked against a run-time template. Borrows
/// the buffer and the template; iteration cannot fail.
class dynamic_data_set {
public:
    class iterator {
    public:
        using value_type = dynamic_record;
        using difference_type = std::ptrdiff_t;
        using iterator_concept = std::forward_iterator_tag;
        iterator() = default;
        iterator(const dynamic_template* t, bytes_view body, std::size_t pos) noexcept
            : t_(t), body_(body), pos_(pos), fixed_(t && t->is_fixed_size() ? t->min_record_size() : 0) {}
        [[nodiscard]] dynamic_record operator*() const noexcept { return {t_, body_.subspan(pos_, size())}; }
        iterator& operator++() noexcept {
            pos_ += size();
            return *this;
        }
        iterator operator++(int) noexcept {
            iterator t = *this;
            ++*this;
            return t;
        }
        friend bool operator==(const iterator& a, const iterator& b) noexcept { return a.pos_ == b.pos_; }

    private:
        // Checked when the set was parsed.
        [[nodiscard]] std::size_t size() const noexcept {
            return fixed_ ? fixed_ : t_->record_size(body_.subspan(pos_)).value();
        }
        const dynamic_template* t_ = nullptr;
        bytes_view body_{};
        std::size_t pos_ = 0;
        std::size_t fixed_ = 0;  // the record size of a fixed-size template
    };

    dynamic_data_set() = default;
    [[nodiscard]] iterator begin() const noexcept { return {t_, body_, 0}; }
    [[nodiscard]] iterator end() const noexcept { return {t_, body_, end_}; }
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
