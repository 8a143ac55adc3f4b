// ioam-flow-exporter: IP flows seen by tc clsact eBPF programs (flow.bpf.c)
// on the named interfaces, exported as IPFIX (ioam/export/flow.hpp).
//
// The programs count every packet into a per-CPU hash map keyed by the whole
// flow tuple (each CPU writes its own slot of a flow, no atomics; user space
// folds the slots, fold_cpus). User space reads the map every --scan-ms with
// batched lookups, keeps per flow what it has exported, and writes delta
// records on the active timeout, final records on the idle timeout (the
// entry is deleted), at exit, and when the map is full: packets the map
// could not take come through a ring buffer, and the least recently used
// flows are evicted and exported with flowEndReason lackOfResources.
// docs/flow-exporter.md describes the design and its limits.
// The skeleton embeds the eBPF object as one long string literal.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverlength-strings"
#include "flow.skel.h"
#pragma GCC diagnostic pop
#include "flow_types.h"

#include "address.hpp"
#include "outputs.hpp"
#include "tcp_output.hpp"
#ifdef IOAM_TLS
#include "tls_connection.hpp"
#endif

#include "clock.hpp"

#include "ioam/export/flow.hpp"
#include "ioam/export/flow_layout.hpp"
#include "ioam/export/session.hpp"
#include "ioam/export/stats.hpp"
#include "ioam/ipfix/message.hpp"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <getopt.h>
#include <grp.h>
#include <linux/capability.h>
#include <net/if.h>
#include <netdb.h>
#include <poll.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cinttypes>
#include <csignal>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#ifndef IOAM_VERSION
#define IOAM_VERSION "unknown"
#endif

