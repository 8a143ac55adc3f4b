// The collector's --metrics endpoint: GET /metrics answers the last text the
// analysis module published (Prometheus text exposition format 0.0.4),
// served by libmicrohttpd in its own thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace ioam_collector {

class metrics_server {
public:
    metrics_server();
    ~metrics_server();
    metrics_server(const metrics_server&) = delete;
    metrics_server& operator=(const metrics_server&) = delete;

    /// Listens on "ADDR:PORT" ("[v6]:PORT" or "v4:PORT"); false with `error` set when it cannot.
    bool start(const std::string& spec, std::string& error);
    /// The text the next scrapes get.
    void publish(std::string text);
    [[nodiscard]] std::uint64_t scrapes() const;

private:
    struct impl;
    std::unique_ptr<impl> p_;
};

}  // namespace ioam_collector
