// ioam-exporter: the kernel's IOAM6 events (TRACE and DEX) as IPFIX.
//
// This file parses the options and wires the parts: the input (the kernel
// through exporters/common/netlink_source, or --replay), the outputs
// (exporters/common: UDP, TCP, IPFIX file, console), and the record layout
// picked by --format (ioam/export/layouts.hpp). exporter.hpp runs them: one
// export session (ioam/export/session.hpp) per output, nothing allocated
// per event, every loss counted.
#include "exporter.hpp"
#include "options.hpp"

#include "ioam/export/layouts.hpp"

#include <csignal>
#include <cstdio>
#include <string>

#ifndef IOAM_VERSION
#define IOAM_VERSION "unknown"
#endif

namespace {

using namespace ioam_tools;
namespace xp = ioam::exporting;

void usage(std::FILE* f) {
    std::fputs(
        "Usage: ioam-exporter [options]\n"
        "Exports the kernel's IOAM events (genl family IOAM6, group ioam6_events) as IPFIX\n"
        "(PEN 10383 layout, or --format rawexport; docs/exporter.md).\n\n", f);
    help_outputs(f);
    std::fputs(
        "      --spread-by-flow         each event to one collector, by a consistent-hash ring of\n"
        "                               the collectors (in their order on the command line), each\n"
        "                               with its own session: DEX by (namespace, flow id), TRACE by\n"
        "                               (namespace, first hop's node id). --file and --console\n"
        "                               still get everything\n"
        "Input:\n"
        "      --replay PCAP            read recorded netlink events instead of the kernel\n"
        "      --record PCAP            also write the received netlink datagrams to PCAP\n"
        "                               (link type NETLINK 253; tshark reads it)\n"
        "      --coalesce-us US         while events come fast, let them gather in the socket\n"
        "                               between receives, as long as 512 take at their rate and\n"
        "                               at most US microseconds (10000; 0: wake for each event)\n"
        "      --rcvbuf BYTES           netlink receive buffer (default 33554432; forced when\n"
        "                               permitted, else capped by net.core.rmem_max)\n"
        "IPFIX:\n", f);
    help_ipfix(f);
    std::fputs(
        "      --flush-ms MS            send a partly filled message after MS milliseconds (50)\n"
        "      --reporting-node-only    one record per trace event: the emitting node (default: all nodes)\n"
        "      --format pen10383|rawexport  record layout: pen10383 (default) one record per node, parsed\n"
        "                               fields; rawexport (draft-spiegel-ippm-ioam-rawexport-07) one record\n"
        "                               per event, the IOAM option as raw octets\n"
        "Process:\n", f);
    help_process(f);
    std::fputs("      --user NAME              after subscribing, run as NAME when started as root (nobody)\n", f);
    help_end(f);
    std::fputs(
        "Exit status: 0 clean exit (SIGINT, SIGTERM, end of replay); 1 receive or output failure;\n"
        "2 usage error; 3 cannot subscribe (no IOAM6 events in this kernel, or no CAP_NET_ADMIN);\n"
        "4 cannot open an input or output.\n", f);
}

void on_signal(int sig) {
    if (sig == SIGUSR1) g_signals.stats = 1;
    else g_signals.stop = 1;
}

}  // namespace

int main(int argc, char** argv) {
    exporter_config cfg;
    enum : int { o_flush = 512, o_record, o_replay, o_rcvbuf, o_reporting, o_format, o_coalesce, o_spread };
    static constexpr option own[] = {
        {"flush-ms", required_argument, nullptr, o_flush},
        {"record", required_argument, nullptr, o_record},
        {"replay", required_argument, nullptr, o_replay},
        {"rcvbuf", required_argument, nullptr, o_rcvbuf},
        {"reporting-node-only", no_argument, nullptr, o_reporting},
        {"format", required_argument, nullptr, o_format},
        {"coalesce-us", required_argument, nullptr, o_coalesce},
        {"spread-by-flow", no_argument, nullptr, o_spread},
    };
    const auto take = [](void* ctx, int opt, const char* arg) -> const char* {
        auto& cfg = *static_cast<exporter_config*>(ctx);
        switch (opt) {
        case o_flush: return parse_number(arg, 0, 3600000, cfg.flush_ms) ? nullptr : "--flush-ms";
        case o_record: cfg.record = arg; return nullptr;
        case o_replay: cfg.replay = arg; return nullptr;
        case o_rcvbuf: return parse_number(arg, 0, 0x7fffffff, cfg.rcvbuf) ? nullptr : "--rcvbuf";
        case o_reporting: cfg.events.nodes = xp::node_selection::reporting_only; return nullptr;
        case o_format:
            cfg.format = arg;
            return xp::event_layouts::with(arg, [](auto) {}) ? nullptr : "--format";
        case o_coalesce: return parse_number(arg, 0, 999999, cfg.coalesce_us) ? nullptr : "--coalesce-us";
        case o_spread: cfg.spread_by_flow = true; return nullptr;
        }
        return "";
    };
    const program_options p{"ioam-exporter", IOAM_VERSION, usage, own, "", take, &cfg, &cfg.record};
    if (const int rc = parse_options(argc, argv, cfg.out, p); rc >= 0) return rc;

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
