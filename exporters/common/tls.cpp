// OpenSSL 3 behind tls.hpp. Both sides require the peer's certificate and
// verify it against the configured CA (RFC 7011 11.3: mutual authentication);
// the client also checks the server's name. TLS 1.2 is the floor.
#include "tls.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ioam_tools::tls {

namespace {

// OpenSSL's queued errors as one line (and the queue emptied).
std::string openssl_errors() {
    std::string s;
    for (unsigned long e; (e = ERR_get_error()) != 0;) {
        char buf[256];
        ERR_error_string_n(e, buf, sizeof buf);
        if (!s.empty()) s += "; ";
        s += buf;
    }
    return s;
}

}  // namespace

std::string address_name(const void* sa, unsigned len) {
    char h[NI_MAXHOST] = "?", p[NI_MAXSERV] = "?";
    getnameinfo(static_cast<const sockaddr*>(sa), static_cast<socklen_t>(len), h, sizeof h, p, sizeof p,
                NI_NUMERICHOST | NI_NUMERICSERV);
    return std::string(h) + "/" + p;
}

std::unique_ptr<context> context::make(side s, const config& c, std::string& error) {
    const auto fail = [&](std::string what) -> std::unique_ptr<context> {
        error = std::move(what);
        const std::string why = openssl_errors();
        if (!why.empty()) error += ": " + why;
        return nullptr;
    };
    if (c.cert.empty() || c.key.empty() || c.ca.empty())
        return fail("TLS needs a certificate, its key and a CA file (mutual authentication)");
    SSL_CTX* ctx = SSL_CTX_new(s == side::server ? TLS_server_method() : TLS_client_method());
    if (!ctx) return fail("SSL_CTX_new");
    std::unique_ptr<context> out(new context(s, c, ctx));
    if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) return fail("cannot require TLS 1.2");
    if (SSL_CTX_use_certificate_chain_file(ctx, c.cert.c_str()) != 1) return fail("certificate " + c.cert);
    if (SSL_CTX_use_PrivateKey_file(ctx, c.key.c_str(), SSL_FILETYPE_PEM) != 1) return fail("key " + c.key);
    if (SSL_CTX_check_private_key(ctx) != 1) return fail("key " + c.key + " does not match " + c.cert);
    if (SSL_CTX_load_verify_locations(ctx, c.ca.c_str(), nullptr) != 1) return fail("CA file " + c.ca);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
    // Partial writes are normal on a non-blocking socket: the caller keeps
    // the rest and may hand it over from another address.
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    if (s == side::server) {
        // Tell the client which CAs we accept (s_client shows them).
        if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(c.ca.c_str())) SSL_CTX_set_client_CA_list(ctx, names);
        SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    }
    ERR_clear_error();
    return out;
}

context::~context() { SSL_CTX_free(ctx_); }

session::session(context& ctx, int fd, state st, std::string peer)
    : ctx_(ctx), fd_(fd), state_(st), peer_(std::move(peer)) {}

session::~session() { close(); }

std::unique_ptr<session> session::connect(context& ctx, const std::string& host, const std::string& port) {
    std::unique_ptr<session> s(new session(ctx, -1, state::connecting, host + "/" + port));
    s->host_ = host;
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    if (const int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &res); rc != 0) {
        s->fail(std::string("cannot resolve: ") + gai_strerror(rc));
        return s;
    }
    const int fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        freeaddrinfo(res);
        s->fail(std::string("socket: ") + std::strerror(errno));
        return s;
    }
    s->fd_ = fd;
    s->peer_ = address_name(res->ai_addr, res->ai_addrlen);
    const int rc = ::connect(fd, res->ai_addr, res->ai_addrlen);
    const int err = errno;
    freeaddrinfo(res);
    const int on = 1;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    if (rc != 0 && err != EINPROGRESS) {
        s->fail(std::string("connect: ") + std::strerror(err));
        return s;
    }
    s->events_ = POLLOUT;
    return s;
}

std::unique_ptr<session> session::accept(context& ctx, int listen_fd, int& accept_errno) {
    sockaddr_storage from{};
    socklen_t len = sizeof from;
    const int fd = accept4(listen_fd, reinterpret_cast<sockaddr*>(&from), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
        accept_errno = errno;
        return nullptr;
    }
    accept_errno = 0;
    std::unique_ptr<session> s(new session(ctx, fd, state::handshaking, address_name(&from, len)));
    s->start_tls();
    return s;
}

status session::fail(std::string why) {
    state_ = state::failed;
    error_ = std::move(why);
    events_ = 0;
    return status::failed;
}

