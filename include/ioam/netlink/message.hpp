// Netlink framing without libmnl (RFC 3549 2.3.2, linux/netlink.h,
// linux/genetlink.h): message, generic netlink header and attribute walks
// over a received byte buffer, and a writer to build messages for tests and
// fuzzers. Netlink headers are in host byte order.
//
//   nlmsghdr (16)            genlmsghdr (4)         nlattr (4) + payload
//   +--------+----+----+     +---+---+-------+      +-------+-------+-----//-----+---+
//   | length |type|flgs|     |cmd|ver|  rsv  |      |nla_len|nla_typ| payload    |pad|
//   |  seq   |  portid |     +---+---+-------+      +-------+-------+-----//-----+---+
//   +--------+---------+                            every attribute padded to 4 octets
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "ioam/core/bytes.hpp"
#include "ioam/core/error.hpp"

namespace ioam::netlink {

inline constexpr std::size_t nlmsg_header_size = 16;
inline constexpr std::size_t genl_header_size = 4;
inline constexpr std::size_t attr_header_size = 4;

// Message types below NLMSG_MIN_TYPE are control messages (linux/netlink.h).
inline constexpr std::uint16_t nlmsg_noop = 1;
inline constexpr std::uint16_t nlmsg_error = 2;
inline constexpr std::uint16_t nlmsg_done = 3;
inline constexpr std::uint16_t nlmsg_overrun = 4;
inline constexpr std::uint16_t nlmsg_min_type = 0x10;
inline constexpr std::uint16_t genl_id_ctrl = 0x10;

inline constexpr std::uint16_t nla_f_nested = 0x8000;
inline constexpr std::uint16_t nla_f_net_byteorder = 0x4000;
inline constexpr std::uint16_t nla_type_mask = 0x3fff;

[[nodiscard]] constexpr std::size_t align4(std::size_t n) noexcept { return (n + 3) & ~std::size_t{3}; }


/// One netlink message. Borrows the buffer.
struct message {
    std::uint32_t length = 0;
    std::uint16_t type = 0;
    std::uint16_t flags = 0;
    std::uint32_t seq = 0;
    std::uint32_t pid = 0;
    bytes_view payload{};    ///< after the 16-octet header
    std::size_t offset = 0;  ///< of the header in the buffer
};

/// Walks the messages of one received datagram. An error stops the walk
/// (a bad nlmsg_len leaves nothing to resynchronise on).
class message_reader {
public:
    constexpr explicit message_reader(bytes_view buf, std::size_t base = 0) noexcept : buf_(buf), base_(base) {}
    [[nodiscard]] constexpr bool done() const noexcept { return pos_ >= buf_.size(); }
    [[nodiscard]] constexpr result<message> next() noexcept {
        const std::size_t rem = buf_.size() - pos_;
        if (rem < nlmsg_header_size) return fail(errc::truncated, base_ + buf_.size());
        const std::byte* p = buf_.data() + pos_;
        message m;
        m.length = static_cast<std::uint32_t>(load_host_n(p, 4));
        if (m.length < nlmsg_header_size) return fail(errc::length_too_small, base_ + pos_);
        if (m.length > rem) return fail(errc::length_past_end, base_ + pos_);
        m.type = static_cast<std::uint16_t>(load_host_n(p + 4, 2));
        m.flags = static_cast<std::uint16_t>(load_host_n(p + 6, 2));
        m.seq = static_cast<std::uint32_t>(load_host_n(p + 8, 4));
        m.pid = static_cast<std::uint32_t>(load_host_n(p + 12, 4));
        m.payload = buf_.subspan(pos_ + nlmsg_header_size, m.length - nlmsg_header_size);
        m.offset = base_ + pos_;
        const std::size_t step = align4(m.length);
        pos_ = step > rem ? buf_.size() : pos_ + step;
        return m;
    }

private:
    constexpr result<message> fail(errc e, std::size_t at) noexcept {
        pos_ = buf_.size();
        return error{e, at};
    }
    bytes_view buf_{};
    std::size_t base_ = 0;
    std::size_t pos_ = 0;
};

/// The generic netlink header (linux/genetlink.h).
struct genl_header {
    std::uint8_t cmd = 0;
    std::uint8_t version = 0;
    std::uint16_t reserved = 0;
};

[[nodiscard]] constexpr result<genl_header> decode_genl_header(bytes_view in, std::size_t base = 0) noexcept {
    if (in.size() < genl_header_size) return error{errc::truncated, base + in.size()};
    return genl_header{load_u8(in.data()), load_u8(in.data() + 1),
                       static_cast<std::uint16_t>(load_host_n(in.data() + 2, 2))};
}

/// One attribute. Borrows the buffer.
struct attribute {
    std::uint16_t type = 0;  ///< flags masked off
    bool nested = false;
    bool net_byteorder = false;
    bytes_view payload{};
    std::size_t offset = 0;  ///< of the attribute header in the caller's buffer

