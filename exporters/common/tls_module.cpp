// The module side of tls_module.hpp (built into ioam-tls.so only).
#include "tls_module.hpp"

#include "tls_connection.hpp"

namespace {

class client final : public ioam_tools::tls_client {
public:
    explicit client(std::unique_ptr<ioam_tools::tls::context> ctx) : ctx_(std::move(ctx)) {}
    std::unique_ptr<ioam_tools::connector> connect_to(const std::string& host, const std::string& port) override {
        return std::make_unique<ioam_tools::tls_connector>(*ctx_, host, port);
    }

private:
    std::unique_ptr<ioam_tools::tls::context> ctx_;
};

}  // namespace

extern "C" ioam_tools::tls_client* ioam_tls_client_v1(const ioam_tools::tls::config* c, std::string* error) {
    auto ctx = ioam_tools::tls::context::make(ioam_tools::tls::side::client, *c, *error);
    if (!ctx) return nullptr;
    return new client(std::move(ctx));
}
