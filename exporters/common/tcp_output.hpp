// IPFIX over a stream to a collector (RFC 7011 10.4; TLS, 11, through the
// connection interface of connection.hpp).
//
// Every connection is its own transport session, so each output owns an
// export session (ioam/export/session.hpp: templates before their first use
// on every connection, sequence numbers from 0, ids withdrawn before reuse)
// and a bounded backlog of raw inputs. basic_output<Session> works for any
// session interface with an input type (kernel events: event_session,
// `output`; flows: ioam-flow-exporter's flow_session): the backlog holds each
// input as bytes, and the program's decode turns them back into an input. Inputs are encoded only while
// connected and while the connection takes what was encoded, so nothing is
// encoded for a session that cannot receive it; a broken connection keeps its
// backlog for the next one. What cannot be kept is counted: inputs that find
// the backlog full, and the records of messages not completely written when
// a connection breaks. Connections are retried with exponential backoff.
#pragma once

#include "clock.hpp"
#include "connection.hpp"
#include "event_session.hpp"

#include "ioam/export/event_input.hpp"
#include "ioam/export/session.hpp"
#include "ioam/export/stats.hpp"
#include "ioam/ipfix/message.hpp"

#include <poll.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <memory>
#include <span>
#include <type_traits>
#include <string>
#include <utility>
#include <vector>

namespace ioam_tools::tcp {

/// Length-prefixed byte strings in a fixed ring; never grows.
class ring {
public:
    explicit ring(std::size_t capacity) : buf_(capacity) {}
    [[nodiscard]] bool empty() const noexcept { return used_ == 0; }
    [[nodiscard]] std::size_t used() const noexcept { return used_; }
    [[nodiscard]] std::size_t capacity() const noexcept { return buf_.size(); }
    [[nodiscard]] std::size_t entries() const noexcept { return entries_; }
    /// Stores head and tail as one entry; false (nothing stored) when there
    /// is no room.
    bool push(std::span<const std::byte> head, std::span<const std::byte> tail) {
        const std::size_t size = head.size() + tail.size();
        const std::uint32_t n = static_cast<std::uint32_t>(size);
        if (size > 0xffffffffU || buf_.size() - used_ < sizeof n + size) return false;
        std::byte len[sizeof n];
        std::memcpy(len, &n, sizeof n);
        put(len, sizeof n);
        put(head.data(), head.size());
        put(tail.data(), tail.size());
        ++entries_;
        return true;
    }
    /// Copies the oldest entry into `out` (resized) and removes it.
    bool pop(std::vector<std::byte>& out) {
        if (used_ == 0) return false;
        std::uint32_t n = 0;
        std::byte len[sizeof n];
        get(len, sizeof n);
        std::memcpy(&n, len, sizeof n);
        out.resize(n);
        get(out.data(), n);
        --entries_;
        return true;
    }

private:
    void put(const std::byte* p, std::size_t n) {
        const std::size_t tail = (head_ + used_) % buf_.size();
        const std::size_t first = std::min(n, buf_.size() - tail);
        std::memcpy(buf_.data() + tail, p, first);
        std::memcpy(buf_.data(), p + first, n - first);
        used_ += n;
    }
    void get(std::byte* p, std::size_t n) {
        const std::size_t first = std::min(n, buf_.size() - head_);
        std::memcpy(p, buf_.data() + head_, first);
        std::memcpy(p + first, buf_.data(), n - first);
        head_ = (head_ + n) % buf_.size();
        used_ -= n;
    }
    std::vector<std::byte> buf_;
    std::size_t head_ = 0, used_ = 0, entries_ = 0;
};

struct counters {
    std::uint64_t connects = 0;          ///< connections established
    std::uint64_t failures = 0;          ///< connection attempts that failed, connections that broke
    std::uint64_t events_dropped = 0;    ///< inputs that found the backlog full
    std::uint64_t records_lost = 0;      ///< records of messages not completely written when a connection broke
    std::uint64_t records = 0;           ///< records in messages completely written to the connection
    std::uint64_t messages = 0;
    std::uint64_t bytes = 0;
};

struct settings {
    std::size_t backlog = 8u << 20;      ///< octets of raw inputs kept while a collector cannot take them
    std::string layout = "pen10383";     ///< ioam/export/layouts.hpp (output: kernel events)
    ioam::exporting::session_options session{};
    ioam::exporting::event_options events{};  ///< output: kernel events
    unsigned backoff_min_ms = 250;
    unsigned backoff_max_ms = 30000;
    const char* program = "ioam-exporter";
};

/// Messages a TCP session finished, waiting for the connection to take them
/// (the session's message_sink).
struct pending_messages {
    std::vector<std::byte> bytes;                          // encoded, not yet taken
    std::size_t pos = 0;                                   // taken so far
    std::vector<std::pair<std::size_t, std::uint32_t>> msgs;  // (end in bytes, records)
    bool send(ioam::bytes_view m, std::uint32_t records) {
        bytes.insert(bytes.end(), m.begin(), m.end());
        msgs.emplace_back(bytes.size(), records);
        return true;
    }
    [[nodiscard]] ioam::ipfix::transport transport() const noexcept { return ioam::ipfix::transport::tcp; }
};

/// One stream collector of the inputs of a Session (an interface with
/// `input`, add(input, observed_ns), tick, flush, restart, add_stats,
/// next_deadline, pending, counters). The backlog keeps each input as the
/// bytes enqueue() was given; `Decode(bytes, use)` turns them back into an
/// input and calls use(input), false for bytes it cannot use.
template <class Session>
class basic_output {
public:
    using session_type = Session;
    using input = typename Session::input;

