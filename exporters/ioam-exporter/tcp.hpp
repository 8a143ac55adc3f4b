// IPFIX over TCP for ioam-exporter (RFC 7011 10.4).
//
// Every collector connection is its own transport session, so each TCP
// output owns an event exporter (templates go out before their first use on
// every connection), a message writer (sequence numbers from 0 on every
// connection) and a bounded backlog of raw kernel events. Events are encoded
// only while connected and while the kernel takes what was encoded, so
// nothing is encoded for a session that cannot receive it; a broken
// connection keeps its backlog for the next one. What cannot be kept is
// counted: events that find the backlog full, and the records of messages
// not completely written when a connection breaks. Connections are retried
// with exponential backoff.
#pragma once

#include "ioam/export/event_exporter.hpp"
#include "ioam/export/stats.hpp"
#include "ioam/ipfix/message.hpp"
#include "ioam/netlink/event.hpp"
#include "ioam/netlink/message.hpp"

#include <netinet/in.h>
#include <poll.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <optional>
#include <span>
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
    std::uint64_t events_dropped = 0;    ///< events that found the backlog full
    std::uint64_t records_lost = 0;      ///< records of messages not completely written when a connection broke
    std::uint64_t records = 0;           ///< records in messages completely written to the socket
    std::uint64_t messages = 0;
    std::uint64_t bytes = 0;
};

struct settings {
    std::size_t backlog = 8u << 20;      ///< octets of raw events kept while a collector cannot take them
    std::size_t capacity = 1472;         ///< IPFIX message size
    std::uint32_t odid = 1;
    unsigned flush_ms = 50;
    unsigned backoff_min_ms = 250;
    unsigned backoff_max_ms = 30000;
    ioam::exporting::exporter_options exporter{};
};

class output {
public:
    output(std::string spec, const sockaddr_storage& addr, socklen_t len, const settings& s)
        : spec_(std::move(spec)), addr_(addr), addr_len_(len), s_(s), ex_(s.exporter), backlog_(s.backlog) {}
    output(const output&) = delete;
    output& operator=(const output&) = delete;
    ~output() { close_fd(); }

    [[nodiscard]] const std::string& spec() const noexcept { return spec_; }
    [[nodiscard]] const counters& stats() const noexcept { return c_; }
    [[nodiscard]] bool up() const noexcept { return st_ == state::up; }
    /// Nothing waits: no backlog, nothing encoded but unsent.
    [[nodiscard]] bool idle() const noexcept {
        return backlog_.empty() && out_pos_ == out_.size() && (!w_ || w_->empty());
    }
    [[nodiscard]] std::size_t backlog_used() const noexcept { return backlog_.used(); }
    [[nodiscard]] std::size_t backlog_capacity() const noexcept { return backlog_.capacity(); }

    /// Queues one netlink message that holds a valid IOAM6 event, with the
    /// time it was received (UNIX nanoseconds; rawexport records carry it).
    void enqueue(std::span<const std::byte> nlmsg, std::uint64_t observed_ns) {
        if (!backlog_.push(std::as_bytes(std::span(&observed_ns, 1)), nlmsg)) ++c_.events_dropped;
    }

    /// What this poll round should watch (fd -1: nothing).
    [[nodiscard]] pollfd poll_entry() const noexcept {
        short events = 0;
        if (st_ == state::connecting) events = POLLOUT;
        if (st_ == state::up) events = static_cast<short>(POLLIN | (out_pos_ < out_.size() ? POLLOUT : 0));
        return pollfd{events ? fd_ : -1, events, 0};
    }

    /// Milliseconds until this output needs attention without I/O (a
    /// reconnection or a partly filled message), at most `cap`.
    [[nodiscard]] std::uint64_t timeout(std::uint64_t now, std::uint64_t cap) const noexcept {
        if (st_ == state::down) return next_attempt_ > now ? std::min(cap, next_attempt_ - now) : 0;
        if (st_ == state::connecting)
            return connect_started_ + connect_timeout_ms > now ? std::min(cap, connect_started_ + connect_timeout_ms - now) : 0;
        if (st_ == state::up && pending_)
            return pending_since_ + s_.flush_ms > now ? std::min<std::uint64_t>(cap, pending_since_ + s_.flush_ms - now) : 0;
        return cap;
    }

