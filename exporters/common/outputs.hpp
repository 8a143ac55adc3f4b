// The message sinks (ioam/export/session.hpp's message_sink) the programs
// share: UDP to any number of collectors, an IPFIX file (RFC 5655) and the
// console. TCP is in tcp_output.hpp. Each output gets its own export
// session, so each follows its transport's template rules (RFC 7011 8.1,
// 8.4): UDP refreshes templates on a timer; a file withdraws an id before
// reusing it, so a file reader never decodes records with an old template.
#pragma once

#include "ipfix_file.hpp"
#include "print.hpp"

#include "ioam/core/buffer.hpp"
#include "ioam/export/decode.hpp"
#include "ioam/export/pen10383.hpp"
#include "ioam/ipfix/message.hpp"
#include "ioam/ipfix/template_cache.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace ioam_tools {

/// IPFIX over UDP (RFC 7011 10.3): every message to every collector.
class udp_output {
public:
    udp_output() = default;
    udp_output(const udp_output&) = delete;
    udp_output& operator=(const udp_output&) = delete;
    ~udp_output() { close(); }

    /// Connects a socket to `spec` (ADDR:PORT); says why not on stderr.
    bool add(const std::string& spec, const char* program);
    [[nodiscard]] bool empty() const noexcept { return fds_.empty(); }
    /// IP and UDP header octets of the largest header among the collectors.
    [[nodiscard]] std::size_t overhead() const noexcept { return ipv6_ ? 48 : 28; }
    [[nodiscard]] std::uint64_t send_errors() const noexcept { return send_errors_; }
    void close();

    /// message_sink: true when every collector's socket took the message.
    bool send(ioam::bytes_view m, std::uint32_t records);
    [[nodiscard]] ioam::ipfix::transport transport() const noexcept { return ioam::ipfix::transport::udp; }

private:
    std::vector<int> fds_;
    bool ipv6_ = false;
    std::uint64_t send_errors_ = 0;
};

/// IPFIX file (RFC 5655): the messages one after the other.
class file_output {
public:
    file_output() = default;
    file_output(const file_output&) = delete;
    file_output& operator=(const file_output&) = delete;
    ~file_output() { (void)close(); }

    /// "-" is stdout. Says why not on stderr.
    bool open(const std::string& path, const char* program);
    [[nodiscard]] bool is_open() const noexcept { return w_.is_open(); }
    [[nodiscard]] std::uint64_t write_errors() const noexcept { return w_.errors(); }
    /// Flushes and closes; false when a write failed at the end.
    bool close() { return w_.close(); }

    bool send(ioam::bytes_view m, std::uint32_t) { return static_cast<bool>(w_.write(m)); }
    [[nodiscard]] ioam::ipfix::transport transport() const noexcept { return ioam::ipfix::transport::file; }

private:
    ipfix_file_writer w_;
};

/// The console: each message decoded back (template cache, PEN 10383
/// decode_record) and printed a record a line, text or JSON (print.hpp), so
/// the console shows what an IPFIX collector would read.
class console_output {
public:
    explicit console_output(bool json, std::FILE* out = stdout)
        : json_(json), out_(out), cache_(registry()) {}

    bool send(ioam::bytes_view m, std::uint32_t) {
        auto v = ioam::ipfix::parse_message(m);
        if (!v) return false;
        const auto sum = cache_.process(0, *v, 0, [&](const ioam::ipfix::dynamic_record& r) {
            if (r.templ().is_options()) return;  // the statistics go to stderr as a line
            const auto d = ioam::exporting::decode_record(r);
            if (json_) print_json(out_, d);
            else print_text(out_, d);
        });
        std::fflush(out_);
        return sum.skipped_sets == 0;
    }
    /// A stream: ids are withdrawn before reuse, so the cache never holds a stale template.
    [[nodiscard]] ioam::ipfix::transport transport() const noexcept { return ioam::ipfix::transport::file; }

private:
    // PEN 10383 only: the statistics record's IANA elements are not printed
    // (and the IANA table would double the stripped exporter's relocations).
    static ioam::ipfix::ie_registry registry() { return ioam::ipfix::ie_registry{ioam::exporting::pen10383::registry()}; }
    bool json_;
    std::FILE* out_;
    ioam::ipfix::template_cache cache_;
};

}  // namespace ioam_tools
