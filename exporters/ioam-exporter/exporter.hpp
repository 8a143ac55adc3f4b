// ioam-exporter's wiring: one input (the kernel, or a replay) to the export
// sessions of its outputs, one session per output (ioam/export/session.hpp):
//
//   netlink_source | replay_input --datagram--> events (ioam/netlink)
//     --> session --> udp_output        every UDP collector
//     --> session --> file_output       --file (RFC 5655; ids withdrawn before reuse)
//     --> session --> console_output    --console (PEN 10383, decoded back, printed)
//     --> tcp::output backlog           each TCP collector: its own session
//
// With --spread-by-flow each collector (UDP or TCP) has its own session and
// gets only the events the consistent-hash ring (ioam/analysis/ring.hpp)
// gives it: a DEX event by its (namespace, flow id), so that the exports of
// one packet from every node meet in one collector (docs/analysis.md).
//
// Every session has the record layout picked by --format
// (ioam/export/layouts.hpp), behind event_session.hpp's interface. Timers
// (flush, template refresh) are the sessions'; this class ticks them.
#pragma once

#include "clock.hpp"
#include "event_session.hpp"
#include "kernel_stats.hpp"
#include "netlink_source.hpp"
#include "options.hpp"
#include "outputs.hpp"
#include "pcap.hpp"
#include "privileges.hpp"
#include "replay.hpp"
#include "tcp_output.hpp"

#include "ioam/analysis/ring.hpp"
#include "ioam/export/event_input.hpp"
#include "ioam/export/pen10383_layout.hpp"
#include "ioam/export/session.hpp"
#include "ioam/export/stats.hpp"
#include "ioam/netlink/event.hpp"
#include "ioam/netlink/ioam6.hpp"
#include "ioam/netlink/message.hpp"

#include <poll.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace ioam_tools {

// Exit codes (documented in --help and docs/exporter.md).
inline constexpr int exit_ok = 0;
inline constexpr int exit_runtime = 1;    // receiving failed for good, or an output could not be written
inline constexpr int exit_usage = 2;      // bad command line
inline constexpr int exit_subscribe = 3;  // no IOAM6 family / group, or no permission to join it
inline constexpr int exit_open = 4;       // an input or output could not be opened

struct exporter_config {
    output_settings out;  // the options both exporters share (options.hpp)
    std::string record, replay, format = "pen10383";
    unsigned flush_ms = 50;
    unsigned coalesce_us = 10000;  // the longest events gather between receives (receive_pacer)
    int rcvbuf = 32 << 20;
    bool spread_by_flow = false;
    ioam::exporting::event_options events{};
};

/// Set by the signal handlers.
struct exporter_signals {
    volatile std::sig_atomic_t stop = 0;
    volatile std::sig_atomic_t stats = 0;
};
inline exporter_signals g_signals;

/// Program-level counts (the sessions count the rest).
struct exporter_counts {
    std::uint64_t nl_messages = 0, events = 0, malformed = 0, other_messages = 0, write_errors = 0;
};

/// A kernel event from the bytes of one netlink message (the TCP backlog).
inline bool decode_queued(std::span<const std::byte> nlmsg, auto&& use) {
    ioam::netlink::message_reader r(nlmsg);
    auto m = r.next();
    if (!m) return false;
    auto ev = ioam::netlink::decode_event(*m);
    if (!ev) return false;
    use(*ev);
    return true;
}

class exporter {
    static constexpr const char* program = "ioam-exporter";

public:
    explicit exporter(const exporter_config& c) : cfg_(c) {}

