// IPFIX over TLS (RFC 7011 section 11, port 4740) for the programs, with
// OpenSSL 3: mutual authentication by certificates, TLS 1.2 or newer only.
// Non-blocking throughout: a session is driven by progress() / read() /
// write() whenever poll() reports the events that events() asks for.
//
//   context  one SSL_CTX: the side (server or client), our certificate and
//            key, the CA that signs the peer's certificate (required).
//   session  one connection: connect(ctx, host, port) for the client side,
//            accept(ctx, listen_fd) for the server side.
//
// The socket, the handshake and the errors live here; framing IPFIX
// messages in the byte stream is the caller's (as over plain TCP).
#pragma once

#include <cstddef>
#include <memory>
#include <string>

using SSL_CTX = struct ssl_ctx_st;
using SSL = struct ssl_st;

namespace ioam_tools::tls {

struct config {
    std::string cert;  ///< PEM: our certificate (chain)
    std::string key;   ///< PEM: its private key
    std::string ca;    ///< PEM: the CA(s) that must have signed the peer's certificate
    /// Client side: the name the server's certificate must carry (DNS name
    /// or IP address); empty: the host given to connect(). "*": no name
    /// check (the CA check stays).
    std::string server_name;
};

enum class side { client, server };

class context {
public:
    /// Loads the certificate, key and CA; on failure returns nullptr and
    /// writes why (file and OpenSSL's reason) to `error`.
    static std::unique_ptr<context> make(side s, const config& c, std::string& error);
    ~context();
    context(const context&) = delete;
    context& operator=(const context&) = delete;

    [[nodiscard]] side which() const noexcept { return side_; }
    [[nodiscard]] const config& settings() const noexcept { return cfg_; }
    [[nodiscard]] SSL_CTX* native() const noexcept { return ctx_; }

private:
    context(side s, config c, SSL_CTX* ctx) : side_(s), cfg_(std::move(c)), ctx_(ctx) {}
    side side_;
    config cfg_;
    SSL_CTX* ctx_;
};

/// What an operation on a session did.
enum class status {
    ok,          ///< done (progress: established; read/write: `n` octets moved)
    again,       ///< would block: poll for events() and call again
    closed,      ///< the peer closed the session cleanly (read: end of stream)
    failed,      ///< connection or handshake failed, or the session broke: see error()
};

class session {
public:
    /// Client side: resolves host (blocking getaddrinfo) and starts a
    /// non-blocking TCP connect; the handshake follows in progress().
    /// On immediate failure the session is in state failed with error() set.
    static std::unique_ptr<session> connect(context& ctx, const std::string& host, const std::string& port);

    /// Server side: accepts one connection from a listening socket
    /// (non-blocking, close-on-exec). nullptr when accept() failed: then
    /// `accept_errno` holds errno (EAGAIN: nothing pending; EMFILE/ENFILE:
    /// out of descriptors, the caller backs off).
    static std::unique_ptr<session> accept(context& ctx, int listen_fd, int& accept_errno);

    ~session();
    session(const session&) = delete;
    session& operator=(const session&) = delete;

    /// Advances the TCP connect and the TLS handshake. ok once established
    /// (and on every later call), again while in progress, failed with
    /// error() saying why (e.g. the peer's certificate did not verify).
    status progress();
    [[nodiscard]] bool established() const noexcept { return state_ == state::established; }

    /// Reads decrypted octets; ok with n > 0, again, closed or failed. Before
    /// the session is established it advances the handshake first (as progress()).
    /// OpenSSL may hold decrypted octets that poll() does not show: call
    /// read() until it returns again (pending() says whether more is buffered).
    status read(void* buf, std::size_t len, std::size_t& n);
    /// Writes octets (all or part: n); again when nothing could be written
    /// (or the handshake is still in progress). The caller ignores SIGPIPE.
    status write(const void* buf, std::size_t len, std::size_t& n);
    [[nodiscard]] bool pending() const;

    /// The poll() events the next call needs (POLLIN and/or POLLOUT).
    [[nodiscard]] short events() const noexcept { return events_; }
    [[nodiscard]] int fd() const noexcept { return fd_; }
    /// "ADDR/PORT" of the peer.
    [[nodiscard]] const std::string& peer() const noexcept { return peer_; }
    /// The verified peer certificate's subject (RFC 2253), once established.
    [[nodiscard]] const std::string& peer_subject() const noexcept { return subject_; }
    /// The protocol version and cipher, once established ("TLSv1.3 TLS_AES_256_GCM_SHA384").
    [[nodiscard]] std::string describe() const;
    /// Why the session failed, one line.
    [[nodiscard]] const std::string& error() const noexcept { return error_; }

    /// Sends close_notify (best effort, non-blocking) and closes the socket.
    void close();

private:
    enum class state { connecting, handshaking, established, closed, failed };
    session(context& ctx, int fd, state st, std::string peer);
    status fail(std::string why);
    status ssl_status(int rc, const char* what);
    status start_tls();

    context& ctx_;
    int fd_ = -1;
    SSL* ssl_ = nullptr;
    state state_;
    short events_ = 0;
    std::string peer_, subject_, error_, host_;
};

/// "ADDR/PORT" of a socket address (numeric).
std::string address_name(const void* sockaddr, unsigned len);

}  // namespace ioam_tools::tls
