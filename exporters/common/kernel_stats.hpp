// The kernel's own count of IOAM events in our network namespace
// (IOAM6_CMD_GET_EVENT_STATS, kernel/patches 0005): the events its rate
// limit let through to the group and those it suppressed.
//
// The command is read-only and answers for the caller's own network
// namespace only, so the kernel asks no privilege for it (patch 0005): the
// exporter opens and reads it after dropping its privileges. A kernel
// without the command (mainline, the host) answers EOPNOTSUPP, one that
// still asks CAP_NET_ADMIN answers EPERM: the counters are then absent.
#pragma once

#include "ioam/netlink/event.hpp"

#include <cstdint>

namespace ioam_tools {

class kernel_event_stats {
public:
    kernel_event_stats() = default;
    kernel_event_stats(const kernel_event_stats&) = delete;
    kernel_event_stats& operator=(const kernel_event_stats&) = delete;
    ~kernel_event_stats() { close(); }

    /// Asks generic netlink family `family` for its counters once and keeps
    /// that reading as the baseline. False (and nothing printed) when the
    /// kernel has no such command or refuses it.
    bool open(std::uint16_t family);
    [[nodiscard]] bool available() const noexcept { return nl_ >= 0; }
    /// The counters now, less the baseline: what the kernel sent and
    /// suppressed since open(). False when unavailable or the query failed.
    bool read(ioam::netlink::event_stats& since_open);
    void close();

private:
    bool query(ioam::netlink::event_stats& out);

    int nl_ = -1;  ///< NETLINK_GENERIC socket
    std::uint16_t family_ = 0;
    std::uint32_t seq_ = 0;
    ioam::netlink::event_stats base_{};
};

}  // namespace ioam_tools
