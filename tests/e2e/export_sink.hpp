// Helpers the export tests share: a message sink (session.hpp's message_sink)
// that keeps every message a session sends, and a netlink message decoded
// back into an event.
#pragma once

#include "ioam/export/pen10383_layout.hpp"
#include "ioam/export/session.hpp"
#include "ioam/ipfix/message.hpp"
#include "ioam/netlink/event.hpp"
#include "ioam/netlink/message.hpp"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace e2e {

/// Keeps the messages a session sends.
struct sink {
    ioam::ipfix::transport over = ioam::ipfix::transport::udp;
    std::vector<std::vector<std::byte>> messages;
    std::uint64_t records = 0;
    bool send(ioam::bytes_view m, std::uint32_t n) {
        messages.emplace_back(m.begin(), m.end());
        records += n;
        return true;
    }
    [[nodiscard]] ioam::ipfix::transport transport() const { return over; }
};

/// A session into a sink.
template <ioam::exporting::record_layout L = ioam::exporting::pen10383_layout, std::size_t Capacity = 256>
using session = ioam::exporting::session<L, sink, Capacity>;

/// Session options for a message size (the other settings as ioam-exporter's defaults).
inline ioam::exporting::session_options options(std::size_t mtu, std::uint16_t first_id = 256) {
    ioam::exporting::session_options o;
    o.capacity = mtu;
    o.first_template_id = first_id;
    return o;
}

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