namespace {

namespace ipfix = ioam::ipfix;
namespace xp = ioam::exporting;
namespace fl = ioam::exporting::flow;
using ioam_tools::parse_uint;

// Exit codes (--help, docs/flow-exporter.md).
constexpr int exit_ok = 0;
constexpr int exit_runtime = 1;     // reading the map or writing an output failed for good
constexpr int exit_usage = 2;       // bad command line
constexpr int exit_load = 3;        // the kernel refused the programs (no eBPF, verifier rejection)
constexpr int exit_open = 4;        // an output could not be opened
constexpr int exit_interface = 5;   // an interface does not exist or is not Ethernet-like
constexpr int exit_privileges = 6;  // no CAP_BPF / CAP_PERFMON / CAP_NET_ADMIN (not root)
constexpr int exit_attach = 7;      // no tc clsact / tc BPF on an interface

// Our tc filters: this handle and priority on every hook, so that a new run
// replaces the filters of an earlier one that died instead of stacking.
constexpr std::uint32_t tc_handle = 0x10a3;
constexpr std::uint32_t tc_priority = 0x10a3;

enum class console_mode { none, text, json };

struct config {
    std::vector<std::string> interfaces, collectors, tcp_collectors, tls_collectors;
    struct {
        std::string ca, cert, key, server_name;
    } tls;
    bool ingress = true, egress = true;
    std::string file, user = "nobody";
    console_mode console = console_mode::none;
    bool drop_privileges = true, verbose = false;
    unsigned active_s = 10, idle_s = 30, scan_ms = 1000, refresh = 600, stats_interval = 0, mtu = 1500;
    std::uint32_t odid = 1, map_size = 65536;
    fl::layout layout = fl::layout::standard;
};

volatile std::sig_atomic_t g_stop = 0;
volatile std::sig_atomic_t g_stats = 0;
bool g_verbose = false;

void usage(std::FILE* f) {
    std::fprintf(f,
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
        "      --scan-ms MS             read the map every MS milliseconds (1000)\n"
        "Outputs (any number at once; without one, -o is implied):\n"
        "  -c, --collector [udp://|tcp://|tls://]ADDR:PORT\n"
        "                               IPFIX to a collector (UDP unless tcp:// or tls://; ADDR:\n"
        "                               IPv4, [IPv6] or a name); repeatable. TCP and TLS reconnect\n"
        "                               with backoff and keep up to 8 MiB of flows meanwhile; at\n"
        "                               exit they get up to 5 s to take what waits\n"
        "      --tls-ca FILE --tls-cert FILE --tls-key FILE\n"
        "                               TLS (RFC 7011 11, mutual authentication): the CA that\n"
        "                               signs the collector's certificate, ours and its key\n"
        "      --tls-server-name NAME   the name the collector's certificate must carry (ADDR)\n"
        "      --file PATH              IPFIX file (RFC 5655); '-' for stdout\n"
        "  -o, --console[=text|json]    print every record (text by default; json: one object a line)\n"
        "IPFIX:\n"
        "      --layout standard|seed   standard (default): IPv4 and IPv6 templates 300/301, every\n"
        "                               protocol; seed: the L3AF exporter's templates 256-259\n"
        "                               (IPv4 TCP and ICMP only, 60-octet records)\n"
        "      --mtu BYTES              path MTU; messages fill up to it less IP/UDP headers (1500)\n"
        "      --template-refresh SEC   re-send templates every SEC seconds (600)\n"
        "      --observation-domain N   observation domain id (1)\n"
        "Process:\n"
        "      --stats-interval SEC     statistics every SEC seconds (0: off), also on SIGUSR1 and\n"
        "                               at exit: a line on stderr and an IPFIX options record\n"
        "                               (template 4000)\n"
        "      --user NAME              after attaching, run as NAME keeping only CAP_BPF and\n"
        "                               CAP_NET_ADMIN (nobody)\n"
        "      --keep-privileges        do not change user\n"
        "  -v, --verbose                libbpf's debug messages\n"
        "  -h, --help                   this text\n"
        "  -V, --version                the version\n\n"
        "Exit status: 0 clean exit (SIGINT, SIGTERM); 1 map read or output failure; 2 usage error;\n"
        "3 the kernel refused the eBPF programs (no eBPF support, verifier rejection); 4 cannot\n"
        "open an output; 5 no such interface, or not Ethernet-like; 6 missing privileges\n"
        "(CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN, or root); 7 cannot attach to tc (no clsact /\n"
        "tc BPF).\n");
}

std::uint64_t clock_ns(clockid_t id) {
    timespec ts{};
    clock_gettime(id, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1000000000 + static_cast<std::uint64_t>(ts.tv_nsec);
}

int libbpf_print(enum libbpf_print_level level, const char* fmt, va_list args) {
    if (level == LIBBPF_DEBUG && !g_verbose) return 0;
    va_list again;
    va_copy(again, args);
    char line[512];
    const int n = std::vsnprintf(line, sizeof line, fmt, args);
    // bpf_tc_hook_create finding the clsact qdisc in place (EEXIST) is expected.
    if (!g_verbose && std::strstr(line, "Exclusivity flag on")) {
        va_end(again);
        return 0;
    }
    std::fputs("ioam-flow-exporter: libbpf: ", stderr);
    // The verifier's log comes as one long message: printed whole.
    const int r = n >= 0 && static_cast<std::size_t>(n) < sizeof line ? std::fputs(line, stderr) : std::vfprintf(stderr, fmt, again);
    va_end(again);
    return r;
}

struct key_hash {
    std::size_t operator()(const fe_flow_key& k) const noexcept {
        return std::hash<std::string_view>{}(std::string_view(reinterpret_cast<const char*>(&k), sizeof(k)));
    }
};
struct key_eq {
    bool operator()(const fe_flow_key& a, const fe_flow_key& b) const noexcept {
        return std::memcmp(&a, &b, sizeof(a)) == 0;
    }
};

// What user space knows of one flow. Totals are `base` (packets that came
// through the ring buffer, and map entries already deleted) plus the map's
// current entry; records carry total minus what was exported before.
struct flow_state {
    fe_flow_value map{};     // the map entry at the latest scan
    bool in_map = false;
    std::uint64_t base_packets = 0, base_octets = 0;
    std::uint64_t exported_packets = 0, exported_octets = 0;
    std::uint64_t first_ns = 0, last_ns = 0, last_export_ns = 0;
    std::uint32_t tcp_flags = 0, min_ttl = 255, max_ttl = 0, tos = 0, ingress_if = 0, egress_if = 0;
    std::uint64_t flow_id = 0;

    void merge(const fe_flow_value& v) {
        if (first_ns == 0 || v.first_ns < first_ns) first_ns = v.first_ns;
        if (last_export_ns == 0) last_export_ns = first_ns;  // the first active interval starts here
        last_ns = std::max(last_ns, v.last_ns);
        tcp_flags |= v.tcp_flags;
        min_ttl = std::min(min_ttl, v.min_ttl);
        max_ttl = std::max(max_ttl, v.max_ttl);
        tos = v.tos;
        if (v.ingress_ifindex) ingress_if = v.ingress_ifindex;
        if (v.egress_ifindex) egress_if = v.egress_ifindex;
    }
    [[nodiscard]] std::uint64_t packets() const { return base_packets + (in_map ? map.packets : 0); }
    [[nodiscard]] std::uint64_t octets() const { return base_octets + (in_map ? map.octets : 0); }
};

// One flow's per-CPU slots (flow.bpf.c writes only its own CPU's) as one
// value: packets and octets summed, flags or-ed, the earliest first and the
// latest last packet time, the TTL range, and the TOS and ingress interface
// of the latest packet. A CPU that saw none of the flow's packets has a zero
// slot, which takes no part.
static_assert(sizeof(fe_flow_value) % 8 == 0, "per-CPU values are 8-octet aligned, one after the other");
fe_flow_value fold_cpus(std::span<const fe_flow_value> slots) {
    fe_flow_value r{};
    bool any = false;
    for (const auto& s : slots) {
        if (s.packets == 0) continue;
        r.packets += s.packets;
        r.octets += s.octets;
        r.tcp_flags |= s.tcp_flags;
        const bool latest = !any || s.last_ns >= r.last_ns;
        if (!any || s.first_ns < r.first_ns) r.first_ns = s.first_ns;
        if (!any || s.min_ttl < r.min_ttl) r.min_ttl = s.min_ttl;
        r.max_ttl = std::max(r.max_ttl, s.max_ttl);
        if (latest) {
            r.last_ns = s.last_ns;
            r.tos = s.tos;
        }
        if (s.ingress_ifindex != 0 && (latest || r.ingress_ifindex == 0)) r.ingress_ifindex = s.ingress_ifindex;
        if (s.egress_ifindex != 0) r.egress_ifindex = s.egress_ifindex;
        any = true;
    }
    return r;
}

struct stats {
    std::uint64_t flows = 0, records = 0, idle_ended = 0, active_records = 0, evicted = 0, forced = 0;
    std::uint64_t spilled_packets = 0, write_errors = 0;
    std::uint64_t scans = 0, map_errors = 0, scan_us_max = 0;
};

// One export session (ioam/export/session.hpp) of flow records into one
// output, whatever the layout (picked by name at start-up, flow_layouts).
// Also the session of each TCP/TLS output (tcp_output.hpp's basic_output).
class flow_session {
public:
    using input = fl::flow_record;
    virtual ~flow_session() = default;
    virtual void add(const fl::flow_record& r, std::uint64_t observed_ns = 0) = 0;
    virtual void tick(xp::session_clock now) = 0;
    virtual void flush() = 0;
    virtual std::uint32_t restart() = 0;
    virtual void add_stats(const xp::exporter_stats& v) = 0;
    [[nodiscard]] virtual std::uint64_t next_deadline() const = 0;
    [[nodiscard]] virtual bool pending() const = 0;
    [[nodiscard]] virtual const xp::session_counters& counters() const = 0;
    [[nodiscard]] virtual std::uint64_t skipped() const = 0;  // flows the layout has no template for
};

template <class L>
class flow_session_of final : public flow_session {
public:
    // The layouts name the documented template ids (flow_layout.hpp).
    flow_session_of(xp::sink_ref sink, xp::session_options o) : s_(sink, o) {}
    void add(const fl::flow_record& r, std::uint64_t observed_ns) override { (void)s_.add(r, observed_ns); }
    void tick(xp::session_clock now) override { s_.tick(now); }
    void flush() override { s_.flush(); }
    std::uint32_t restart() override { return s_.restart(); }
    void add_stats(const xp::exporter_stats& v) override { (void)s_.add_stats(v); }
    [[nodiscard]] std::uint64_t next_deadline() const override { return s_.next_deadline(); }
    [[nodiscard]] bool pending() const override { return s_.pending(); }
    [[nodiscard]] const xp::session_counters& counters() const override { return s_.counters(); }
    [[nodiscard]] std::uint64_t skipped() const override {
        if constexpr (std::is_same_v<L, xp::flow_seed_layout>) return s_.layout().skipped;
        else return 0;
    }
private:
    xp::session<L, xp::sink_ref, 8> s_;
};

std::unique_ptr<flow_session> make_flow_session(std::string_view layout, xp::sink_ref sink,
                                                const xp::session_options& o) {
    std::unique_ptr<flow_session> s;
    (void)xp::flow_layouts::with(layout, [&]<class L>(std::type_identity<L>) {
        s = std::make_unique<flow_session_of<L>>(sink, o);
    });
    return s;
}

using tcp_output = ioam_tools::tcp::basic_output<flow_session>;

// A flow in a TCP output's backlog: its bytes (flow_record is trivially copyable).
static_assert(std::is_trivially_copyable_v<fl::flow_record>);
template <class Use>
bool decode_queued(std::span<const std::byte> b, Use&& use) {
    fl::flow_record r;
    if (b.size() != sizeof r) return false;
    std::memcpy(&r, b.data(), sizeof r);
    use(r);
    return true;
}

class flow_app {
public:
    explicit flow_app(const config& c) : cfg_(c) {}

    int run() {
        if (int rc = open_outputs(); rc != exit_ok) return rc;
        if (int rc = load_and_attach(); rc != exit_ok) {
            detach();
            return rc;
        }
        int rc = drop_privileges();
        if (rc == exit_ok) rc = loop();
        scan(true);  // every flow, forced end
        flush();
        drain_tcp(false);
        send_stats_record();
        flush();
        drain_tcp(true);  // the statistics, to the collectors still connected
        for (auto& t : tcp_) t->abandon();
        print_stats("exit");
        detach();
        close_outputs();
        return rc;
    }

private:
    // ---- outputs -------------------------------------------------------------
    int open_outputs() {
        for (const auto& c : cfg_.collectors)
            if (!udp_.add(c, "ioam-flow-exporter")) return exit_open;
        const std::size_t overhead = udp_.overhead();
        if (cfg_.mtu < overhead + 256 || cfg_.mtu - overhead > ipfix::max_message_size) {
            std::fprintf(stderr, "ioam-flow-exporter: --mtu %u: must leave 256 to 65535 octets for a message\n", cfg_.mtu);
            return exit_usage;
        }
        if (!cfg_.file.empty() && !file_.open(cfg_.file, "ioam-flow-exporter")) return exit_open;
        if (int rc = open_tcp(overhead); rc != exit_ok) return rc;
        xp::session_options o;
        o.capacity = cfg_.mtu - overhead;
        o.observation_domain = cfg_.odid;
        o.refresh_ms = std::uint64_t{cfg_.refresh} * 1000;
        o.flush_ms = 1000;  // every scan flushes; this bounds a record's wait between scans
        const std::string_view layout = cfg_.layout == fl::layout::seed ? "seed" : "standard";
        if (!udp_.empty()) sessions_.push_back(make_flow_session(layout, xp::sink_ref(udp_), o));
        if (file_.is_open()) sessions_.push_back(make_flow_session(layout, xp::sink_ref(file_), o));
        return exit_ok;
    }

    // TCP and TLS collectors (tcp_output.hpp), each with its own session.
    int open_tcp(std::size_t overhead) {
        const char* program = "ioam-flow-exporter";
        tcp_settings_.session.capacity = cfg_.mtu - overhead;
        tcp_settings_.session.observation_domain = cfg_.odid;
        tcp_settings_.session.flush_ms = 1000;
        tcp_settings_.program = program;
        const std::string_view layout = cfg_.layout == fl::layout::seed ? "seed" : "standard";
        const auto make = [this, layout](xp::sink_ref k) { return make_flow_session(layout, k, tcp_settings_.session); };
        for (const auto& c : cfg_.tcp_collectors) {
            sockaddr_storage ss{};
            socklen_t len = 0;
            if (!ioam_tools::resolve(c, program, "TCP collector", ss, len)) return exit_usage;
            tcp_.push_back(std::make_unique<tcp_output>("tcp://" + c, std::make_unique<ioam_tools::tcp_connector>(ss, len),
                                                        tcp_settings_, make));
        }
#ifdef IOAM_TLS
        if (!cfg_.tls_collectors.empty()) {
            std::string err;
            tls_ = ioam_tools::tls::context::make(ioam_tools::tls::side::client,
                                                  {cfg_.tls.cert, cfg_.tls.key, cfg_.tls.ca, cfg_.tls.server_name}, err);
            if (!tls_) {
                std::fprintf(stderr, "%s: TLS: %s\n", program, err.c_str());
                return exit_open;
            }
        }
        for (const auto& c : cfg_.tls_collectors) {
            std::string host, port;
            if (!ioam_tools::split_host_port(c, host, port)) {
                std::fprintf(stderr, "%s: TLS collector %s: expected ADDR:PORT\n", program, c.c_str());
                return exit_usage;
            }
            tcp_.push_back(std::make_unique<tcp_output>(
                "tls://" + c, std::make_unique<ioam_tools::tls_connector>(*tls_, host, port), tcp_settings_, make));
        }
#else
        if (!cfg_.tls_collectors.empty()) {
            std::fprintf(stderr, "%s: built without TLS (OpenSSL 3 was not found)\n", program);
            return exit_usage;
        }
#endif
        return exit_ok;
    }

    void service_tcp(std::size_t i, short revents) {
        tcp_[i]->service(revents, ioam_tools::session_now(), [](auto bytes, auto&& use) {
            return decode_queued(bytes, use);
        });
    }

    // At exit: up to 5 s for the TCP collectors to take what waits (only
    // those connected now when `connected_only`), then what is left is counted lost.
    void drain_tcp(bool connected_only) {
        ioam_tools::tcp::wait_outputs(
            tcp_, ioam_tools::now_ms() + 5000, [this](std::size_t i, short ev) { service_tcp(i, ev); },
            [&] {
                return std::all_of(tcp_.begin(), tcp_.end(),
                                   [&](const auto& t) { return t->idle() || (connected_only && !t->up()); });
            },
            true);
    }

    void close_outputs() {
        udp_.close();
        if (file_.is_open() && !file_.close()) ++st_.write_errors;
        std::fflush(stdout);
    }

    void flush() {
        for (auto& x : sessions_) x->flush();
        // TCP: encode what the backlog holds while the connection takes it, then the partial message.
        for (std::size_t i = 0; i < tcp_.size(); ++i) {
            service_tcp(i, 0);
            tcp_[i]->flush(ioam_tools::now_ms());
        }
    }

    // ---- BPF -------------------------------------------------------------------
    static int kind_of_failure(int err) { return err == -EPERM ? exit_privileges : exit_load; }

    int load_and_attach() {
        libbpf_set_print(libbpf_print);
        std::vector<int> ifindexes;
        for (const auto& name : cfg_.interfaces) {
            const unsigned idx = if_nametoindex(name.c_str());
            if (idx == 0) {
                std::fprintf(stderr, "ioam-flow-exporter: interface %s: %s\n", name.c_str(), std::strerror(errno));
                return exit_interface;
            }
            // The programs parse from an Ethernet header (ARPHRD_ETHER, or loopback's).
            char path[128];
            std::snprintf(path, sizeof path, "/sys/class/net/%s/type", name.c_str());
            int type = -1;
            if (std::FILE* f = std::fopen(path, "r")) {
                if (std::fscanf(f, "%d", &type) != 1) type = -1;
                std::fclose(f);
            }
            if (type != 1 && type != 772) {
                std::fprintf(stderr, "ioam-flow-exporter: interface %s: link type %d is not Ethernet-like (1) or loopback (772)\n",
                             name.c_str(), type);
                return exit_interface;
            }
            ifindexes.push_back(static_cast<int>(idx));
        }
        if (geteuid() != 0) {
            // Without CAP_BPF the load fails with EPERM; say so plainly.
            __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
            __user_cap_data_struct data[2] = {};
            // CAP_PERFMON: without it the verifier refuses spills it would
            // otherwise accept (clang's stack slot reuse).
            const std::uint32_t bpf_perfmon = (1u << (CAP_BPF - 32)) | (1u << (CAP_PERFMON - 32));
            const bool have = syscall(SYS_capget, &hdr, data) == 0 && (data[0].effective & (1u << CAP_NET_ADMIN)) &&
                              ((data[1].effective & bpf_perfmon) == bpf_perfmon ||
                               (data[0].effective & (1u << CAP_SYS_ADMIN)));
            if (!have) {
                std::fprintf(stderr, "ioam-flow-exporter: needs CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN (run as root)\n");
                return exit_privileges;
            }
        }
        skel_ = flow_bpf__open();
        if (!skel_) {
            std::fprintf(stderr, "ioam-flow-exporter: cannot open the eBPF object: %s\n", std::strerror(errno));
            return exit_load;
        }
        bpf_map__set_max_entries(skel_->maps.flows, cfg_.map_size);
        // Preallocated (inserts without the per-CPU allocator), unless the
        // per-CPU values alone would pass 256 MiB: then flow by flow.
        if (std::uint64_t{cfg_.map_size} * ncpu_ * sizeof(fe_flow_value) > (std::uint64_t{256} << 20))
            bpf_map__set_map_flags(skel_->maps.flows, BPF_F_NO_PREALLOC);
        if (const int err = flow_bpf__load(skel_); err != 0) {
            std::fprintf(stderr, "ioam-flow-exporter: the kernel refused the eBPF programs: %s%s\n", std::strerror(-err),
                         err == -EPERM ? " (needs CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN)" : " (see the verifier's messages above)");
            return kind_of_failure(err);
        }
        for (std::size_t i = 0; i < ifindexes.size(); ++i) {
            for (int dir = 0; dir < 2; ++dir) {
                if ((dir == 0 && !cfg_.ingress) || (dir == 1 && !cfg_.egress)) continue;
                hook h{};
                h.hook.sz = sizeof(h.hook);
                h.hook.ifindex = ifindexes[i];
                h.hook.attach_point = dir == 0 ? BPF_TC_INGRESS : BPF_TC_EGRESS;
                int err = bpf_tc_hook_create(&h.hook);
                if (err != 0 && err != -EEXIST) {
                    std::fprintf(stderr, "ioam-flow-exporter: interface %s: cannot create the tc clsact hook: %s\n",
                                 cfg_.interfaces[i].c_str(), std::strerror(-err));
                    return err == -EPERM ? exit_privileges : exit_attach;
                }
                h.opts.sz = sizeof(h.opts);
                h.opts.handle = tc_handle;
                h.opts.priority = tc_priority;
                h.opts.flags = BPF_TC_F_REPLACE;  // a dead earlier run's filter is replaced
                h.opts.prog_fd = bpf_program__fd(dir == 0 ? skel_->progs.fe_ingress : skel_->progs.fe_egress);
                if ((err = bpf_tc_attach(&h.hook, &h.opts)) != 0) {
                    std::fprintf(stderr, "ioam-flow-exporter: interface %s: cannot attach the tc %s program: %s\n",
                                 cfg_.interfaces[i].c_str(), dir == 0 ? "ingress" : "egress", std::strerror(-err));
                    return err == -EPERM ? exit_privileges : exit_attach;
                }
                hooks_.push_back(h);
                std::fprintf(stderr, "ioam-flow-exporter: attached to %s %s (tc handle 0x%x, priority 0x%x)\n",
                             cfg_.interfaces[i].c_str(), dir == 0 ? "ingress" : "egress", tc_handle, tc_priority);
            }
            if (cfg_.ingress && cfg_.egress && !hooks_share_ok(hooks_[hooks_.size() - 2].hook)) {
                std::fprintf(stderr, "ioam-flow-exporter: interface %s: its qdisc is a classic 'ingress' one, not clsact: "
                             "no egress hook (tc qdisc del dev %s ingress)\n", cfg_.interfaces[i].c_str(),
                             cfg_.interfaces[i].c_str());
                return exit_attach;
            }
        }
        rb_ = ring_buffer__new(bpf_map__fd(skel_->maps.spill), on_spill, this, nullptr);
        if (!rb_) {
            std::fprintf(stderr, "ioam-flow-exporter: ring buffer: %s\n", std::strerror(errno));
            return exit_load;
        }
        return exit_ok;
    }

    // An existing classic 'ingress' qdisc takes both attaches on its one
    // block: the egress program then replaced the ingress one there.
    bool hooks_share_ok(bpf_tc_hook& ingress) {
        bpf_tc_opts q{};
        q.sz = sizeof(q);
        q.handle = tc_handle;
        q.priority = tc_priority;
        bpf_prog_info info{};
        __u32 len = sizeof(info);
        if (bpf_obj_get_info_by_fd(bpf_program__fd(skel_->progs.fe_ingress), &info, &len) != 0) return true;
        return bpf_tc_query(&ingress, &q) != 0 || q.prog_id == info.id;
    }

    // Our filters only; the clsact qdisc stays (other filters may use it).
    void detach() {
        for (auto& h : hooks_) {
            bpf_tc_opts o{};
            o.sz = sizeof(o);
            o.handle = tc_handle;
            o.priority = tc_priority;
            if (const int err = bpf_tc_detach(&h.hook, &o); err != 0)
                std::fprintf(stderr, "ioam-flow-exporter: detach from ifindex %d: %s\n", h.hook.ifindex, std::strerror(-err));
        }
        hooks_.clear();
        if (rb_) ring_buffer__free(rb_);
        rb_ = nullptr;
        if (skel_) flow_bpf__destroy(skel_);
        skel_ = nullptr;
    }

    // Keeps CAP_BPF and CAP_NET_ADMIN (to read the map and detach at exit).
    int drop_privileges() {
        if (!cfg_.drop_privileges || geteuid() != 0) return exit_ok;
        const passwd* pw = getpwnam(cfg_.user.c_str());
        if (!pw) {
            std::fprintf(stderr, "ioam-flow-exporter: --user %s: no such user\n", cfg_.user.c_str());
            return exit_usage;
        }
        if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0 || setgroups(0, nullptr) != 0 || setgid(pw->pw_gid) != 0 ||
            setuid(pw->pw_uid) != 0) {
            std::fprintf(stderr, "ioam-flow-exporter: cannot switch to user %s: %s\n", cfg_.user.c_str(), std::strerror(errno));
            return exit_runtime;
        }
        __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
        __user_cap_data_struct data[2] = {};
        data[0].effective = data[0].permitted = 1u << CAP_NET_ADMIN;
        data[1].effective = data[1].permitted = 1u << (CAP_BPF - 32);
        if (syscall(SYS_capset, &hdr, data) != 0) {
            std::fprintf(stderr, "ioam-flow-exporter: cannot limit capabilities: %s\n", std::strerror(errno));
            return exit_runtime;
        }
        (void)prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        return exit_ok;
    }

    // ---- the flow table ----------------------------------------------------------
    static int on_spill(void* ctx, void* data, std::size_t size) {
        auto* self = static_cast<flow_app*>(ctx);
        if (size < sizeof(fe_spill)) return 0;
        fe_spill s;
        std::memcpy(&s, data, sizeof(s));
        auto& f = self->state_of(s.key);
        f.base_packets += s.value.packets;
        f.base_octets += s.value.octets;
        f.merge(s.value);
        self->st_.spilled_packets += s.value.packets;
        ++self->spills_since_scan_;
        return 0;
    }

    flow_state& state_of(const fe_flow_key& k) {
        auto [it, inserted] = table_.try_emplace(k);
        if (inserted) it->second.flow_id = ++st_.flows;
        return it->second;
    }

    // Reads the whole map (batched), then exports what is due.
    void scan(bool final_scan) {
        ++st_.scans;
        const std::uint64_t now = clock_ns(CLOCK_MONOTONIC);
        struct timer {  // the longest scan: map read, eviction and export
            std::uint64_t start, &max;
            ~timer() { max = std::max(max, (clock_ns(CLOCK_MONOTONIC) - start) / 1000); }
        } t{now, st_.scan_us_max};
        if (rb_) ring_buffer__consume(rb_);
        for (auto& [k, f] : table_) f.in_map = false;
        const int fd = skel_ ? bpf_map__fd(skel_->maps.flows) : -1;
        std::size_t in_map = 0;
        if (fd >= 0) {
            // In chunks: memory stays bounded whatever --map-size is.
            fe_flow_key token{};  // the kernel's batch position (a bucket index for hash maps)
            bool first = true;
            for (;;) {
                __u32 n = batch_size;
                bpf_map_batch_opts o{};
                o.sz = sizeof(o);
                const int err = bpf_map_lookup_batch(fd, first ? nullptr : &token, &token, keys_.data(), values_.data(),
                                                     &n, &o);
                first = false;
                for (std::uint32_t i = 0; i < n && i < batch_size; ++i) {
                    auto& f = state_of(keys_[i]);
                    f.map = fold_cpus(std::span(values_).subspan(i * ncpu_, ncpu_));
                    f.in_map = true;
                    if (f.map.packets != 0) f.merge(f.map);
                }
                in_map += n;
                if (err != 0) {
                    if (errno != ENOENT) {
                        ++st_.map_errors;
                        std::fprintf(stderr, "ioam-flow-exporter: reading the flow map: %s\n", std::strerror(errno));
                    }
                    break;
                }
            }
        }
        const std::uint64_t idle_ns = std::uint64_t{cfg_.idle_s} * 1000000000;
        const std::uint64_t active_ns = std::uint64_t{cfg_.active_s} * 1000000000;
        // The map full (a packet came through the ring buffer, or fewer than
        // 1/16 of the entries free): the least recently used flows go.
        const std::size_t headroom = std::max<std::size_t>(1, cfg_.map_size / 16);
        if (!final_scan && (spills_since_scan_ > 0 || in_map + headroom > cfg_.map_size)) {
            const std::size_t target = cfg_.map_size > 2 * headroom ? cfg_.map_size - 2 * headroom : 0;
            const std::size_t n = in_map > target ? in_map - target : 0;
            evict_lru(std::max<std::size_t>(n, std::min<std::size_t>(spills_since_scan_, in_map)), fd, true);
        }
        // Flows that live only in user space (their packets were spilled)
        // count too: the table stays within twice the map size.
        if (!final_scan && table_.size() > 2 * std::size_t{cfg_.map_size})
            evict_lru(table_.size() - 2 * std::size_t{cfg_.map_size} + headroom, fd, false);
        spills_since_scan_ = 0;
        for (auto it = table_.begin(); it != table_.end();) {
            auto& [k, f] = *it;
            const bool idle = now >= f.last_ns && now - f.last_ns >= idle_ns;
            if (final_scan || idle) {
                if (f.in_map && fd >= 0) remove_from_map(fd, k, f);
                const bool fin = (f.tcp_flags & 0x05) != 0;  // FIN or RST
                const auto reason = final_scan ? fl::end_reason::forced_end
                                    : fin       ? fl::end_reason::end_of_flow
                                                : fl::end_reason::idle_timeout;
                export_flow(k, f, reason);
                if (final_scan) ++st_.forced;
                else ++st_.idle_ended;
                it = table_.erase(it);
                continue;
            }
            if (now >= f.last_export_ns && now - f.last_export_ns >= active_ns) {
                f.last_export_ns = now;
                if (f.packets() > f.exported_packets) {
                    export_flow(k, f, fl::end_reason::active_timeout);
                    ++st_.active_records;
                }
            }
            ++it;
        }
    }

    // Deletes the entry and folds its last counts into the flow's base.
    void remove_from_map(int fd, const fe_flow_key& k, flow_state& f) {
        if (bpf_map_lookup_and_delete_elem(fd, &k, values_.data()) == 0) {
            const fe_flow_value v = fold_cpus(std::span(values_).first(ncpu_));
            if (v.packets != 0) f.merge(v);
            f.base_packets += v.packets;
            f.base_octets += v.octets;
        } else {
            f.base_packets += f.map.packets;  // gone meanwhile: the last scan's counts
            f.base_octets += f.map.octets;
        }
        f.in_map = false;
    }

    void evict_lru(std::size_t n, int fd, bool map_only) {
        if (n == 0) return;
        lru_.clear();
        for (auto it = table_.begin(); it != table_.end(); ++it)
            if (it->second.in_map || !map_only) lru_.push_back(it);
        if (lru_.empty()) return;
        n = std::min(n, lru_.size());
        std::nth_element(lru_.begin(), lru_.begin() + static_cast<std::ptrdiff_t>(n) - 1, lru_.end(),
                         [](const auto& a, const auto& b) { return a->second.last_ns < b->second.last_ns; });
        for (std::size_t i = 0; i < n; ++i) {
            auto it = lru_[i];
            if (it->second.in_map) remove_from_map(fd, it->first, it->second);
            export_flow(it->first, it->second, fl::end_reason::lack_of_resources);
            ++st_.evicted;
            table_.erase(it);
        }
    }

    void export_flow(const fe_flow_key& k, flow_state& f, fl::end_reason reason) {
        const std::uint64_t packets = f.packets() - f.exported_packets;
        const std::uint64_t octets = f.octets() - f.exported_octets;
        if (packets == 0) return;  // nothing new since its previous record
        fl::flow_record r;
        r.ip_version = k.ip_version;
        r.protocol = k.protocol;
        r.dir = k.direction == fe_dir_egress ? fl::direction::egress : fl::direction::ingress;
        std::memcpy(r.src.data(), k.src, 16);
        std::memcpy(r.dst.data(), k.dst, 16);
        if (k.protocol == fl::proto_icmp || k.protocol == fl::proto_icmpv6) {
            r.icmp_type_code = k.dst_port;
        } else {
            r.src_port = k.src_port;
            r.dst_port = k.dst_port;
        }
        r.octets = octets;
        r.packets = packets;
        r.tcp_flags = static_cast<std::uint16_t>(f.tcp_flags);
        r.tos = static_cast<std::uint8_t>(f.tos);
        r.min_ttl = static_cast<std::uint8_t>(std::min<std::uint32_t>(f.min_ttl, 255));
        r.max_ttl = static_cast<std::uint8_t>(f.max_ttl);
        r.ingress_if = f.ingress_if;
        r.egress_if = f.egress_if;
        const std::uint64_t offset = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC);
        r.start_ms = (f.first_ns + offset) / 1000000;
        r.end_ms = (f.last_ns + offset) / 1000000;
        r.start_uptime_ms = static_cast<std::uint32_t>(f.first_ns / 1000000);
        r.end_uptime_ms = static_cast<std::uint32_t>(f.last_ns / 1000000);
        r.flow_id = f.flow_id;
        r.reason = reason;
        f.exported_packets += packets;
        f.exported_octets += octets;
        ++st_.records;
        for (auto& x : sessions_) x->add(r);
        for (auto& t : tcp_) t->enqueue(std::as_bytes(std::span(&r, 1)), 0);
        if (cfg_.console != console_mode::none) print(r);
    }

