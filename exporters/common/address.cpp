#include "address.hpp"

#include <netdb.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace ioam_tools {

bool parse_uint(const char* s, unsigned long long max, unsigned long long& out) {
    if (!s || !*s) return false;
    char* end = nullptr;
    errno = 0;
    const unsigned long long v = std::strtoull(s, &end, 10);
    if (errno || *end || v > max || s[0] == '-') return false;
    out = v;
    return true;
}

bool split_host_port(const std::string& spec, std::string& host, std::string& port) {
    if (!spec.empty() && spec[0] == '[') {
        const auto close = spec.find(']');
        if (close == std::string::npos || close + 1 >= spec.size() || spec[close + 1] != ':') return false;
        host = spec.substr(1, close - 1);
        port = spec.substr(close + 2);
        return true;
    }
    const auto colon = spec.rfind(':');
    if (colon == std::string::npos) return false;
    host = spec.substr(0, colon);
    port = spec.substr(colon + 1);
    return true;
}

bool resolve(const std::string& spec, const char* program, const char* what, sockaddr_storage& out, socklen_t& len) {
    const auto fail = [&](const char* why) {
        std::fprintf(stderr, "%s: %s %s: %s\n", program, what, spec.c_str(), why);
        return false;
    };
    std::string host, port;
    if (!split_host_port(spec, host, port)) return fail(spec.starts_with("[") ? "expected [ADDR]:PORT" : "expected ADDR:PORT");
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    addrinfo* res = nullptr;
    if (const int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &res); rc != 0) return fail(gai_strerror(rc));
    std::memcpy(&out, res->ai_addr, res->ai_addrlen);
    len = res->ai_addrlen;
    freeaddrinfo(res);
    return true;
}

}  // namespace ioam_tools
