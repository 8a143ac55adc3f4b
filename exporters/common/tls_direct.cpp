// load_tls_client (tls_module.hpp) for a program linked with OpenSSL: the
// module's entry point called directly, without dlopen. ioam-exporter uses
// tls_loader.cpp instead, so that it maps OpenSSL only for a TLS output.
#include "tls_module.hpp"

namespace ioam_tools {

std::unique_ptr<tls_client> load_tls_client(const tls::config& c, std::string& error) {
    return std::unique_ptr<tls_client>(ioam_tls_client_v1(&c, &error));
}

}  // namespace ioam_tools