    static const char* reason_name(fl::end_reason r) {
        switch (r) {
        case fl::end_reason::idle_timeout: return "idle";
        case fl::end_reason::active_timeout: return "active";
        case fl::end_reason::end_of_flow: return "end";
        case fl::end_reason::forced_end: return "forced";
        case fl::end_reason::lack_of_resources: return "evicted";
        }
        return "?";
    }

    void print(const fl::flow_record& r) {
        char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
        const int af = r.ip_version == 6 ? AF_INET6 : AF_INET;
        inet_ntop(af, r.src.data(), src, sizeof src);
        inet_ntop(af, r.dst.data(), dst, sizeof dst);
        const char* dir = r.dir == fl::direction::egress ? "egress" : "ingress";
        if (cfg_.console == console_mode::json) {
            std::printf("{\"flow_id\":%" PRIu64 ",\"ip_version\":%u,\"protocol\":%u,\"src\":\"%s\",\"dst\":\"%s\","
                        "\"src_port\":%u,\"dst_port\":%u,\"icmp_type_code\":%u,\"direction\":\"%s\",\"octets\":%" PRIu64
                        ",\"packets\":%" PRIu64 ",\"tcp_flags\":%u,\"tos\":%u,\"min_ttl\":%u,\"max_ttl\":%u,"
                        "\"ingress_if\":%u,\"egress_if\":%u,\"start_ms\":%" PRIu64 ",\"end_ms\":%" PRIu64
                        ",\"end_reason\":\"%s\"}\n",
                        r.flow_id, r.ip_version, r.protocol, src, dst, r.src_port, r.dst_port, r.icmp_type_code, dir,
                        r.octets, r.packets, r.tcp_flags, r.tos, r.min_ttl, r.max_ttl, r.ingress_if, r.egress_if,
                        r.start_ms, r.end_ms, reason_name(r.reason));
        } else {
            const char* l = r.ip_version == 6 ? "[" : "";
            const char* rb = r.ip_version == 6 ? "]" : "";
            std::printf("flow %" PRIu64 " %s if %u/%u IPv%u proto %u %s%s%s:%u -> %s%s%s:%u icmp %u octets %" PRIu64
                        " packets %" PRIu64 " flags 0x%x tos %u ttl %u-%u %s\n",
                        r.flow_id, dir, r.ingress_if, r.egress_if, r.ip_version, r.protocol, l, src, rb, r.src_port, l,
                        dst, rb, r.dst_port, r.icmp_type_code, r.octets, r.packets, r.tcp_flags, r.tos, r.min_ttl,
                        r.max_ttl, reason_name(r.reason));
        }
    }

