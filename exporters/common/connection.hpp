// A byte stream to a collector, non-blocking, driven by poll(): what the TCP
// output (tcp_output.hpp) talks to. tcp_connection is plain TCP (RFC 7011
// 10.4); a TLS connection (RFC 7011 11) implements the same interface.
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <memory>
#include <string>

namespace ioam_tools {

class connection {
public:
    enum class state { connecting, up, failed };
    virtual ~connection() = default;

    /// Starts connecting; up at once, connecting (poll fd() for events()),
    /// or failed (error() says why).
    virtual state start() = 0;
    /// Continues a connection in progress after poll() (revents 0: no event).
    virtual state proceed(short revents) = 0;
    /// Writes what the kernel takes of n octets: how many (0: try later), or
    /// -1 when the connection broke (error()).
    virtual long write(const std::byte* p, std::size_t n) = 0;
    /// Reads and drops what the collector sent (IPFIX collectors send
    /// nothing); false when the collector closed or the connection broke.
    virtual bool discard_input() = 0;
    [[nodiscard]] virtual int fd() const = 0;
    /// What poll() should watch for, `pending_output` when there is data to write.
    [[nodiscard]] virtual short events(bool pending_output) const = 0;
    [[nodiscard]] virtual const char* error() const = 0;
    virtual void close() = 0;
};

/// Makes a fresh connection for every attempt.
class connector {
public:
    virtual ~connector() = default;
    [[nodiscard]] virtual std::unique_ptr<connection> make() const = 0;
};

/// Plain TCP with TCP_NODELAY.
class tcp_connection final : public connection {
public:
    tcp_connection(const sockaddr_storage& addr, socklen_t len) : addr_(addr), len_(len) {}
    ~tcp_connection() override { close(); }
    state start() override;
    state proceed(short revents) override;
    long write(const std::byte* p, std::size_t n) override;
    bool discard_input() override;
    [[nodiscard]] int fd() const override { return fd_; }
    [[nodiscard]] short events(bool pending_output) const override;
    [[nodiscard]] const char* error() const override { return error_.c_str(); }
    void close() override;

private:
    state fail(int err);
    sockaddr_storage addr_;
    socklen_t len_;
    int fd_ = -1;
    state st_ = state::failed;
    std::string error_;
};

class tcp_connector final : public connector {
public:
    tcp_connector(const sockaddr_storage& addr, socklen_t len) : addr_(addr), len_(len) {}
    [[nodiscard]] std::unique_ptr<connection> make() const override {
        return std::make_unique<tcp_connection>(addr_, len_);
    }

private:
    sockaddr_storage addr_;
    socklen_t len_;
};

}  // namespace ioam_tools
