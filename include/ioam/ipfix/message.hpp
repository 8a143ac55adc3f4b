// IPFIX messages (RFC 7011 3.1, 3.3): a writer that fills a caller's buffer
// up to a capacity (the path MTU), and zero-copy views that read one.
//
// Message header:
//  0                   1                   2                   3
//  +-------------------------------+-------------------------------+
//  |       Version = 0x000a        |        Message Length         |
//  +-------------------------------+-------------------------------+
//  |                          Export Time                          |
//  +---------------------------------------------------------------+
//  |                        Sequence Number                        |
//  +---------------------------------------------------------------+
//  |                   Observation Domain ID                       |
//  +---------------------------------------------------------------+
// Set header: | Set ID (2: template, 3: options template, >255: data) | Length |
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <span>
#include <tuple>

#include "ioam/core/buffer.hpp"
#include "ioam/core/error.hpp"
#include "ioam/core/framed.hpp"
#include "ioam/ipfix/record.hpp"
#include "ioam/ipfix/template.hpp"

namespace ioam::ipfix {

inline constexpr std::uint16_t ipfix_version = 10;
inline constexpr std::size_t message_header_size = 16;
inline constexpr std::size_t set_header_size = 4;
inline constexpr std::uint16_t template_set_id = 2;
inline constexpr std::uint16_t options_template_set_id = 3;
inline constexpr std::size_t max_message_size = 65535;

/// The transport decides what the writer may do (RFC 7011 8.1, 8.4, 10).
enum class transport : std::uint8_t { udp, tcp, sctp, file };

struct message_header {
    std::uint16_t version = ipfix_version;
    std::uint16_t length = 0;
    std::uint32_t export_time = 0;
    std::uint32_t sequence = 0;
    std::uint32_t observation_domain = 0;
};

struct writer_options {
    /// Upper bound of a message, e.g. the path MTU minus IP and UDP headers.
    std::size_t capacity = max_message_size;
    transport over = transport::udp;
    /// Pad each set with zeros to a multiple of this many octets (0 or 1: no
    /// padding). RFC 7011 3.3.1: padding must be shorter than any record the
    /// set's template allows, so a set is padded only when that holds.
    std::uint8_t set_alignment = 0;
    record_options records{};
};

/// Builds one message at a time in a caller-owned buffer; never allocates.
/// Records of the same set id go into one set; a record that would pass the
/// capacity is refused with errc::no_room and leaves the message intact, so
/// the caller can finish() it and start the next.
class message_writer {
public:
    constexpr message_writer(bytes_span buffer, std::uint32_t observation_domain, std::uint32_t sequence,
                             writer_options opt = {}) noexcept
        : buf_(buffer.first(std::min({buffer.size(), opt.capacity, max_message_size}))),
          w_(buf_), odid_(observation_domain), sequence_(sequence), opt_(opt) {
        w_.put_zeros(message_header_size);  // filled in by finish()
    }

    [[nodiscard]] constexpr std::size_t size() const noexcept { return w_.size(); }
    [[nodiscard]] constexpr std::size_t remaining() const noexcept { return w_.remaining(); }
    [[nodiscard]] constexpr bool empty() const noexcept { return w_.size() == message_header_size; }
    [[nodiscard]] constexpr std::uint32_t data_records() const noexcept { return records_; }
    [[nodiscard]] constexpr std::uint32_t sequence() const noexcept { return sequence_; }
    /// The sequence number of the next message for this observation domain:
    /// data records sent before it, modulo 2^32 (RFC 7011 3.1).
    [[nodiscard]] constexpr std::uint32_t next_sequence() const noexcept { return sequence_ + records_; }
    [[nodiscard]] constexpr std::uint32_t observation_domain() const noexcept { return odid_; }
    [[nodiscard]] constexpr transport over() const noexcept { return opt_.over; }

    /// Adds the template record of T (in a template or options template set).
    template <compile_time_template T>
    constexpr result<void> add_template() noexcept {
        return add([](byte_writer& w) { return encode_template_record<T>(w); },
                   T::is_options ? options_template_set_id : template_set_id, false, 4);
    }
    /// Adds a pre-encoded template record (e.g. from a run-time template).
    constexpr result<void> add_template_bytes(bytes_view record, bool options) noexcept {
        return add([&](byte_writer& w) -> result<void> {
            w.put_bytes(record);
            return w.status();
        }, options ? options_template_set_id : template_set_id, false, 4);
    }

