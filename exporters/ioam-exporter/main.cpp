// ioam-exporter: the kernel's IOAM6 events (TRACE and DEX) as IPFIX.
//
// One thread. Receive: libmnl subscribes to genl family IOAM6, group
// ioam6_events, with a large receive buffer; recvmmsg reads batches into
// static buffers; each datagram's messages are decoded in place
// (ioam/netlink), mapped onto records (ioam/export) and written into one
// message buffer that is flushed when full or after --flush-ms. Nothing is
// allocated per event. Losses are counted, never ignored: ENOBUFS and other
// receive errors, the kernel's exact drop count (SO_MEMINFO), malformed
// events (skipped), send and write errors.
#include "genl.hpp"
#include "pcap.hpp"
#include "print.hpp"
#include "tcp.hpp"

#include "ioam/export/event_exporter.hpp"
#include "ioam/export/stats.hpp"
#include "ioam/ipfix/message.hpp"
#include "ioam/netlink/event.hpp"
#include "ioam/netlink/ioam6.hpp"
#include "ioam/netlink/message.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <linux/capability.h>
#include <netdb.h>
#include <poll.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cinttypes>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#ifndef IOAM_VERSION
#define IOAM_VERSION "unknown"
#endif

namespace {

namespace nl = ioam::netlink;
namespace ipfix = ioam::ipfix;
namespace xp = ioam::exporting;
using namespace ioam_tools;

// Exit codes (documented in --help and docs/exporter.md).
constexpr int exit_ok = 0;
constexpr int exit_runtime = 1;     // receiving failed for good, or an output could not be written
constexpr int exit_usage = 2;       // bad command line
constexpr int exit_subscribe = 3;   // no IOAM6 family / group, or no permission to join it
constexpr int exit_open = 4;        // an input or output could not be opened

enum class console_mode { none, text, json };

struct config {
    std::vector<std::string> collectors, tcp_collectors;
    std::size_t tcp_backlog = 8u << 20;
    unsigned drain_ms = 5000;
    console_mode console = console_mode::none;
    std::string file, record, replay, user = "nobody";
    bool drop_privileges = true;
    unsigned mtu = 1500;
    unsigned flush_ms = 50;
    unsigned refresh = 600;
    std::uint32_t odid = 1;
    unsigned stats_interval = 0;
    int rcvbuf = 32 << 20;
    xp::node_selection nodes = xp::node_selection::all;
    xp::record_format format = xp::record_format::pen10383;
};

volatile std::sig_atomic_t g_stop = 0;
volatile std::sig_atomic_t g_stats = 0;

void usage(std::FILE* f) {
    std::fprintf(f,
        "Usage: ioam-exporter [options]\n"
        "Exports the kernel's IOAM events (genl family IOAM6, group ioam6_events) as IPFIX\n"
        "(PEN 10383 layout, or --format rawexport; docs/exporter.md).\n\n"
        "Outputs (any number at once; without one, -o is implied):\n"
        "  -c, --collector [udp://|tcp://]ADDR:PORT\n"
        "                               IPFIX to a collector (UDP unless tcp://; ADDR: IPv4,\n"
        "                               [IPv6] or a name); repeatable\n"
        "      --tcp ADDR:PORT          the same as -c tcp://ADDR:PORT: reconnects with backoff\n"
        "                               (0.25 s doubling to 30 s), templates re-sent on every\n"
        "                               connection, events kept in a bounded backlog meanwhile\n"
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

bool parse_uint(const char* s, unsigned long long max, unsigned long long& out) {
    if (!s || !*s) return false;
    char* end = nullptr;
    errno = 0;
    const unsigned long long v = std::strtoull(s, &end, 10);
    if (errno || *end || v > max || s[0] == '-') return false;
    out = v;
    return true;
}

// "addr:port", "[v6addr]:port" or "v6addr:port" (the last colon separates the port).
// On failure says why on stderr, naming `what` (e.g. "collector").
bool resolve(const std::string& spec, const char* what, sockaddr_storage& out, socklen_t& len) {
    const auto fail = [&](const char* why) {
        std::fprintf(stderr, "ioam-exporter: %s %s: %s\n", what, spec.c_str(), why);
        return false;
    };
    std::string host, port;
    if (!spec.empty() && spec[0] == '[') {
        const auto close = spec.find(']');
        if (close == std::string::npos || close + 1 >= spec.size() || spec[close + 1] != ':') {
            return fail("expected [ADDR]:PORT");
        }
        host = spec.substr(1, close - 1);
        port = spec.substr(close + 2);
    } else {
        const auto colon = spec.rfind(':');
        if (colon == std::string::npos) {
            return fail("expected ADDR:PORT");
        }
        host = spec.substr(0, colon);
        port = spec.substr(colon + 1);
    }
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    addrinfo* res = nullptr;
    if (const int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &res); rc != 0) return fail(gai_strerror(rc));
    std::memcpy(&out, res->ai_addr, res->ai_addrlen);
    len = res->ai_addrlen;
    freeaddrinfo(res);
    return true;
}

std::uint64_t now_ms() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1000 + static_cast<std::uint64_t>(ts.tv_nsec) / 1000000;
}

std::uint64_t now_unix_ns() {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1000000000 + static_cast<std::uint64_t>(ts.tv_nsec);
}

struct stats {
    std::uint64_t datagrams = 0, nl_messages = 0, events = 0, malformed = 0, other_messages = 0, truncated = 0;
    std::uint64_t messages = 0, bytes = 0, send_errors = 0, write_errors = 0, bytes_not_sent = 0;
    std::uint64_t enobufs = 0, recv_errors = 0, lost = 0;
    bool lost_exact = true;
};

class exporter_app {
public:
    explicit exporter_app(const config& c) : cfg_(c), ex_(xp::exporter_options{c.nodes, 256, ioam::trace::type_policy::lenient, c.format}) {}

