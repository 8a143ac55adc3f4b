// IPFIX over TLS (RFC 7011 11) for the TCP output: tls.hpp's client session
// behind connection.hpp's interface, so tcp_output.hpp runs over it as over
// plain TCP (reconnection, backlog, one export session per connection).
#pragma once

#include "connection.hpp"
#include "tls.hpp"

#include <memory>
#include <string>

namespace ioam_tools {

class tls_connection final : public connection {
public:
    tls_connection(tls::context& ctx, std::string host, std::string port)
        : ctx_(ctx), host_(std::move(host)), port_(std::move(port)) {}
    ~tls_connection() override { close(); }
    state start() override;
    state proceed(short revents) override;
    long write(const std::byte* p, std::size_t n) override;
    bool discard_input() override;
    [[nodiscard]] int fd() const override { return s_ ? s_->fd() : -1; }
    [[nodiscard]] short events(bool pending_output) const override;
    [[nodiscard]] const char* error() const override { return error_.c_str(); }
    void close() override;

private:
    state from(tls::status st);
    tls::context& ctx_;
    std::string host_, port_;
    std::unique_ptr<tls::session> s_;
    std::string error_;
};

class tls_connector final : public connector {
public:
    tls_connector(tls::context& ctx, std::string host, std::string port)
        : ctx_(ctx), host_(std::move(host)), port_(std::move(port)) {}
    [[nodiscard]] std::unique_ptr<connection> make() const override {
        return std::make_unique<tls_connection>(ctx_, host_, port_);
    }

private:
    tls::context& ctx_;
    std::string host_, port_;
};

}  // namespace ioam_tools
