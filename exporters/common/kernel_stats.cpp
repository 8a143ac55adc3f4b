#include "kernel_stats.hpp"

#include <linux/netlink.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>

namespace ioam_tools {
namespace nl = ioam::netlink;

namespace {

constexpr int reply_timeout_ms = 2000;

bool wait_readable(int fd) {
    pollfd p{fd, POLLIN, 0};
    int r;
    do r = poll(&p, 1, reply_timeout_ms);
    while (r < 0 && errno == EINTR);
    return r > 0;
}

}  // namespace

bool kernel_event_stats::query(nl::event_stats& out) {
    std::array<std::byte, 64> req{};
    nl::message_writer w(req);
    nl::encode_event_stats_request(w, family_, ++seq_);
    if (!w.status()) return false;
    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    const auto msg = w.written();
    if (sendto(nl_, msg.data(), msg.size(), 0, reinterpret_cast<const sockaddr*>(&kernel), sizeof kernel) < 0)
        return false;
    std::array<std::byte, 1024> buf{};
    for (;;) {
        if (!wait_readable(nl_)) return false;
        const ssize_t n = recv(nl_, buf.data(), buf.size(), 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        nl::message_reader r(std::span<const std::byte>(buf.data(), static_cast<std::size_t>(n)));
        while (!r.done()) {
            auto m = r.next();
            if (!m) return false;
            if (m->seq != seq_) continue;  // an answer to an earlier, timed-out request
            if (m->type == NLMSG_ERROR) return false;  // EOPNOTSUPP: no such command; EPERM
            auto st = nl::decode_event_stats(m->payload);
            if (!st) return false;
            out = *st;
            return true;
        }
    }
}

bool kernel_event_stats::open(std::uint16_t family) {
    close();
    family_ = family;
    nl_ = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
    if (nl_ < 0 || !query(base_)) {  // no such command (EOPNOTSUPP) or refused (EPERM): absent
        close();
        return false;
    }
    return true;
}

bool kernel_event_stats::read(nl::event_stats& since_open) {
    nl::event_stats now;
    if (nl_ < 0 || !query(now)) return false;
    since_open.sent = now.sent - base_.sent;
    since_open.suppressed = now.suppressed - base_.suppressed;
    return true;
}

void kernel_event_stats::close() {
    if (nl_ >= 0) (void)::close(nl_);
    nl_ = -1;
}

}  // namespace ioam_tools