    [[nodiscard]] constexpr std::uint64_t host(std::size_t n) const noexcept { return load_host_n(payload.data(), n); }
};

/// Walks a stream of attributes; every length is checked before use.
class attr_reader {
public:
    constexpr explicit attr_reader(bytes_view in, std::size_t base = 0) noexcept : in_(in), base_(base) {}
    [[nodiscard]] constexpr bool done() const noexcept { return pos_ >= in_.size(); }
    [[nodiscard]] constexpr result<attribute> next() noexcept {
        const std::size_t rem = in_.size() - pos_;
        if (rem < attr_header_size) return fail(errc::truncated, base_ + pos_);
        const std::byte* p = in_.data() + pos_;
        const auto len = static_cast<std::size_t>(load_host_n(p, 2));
        const auto type = static_cast<std::uint16_t>(load_host_n(p + 2, 2));
        if (len < attr_header_size) return fail(errc::bad_attribute, base_ + pos_);
        if (len > rem) return fail(errc::truncated, base_ + pos_);
        attribute a;
        a.type = static_cast<std::uint16_t>(type & nla_type_mask);
        a.nested = (type & nla_f_nested) != 0;
        a.net_byteorder = (type & nla_f_net_byteorder) != 0;
        a.payload = in_.subspan(pos_ + attr_header_size, len - attr_header_size);
        a.offset = base_ + pos_;
        const std::size_t step = align4(len);
        pos_ = step > rem ? in_.size() : pos_ + step;
        return a;
    }

private:
    constexpr result<attribute> fail(errc e, std::size_t at) noexcept {
        pos_ = in_.size();
        return error{e, at};
    }
    bytes_view in_{};
    std::size_t base_ = 0;
    std::size_t pos_ = 0;
};

namespace detail {
/// A host-order integer of N octets (N = 1, 2, 4, 8): one load, where
/// load_host_n's byte loop is not always merged by the compiler.
template <class T>
[[nodiscard]] constexpr T load_host(const std::byte* p) noexcept {
    if (std::is_constant_evaluated()) return static_cast<T>(load_host_n(p, sizeof(T)));
    T v;
    std::memcpy(&v, p, sizeof v);
    return v;
}
}  // namespace detail

/// One attribute as walk_attributes() hands it over (flags masked off the
/// type). Borrows the buffer.
struct attr_ref {
    std::uint16_t type = 0;
    const std::byte* data = nullptr;
    std::size_t size = 0;    ///< of the payload
    std::size_t offset = 0;  ///< of the attribute header in the caller's buffer

