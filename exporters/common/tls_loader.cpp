// The program side of tls_module.hpp: finds and opens ioam-tls.so.
#include "tls_module.hpp"

#include <dlfcn.h>

namespace ioam_tools {

std::unique_ptr<tls_client> load_tls_client(const tls::config& c, std::string& error) {
    void* module = nullptr;
    std::string why;
    for (const char* path : {IOAM_TLS_MODULE, "ioam-tls.so"}) {
        // Kept open for the life of the program (its connections use it).
        module = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (module) break;
        if (const char* e = dlerror()) why += std::string(why.empty() ? "" : "; ") + e;
    }
    if (!module) {
        error = "cannot load the TLS module (OpenSSL): " + why;
        return nullptr;
    }
    auto make = reinterpret_cast<decltype(&ioam_tls_client_v1)>(dlsym(module, "ioam_tls_client_v1"));
    if (!make) {
        error = std::string("the TLS module has no entry point: ") + dlerror();
        return nullptr;
    }
    return std::unique_ptr<tls_client>(make(&c, &error));
}

}  // namespace ioam_tools
