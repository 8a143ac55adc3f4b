// ioam-exporter: the kernel's IOAM6 events (TRACE and DEX) as IPFIX.
//
// This file parses the options and wires the parts: the input (the kernel
// through exporters/common/netlink_source, or --replay), the outputs
// (exporters/common: UDP, TCP, IPFIX file, console), and the record layout
// picked by --format (ioam/export/layouts.hpp). exporter.hpp runs them: one
// export session (ioam/export/session.hpp) per output, nothing allocated
// per event, every loss counted.
#include "address.hpp"
#include "exporter.hpp"

#include "ioam/export/layouts.hpp"

#include <getopt.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>

#ifndef IOAM_VERSION
#define IOAM_VERSION "unknown"
#endif

namespace {

using namespace ioam_tools;
namespace xp = ioam::exporting;

void usage(std::FILE* f) {
    std::fprintf(f,
        "Usage: ioam-exporter [options]\n"
        "Exports the kernel's IOAM events (genl family IOAM6, group ioam6_events) as IPFIX\n"
        "(PEN 10383 layout, or --format rawexport; docs/exporter.md).\n\n"
        "Outputs (any number at once; without one, -o is implied):\n"
        "  -c, --collector [udp://|tcp://|tls://]ADDR:PORT\n"
        "                               IPFIX to a collector (UDP unless tcp:// or tls://; ADDR:\n"
        "                               IPv4, [IPv6] or a name); repeatable\n"
        "      --tcp ADDR:PORT          the same as -c tcp://ADDR:PORT: reconnects with backoff\n"
        "                               (0.25 s doubling to 30 s), templates re-sent on every\n"
        "                               connection, events kept in a bounded backlog meanwhile\n"
        "      --tls ADDR:PORT          the same as -c tls://ADDR:PORT: TCP with TLS (RFC 7011 11),\n"
        "                               mutual authentication: needs the three options below\n"
        "      --tls-ca FILE --tls-cert FILE --tls-key FILE\n"
        "                               PEM: the CA of the collector's certificate, ours, its key\n"
        "      --tls-server-name NAME   the name the collector's certificate must carry (ADDR)\n"
        "      --tcp-backlog BYTES      backlog per TCP collector (8388608); events that find it\n"
        "                               full are dropped and counted\n"
        "      --drain-timeout MS       at exit, wait up to MS for TCP collectors to take the\n"
        "                               backlog (5000)\n"
        "      --file PATH              IPFIX file (RFC 5655); '-' for stdout\n"
        "  -o, --console[=text|json]    print every record (text by default; json: one object a line)\n"
        "Input:\n"
        "      --replay PCAP            read recorded netlink events instead of the kernel\n"
        "      --record PCAP            also write the received netlink datagrams to PCAP\n"
        "                               (link type NETLINK 253; tshark reads it)\n"
        "      --coalesce-us US         after a receive that found fewer than 32 datagrams, let\n"
        "                               events gather for US microseconds (1000; 0: wake for each)\n"
        "      --rcvbuf BYTES           netlink receive buffer (default 33554432; forced when\n"
        "                               permitted, else capped by net.core.rmem_max)\n"
        "IPFIX:\n"
        "      --mtu BYTES              path MTU; messages fill up to it less the IP/UDP headers (1500)\n"
        "      --flush-ms MS            send a partly filled message after MS milliseconds (50)\n"
        "      --template-refresh SEC   re-send templates every SEC seconds (RFC 6728 default 600)\n"
        "      --observation-domain N   observation domain id (1)\n"
        "      --reporting-node-only    one record per trace event: the emitting node (default: all nodes)\n"
        "      --format pen10383|rawexport  record layout: pen10383 (default) one record per node, parsed\n"
        "                               fields; rawexport (draft-spiegel-ippm-ioam-rawexport-07) one record\n"
        "                               per event, the IOAM option as raw octets\n"
        "Process:\n"
        "      --stats-interval SEC     statistics every SEC seconds (0: off), also on SIGUSR1\n"
        "                               and at exit: a line on stderr, and an IPFIX options\n"
        "                               record (template 4000) to every IPFIX output\n"
        "      --user NAME              after subscribing, run as NAME when started as root (nobody)\n"
        "      --keep-privileges        do not drop privileges\n"
        "  -h, --help                   this text\n"
        "  -V, --version                the version\n\n"
        "Exit status: 0 clean exit (SIGINT, SIGTERM, end of replay); 1 receive or output failure;\n"
        "2 usage error; 3 cannot subscribe (no IOAM6 events in this kernel, or no CAP_NET_ADMIN);\n"
        "4 cannot open an input or output.\n");
}

void on_signal(int sig) {
    if (sig == SIGUSR1) g_signals.stats = 1;
    else g_signals.stop = 1;
}

}  // namespace

