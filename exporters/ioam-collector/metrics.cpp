#include "metrics.hpp"

#ifdef IOAM_HAVE_MICROHTTPD

#include <dlfcn.h>
#include <microhttpd.h>
#include <netdb.h>
#include <sys/socket.h>

#include <atomic>
#include <cstring>
#include <mutex>

namespace ioam_collector {

namespace {
// libmicrohttpd is loaded when --metrics asks for it, not at start: with
// GnuTLS, p11-kit and the rest that it links, it would add 2.4 MB to the
// RSS of every collector, most of which serve no metrics (docs/collector.md).
struct mhd_api {
    decltype(&MHD_start_daemon) start_daemon = nullptr;
    decltype(&MHD_stop_daemon) stop_daemon = nullptr;
    decltype(&MHD_create_response_from_buffer) create_response_from_buffer = nullptr;
    decltype(&MHD_add_response_header) add_response_header = nullptr;
    decltype(&MHD_queue_response) queue_response = nullptr;
    decltype(&MHD_destroy_response) destroy_response = nullptr;
};
mhd_api mhd;

template <class F>
bool symbol(void* lib, const char* name, F& f) {
    f = reinterpret_cast<F>(dlsym(lib, name));
    return f != nullptr;
}

// The library's soname (0.9.x and 1.0.x: libmicrohttpd12, or libmicrohttpd12t64),
// then the development link; what failed is the first one's reason.
bool load_mhd(std::string& error) {
    if (mhd.start_daemon) return true;
    void* lib = dlopen("libmicrohttpd.so.12", RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        const char* why = dlerror();
        const std::string first = why ? why : "libmicrohttpd.so.12: not found";
        lib = dlopen("libmicrohttpd.so", RTLD_NOW | RTLD_LOCAL);
        if (!lib) {
            error = "cannot load libmicrohttpd (install libmicrohttpd12): " + first;
            return false;
        }
    }
    mhd_api api;
    if (!symbol(lib, "MHD_start_daemon", api.start_daemon) || !symbol(lib, "MHD_stop_daemon", api.stop_daemon) ||
        !symbol(lib, "MHD_create_response_from_buffer", api.create_response_from_buffer) ||
        !symbol(lib, "MHD_add_response_header", api.add_response_header) ||
        !symbol(lib, "MHD_queue_response", api.queue_response) ||
        !symbol(lib, "MHD_destroy_response", api.destroy_response)) {
        error = "libmicrohttpd lacks a function the collector calls";
        dlclose(lib);
        return false;
    }
    mhd = api;
    return true;
}
}  // namespace

struct metrics_server::impl {
    MHD_Daemon* daemon = nullptr;
    std::mutex m;
    std::string text = "# no data yet\n";
    std::atomic<std::uint64_t> scrapes{0};

    static MHD_Result answer(void* cls, MHD_Connection* c, const char* url, const char* method, const char*,
                             const char*, size_t*, void**) {
        auto* self = static_cast<impl*>(cls);
        if (std::strcmp(method, "GET") != 0 && std::strcmp(method, "HEAD") != 0) {
            static const char msg[] = "method not allowed\n";
            MHD_Response* r = mhd.create_response_from_buffer(sizeof msg - 1, const_cast<char*>(msg), MHD_RESPMEM_PERSISTENT);
            mhd.add_response_header(r, "Allow", "GET, HEAD");
            const MHD_Result rc = mhd.queue_response(c, MHD_HTTP_METHOD_NOT_ALLOWED, r);
            mhd.destroy_response(r);
            return rc;
        }
        if (std::strcmp(url, "/metrics") != 0) {
            static const char msg[] = "not found: try /metrics\n";
            MHD_Response* r = mhd.create_response_from_buffer(sizeof msg - 1, const_cast<char*>(msg), MHD_RESPMEM_PERSISTENT);
            const MHD_Result rc = mhd.queue_response(c, MHD_HTTP_NOT_FOUND, r);
            mhd.destroy_response(r);
            return rc;
        }
        std::string body;
        {
            std::lock_guard lock(self->m);
            body = self->text;
        }
        ++self->scrapes;
        MHD_Response* r = mhd.create_response_from_buffer(body.size(), body.data(), MHD_RESPMEM_MUST_COPY);
        mhd.add_response_header(r, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
        const MHD_Result rc = mhd.queue_response(c, MHD_HTTP_OK, r);
        mhd.destroy_response(r);
        return rc;
    }
};

metrics_server::metrics_server() : p_(std::make_unique<impl>()) {}

metrics_server::~metrics_server() {
    if (p_->daemon) mhd.stop_daemon(p_->daemon);
}

bool metrics_server::start(const std::string& spec, std::string& error) {
    const auto colon = spec.rfind(':');
    if (colon == std::string::npos || colon == 0) {
        error = "expected ADDR:PORT";
        return false;
    }
    if (!load_mhd(error)) return false;
    std::string host = spec.substr(0, colon);
    const std::string port = spec.substr(colon + 1);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
    addrinfo* res = nullptr;
    if (const int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &res); rc != 0) {
        error = gai_strerror(rc);
        return false;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
    if (res->ai_family == AF_INET6) flags |= MHD_USE_IPv6;
    // A few connections at once, each short: Prometheus scrapes, people curl.
    p_->daemon = mhd.start_daemon(flags, 0, nullptr, nullptr, &impl::answer, p_.get(), MHD_OPTION_SOCK_ADDR,
                                  res->ai_addr, MHD_OPTION_CONNECTION_LIMIT, 16u, MHD_OPTION_CONNECTION_TIMEOUT, 10u,
                                  MHD_OPTION_END);
    freeaddrinfo(res);
    if (!p_->daemon) {
        error = "libmicrohttpd cannot listen there (address in use or not local?)";
        return false;
    }
    return true;
}

void metrics_server::publish(std::string text) {
    std::lock_guard lock(p_->m);
    p_->text = std::move(text);
}

std::uint64_t metrics_server::scrapes() const { return p_->scrapes.load(); }

}  // namespace ioam_collector

#else  // built without libmicrohttpd: --metrics fails with a clear message

namespace ioam_collector {
struct metrics_server::impl {};
metrics_server::metrics_server() = default;
metrics_server::~metrics_server() = default;
bool metrics_server::start(const std::string&, std::string& error) {
    error = "this ioam-collector was built without libmicrohttpd (install libmicrohttpd-dev and rebuild)";
    return false;
}
void metrics_server::publish(std::string) {}
std::uint64_t metrics_server::scrapes() const { return 0; }
}  // namespace ioam_collector

#endif
