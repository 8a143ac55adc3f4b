// IPFIX files (RFC 5655): a file is a sequence of complete IPFIX messages,
// nothing before, between or after them (RFC 5655).
//
//   +----------------+----------------+-----+----------------+
//   | message 1      | message 2      | ... | message N      |
//   | (RFC 7011 3.1) | (length in its |     |                |
//   |                |  own header)   |     |                |
//   +----------------+----------------+-----+----------------+
//
// Reading works on bytes already in memory (read or mmap'd by the caller):
// file_reader walks the messages one by one and stops at the first one that
// is truncated or malformed, with its error and offset; parse_file() checks
// every message up front and returns a range that cannot fail.
//
// Writing: file_checker says whether a finished message may go into the
// file next; the program writes it (the codec does no I/O: the FILE* is in
// exporters/common/ipfix_file.{hpp,cpp}). What it enforces of RFC 5655:
//  - every message is complete and well framed (checked with parse_message
//    before anything is written, so a file never holds a partial message);
//  - templates before data (RFC 5655, RFC 7011 8): a data set
//    whose template was not written earlier in the file (or earlier in the
//    same message) for its observation domain is refused (unknown_template),
//    and so is data after a withdrawal (template_withdrawn) until the
//    template is written again.
// It does not write RFC 5655's optional options records (file time window,
// export session details, message checksums): write those with an
// options_template<> and the IANA elements if wanted.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <vector>

#include "ioam/core/bytes.hpp"
#include "ioam/core/error.hpp"
#include "ioam/core/framed.hpp"
#include "ioam/ipfix/message.hpp"

namespace ioam::ipfix {

// ---- reading -------------------------------------------------------------------------

/// Walks the messages of a file held in memory. Borrows the bytes. Every
/// call to next() either advances by a whole message (at least 16 octets) or
/// stops for good, so a loop over it always ends.
class file_reader {
public:
    constexpr file_reader() noexcept = default;
    constexpr explicit file_reader(bytes_view file) noexcept : file_(file) {}

    /// The next message: true and `out` set, or false at the end of the
    /// file or at the first bad message (then status() says which and where).
    constexpr bool next(message_view& out) noexcept {
        if (stopped_ || pos_ == file_.size()) return false;
        auto m = parse_message(file_.subspan(pos_), pos_);
        if (!m) {
            err_ = m.error();
            stopped_ = true;
            return false;
        }
        out = *m;
        pos_ += m->bytes().size();
        ++count_;
        return true;
    }

    /// Success at the end of a well-formed file, else the error that stopped it
    /// (offsets are from the start of the file).
    [[nodiscard]] constexpr result<void> status() const noexcept {
        if (err_.code != errc::ok) return err_;
        return {};
    }
    /// Offset of the next message (or of the bad one).
    [[nodiscard]] constexpr std::size_t offset() const noexcept { return pos_; }
    [[nodiscard]] constexpr std::size_t messages() const noexcept { return count_; }
    [[nodiscard]] constexpr bool done() const noexcept { return stopped_ || pos_ == file_.size(); }

private:
    bytes_view file_{};
    std::size_t pos_ = 0;
    std::size_t count_ = 0;
    error err_{};
    bool stopped_ = false;
};

/// The messages of a file whose framing was checked by parse_file(), so
/// iterating them cannot fail. Borrows the bytes.
class file_view {
    // A message: its length at octet 2 (RFC 7011 3.1), checked by parse_file().
    struct framing {
        bytes_view file{};
        [[nodiscard]] constexpr message_view at(std::size_t pos) const noexcept {
            return parse_message(file.subspan(pos), pos).value();
        }
        [[nodiscard]] constexpr std::size_t next(std::size_t pos) const noexcept {
            return pos + load_be16(file.data() + pos + 2);
        }
    };

public:
    using iterator = ioam::detail::framed_iterator<framing>;

