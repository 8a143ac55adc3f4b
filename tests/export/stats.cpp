// Tests include/ioam/export/stats.hpp: the statistics templates 4000 and
// 4001 share one field list (4001 is 4000 plus the kernel's two counters),
// and their wire form (templates and records) is byte for byte what
// ioam-exporter and ioam-flow-exporter have always sent: golden vectors,
// captured before the field list was written once. The decoded content
// (ipfixDump, tshark) is tested in tests/e2e and tests/flow.
#include "ioam/export/stats.hpp"
#include "ioam/ipfix/message.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <string>

namespace x = ioam::exporting;
namespace ipfix = ioam::ipfix;

namespace {

// 4001's fields are 4000's, then ioamKernelEventsSent and ioamKernelEventsSuppressed.
constexpr bool kernel_extends_plain() {
    using P = x::stats_template;
    using K = x::stats_kernel_template;
    if (K::field_count != P::field_count + 2 || K::scope_count != P::scope_count) return false;
    for (std::size_t i = 0; i < P::field_count; ++i)
        if (K::fields[i].id != P::fields[i].id || K::fields[i].enterprise != P::fields[i].enterprise ||
            K::fields[i].length != P::fields[i].length)
            return false;
    const auto& a = K::fields[P::field_count];
    const auto& b = K::fields[P::field_count + 1];
    return a.enterprise == x::pen10383::pen && a.id == x::pen10383::id::kernel_events_sent &&
           b.enterprise == x::pen10383::pen && b.id == x::pen10383::id::kernel_events_suppressed;
}
static_assert(x::stats_template::id == 4000 && x::stats_kernel_template::id == 4001);
static_assert(x::stats_template::is_options && x::stats_template::scope_count == 1 &&
              x::stats_template::field_count == 11 && x::stats_template::record_size == 4 + 2 * 8 + 8 * 8);
static_assert(kernel_extends_plain());

std::string hex(std::span<const std::byte> b) {
    std::string s;
    char two[3];
    for (const auto c : b) {
        std::snprintf(two, sizeof two, "%02x", static_cast<unsigned>(c));
        s += two;
    }
    return s;
}

// One message: template and record of 4000, then of 4001.
std::string both_records() {
    std::array<std::byte, 1400> buf{};
    ipfix::message_writer w{buf, 7, 0, ipfix::writer_options{1400, ipfix::transport::udp, 0, {}}};
    std::uint8_t sent = 0;
    x::exporter_stats v;
    v.process_id = 4711;
    v.started = ipfix::date_time_milliseconds{1700000000123};
    v.now = ipfix::date_time_milliseconds{1700000060456};
    v.events = 1;
    v.malformed = 2;
    v.lost_events = 3;
    v.records = 4;
    v.records_not_sent = 5;
    v.messages = 6;
    v.octets = 7;
    v.octets_not_sent = 8;
    const auto no_flush = [](ipfix::message_writer&) { ADD_FAILURE() << "room for both"; };
    EXPECT_TRUE(x::add_stats_record(w, sent, v, no_flush));
    v.kernel = true;
    v.kernel_sent = 0x0102030405060708ULL;
    v.kernel_suppressed = 9;
    EXPECT_TRUE(x::add_stats_record(w, sent, v, no_flush));
    return hex(w.finish(1700000061));
}

}  // namespace

TEST(Stats, WireFormUnchanged) {
    const std::string golden =
        // message header: version 10, length 332, export time, sequence 0, domain 7
        "000a014c6553f13d0000000000000007"
        // options template set: 4000, 11 fields, 1 scope
        "000300360fa0000b00010090000400a000080143000800a3000800a4000800a70008002a000800a60008002900080028"
        "000800a80008"
        // data set 4000: one record
        "0fa00058000012670000018bcfe5687b0000018bcfe65428000000000000000100000000000000020000000000000003"
        "00000000000000040000000000000005000000000000000600000000000000070000000000000008"
        // options template set: 4001, 13 fields (the two PEN 10383 ones last)
        "000300460fa1000d00010090000400a000080143000800a3000800a4000800a70008002a000800a60008002900080028"
        "000800a80008801a00080000288f801b00080000288f"
        // data set 4001: one record
        "0fa10068000012670000018bcfe5687b0000018bcfe65428000000000000000100000000000000020000000000000003"
        "000000000000000400000000000000050000000000000006000000000000000700000000000000080102030405060708"
        "0000000000000009";
    EXPECT_EQ(both_records(), golden);
}
