// ioam-inject: sends UDP over IPv6 carrying an IOAM Pre-allocated Trace or
// Direct Exporting option in a hop-by-hop header (RFC 9486), set with
// IPV6_HOPOPTS, for kernels that transit-process IOAM but cannot insert it.
// The headers are built by the codec (ioam/trace/).
#include "ioam/trace/ipv6.hpp"
#include "ioam/trace/option.hpp"
#include "ioam/trace/trace_type.hpp"

#include <arpa/inet.h>
#include <getopt.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <thread>

namespace t = ioam::trace;

namespace {
void usage(FILE* f) {
    std::fprintf(f,
        "usage: ioam-inject --dst ADDR [options]\n"
        "Sends UDP/IPv6 datagrams carrying an IOAM option in a hop-by-hop header.\n"
        "  -d, --dst ADDR         destination IPv6 address (required)\n"
        "  -p, --port N           UDP destination port (default 9)\n"
        "  -m, --mode MODE        trace (Pre-allocated Trace, default) or dex (Direct Exporting)\n"
        "  -t, --type HEX         24-bit trace type, bit 0 = MSB (default 0xf00000)\n"
        "  -n, --namespace N      IOAM namespace id (default 123)\n"
        "  -N, --nodes N          nodes with pre-allocated room (trace mode, default 3)\n"
        "  -f, --flow-id N        DEX flow id (dex mode; sets the 0x80 extension flag)\n"
        "  -s, --sequence         DEX sequence numbers from 0 (sets the 0x40 extension flag)\n"
        "  -H, --hop-limit N      IPv6 hop limit (default 64)\n"
        "  -c, --count N          datagrams to send (default 1; 0 = until interrupted)\n"
        "  -r, --rate PPS         datagrams per second (default 0 = as fast as possible)\n"
        "  -h, --help             this text\n"
        "      --version          print the version\n");
}

unsigned long number(const char* s, const char* what, unsigned long max, int base = 0) {
    char* end = nullptr;
    errno = 0;
    const unsigned long v = std::strtoul(s, &end, base);
    if (errno || !end || *end || v > max) {
        std::fprintf(stderr, "ioam-inject: bad %s: %s\n", what, s);
        std::exit(2);
    }
    return v;
}
}  // namespace