    /// Adds one data record of T from a tuple or an aggregate of its values.
    template <compile_time_template T, class Values>
    constexpr result<void> add_record(const Values& v) noexcept {
        if constexpr (T::is_fixed_size) {
            // The common case, a fixed-size record in the open set: one
            // reserve, the fields at constant offsets, nothing to undo but
            // the reserve.
            if (set_id_ == T::id) {
                const std::size_t start = w_.size();
                errc e = errc::no_room;
                if (w_.fits(T::record_size)) [[likely]] {
                    std::byte* rec = w_.data() + start;
                    w_.skip(T::record_size);  // before the stores, which may alias the writer
                    e = detail::put_fixed_fields<T>(rec, detail::record_values<T>(v),
                                                    std::make_index_sequence<T::field_count>{});
                    if (e == errc::ok) [[likely]] {
                        ++records_;
                        return {};
                    }
                }
                w_.rewind(start);  // as add() leaves it: nothing of the record, no failure kept
                return error{e, start};
            }
        }
        return add([&](byte_writer& w) { return encode_record<T>(w, v, opt_.records); }, T::id, true,
                   T::min_record_size);
    }
    /// Adds one pre-encoded data record for template `id`; `min_record_size`
    /// is the smallest record that template allows (it bounds set padding).
    constexpr result<void> add_record_bytes(std::uint16_t id, bytes_view record,
                                            std::size_t min_record_size = 1) noexcept {
        if (id < 256) return error{errc::bad_template_id, w_.size()};
        return add([&](byte_writer& w) -> result<void> {
            w.put_bytes(record);
            return w.status();
        }, id, true, min_record_size);
    }

    /// Adds one data record for template `id`, written in place by
    /// put(byte_writer&) -> result<void> (a run-time encoder: no copy
    /// through a scratch buffer). Nothing of it stays when it fails.
    template <class Put>
    constexpr result<void> add_record_with(std::uint16_t id, std::size_t min_record_size, Put&& put) noexcept {
        if (id < 256) return error{errc::bad_template_id, w_.size()};
        return add([&](byte_writer& w) -> result<void> {
            // A local writer over the free space: its position stays in
            // registers (the member's would be reloaded after every octet stored).
            byte_writer local(bytes_span(w.data() + w.size(), w.remaining()));
            if (auto r = put(local); !r) return r;
            if (!local.ok()) return error{errc::no_room, w.size()};
            (void)w.reserve(local.size());
            return {};
        }, id, true, min_record_size);
    }

    /// Template withdrawal (RFC 7011 8.1): not allowed over UDP (8.4).
    template <compile_time_template T>
    constexpr result<void> withdraw() noexcept {
        return withdraw(T::id, T::is_options);
    }
    constexpr result<void> withdraw(std::uint16_t id, bool options) noexcept {
        if (opt_.over == transport::udp) return error{errc::template_withdrawn, w_.size()};
        return add([&](byte_writer& w) -> result<void> {
            w.put_be16(id);
            w.put_be16(0);
            return w.status();
        }, options ? options_template_set_id : template_set_id, false, 4);
    }
    /// Withdraws all templates (id 2) or all options templates (id 3).
    constexpr result<void> withdraw_all(bool options) noexcept {
        return withdraw(options ? options_template_set_id : template_set_id, options);
    }