    // ---- statistics ----------------------------------------------------------------
    std::array<std::uint64_t, fe_ctr_count> kernel_counters() const {
        std::array<std::uint64_t, fe_ctr_count> sum{};
        if (!skel_) return sum;
        const int ncpu = libbpf_num_possible_cpus();
        std::vector<std::uint64_t> per(static_cast<std::size_t>(std::max(ncpu, 1)));
        for (std::uint32_t i = 0; i < fe_ctr_count; ++i)
            if (bpf_map_lookup_elem(bpf_map__fd(skel_->maps.counters), &i, per.data()) == 0)
                for (auto v : per) sum[i] += v;
        return sum;
    }

    // What the sessions sent (each output has its own; records are the same in each).
    [[nodiscard]] xp::session_counters sent() const {
        xp::session_counters t;
        for (const auto& x : sessions_) {
            t.messages += x->counters().messages;
            t.octets += x->counters().octets;
            t.octets_not_sent += x->counters().octets_not_sent;
            t.records_not_sent = std::max(t.records_not_sent, x->counters().records_not_sent);
        }
        for (const auto& x : tcp_) {
            t.messages += x->stats().messages;
            t.octets += x->stats().bytes;
            t.records_not_sent = std::max(t.records_not_sent, x->stats().events_dropped + x->stats().records_lost);
        }
        return t;
    }
    [[nodiscard]] std::uint64_t skipped() const {
        if (!sessions_.empty()) return sessions_.front()->skipped();
        return tcp_.empty() ? 0 : tcp_.front()->session().skipped();
    }