    int run() {
        if (int rc = open_outputs(); rc != exit_ok) return rc;
        int rc = cfg_.replay.empty() ? run_live() : run_replay();
        flush();
        drain_tcp(cfg_.drain_ms, false);
        send_stats_record();
        flush();
        drain_tcp(cfg_.drain_ms, true);  // the statistics, to the collectors still connected
        for (auto& t : tcp_) t->abandon();
        print_stats(stderr, "exit");
        close_outputs();
        return rc;
    }

private:
    // ---- outputs -----------------------------------------------------------
    int open_outputs() {
        std::size_t overhead = 28;  // IPv4 + UDP
        for (const auto& c : cfg_.collectors) {
            sockaddr_storage ss{};
            socklen_t len = 0;
            if (!resolve(c, "collector", ss, len)) return exit_usage;
            const int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
            if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
                std::fprintf(stderr, "ioam-exporter: collector %s: %s\n", c.c_str(), std::strerror(errno));
                if (fd >= 0) ::close(fd);
                return exit_open;
            }
            if (ss.ss_family == AF_INET6) overhead = 48;  // IPv6 + UDP
            udp_.push_back(fd);
        }
        if (cfg_.mtu < overhead + 256 || cfg_.mtu - overhead > ipfix::max_message_size) {
            std::fprintf(stderr, "ioam-exporter: --mtu %u: must leave 256 to 65535 octets for a message\n", cfg_.mtu);
            return exit_usage;
        }
        capacity_ = cfg_.mtu - overhead;
        tcp_settings_.backlog = cfg_.tcp_backlog;
        tcp_settings_.capacity = capacity_;
        tcp_settings_.odid = cfg_.odid;
        tcp_settings_.flush_ms = cfg_.flush_ms;
        tcp_settings_.exporter = ex_.options();
        for (const auto& c : cfg_.tcp_collectors) {
            sockaddr_storage ss{};
            socklen_t len = 0;
            if (!resolve(c, "TCP collector", ss, len)) return exit_usage;
            tcp_.push_back(std::make_unique<tcp::output>(c, ss, len, tcp_settings_));
        }
        if (!cfg_.file.empty()) {
            file_ = cfg_.file == "-" ? stdout : std::fopen(cfg_.file.c_str(), "wb");
            if (!file_) {
                std::fprintf(stderr, "ioam-exporter: --file %s: %s\n", cfg_.file.c_str(), std::strerror(errno));
                return exit_open;
            }
        }
        if (!cfg_.record.empty()) {
            rec_file_ = std::fopen(cfg_.record.c_str(), "wb");
            if (!rec_file_ || !(rec_ = pcap::writer(rec_file_)).header()) {
                std::fprintf(stderr, "ioam-exporter: --record %s: %s\n", cfg_.record.c_str(), std::strerror(errno));
                return exit_open;
            }
        }
        ipfix_out_ = !udp_.empty() || file_;
        writer_.emplace(std::span<std::byte>(msg_buf_), cfg_.odid, 0,
                        ipfix::writer_options{capacity_, ipfix::transport::udp, 0, {}});
        return exit_ok;
    }

