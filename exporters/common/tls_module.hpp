// TLS loaded only when a program exports over it: tls.cpp and
// tls_connection.cpp are also built as a module (ioam-tls.so, linked with
// OpenSSL) that load_tls_client() opens with dlopen, so a program without a
// TLS output never maps libssl and libcrypto (1.7 MB of the exporter's RSS,
// docs/benchmarks.md).
//
//   program --load_tls_client(config)--> dlopen(ioam-tls.so)
//           --ioam_tls_client_v1(config)--> tls_client (one client context)
//           --connect_to(host, port)--> connectors for tcp_output.hpp
//
// The module is looked up at its installed path (IOAM_TLS_MODULE, set by
// Meson), then by name, which in the build tree finds it through the
// program's build-time RUNPATH (Meson removes that at install).
#pragma once

#include "connection.hpp"
#include "tls.hpp"

#include <memory>
#include <string>

namespace ioam_tools {

/// Connectors to TLS collectors that share one client context.
class tls_client {
public:
    virtual ~tls_client() = default;
    [[nodiscard]] virtual std::unique_ptr<connector> connect_to(const std::string& host,
                                                               const std::string& port) = 0;
};

/// Loads the module and makes a client context (certificate, key, CA,
/// server name); nullptr with `error` saying why (module or OpenSSL).
std::unique_ptr<tls_client> load_tls_client(const tls::config& c, std::string& error);

}  // namespace ioam_tools

/// The module's entry point: a new client, or nullptr with *error set.
extern "C" ioam_tools::tls_client* ioam_tls_client_v1(const ioam_tools::tls::config* c, std::string* error);