    void send_stats_record() {
        if (sessions_.empty() && tcp_.empty()) return;
        const auto c = kernel_counters();
        const auto t = sent();
        xp::exporter_stats v;
        v.process_id = static_cast<std::uint32_t>(getpid());
        v.started = ipfix::date_time_milliseconds{started_ms_};
        v.now = ipfix::date_time_milliseconds{clock_ns(CLOCK_REALTIME) / 1000000};
        v.events = c[fe_ctr_packets];
        v.malformed = c[fe_ctr_not_ip] + c[fe_ctr_truncated];
        v.lost_events = c[fe_ctr_spill_lost];
        v.records = st_.records - skipped();
        v.records_not_sent = skipped() + t.records_not_sent;
        v.messages = t.messages;
        v.octets = t.octets;
        v.octets_not_sent = t.octets_not_sent;
        for (auto& x : sessions_) x->add_stats(v);
        for (auto& t : tcp_) t->add_stats(v, ioam_tools::now_ms());
    }

    void print_stats(const char* when) {
        const auto c = kernel_counters();
        std::fprintf(stderr,
                     "ioam-flow-exporter stats (%s): packets=%" PRIu64 " not_ip=%" PRIu64 " truncated=%" PRIu64
                     " flows=%" PRIu64 " active=%zu records=%" PRIu64 " active_timeout_records=%" PRIu64
                     " idle_ended=%" PRIu64 " evicted=%" PRIu64 " forced=%" PRIu64 " spilled_packets=%" PRIu64
                     " lost_packets=%" PRIu64 " lost_octets=%" PRIu64 " layout_skipped=%" PRIu64 " messages=%" PRIu64
                     " bytes=%" PRIu64 " send_errors=%" PRIu64 " write_errors=%" PRIu64 " map_errors=%" PRIu64
                     " scans=%" PRIu64 " scan_us_max=%" PRIu64 "\n",
                     when, c[fe_ctr_packets], c[fe_ctr_not_ip], c[fe_ctr_truncated], st_.flows, table_.size(),
                     st_.records, st_.active_records, st_.idle_ended, st_.evicted, st_.forced, st_.spilled_packets,
                     c[fe_ctr_spill_lost], c[fe_ctr_spill_lost_octets], skipped(), sent().messages, sent().octets,
                     udp_.send_errors(), st_.write_errors + file_.write_errors(), st_.map_errors, st_.scans,
                     st_.scan_us_max);
        for (const auto& t : tcp_) {
            const auto& tc = t->stats();
            std::fprintf(stderr,
                         "ioam-flow-exporter stats (%s): tcp %s: connects=%" PRIu64 " failures=%" PRIu64
                         " records=%" PRIu64 " messages=%" PRIu64 " bytes=%" PRIu64 " backlog=%zu flows_dropped=%" PRIu64
                         " records_lost=%" PRIu64 "\n",
                         when, t->spec().c_str(), tc.connects, tc.failures, tc.records, tc.messages, tc.bytes,
                         t->backlog_used(), tc.events_dropped, tc.records_lost);
        }
        std::fflush(stderr);
    }