int main(int argc, char** argv) {
    exporter_config cfg;
    enum : int { o_file = 256, o_mtu, o_flush, o_refresh, o_odid, o_record, o_replay, o_stats, o_rcvbuf, o_user,
                 o_keep, o_reporting, o_tcp, o_tcp_backlog, o_drain, o_format, o_tls, o_tls_ca, o_tls_cert,
                 o_tls_key, o_tls_name, o_coalesce };
    static const option longopts[] = {
        {"collector", required_argument, nullptr, 'c'},
        {"console", optional_argument, nullptr, 'o'},
        {"file", required_argument, nullptr, o_file},
        {"mtu", required_argument, nullptr, o_mtu},
        {"flush-ms", required_argument, nullptr, o_flush},
        {"template-refresh", required_argument, nullptr, o_refresh},
        {"observation-domain", required_argument, nullptr, o_odid},
        {"record", required_argument, nullptr, o_record},
        {"replay", required_argument, nullptr, o_replay},
        {"stats-interval", required_argument, nullptr, o_stats},
        {"rcvbuf", required_argument, nullptr, o_rcvbuf},
        {"user", required_argument, nullptr, o_user},
        {"keep-privileges", no_argument, nullptr, o_keep},
        {"reporting-node-only", no_argument, nullptr, o_reporting},
        {"tcp", required_argument, nullptr, o_tcp},
        {"tls", required_argument, nullptr, o_tls},
        {"tls-ca", required_argument, nullptr, o_tls_ca},
        {"tls-cert", required_argument, nullptr, o_tls_cert},
        {"tls-key", required_argument, nullptr, o_tls_key},
        {"tls-server-name", required_argument, nullptr, o_tls_name},
        {"coalesce-us", required_argument, nullptr, o_coalesce},
        {"tcp-backlog", required_argument, nullptr, o_tcp_backlog},
        {"drain-timeout", required_argument, nullptr, o_drain},
        {"format", required_argument, nullptr, o_format},
        {"help", no_argument, nullptr, 'h'},
        {"version", no_argument, nullptr, 'V'},
        {nullptr, 0, nullptr, 0},
    };
    const auto bad = [](const char* opt, const char* arg) {
        std::fprintf(stderr, "ioam-exporter: invalid value for %s: '%s' (see --help)\n", opt, arg ? arg : "");
        return exit_usage;
    };
    for (int ch; (ch = getopt_long(argc, argv, "c:ohV", longopts, nullptr)) != -1;) {
        unsigned long long v = 0;
        switch (ch) {
        case 'c':
            if (std::strncmp(optarg, "tcp://", 6) == 0) cfg.tcp_collectors.emplace_back(optarg + 6);
            else if (std::strncmp(optarg, "tls://", 6) == 0) cfg.tls_collectors.emplace_back(optarg + 6);
            else if (std::strncmp(optarg, "udp://", 6) == 0) cfg.collectors.emplace_back(optarg + 6);
            else cfg.collectors.emplace_back(optarg);
            break;
        case o_tcp: cfg.tcp_collectors.emplace_back(optarg); break;
        case o_tls: cfg.tls_collectors.emplace_back(optarg); break;
        case o_tls_ca: cfg.tls.ca = optarg; break;
        case o_tls_cert: cfg.tls.cert = optarg; break;
        case o_tls_key: cfg.tls.key = optarg; break;
        case o_tls_name: cfg.tls.server_name = optarg; break;
        case o_coalesce:
            if (!parse_uint(optarg, 999999, v)) return bad("--coalesce-us", optarg);
            cfg.coalesce_us = static_cast<unsigned>(v);
            break;
        case o_tcp_backlog:
            if (!parse_uint(optarg, 1ULL << 34, v) || v < 65536) return bad("--tcp-backlog (at least 65536)", optarg);
            cfg.tcp_backlog = static_cast<std::size_t>(v);
            break;
        case o_drain:
            if (!parse_uint(optarg, 3600000, v)) return bad("--drain-timeout", optarg);
            cfg.drain_ms = static_cast<unsigned>(v);
            break;
        case 'o':
            if (!optarg || std::strcmp(optarg, "text") == 0) cfg.console = console_mode::text;
            else if (std::strcmp(optarg, "json") == 0) cfg.console = console_mode::json;
            else return bad("--console", optarg);
            break;
        case o_file: cfg.file = optarg; break;
        case o_mtu:
            if (!parse_uint(optarg, 65535 + 48, v)) return bad("--mtu", optarg);
            cfg.mtu = static_cast<unsigned>(v);
            break;
        case o_flush:
            if (!parse_uint(optarg, 3600000, v)) return bad("--flush-ms", optarg);
            cfg.flush_ms = static_cast<unsigned>(v);
            break;
        case o_refresh:
            if (!parse_uint(optarg, 86400, v)) return bad("--template-refresh", optarg);
            cfg.refresh = static_cast<unsigned>(v);
            break;
        case o_odid:
            if (!parse_uint(optarg, 0xffffffffULL, v)) return bad("--observation-domain", optarg);
            cfg.odid = static_cast<std::uint32_t>(v);
            break;
        case o_record: cfg.record = optarg; break;
        case o_replay: cfg.replay = optarg; break;
        case o_stats:
            if (!parse_uint(optarg, 86400, v)) return bad("--stats-interval", optarg);
            cfg.stats_interval = static_cast<unsigned>(v);
            break;
        case o_rcvbuf:
            if (!parse_uint(optarg, 0x7fffffff, v)) return bad("--rcvbuf", optarg);
            cfg.rcvbuf = static_cast<int>(v);
            break;
        case o_user: cfg.user = optarg; break;
        case o_keep: cfg.drop_privileges = false; break;
        case o_reporting: cfg.events.nodes = xp::node_selection::reporting_only; break;
        case o_format:
            if (!xp::event_layouts::with(optarg, [](auto) {})) return bad("--format", optarg);
            cfg.format = optarg;
            break;
        case 'h': usage(stdout); return exit_ok;
        case 'V': std::printf("ioam-exporter %s\n", IOAM_VERSION); return exit_ok;
        default: usage(stderr); return exit_usage;
        }
    }
    if (optind < argc) {
        std::fprintf(stderr, "ioam-exporter: unexpected argument '%s' (see --help)\n", argv[optind]);
        return exit_usage;
    }
    if (!cfg.tls_collectors.empty() && (cfg.tls.ca.empty() || cfg.tls.cert.empty() || cfg.tls.key.empty())) {
        std::fprintf(stderr, "ioam-exporter: TLS needs --tls-ca, --tls-cert and --tls-key (mutual authentication)\n");
        return exit_usage;
    }
    if (cfg.collectors.empty() && cfg.tcp_collectors.empty() && cfg.tls_collectors.empty() && cfg.file.empty() && cfg.console == console_mode::none &&
        cfg.record.empty())
        cfg.console = console_mode::text;
    if (cfg.file == "-" && cfg.console != console_mode::none) {
        std::fprintf(stderr, "ioam-exporter: --file - and --console both write to stdout\n");
        return exit_usage;
    }

    struct sigaction sa{};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // no SA_RESTART: poll returns EINTR
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGUSR1, &sa, nullptr);
    std::signal(SIGPIPE, SIG_IGN);

    static exporter app(cfg);  // large buffers: static storage, not the stack
    return app.run();
}