    void close_outputs() {
        tcp_.clear();
        for (int fd : udp_) ::close(fd);
        udp_.clear();
        if (file_ && std::fflush(file_) != 0) ++st_.write_errors;
        if (file_ && file_ != stdout) std::fclose(file_);
        file_ = nullptr;
        if (rec_file_) {
            if (!rec_.flush()) ++st_.write_errors;
            std::fclose(rec_file_);
        }
        rec_file_ = nullptr;
        std::fflush(stdout);
    }

    // Sends the current message (if any) to every IPFIX output.
    void flush() {
        auto& w = *writer_;
        pending_ = false;
        if (w.empty()) return;
        const auto m = w.finish(static_cast<std::uint32_t>(std::time(nullptr)));
        if (ipfix_out_) {
            for (int fd : udp_)
                if (send(fd, m.data(), m.size(), 0) != static_cast<ssize_t>(m.size())) {
                    ++st_.send_errors;
                    st_.bytes_not_sent += m.size();
                }
            if (file_ && std::fwrite(m.data(), m.size(), 1, file_) != 1) {
                ++st_.write_errors;
                st_.bytes_not_sent += m.size();
            }
            ++st_.messages;
            st_.bytes += m.size();
        }
        w.reset();
    }

    // ---- TCP -----------------------------------------------------------------
    // Services the TCP outputs until `done()` or the deadline.
    template <class Done>
    void wait_tcp(std::uint64_t deadline, Done done, bool flush_partial) {
        std::vector<pollfd> fds;
        while (!done()) {
            const std::uint64_t now = now_ms();
            if (now >= deadline) return;
            fds.clear();
            for (const auto& t : tcp_) fds.push_back(t->poll_entry());
            std::uint64_t wait = std::min<std::uint64_t>(deadline - now, 20);
            for (const auto& t : tcp_) wait = t->timeout(now, wait);
            (void)poll(fds.data(), fds.size(), static_cast<int>(wait));
            for (std::size_t i = 0; i < tcp_.size(); ++i) {
                tcp_[i]->service(fds[i].revents, now_ms());
                if (flush_partial) tcp_[i]->flush(now_ms());
            }
        }
    }

    // Exit: gives the TCP collectors up to `ms` to take what waits (only
    // those connected now when `connected_only`).
    void drain_tcp(unsigned ms, bool connected_only) {
        if (tcp_.empty()) return;
        wait_tcp(now_ms() + ms, [this, connected_only] {
            return std::all_of(tcp_.begin(), tcp_.end(),
                               [&](const auto& t) { return t->idle() || (connected_only && !t->up()); });
        }, true);
    }

    // ---- statistics --------------------------------------------------------
    [[nodiscard]] xp::exporter_stats collect_stats() const {
        const auto& c = ex_.counters();
        xp::exporter_stats v;
        v.process_id = static_cast<std::uint32_t>(getpid());
        v.started = ipfix::date_time_milliseconds{started_ms_};
        v.now = ipfix::date_time_milliseconds{wall_ms()};
        v.malformed = st_.malformed + c.malformed;
        v.events = c.events + v.malformed;
        v.lost_events = st_.lost;
        v.records = c.records;
        v.records_not_sent = c.too_big;
        v.messages = st_.messages;
        v.octets = st_.bytes;
        v.octets_not_sent = st_.bytes_not_sent;
        for (const auto& t : tcp_) {
            v.lost_events += t->stats().events_dropped;
            v.records_not_sent += t->stats().records_lost;
            v.messages += t->stats().messages;
            v.octets += t->stats().bytes;
        }
        return v;
    }

    static std::uint64_t wall_ms() {
        timespec ts{};
        clock_gettime(CLOCK_REALTIME, &ts);
        return static_cast<std::uint64_t>(ts.tv_sec) * 1000 + static_cast<std::uint64_t>(ts.tv_nsec) / 1000000;
    }