    // ---- main loop ---------------------------------------------------------------------
    int loop() {
        std::uint64_t next_scan = clock_ns(CLOCK_MONOTONIC) / 1000000 + cfg_.scan_ms;
        std::uint64_t next_stats = next_scan - cfg_.scan_ms + std::uint64_t{cfg_.stats_interval} * 1000;
        std::vector<pollfd> fds;
        while (!g_stop) {
            const std::uint64_t now = clock_ns(CLOCK_MONOTONIC) / 1000000;
            if (now < next_scan) {
                // The ring buffer's epoll fd and the TCP outputs' sockets.
                std::uint64_t wait = std::min<std::uint64_t>(next_scan - now, 1000);
                fds.assign(1, pollfd{ring_buffer__epoll_fd(rb_), POLLIN, 0});
                for (const auto& t : tcp_) {
                    fds.push_back(t->poll_entry());
                    wait = t->timeout(now, wait);
                }
                int err = poll(fds.data(), fds.size(), static_cast<int>(wait));
                if (err < 0) err = errno == EINTR ? 0 : -errno;
                else if (fds[0].revents & POLLIN) err = ring_buffer__consume(rb_);
                for (std::size_t i = 0; i < tcp_.size(); ++i) service_tcp(i, fds[i + 1].revents);
                if (err < 0 && err != -EINTR) {
                    std::fprintf(stderr, "ioam-flow-exporter: ring buffer: %s\n", std::strerror(-err));
                    return exit_runtime;
                }
                if (g_stats) {
                    g_stats = 0;
                    send_stats_record();
                    flush();
                    print_stats("SIGUSR1");
                }
                continue;
            }
            next_scan = now + cfg_.scan_ms;
            // Template refresh over UDP (RFC 7011 8.4) and the flush timer.
            for (auto& x : sessions_) x->tick(ioam_tools::session_now());
            scan(false);
            if (cfg_.stats_interval > 0 && now >= next_stats) {
                next_stats = now + std::uint64_t{cfg_.stats_interval} * 1000;
                send_stats_record();
                print_stats("periodic");
            }
            flush();
            std::fflush(stdout);
        }
        return exit_ok;
    }