    /// Handles poll results (revents 0 when the fd was not polled), timers,
    /// reconnection, and encodes backlog while the socket takes it.
    void service(short revents, std::uint64_t now) {
        if (st_ == state::down && now >= next_attempt_) start_connect(now);
        if (st_ == state::connecting && (revents & (POLLOUT | POLLERR | POLLHUP))) finish_connect(now);
        // A collector that never answers (SYNs dropped) is retried like a refusal.
        if (st_ == state::connecting && now - connect_started_ >= connect_timeout_ms) failed("connect timed out", now);
        if (st_ != state::up) return;
        if (revents & (POLLIN | POLLERR | POLLHUP)) {
            std::array<std::byte, 512> sink{};
            const ssize_t n = recv(fd_, sink.data(), sink.size(), MSG_DONTWAIT);
            if (n == 0) return broken("closed by the collector", now);
            if (n < 0 && errno != EAGAIN && errno != EINTR) return broken(std::strerror(errno), now);
        }
        if (!send_out(now)) return;
        pump(now);
        if (st_ == state::up && pending_ && now - pending_since_ >= s_.flush_ms) {
            finish_message();
            (void)send_out(now);
        }
    }

    /// Sends the partly filled message now (exit, drain).
    void flush(std::uint64_t now) {
        if (st_ != state::up) return;
        finish_message();
        (void)send_out(now);
    }

    /// At exit: whatever is still queued or unsent is lost; count it.
    void abandon() {
        while (backlog_.pop(scratch_)) ++c_.events_dropped;
        for (const auto& m : out_msgs_) c_.records_lost += m.second;
        if (w_) c_.records_lost += w_->data_records();
        out_msgs_.clear();
        out_.clear();
        out_pos_ = 0;
        w_.reset();
        close_fd();
        st_ = state::down;
    }

    /// Adds the statistics options record (its template first on a new session).
    void add_stats(const ioam::exporting::exporter_stats& v, std::uint64_t now) {
        if (st_ != state::up) return;
        (void)ioam::exporting::add_stats_record(*w_, stats_template_sent_, v,
                                                [this](ioam::ipfix::message_writer&) { finish_message(); });
        finish_message();
        (void)send_out(now);
    }

private:
    enum class state : std::uint8_t { down, connecting, up };
    static constexpr std::uint64_t connect_timeout_ms = 5000;