    // The statistics as an options record (ioam/export/stats.hpp) to every IPFIX output.
    void send_stats_record() {
        const auto v = collect_stats();
        if (ipfix_out_) {
            (void)xp::add_stats_record(*writer_, stats_template_sent_, v, [this](ipfix::message_writer&) { flush(); });
            flush();
        }
        for (auto& t : tcp_) t->add_stats(v, now_ms());
    }

    void report(const char* when) {
        send_stats_record();
        print_stats(stderr, when);
    }

    // ---- events ------------------------------------------------------------
    void process_datagram(std::span<const std::byte> d) {
        ++st_.datagrams;
        nl::message_reader r(d);
        while (!r.done()) {
            auto m = r.next();
            if (!m) {
                malformed("netlink framing", m.error());
                break;
            }
            ++st_.nl_messages;
            if (m->type < nl::nlmsg_min_type || m->type == nl::genl_id_ctrl ||
                (family_ != 0 && m->type != family_)) {
                ++st_.other_messages;
                continue;
            }
            auto ev = nl::decode_event(*m);
            if (!ev) {
                malformed("event", ev.error());
                continue;
            }
            if (export_event(*ev))
                for (auto& t : tcp_) t->enqueue(d.subspan(m->offset, m->length), observed_ns_);
        }
    }

    void malformed(const char* what, const ioam::error& e, bool count = true) {
        if (count) ++st_.malformed;
        if (st_.malformed + ex_.counters().malformed <= 10)
            std::fprintf(stderr, "ioam-exporter: malformed %s skipped (datagram %" PRIu64 ", offset %zu): %s\n", what,
                         st_.datagrams, e.offset, ioam::make_error_code(e.code).message().c_str());
    }

    // False when the event is malformed (counted and skipped).
    bool export_event(const nl::event& ev) {
        const auto before = ex_.counters();
        auto& w = *writer_;
        auto r = ex_.add(ev, w, [this](ipfix::message_writer&) { flush(); });
        const auto& after = ex_.counters();
        if (after.malformed != before.malformed) {
            malformed("node data", r.error(), false);  // the exporter counted it
            return false;
        }
        ++st_.events;
        if (!w.empty() && !pending_) {
            pending_ = true;
            pending_since_ = now_ms();
        }
        if (cfg_.console != console_mode::none) print_event(ev, static_cast<std::uint32_t>(after.events));
        return true;
    }

    void print_event(const nl::event& ev, std::uint32_t id) {
        const auto out = [&](const xp::decoded_record& d) {
            if (cfg_.console == console_mode::json) print_json(stdout, d);
            else print_text(stdout, d);
        };
        if (ev.type == nl::ioam6::event_type::dex) {
            out(record_of(ev.dex, id));
            return;
        }
        auto nodes = ev.trace.nodes(ioam::trace::type_policy::lenient);
        if (!nodes) return;
        if (nodes->empty()) {
            out(record_of(ev.trace, id, nullptr, 0, 0));
            return;
        }
        std::size_t i = 0;
        for (const auto n : *nodes) {
            out(record_of(ev.trace, id, &n, i++, nodes->size()));
            if (cfg_.nodes == xp::node_selection::reporting_only) break;
        }
    }

    // ---- timers ------------------------------------------------------------
    void on_timers(std::uint64_t now) {
        if (pending_ && now - pending_since_ >= cfg_.flush_ms) flush();
        if (ipfix_out_ && cfg_.refresh > 0 && now >= next_refresh_) {
            next_refresh_ = now + std::uint64_t{cfg_.refresh} * 1000;
            stats_template_sent_ = false;
            if (ex_.templates_known() > 0) {
                ex_.resend_templates(*writer_, [this](ipfix::message_writer&) { flush(); });
                flush();
            }
        }
        if (cfg_.stats_interval > 0 && now >= next_stats_) {
            next_stats_ = now + std::uint64_t{cfg_.stats_interval} * 1000;
            report("periodic");
        }
        if (g_stats) {
            g_stats = 0;
            report("SIGUSR1");
        }
        for (auto& t : tcp_) t->service(0, now);
    }

    int poll_timeout(std::uint64_t now) const {
        std::uint64_t t = 1000;  // wake up now and then for signals and timers
        if (pending_) t = std::min<std::uint64_t>(t, pending_since_ + cfg_.flush_ms > now ? pending_since_ + cfg_.flush_ms - now : 0);
        if (ipfix_out_ && cfg_.refresh > 0) t = std::min<std::uint64_t>(t, next_refresh_ > now ? next_refresh_ - now : 0);
        if (cfg_.stats_interval > 0) t = std::min<std::uint64_t>(t, next_stats_ > now ? next_stats_ - now : 0);
        for (const auto& o : tcp_) t = o->timeout(now, t);
        return static_cast<int>(t);
    }

