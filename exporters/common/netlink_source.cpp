#include "netlink_source.hpp"

#include "clock.hpp"

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <string>

namespace ioam_tools {

bool netlink_source::subscribe(const char* family, const char* group, int rcvbuf, const char* program) {
    program_ = program;
    std::string err;
    if (!genl::subscribe(sub_, family, group, rcvbuf, err)) {
        std::fprintf(stderr, "%s: %s\n", program, err.c_str());
        return false;
    }
    std::fprintf(stderr, "%s: subscribed to %s/%s (family %u, group %u), receive buffer %d octets%s\n", program,
                 family, group, sub_.family, sub_.group, sub_.rcvbuf, sub_.forced ? " (forced)" : "");
    c_.lost_exact = genl::drops(sub_.fd, base_drops_);
    for (std::size_t i = 0; i < batch; ++i) {
        iov_[i] = {rx_[i].data(), rx_[i].size()};
        mmsg_[i].msg_hdr.msg_iov = &iov_[i];
        mmsg_[i].msg_hdr.msg_iovlen = 1;
    }
    return true;
}

void netlink_source::close() {
    if (sub_.fd >= 0) update_lost();
    genl::close(sub_);
}

void netlink_source::update_lost() {
    std::uint64_t d = 0;
    if (c_.lost_exact && genl::drops(sub_.fd, d)) {
        c_.lost = d - base_drops_;
    } else {
        c_.lost_exact = false;
        c_.lost = std::max(c_.lost, c_.enobufs);  // at least one event per overrun
    }
}

int netlink_source::receive_batch() {
    for (std::size_t i = 0; i < batch; ++i) mmsg_[i].msg_hdr.msg_flags = 0;
    const int n = recvmmsg(sub_.fd, mmsg_.data(), batch, MSG_DONTWAIT, nullptr);
    if (n >= 0) {
        consecutive_errors_ = 0;
        return n;
    }
    if (errno == EAGAIN || errno == EINTR) return again;
    if (errno == ENOBUFS) {
        ++c_.enobufs;
        update_lost();
        // At most one line a second: an overrun comes in bursts.
        if (const auto t = now_ms(); t >= next_overrun_log_) {
            next_overrun_log_ = t + 1000;
            std::fprintf(stderr, "%s: receive buffer overrun (ENOBUFS): %" PRIu64 " events lost so far%s\n", program_,
                         c_.lost, c_.lost_exact ? "" : " (at least)");
        }
        return retry;
    }
    ++c_.receive_errors;
    std::fprintf(stderr, "%s: receive error: %s\n", program_, std::strerror(errno));
    return ++consecutive_errors_ >= 100 ? fatal_error : again;
}

}  // namespace ioam_tools
