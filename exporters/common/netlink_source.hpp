// The receive loop's input: the kernel's IOAM6 events (genl.hpp subscribes),
// read in batches with recvmmsg into fixed buffers. Losses are counted,
// never ignored: ENOBUFS and other receive errors, the kernel's exact drop
// count (SO_MEMINFO), datagrams truncated by the buffer.
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
    /// Datagrams the last receive() read in its last batch (batch_size: more may wait).
    [[nodiscard]] std::size_t last_batch() const noexcept { return last_batch_; }
    static constexpr std::size_t batch_size = 32;
    void close();

    /// Reads what is queued, a batch at a time (at most `rounds` batches):
    /// on_batch() once per batch before its datagrams, then
    /// on_datagram(bytes, truncated) for each. fatal after 100 consecutive
    /// receive errors.
    template <class Batch, class Datagram>
    status receive(Batch&& on_batch, Datagram&& on_datagram, unsigned rounds = 64) {
        last_batch_ = 0;
        for (unsigned round = 0; round < rounds; ++round) {
            const int n = receive_batch();
            if (n == again) return status::ok;
            if (n == retry) continue;
            if (n == fatal_error) return status::fatal;
            on_batch();
            last_batch_ = static_cast<std::size_t>(n);
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
    std::size_t last_batch_ = 0;
    std::array<std::array<std::byte, 16384>, batch> rx_{};
    std::array<iovec, batch> iov_{};
    std::array<mmsghdr, batch> mmsg_{};
};

}  // namespace ioam_tools