    /// Closes the last set, writes the header and returns the message bytes.
    constexpr bytes_span finish(std::uint32_t export_time) noexcept {
        close_set();
        std::byte* h = buf_.data();
        store_be16(h, ipfix_version);
        store_be16(h + 2, static_cast<std::uint16_t>(w_.size()));
        store_be32(h + 4, export_time);
        store_be32(h + 8, sequence_);
        store_be32(h + 12, odid_);
        return w_.written();
    }
    /// Starts the next message in the same buffer, continuing the sequence.
    constexpr void reset() noexcept { reset(next_sequence()); }
    constexpr void reset(std::uint32_t sequence) noexcept {
        w_.rewind(message_header_size);
        sequence_ = sequence;
        records_ = 0;
        set_start_ = 0;
        set_id_ = 0;
    }

private:
    template <class Put>
    constexpr result<void> add(Put put, std::uint16_t set_id, bool data, std::size_t min_record) noexcept {
        const std::size_t start = w_.size();
        const std::uint16_t old_set = set_id_;
        const std::size_t old_start = set_start_;
        const std::size_t old_min = set_min_record_;
        if (set_id_ != set_id) {
            close_set();
            set_start_ = w_.size();
            set_id_ = set_id;
            set_min_record_ = min_record;
            w_.put_be16(set_id);
            w_.put_be16(0);
        }
        result<void> r = put(w_);
        if (!r || !w_.ok()) {
            w_.rewind(start);  // drop the partial record and a set header opened for it
            set_id_ = old_set;
            set_start_ = old_start;
            set_min_record_ = old_min;
            return error{r ? errc::no_room : r.code(), start};
        }
        if (data) ++records_;
        return {};
    }
    constexpr void close_set() noexcept {
        if (set_id_ == 0) return;
        if (opt_.set_alignment > 1) {
            const std::size_t len = w_.size() - set_start_;
            const std::size_t pad = (opt_.set_alignment - len % opt_.set_alignment) % opt_.set_alignment;
            if (pad < set_min_record_ && pad <= w_.remaining()) w_.put_zeros(pad);
        }
        store_be16(w_.data() + set_start_ + 2, static_cast<std::uint16_t>(w_.size() - set_start_));
        set_id_ = 0;
    }