    /// make(sink_ref) makes the session (into this output's pending messages).
    template <class Make>
        requires std::is_invocable_r_v<std::unique_ptr<Session>, Make&, ioam::exporting::sink_ref>
    basic_output(std::string spec, std::unique_ptr<connector> c, const settings& s, Make&& make)
        : spec_(std::move(spec)), connector_(std::move(c)), s_(s), backlog_(s.backlog),
          session_(make(ioam::exporting::sink_ref(q_))) {}
    basic_output(const basic_output&) = delete;
    basic_output& operator=(const basic_output&) = delete;

    [[nodiscard]] const std::string& spec() const noexcept { return spec_; }
    [[nodiscard]] const counters& stats() const noexcept { return c_; }
    [[nodiscard]] const session_type& session() const noexcept { return *session_; }
    [[nodiscard]] bool up() const noexcept { return st_ == state::up; }
    /// Nothing waits: no backlog, nothing encoded but unsent.
    [[nodiscard]] bool idle() const noexcept { return backlog_.empty() && q_.pos == q_.bytes.size() && !session_->pending(); }
    [[nodiscard]] std::size_t backlog_used() const noexcept { return backlog_.used(); }
    [[nodiscard]] std::size_t backlog_capacity() const noexcept { return backlog_.capacity(); }

    /// Queues one input (its bytes) with the time it was received (UNIX ns).
    void enqueue(std::span<const std::byte> input, std::uint64_t observed_ns) {
        if (!backlog_.push(std::as_bytes(std::span(&observed_ns, 1)), input)) ++c_.events_dropped;
    }

    /// What this poll round should watch (fd -1: nothing).
    [[nodiscard]] pollfd poll_entry() const noexcept {
        if (!conn_ || st_ == state::down) return pollfd{-1, 0, 0};
        const short ev = conn_->events(q_.pos < q_.bytes.size());
        return pollfd{ev ? conn_->fd() : -1, ev, 0};
    }

    /// Milliseconds until this output needs attention without I/O (a
    /// reconnection or a partly filled message), at most `cap`.
    [[nodiscard]] std::uint64_t timeout(std::uint64_t now, std::uint64_t cap) const noexcept {
        const auto until = [&](std::uint64_t t) { return t > now ? std::min(cap, t - now) : 0; };
        if (st_ == state::down) return until(next_attempt_);
        if (st_ == state::connecting) return until(connect_started_ + connect_timeout_ms);
        return std::min(cap, until(session_->next_deadline()));
    }