    // ---- live --------------------------------------------------------------
    int run_live() {
        std::string err;
        if (!genl::subscribe(sub_, std::string(nl::ioam6::family_name).c_str(),
                             std::string(nl::ioam6::events_group).c_str(), cfg_.rcvbuf, err)) {
            std::fprintf(stderr, "ioam-exporter: %s\n", err.c_str());
            return exit_subscribe;
        }
        family_ = sub_.family;
        std::fprintf(stderr, "ioam-exporter: subscribed to %s/%s (family %u, group %u), receive buffer %d octets%s\n",
                     std::string(nl::ioam6::family_name).c_str(), std::string(nl::ioam6::events_group).c_str(),
                     family_, sub_.group, sub_.rcvbuf, sub_.forced ? " (forced)" : "");
        std::uint64_t base_drops = 0;
        st_.lost_exact = genl::drops(sub_.fd, base_drops);
        if (int rc = drop_privileges(); rc != exit_ok) {
            genl::close(sub_);
            return rc;
        }
        const std::uint64_t start = now_ms();
        next_refresh_ = start + std::uint64_t{cfg_.refresh} * 1000;
        next_stats_ = start + std::uint64_t{cfg_.stats_interval} * 1000;
        for (std::size_t i = 0; i < batch; ++i) {
            iov_[i] = {rx_[i].data(), rx_[i].size()};
            mmsg_[i].msg_hdr.msg_iov = &iov_[i];
            mmsg_[i].msg_hdr.msg_iovlen = 1;
        }
        int rc = exit_ok;
        unsigned consecutive_errors = 0;
        std::vector<pollfd> fds;
        while (!g_stop) {
            fds.assign(1, pollfd{sub_.fd, POLLIN, 0});
            for (const auto& t : tcp_) fds.push_back(t->poll_entry());
            const int pr = poll(fds.data(), fds.size(), poll_timeout(now_ms()));
            if (pr < 0 && errno != EINTR) {
                std::fprintf(stderr, "ioam-exporter: poll: %s\n", std::strerror(errno));
                rc = exit_runtime;
                break;
            }
            if (pr > 0)
                for (std::size_t i = 0; i < tcp_.size(); ++i)
                    if (fds[i + 1].revents) tcp_[i]->service(fds[i + 1].revents, now_ms());
            if (pr > 0 && (fds[0].revents & (POLLIN | POLLERR))) {
                // Drain what is queued, a batch at a time.
                for (int round = 0; round < 64 && !g_stop; ++round) {
                    for (std::size_t i = 0; i < batch; ++i) mmsg_[i].msg_hdr.msg_flags = 0;
                    const int n = recvmmsg(sub_.fd, mmsg_.data(), batch, MSG_DONTWAIT, nullptr);
                    if (n < 0) {
                        if (errno == EAGAIN || errno == EINTR) break;
                        if (errno == ENOBUFS) {
                            ++st_.enobufs;
                            update_lost(base_drops);
                            // At most one line a second: an overrun comes in bursts.
                            if (const auto t = now_ms(); t >= next_overrun_log_) {
                                next_overrun_log_ = t + 1000;
                                std::fprintf(stderr, "ioam-exporter: receive buffer overrun (ENOBUFS): %" PRIu64
                                             " events lost so far%s\n", st_.lost, st_.lost_exact ? "" : " (at least)");
                            }
                            continue;
                        }
                        ++st_.recv_errors;
                        std::fprintf(stderr, "ioam-exporter: receive error: %s\n", std::strerror(errno));
                        if (++consecutive_errors >= 100) {
                            rc = exit_runtime;
                            g_stop = 1;
                        }
                        break;
                    }
                    consecutive_errors = 0;
                    const auto t = static_cast<std::uint32_t>(std::time(nullptr));
                    observed_ns_ = now_unix_ns();
                    ex_.set_observation_time(observed_ns_);
                    for (int i = 0; i < n; ++i) {
                        const auto& h = mmsg_[i];
                        const std::span<const std::byte> d(rx_[i].data(), std::min<std::size_t>(h.msg_len, rx_[i].size()));
                        if (rec_file_ && !rec_.record(d, t, 0)) ++st_.write_errors;
                        if (h.msg_hdr.msg_flags & MSG_TRUNC) {
                            ++st_.truncated;
                            malformed("datagram (truncated by the receive buffer)", ioam::error{ioam::errc::truncated, d.size()});
                            continue;
                        }
                        process_datagram(d);
                    }
                    if (static_cast<std::size_t>(n) < batch) break;
                }
            }
            on_timers(now_ms());
        }
        update_lost(base_drops);
        genl::close(sub_);
        return rc;
    }