status session::start_tls() {
    ssl_ = SSL_new(ctx_.native());
    if (!ssl_ || SSL_set_fd(ssl_, fd_) != 1) return fail("SSL_new: " + openssl_errors());
    if (ctx_.which() == side::client) {
        const std::string& name = ctx_.settings().server_name.empty() ? host_ : ctx_.settings().server_name;
        if (name != "*") {
            in6_addr a6{};
            in_addr a4{};
            const bool ip = inet_pton(AF_INET6, name.c_str(), &a6) == 1 || inet_pton(AF_INET, name.c_str(), &a4) == 1;
            X509_VERIFY_PARAM* p = SSL_get0_param(ssl_);
            if (ip ? X509_VERIFY_PARAM_set1_ip_asc(p, name.c_str()) != 1 : SSL_set1_host(ssl_, name.c_str()) != 1)
                return fail("cannot check the server name " + name);
            if (!ip) SSL_set_tlsext_host_name(ssl_, name.c_str());
        }
        SSL_set_connect_state(ssl_);
    } else {
        SSL_set_accept_state(ssl_);
    }
    state_ = state::handshaking;
    events_ = POLLIN | POLLOUT;
    return status::again;
}

// Maps an SSL_* return code to a status; records the reason on failure.
status session::ssl_status(int rc, const char* what) {
    const int e = SSL_get_error(ssl_, rc);
    switch (e) {
    case SSL_ERROR_WANT_READ: events_ = POLLIN; return status::again;
    case SSL_ERROR_WANT_WRITE: events_ = POLLOUT; return status::again;
    case SSL_ERROR_ZERO_RETURN:
        state_ = state::closed;
        events_ = 0;
        return status::closed;
    default: break;
    }
    std::string why = what;
    if (state_ == state::handshaking) {
        // Our verdict on the peer's certificate, when that was the cause.
        if (const long v = SSL_get_verify_result(ssl_); v != X509_V_OK)
            why += std::string(": peer certificate: ") + X509_verify_cert_error_string(v);
    }
    const std::string ossl = openssl_errors();
    if (!ossl.empty()) why += ": " + ossl;
    else if (e == SSL_ERROR_SYSCALL) why += errno ? std::string(": ") + std::strerror(errno) : ": connection closed by the peer";
    return fail(why);
}

status session::progress() {
    switch (state_) {
    case state::established: return status::ok;
    case state::closed: return status::closed;
    case state::failed: return status::failed;
    case state::connecting: {
        int err = 0;
        socklen_t len = sizeof err;
        if (getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
        if (err == EINPROGRESS || err == EALREADY) return status::again;
        if (err != 0) return fail(std::string("connect: ") + std::strerror(err));
        pollfd p{fd_, POLLOUT, 0};
        if (poll(&p, 1, 0) == 0) return status::again;  // not yet connected
        if (start_tls() == status::failed) return status::failed;
        [[fallthrough]];
    }
    case state::handshaking: {
        ERR_clear_error();
        const int rc = SSL_do_handshake(ssl_);
        if (rc != 1) {
            const status st = ssl_status(rc, "TLS handshake");
            return st == status::closed ? fail("TLS handshake: connection closed by the peer") : st;
        }
        state_ = state::established;
        events_ = POLLIN;
        if (X509* cert = SSL_get1_peer_certificate(ssl_)) {
            if (BIO* b = BIO_new(BIO_s_mem())) {
                X509_NAME_print_ex(b, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253);
                char* data = nullptr;
                const long n = BIO_get_mem_data(b, &data);
                subject_.assign(data, static_cast<std::size_t>(n > 0 ? n : 0));
                BIO_free(b);
            }
            X509_free(cert);
        }
        return status::ok;
    }
    }
    return status::failed;
}

status session::read(void* buf, std::size_t len, std::size_t& n) {
    n = 0;
    if (state_ != state::established) {
        const status p = progress();  // still connecting or handshaking: advance that
        if (p != status::ok) return p;
    }
    ERR_clear_error();
    const int rc = SSL_read_ex(ssl_, buf, len, &n);
    if (rc == 1) {
        events_ = POLLIN;
        return status::ok;
    }
    return ssl_status(rc, "TLS read");
}

status session::write(const void* buf, std::size_t len, std::size_t& n) {
    n = 0;
    if (state_ != state::established) {
        const status p = progress();  // still connecting or handshaking: advance that
        if (p != status::ok) return p;
    }
    if (len == 0) return status::ok;
    ERR_clear_error();
    const int rc = SSL_write_ex(ssl_, buf, len, &n);
    if (rc == 1) {
        events_ = POLLIN;
        return status::ok;
    }
    return ssl_status(rc, "TLS write");
}

bool session::pending() const { return ssl_ && SSL_pending(ssl_) > 0; }

std::string session::describe() const {
    if (!ssl_ || state_ != state::established) return {};
    return std::string(SSL_get_version(ssl_)) + " " + SSL_get_cipher_name(ssl_);
}

void session::close() {
    if (ssl_) {
        if (state_ == state::established) {
            ERR_clear_error();
            (void)SSL_shutdown(ssl_);
        }
        SSL_free(ssl_);
        ssl_ = nullptr;
    }
    ERR_clear_error();
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    if (state_ != state::failed) state_ = state::closed;
    events_ = 0;
}

}  // namespace ioam_tools::tls