    int run() {
        if (int rc = open_outputs(); rc != exit_ok) return rc;
        tick_all();
        int rc = cfg_.replay.empty() ? run_live() : run_replay();
        flush_all();
        drain_tcp(cfg_.out.drain_ms, false);
        const auto last = collect_stats();
        send_stats_record(last);
        drain_tcp(cfg_.out.drain_ms, true);  // the statistics, to the collectors still connected
        for (auto& t : tcp_) t->abandon();
        print_stats(stderr, "exit", last);
        close_outputs();
        return rc;
    }

private:
    // ---- outputs -----------------------------------------------------------
    int open_outputs() {
        const auto& o = cfg_.out;
        const bool spread = cfg_.spread_by_flow;
        if (spread) spread_ = std::vector<spread_target>(o.collectors.size());
        std::size_t overhead = 28;
        ioam::exporting::session_options so;
        const auto udp = [&](std::size_t id, const std::string& a) {
            auto& u = spread ? *(spread_[id].udp = std::make_unique<udp_output>()) : udp_;
            if (!u.add(a, program)) return false;
            overhead = std::max(overhead, u.overhead());
            return true;
        };
        const auto ready = [&] {
            if (o.mtu < overhead + 256 || o.mtu - overhead > ioam::ipfix::max_message_size) {
                std::fprintf(stderr, "%s: --mtu %u: must leave 256 to 65535 octets for a message\n", program, o.mtu);
                return exit_usage;
            }
            so.capacity = o.mtu - overhead;
            so.observation_domain = o.odid;
            so.flush_ms = cfg_.flush_ms;
            so.refresh_ms = std::uint64_t{o.refresh} * 1000;
            if (!udp_.empty()) udp_s_ = make_event_session(cfg_.format, ioam::exporting::sink_ref(udp_), so, cfg_.events);
            for (std::uint32_t id = 0; id < spread_.size(); ++id) {
                ring_.add(id);
                if (auto& t = spread_[id]; t.udp)
                    t.s = make_event_session(cfg_.format, ioam::exporting::sink_ref(*t.udp), so, cfg_.events);
            }
            tcp_settings_.backlog = o.tcp_backlog;
            tcp_settings_.layout = cfg_.format;
            tcp_settings_.session = so;
            tcp_settings_.events = cfg_.events;
            tcp_settings_.program = program;
            return exit_ok;
        };
        const auto stream = [&](std::size_t id, const collector_spec& c, std::unique_ptr<connector> k) {
            if (spread) spread_[id].tcp = tcp_.size();
            tcp_.push_back(std::make_unique<tcp::output>(c.kind == transport::tls ? "tls://" + c.address : c.address,
                                                         std::move(k), tcp_settings_));
        };
        if (const int rc = opener_.open(o, program, udp, ready, stream); rc != exit_ok) return rc;
        if (!o.file.empty()) {
            if (!file_.open(o.file, program)) return exit_open;
            file_s_ = make_event_session(cfg_.format, ioam::exporting::sink_ref(file_), so, cfg_.events);
        }
        if (o.console != console_mode::none) {
            console_.emplace(o.console == console_mode::json);
            auto co = so;
            co.capacity = ioam::ipfix::max_message_size;
            console_s_ = make_event_session(ioam::exporting::pen10383_layout::name, ioam::exporting::sink_ref(*console_),
                                            co, cfg_.events);
        }
        if (!cfg_.record.empty()) {
            rec_file_ = std::fopen(cfg_.record.c_str(), "wb");
            if (!rec_file_ || !(rec_ = pcap::writer(rec_file_)).header()) {
                std::fprintf(stderr, "%s: --record %s: %s\n", program, cfg_.record.c_str(), std::strerror(errno));
                return exit_open;
            }
        }
        return exit_ok;
    }

    void close_outputs() {
        tcp_.clear();
        udp_.close();
        if (!file_.close()) ++n_.write_errors;
        if (rec_file_) {
            if (!rec_.flush()) ++n_.write_errors;
            std::fclose(rec_file_);
        }
        rec_file_ = nullptr;
        std::fflush(stdout);
    }

    template <class F>
    void each_session(F&& f) {
        for (auto* s : {udp_s_.get(), file_s_.get(), console_s_.get()})
            if (s) f(*s);
        for (auto& t : spread_)
            if (t.s) f(*t.s);
    }
    void tick_all() {
        const auto now = session_now();
        each_session([&](auto& s) { s.tick(now); });
    }
    void flush_all() {
        each_session([](auto& s) { s.flush(); });
    }