    bytes_span buf_;
    byte_writer w_;
    std::uint32_t odid_;
    std::uint32_t sequence_;
    std::uint32_t records_ = 0;
    std::size_t set_start_ = 0;
    std::uint16_t set_id_ = 0;
    std::size_t set_min_record_ = 0;
    writer_options opt_;
};

/// When templates must be sent again over UDP (RFC 7011 8.4; RFC 6728's
/// default template refresh timeout is 600 s). Times in seconds.
struct template_refresh {
    std::uint32_t interval = 600;
    std::uint32_t last_sent = 0;
    bool sent = false;
    [[nodiscard]] constexpr bool due(std::uint32_t now) const noexcept {
        return !sent || now - last_sent >= interval;
    }
    constexpr void mark_sent(std::uint32_t now) noexcept {
        last_sent = now;
        sent = true;
    }
    constexpr void invalidate() noexcept { sent = false; }  // e.g. after a reconnect
};

// ---- reading ------------------------------------------------------------------

/// One set of a message. Borrows the message buffer.
class set_view {
public:
    constexpr set_view() noexcept = default;
    constexpr set_view(std::uint16_t id, bytes_view body, std::size_t offset) noexcept
        : id_(id), body_(body), offset_(offset) {}
    [[nodiscard]] constexpr std::uint16_t id() const noexcept { return id_; }
    /// The set's content after its 4-octet header (records and padding).
    [[nodiscard]] constexpr bytes_view body() const noexcept { return body_; }
    /// Offset of the set header from the start of the buffer that was parsed.
    [[nodiscard]] constexpr std::size_t offset() const noexcept { return offset_; }
    [[nodiscard]] constexpr std::size_t body_offset() const noexcept { return offset_ + set_header_size; }
    [[nodiscard]] constexpr bool is_template_set() const noexcept { return id_ == template_set_id; }
    [[nodiscard]] constexpr bool is_options_template_set() const noexcept { return id_ == options_template_set_id; }
    [[nodiscard]] constexpr bool is_data_set() const noexcept { return id_ >= 256; }

private:
    std::uint16_t id_ = 0;
    bytes_view body_{};
    std::size_t offset_ = 0;
};

/// The sets of a message whose framing was checked by parse_message(), so
/// iterating them cannot fail.
class set_range {
    // A set: 16-bit id, 16-bit length (header included), checked by parse_message().
    struct framing {
        bytes_view msg{};
        std::size_t base = 0;
        [[nodiscard]] constexpr set_view at(std::size_t pos) const noexcept {
            const std::size_t len = load_be16(msg.data() + pos + 2);
            return {load_be16(msg.data() + pos), msg.subspan(pos + set_header_size, len - set_header_size), base + pos};
        }
        [[nodiscard]] constexpr std::size_t next(std::size_t pos) const noexcept {
            return pos + load_be16(msg.data() + pos + 2);
        }
    };

public:
    using iterator = ioam::detail::framed_iterator<framing>;
    constexpr set_range() noexcept = default;
    constexpr set_range(bytes_view msg, std::size_t base) noexcept : msg_(msg), base_(base) {}
    [[nodiscard]] constexpr iterator begin() const noexcept { return {framing{msg_, base_}, message_header_size}; }
    [[nodiscard]] constexpr iterator end() const noexcept { return {framing{msg_, base_}, msg_.size()}; }

private:
    bytes_view msg_{};
    std::size_t base_ = 0;
};

/// A message whose header and set framing have been checked. Borrows the buffer.
class message_view {
public:
    constexpr message_view() noexcept = default;
    [[nodiscard]] constexpr const message_header& header() const noexcept { return h_; }
    [[nodiscard]] constexpr std::uint32_t export_time() const noexcept { return h_.export_time; }
    [[nodiscard]] constexpr std::uint32_t sequence() const noexcept { return h_.sequence; }
    [[nodiscard]] constexpr std::uint32_t observation_domain() const noexcept { return h_.observation_domain; }
    [[nodiscard]] constexpr bytes_view bytes() const noexcept { return msg_; }
    [[nodiscard]] constexpr set_range sets() const noexcept { return {msg_, base_}; }

private:
    friend constexpr result<message_view> parse_message(bytes_view, std::size_t) noexcept;
    message_header h_{};
    bytes_view msg_{};
    std::size_t base_ = 0;
};

/// Reads the message at the start of `in` (a stream or file may hold more
/// after it: see message_view::bytes().size()). Checks the header and that
/// the sets exactly tile the message. `base` is added to error offsets.
[[nodiscard]] constexpr result<message_view> parse_message(bytes_view in, std::size_t base = 0) noexcept {
    if (in.size() < message_header_size) return error{errc::truncated, base};
    message_view m;
    m.h_.version = load_be16(in.data());
    m.h_.length = load_be16(in.data() + 2);
    m.h_.export_time = load_be32(in.data() + 4);
    m.h_.sequence = load_be32(in.data() + 8);
    m.h_.observation_domain = load_be32(in.data() + 12);
    if (m.h_.version != ipfix_version) return error{errc::bad_version, base};
    if (m.h_.length < message_header_size) return error{errc::length_too_small, base + 2};
    if (m.h_.length > in.size()) return error{errc::length_past_end, base + 2};
    m.msg_ = in.first(m.h_.length);
    m.base_ = base;
    std::size_t pos = message_header_size;
    while (pos < m.msg_.size()) {
        if (m.msg_.size() - pos < set_header_size) return error{errc::truncated, base + pos};
        const std::uint16_t id = load_be16(m.msg_.data() + pos);
        const std::uint16_t len = load_be16(m.msg_.data() + pos + 2);
        if (len < set_header_size) return error{errc::length_too_small, base + pos + 2};
        if (len > m.msg_.size() - pos) return error{errc::length_past_end, base + pos + 2};
        if (id != template_set_id && id != options_template_set_id && id < 256) return error{errc::bad_set_id, base + pos};
        pos += len;
    }
    return m;
}

/// Total length of the message at the start of `in`, from its header, for
/// framing a byte stream (RFC 7011 10.4). errc::truncated with fewer than 4 octets.
[[nodiscard]] constexpr result<std::size_t> peek_message_length(bytes_view in) noexcept {
    if (in.size() < 4) return error{errc::truncated, 0};
    if (load_be16(in.data()) != ipfix_version) return error{errc::bad_version, 0};
    const std::size_t len = load_be16(in.data() + 2);
    if (len < message_header_size) return error{errc::length_too_small, 2};
    return len;
}

// ---- template sets --------------------------------------------------------------

/// One template record of a template or options template set. Borrows the buffer.
class template_record_view {
public:
    constexpr template_record_view() noexcept = default;
    constexpr template_record_view(bytes_view rec, bool options, std::size_t offset) noexcept
        : rec_(rec), options_(options), offset_(offset) {}
    [[nodiscard]] constexpr std::uint16_t id() const noexcept { return load_be16(rec_.data()); }
    [[nodiscard]] constexpr std::uint16_t field_count() const noexcept { return load_be16(rec_.data() + 2); }
    [[nodiscard]] constexpr std::uint16_t scope_count() const noexcept {
        return options_ && rec_.size() >= 6 ? load_be16(rec_.data() + 4) : 0;
    }
    [[nodiscard]] constexpr bool is_options() const noexcept { return options_; }
    /// A withdrawal: field count 0 (RFC 7011 8.1); id 2 or 3 withdraws all.
    [[nodiscard]] constexpr bool is_withdrawal() const noexcept { return field_count() == 0; }
    [[nodiscard]] constexpr bytes_view bytes() const noexcept { return rec_; }
    [[nodiscard]] constexpr std::size_t offset() const noexcept { return offset_; }
    /// Field specifiers; the type is left as octetArray and known_type false
    /// (the registry lookup is the template cache's job).
    template <class Fn>
    constexpr void for_each_field(Fn&& fn) const noexcept {
        std::size_t pos = options_ ? 6 : 4;
        for (std::uint16_t i = 0; i < field_count(); ++i) {
            field_spec f;
            const std::uint16_t raw = load_be16(rec_.data() + pos);
            f.id = raw & 0x7fff;
            f.length = load_be16(rec_.data() + pos + 2);
            f.known_type = false;
            pos += 4;
            if (raw & 0x8000) {
                f.enterprise = load_be32(rec_.data() + pos);
                pos += 4;
            }
            fn(f);
        }
    }

private:
    bytes_view rec_{};
    bool options_ = false;
    std::size_t offset_ = 0;
};

/// Checks one template record at `pos` of a template set body; returns its size.
/// A template set may end in padding (zeros, shorter than a record header).
[[nodiscard]] constexpr result<std::size_t> check_template_record(bytes_view body, std::size_t pos, bool options,
                                                                  std::size_t base) noexcept {
    const std::size_t hdr = options ? 6 : 4;
    const std::size_t left = body.size() - pos;
    const std::byte* p = body.data() + pos;
    if (left < 4) return error{errc::truncated, base + pos};
    const std::uint16_t id = load_be16(p);
    const std::uint16_t count = load_be16(p + 2);
    if (count == 0) {  // withdrawal: 4 octets, also in options template sets (RFC 7011 8.1)
        const bool all = id == (options ? options_template_set_id : template_set_id);
        if (id < 256 && !all) return error{errc::bad_template_id, base + pos};
        return std::size_t{4};
    }
    if (id < 256) return error{errc::bad_template_id, base + pos};
    if (left < hdr) return error{errc::truncated, base + pos};
    if (options) {
        const std::uint16_t scope = load_be16(p + 4);
        if (scope == 0 || scope > count) return error{errc::bad_scope_count, base + pos + 4};
    }
    // Each specifier is at least 4 octets: refuse a count the set cannot hold
    // before walking it.
    if (std::size_t{count} * 4 > left - hdr) return error{errc::bad_field_count, base + pos + 2};
    std::size_t off = hdr;
    for (std::uint16_t i = 0; i < count; ++i) {
        if (left - off < 4) return error{errc::bad_field_count, base + pos + 2};
        const bool ent = (load_be16(p + off) & 0x8000) != 0;
        off += 4;
        if (ent) {
            if (left - off < 4) return error{errc::truncated, base + pos + off};
            off += 4;
        }
    }
    return off;
}

/// Template records of a set whose framing was checked by parse_template_set().
class template_set_view {
    // A template record, its length worked out from its field count.
    struct framing {
        bytes_view body{};
        std::size_t base = 0;
        bool options = false;
        [[nodiscard]] constexpr template_record_view at(std::size_t pos) const noexcept {
            return {body.subspan(pos, check_template_record(body, pos, options, base).value()), options, base + pos};
        }
        [[nodiscard]] constexpr std::size_t next(std::size_t pos) const noexcept {
            return pos + check_template_record(body, pos, options, base).value();
        }
    };

public:
    using iterator = ioam::detail::framed_iterator<framing>;
    constexpr template_set_view() noexcept = default;
    [[nodiscard]] constexpr iterator begin() const noexcept { return {framing{body_, base_, options_}, 0}; }
    [[nodiscard]] constexpr iterator end() const noexcept { return {framing{body_, base_, options_}, end_}; }
    [[nodiscard]] constexpr bool is_options() const noexcept { return options_; }

private:
    friend constexpr result<template_set_view> parse_template_set(const set_view&) noexcept;
    bytes_view body_{};
    std::size_t end_ = 0, base_ = 0;
    bool options_ = false;
};

/// Checks that padding at `pos` is all zeros (RFC 7011 3.3.1).
[[nodiscard]] constexpr result<void> check_padding(bytes_view body, std::size_t pos, std::size_t base) noexcept {
    for (std::size_t i = pos; i < body.size(); ++i)
        if (body[i] != std::byte{0}) return error{errc::bad_padding, base + i};
    return {};
}

/// Checks every template record of a template (2) or options template (3) set.
[[nodiscard]] constexpr result<template_set_view> parse_template_set(const set_view& s) noexcept {
    if (!s.is_template_set() && !s.is_options_template_set()) return error{errc::bad_set_id, s.offset()};
    template_set_view v;
    v.body_ = s.body();
    v.base_ = s.body_offset();
    v.options_ = s.is_options_template_set();
    std::size_t pos = 0;
    while (pos < v.body_.size()) {
        // Fewer than 4 octets cannot be a record (a withdrawal is 4): padding,
        // which must be zeros (RFC 7011 3.3.1).
        if (v.body_.size() - pos < 4) {
            if (auto p = check_padding(v.body_, pos, v.base_); !p) return p.error();
            break;
        }
        auto n = check_template_record(v.body_, pos, v.options_, v.base_);
        if (!n) return n.error();
        pos += *n;
    }
    v.end_ = pos;
    return v;
}

// ---- data sets of compile-time templates ---------------------------------------

namespace detail {
/// Records of T back to back (a data set, a sub-template list): fixed size,
/// or measured by decoding each (checked when the view was made).
template <compile_time_template T>
struct record_frames {
    bytes_view body{};
    [[nodiscard]] constexpr record_view<T> at(std::size_t pos) const noexcept {
        return decode_record<T>(body.subspan(pos)).value();
    }
    [[nodiscard]] constexpr std::size_t next(std::size_t pos) const noexcept {
        if constexpr (T::is_fixed_size) return pos + T::record_size;
        else return pos + at(pos).size();
    }
};
}  // namespace detail

/// The records of a data set of template T, checked by parse_data_set<T>().
/// Borrows the buffer; iteration cannot fail.
template <compile_time_template T>
class data_set_view {
public:
    using iterator = ioam::detail::framed_iterator<detail::record_frames<T>>;
    constexpr data_set_view() noexcept = default;
    [[nodiscard]] constexpr iterator begin() const noexcept { return {{body_}, 0}; }
    [[nodiscard]] constexpr iterator end() const noexcept { return {{body_}, end_}; }
    [[nodiscard]] constexpr std::size_t size() const noexcept { return count_; }

private:
    template <compile_time_template U>
    friend constexpr result<data_set_view<U>> parse_data_set_as(const set_view&) noexcept;
    bytes_view body_{};
    std::size_t end_ = 0;
    std::size_t count_ = 0;
};

/// Checks a data set against template T whatever the set's id: for a set
/// whose run-time template has T's fields under another id (dispatch.hpp).
/// Every record's lengths, and the zero padding after the last one.
template <compile_time_template T>
[[nodiscard]] constexpr result<data_set_view<T>> parse_data_set_as(const set_view& s) noexcept {
    data_set_view<T> v;
    v.body_ = s.body();
    const std::size_t base = s.body_offset();
    std::size_t pos = 0;
    if constexpr (T::is_fixed_size) {
        v.count_ = v.body_.size() / T::record_size;
        pos = v.count_ * T::record_size;
    } else {
        while (v.body_.size() - pos >= T::min_record_size) {
            auto r = decode_record<T>(v.body_.subspan(pos), base + pos);
            if (!r) return r.error();
            pos += r->size();
            ++v.count_;
        }
    }
    if (auto p = check_padding(v.body_, pos, base); !p) return p.error();
    v.end_ = pos;
    return v;
}

/// Checks a data set against template T: set id, every record's lengths, and
/// that what follows the last record is zero padding shorter than a record.
template <compile_time_template T>
[[nodiscard]] constexpr result<data_set_view<T>> parse_data_set(const set_view& s) noexcept {
    if (s.id() != T::id) return error{errc::template_mismatch, s.offset()};
    return parse_data_set_as<T>(s);
}

}  // namespace ioam::ipfix
