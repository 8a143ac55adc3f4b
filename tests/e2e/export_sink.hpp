// Helpers the export tests share: a message sink for event_exporter's flush
// callback, and a netlink message decoded back into an event.
#pragma once

#include "ioam/ipfix/message.hpp"
#include "ioam/netlink/event.hpp"
#include "ioam/netlink/message.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstddef>
#include <vector>

namespace e2e {

/// Collects the messages an exporter flushes.
struct sink {
    std::array<std::byte, 65535> buf{};
    ioam::ipfix::message_writer w;
    std::vector<std::vector<std::byte>> messages;
    explicit sink(std::size_t mtu)
        : w(buf, 1, 0, ioam::ipfix::writer_options{mtu, ioam::ipfix::transport::udp, 0, {}}) {}
    void flush() {
        if (w.empty()) return;
        auto m = w.finish(1700000000);
        messages.emplace_back(m.begin(), m.end());
        w.reset();
    }
    auto flusher() {
        return [this](ioam::ipfix::message_writer&) { flush(); };
    }
};

/// The event of a netlink message (one message, as the events.hpp encoders write).
/// The event borrows msg: keep msg alive while the event is used.
inline ioam::netlink::event decode(const std::vector<std::byte>& msg) {
    ioam::netlink::message_reader r(msg);
    auto m = r.next();
    EXPECT_TRUE(m);
    auto ev = ioam::netlink::decode_event(*m);
    EXPECT_TRUE(ev) << ev.error_code().message();
    return *ev;
}

}  // namespace e2e
