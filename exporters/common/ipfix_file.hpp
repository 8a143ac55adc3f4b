// IPFIX files (RFC 5655) on disk, for every program: the writer behind
// `ioam-exporter --file` and the streaming reader for the collector. The
// codec (ioam/ipfix/file.hpp) frames and checks messages; the FILE* lives
// here.
#pragma once

#include "ioam/core/buffer.hpp"
#include "ioam/core/error.hpp"
#include "ioam/ipfix/file.hpp"
#include "ioam/ipfix/message.hpp"

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

namespace ioam_tools {

/// Appends whole messages to a file ("-": stdout), each checked first
/// (framing; templates before data, RFC 5655 and RFC 7011 8).
class ipfix_file_writer {
public:
    ipfix_file_writer() = default;
    ipfix_file_writer(const ipfix_file_writer&) = delete;
    ipfix_file_writer& operator=(const ipfix_file_writer&) = delete;
    ~ipfix_file_writer() { (void)close(); }

    /// errno says why on failure.
    bool open(const std::string& path);
    [[nodiscard]] bool is_open() const noexcept { return f_ != nullptr; }
    /// False (counted) when the message was refused or not completely written.
    bool write(ioam::bytes_view message);
    [[nodiscard]] std::uint64_t errors() const noexcept { return errors_; }
    [[nodiscard]] std::uint64_t messages() const noexcept { return check_ ? check_->messages() : 0; }
    /// Flushes and closes (not stdout); false when that failed.
    bool close();

private:
    std::FILE* f_ = nullptr;
    bool own_ = false;
    std::optional<ioam::ipfix::file_writer> check_;
    std::uint64_t errors_ = 0;
};

/// Reads a file ("-": stdin) one message at a time, without holding the
/// whole file: at most one message (65535 octets) is buffered.
class ipfix_file_reader {
public:
    ipfix_file_reader() = default;
    ipfix_file_reader(const ipfix_file_reader&) = delete;
    ipfix_file_reader& operator=(const ipfix_file_reader&) = delete;
    ~ipfix_file_reader() { close(); }

    /// errno says why on failure.
    bool open(const std::string& path);
    /// The next message (valid until the next call): true, or false at the
    /// end of the file or at the first bad or truncated message (status()).
    bool next(ioam::ipfix::message_view& out);
    /// Success at a clean end; else the error, its offset from the start of the file.
    [[nodiscard]] ioam::result<void> status() const noexcept;
    /// Offset of the next message (or of the bad one).
    [[nodiscard]] std::uint64_t offset() const noexcept { return offset_; }
    void close();

private:
    std::FILE* f_ = nullptr;
    bool own_ = false;
    std::vector<std::byte> buf_ = std::vector<std::byte>(ioam::ipfix::max_message_size);
    std::uint64_t offset_ = 0;
    ioam::error err_{};
    bool read_error_ = false;
};

}  // namespace ioam_tools
