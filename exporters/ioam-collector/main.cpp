// ioam-collector: IPFIX from ioam-exporter (or the seed Go exporter, same
// PEN 10383 elements) over UDP, TCP, TLS or from RFC 5655 files, decoded
// through the run-time template cache and printed as text or JSON lines, one
// line per record (a trace node or a DEX event); options records (e.g. the
// exporter's statistics) are printed field by field. This file parses the
// options and wires the parts: collector.hpp decodes and counts,
// network.cpp serves the transports, exporters/common/ipfix_file.hpp streams files.
#include "collector.hpp"
#include "ipfix_file.hpp"
#include "network.hpp"
#include "options.hpp"

#include <getopt.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#ifndef IOAM_VERSION
#define IOAM_VERSION "unknown"
#endif

namespace {

using namespace ioam_collector;

constexpr int exit_ok = 0, exit_decode = 1, exit_usage = 2, exit_open = 4;

volatile std::sig_atomic_t g_stop = 0, g_dump = 0;

void usage(std::FILE* f) {
    std::fprintf(f,
        "Usage: ioam-collector [options] [FILE...]\n"
        "Decodes IPFIX carrying IOAM records (PEN 10383: ioam-exporter and the seed Go exporter;\n"
        "rawexport: ioam-exporter --format rawexport) and prints one line per record (rawexport:\n"
        "one line per node of the raw option, with format, time, flags and encapsulation first).\n\n"
        "  -l, --listen [ADDR:]PORT     receive IPFIX over UDP (default address: all, IPv6 and IPv4)\n"
        "  -t, --listen-tcp [ADDR:]PORT receive IPFIX over TCP (any number of exporters; each\n"
        "                               connection is a session: its templates end with it)\n"
        "      --listen-tls [ADDR:]PORT receive IPFIX over TLS (RFC 7011 11, port 4740): TLS 1.2+,\n"
        "                               client certificates required (mutual authentication)\n"
        "      --tls-cert FILE          the collector's certificate (PEM, chain)\n"
        "      --tls-key FILE           its private key (PEM)\n"
        "      --tls-ca FILE            the CA(s) that must have signed each exporter's certificate\n"
        "  FILE...                      read IPFIX files (RFC 5655) instead; '-' for stdin\n"
        "  -j, --json                   JSON lines (default: text)\n"
        "      --meta                   add the observation domain, template id and sequence number\n"
        "      --quirks go-ioam-exporter  repair the seed Go exporter's records (docs/collector.md)\n"
        "      --count N                exit after N records\n"
        "      --idle-exit SEC          exit when nothing arrived for SEC seconds\n"
        "      --template-lifetime SEC  forget UDP templates not refreshed in SEC seconds (1800)\n"
        "      --idle-timeout SEC       close a TCP/TLS connection silent for SEC seconds (600; 0: never)\n"
        "      --stall-timeout SEC      close a TCP/TLS connection whose message or handshake stays\n"
        "                               incomplete for SEC seconds (30; 0: never)\n"
        "      --max-connections N      TCP and TLS connections at once; more are refused (256)\n"
        "      --max-sessions N         transport sessions (UDP exporter address and port, connection,\n"
        "                               file) with template state; the least recently heard is\n"
        "                               forgotten first, and counted (4096)\n"
        "      --max-template-bytes BYTES  memory of all cached templates; the least recently\n"
        "                               used are evicted beyond it, and counted (12582912)\n"
        "      --rcvbuf BYTES           UDP receive buffer (33554432; forced when privileged)\n"
        "      --udp-queue BYTES        received UDP datagrams held while decoding lags (16777216;\n"
        "                               when full they wait in the receive buffer)\n"
        "  -h, --help, -V, --version\n\n%s\n"
        "Statistics go to stderr at exit and on SIGUSR1. Exit status: 0 success; 1 a file did\n"
        "not decode, sets were skipped or template records were invalid; 2 usage error; 4 cannot\n"
        "open a socket or file.\n",
        usage_text);
}

int read_file(collector& c, const std::string& path, std::uint64_t session) {
    // RFC 5655: a file is a sequence of whole messages, read one at a time
    // (the shared reader, exporters/common/ipfix_file.hpp).
    ioam_tools::ipfix_file_reader in;
    if (!in.open(path)) {
        std::fprintf(stderr, "ioam-collector: %s: %s\n", path.c_str(), std::strerror(errno));
        return exit_open;
    }
    for (ioam::ipfix::message_view m; !c.done() && in.next(m);) c.message(session, m);
    int rc = exit_ok;
    if (const auto st = in.status(); !st) {
        std::fprintf(stderr, "ioam-collector: %s: %s at offset %zu\n", path.c_str(),
                     st.code() == ioam::errc::truncated ? "truncated message" : st.error_code().message().c_str(),
                     st.offset());
        rc = exit_decode;
    }
    c.end_session(session);
    return rc;
}

void on_signal(int sig) {
    if (sig == SIGUSR1) g_dump = 1;
    else g_stop = 1;
}

}  // namespace