    /// The counts the statistics report: the first IPFIX output's, or with
    /// --spread-by-flow what all the collectors' sessions encoded, or, with
    /// TCP collectors only, what their sessions encoded.
    [[nodiscard]] ioam::exporting::session_counters totals() const {
        if (udp_s_) return udp_s_->counters();
        if (spread_.empty()) {
            if (file_s_) return file_s_->counters();
            if (console_s_) return console_s_->counters();
        }
        ioam::exporting::session_counters c{};
        const auto add = [&c](const ioam::exporting::session_counters& x, bool sent) {
            c.records += x.records;
            c.templates += x.templates;
            c.too_big += x.too_big;
            if (!sent) return;  // a TCP output's own counters say what it sent
            c.messages += x.messages;
            c.octets += x.octets;
            c.octets_not_sent += x.octets_not_sent;
            c.records_not_sent += x.records_not_sent;
        };
        for (const auto& t : spread_)
            if (t.s) add(t.s->counters(), true);
        for (const auto& t : tcp_) add(t->session().counters(), false);
        return c;
    }

    // ---- TCP -----------------------------------------------------------------
    void service_tcp(std::size_t i, short revents) {
        tcp_[i]->service(revents, session_now(), [](auto bytes, auto&& use) { return decode_queued(bytes, use); });
    }

