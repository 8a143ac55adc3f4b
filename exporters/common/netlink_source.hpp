// The receive loop's input: the kernel's IOAM6 events (genl.hpp subscribes),
// read in batches with recvmmsg into fixed buffers. Losses are counted,
// never ignored: ENOBUFS and other receive errors, the kernel's exact drop
// count (SO_MEMINFO), datagrams truncated by the buffer. receive_pacer says
// how long to let events gather between two receives.
#pragma once

#include "genl.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace ioam_tools {

class netlink_source {
public:
    struct counters {
        std::uint64_t datagrams = 0, truncated = 0, enobufs = 0, receive_errors = 0;
        std::uint64_t lost = 0;  ///< events the kernel dropped
        bool lost_exact = true;  ///< lost is SO_MEMINFO's count, not a lower bound
    };
    enum class status { ok, fatal };

    netlink_source() = default;
    netlink_source(const netlink_source&) = delete;
    netlink_source& operator=(const netlink_source&) = delete;
    ~netlink_source() { close(); }

    /// Subscribes to family/group with a receive buffer of `rcvbuf` octets;
    /// says what happened on stderr, prefixed with `program`.
    bool subscribe(const char* family, const char* group, int rcvbuf, const char* program);
    [[nodiscard]] int fd() const noexcept { return sub_.fd; }
    [[nodiscard]] std::uint16_t family() const noexcept { return sub_.family; }
    [[nodiscard]] const counters& stats() const noexcept { return c_; }
    /// Datagrams the last receive() read, in all its batches.
    [[nodiscard]] std::size_t last_received() const noexcept { return last_received_; }
    /// The receive buffer the kernel granted (octets).
    [[nodiscard]] int rcvbuf() const noexcept { return sub_.rcvbuf; }
    static constexpr std::size_t batch_size = 32;
    void close();

    /// Reads what is queued, a batch at a time (at most `rounds` batches),
    /// until a batch does not fill (no further call to find the queue
    /// empty): on_batch() once per batch before its datagrams, then
    /// on_datagram(bytes, truncated) for each. fatal after 100 consecutive
    /// receive errors.
    template <class Batch, class Datagram>
    status receive(Batch&& on_batch, Datagram&& on_datagram, unsigned rounds = 64) {
        last_received_ = 0;
        for (unsigned round = 0; round < rounds; ++round) {
            const int n = receive_batch();
            if (n == again) return status::ok;
            if (n == retry) continue;
            if (n == fatal_error) return status::fatal;
            on_batch();
            last_received_ += static_cast<std::size_t>(n);
            for (int i = 0; i < n; ++i) {
                const auto& h = mmsg_[static_cast<std::size_t>(i)];
                const auto& b = rx_[static_cast<std::size_t>(i)];
                const bool trunc = (h.msg_hdr.msg_flags & MSG_TRUNC) != 0;
                c_.truncated += trunc ? 1 : 0;
                ++c_.datagrams;
                on_datagram(std::span<const std::byte>(b.data(), std::min<std::size_t>(h.msg_len, b.size())), trunc);
            }
            if (static_cast<std::size_t>(n) < batch) return status::ok;
        }
        return status::ok;
    }
    /// Reads the kernel's drop count (at exit, and after an overrun).
    void update_lost();

private:
    static constexpr std::size_t batch = batch_size;
    static constexpr int again = -1, retry = -2, fatal_error = -3;
    int receive_batch();

    genl::subscription sub_;
    const char* program_ = "";
    counters c_{};
    std::uint64_t base_drops_ = 0, next_overrun_log_ = 0;
    unsigned consecutive_errors_ = 0;
    std::size_t last_received_ = 0;
    std::array<std::array<std::byte, 16384>, batch> rx_{};
    std::array<iovec, batch> iov_{};
    std::array<mmsghdr, batch> mmsg_{};
};

/// How long to let events gather in the socket before the next receive.
/// Netlink has no receive low-water mark (SO_RCVLOWAT is accepted and
/// ignored: datagram_poll reports a socket readable from its first queued
/// message), so every poll on the socket wakes for every event, and at tens
/// of thousands of events a second the wake-ups, not the events, would cost
/// most of the CPU (docs/benchmarks.md, "Issue 10"). The loop sleeps
/// instead, without polling the socket, for as long as `target` events take
/// at the rate it observed, and reads them in one go:
///
///   - the rate is the events of the last receives over their time (each
///     receive's weight a quarter of the next one's); a receive that found
///     more than twice the target (a rise) sets it alone;
///   - the wait is at most `max_ns`, and `target` is at most a quarter of
///     what the receive buffer holds (2,048 octets charged per event; the
///     kernel charges 832 for a TRACE event of three nodes);
///   - no wait when fewer than 2 events would come in `max_ns` (a slow
///     trickle: poll wakes for each, as soon as it comes), nor after a
///     receive that found nothing or an overrun.
/// Times are monotonic nanoseconds, given by the caller.
class receive_pacer {
public:
    static constexpr std::uint64_t default_target = 512;
    static constexpr std::uint64_t charge_per_event = 2048;

    receive_pacer(std::uint64_t max_ns, std::uint64_t rcvbuf, std::uint64_t target = default_target) noexcept
        : max_ns_(max_ns), target_(std::max<std::uint64_t>(1, std::min(target, rcvbuf / charge_per_event / 4))) {}

    /// A receive at `now` found `events` datagrams (0: none queued).
    void received(std::uint64_t now, std::uint64_t events) noexcept {
        const std::uint64_t since = now > last_ ? now - last_ : 0;
        const bool first = !started_;
        started_ = true;
        last_ = now;
        found_ = events > 0;
        if (!found_ || first) return;  // the first receive: no time to measure the rate over
        if (!known_ || events > 2 * target_) {
            time_ = since;
            events_ = events * unit;
        } else {
            time_ = time_ - time_ / 4 + since;
            events_ = events_ - events_ / 4 + events * unit;
        }
        known_ = true;
    }
    /// The receive buffer overran: read at once until the rate is known anew.
    void overrun() noexcept { known_ = found_ = false; }

    /// Nanoseconds to wait before the next receive; 0: poll the socket.
    [[nodiscard]] std::uint64_t wait_ns() const noexcept {
        if (!found_ || !known_ || max_ns_ == 0) return 0;
        const std::uint64_t per_event = per_event_ns();
        if (per_event > max_ns_ / 2) return 0;  // fewer than 2 would come
        return std::min(max_ns_, per_event * target_);
    }
    [[nodiscard]] std::uint64_t target() const noexcept { return target_; }
    /// The estimate: nanoseconds between two events.
    [[nodiscard]] std::uint64_t per_event_ns() const noexcept { return events_ ? time_ * unit / events_ : 0; }

private:
    static constexpr std::uint64_t unit = 256;  // events_ in 1/256: a quarter of a few events is not 0
    std::uint64_t max_ns_, target_;
    std::uint64_t last_ = 0, time_ = 0, events_ = 0;
    bool started_ = false, known_ = false, found_ = false;
};

}  // namespace ioam_tools
