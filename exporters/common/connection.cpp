#include "connection.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace ioam_tools {

connection::state tcp_connection::fail(int err) {
    error_ = std::strerror(err);
    close();
    st_ = state::failed;
    return st_;
}

connection::state tcp_connection::start() {
    close();
    fd_ = socket(addr_.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return fail(errno);
    const int one = 1;
    (void)setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd_, reinterpret_cast<const sockaddr*>(&addr_), len_) == 0) return st_ = state::up;
    if (errno == EINPROGRESS) return st_ = state::connecting;
    return fail(errno);
}

connection::state tcp_connection::proceed(short revents) {
    if (st_ != state::connecting || !(revents & (POLLOUT | POLLERR | POLLHUP))) return st_;
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
    if (err == EINPROGRESS || err == EALREADY) return st_;
    if (err != 0) return fail(err);
    return st_ = state::up;
}

long tcp_connection::write(const std::byte* p, std::size_t n) {
    const ssize_t w = send(fd_, p, n, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (w >= 0) return static_cast<long>(w);
    if (errno == EAGAIN || errno == EINTR) return 0;
    fail(errno);
    return -1;
}

bool tcp_connection::discard_input() {
    std::array<std::byte, 512> sink{};
    const ssize_t n = recv(fd_, sink.data(), sink.size(), MSG_DONTWAIT);
    if (n == 0) {
        error_ = "closed by the collector";
        close();
        st_ = state::failed;
        return false;
    }
    if (n < 0 && errno != EAGAIN && errno != EINTR) {
        fail(errno);
        return false;
    }
    return true;
}

short tcp_connection::events(bool pending_output) const {
    if (st_ == state::connecting) return POLLOUT;
    if (st_ == state::up) return static_cast<short>(POLLIN | (pending_output ? POLLOUT : 0));
    return 0;
}

void tcp_connection::close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

}  // namespace ioam_tools
