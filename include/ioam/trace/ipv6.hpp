// IOAM in IPv6 Hop-by-Hop and Destination options headers (RFC 9486 3,
// RFC 8200 4.2-4.3), laid out as Linux expects: the IOAM option starts at a
// 4n offset from the start of the extension header (ipv6_hop_ioam() drops it
// otherwise), padding is Pad1/PadN with zero contents, at most 7 padding
// octets in a row, and the header is a multiple of 8 octets.
//
//    0                   1                   2                   3
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |  Next Header  |  Hdr Ext Len  |  PadN (0x01)  |       0       |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |  Option Type  |  Opt Data Len |   Reserved    |   IOAM Type   |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |  IOAM option body (trace / POT / E2E / DEX header and data)    |
//   |  ... Pad1 or PadN up to a multiple of 8 octets                 |
#pragma once

#include <cstddef>
#include <cstdint>

#include "ioam/core/bytes.hpp"
#include "ioam/core/error.hpp"
#include "ioam/core/framed.hpp"
#include "ioam/trace/option.hpp"

namespace ioam::trace::ipv6 {

inline constexpr std::uint8_t opt_pad1 = 0x00;
inline constexpr std::uint8_t opt_padn = 0x01;
/// IOAM option, data may change en route (RFC 9486 8; Linux IPV6_TLV_IOAM).
inline constexpr std::uint8_t opt_ioam = 0x31;
/// IOAM option, data does not change en route (RFC 9486 8).
inline constexpr std::uint8_t opt_ioam_static = 0x11;

inline constexpr std::uint8_t next_header_hop_by_hop = 0;
inline constexpr std::uint8_t next_header_dest_opts = 60;
inline constexpr std::uint8_t next_header_none = 59;

/// Longest run of padding octets Linux accepts (net/ipv6/exthdrs.c).
inline constexpr std::size_t max_padding_run = 7;
/// Largest options header: Hdr Ext Len is 8 bits of 8-octet units.
inline constexpr std::size_t max_header_size = (255 + 1) * 8;

/// Builds one Hop-by-Hop or Destination options header in the caller's
/// buffer. Errors stick; finish() reports the first one.
class options_writer {
public:
    constexpr explicit options_writer(bytes_span out, std::uint8_t next_header) noexcept : out_(out) {
        if (out_.size() < 2) {
            fail(errc::no_room);
            return;
        }
        out_[0] = std::byte{next_header};
        pos_ = 2;
    }

    /// Adds an option whose type octet sits at an offset of align_n * k + align_off
    /// (RFC 8200 4.2 "xn+y" alignment), padding before it as needed.
    constexpr options_writer& add(std::uint8_t type, bytes_view data, unsigned align_n = 1,
                                  unsigned align_off = 0) noexcept {
        if (data.size() > 255) fail(errc::value_out_of_range);
        if (err_ != errc::ok) return *this;
        const std::size_t a = align_n == 0 ? 1 : align_n;
        pad_to(static_cast<std::size_t>((a - ((pos_ + a - align_off % a) % a)) % a));
        if (err_ != errc::ok) return *this;
        if (!room(2 + data.size())) return *this;
        out_[pos_] = std::byte{type};
        out_[pos_ + 1] = static_cast<std::byte>(data.size());
        for (std::size_t i = 0; i < data.size(); ++i) out_[pos_ + 2 + i] = data[i];
        pos_ += 2 + data.size();
        return *this;
    }

    /// Adds an IOAM option (RFC 9486 3): 4n-aligned, the 2-octet IOAM option
    /// header (Reserved, IOAM Option-Type) then the body, whose length must
    /// be a multiple of 4 octets (RFC 9197 4.4.1).
    constexpr options_writer& add_ioam(option_type t, bytes_view body, std::uint8_t ipv6_type = opt_ioam) noexcept {
        if (body.size() % 4 != 0 || body.size() + 2 > 255) fail(errc::value_out_of_range);
        if (err_ != errc::ok) return *this;
        pad_to(static_cast<std::size_t>((4 - pos_ % 4) % 4));
        if (err_ != errc::ok || !room(4 + body.size())) return *this;
        out_[pos_] = std::byte{ipv6_type};
        out_[pos_ + 1] = static_cast<std::byte>(body.size() + 2);
        out_[pos_ + 2] = std::byte{0};
        out_[pos_ + 3] = static_cast<std::byte>(t);
        for (std::size_t i = 0; i < body.size(); ++i) out_[pos_ + 4 + i] = body[i];
        pos_ += 4 + body.size();
        return *this;
    }

