// Decodes IOAM6 events recorded from a real kernel: the series in
// kernel/patches, under qemu (kernel/guest/t_record_events.sh prints them as
// "REC <node> <dex|trace> <hex of the netlink message>"). Three nodes A
// (encapsulating) - B (transit) - C (decapsulating) with the values of
// kernel/guest/ioamtest.sh. Usage: netlink_recorded FILE.
#include "ioam/netlink/event.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace nl = ioam::netlink;
namespace t = ioam::trace;
using t::value_id;

namespace {
std::string g_file;

struct record {
    char node = 0;
    std::string kind;
    std::vector<std::byte> bytes;
};

std::vector<record> load() {
    std::vector<record> out;
    std::ifstream in(g_file);
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream s(line);
        std::string tag, node, kind, hex;
        if (!(s >> tag >> node >> kind >> hex) || tag != "REC") continue;
        record r{node[0], kind, {}};
        for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
            r.bytes.push_back(static_cast<std::byte>(std::stoi(hex.substr(i, 2), nullptr, 16)));
        out.push_back(std::move(r));
    }
    return out;
}

struct node_values {
    unsigned hop_limit;
    std::uint32_t node_id;
    std::uint32_t ns_data;
};
const std::map<char, node_values> expected = {
    {'A', {64, 1, 0xa1a1a1a1}},
    {'B', {63, 2, 0xb2b2b2b2}},
    {'C', {62, 3, 0xc3c3c3c3}},
};
}  // namespace

TEST(Recorded, FileHasBothKindsFromEveryNode) {
    const auto recs = load();
    ASSERT_FALSE(recs.empty()) << "no REC lines in " << g_file;
    std::map<std::string, int> n;
    for (const auto& r : recs) ++n[std::string(1, r.node) + r.kind];
    EXPECT_GE(n["Adex"], 1);
    EXPECT_GE(n["Bdex"], 1);
    EXPECT_GE(n["Cdex"], 1);
    EXPECT_GE(n["Btrace"], 1);
    EXPECT_GE(n["Ctrace"], 1);
}

// DEX route type 0xfef002 (bits 0-6, 8-11, 22), flow id and sequence number.
TEST(Recorded, DexEventsOfTheSeries) {
    for (const auto& r : load()) {
        if (r.kind != "dex") continue;
        SCOPED_TRACE(std::string("node ") + r.node);
        auto m = nl::message_reader(r.bytes).next();
        ASSERT_TRUE(m);
        auto ev = nl::decode_event(*m);
        ASSERT_TRUE(ev) << static_cast<int>(ev.code());
        ASSERT_EQ(ev->type, nl::ioam6::event_type::dex);
        const auto& d = ev->dex;
        EXPECT_EQ(d.shape, nl::dex_shape::node_data);
        EXPECT_EQ(ev->skipped, 0);
        EXPECT_EQ(d.namespace_id, 123);
        EXPECT_EQ(d.trace_type(), 0xfef002U);
        EXPECT_TRUE(d.flow_id);
        EXPECT_TRUE(d.seq_num);
        const auto& x = expected.at(r.node);
        EXPECT_EQ(d.get<value_id::hop_limit>(), x.hop_limit);
        EXPECT_EQ(d.get<value_id::node_id>(), x.node_id);
        EXPECT_EQ(d.get<value_id::namespace_data>(), x.ns_data);
        EXPECT_EQ(d.get<value_id::hop_limit_wide>(), x.hop_limit);
        EXPECT_EQ(d.get<value_id::transit_delay>(), 0xffffffffU);
        EXPECT_EQ(d.get<value_id::buffer_occupancy>(), 0xffffffffU);
        auto o = d.opaque();
        ASSERT_TRUE(o);
        if (r.node == 'B') {
            EXPECT_EQ(d.get<value_id::ingress_id>(), 21U);
            EXPECT_EQ(d.get<value_id::egress_id>(), 22U);
            EXPECT_EQ(o->schema_id, 7U);
            ASSERT_EQ(o->data.size(), 8U);
            EXPECT_EQ(o->data[0], std::byte{1});
            EXPECT_EQ(o->data[7], std::byte{8});
        } else {
            EXPECT_EQ(o->schema_id, t::no_schema);
            EXPECT_TRUE(o->data.empty());
        }
        if (r.node == 'A') {  // locally generated: no ingress, no timestamp
            EXPECT_EQ(d.get<value_id::ingress_id>(), 0xffffU);
            EXPECT_EQ(d.get<value_id::timestamp_seconds>(), 0xffffffffU);
        }
    }
}

// Pre-allocated Trace type 0xf00002 (bits 0-3, 22): B's event has B's and
// A's nodes, C's has C's, B's and A's, the emitting node first.
TEST(Recorded, TraceEventsOfTheSeries) {
    for (const auto& r : load()) {
        if (r.kind != "trace") continue;
        SCOPED_TRACE(std::string("node ") + r.node);
        auto m = nl::message_reader(r.bytes).next();
        ASSERT_TRUE(m);
        auto ev = nl::decode_event(*m);
        ASSERT_TRUE(ev) << static_cast<int>(ev.code());
        ASSERT_EQ(ev->type, nl::ioam6::event_type::trace);
        EXPECT_EQ(ev->trace.namespace_id, 123);
        EXPECT_EQ(ev->trace.trace_type(), 0xf00002U);
        auto nodes = ev->trace.nodes();
        ASSERT_TRUE(nodes) << static_cast<int>(nodes.code());
        const std::size_t want = r.node == 'B' ? 2 : 3;
        EXPECT_EQ(nodes->size(), want);
        const char order[] = {r.node, static_cast<char>(r.node - 1), static_cast<char>(r.node - 2)};
        for (std::size_t i = 0; i < nodes->size() && i < want; ++i) {
            const auto& x = expected.at(order[i]);
            EXPECT_EQ((*nodes)[i].get<value_id::hop_limit>(), x.hop_limit);
            EXPECT_EQ((*nodes)[i].get<value_id::node_id>(), x.node_id);
        }
    }
}

int main(int argc, char** argv) {
    ::testing::InitGoogleTest(&argc, argv);
    if (argc < 2) {
        std::fprintf(stderr, "usage: netlink_recorded FILE\n");
        return 2;
    }
    g_file = argv[1];
    return RUN_ALL_TESTS();
}
