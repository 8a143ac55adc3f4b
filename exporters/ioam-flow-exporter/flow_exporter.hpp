// ioam-flow-exporter's wiring: the eBPF programs (flow_bpf.hpp) count the
// flows of the named interfaces into a kernel map; the flow table
// (flow_table.hpp) reads it every --scan-ms and hands out flow records; each
// output has its own export session (ioam/export/session.hpp) of the layout
// picked by --layout (ioam/export/flow_layout.hpp):
//
//   map, spill ring buffer --> flow table --> session --> udp_output (every UDP collector)
//                                         --> session --> file_output (--file)
//                                         --> tcp backlog --> session per TCP/TLS collector
//                                         --> console (text or JSON lines)
#pragma once

#include "flow_bpf.hpp"
#include "flow_table.hpp"

#include "clock.hpp"
#include "options.hpp"
#include "outputs.hpp"
#include "privileges.hpp"
#include "tcp_output.hpp"

#include "ioam/export/flow.hpp"
#include "ioam/export/flow_layout.hpp"
#include "ioam/export/session.hpp"
#include "ioam/export/stats.hpp"
#include "ioam/ipfix/message.hpp"

#include <arpa/inet.h>
#include <linux/capability.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cinttypes>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ioam_tools::flow {

namespace ipfix = ioam::ipfix;
namespace xp = ioam::exporting;

struct config {
    output_settings out;  // the options both exporters share (options.hpp)
    bpf_settings bpf;
    unsigned active_s = 10, idle_s = 30, scan_ms = 1000;
    fl::layout layout = fl::layout::standard;
};

/// Set by the signal handlers.
inline volatile std::sig_atomic_t g_stop = 0;
inline volatile std::sig_atomic_t g_stats = 0;

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

using tcp_output = tcp::basic_output<flow_session>;

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

class exporter {
    static constexpr const char* program = "ioam-flow-exporter";

public:
    explicit exporter(const config& c)
        : cfg_(c), table_({c.active_s, c.idle_s, c.bpf.map_size}, [this](const fl::flow_record& r) { add(r); }) {}

    int run() {
        if (int rc = open_outputs(); rc != exit_ok) return rc;
        if (int rc = bpf_.load_and_attach(cfg_.bpf, table::on_spill, &table_); rc != exit_ok) {
            bpf_.detach();
            return rc;
        }
        table_.use_slots(bpf_.slots());
        int rc = drop_privileges();
        if (rc == exit_ok) rc = loop();
        table_.scan(bpf_.flows_fd(), bpf_.ring(), true);  // every flow, forced end
        flush();
        drain_tcp(false);
        send_stats_record();
        flush();
        drain_tcp(true);  // the statistics, to the collectors still connected
        for (auto& t : tcp_) t->abandon();
        print_stats("exit");
        bpf_.detach();
        close_outputs();
        return rc;
    }

private:
    // Started as root: runs as --user keeping CAP_BPF (to read the map) and
    // CAP_NET_ADMIN (to detach at exit). Not root: keeps what it was given
    // (the unit's ambient capabilities).
    int drop_privileges() const {
        if (!cfg_.out.drop_privileges || geteuid() != 0) return exit_ok;
        switch (ioam_tools::drop_privileges(program, cfg_.out.user.c_str(),
                                            capability_bit(CAP_BPF) | capability_bit(CAP_NET_ADMIN))) {
        case drop_result::ok: return exit_ok;
        case drop_result::no_such_user: return exit_usage;
        case drop_result::failed: break;
        }
        return exit_runtime;
    }

    // ---- outputs -------------------------------------------------------------
    int open_outputs() {
        const auto& out = cfg_.out;
        const std::string_view layout = cfg_.layout == fl::layout::seed ? "seed" : "standard";
        const auto ready = [&] {
            const std::size_t overhead = udp_.overhead();
            if (out.mtu < overhead + 256 || out.mtu - overhead > ipfix::max_message_size) {
                std::fprintf(stderr, "%s: --mtu %u: must leave 256 to 65535 octets for a message\n", program, out.mtu);
                return exit_usage;
            }
            if (!out.file.empty() && !file_.open(out.file, program)) return exit_open;
            xp::session_options o;
            o.capacity = out.mtu - overhead;
            o.observation_domain = out.odid;
            o.refresh_ms = std::uint64_t{out.refresh} * 1000;
            o.flush_ms = 1000;  // every scan flushes; this bounds a record's wait between scans
            if (!udp_.empty()) sessions_.push_back(make_flow_session(layout, xp::sink_ref(udp_), o));
            if (file_.is_open()) sessions_.push_back(make_flow_session(layout, xp::sink_ref(file_), o));
            tcp_settings_.session = o;  // refresh_ms: UDP only
            tcp_settings_.backlog = out.tcp_backlog;
            tcp_settings_.program = program;
            return exit_ok;
        };
        // TCP and TLS collectors (tcp_output.hpp), each with its own session.
        const auto make = [this, layout](xp::sink_ref k) { return make_flow_session(layout, k, tcp_settings_.session); };
        const auto stream = [&](std::size_t, const collector_spec& c, std::unique_ptr<connector> k) {
            tcp_.push_back(std::make_unique<tcp_output>((c.kind == transport::tls ? "tls://" : "tcp://") + c.address,
                                                        std::move(k), tcp_settings_, make));
        };
        const auto udp = [this](std::size_t, const std::string& a) { return udp_.add(a, program); };
        if (const int rc = opener_.open(out, program, udp, ready, stream); rc != exit_ok) return rc;
        return exit_ok;
    }

    void service_tcp(std::size_t i, short revents) {
        tcp_[i]->service(revents, session_now(), [](auto bytes, auto&& use) {
            return decode_queued(bytes, use);
        });
    }