    constexpr file_view() noexcept = default;
    [[nodiscard]] constexpr iterator begin() const noexcept { return {framing{file_}, 0}; }
    [[nodiscard]] constexpr iterator end() const noexcept { return {framing{file_}, file_.size()}; }
    [[nodiscard]] constexpr std::size_t size() const noexcept { return count_; }
    [[nodiscard]] constexpr bool empty() const noexcept { return count_ == 0; }
    [[nodiscard]] constexpr bytes_view bytes() const noexcept { return file_; }

private:
    friend constexpr result<file_view> parse_file(bytes_view) noexcept;
    bytes_view file_{};
    std::size_t count_ = 0;
};

/// Checks every message of a file (header, length, set framing; RFC 5655:
/// nothing but messages). The first bad message is the error, with its offset.
[[nodiscard]] constexpr result<file_view> parse_file(bytes_view file) noexcept {
    file_reader r(file);
    message_view m;
    while (r.next(m)) {
    }
    if (auto s = r.status(); !s) return s.error();
    file_view v;
    v.file_ = file;
    v.count_ = r.messages();
    return v;
}

// ---- writing -----------------------------------------------------------------------------

struct file_checker_options {
    /// Refuse data sets whose template was not written before (RFC 5655,
    /// RFC 7011 8). Off: messages are only checked for framing.
    bool templates_before_data = true;
};

/// Checks each message before it is appended to a file: one whole, well
/// framed message, and (by default) templates before data per observation
/// domain, no data after a withdrawal until the template comes again. A
/// message it accepts changes its state, as if written; a refused one
/// changes nothing. No I/O; tracking allocates once per observation domain.
class file_checker {
public:
    explicit file_checker(file_checker_options opt = {}) noexcept : opt_(opt) {}

    /// Whether `message` may be written next; error offsets are from the
    /// start of `message`.
    result<void> check(bytes_view message) {
        auto m = parse_message(message);
        if (!m) return m.error();
        if (m->bytes().size() != message.size()) return error{errc::length_past_end, 2};  // one message per call
        if (opt_.templates_before_data)
            if (auto c = check_templates(*m); !c) return c;
        bytes_ += message.size();
        ++messages_;
        return {};
    }

    /// Messages and octets accepted.
    [[nodiscard]] std::size_t messages() const noexcept { return messages_; }
    [[nodiscard]] std::uint64_t bytes_accepted() const noexcept { return bytes_; }
    /// Whether template `id` is usable for data in observation domain `odid`.
    [[nodiscard]] bool has_template(std::uint32_t odid, std::uint16_t id) const noexcept {
        for (const auto& d : domains_)
            if (d.odid == odid) return d.defined.test(id);
        return false;
    }

private:
    struct bits {
        std::array<std::uint64_t, 1024> w{};
        [[nodiscard]] bool test(std::uint16_t i) const noexcept { return (w[i >> 6] >> (i & 63U)) & 1U; }
        void set(std::uint16_t i, bool v) noexcept {
            if (v) w[i >> 6] |= std::uint64_t{1} << (i & 63U);
            else w[i >> 6] &= ~(std::uint64_t{1} << (i & 63U));
        }
    };
    struct domain {
        std::uint32_t odid = 0;
        bits defined, withdrawn, options;
    };

    domain& find_domain(std::uint32_t odid) {
        for (auto& d : domains_)
            if (d.odid == odid) return d;
        domains_.emplace_back().odid = odid;
        return domains_.back();
    }

    // Applies the message's template sets in order to a scratch copy of the
    // domain's state and checks its data sets against it; commits on success.
    result<void> check_templates(const message_view& m) {
        domain& live = find_domain(m.observation_domain());
        bool has_templates = false;
        for (const set_view s : m.sets()) has_templates |= !s.is_data_set();
        domain& d = has_templates ? (scratch_ = live) : live;
        for (const set_view s : m.sets()) {
            if (s.is_data_set()) {
                if (d.defined.test(s.id())) continue;
                return error{d.withdrawn.test(s.id()) ? errc::template_withdrawn : errc::unknown_template, s.offset()};
            }
            auto ts = parse_template_set(s);
            if (!ts) return ts.error();
            const bool opt = ts->is_options();
            for (const template_record_view r : *ts) {
                const std::uint16_t id = r.id();
                if (!r.is_withdrawal()) {
                    d.defined.set(id, true);
                    d.withdrawn.set(id, false);
                    d.options.set(id, opt);
                } else if (id == template_set_id || id == options_template_set_id) {
                    for (std::uint32_t i = 256; i <= 0xffff; ++i) {  // withdraw all of this kind (RFC 7011 8.1)
                        const auto t = static_cast<std::uint16_t>(i);
                        if (d.defined.test(t) && d.options.test(t) == opt) {
                            d.defined.set(t, false);
                            d.withdrawn.set(t, true);
                        }
                    }
                } else {
                    d.defined.set(id, false);
                    d.withdrawn.set(id, true);
                }
            }
        }
        if (has_templates) live = scratch_;
        return {};
    }

    file_checker_options opt_;
    std::vector<domain> domains_;
    domain scratch_{};
    std::uint64_t bytes_ = 0;
    std::size_t messages_ = 0;
};

}  // namespace ioam::ipfix
