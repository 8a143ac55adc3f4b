// ioam-flow-exporter: IP flows seen by tc clsact eBPF programs (flow.bpf.c)
// on the named interfaces, exported as IPFIX (ioam/export/flow.hpp).
//
// This file parses the options and wires the parts: the programs and their
// attachment (flow_bpf.hpp), the flow table that reads their map and decides
// what to export (flow_table.hpp), and the outputs, each with its own export
// session (flow_exporter.hpp). docs/flow-exporter.md describes the design
// and its limits.
#include "flow_exporter.hpp"
#include "options.hpp"

#include <csignal>
#include <cstdio>
#include <cstring>

#ifndef IOAM_VERSION
#define IOAM_VERSION "unknown"
#endif

namespace {

using namespace ioam_tools;
using namespace ioam_tools::flow;

void usage(std::FILE* f) {
    std::fputs(
        "Usage: ioam-flow-exporter [options] -i IFACE [-i IFACE ...]\n"
        "Counts the IP flows of the named interfaces with tc eBPF programs and exports them\n"
        "as IPFIX (docs/flow-exporter.md).\n\n"
        "Observation:\n"
        "  -i, --interface IFACE        attach to IFACE (repeatable; Ethernet-like devices)\n"
        "      --direction both|ingress|egress  which tc hooks to use (both)\n"
        "      --map-size N             flows the kernel map holds (65536); when it is full the\n"
        "                               least recently used flows are exported early with\n"
        "                               flowEndReason lackOfResources\n"
        "      --active-timeout SEC     export long flows every SEC seconds, delta counts (10)\n"
        "      --idle-timeout SEC       end a flow after SEC seconds without packets (30)\n"
        "      --scan-ms MS             read the map every MS milliseconds (1000)\n", f);
    help_outputs(f);
    std::fputs(
        "IPFIX:\n"
        "      --layout standard|seed   standard (default): IPv4 and IPv6 templates 300/301, every\n"
        "                               protocol; seed: the L3AF exporter's templates 256-259\n"
        "                               (IPv4 TCP and ICMP only, 60-octet records)\n", f);
    help_ipfix(f);
    std::fputs("Process:\n", f);
    help_process(f);
    std::fputs(
        "      --user NAME              after attaching, run as NAME keeping only CAP_BPF and\n"
        "                               CAP_NET_ADMIN (nobody)\n"
        "  -v, --verbose                libbpf's debug messages\n", f);
    help_end(f);
    std::fputs(
        "Exit status: 0 clean exit (SIGINT, SIGTERM); 1 map read or output failure; 2 usage error;\n"
        "3 the kernel refused the eBPF programs (no eBPF support, verifier rejection); 4 cannot\n"
        "open an output; 5 no such interface, or not Ethernet-like; 6 missing privileges\n"
        "(CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN, or root); 7 cannot attach to tc (no clsact /\n"
        "tc BPF).\n", f);
}

void on_signal(int sig) {
    if (sig == SIGUSR1) g_stats = 1;
    else g_stop = 1;
}

}  // namespace

int main(int argc, char** argv) {
    config cfg;
    enum : int { o_direction = 512, o_map, o_active, o_idle, o_scan, o_layout };
    static constexpr option own[] = {
        {"interface", required_argument, nullptr, 'i'},
        {"direction", required_argument, nullptr, o_direction},
        {"map-size", required_argument, nullptr, o_map},
        {"active-timeout", required_argument, nullptr, o_active},
        {"idle-timeout", required_argument, nullptr, o_idle},
        {"scan-ms", required_argument, nullptr, o_scan},
        {"layout", required_argument, nullptr, o_layout},
        {"verbose", no_argument, nullptr, 'v'},
    };
    const auto take = [](void* ctx, int opt, const char* arg) -> const char* {
        auto& cfg = *static_cast<config*>(ctx);
        auto& b = cfg.bpf;
        switch (opt) {
        case 'i': b.interfaces.emplace_back(arg); return nullptr;
        case 'v': b.verbose = true; return nullptr;
        case o_direction:
            if (std::strcmp(arg, "both") != 0 && std::strcmp(arg, "ingress") != 0 && std::strcmp(arg, "egress") != 0)
                return "--direction";
            b.ingress = std::strcmp(arg, "egress") != 0;
            b.egress = std::strcmp(arg, "ingress") != 0;
            return nullptr;
        case o_map: return parse_number(arg, 16, 1u << 24, b.map_size) ? nullptr : "--map-size (16 to 16777216)";
        case o_active: return parse_number(arg, 1, 86400, cfg.active_s) ? nullptr : "--active-timeout (1 to 86400)";
        case o_idle: return parse_number(arg, 1, 86400, cfg.idle_s) ? nullptr : "--idle-timeout (1 to 86400)";
        case o_scan: return parse_number(arg, 10, 60000, cfg.scan_ms) ? nullptr : "--scan-ms (10 to 60000)";
        case o_layout:
            if (std::strcmp(arg, "standard") == 0) cfg.layout = fl::layout::standard;
            else if (std::strcmp(arg, "seed") == 0) cfg.layout = fl::layout::seed;
            else return "--layout";
            return nullptr;
        }
        return "";
    };
    const program_options p{"ioam-flow-exporter", IOAM_VERSION, usage, own, "i:v", take, &cfg};
    if (const int rc = parse_options(argc, argv, cfg.out, p); rc >= 0) return rc;
    if (cfg.bpf.interfaces.empty()) {
        std::fprintf(stderr, "ioam-flow-exporter: no interface (-i IFACE; see --help)\n");
        return exit_usage;
    }

    struct sigaction sa{};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGUSR1, &sa, nullptr);
    std::signal(SIGPIPE, SIG_IGN);

    static exporter app(cfg);
    return app.run();
}
