// RFC 5655 files streamed message by message: the 16-octet header is read,
// then the rest of the message into one reused 64 KiB buffer, so a file of
// any size is read in constant memory. The collector's own reader until the
// shared one (exporters/common/) exists: the interface is next() only, so it
// swaps for that one without touching the collector.
#pragma once

#include "ioam/core/bytes.hpp"
#include "ioam/ipfix/message.hpp"

#include <array>
#include <cstddef>
#include <cstdio>
#include <string>

namespace ioam_collector {

class message_reader {
public:
    enum class status { message, end, truncated, bad_header, io_error };

    explicit message_reader(std::FILE* f) : f_(f) {}

    /// The next message (a view into the reader's buffer, valid until the
    /// next call) or why there is none. offset(): its offset in the file.
    status next(ioam::bytes_view& out) {
        offset_ = pos_;
        const std::size_t h = std::fread(buf_.data(), 1, ioam::ipfix::message_header_size, f_);
        pos_ += h;
        if (h == 0) return std::ferror(f_) ? status::io_error : status::end;
        if (h < ioam::ipfix::message_header_size) return std::ferror(f_) ? status::io_error : status::truncated;
        auto len = ioam::ipfix::peek_message_length(ioam::bytes_view(buf_.data(), h));
        if (!len) {
            error_ = len.error_code().message();
            return status::bad_header;
        }
        const std::size_t body = *len - ioam::ipfix::message_header_size;
        const std::size_t b = std::fread(buf_.data() + h, 1, body, f_);
        pos_ += b;
        if (b < body) return std::ferror(f_) ? status::io_error : status::truncated;
        out = ioam::bytes_view(buf_.data(), *len);
        return status::message;
    }

    [[nodiscard]] std::size_t offset() const noexcept { return offset_; }
    [[nodiscard]] const std::string& error() const noexcept { return error_; }

private:
    std::FILE* f_;
    std::array<std::byte, 65536> buf_{};
    std::size_t pos_ = 0, offset_ = 0;
    std::string error_;
};

}  // namespace ioam_collector