    struct hook {
        bpf_tc_hook hook;
        bpf_tc_opts opts;
    };
    using table = std::unordered_map<fe_flow_key, flow_state, key_hash, key_eq>;

    const config& cfg_;
    flow_bpf* skel_ = nullptr;
    ring_buffer* rb_ = nullptr;
    std::vector<hook> hooks_;
    table table_;
    static constexpr std::uint32_t batch_size = 4096;
    std::vector<fe_flow_key> keys_ = std::vector<fe_flow_key>(batch_size);
    // The map is per CPU: each key reads one value per possible CPU.
    std::size_t ncpu_ = static_cast<std::size_t>(std::max(libbpf_num_possible_cpus(), 1));
    std::vector<fe_flow_value> values_ = std::vector<fe_flow_value>(batch_size * ncpu_);
    std::vector<table::iterator> lru_;
    std::size_t spills_since_scan_ = 0;
    ioam_tools::udp_output udp_;
    ioam_tools::file_output file_;
    std::vector<std::unique_ptr<flow_session>> sessions_;  // one per UDP/file output
    ioam_tools::tcp::settings tcp_settings_;
#ifdef IOAM_TLS
    std::unique_ptr<ioam_tools::tls::context> tls_;
#endif
    std::vector<std::unique_ptr<tcp_output>> tcp_;  // each with its own session
    std::uint64_t started_ms_ = clock_ns(CLOCK_REALTIME) / 1000000;
    stats st_;
};

void on_signal(int sig) {
    if (sig == SIGUSR1) g_stats = 1;
    else g_stop = 1;
}

}  // namespace