int main(int argc, char** argv) {
    static options o;
    enum : int {
        o_meta = 256, o_count, o_idle, o_lifetime, o_tls, o_cert, o_key, o_ca, o_quirks, o_idle_timeout,
        o_stall_timeout, o_max_conn, o_max_udp, o_rcvbuf, o_udp_queue, o_template_bytes
    };
    static const option longopts[] = {
        {"listen", required_argument, nullptr, 'l'},
        {"listen-tcp", required_argument, nullptr, 't'},
        {"listen-tls", required_argument, nullptr, o_tls},
        {"tls-cert", required_argument, nullptr, o_cert},
        {"tls-key", required_argument, nullptr, o_key},
        {"tls-ca", required_argument, nullptr, o_ca},
        {"json", no_argument, nullptr, 'j'},
        {"meta", no_argument, nullptr, o_meta},
        {"quirks", required_argument, nullptr, o_quirks},
        {"count", required_argument, nullptr, o_count},
        {"idle-exit", required_argument, nullptr, o_idle},
        {"template-lifetime", required_argument, nullptr, o_lifetime},
        {"idle-timeout", required_argument, nullptr, o_idle_timeout},
        {"stall-timeout", required_argument, nullptr, o_stall_timeout},
        {"max-connections", required_argument, nullptr, o_max_conn},
        {"max-sessions", required_argument, nullptr, o_max_udp},
        {"max-template-bytes", required_argument, nullptr, o_template_bytes},
        {"rcvbuf", required_argument, nullptr, o_rcvbuf},
        {"udp-queue", required_argument, nullptr, o_udp_queue},
    };
    // One of ours: nullptr when good, "" (the option's name) when not.
    const auto take = [](void* ctx, int ch, const char* arg) -> const char* {
        using ioam_tools::parse_number;
        options& o = *static_cast<options*>(ctx);
        bool ok = true;
        switch (ch) {
        case 'l': o.listen = arg; break;
        case 't': o.listen_tcp = arg; break;
        case o_tls: o.listen_tls = arg; break;
        case o_cert: o.tls_cert = arg; break;
        case o_key: o.tls_key = arg; break;
        case o_ca: o.tls_ca = arg; break;
        case 'j': o.json = true; break;
        case o_meta: o.meta = true; break;
        case o_quirks:
            ok = std::strcmp(arg, "go-ioam-exporter") == 0;
            o.quirks_go = ok;
            break;
        case o_count: ok = parse_number(arg, 0, ~0ULL, o.count); break;
        case o_idle: ok = parse_number(arg, 0, 86400, o.idle_exit); break;
        case o_lifetime: ok = parse_number(arg, 0, 0xffffffffULL, o.lifetime); break;
        case o_idle_timeout: ok = parse_number(arg, 0, 86400, o.idle_timeout); break;
        case o_stall_timeout: ok = parse_number(arg, 0, 86400, o.stall_timeout); break;
        case o_max_conn: ok = parse_number(arg, 1, 1000000, o.max_connections); break;
        case o_max_udp: ok = parse_number(arg, 1, 10000000, o.max_sessions); break;
        case o_template_bytes: ok = parse_number(arg, 65536, 1ULL << 34, o.template_bytes); break;
        case o_rcvbuf: ok = parse_number(arg, 0, 1ULL << 30, o.rcvbuf); break;
        case o_udp_queue: ok = parse_number(arg, 0, 1ULL << 30, o.udp_queue); break;
        default:
            if (!parse_option(o.analysis, ch, arg, ok)) ok = false;  // issue 14
            break;
        }
        return ok ? nullptr : "";
    };
    // issue 14: the analysis module's options after ours.
    std::vector<option> own(std::begin(longopts), std::end(longopts));
    add_options(own);
    const ioam_tools::program_options p{"ioam-collector", IOAM_VERSION, usage, own, "l:t:j", take, &o};
    if (const int rc = ioam_tools::parse_program_options(argc, argv, p, o.files); rc >= 0) return rc;
    const bool network = !o.listen.empty() || !o.listen_tcp.empty() || !o.listen_tls.empty();
    if (network == !o.files.empty()) {
        std::fprintf(stderr, "ioam-collector: give either --listen/--listen-tcp/--listen-tls or files (see --help)\n");
        return exit_usage;
    }
    if (!o.listen_tls.empty() && (o.tls_cert.empty() || o.tls_key.empty() || o.tls_ca.empty())) {
        std::fprintf(stderr, "ioam-collector: --listen-tls needs --tls-cert, --tls-key and --tls-ca\n");
        return exit_usage;
    }
    struct sigaction sa{};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGUSR1, &sa, nullptr);
    std::signal(SIGPIPE, SIG_IGN);  // a TLS alert to a peer that has gone

    static collector c(o);
    static transport_stats st;
    // issue 14: the analysis module, when one of its outputs is asked for.
    std::unique_ptr<analysis> an;
    if (o.analysis.enabled()) {
        an = std::make_unique<analysis>(o.analysis);
        if (!an->start()) return exit_open;
        c.set_analysis(an.get());
    }
    int rc = exit_ok;
    if (!o.files.empty()) {
        std::uint64_t session = 1;
        for (const auto& f : o.files) {
            c.open_stream(session);  // a file's templates never expire (RFC 7011 8.4)
            if (int r = read_file(c, f, session++); r != exit_ok && rc == exit_ok) rc = r;
            if (g_stop) break;
        }
    } else {
        rc = serve(c, o, st, g_stop, g_dump, [] {
            std::fflush(stdout);
            c.print_stats(&st);
        });
    }
    if (an) an->finish();  // issue 14
    std::fflush(stdout);
    c.print_stats(o.files.empty() ? &st : nullptr);
    if (rc == exit_ok && !c.clean()) rc = exit_decode;
    return rc;
}
