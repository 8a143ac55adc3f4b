// The kernel's own count of IOAM events in our network namespace
// (IOAM6_CMD_GET_EVENT_STATS, kernel/patches 0005): the events its rate
// limit let through to the group and those it suppressed. A kernel without
// the command (mainline, the host) answers EOPNOTSUPP: the counters are then
// quietly absent.
//
// The command needs CAP_NET_ADMIN at every request, and the exporter drops
// its privileges once subscribed. So when asked to drop them, open() forks
// a helper that keeps CAP_NET_ADMIN alone (no other capability, the
// exporter's --user, no other descriptor) and answers one request per byte
// written to a socket pair; it ends when the pair closes or its parent dies.
#pragma once

#include "ioam/netlink/event.hpp"

#include <sys/types.h>

#include <cstdint>

namespace ioam_tools {

class kernel_event_stats {
public:
    kernel_event_stats() = default;
    kernel_event_stats(const kernel_event_stats&) = delete;
    kernel_event_stats& operator=(const kernel_event_stats&) = delete;
    ~kernel_event_stats() { close(); }

    /// Probes the command of generic netlink family `family` (still
    /// privileged) and keeps the first reading as the baseline. With
    /// `helper_user`, queries go through a helper running as that user (see
    /// above). False (and nothing printed) when the kernel has no such
    /// command; problems with the helper are said on stderr.
    bool open(std::uint16_t family, const char* helper_user, const char* program);
    [[nodiscard]] bool available() const noexcept { return nl_ >= 0 || pipe_ >= 0; }
    /// The counters now, less the baseline: what the kernel sent and
    /// suppressed since open(). False when unavailable or the query failed.
    bool read(ioam::netlink::event_stats& since_open);
    void close();

private:
    bool query(ioam::netlink::event_stats& out);  // on nl_, in this process
    bool ask(ioam::netlink::event_stats& out);    // through the helper
    [[noreturn]] void serve(const char* user);

    int nl_ = -1;    ///< NETLINK_GENERIC socket (no helper, or in the helper)
    int pipe_ = -1;  ///< socket pair to the helper
    pid_t helper_ = -1;
    std::uint16_t family_ = 0;
    std::uint32_t seq_ = 0;
    ioam::netlink::event_stats base_{};
};

}  // namespace ioam_tools