    void close_fd() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }

    void start_connect(std::uint64_t now) {
        fd_ = socket(addr_.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd_ < 0) return failed(std::strerror(errno), now);
        const int one = 1;
        (void)setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (connect(fd_, reinterpret_cast<const sockaddr*>(&addr_), addr_len_) == 0) return established(now);
        if (errno == EINPROGRESS) {
            st_ = state::connecting;
            connect_started_ = now;
            return;
        }
        failed(std::strerror(errno), now);
    }

    void finish_connect(std::uint64_t now) {
        int err = 0;
        socklen_t len = sizeof err;
        if (getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
        if (err == EINPROGRESS || err == EALREADY) return;
        if (err != 0) return failed(std::strerror(err), now);
        established(now);
    }

    void established(std::uint64_t now) {
        st_ = state::up;
        ++c_.connects;
        backoff_ms_ = 0;
        logged_failure_ = false;
        w_.emplace(std::span<std::byte>(msg_), s_.odid, 0,
                   ioam::ipfix::writer_options{s_.capacity, ioam::ipfix::transport::tcp, 0, {}});
        ex_.invalidate_templates();
        stats_template_sent_ = false;
        std::fprintf(stderr, "ioam-exporter: TCP collector %s: connected (%zu events waiting)\n", spec_.c_str(),
                     backlog_.entries());
        (void)now;
    }

    void failed(const char* why, std::uint64_t now) {
        close_fd();
        st_ = state::down;
        ++c_.failures;
        backoff_ms_ = backoff_ms_ == 0 ? s_.backoff_min_ms : std::min(backoff_ms_ * 2, s_.backoff_max_ms);
        next_attempt_ = now + backoff_ms_;
        // Once per outage, not once per attempt.
        if (!logged_failure_)
            std::fprintf(stderr, "ioam-exporter: TCP collector %s: %s; retrying with backoff up to %u ms\n",
                         spec_.c_str(), why, s_.backoff_max_ms);
        logged_failure_ = true;
    }

    void broken(const char* why, std::uint64_t now) {
        // Messages not completely written, and the one being filled, belong
        // to the old session: their records are lost.
        std::uint64_t lost = 0;
        for (const auto& m : out_msgs_) lost += m.second;
        if (w_) lost += w_->data_records();
        c_.records_lost += lost;
        std::fprintf(stderr, "ioam-exporter: TCP collector %s: connection lost (%s); %" PRIu64
                     " records in unsent messages lost\n", spec_.c_str(), why, lost);
        out_.clear();
        out_msgs_.clear();
        out_pos_ = 0;
        pending_ = false;
        w_.reset();
        backoff_ms_ = 0;
        failed(why, now);
        logged_failure_ = false;  // a new outage: report the next failure too
    }

    // Writes what the kernel takes; false if the connection broke.
    bool send_out(std::uint64_t now) {
        while (out_pos_ < out_.size()) {
            const ssize_t n = send(fd_, out_.data() + out_pos_, out_.size() - out_pos_, MSG_DONTWAIT | MSG_NOSIGNAL);
            if (n < 0) {
                if (errno == EAGAIN || errno == EINTR) break;
                broken(std::strerror(errno), now);
                return false;
            }
            out_pos_ += static_cast<std::size_t>(n);
        }
        std::size_t done = 0;
        while (done < out_msgs_.size() && out_msgs_[done].first <= out_pos_) {
            c_.records += out_msgs_[done].second;
            ++c_.messages;
            ++done;
        }
        out_msgs_.erase(out_msgs_.begin(), out_msgs_.begin() + static_cast<std::ptrdiff_t>(done));
        if (out_pos_ == out_.size()) {
            c_.bytes += out_.size();
            out_.clear();
            out_pos_ = 0;
        }
        return true;
    }

    void finish_message() {
        auto& w = *w_;
        pending_ = false;
        if (w.empty()) return;
        const auto m = w.finish(static_cast<std::uint32_t>(std::time(nullptr)));
        out_.insert(out_.end(), m.begin(), m.end());
        out_msgs_.emplace_back(out_.size(), w.data_records());
        w.reset();
    }

    // Encodes events while the kernel has taken everything encoded so far.
    void pump(std::uint64_t now) {
        while (st_ == state::up && out_pos_ == out_.size() && backlog_.pop(scratch_)) {
            std::uint64_t observed_ns = 0;
            if (scratch_.size() < sizeof observed_ns) continue;
            std::memcpy(&observed_ns, scratch_.data(), sizeof observed_ns);
            ex_.set_observation_time(observed_ns);
            ioam::netlink::message_reader r(std::span<const std::byte>(scratch_).subspan(sizeof observed_ns));
            auto m = r.next();
            if (!m) continue;  // only valid events are queued
            auto ev = ioam::netlink::decode_event(*m);
            if (!ev) continue;
            (void)ex_.add(*ev, *w_, [this](ioam::ipfix::message_writer&) { finish_message(); });
            if (!w_->empty() && !pending_) {
                pending_ = true;
                pending_since_ = now;
            }
            if (out_pos_ < out_.size() && !send_out(now)) return;
        }
    }

    std::string spec_;
    sockaddr_storage addr_{};
    socklen_t addr_len_ = 0;
    const settings& s_;
    int fd_ = -1;
    state st_ = state::down;
    std::uint64_t next_attempt_ = 0, connect_started_ = 0;
    unsigned backoff_ms_ = 0;
    bool logged_failure_ = false;
    ioam::exporting::event_exporter<256> ex_;
    std::array<std::byte, ioam::ipfix::max_message_size> msg_{};
    std::optional<ioam::ipfix::message_writer> w_;
    bool stats_template_sent_ = false;
    bool pending_ = false;
    std::uint64_t pending_since_ = 0;
    ring backlog_;
    std::vector<std::byte> scratch_;
    std::vector<std::byte> out_;  // encoded, not yet taken by the kernel
    std::size_t out_pos_ = 0;
    std::vector<std::pair<std::size_t, std::uint32_t>> out_msgs_;  // (end in out_, records)
    counters c_{};
};

}  // namespace ioam_tools::tcp