    /// Pads to a multiple of 8 octets, writes Hdr Ext Len, returns the size.
    [[nodiscard]] constexpr result<std::size_t> finish() noexcept {
        if (err_ == errc::ok) pad_to((8 - pos_ % 8) % 8);
        if (err_ == errc::ok && pos_ > max_header_size) fail(errc::value_out_of_range);
        if (err_ != errc::ok) return error{err_, err_at_};
        out_[1] = static_cast<std::byte>(pos_ / 8 - 1);
        return pos_;
    }

private:
    constexpr bool room(std::size_t n) noexcept {
        if (out_.size() - pos_ < n) {
            fail(errc::no_room);
            return false;
        }
        return true;
    }
    constexpr void pad_to(std::size_t n) noexcept {
        if (n == 0 || !room(n)) return;
        if (n == 1) {
            out_[pos_] = std::byte{opt_pad1};
        } else {
            out_[pos_] = std::byte{opt_padn};
            out_[pos_ + 1] = static_cast<std::byte>(n - 2);
            for (std::size_t i = 2; i < n; ++i) out_[pos_ + i] = std::byte{0};
        }
        pos_ += n;
    }
    constexpr void fail(errc e) noexcept {
        if (err_ == errc::ok) {
            err_ = e;
            err_at_ = pos_;
        }
    }
    bytes_span out_{};
    std::size_t pos_ = 0;
    errc err_ = errc::ok;
    std::size_t err_at_ = 0;
};

/// A Hop-by-Hop (or Destination) options header carrying one IOAM option,
/// the layout Linux expects: PadN(2), the IOAM option at offset 4, padding.
[[nodiscard]] constexpr result<std::size_t> encode_ioam_header(std::uint8_t next_header, option_type t, bytes_view body,
                                                               bytes_span out) noexcept {
    options_writer w(out, next_header);
    w.add_ioam(t, body);
    return w.finish();
}

/// One option inside an options header. Borrows the buffer.
struct option_view {
    std::uint8_t type = 0;
    bytes_view data{};
    std::size_t offset = 0;  ///< of the Option Type octet, from the start of the extension header
};

/// A validated options header. Iterating yields every option except padding.
/// Borrows the buffer.
class options_view {
public:
    constexpr options_view() noexcept = default;
    constexpr options_view(std::uint8_t nh, bytes_view hdr, std::size_t base) noexcept
        : next_header_(nh), hdr_(hdr), base_(base) {}
    [[nodiscard]] constexpr std::uint8_t next_header() const noexcept { return next_header_; }
    /// The whole extension header (its length is (Hdr Ext Len + 1) * 8).
    [[nodiscard]] constexpr bytes_view bytes() const noexcept { return hdr_; }
    [[nodiscard]] constexpr std::size_t base() const noexcept { return base_; }

