// Compile-time tests: a message in the layout of RFC 7011 Appendix A.3/A.4
// (a template of five IANA IEs with reduced-size counters, then a data set of
// three records) is parsed and decoded entirely in constant expressions. If
// this file compiles, the decoder agrees with the bytes below.
#include "ioam/ipfix/iana.hpp"
#include "ioam/ipfix/message.hpp"
#include "ioam/ipfix/record.hpp"

#include <gtest/gtest.h>

namespace {
using namespace ioam;
using namespace ioam::ipfix;

using rfc_template = data_template<256, ie::sourceIPv4Address, ie::destinationIPv4Address, ie::ipNextHopIPv4Address,
                                   reduced<ie::packetDeltaCount, 4>, reduced<ie::octetDeltaCount, 4>>;

constexpr auto message = make_bytes(
    0x00, 0x0a, 0x00, 0x6c,  // version 10, length 108
    0x65, 0x5f, 0x1e, 0x00,  // export time
    0x00, 0x00, 0x00, 0x07,  // sequence 7
    0x00, 0x00, 0x00, 0x2a,  // observation domain 42
    // template set: id 2, length 28
    0x00, 0x02, 0x00, 0x1c, 0x01, 0x00, 0x00, 0x05,  //
    0x00, 0x08, 0x00, 0x04,  // sourceIPv4Address
    0x00, 0x0c, 0x00, 0x04,  // destinationIPv4Address
    0x00, 0x0f, 0x00, 0x04,  // ipNextHopIPv4Address
    0x00, 0x02, 0x00, 0x04,  // packetDeltaCount, reduced to 4
    0x00, 0x01, 0x00, 0x04,  // octetDeltaCount, reduced to 4
    // data set: id 256, length 64 = 4 + 3 x 20
    0x01, 0x00, 0x00, 0x40,  //
    192, 0, 2, 12, 192, 0, 2, 254, 192, 0, 2, 1, 0x00, 0x00, 0x13, 0x91, 0x00, 0x51, 0x8c, 0x81,  //
    192, 0, 2, 27, 192, 0, 2, 23, 192, 0, 2, 2, 0x00, 0x00, 0x02, 0xec, 0x00, 0x05, 0xef, 0x46,  //
    192, 0, 2, 56, 192, 0, 2, 65, 192, 0, 2, 3, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x19, 0x86);

constexpr auto parsed = parse_message(message);
static_assert(parsed.has_value());
static_assert(parsed->observation_domain() == 42 && parsed->sequence() == 7);

// The template on the wire is exactly the compile-time declaration.
static_assert([] {
    const set_view s = *parsed->sets().begin();
    const auto ts = parse_template_set(s);
    if (!ts) return false;
    const template_record_view r = *ts->begin();
    if (r.id() != rfc_template::id || r.field_count() != rfc_template::field_count) return false;
    std::size_t i = 0;
    bool same = true;
    r.for_each_field([&](const field_spec& f) {
        const field_spec& want = rfc_template::fields[i++];
        same = same && f.id == want.id && f.length == want.length && f.enterprise == want.enterprise;
    });
    return same;
}());

// The data records decode to the values written above.
constexpr std::array<std::uint64_t, 3> packets{5009, 748, 5};
constexpr std::array<std::uint64_t, 3> octets{5344385, 388934, 6534};
static_assert([] {
    auto it = parsed->sets().begin();
    ++it;
    const auto ds = parse_data_set<rfc_template>(*it);
    if (!ds || ds->size() != 3) return false;
    std::size_t i = 0;
    for (const auto r : *ds) {
        if (get<ie::packetDeltaCount>(r) != packets[i] || get<ie::octetDeltaCount>(r) != octets[i]) return false;
        if (get<ie::sourceIPv4Address>(r).bytes[3] != std::byte(i == 0 ? 12 : i == 1 ? 27 : 56)) return false;
        ++i;
    }
    return i == 3;
}());

// Encoding at compile time gives the same data set bytes back.
static_assert([] {
    std::array<std::byte, 200> buf{};
    message_writer w(buf, 42, 7);
    for (std::size_t i = 0; i < 3; ++i) {
        const auto src = ipv4_address{make_bytes(192, 0, 2, i == 0 ? 12 : i == 1 ? 27 : 56)};
        const auto dst = ipv4_address{make_bytes(192, 0, 2, i == 0 ? 254 : i == 1 ? 23 : 65)};
        const auto hop = ipv4_address{make_bytes(192, 0, 2, i + 1)};
        if (!w.add_record<rfc_template>(std::tuple{src, dst, hop, packets[i], octets[i]})) return false;
    }
    const auto out = w.finish(0);
    if (out.size() != 16 + 64) return false;
    for (std::size_t i = 16; i < out.size(); ++i)
        if (out[i] != message[i + 28]) return false;
    return true;
}());

// Malformed input is an error in constant expressions too.
static_assert(parse_message(bytes_view{message.data(), 20}).code() == errc::length_past_end);
static_assert(parse_message(bytes_view{message.data(), 15}).code() == errc::truncated);

TEST(CompileTime, SameResultAtRunTime) {
    auto p = parse_message(message);
    ASSERT_TRUE(p);
    auto it = p->sets().begin();
    ++it;
    auto ds = parse_data_set<rfc_template>(*it);
    ASSERT_TRUE(ds);
    std::size_t i = 0;
    for (auto r : *ds) EXPECT_EQ(get<ie::octetDeltaCount>(r), octets[i++]);
}
}  // namespace
