// Subscribing to the kernel's IOAM6 events with libmnl: resolve the generic
// netlink family and its multicast group, join it, size the receive buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

struct mnl_socket;

namespace ioam_tools::genl {

struct subscription {
    mnl_socket* sock = nullptr;
    int fd = -1;
    std::uint16_t family = 0;
    std::uint32_t group = 0;
    int rcvbuf = 0;       ///< what the kernel granted (getsockopt SO_RCVBUF)
    bool forced = false;  ///< SO_RCVBUFFORCE was permitted
};

/// Opens, resolves family_name/group_name, joins the group, sets the receive
/// buffer (SO_RCVBUFFORCE when permitted, else SO_RCVBUF capped by
/// net.core.rmem_max). On failure returns false and says why in `error`.
bool subscribe(subscription& s, const char* family_name, const char* group_name, int rcvbuf, std::string& error);
void close(subscription& s);

/// Events lost by the kernel because our receive buffer was full
/// (SO_MEMINFO's SK_MEMINFO_DROPS: netlink counts every message it drops).
/// False when the kernel does not tell.
bool drops(int fd, std::uint64_t& out);

}  // namespace ioam_tools::genl