    void update_lost(std::uint64_t base) {
        std::uint64_t d = 0;
        if (st_.lost_exact && genl::drops(sub_.fd, d)) {
            st_.lost = d - base;
        } else {
            st_.lost_exact = false;
            st_.lost = std::max(st_.lost, st_.enobufs);  // at least one event per overrun
        }
    }

    int drop_privileges() {
        if (!cfg_.drop_privileges) return exit_ok;
        if (getuid() == 0 || geteuid() == 0) {
            errno = 0;
            const passwd* pw = getpwnam(cfg_.user.c_str());
            if (!pw) {
                std::fprintf(stderr, "ioam-exporter: --user %s: no such user\n", cfg_.user.c_str());
                return exit_usage;
            }
            if (setgroups(0, nullptr) != 0 || setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0) {
                std::fprintf(stderr, "ioam-exporter: cannot switch to user %s: %s\n", cfg_.user.c_str(), std::strerror(errno));
                return exit_runtime;
            }
        }
        // Whatever capabilities are left (file capabilities, ambient): none are needed any more.
        __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
        __user_cap_data_struct data[2] = {};
        if (syscall(SYS_capset, &hdr, data) != 0) {
            std::fprintf(stderr, "ioam-exporter: cannot drop capabilities: %s\n", std::strerror(errno));
            return exit_runtime;
        }
        (void)prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        return exit_ok;
    }

    // ---- replay ------------------------------------------------------------
    int run_replay() {
        std::FILE* f = std::fopen(cfg_.replay.c_str(), "rb");
        if (!f) {
            std::fprintf(stderr, "ioam-exporter: --replay %s: %s\n", cfg_.replay.c_str(), std::strerror(errno));
            return exit_open;
        }
        std::vector<std::byte> file;
        std::array<std::byte, 65536> chunk{};
        for (std::size_t n; (n = std::fread(chunk.data(), 1, chunk.size(), f)) > 0;) file.insert(file.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(n));
        std::fclose(f);
        pcap::reader r;
        if (!r.open(file)) {
            std::fprintf(stderr, "ioam-exporter: --replay %s: %s\n", cfg_.replay.c_str(), r.error());
            return exit_open;
        }
        pcap::record rec;
        // TCP collectors: connect first, and let the replay wait for them
        // rather than overrun their backlogs.
        wait_tcp(now_ms() + cfg_.drain_ms, [this] {
            return std::all_of(tcp_.begin(), tcp_.end(), [](const auto& t) { return t->up(); });
        }, false);
        const auto backlogged = [this] {
            return std::any_of(tcp_.begin(), tcp_.end(),
                               [](const auto& t) { return t->up() && t->backlog_used() > t->backlog_capacity() / 2; });
        };
        while (!g_stop && r.next(rec)) {
            if (rec_file_ && !rec_.record(rec.datagram, rec.sec, rec.usec)) ++st_.write_errors;
            observed_ns_ = (std::uint64_t{rec.sec} * 1000000 + rec.usec) * 1000;  // as recorded
            ex_.set_observation_time(observed_ns_);
            process_datagram(rec.datagram);
            for (auto& t : tcp_) t->service(0, now_ms());
            if (backlogged()) wait_tcp(now_ms() + cfg_.drain_ms, [&] { return !backlogged(); }, false);
            if (g_stats) {
                g_stats = 0;
                report("SIGUSR1");
            }
        }
        if (r.error()) {
            std::fprintf(stderr, "ioam-exporter: --replay %s: %s at offset %zu; the rest is ignored\n",
                         cfg_.replay.c_str(), r.error(), r.position());
            ++st_.malformed;
        }
        return exit_ok;
    }