int main(int argc, char** argv) {
    config cfg;
    enum : int { o_file = 256, o_mtu, o_refresh, o_odid, o_stats, o_user, o_keep, o_direction, o_map, o_active,
                 o_idle, o_scan, o_layout, o_tls_ca, o_tls_cert, o_tls_key, o_tls_name };
    static const option longopts[] = {
        {"interface", required_argument, nullptr, 'i'},
        {"collector", required_argument, nullptr, 'c'},
        {"console", optional_argument, nullptr, 'o'},
        {"file", required_argument, nullptr, o_file},
        {"mtu", required_argument, nullptr, o_mtu},
        {"template-refresh", required_argument, nullptr, o_refresh},
        {"observation-domain", required_argument, nullptr, o_odid},
        {"stats-interval", required_argument, nullptr, o_stats},
        {"user", required_argument, nullptr, o_user},
        {"keep-privileges", no_argument, nullptr, o_keep},
        {"direction", required_argument, nullptr, o_direction},
        {"map-size", required_argument, nullptr, o_map},
        {"active-timeout", required_argument, nullptr, o_active},
        {"idle-timeout", required_argument, nullptr, o_idle},
        {"scan-ms", required_argument, nullptr, o_scan},
        {"layout", required_argument, nullptr, o_layout},
        {"tls-ca", required_argument, nullptr, o_tls_ca},
        {"tls-cert", required_argument, nullptr, o_tls_cert},
        {"tls-key", required_argument, nullptr, o_tls_key},
        {"tls-server-name", required_argument, nullptr, o_tls_name},
        {"verbose", no_argument, nullptr, 'v'},
        {"help", no_argument, nullptr, 'h'},
        {"version", no_argument, nullptr, 'V'},
        {nullptr, 0, nullptr, 0},
    };
    const auto bad = [](const char* opt, const char* arg) {
        std::fprintf(stderr, "ioam-flow-exporter: invalid value for %s: '%s' (see --help)\n", opt, arg ? arg : "");
        return exit_usage;
    };
    for (int ch; (ch = getopt_long(argc, argv, "i:c:ovhV", longopts, nullptr)) != -1;) {
        unsigned long long v = 0;
        switch (ch) {
        case 'i': cfg.interfaces.emplace_back(optarg); break;
        case 'c':
            if (std::strncmp(optarg, "tcp://", 6) == 0) cfg.tcp_collectors.emplace_back(optarg + 6);
            else if (std::strncmp(optarg, "tls://", 6) == 0) cfg.tls_collectors.emplace_back(optarg + 6);
            else cfg.collectors.emplace_back(std::strncmp(optarg, "udp://", 6) == 0 ? optarg + 6 : optarg);
            break;
        case o_tls_ca: cfg.tls.ca = optarg; break;
        case o_tls_cert: cfg.tls.cert = optarg; break;
        case o_tls_key: cfg.tls.key = optarg; break;
        case o_tls_name: cfg.tls.server_name = optarg; break;
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
        case o_refresh:
            if (!parse_uint(optarg, 86400, v)) return bad("--template-refresh", optarg);
            cfg.refresh = static_cast<unsigned>(v);
            break;
        case o_odid:
            if (!parse_uint(optarg, 0xffffffffULL, v)) return bad("--observation-domain", optarg);
            cfg.odid = static_cast<std::uint32_t>(v);
            break;
        case o_stats:
            if (!parse_uint(optarg, 86400, v)) return bad("--stats-interval", optarg);
            cfg.stats_interval = static_cast<unsigned>(v);
            break;
        case o_user: cfg.user = optarg; break;
        case o_keep: cfg.drop_privileges = false; break;
        case o_direction:
            if (std::strcmp(optarg, "both") == 0) cfg.ingress = cfg.egress = true;
            else if (std::strcmp(optarg, "ingress") == 0) cfg.egress = !(cfg.ingress = true);
            else if (std::strcmp(optarg, "egress") == 0) cfg.ingress = !(cfg.egress = true);
            else return bad("--direction", optarg);
            break;
        case o_map:
            if (!parse_uint(optarg, 1u << 24, v) || v < 16) return bad("--map-size (16 to 16777216)", optarg);
            cfg.map_size = static_cast<std::uint32_t>(v);
            break;
        case o_active:
            if (!parse_uint(optarg, 86400, v) || v == 0) return bad("--active-timeout (1 to 86400)", optarg);
            cfg.active_s = static_cast<unsigned>(v);
            break;
        case o_idle:
            if (!parse_uint(optarg, 86400, v) || v == 0) return bad("--idle-timeout (1 to 86400)", optarg);
            cfg.idle_s = static_cast<unsigned>(v);
            break;
        case o_scan:
            if (!parse_uint(optarg, 60000, v) || v < 10) return bad("--scan-ms (10 to 60000)", optarg);
            cfg.scan_ms = static_cast<unsigned>(v);
            break;
        case o_layout:
            if (std::strcmp(optarg, "standard") == 0) cfg.layout = fl::layout::standard;
            else if (std::strcmp(optarg, "seed") == 0) cfg.layout = fl::layout::seed;
            else return bad("--layout", optarg);
            break;
        case 'v': cfg.verbose = true; break;
        case 'h': usage(stdout); return exit_ok;
        case 'V': std::printf("ioam-flow-exporter %s\n", IOAM_VERSION); return exit_ok;
        default: usage(stderr); return exit_usage;
        }
    }
    if (optind < argc) {
        std::fprintf(stderr, "ioam-flow-exporter: unexpected argument '%s' (see --help)\n", argv[optind]);
        return exit_usage;
    }
    if (cfg.interfaces.empty()) {
        std::fprintf(stderr, "ioam-flow-exporter: no interface (-i IFACE; see --help)\n");
        return exit_usage;
    }
    if (!cfg.tls_collectors.empty() && (cfg.tls.ca.empty() || cfg.tls.cert.empty() || cfg.tls.key.empty())) {
        std::fprintf(stderr, "ioam-flow-exporter: TLS needs --tls-ca, --tls-cert and --tls-key (mutual authentication)\n");
        return exit_usage;
    }
    if (cfg.collectors.empty() && cfg.tcp_collectors.empty() && cfg.tls_collectors.empty() && cfg.file.empty() &&
        cfg.console == console_mode::none)
        cfg.console = console_mode::text;
    if (cfg.file == "-" && cfg.console != console_mode::none) {
        std::fprintf(stderr, "ioam-flow-exporter: --file - and --console both write to stdout\n");
        return exit_usage;
    }
    g_verbose = cfg.verbose;

    struct sigaction sa{};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGUSR1, &sa, nullptr);
    std::signal(SIGPIPE, SIG_IGN);

    static flow_app app(cfg);
    return app.run();
}