    // An option: type, length, data (RFC 8200 4.2); Pad1 and PadN skipped.
    struct framing {
        bytes_view h{};
        [[nodiscard]] constexpr option_view at(std::size_t pos) const noexcept {
            const std::size_t len = std::to_integer<std::size_t>(h[pos + 1]);
            return {std::to_integer<std::uint8_t>(h[pos]), h.subspan(pos + 2, len), pos};
        }
        [[nodiscard]] constexpr std::size_t next(std::size_t pos) const noexcept {
            return skip_pad(pos + 2 + std::to_integer<std::size_t>(h[pos + 1]));
        }
        [[nodiscard]] constexpr std::size_t skip_pad(std::size_t pos) const noexcept {
            while (pos < h.size()) {
                const auto t = std::to_integer<std::uint8_t>(h[pos]);
                if (t == opt_pad1) ++pos;
                else if (t == opt_padn) pos += 2 + std::to_integer<std::size_t>(h[pos + 1]);
                else break;
            }
            return pos;
        }
    };
    using iterator = ioam::detail::framed_iterator<framing>;
    [[nodiscard]] constexpr iterator begin() const noexcept { return {framing{hdr_}, framing{hdr_}.skip_pad(2)}; }
    [[nodiscard]] constexpr iterator end() const noexcept { return {framing{hdr_}, hdr_.size()}; }

private:
    std::uint8_t next_header_ = 0;
    bytes_view hdr_{};
    std::size_t base_ = 0;
};

/// Parses and validates a Hop-by-Hop or Destination options header at the
/// start of `in` (which may continue with the rest of the packet): its
/// length, every option's length, zero padding and padding runs of at most 7
/// octets. Unknown options are kept for the caller to skip.
[[nodiscard]] constexpr result<options_view> parse_options(bytes_view in, std::size_t base = 0) noexcept {
    if (in.size() < 2) return error{errc::truncated, base + in.size()};
    const std::size_t len = (std::to_integer<std::size_t>(in[1]) + 1) * 8;
    if (in.size() < len) return error{errc::length_past_end, base + 1};
    bytes_view h = in.first(len);
    std::size_t pos = 2;
    std::size_t pad_run = 0;
    while (pos < len) {
        const auto t = std::to_integer<std::uint8_t>(h[pos]);
        if (t == opt_pad1) {
            ++pos;
            if (++pad_run > max_padding_run) return error{errc::bad_padding, base + pos - 1};
            continue;
        }
        if (len - pos < 2) return error{errc::truncated, base + pos};
        const std::size_t olen = std::to_integer<std::size_t>(h[pos + 1]);
        if (len - pos - 2 < olen) return error{errc::length_past_end, base + pos + 1};
        if (t == opt_padn) {
            for (std::size_t i = 0; i < olen; ++i)
                if (h[pos + 2 + i] != std::byte{0}) return error{errc::bad_padding, base + pos + 2 + i};
            pad_run += 2 + olen;
            if (pad_run > max_padding_run) return error{errc::bad_padding, base + pos};
        } else {
            pad_run = 0;
        }
        pos += 2 + olen;
    }
    return options_view(std::to_integer<std::uint8_t>(h[0]), h, base);
}

/// An IOAM option found in an options header (RFC 9486 3). Borrows the buffer.
struct ioam_option {
    std::uint8_t ipv6_type = opt_ioam;
    std::uint8_t reserved = 0;
    option_type type = option_type::preallocated_trace;
    bytes_view body{};       ///< after the 4-octet IOAM option header
    std::size_t offset = 0;  ///< of body[0] in the caller's buffer
};

[[nodiscard]] constexpr bool is_ioam(std::uint8_t ipv6_type) noexcept {
    return ipv6_type == opt_ioam || ipv6_type == opt_ioam_static;
}

/// Checks one IOAM option: 4n alignment (errc::misaligned) and room for the
/// IOAM option header (errc::bad_option). base: the header's base offset.
[[nodiscard]] constexpr result<ioam_option> decode_ioam(const option_view& o, std::size_t base = 0) noexcept {
    if (!is_ioam(o.type)) return error{errc::bad_option, base + o.offset};
    if (o.offset % 4 != 0) return error{errc::misaligned, base + o.offset};
    if (o.data.size() < 2) return error{errc::bad_option, base + o.offset + 1};
    return ioam_option{o.type, std::to_integer<std::uint8_t>(o.data[0]),
                       static_cast<option_type>(std::to_integer<std::uint8_t>(o.data[1])), o.data.subspan(2),
                       base + o.offset + 4};
}

/// Calls f(ioam_option) for every IOAM option in the header, skipping other
/// options; stops at the first malformed IOAM option and returns its error.
template <class F>
[[nodiscard]] constexpr result<std::size_t> for_each_ioam(const options_view& v, F&& f) {
    std::size_t n = 0;
    for (const option_view o : v) {
        if (!is_ioam(o.type)) continue;
        auto io = decode_ioam(o, v.base());
        if (!io) return io.error();
        f(*io);
        ++n;
    }
    return n;
}

/// The first IOAM option of the header (errc::bad_option when there is none).
[[nodiscard]] constexpr result<ioam_option> first_ioam(const options_view& v) noexcept {
    for (const option_view o : v)
        if (is_ioam(o.type)) return decode_ioam(o, v.base());
    return error{errc::bad_option, v.base()};
}

}  // namespace ioam::trace::ipv6