    // Services the TCP outputs until `done()` or the deadline.
    template <class Done>
    void wait_tcp(std::uint64_t deadline, Done done, bool flush_partial) {
        tcp::wait_outputs(tcp_, deadline, [this](std::size_t i, short ev) { service_tcp(i, ev); }, done, flush_partial);
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
    // (reads the kernel's counters: one reading for the record and the line)
    [[nodiscard]] ioam::exporting::exporter_stats collect_stats() {
        ioam::exporting::exporter_stats v;
        v.process_id = static_cast<std::uint32_t>(getpid());
        v.started = ioam::ipfix::date_time_milliseconds{started_ms_};
        v.now = ioam::ipfix::date_time_milliseconds{wall_ms()};
        v.malformed = n_.malformed;
        v.events = n_.events + n_.malformed;
        v.lost_events = src_.stats().lost;
        const auto p = totals();
        v.records = p.records;
        v.records_not_sent = p.too_big + p.records_not_sent;
        v.messages = p.messages;
        v.octets = p.octets;
        v.octets_not_sent = p.octets_not_sent;
        if (ioam::netlink::event_stats ks; kstats_.read(ks)) {
            v.kernel = true;
            v.kernel_sent = ks.sent;
            v.kernel_suppressed = ks.suppressed;
        }
        for (const auto& t : tcp_) {
            v.lost_events += t->stats().events_dropped;
            v.records_not_sent += t->stats().records_lost;
            v.messages += t->stats().messages;
            v.octets += t->stats().bytes;
        }
        return v;
    }

    // The statistics as an options record (ioam/export/stats.hpp) to every IPFIX output.
    void send_stats_record(const ioam::exporting::exporter_stats& v) {
        if (udp_s_) (void)udp_s_->add_stats(v);
        if (file_s_) (void)file_s_->add_stats(v);
        for (auto& t : spread_)
            if (t.s) (void)t.s->add_stats(v);
        for (auto& t : tcp_) t->add_stats(v, now_ms());
    }

    void report(const char* when) {
        const auto v = collect_stats();
        send_stats_record(v);
        print_stats(stderr, when, v);
    }

    void print_stats(std::FILE* f, const char* when, const ioam::exporting::exporter_stats& v) {
        const auto c = totals();
        const auto& k = udp_s_ ? udp_s_->counts() : file_s_ ? file_s_->counts() : kinds_;
        const auto& s = src_.stats();
        const std::uint64_t send_errors = udp_.send_errors();
        const std::uint64_t write_errors = n_.write_errors + file_.write_errors();
        std::fprintf(f,
                     "ioam-exporter stats (%s): events=%" PRIu64 " trace=%" PRIu64 " dex=%" PRIu64 " empty_traces=%" PRIu64
                     " records=%" PRIu64 " templates=%" PRIu64 " messages=%" PRIu64 " bytes=%" PRIu64
                     " lost=%s%" PRIu64 " enobufs=%" PRIu64 " receive_errors=%" PRIu64 " malformed=%" PRIu64
                     " truncated=%" PRIu64 " too_big=%" PRIu64 " send_errors=%" PRIu64 " write_errors=%" PRIu64
                     " other_messages=%" PRIu64 " datagrams=%" PRIu64 "\n",
                     when, n_.events, k.trace_events, k.dex_events, k.empty_traces, c.records, c.templates, c.messages,
                     c.octets, s.lost_exact ? "" : ">=", s.lost, s.enobufs, s.receive_errors, n_.malformed, s.truncated,
                     c.too_big, send_errors, write_errors, n_.other_messages, datagrams_);
        if (v.kernel)
            std::fprintf(f, "ioam-exporter stats (%s): kernel: sent=%" PRIu64 " suppressed=%" PRIu64 "\n", when,
                         v.kernel_sent, v.kernel_suppressed);
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

    // ---- events ------------------------------------------------------------
    void process_datagram(std::span<const std::byte> d, std::uint64_t observed_ns) {
        ++datagrams_;
        ioam::netlink::message_reader r(d);
        while (!r.done()) {
            auto m = r.next();
            if (!m) {
                malformed("netlink framing", m.error());
                break;
            }
            ++n_.nl_messages;
            if (m->type < ioam::netlink::nlmsg_min_type || m->type == ioam::netlink::genl_id_ctrl ||
                (family_ != 0 && m->type != family_)) {
                ++n_.other_messages;
                continue;
            }
            if (auto r = ioam::netlink::decode_event(*m, ev_); !r) {
                malformed("event", r.error());
                continue;
            }
            spread_target* to = spread_.empty() ? nullptr : &spread_[owner(ev_)];
            if (!export_event(ev_, observed_ns, to ? to->s.get() : nullptr)) continue;
            const auto msg = d.subspan(m->offset, m->length);
            if (!to)
                for (auto& t : tcp_) t->enqueue(msg, observed_ns);
            else if (to->tcp != no_tcp)
                tcp_[to->tcp]->enqueue(msg, observed_ns);
        }
    }

    void malformed(const char* what, const ioam::error& e) {
        if (++n_.malformed <= 10)
            std::fprintf(stderr, "%s: malformed %s skipped (datagram %" PRIu64 ", offset %zu): %s\n", program, what,
                         datagrams_, e.offset, ioam::make_error_code(e.code).message().c_str());
    }

    /// --spread-by-flow: the collector of an event. A DEX event goes by its
    /// (namespace, flow id), which every node puts in the packet. A TRACE
    /// event has no flow id: it goes by (namespace, its first hop's node
    /// id), the key under which the correlator groups trace packets, so the
    /// events of one packet from every node meet too. Without either (a DEX
    /// event without a flow id, a trace without a node id): (namespace, 0).
    [[nodiscard]] std::size_t owner(const ioam::netlink::event& ev) const {
        if (ev.type == ioam::netlink::ioam6::event_type::dex)
            return ring_.owner(ev.dex.namespace_id, ev.dex.flow_id.value_or(0));
        // The first hop is the last node of the data. With fixed-size nodes
        // (no opaque snapshot) its node id is at a fixed place: bit 0's field
        // leads every node (RFC 9197 4.4).
        namespace t = ioam::trace;
        const auto& tr = ev.trace;
        const std::size_t size = std::size_t{tr.node_len} * 4;
        const auto& id = t::info(t::value_id::node_id);
        std::uint32_t first = 0;
        if ((tr.trace_type() & t::bit_mask(id.bit)) && !(tr.trace_type() & t::opaque_mask) && size > 0 &&
            tr.data.size() >= size && tr.data.size() % size == 0)
            first = static_cast<std::uint32_t>(ioam::load_be_n(tr.data.data() + tr.data.size() - size + id.offset, id.width));
        return ring_.owner(tr.namespace_id, first);
    }

    // False when the event does not check (node data) or a layout rejects
    // it: counted once as malformed. The first session's layout checks it;
    // without one (TCP collectors only, or --spread-by-flow), check_event
    // does. `spread` is the session of the event's collector, if UDP.
    bool export_event(const ioam::netlink::event& ev, std::uint64_t observed_ns, event_session* spread) {
        if (!udp_s_ && !file_s_) {
            const auto nodes = ioam::exporting::check_event(ev, cfg_.events.policy, shapes_);
            if (!nodes) {
                malformed("node data", nodes.error());
                return false;
            }
            ioam::exporting::count_event(kinds_, ev, *nodes);
        }
        for (auto* s : {udp_s_.get(), file_s_.get(), spread}) {
            if (!s) continue;
            const auto before = s->counters().malformed;
            auto r = s->add(ev, observed_ns);
            if (s->counters().malformed != before) {
                malformed("node data", r ? ioam::error{} : r.error());
                return false;
            }
        }
        ++n_.events;
        if (console_s_) {
            (void)console_s_->add(ev, observed_ns);
            console_s_->flush();  // printed as it comes
        }
        return true;
    }

    // ---- timers ------------------------------------------------------------
    void on_timers(std::uint64_t now) {
        tick_all();
        if (cfg_.out.stats_interval > 0 && now >= next_stats_) {
            next_stats_ = now + std::uint64_t{cfg_.out.stats_interval} * 1000;
            report("periodic");
        }
        if (g_signals.stats) {
            g_signals.stats = 0;
            report("SIGUSR1");
        }
        for (std::size_t i = 0; i < tcp_.size(); ++i) service_tcp(i, 0);
    }

    int poll_timeout(std::uint64_t now) {
        std::uint64_t t = 1000;  // wake up now and then for signals and timers
        const auto until = [&](std::uint64_t at) { return at > now ? at - now : 0; };
        each_session([&](const auto& s) { t = std::min(t, until(s.next_deadline())); });
        if (cfg_.out.stats_interval > 0) t = std::min(t, until(next_stats_));
        for (const auto& o : tcp_) t = o->timeout(now, t);
        return static_cast<int>(t);
    }

    // ---- live --------------------------------------------------------------
    int run_live() {
        if (!src_.subscribe(std::string(ioam::netlink::ioam6::family_name).c_str(),
                            std::string(ioam::netlink::ioam6::events_group).c_str(), cfg_.rcvbuf, program))
            return exit_subscribe;
        family_ = src_.family();
        if (cfg_.out.drop_privileges) {
            const auto r = drop_privileges(program, cfg_.out.user.c_str());
            if (r != drop_result::ok) {
                src_.close();
                return r == drop_result::no_such_user ? exit_usage : exit_runtime;
            }
        }
        // the kernel's event counters, where it has them and lets us read
        // them unprivileged (kernel/patches 0005)
        (void)kstats_.open(family_);
        next_stats_ = now_ms() + std::uint64_t{cfg_.out.stats_interval} * 1000;
        int rc = exit_ok;
        receive_pacer pacer(std::uint64_t{cfg_.coalesce_us} * 1000, static_cast<std::uint64_t>(std::max(src_.rcvbuf(), 0)));
        std::vector<pollfd> fds;
        std::uint64_t observed_ns = 0, gather_ns = 0;
        std::uint32_t observed_s = 0;
        const auto on_batch = [&] {
            observed_ns = now_unix_ns();
            observed_s = static_cast<std::uint32_t>(observed_ns / 1000000000);
        };
        const auto on_datagram = [&](std::span<const std::byte> d, bool truncated) {
            if (rec_file_ && !rec_.record(d, observed_s, 0)) ++n_.write_errors;
            if (truncated) {
                malformed("datagram (truncated by the receive buffer)", ioam::error{ioam::errc::truncated, d.size()});
                return;
            }
            process_datagram(d, observed_ns);
        };
        while (!g_signals.stop) {
            // Wait, no longer than the timers allow, servicing the TCP
            // outputs: while events come fast, `gather_ns` without polling
            // the netlink socket (receive_pacer: each event would wake a
            // poll), then read what gathered; otherwise poll the socket too.
            // The sessions were ticked before the wait, so the events read
            // after it count their flush time from its start, and the wait
            // ends by the first flush deadline: none waits much longer than
            // flush_ms from its arrival for its message to go.
            const std::uint64_t now = now_ns();
            std::uint64_t wait = std::uint64_t{static_cast<unsigned>(poll_timeout(now / 1000000))} * 1000000;
            if (gather_ns > 0) wait = std::min(wait, gather_ns);
            const std::size_t first_tcp = gather_ns > 0 ? 0 : 1;
            fds.assign(first_tcp, pollfd{src_.fd(), POLLIN, 0});
            for (const auto& t : tcp_) fds.push_back(t->poll_entry());
            const timespec ts{static_cast<time_t>(wait / 1000000000), static_cast<long>(wait % 1000000000)};
            const int pr = ppoll(fds.data(), fds.size(), &ts, nullptr);
            if (pr < 0 && errno != EINTR) {
                std::fprintf(stderr, "%s: poll: %s\n", program, std::strerror(errno));
                rc = exit_runtime;
                break;
            }
            if (pr > 0)
                for (std::size_t i = 0; i < tcp_.size(); ++i)
                    if (const short ev = fds[first_tcp + i].revents) service_tcp(i, ev);
            const bool read = gather_ns > 0 || (pr > 0 && (fds[0].revents & (POLLIN | POLLERR)));
            if (read) {
                const auto overruns = src_.stats().enobufs;
                if (src_.receive(on_batch, on_datagram) == netlink_source::status::fatal) {
                    rc = exit_runtime;
                    break;
                }
                pacer.received(now_ns(), src_.last_received());
                if (src_.stats().enobufs != overruns) pacer.overrun();
            }
            on_timers(now_ms());
            gather_ns = read ? pacer.wait_ns() : 0;
        }
        src_.close();
        return rc;
    }

    // ---- replay ------------------------------------------------------------
    int run_replay() {
        replay_input in;
        if (!in.open(cfg_.replay, program)) return exit_open;
        // TCP collectors: connect first, and let the replay wait for them
        // rather than overrun their backlogs.
        wait_tcp(now_ms() + cfg_.out.drain_ms, [this] {
            return std::all_of(tcp_.begin(), tcp_.end(), [](const auto& t) { return t->up(); });
        }, false);
        const auto backlogged = [this] {
            return std::any_of(tcp_.begin(), tcp_.end(),
                               [](const auto& t) { return t->up() && t->backlog_used() > t->backlog_capacity() / 2; });
        };
        pcap::record rec;
        for (std::uint64_t i = 1; !g_signals.stop && in.next(rec); ++i) {
            if (rec_file_ && !rec_.record(rec.datagram, rec.sec, rec.usec)) ++n_.write_errors;
            // Times as recorded (rawexport's observation time).
            process_datagram(rec.datagram, (std::uint64_t{rec.sec} * 1000000 + rec.usec) * 1000);
            if (!tcp_.empty()) {
                for (std::size_t k = 0; k < tcp_.size(); ++k) service_tcp(k, 0);
                if (backlogged()) wait_tcp(now_ms() + cfg_.out.drain_ms, [&] { return !backlogged(); }, false);
            }
            if (i % 4096 == 0) tick_all();  // export times; flush timers
            if (g_signals.stats) {
                g_signals.stats = 0;
                report("SIGUSR1");
            }
        }
        if (in.error()) {
            std::fprintf(stderr, "%s: --replay %s: %s at offset %zu; the rest is ignored\n", program,
                         cfg_.replay.c_str(), in.error(), in.position());
            ++n_.malformed;
        }
        return exit_ok;
    }

    const exporter_config& cfg_;
    udp_output udp_;
    file_output file_;
    std::optional<console_output> console_;
    std::unique_ptr<event_session> udp_s_, file_s_, console_s_;
    tcp::settings tcp_settings_;
    collector_opener opener_;  // holds the TLS context
    std::vector<std::unique_ptr<tcp::output>> tcp_;
    // --spread-by-flow: per collector (by its position), its UDP output and
    // session, or its index in tcp_.
    static constexpr std::size_t no_tcp = ~std::size_t{0};
    struct spread_target {
        std::unique_ptr<udp_output> udp;
        std::unique_ptr<event_session> s;
        std::size_t tcp = no_tcp;
    };
    std::vector<spread_target> spread_;
    ioam::analysis::hash_ring ring_;
    netlink_source src_;
    kernel_event_stats kstats_;
    std::FILE* rec_file_ = nullptr;
    pcap::writer rec_;
    std::uint16_t family_ = 0;
    std::uint64_t datagrams_ = 0;
    std::uint64_t started_ms_ = wall_ms();
    std::uint64_t next_stats_ = 0;
    exporter_counts n_;
    ioam::exporting::event_counts kinds_{};      // without a UDP or file session
    ioam::exporting::shape_cache shapes_;
    ioam::netlink::event ev_;  // decoded in place, message after message
};

}  // namespace ioam_tools
