#include "ipfix_file.hpp"

#include <cerrno>

namespace ioam_tools {

namespace ipfix = ioam::ipfix;

bool ipfix_file_writer::open(const std::string& path) {
    (void)close();
    own_ = path != "-";
    f_ = own_ ? std::fopen(path.c_str(), "wb") : stdout;
    if (!f_) return false;
    check_.emplace();
    return true;
}

ioam::result<void> ipfix_file_writer::write(ioam::bytes_view message) {
    if (!f_) {
        ++errors_;
        return ioam::error{ioam::errc::no_room, 0};
    }
    if (auto r = check_->check(message); !r) {
        ++errors_;
        return r;
    }
    if (std::fwrite(message.data(), 1, message.size(), f_) != message.size()) {
        ++errors_;
        return ioam::error{ioam::errc::no_room, 0};
    }
    ++written_;
    bytes_ += message.size();
    return {};
}

ioam::result<void> ipfix_file_writer::flush() {
    if (!f_ || std::fflush(f_) != 0) return ioam::error{ioam::errc::no_room, 0};
    return {};
}

bool ipfix_file_writer::close() {
    if (!f_) return true;
    bool ok = std::fflush(f_) == 0;
    if (own_) ok = std::fclose(f_) == 0 && ok;
    f_ = nullptr;
    check_.reset();
    if (!ok) ++errors_;
    return ok;
}

bool ipfix_file_reader::open(const std::string& path) {
    close();
    own_ = path != "-";
    f_ = own_ ? std::fopen(path.c_str(), "rb") : stdin;
    offset_ = 0;
    err_ = {};
    read_error_ = false;
    return f_ != nullptr;
}

bool ipfix_file_reader::next(ipfix::message_view& out) {
    if (!f_ || err_.code != ioam::errc::ok) return false;
    // The header says how long the message is (RFC 7011 3.1).
    const std::size_t got = std::fread(buf_.data(), 1, 4, f_);
    if (got == 0 && std::feof(f_)) return false;  // a clean end
    if (got < 4) {
        read_error_ = std::ferror(f_) != 0;
        err_ = {ioam::errc::truncated, static_cast<std::size_t>(offset_ + got)};
        return false;
    }
    auto len = ipfix::peek_message_length(ioam::bytes_view(buf_).first(4));
    if (!len || *len < ipfix::message_header_size) {
        err_ = {len ? ioam::errc::length_too_small : len.code(), static_cast<std::size_t>(offset_ + 2)};
        return false;
    }
    const std::size_t rest = std::fread(buf_.data() + 4, 1, *len - 4, f_);
    if (rest != *len - 4) {
        read_error_ = std::ferror(f_) != 0;
        err_ = {ioam::errc::truncated, static_cast<std::size_t>(offset_ + 4 + rest)};
        return false;
    }
    auto m = ipfix::parse_message(ioam::bytes_view(buf_).first(*len), static_cast<std::size_t>(offset_));
    if (!m) {
        err_ = m.error();
        return false;
    }
    out = *m;
    offset_ += *len;
    return true;
}

ioam::result<void> ipfix_file_reader::status() const noexcept {
    if (err_.code != ioam::errc::ok) return err_;
    return {};
}

void ipfix_file_reader::close() {
    if (f_ && own_) std::fclose(f_);
    f_ = nullptr;
}

}  // namespace ioam_tools
