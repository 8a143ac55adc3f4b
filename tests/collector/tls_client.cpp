// The client side of exporters/common/tls.hpp, driven by tls.py against
// `openssl s_server`: connects, completes the handshake (non-blocking, poll
// on events()), writes a line, then reads for a second so that a server
// that refuses our certificate after the handshake (TLS 1.3) is seen.
// Prints "established <subject>" and "sent", or "failed: <why>"; exit 0 or 1.
// Usage: tls_client HOST PORT CA CERT KEY [SERVER_NAME] [TEXT | @FILE]
// (@FILE: the file's octets instead of a line of text, e.g. IPFIX messages).
#include "tls.hpp"

#include <poll.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>

namespace tls = ioam_tools::tls;

namespace {

// Waits for the session's events; false after `ms` milliseconds.
bool wait(const tls::session& s, int ms) {
    pollfd p{s.fd(), s.events(), 0};
    return poll(&p, 1, ms) > 0;
}

int failed(const tls::session& s) {
    std::printf("failed: %s\n", s.error().c_str());
    return 1;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 6) {
        std::fprintf(stderr, "usage: tls_client HOST PORT CA CERT KEY [SERVER_NAME] [TEXT]\n");
        return 2;
    }
    std::signal(SIGPIPE, SIG_IGN);
    std::string err;
    auto ctx = tls::context::make(tls::side::client, {argv[4], argv[5], argv[3], argc > 6 ? argv[6] : ""}, err);
    if (!ctx) {
        std::printf("failed: %s\n", err.c_str());
        return 1;
    }
    auto s = tls::session::connect(*ctx, argv[1], argv[2]);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    tls::status st;
    while ((st = s->progress()) == tls::status::again) {
        if (std::chrono::steady_clock::now() > deadline) {
            std::printf("failed: handshake timed out\n");
            return 1;
        }
        wait(*s, 200);
    }
    if (st != tls::status::ok) return failed(*s);
    std::printf("established %s (%s)\n", s->peer_subject().c_str(), s->describe().c_str());
    std::string text = std::string(argc > 7 ? argv[7] : "hello from tls_client") + "\n";
    if (text[0] == '@') {
        std::ifstream in(text.substr(1, text.size() - 2), std::ios::binary);
        text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    std::size_t off = 0;
    while (off < text.size()) {
        std::size_t n = 0;
        st = s->write(text.data() + off, text.size() - off, n);
        if (st == tls::status::failed || st == tls::status::closed) return failed(*s);
        off += n;
        if (st == tls::status::again) wait(*s, 200);
    }
    // Anything the server has to say (an alert when it refused us).
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    char buf[256];
    while (std::chrono::steady_clock::now() < until) {
        std::size_t n = 0;
        st = s->read(buf, sizeof buf, n);
        if (st == tls::status::failed) return failed(*s);
        if (st == tls::status::closed) break;
        if (st == tls::status::again) wait(*s, 100);
    }
    std::printf("sent\n");
    s->close();
    return 0;
}
