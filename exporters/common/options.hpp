// The options both exporters share: where the IPFIX goes (--collector,
// --tcp, --tls and its files, --file, --console), how (--mtu,
// --template-refresh, --observation-domain, --tcp-backlog, --drain-timeout)
// and the process (--stats-interval, --user, --keep-privileges, --help,
// --version). One table, one parser, one output_settings that each program
// hands to its outputs; a program adds its own options to the parse.
#pragma once

#include "address.hpp"
#include "connection.hpp"
#include "tls.hpp"
#ifdef IOAM_TLS
#include "tls_module.hpp"
#endif

#include <getopt.h>

#include <cstdint>
#include <cstdio>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace ioam_tools {

enum class console_mode { none, text, json };
enum class transport { udp, tcp, tls };

/// One -c / --tcp / --tls collector.
struct collector_spec {
    transport kind = transport::udp;
    std::string address;  ///< ADDR:PORT
};

struct output_settings {
    /// In command-line order: a collector's position is its id on the
    /// --spread-by-flow ring (the same list gives every exporter the same ring).
    std::vector<collector_spec> collectors;
    tls::config tls;  ///< --tls-cert, --tls-key, --tls-ca, --tls-server-name
    std::size_t tcp_backlog = 8u << 20;
    unsigned drain_ms = 5000;
    console_mode console = console_mode::none;
    std::string file;
    unsigned mtu = 1500;
    unsigned refresh = 600;  ///< template refresh, seconds
    std::uint32_t odid = 1;
    unsigned stats_interval = 0;
    std::string user = "nobody";
    bool drop_privileges = true;

    [[nodiscard]] std::size_t count(transport t) const;
};

/// A number in min..max into `out` (any unsigned or int type that holds max).
template <class T>
bool parse_number(const char* s, unsigned long long min, unsigned long long max, T& out) {
    unsigned long long v = 0;
    if (!parse_uint(s, max, v) || v < min) return false;
    out = static_cast<T>(v);
    return true;
}

/// A program's side of the parse.
struct program_options {
    const char* name;     ///< "ioam-exporter": messages and --version
    const char* version;
    void (*usage)(std::FILE*);
    std::span<const option> own;  ///< its long options (val: a short option letter or >= 512)
    const char* own_short;        ///< its short options, getopt style ("i:v")
    /// Takes one of `own`: nullptr when the value is good, else the option
    /// as the message names it ("--map-size (16 to 16777216)"; "": the
    /// table's name, "--map-size").
    const char* (*take)(void* ctx, int opt, const char* arg);
    void* ctx;  ///< the program's settings, for take
    /// A file the program writes without an output option (ioam-exporter's
    /// --record): when it is set after the parse, -o is not implied.
    const std::string* other_output = nullptr;
};

/// Parses argv into `s` and the program's own settings. Returns -1 to go
/// on, else the exit status: 0 after --help / --version, 2 for a usage
/// error (said on stderr). After it, an empty output list means -o.
int parse_options(int argc, char** argv, output_settings& s, const program_options& p);

/// The same parse for a program without IPFIX outputs (ioam-collector): its
/// own options, the shared --help and --version, the other arguments into
/// `operands`. Returns as parse_options.
int parse_program_options(int argc, char** argv, const program_options& p, std::vector<std::string>& operands);

/// --help text of the shared options, by section.
void help_outputs(std::FILE* f);  // "Outputs": -c ... -o
void help_ipfix(std::FILE* f);    // --mtu --template-refresh --observation-domain
void help_process(std::FILE* f);  // --stats-interval; then the program's --user lines
void help_end(std::FILE* f);      // --keep-privileges -h -V

/// Opens the collectors of output_settings: each UDP one through
/// udp(id, address) (false: it could not be opened); then ready() (an exit
/// status: the program checks the MTU against the UDP headers and sets up
/// its sessions); then each TCP or TLS one as a connector handed to
/// stream(id, spec, connector). `id` is the collector's position on the
/// command line. Holds the TLS context the connectors use.
class collector_opener {
public:
    /// 0, or the exit status: ready()'s, 2 (an address that does not parse
    /// or resolve, TLS asked of a build without it), 4 (a UDP socket, the TLS files).
    template <class Udp, class Ready, class Stream>
    int open(const output_settings& s, const char* program, Udp&& udp, Ready&& ready, Stream&& stream) {
        for (std::size_t id = 0; id < s.collectors.size(); ++id)
            if (s.collectors[id].kind == transport::udp && !udp(id, s.collectors[id].address)) return 4;
        if (const int rc = ready(); rc != 0) return rc;
        for (std::size_t id = 0; id < s.collectors.size(); ++id) {
            const auto& c = s.collectors[id];
            if (c.kind == transport::tcp) {
                sockaddr_storage ss{};
                socklen_t len = 0;
                if (!resolve(c.address, program, "TCP collector", ss, len)) return 2;
                stream(id, c, std::make_unique<tcp_connector>(ss, len));
            } else if (c.kind == transport::tls) {
                if (const int rc = open_tls(s, c, program, [&](auto conn) { stream(id, c, std::move(conn)); }); rc != 0)
                    return rc;
            }
        }
        return 0;
    }

private:
    template <class Take>
    int open_tls([[maybe_unused]] const output_settings& s, const collector_spec& c, const char* program,
                 [[maybe_unused]] Take&& take) {
#ifdef IOAM_TLS
        if (!tls_) {
            std::string err;
            tls_ = load_tls_client(s.tls, err);
            if (!tls_) {
                std::fprintf(stderr, "%s: TLS: %s\n", program, err.c_str());
                return 4;
            }
        }
        std::string host, port;
        if (!split_host_port(c.address, host, port)) {
            std::fprintf(stderr, "%s: TLS collector %s: expected ADDR:PORT\n", program, c.address.c_str());
            return 2;
        }
        take(tls_->connect_to(host, port));
        return 0;
#else
        (void)c;
        std::fprintf(stderr, "%s: built without TLS (OpenSSL 3 was not found)\n", program);
        return 2;
#endif
    }
#ifdef IOAM_TLS
    std::unique_ptr<tls_client> tls_;
#endif
};

}  // namespace ioam_tools
