#include "outputs.hpp"

#include "address.hpp"

#include <cerrno>
#include <cstring>

namespace ioam_tools {

bool udp_output::add(const std::string& spec, const char* program) {
    sockaddr_storage ss{};
    socklen_t len = 0;
    if (!resolve(spec, program, "collector", ss, len)) return false;
    const int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
        std::fprintf(stderr, "%s: collector %s: %s\n", program, spec.c_str(), std::strerror(errno));
        if (fd >= 0) ::close(fd);
        return false;
    }
    ipv6_ |= ss.ss_family == AF_INET6;
    fds_.push_back(fd);
    return true;
}

void udp_output::close() {
    for (int fd : fds_) ::close(fd);
    fds_.clear();
}

bool udp_output::send(ioam::bytes_view m, std::uint32_t) {
    bool all = true;
    for (int fd : fds_)
        if (::send(fd, m.data(), m.size(), 0) != static_cast<ssize_t>(m.size())) {
            ++send_errors_;
            all = false;
        }
    return all;
}

bool file_output::open(const std::string& path, const char* program) {
    if (w_.open(path)) return true;
    std::fprintf(stderr, "%s: --file %s: %s\n", program, path.c_str(), std::strerror(errno));
    return false;
}

}  // namespace ioam_tools
