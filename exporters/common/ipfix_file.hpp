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
#include <utility>
#include <string>
#include <vector>

namespace ioam_tools {

/// Appends whole messages to a file ("-": stdout) or a caller's FILE*, each
/// checked first by ioam::ipfix::file_checker (framing; templates before
/// data, RFC 5655 and RFC 7011 8).
class ipfix_file_writer {
public:
    ipfix_file_writer() = default;
    /// A FILE* the caller opened and will close (close() only flushes it).
    explicit ipfix_file_writer(std::FILE* f, ioam::ipfix::file_checker_options opt = {}) : f_(f), check_(std::in_place, opt) {}
    ipfix_file_writer(const ipfix_file_writer&) = delete;
    ipfix_file_writer& operator=(const ipfix_file_writer&) = delete;
    ~ipfix_file_writer() { (void)close(); }

    /// errno says why on failure.
    bool open(const std::string& path);
    [[nodiscard]] bool is_open() const noexcept { return f_ != nullptr; }
    /// Checks and appends one message: the checker's error when it is
    /// refused (nothing written), errc::no_room when the file took less
    /// (errno says why); either is counted in errors().
    ioam::result<void> write(ioam::bytes_view message);
    /// fflush.
    ioam::result<void> flush();
    [[nodiscard]] std::uint64_t errors() const noexcept { return errors_; }
    [[nodiscard]] std::uint64_t messages() const noexcept { return written_; }
    [[nodiscard]] std::uint64_t bytes_written() const noexcept { return bytes_; }
    [[nodiscard]] bool has_template(std::uint32_t odid, std::uint16_t id) const noexcept {
        return check_ && check_->has_template(odid, id);
    }
    /// Flushes and closes (not stdout); false when that failed.
    bool close();

private:
    std::FILE* f_ = nullptr;
    bool own_ = false;
    std::optional<ioam::ipfix::file_checker> check_;
    std::uint64_t errors_ = 0, written_ = 0, bytes_ = 0;
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
