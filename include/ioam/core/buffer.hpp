// Cursors over caller-owned buffers. The writer never allocates: running out
// of room is an error (errc::no_room) that sticks, so a sequence of puts can
// be checked once at the end. The reader borrows its bytes.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>

#include "ioam/core/bytes.hpp"
#include "ioam/core/error.hpp"

namespace ioam {

class byte_writer {
public:
    constexpr byte_writer() noexcept = default;
    constexpr explicit byte_writer(bytes_span out) noexcept : out_(out) {}

    [[nodiscard]] constexpr std::size_t size() const noexcept { return pos_; }
    [[nodiscard]] constexpr std::size_t capacity() const noexcept { return out_.size(); }
    [[nodiscard]] constexpr std::size_t remaining() const noexcept { return out_.size() - pos_; }
    [[nodiscard]] constexpr bool ok() const noexcept { return !failed_; }
    [[nodiscard]] constexpr bytes_span written() const noexcept { return out_.first(pos_); }
    [[nodiscard]] constexpr std::byte* data() const noexcept { return out_.data(); }
    /// The error so far (no_room at the offset of the first put that did not fit).
    [[nodiscard]] constexpr result<void> status() const noexcept {
        if (failed_) return error{errc::no_room, fail_at_};
        return {};
    }

    /// Reserves n bytes and returns a pointer to them, or nullptr (and fails).
    [[nodiscard]] constexpr std::byte* reserve(std::size_t n) noexcept {
        if (failed_ || n > remaining()) {
            fail();
            return nullptr;
        }
        std::byte* p = out_.data() + pos_;
        pos_ += n;
        return p;
    }
    /// Whether n more bytes fit (and nothing failed before): reserve(n)
    /// would succeed. With it, a caller writes through data() + size() and
    /// then skip(n)s, without reserve's null pointer to test.
    [[nodiscard]] constexpr bool fits(std::size_t n) const noexcept { return !failed_ && n <= remaining(); }
    /// Moves the cursor over n bytes the caller checked with fits(n).
    constexpr void skip(std::size_t n) noexcept { pos_ += n; }
    template <std::size_t N>
    constexpr void put_be(std::uint64_t v) noexcept {
        if (std::byte* p = reserve(N)) store_be<N>(p, v);
    }
    constexpr void put_be_n(std::uint64_t v, std::size_t n) noexcept {
        if (std::byte* p = reserve(n)) store_be_n(p, v, n);
    }
    constexpr void put_u8(std::uint8_t v) noexcept { put_be<1>(v); }
    constexpr void put_be16(std::uint16_t v) noexcept { put_be<2>(v); }
    constexpr void put_be32(std::uint32_t v) noexcept { put_be<4>(v); }
    constexpr void put_be64(std::uint64_t v) noexcept { put_be<8>(v); }
    constexpr void put_bytes(bytes_view b) noexcept {
        if (std::byte* p = reserve(b.size())) std::copy(b.begin(), b.end(), p);
    }
    constexpr void put_zeros(std::size_t n) noexcept {
        if (std::byte* p = reserve(n)) std::fill_n(p, n, std::byte{0});
    }
    /// Moves the cursor back to an earlier position (to drop a partial record).
    constexpr void rewind(std::size_t pos) noexcept {
        if (pos <= pos_) pos_ = pos;
        failed_ = false;
    }

private:
    constexpr void fail() noexcept {
        if (!failed_) fail_at_ = pos_;
        failed_ = true;
    }
    bytes_span out_{};
    std::size_t pos_ = 0;
    std::size_t fail_at_ = 0;
    bool failed_ = false;
};

/// A bounds-checked reading cursor. base is the offset of data[0] in the
/// caller's outer buffer, so reported offsets point into that buffer.
class byte_reader {
public:
    constexpr byte_reader() noexcept = default;
    constexpr explicit byte_reader(bytes_view in, std::size_t base = 0) noexcept : in_(in), base_(base) {}

    [[nodiscard]] constexpr std::size_t position() const noexcept { return pos_; }
    [[nodiscard]] constexpr std::size_t offset() const noexcept { return base_ + pos_; }
    [[nodiscard]] constexpr std::size_t remaining() const noexcept { return in_.size() - pos_; }
    [[nodiscard]] constexpr bool empty() const noexcept { return pos_ == in_.size(); }
    [[nodiscard]] constexpr bool has(std::size_t n) const noexcept { return n <= remaining(); }
    [[nodiscard]] constexpr bytes_view rest() const noexcept { return in_.subspan(pos_); }

    /// Takes n bytes; returns an empty optional-like span and false when short.
    [[nodiscard]] constexpr bool take(std::size_t n, bytes_view& out) noexcept {
        if (!has(n)) return false;
        out = in_.subspan(pos_, n);
        pos_ += n;
        return true;
    }
    template <std::size_t N>
    [[nodiscard]] constexpr bool get_be(std::uint64_t& v) noexcept {
        if (!has(N)) return false;
        v = load_be<N>(in_.data() + pos_);
        pos_ += N;
        return true;
    }
    [[nodiscard]] constexpr bool skip(std::size_t n) noexcept {
        if (!has(n)) return false;
        pos_ += n;
        return true;
    }

private:
    bytes_view in_{};
    std::size_t base_ = 0;
    std::size_t pos_ = 0;
};

}  // namespace ioam
