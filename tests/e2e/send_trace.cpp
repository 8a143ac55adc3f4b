// Sends UDP datagrams carrying an IOAM Pre-allocated Trace option in a
// hop-by-hop header built by our encoder and set with IPV6_HOPOPTS (for
// kernels without IOAM insertion). A test helper until ioam-inject exists.
//
//   send_trace DST PORT TRACE_TYPE(hex) ROOM_WORDS NAMESPACE HOP_LIMIT COUNT
#include "ioam/trace/ipv6.hpp"
#include "ioam/trace/option.hpp"
#include "ioam/trace/trace_type.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace t = ioam::trace;

int main(int argc, char** argv) {
    if (argc != 8) {
        std::fprintf(stderr, "usage: send_trace DST PORT TRACE_TYPE ROOM_WORDS NAMESPACE HOP_LIMIT COUNT\n");
        return 2;
    }
    const auto type = static_cast<std::uint32_t>(std::strtoul(argv[3], nullptr, 16));
    const auto room = static_cast<std::uint8_t>(std::atoi(argv[4]));
    const auto ns = static_cast<std::uint16_t>(std::atoi(argv[5]));
    const int hops = std::atoi(argv[6]);
    const int count = std::atoi(argv[7]);
    std::array<std::byte, 512> body{};
    t::trace_header h{ns, static_cast<std::uint8_t>(t::node_len_of(type)), 0, room, type, 0};
    auto n = t::encode_preallocated(h, body);
    if (!n) {
        std::fprintf(stderr, "send_trace: cannot encode the trace: %s\n", n.error_code().message().c_str());
        return 1;
    }
    std::array<std::byte, 600> hbh{};
    auto hl = t::ipv6::encode_ioam_header(IPPROTO_UDP, t::option_type::preallocated_trace, std::span(body).first(*n), hbh);
    if (!hl) {
        std::fprintf(stderr, "send_trace: cannot encode the option: %s\n", hl.error_code().message().c_str());
        return 1;
    }
    const int fd = socket(AF_INET6, SOCK_DGRAM, 0);
    sockaddr_in6 dst{};
    dst.sin6_family = AF_INET6;
    dst.sin6_port = htons(static_cast<std::uint16_t>(std::atoi(argv[2])));
    if (fd < 0 || inet_pton(AF_INET6, argv[1], &dst.sin6_addr) != 1 ||
        setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &hops, sizeof hops) != 0 ||
        setsockopt(fd, IPPROTO_IPV6, IPV6_HOPOPTS, hbh.data(), static_cast<socklen_t>(*hl)) != 0) {
        std::fprintf(stderr, "send_trace: socket: %s\n", std::strerror(errno));
        return 1;
    }
    const char payload[] = "ioam";
    for (int i = 0; i < count; ++i)
        if (sendto(fd, payload, sizeof payload, 0, reinterpret_cast<sockaddr*>(&dst), sizeof dst) < 0) {
            std::fprintf(stderr, "send_trace: sendto: %s\n", std::strerror(errno));
            return 1;
        }
    close(fd);
    return 0;
}