    // At exit: up to --drain-timeout for the TCP collectors to take what waits (only
    // those connected now when `connected_only`), then what is left is counted lost.
    void drain_tcp(bool connected_only) {
        tcp::wait_outputs(
            tcp_, now_ms() + cfg_.out.drain_ms, [this](std::size_t i, short ev) { service_tcp(i, ev); },
            [&] {
                return std::all_of(tcp_.begin(), tcp_.end(),
                                   [&](const auto& t) { return t->idle() || (connected_only && !t->up()); });
            },
            true);
    }

    void close_outputs() {
        udp_.close();
        if (file_.is_open() && !file_.close()) table_.count_write_error();
        std::fflush(stdout);
    }

    void flush() {
        for (auto& x : sessions_) x->flush();
        // TCP: encode what the backlog holds while the connection takes it, then the partial message.
        for (std::size_t i = 0; i < tcp_.size(); ++i) {
            service_tcp(i, 0);
            tcp_[i]->flush(now_ms());
        }
    }

    // A record of the flow table to every output.
    void add(const fl::flow_record& r) {
        for (auto& x : sessions_) x->add(r);
        for (auto& t : tcp_) t->enqueue(std::as_bytes(std::span(&r, 1)), 0);
        if (cfg_.out.console != console_mode::none) print(r);
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
        if (cfg_.out.console == console_mode::json) {
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
        const auto c = bpf_.counters();
        const auto t = sent();
        xp::exporter_stats v;
        v.process_id = static_cast<std::uint32_t>(getpid());
        v.started = ipfix::date_time_milliseconds{started_ms_};
        v.now = ipfix::date_time_milliseconds{wall_ms()};
        v.events = c[fe_ctr_packets];
        v.malformed = c[fe_ctr_not_ip] + c[fe_ctr_truncated];
        v.lost_events = c[fe_ctr_spill_lost];
        v.records = table_.counts().records - skipped();
        v.records_not_sent = skipped() + t.records_not_sent;
        v.messages = t.messages;
        v.octets = t.octets;
        v.octets_not_sent = t.octets_not_sent;
        for (auto& x : sessions_) x->add_stats(v);
        for (auto& t : tcp_) t->add_stats(v, now_ms());
    }

    void print_stats(const char* when) {
        const auto c = bpf_.counters();
        const auto& st_ = table_.counts();
        std::fprintf(stderr,
                     "ioam-flow-exporter stats (%s): packets=%" PRIu64 " not_ip=%" PRIu64 " truncated=%" PRIu64
                     " flows=%" PRIu64 " active=%zu records=%" PRIu64 " active_timeout_records=%" PRIu64
                     " idle_ended=%" PRIu64 " evicted=%" PRIu64 " forced=%" PRIu64 " spilled_packets=%" PRIu64
                     " lost_packets=%" PRIu64 " lost_octets=%" PRIu64 " layout_skipped=%" PRIu64 " messages=%" PRIu64
                     " bytes=%" PRIu64 " send_errors=%" PRIu64 " write_errors=%" PRIu64 " map_errors=%" PRIu64
                     " scans=%" PRIu64 " scan_us_max=%" PRIu64 " slots_used=%" PRIu64 " slots_released=%" PRIu64 "\n",
                     when, c[fe_ctr_packets], c[fe_ctr_not_ip], c[fe_ctr_truncated], st_.flows, table_.size(),
                     st_.records, st_.active_records, st_.idle_ended, st_.evicted, st_.forced, st_.spilled_packets,
                     c[fe_ctr_spill_lost], c[fe_ctr_spill_lost_octets], skipped(), sent().messages, sent().octets,
                     udp_.send_errors(), st_.write_errors + file_.write_errors(), st_.map_errors, st_.scans,
                     st_.scan_us_max, st_.slots_used, st_.slots_released);
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
        std::uint64_t next_scan = now_ms() + cfg_.scan_ms;
        std::uint64_t next_stats = next_scan - cfg_.scan_ms + std::uint64_t{cfg_.out.stats_interval} * 1000;
        std::vector<pollfd> fds;
        while (!g_stop) {
            const std::uint64_t now = now_ms();
            if (now < next_scan) {
                // The ring buffer's epoll fd and the TCP outputs' sockets.
                std::uint64_t wait = std::min<std::uint64_t>(next_scan - now, 1000);
                fds.assign(1, pollfd{ring_buffer__epoll_fd(bpf_.ring()), POLLIN, 0});
                for (const auto& t : tcp_) {
                    fds.push_back(t->poll_entry());
                    wait = t->timeout(now, wait);
                }
                int err = poll(fds.data(), fds.size(), static_cast<int>(wait));
                if (err < 0) err = errno == EINTR ? 0 : -errno;
                else if (fds[0].revents & POLLIN) err = ring_buffer__consume(bpf_.ring());
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
            for (auto& x : sessions_) x->tick(session_now());
            table_.scan(bpf_.flows_fd(), bpf_.ring(), false);
            if (cfg_.out.stats_interval > 0 && now >= next_stats) {
                next_stats = now + std::uint64_t{cfg_.out.stats_interval} * 1000;
                send_stats_record();
                print_stats("periodic");
            }
            flush();
            std::fflush(stdout);
        }
        return exit_ok;
    }

    const config& cfg_;
    programs bpf_;
    table table_;
    udp_output udp_;
    file_output file_;
    std::vector<std::unique_ptr<flow_session>> sessions_;  // one per UDP/file output
    tcp::settings tcp_settings_;
    collector_opener opener_;  // holds the TLS context
    std::vector<std::unique_ptr<tcp_output>> tcp_;  // each with its own session
    std::uint64_t started_ms_ = wall_ms();
};

}  // namespace ioam_tools::flow