    [[nodiscard]] constexpr bytes_view payload() const noexcept { return {data, size}; }
    [[nodiscard]] constexpr std::uint64_t host(std::size_t n) const noexcept { return load_host_n(data, n); }
    [[nodiscard]] constexpr std::uint16_t host16() const noexcept { return detail::load_host<std::uint16_t>(data); }
    [[nodiscard]] constexpr std::uint32_t host32() const noexcept { return detail::load_host<std::uint32_t>(data); }
};

/// attr_reader's walk as one loop, for hot paths: the same checks in the
/// same order with the same errors, without a result per attribute.
/// f(const attr_ref&) returns false to stop the walk early. Returns the
/// first malformed attribute's error (errc::ok when none was met).
template <class F>
[[nodiscard]] constexpr error walk_attributes(bytes_view in, std::size_t base, F&& f) noexcept {
    const std::byte* const p = in.data();
    const std::size_t size = in.size();
    for (std::size_t pos = 0; pos < size;) {
        const std::size_t rem = size - pos;
        if (rem < attr_header_size) return {errc::truncated, base + pos};
        const std::size_t len = detail::load_host<std::uint16_t>(p + pos);
        // len < 4 (wraps) or len > rem, in one comparison; rem >= 4 here.
        if (len - attr_header_size > rem - attr_header_size) [[unlikely]]
            return {len < attr_header_size ? errc::bad_attribute : errc::truncated, base + pos};
        const attr_ref a{static_cast<std::uint16_t>(detail::load_host<std::uint16_t>(p + pos + 2) & nla_type_mask),
                         p + pos + attr_header_size, len - attr_header_size, base + pos};
        pos += align4(len);  // past the end when the last attribute's padding is missing: the walk ends
        if (!f(a)) break;
    }
    return {};
}

/// Builds netlink messages into a caller's buffer (tests, fuzz seeds, the
/// kernel's side of the protocol). Errors stick; status() reports them.
class message_writer {
public:
    constexpr explicit message_writer(bytes_span out) noexcept : out_(out) {}

    constexpr message_writer& begin(std::uint16_t type, std::uint16_t flags = 0, std::uint32_t seq = 0,
                                    std::uint32_t pid = 0) noexcept {
        start_ = pos_;
        if (std::byte* p = reserve(nlmsg_header_size)) {
            store_host_n(p, 0, 4);
            store_host_n(p + 4, type, 2);
            store_host_n(p + 6, flags, 2);
            store_host_n(p + 8, seq, 4);
            store_host_n(p + 12, pid, 4);
        }
        return *this;
    }
    constexpr message_writer& genl(std::uint8_t cmd, std::uint8_t version = 1) noexcept {
        if (std::byte* p = reserve(genl_header_size)) {
            p[0] = std::byte{cmd};
            p[1] = std::byte{version};
            p[2] = p[3] = std::byte{0};
        }
        return *this;
    }
    /// An attribute with a raw payload (nla_len = 4 + size), zero-padded to 4.
    constexpr message_writer& attr(std::uint16_t type, bytes_view payload) noexcept {
        if (payload.size() + attr_header_size > 0xffff) {
            fail();
            return *this;
        }
        const std::size_t len = attr_header_size + payload.size();
        if (std::byte* p = reserve(align4(len))) {
            store_host_n(p, len, 2);
            store_host_n(p + 2, type, 2);
            for (std::size_t i = 0; i < payload.size(); ++i) p[4 + i] = payload[i];
            for (std::size_t i = len; i < align4(len); ++i) p[i] = std::byte{0};
        }
        return *this;
    }
    /// A host-order integer attribute of n octets (nla_put_u8/u16/u32/u64).
    constexpr message_writer& attr_host(std::uint16_t type, std::uint64_t v, std::size_t n) noexcept {
        std::byte b[8]{};
        store_host_n(b, v, n);
        return attr(type, bytes_view(b, n));
    }
    /// Ends the message: writes nlmsg_len.
    constexpr message_writer& end() noexcept {
        if (!failed_) store_host_n(out_.data() + start_, pos_ - start_, 4);
        return *this;
    }
    [[nodiscard]] constexpr result<std::size_t> status() const noexcept {
        if (failed_) return error{errc::no_room, fail_at_};
        return pos_;
    }
    [[nodiscard]] constexpr bytes_view written() const noexcept { return out_.first(pos_); }

private:
    constexpr std::byte* reserve(std::size_t n) noexcept {
        if (failed_ || out_.size() - pos_ < n) {
            fail();
            return nullptr;
        }
        std::byte* p = out_.data() + pos_;
        pos_ += n;
        return p;
    }
    constexpr void fail() noexcept {
        if (!failed_) fail_at_ = pos_;
        failed_ = true;
    }
    bytes_span out_{};
    std::size_t pos_ = 0;
    std::size_t start_ = 0;
    std::size_t fail_at_ = 0;
    bool failed_ = false;
};

}  // namespace ioam::netlink