    void print_stats(std::FILE* f, const char* when) {
        const auto& c = ex_.counters();
        std::fprintf(f,
                     "ioam-exporter stats (%s): events=%" PRIu64 " trace=%" PRIu64 " dex=%" PRIu64 " empty_traces=%" PRIu64
                     " records=%" PRIu64 " templates=%" PRIu64 " messages=%" PRIu64 " bytes=%" PRIu64
                     " lost=%s%" PRIu64 " enobufs=%" PRIu64 " receive_errors=%" PRIu64 " malformed=%" PRIu64
                     " truncated=%" PRIu64 " too_big=%" PRIu64 " send_errors=%" PRIu64 " write_errors=%" PRIu64
                     " other_messages=%" PRIu64 " datagrams=%" PRIu64 "\n",
                     when, c.events, c.trace_events, c.dex_events, c.empty_traces, c.records, c.templates, st_.messages,
                     st_.bytes, st_.lost_exact ? "" : ">=", st_.lost, st_.enobufs, st_.recv_errors,
                     st_.malformed + c.malformed, st_.truncated, c.too_big, st_.send_errors, st_.write_errors,
                     st_.other_messages, st_.datagrams);
        for (const auto& t : tcp_) {
            const auto& tc = t->stats();
            std::fprintf(f,
                         "ioam-exporter stats (%s): tcp %s: connects=%" PRIu64 " failures=%" PRIu64 " records=%" PRIu64
                         " messages=%" PRIu64 " bytes=%" PRIu64 " backlog=%zu events_dropped=%" PRIu64
                         " records_lost=%" PRIu64 "\n",
                         when, t->spec().c_str(), tc.connects, tc.failures, tc.records, tc.messages, tc.bytes,
                         t->backlog_used(), tc.events_dropped, tc.records_lost);
        }
        std::fflush(f);
    }

    static constexpr std::size_t batch = 32;
    const config& cfg_;
    xp::event_exporter<256> ex_;
    std::array<std::byte, ipfix::max_message_size> msg_buf_{};
    std::optional<ipfix::message_writer> writer_;
    std::size_t capacity_ = 0;
    std::vector<int> udp_;
    std::FILE* file_ = nullptr;
    std::FILE* rec_file_ = nullptr;
    pcap::writer rec_;
    bool ipfix_out_ = false;
    bool stats_template_sent_ = false;
    std::uint64_t observed_ns_ = 0;  // when the current datagram was received (rawexport)
    std::uint64_t started_ms_ = wall_ms();
    tcp::settings tcp_settings_;
    std::vector<std::unique_ptr<tcp::output>> tcp_;
    bool pending_ = false;
    std::uint64_t pending_since_ = 0, next_refresh_ = 0, next_stats_ = 0, next_overrun_log_ = 0;
    genl::subscription sub_;
    std::uint16_t family_ = 0;
    stats st_;
    std::array<std::array<std::byte, 16384>, batch> rx_{};
    std::array<iovec, batch> iov_{};
    std::array<mmsghdr, batch> mmsg_{};
};

void on_signal(int sig) {
    if (sig == SIGUSR1) g_stats = 1;
    else g_stop = 1;
}

}  // namespace

int main(int argc, char** argv) {
    config cfg;
    enum : int { o_file = 256, o_mtu, o_flush, o_refresh, o_odid, o_record, o_replay, o_stats, o_rcvbuf, o_user,
                 o_keep, o_reporting, o_tcp, o_tcp_backlog, o_drain, o_format };
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
            else if (std::strncmp(optarg, "udp://", 6) == 0) cfg.collectors.emplace_back(optarg + 6);
            else cfg.collectors.emplace_back(optarg);
            break;
        case o_tcp: cfg.tcp_collectors.emplace_back(optarg); break;
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
        case o_reporting: cfg.nodes = xp::node_selection::reporting_only; break;
        case o_format:
            if (std::strcmp(optarg, "pen10383") == 0) cfg.format = xp::record_format::pen10383;
            else if (std::strcmp(optarg, "rawexport") == 0) cfg.format = xp::record_format::rawexport;
            else return bad("--format", optarg);
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
    if (cfg.collectors.empty() && cfg.tcp_collectors.empty() && cfg.file.empty() && cfg.console == console_mode::none &&
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

    static exporter_app app(cfg);  // large buffers: static storage, not the stack
    return app.run();
}