int main(int argc, char** argv) {
    std::string dst_s;
    unsigned port = 9, ns = 123, nodes = 3, hops = 64;
    unsigned long type = 0xf00000, count = 1, rate = 0;
    bool dex = false, seq = false;
    std::optional<std::uint32_t> flow;
    static const option longopts[] = {
        {"dst", required_argument, nullptr, 'd'},      {"port", required_argument, nullptr, 'p'},
        {"mode", required_argument, nullptr, 'm'},     {"type", required_argument, nullptr, 't'},
        {"namespace", required_argument, nullptr, 'n'}, {"nodes", required_argument, nullptr, 'N'},
        {"flow-id", required_argument, nullptr, 'f'},  {"sequence", no_argument, nullptr, 's'},
        {"hop-limit", required_argument, nullptr, 'H'}, {"count", required_argument, nullptr, 'c'},
        {"rate", required_argument, nullptr, 'r'},     {"help", no_argument, nullptr, 'h'},
        {"version", no_argument, nullptr, 'V'},        {nullptr, 0, nullptr, 0}};
    for (int c; (c = getopt_long(argc, argv, "d:p:m:t:n:N:f:sH:c:r:h", longopts, nullptr)) != -1;) {
        switch (c) {
        case 'd': dst_s = optarg; break;
        case 'p': port = static_cast<unsigned>(number(optarg, "port", 65535)); break;
        case 'm':
            if (std::strcmp(optarg, "trace") == 0) dex = false;
            else if (std::strcmp(optarg, "dex") == 0) dex = true;
            else { std::fprintf(stderr, "ioam-inject: mode is trace or dex\n"); return 2; }
            break;
        case 't': type = number(optarg, "trace type", t::type_mask, 16); break;
        case 'n': ns = static_cast<unsigned>(number(optarg, "namespace", 65535)); break;
        case 'N': nodes = static_cast<unsigned>(number(optarg, "node count", 255)); break;
        case 'f': flow = static_cast<std::uint32_t>(number(optarg, "flow id", 0xffffffffUL)); break;
        case 's': seq = true; break;
        case 'H': hops = static_cast<unsigned>(number(optarg, "hop limit", 255)); break;
        case 'c': count = number(optarg, "count", ~0UL); break;
        case 'r': rate = number(optarg, "rate", 100000000UL); break;
        case 'h': usage(stdout); return 0;
        case 'V': std::printf("ioam-inject %s\n", IOAM_VERSION); return 0;
        default: usage(stderr); return 2;
        }
    }
    sockaddr_in6 dst{};
    dst.sin6_family = AF_INET6;
    dst.sin6_port = htons(static_cast<std::uint16_t>(port));
    if (dst_s.empty() || inet_pton(AF_INET6, dst_s.c_str(), &dst.sin6_addr) != 1) {
        std::fprintf(stderr, "ioam-inject: --dst needs an IPv6 address\n");
        usage(stderr);
        return 2;
    }
    const auto type24 = static_cast<std::uint32_t>(type);
    const int fd = socket(AF_INET6, SOCK_DGRAM, 0);
    const int hl = static_cast<int>(hops);
    if (fd < 0 || setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &hl, sizeof hl) != 0) {
        std::fprintf(stderr, "ioam-inject: socket: %s\n", std::strerror(errno));
        return 1;
    }
    // One hop-by-hop header per datagram: rebuilt only when the DEX sequence changes.
    std::array<std::byte, 1100> body{};
    std::array<std::byte, 1200> hbh{};
    auto build = [&](std::uint32_t n) -> ioam::result<std::size_t> {
        ioam::result<std::size_t> len = std::size_t{0};
        t::option_type ot = t::option_type::preallocated_trace;
        if (dex) {
            t::dex_option d;
            d.namespace_id = static_cast<std::uint16_t>(ns);
            d.type = type24;
            d.flow_id = flow;
            if (seq) d.seq_num = n;
            len = t::encode_dex(d, body);
            ot = t::option_type::dex;
        } else {
            const std::size_t node_len = t::node_len_of(type24);
            const std::size_t words = node_len * nodes;
            if (words > 255) return ioam::error{ioam::errc::value_out_of_range, 0};
            t::trace_header h{static_cast<std::uint16_t>(ns), static_cast<std::uint8_t>(node_len), 0,
                              static_cast<std::uint8_t>(words), type24, 0};
            len = t::encode_preallocated(h, body);
        }
        if (!len) return len;
        return t::ipv6::encode_ioam_header(IPPROTO_UDP, ot, std::span(body).first(*len), hbh);
    };
    auto set = [&](std::uint32_t n) {
        auto h = build(n);
        if (!h) {
            std::fprintf(stderr, "ioam-inject: cannot build the option: %s (trace type 0x%06x)\n",
                         h.error_code().message().c_str(), type24);
            std::exit(2);
        }
        if (setsockopt(fd, IPPROTO_IPV6, IPV6_HOPOPTS, hbh.data(), static_cast<socklen_t>(*h)) != 0) {
            std::fprintf(stderr, "ioam-inject: IPV6_HOPOPTS: %s (root or CAP_NET_RAW needed)\n", std::strerror(errno));
            std::exit(1);
        }
    };
    set(0);
    const char payload[] = "ioam-inject";
    const auto start = std::chrono::steady_clock::now();
    unsigned long sent = 0, failed = 0;
    for (unsigned long i = 0; count == 0 || i < count; ++i) {
        if (dex && seq && i) set(static_cast<std::uint32_t>(i));
        if (rate) std::this_thread::sleep_until(start + std::chrono::nanoseconds(i * 1000000000ULL / rate));
        if (sendto(fd, payload, sizeof payload, 0, reinterpret_cast<sockaddr*>(&dst), sizeof dst) < 0) ++failed;
        else ++sent;
    }
    close(fd);
    std::fprintf(stderr, "ioam-inject: %lu sent, %lu failed\n", sent, failed);
    return failed ? 1 : 0;
}