    /// Handles poll results (revents 0 when the fd was not polled), timers,
    /// reconnection, and encodes backlog while the connection takes it.
    template <class Decode>
    void service(short revents, ioam::exporting::session_clock now, Decode&& decode) {
        const std::uint64_t ms = now.monotonic_ms;
        if (st_ == state::down && ms >= next_attempt_) start_connect(ms);
        if (st_ == state::connecting) {
            const auto r = conn_->proceed(revents);
            if (r == connection::state::up) established();
            else if (r == connection::state::failed) failed(conn_->error(), ms);
            // A collector that never answers (SYNs dropped) is retried like a refusal.
            else if (ms - connect_started_ >= connect_timeout_ms) failed("connect timed out", ms);
        }
        if (st_ != state::up) return;
        if ((revents & (POLLIN | POLLERR | POLLHUP)) && !conn_->discard_input()) return broken(conn_->error(), ms);
        session_->tick(now);
        if (!send_out(ms)) return;
        pump(now, decode);
    }

    /// Sends the partly filled message now (exit, drain).
    void flush(std::uint64_t now) {
        if (st_ != state::up) return;
        session_->flush();
        (void)send_out(now);
    }

    /// At exit: whatever is still queued or unsent is lost; count it.
    void abandon() {
        while (backlog_.pop(scratch_)) ++c_.events_dropped;
        for (const auto& m : q_.msgs) c_.records_lost += m.second;
        c_.records_lost += session_->restart();
        q_.msgs.clear();
        q_.bytes.clear();
        q_.pos = 0;
        if (conn_) conn_->close();
        st_ = state::down;
    }

    /// Adds the statistics options record (its template first on a new session).
    void add_stats(const ioam::exporting::exporter_stats& v, std::uint64_t now) {
        if (st_ != state::up) return;
        (void)session_->add_stats(v);
        (void)send_out(now);
    }

private:
    enum class state : std::uint8_t { down, connecting, up };
    static constexpr std::uint64_t connect_timeout_ms = 5000;

    void start_connect(std::uint64_t now) {
        conn_ = connector_->make();
        connect_started_ = now;
        switch (conn_->start()) {
        case connection::state::up: return established();
        case connection::state::connecting: st_ = state::connecting; return;
        case connection::state::failed: return failed(conn_->error(), now);
        }
    }

    void established() {
        st_ = state::up;
        ++c_.connects;
        backoff_ms_ = 0;
        logged_failure_ = false;
        (void)session_->restart();
        std::fprintf(stderr, "%s: TCP collector %s: connected (%zu inputs waiting)\n", s_.program, spec_.c_str(),
                     backlog_.entries());
    }

    void failed(const std::string& why, std::uint64_t now) {
        if (conn_) conn_->close();
        st_ = state::down;
        ++c_.failures;
        backoff_ms_ = backoff_ms_ == 0 ? s_.backoff_min_ms : std::min(backoff_ms_ * 2, s_.backoff_max_ms);
        next_attempt_ = now + backoff_ms_;
        // Once per outage, not once per attempt.
        if (!logged_failure_)
            std::fprintf(stderr, "%s: TCP collector %s: %s; retrying with backoff up to %u ms\n", s_.program,
                         spec_.c_str(), why.c_str(), s_.backoff_max_ms);
        logged_failure_ = true;
    }

    void broken(const std::string& why, std::uint64_t now) {
        // Messages not completely written, and the one being filled, belong
        // to the old session: their records are lost.
        std::uint64_t lost = session_->restart();
        for (const auto& m : q_.msgs) lost += m.second;
        c_.records_lost += lost;
        std::fprintf(stderr, "%s: TCP collector %s: connection lost (%s); %" PRIu64 " records in unsent messages lost\n",
                     s_.program, spec_.c_str(), why.c_str(), lost);
        q_.bytes.clear();
        q_.msgs.clear();
        q_.pos = 0;
        backoff_ms_ = 0;
        failed(why, now);
        logged_failure_ = false;  // a new outage: report the next failure too
    }

