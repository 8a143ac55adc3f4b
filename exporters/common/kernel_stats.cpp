#include "kernel_stats.hpp"

#include "privileges.hpp"

#include <linux/capability.h>
#include <linux/netlink.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>

namespace ioam_tools {
namespace nl = ioam::netlink;

namespace {

constexpr int reply_timeout_ms = 2000;
constexpr std::size_t reply_size = 1 + 2 * sizeof(std::uint64_t);  // ok flag, sent, suppressed

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

bool kernel_event_stats::ask(nl::event_stats& out) {
    const char c = 'q';
    if (send(pipe_, &c, 1, MSG_NOSIGNAL) != 1 || !wait_readable(pipe_)) return false;
    std::array<unsigned char, reply_size> r{};
    if (recv(pipe_, r.data(), r.size(), 0) != static_cast<ssize_t>(r.size()) || r[0] != 1) return false;
    std::memcpy(&out.sent, r.data() + 1, sizeof out.sent);
    std::memcpy(&out.suppressed, r.data() + 1 + sizeof out.sent, sizeof out.suppressed);
    return true;
}

void kernel_event_stats::serve(const char* user) {
    // Nothing of the exporter's but the two sockets (and stderr), no signal
    // of the exporter's (its parent's end closing ends it), gone with it.
    (void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    for (int s : {SIGINT, SIGTERM, SIGUSR1, SIGHUP, SIGPIPE}) std::signal(s, SIG_IGN);
    const int keep_lo = nl_ < pipe_ ? nl_ : pipe_, keep_hi = nl_ < pipe_ ? pipe_ : nl_;
    (void)::close(0);
    (void)::close(1);
    for (int fd = 3; fd < keep_lo; ++fd) (void)::close(fd);
    for (int fd = keep_lo + 1; fd < keep_hi; ++fd) (void)::close(fd);
    (void)syscall(SYS_close_range, static_cast<unsigned>(keep_hi + 1), ~0U, 0U);
    if (drop_privileges("ioam-exporter (kernel counters)", user, 1U << CAP_NET_ADMIN) != drop_result::ok) _exit(1);
    for (;;) {
        char c;
        const ssize_t n = recv(pipe_, &c, 1, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) _exit(0);
        std::array<unsigned char, reply_size> r{};
        nl::event_stats st;
        r[0] = query(st) ? 1 : 0;
        std::memcpy(r.data() + 1, &st.sent, sizeof st.sent);
        std::memcpy(r.data() + 1 + sizeof st.sent, &st.suppressed, sizeof st.suppressed);
        if (send(pipe_, r.data(), r.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(r.size())) _exit(0);
    }
}

bool kernel_event_stats::open(std::uint16_t family, const char* helper_user, const char* program) {
    close();
    family_ = family;
    nl_ = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
    if (nl_ < 0 || !query(base_)) {  // the kernel has no such command: quietly absent
        close();
        return false;
    }
    if (!helper_user) return true;
    int sp[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) != 0) {
        std::fprintf(stderr, "%s: kernel event counters: socketpair: %s\n", program, std::strerror(errno));
        close();
        return false;
    }
    std::fflush(nullptr);
    const pid_t pid = fork();
    if (pid == 0) {
        (void)::close(sp[0]);
        pipe_ = sp[1];
        serve(helper_user);
    }
    (void)::close(sp[1]);
    (void)::close(nl_);
    nl_ = -1;
    if (pid < 0) {
        std::fprintf(stderr, "%s: kernel event counters: fork: %s\n", program, std::strerror(errno));
        (void)::close(sp[0]);
        return false;
    }
    pipe_ = sp[0];
    helper_ = pid;
    nl::event_stats probe;
    if (!ask(probe)) {
        std::fprintf(stderr, "%s: kernel event counters: the helper does not answer (no CAP_NET_ADMIN?)\n", program);
        close();
        return false;
    }
    return true;
}

bool kernel_event_stats::read(nl::event_stats& since_open) {
    nl::event_stats now;
    if (!(nl_ >= 0 ? query(now) : pipe_ >= 0 && ask(now))) return false;
    since_open.sent = now.sent - base_.sent;
    since_open.suppressed = now.suppressed - base_.suppressed;
    return true;
}

void kernel_event_stats::close() {
    if (nl_ >= 0) (void)::close(nl_);
    if (pipe_ >= 0) (void)::close(pipe_);  // the helper reads EOF and ends
    if (helper_ > 0) {
        int status;
        while (waitpid(helper_, &status, 0) < 0 && errno == EINTR) {
        }
    }
    nl_ = pipe_ = -1;
    helper_ = -1;
}

}  // namespace ioam_tools
