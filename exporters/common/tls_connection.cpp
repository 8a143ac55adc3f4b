#include "tls_connection.hpp"

#include <poll.h>

#include <array>

namespace ioam_tools {

connection::state tls_connection::from(tls::status st) {
    switch (st) {
    case tls::status::ok: return state::up;
    case tls::status::again: return state::connecting;
    case tls::status::closed: error_ = "closed by the collector"; return state::failed;
    case tls::status::failed: error_ = s_->error(); return state::failed;
    }
    return state::failed;
}

connection::state tls_connection::start() {
    s_ = tls::session::connect(ctx_, host_, port_);
    if (!s_) {
        error_ = "cannot start a TLS session";
        return state::failed;
    }
    return from(s_->progress());
}

connection::state tls_connection::proceed(short) {
    if (!s_) return state::failed;
    return from(s_->progress());
}

long tls_connection::write(const std::byte* p, std::size_t n) {
    std::size_t done = 0;
    switch (s_->write(p, n, done)) {
    case tls::status::ok: return static_cast<long>(done);
    case tls::status::again: return 0;
    case tls::status::closed: error_ = "closed by the collector"; return -1;
    case tls::status::failed: error_ = s_->error(); return -1;
    }
    return -1;
}

bool tls_connection::discard_input() {
    std::array<std::byte, 512> sink{};
    for (;;) {
        std::size_t n = 0;
        switch (s_->read(sink.data(), sink.size(), n)) {
        case tls::status::ok: continue;
        case tls::status::again: return true;
        case tls::status::closed: error_ = "closed by the collector"; return false;
        case tls::status::failed: error_ = s_->error(); return false;
        }
    }
}

short tls_connection::events(bool pending_output) const {
    if (!s_) return 0;
    if (!s_->established()) return s_->events();
    // Not s_->events() once established: it may still ask for POLLOUT with
    // nothing to write, and poll would spin.
    return static_cast<short>(POLLIN | (pending_output ? POLLOUT : 0));
}

void tls_connection::close() {
    if (s_) s_->close();
    s_.reset();
}

}  // namespace ioam_tools