    // Writes what the connection takes; false if it broke.
    bool send_out(std::uint64_t now) {
        while (q_.pos < q_.bytes.size()) {
            const long n = conn_->write(q_.bytes.data() + q_.pos, q_.bytes.size() - q_.pos);
            if (n < 0) {
                broken(conn_->error(), now);
                return false;
            }
            if (n == 0) break;
            q_.pos += static_cast<std::size_t>(n);
        }
        std::size_t done = 0;
        while (done < q_.msgs.size() && q_.msgs[done].first <= q_.pos) {
            c_.records += q_.msgs[done].second;
            ++c_.messages;
            ++done;
        }
        q_.msgs.erase(q_.msgs.begin(), q_.msgs.begin() + static_cast<std::ptrdiff_t>(done));
        if (q_.pos == q_.bytes.size()) {
            c_.bytes += q_.bytes.size();
            q_.bytes.clear();
            q_.pos = 0;
        }
        return true;
    }

    // Encodes inputs while the connection has taken everything encoded so far.
    template <class Decode>
    void pump(ioam::exporting::session_clock now, Decode& decode) {
        while (st_ == state::up && q_.pos == q_.bytes.size() && backlog_.pop(scratch_)) {
            std::uint64_t observed_ns = 0;
            if (scratch_.size() < sizeof observed_ns) continue;
            std::memcpy(&observed_ns, scratch_.data(), sizeof observed_ns);
            (void)decode(std::span<const std::byte>(scratch_).subspan(sizeof observed_ns),
                         [&](const input& in) { (void)session_->add(in, observed_ns); });
            if (q_.pos < q_.bytes.size() && !send_out(now.monotonic_ms)) return;
        }
        session_->tick(now);
        (void)send_out(now.monotonic_ms);
    }

    std::string spec_;
    std::unique_ptr<connector> connector_;
    std::unique_ptr<connection> conn_;
    const settings& s_;
    state st_ = state::down;
    std::uint64_t next_attempt_ = 0, connect_started_ = 0;
    unsigned backoff_ms_ = 0;
    bool logged_failure_ = false;
    ring backlog_;
    std::vector<std::byte> scratch_;
    pending_messages q_;
    counters c_{};
    std::unique_ptr<session_type> session_;  // after q_: it sends there
};

/// Services `outs` until done() or `deadline` (monotonic ms, clock.hpp's
/// now_ms()): polls their connections and calls service(i, revents) for
/// each; with `flush_partial` also sends partly filled messages. The exit
/// drain of every program with TCP outputs.
template <class Output, class Service, class Done>
void wait_outputs(const std::vector<std::unique_ptr<Output>>& outs, std::uint64_t deadline, Service&& service,
                  Done&& done, bool flush_partial) {
    std::vector<pollfd> fds;
    while (!done()) {
        const std::uint64_t now = now_ms();
        if (now >= deadline) return;
        fds.clear();
        for (const auto& t : outs) fds.push_back(t->poll_entry());
        std::uint64_t wait = std::min<std::uint64_t>(deadline - now, 20);
        for (const auto& t : outs) wait = t->timeout(now, wait);
        (void)poll(fds.data(), fds.size(), static_cast<int>(wait));
        for (std::size_t i = 0; i < outs.size(); ++i) {
            service(i, fds[i].revents);
            if (flush_partial) outs[i]->flush(now_ms());
        }
    }
}

/// A stream collector of kernel events (ioam-exporter): the backlog keeps
/// each event as its netlink message. settings.layout must name a layout
/// (ioam/export/layouts.hpp).
class output : public basic_output<event_session> {
public:
    output(std::string spec, std::unique_ptr<connector> c, const settings& s)
        : basic_output(std::move(spec), std::move(c), s, [&s](ioam::exporting::sink_ref k) {
              return make_event_session(s.layout, k, s.session, s.events);
          }) {}
};

}  // namespace ioam_tools::tcp
