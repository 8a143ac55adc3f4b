// Tests include/ioam/export/session.hpp, layout.hpp and layouts.hpp: a third
// layout whose input is not a kernel event (a flow, as the flow exporter's
// will be) is one struct and goes through the same session; flush timing,
// template refresh over datagrams only, restart of a transport session, the
// statistics record, failed sends, no allocation per input; and trace type
// bit 23 kept by both event layouts (issue 10, item 7).
#if defined(__GNUC__) && !defined(__clang__)
// The replacement operator new below uses malloc; g++ 12 sees its inlined
// delete as a mismatch (it is not: both are replaced together).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
#include "events.hpp"
#include "export_sink.hpp"

#include "ioam/export/decode.hpp"
#include "ioam/export/layout.hpp"
#include "ioam/export/layouts.hpp"
#include "ioam/export/pen10383_layout.hpp"
#include "ioam/export/rawexport.hpp"
#include "ioam/export/rawexport_layout.hpp"
#include "ioam/export/session.hpp"
#include "ioam/export/stats.hpp"
#include "ioam/ipfix/iana.hpp"
#include "ioam/ipfix/message.hpp"
#include "ioam/ipfix/template_cache.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <map>
#include <new>
#include <vector>

namespace x = ioam::exporting;
namespace ipfix = ioam::ipfix;
namespace t = ioam::trace;

// Counts allocations (the no-allocation test).
namespace {
std::atomic<std::uint64_t> g_allocations{0};
}
void* operator new(std::size_t n) {
    ++g_allocations;
    if (void* p = std::malloc(n ? n : 1)) return p;
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace {

/// A third layout, in the shape the flow exporter's will have: the input is
/// a plain struct, the shape its protocol, records of IANA elements.
struct flow {
    std::uint8_t protocol = 6;
    std::uint64_t octets = 0;
    std::uint16_t port = 0;  ///< exported for TCP and UDP only
};
struct flow_decoded {
    std::uint64_t octets = 0;
    std::optional<std::uint16_t> port;
    std::size_t fields = 0;
};
struct flow_layout {
    using input = flow;
    struct shape {
        bool port = false;
        friend constexpr bool operator==(const shape&, const shape&) = default;
    };
    using decoded = flow_decoded;
    static constexpr std::string_view name = "test-flow";
    static constexpr std::size_t max_record_size = 8 + 1 + 2;
    static constexpr std::size_t max_template_record_size = 4 + 3 * 4;
    std::uint64_t flows = 0;

    template <class Out>
    ioam::result<void> encode(const flow& f, const x::input_context&, Out& out) {
        if (f.protocol == 0) return ioam::error{ioam::errc::bad_message, 0};
        ++flows;
        const shape s{f.protocol == 6 || f.protocol == 17};
        (void)out(s, [&](ioam::byte_writer& w) -> ioam::result<void> {
            w.put_be64(f.octets);
            w.put_u8(f.protocol);
            if (s.port) w.put_be16(f.port);
            return w.status();
        });
        return {};
    }
    static ioam::result<void> encode_template(std::uint16_t id, const shape& s, ioam::byte_writer& w) {
        w.put_be16(id);
        w.put_be16(s.port ? 3 : 2);
        for (const std::uint16_t ie : {1, 4, 7}) {
            if (ie == 7 && !s.port) break;
            w.put_be16(ie);
            w.put_be16(ie == 1 ? 8 : ie == 4 ? 1 : 2);
        }
        return w.status();
    }
    static std::size_t min_record_size(const shape& s) { return s.port ? 11 : 9; }
    static decoded decode(const ipfix::dynamic_record& r) {
        decoded d;
        r.for_each_field([&](const ipfix::field_view& f) {
            ++d.fields;
            std::uint64_t u = 0;
            if (f.spec->id == 1 && f.to_u64(u)) d.octets = u;
            if (f.spec->id == 7 && f.to_u64(u)) d.port = static_cast<std::uint16_t>(u);
        });
        return d;
    }
};

/// flow_layout with its own template ids: 900 with ports, 700 without.
struct named_flow_layout : flow_layout {
    static constexpr std::uint16_t template_id(const shape& s) { return s.port ? 900 : 700; }
};

static_assert(x::record_layout<x::pen10383_layout>);
static_assert(x::record_layout<x::rawexport_layout>);
static_assert(x::record_layout<flow_layout>);
static_assert(x::names_template_ids<named_flow_layout>);
static_assert(!x::names_template_ids<flow_layout> && !x::names_template_ids<x::pen10383_layout> &&
                  !x::names_template_ids<x::rawexport_layout>,
              "the event layouts keep first-seen numbering");
static_assert(!x::record_layout<flow>, "a struct without the layout's members is no layout");
static_assert(x::message_sink<e2e::sink>);

/// Every data record of the messages, decoded by layout L.
template <class L>
std::vector<typename L::decoded> decode_all(const std::vector<std::vector<std::byte>>& msgs,
                                            std::vector<std::uint32_t>* sequences = nullptr) {
    ipfix::ie_registry reg{x::pen10383::registry()};
    reg.add(x::rawexport::registry());
    reg.add(ipfix::iana_registry);
    ipfix::template_cache cache(std::move(reg));
    std::vector<typename L::decoded> out;
    for (const auto& m : msgs) {
        auto v = ipfix::parse_message(m);
        EXPECT_TRUE(v);
        if (!v) continue;
        if (sequences) sequences->push_back(v->sequence());
        const auto sum = cache.process(1, *v, 0, [&](const ipfix::dynamic_record& r) {
            if (!r.templ().is_options()) out.push_back(L::decode(r));
        });
        EXPECT_EQ(sum.skipped_sets, 0U);
    }
    return out;
}

std::size_t count_templates(const std::vector<std::vector<std::byte>>& msgs) {
    std::size_t n = 0;
    for (const auto& m : msgs)
        for (const auto s : ipfix::parse_message(m).value().sets())
            if (s.is_template_set() || s.is_options_template_set())
                for (const auto tr : ipfix::parse_template_set(s).value()) n += tr.is_withdrawal() ? 0 : 1;
    return n;
}

/// (id, withdrawal) of every template record, in order.
std::vector<std::pair<std::uint16_t, bool>> template_ids(const std::vector<std::vector<std::byte>>& msgs) {
    std::vector<std::pair<std::uint16_t, bool>> ids;
    for (const auto& m : msgs)
        for (const auto s : ipfix::parse_message(m).value().sets())
            if (s.is_template_set())
                for (const auto tr : ipfix::parse_template_set(s).value()) ids.emplace_back(tr.id(), tr.is_withdrawal());
    return ids;
}

/// Data set ids (template ids of records) of every data set, in order.
std::vector<std::uint16_t> data_set_ids(const std::vector<std::vector<std::byte>>& msgs) {
    std::vector<std::uint16_t> ids;
    for (const auto& m : msgs)
        for (const auto s : ipfix::parse_message(m).value().sets())
            if (s.id() >= 256) ids.push_back(s.id());
    return ids;
}

}  // namespace

TEST(Session, LayoutsCanNameTheirTemplateIds) {
    using P = std::pair<std::uint16_t, bool>;
    // First-seen order would give the ICMP shape 256 and the TCP shape 257.
    e2e::sink s;
    s.over = ipfix::transport::tcp;
    e2e::session<named_flow_layout> ss(s, e2e::options(1472));
    ASSERT_TRUE(ss.add({1, 64, 0}));
    ASSERT_TRUE(ss.add({6, 1000, 443}));
    ss.flush();
    EXPECT_EQ(template_ids(s.messages), (std::vector<P>{{700, false}, {900, false}}));
    EXPECT_EQ(data_set_ids(s.messages), (std::vector<std::uint16_t>{700, 900}));
    // A new transport session keeps the ids; the templates go out again.
    (void)ss.restart();
    s.messages.clear();
    ASSERT_TRUE(ss.add({17, 5, 53}));
    ss.flush();
    EXPECT_EQ(template_ids(s.messages), (std::vector<P>{{900, false}}));
    const auto d = decode_all<named_flow_layout>(s.messages);
    ASSERT_EQ(d.size(), 1U);
    EXPECT_EQ(d[0].port, 53);

    // The unnamed layout, same inputs: first-seen numbering from first_template_id.
    e2e::sink u;
    e2e::session<flow_layout> us(u, e2e::options(1472));
    ASSERT_TRUE(us.add({1, 64, 0}));
    ASSERT_TRUE(us.add({6, 1000, 443}));
    us.flush();
    EXPECT_EQ(template_ids(u.messages), (std::vector<P>{{256, false}, {257, false}}));
}

TEST(Session, NamedIdsAreWithdrawnWhenTheirSlotIsReused) {
    using P = std::pair<std::uint16_t, bool>;
    // A table of one template over a stream: each new shape evicts the other,
    // whose (named) id is withdrawn before the new one is defined.
    e2e::sink s;
    s.over = ipfix::transport::tcp;
    x::session<named_flow_layout, e2e::sink, 1> ss(s, e2e::options(1472));
    ASSERT_TRUE(ss.add({6, 1, 1}));
    ASSERT_TRUE(ss.add({1, 2, 0}));
    ASSERT_TRUE(ss.add({6, 3, 3}));
    ss.flush();
    EXPECT_EQ(template_ids(s.messages),
              (std::vector<P>{{900, false}, {900, true}, {700, false}, {700, true}, {900, false}}));
    EXPECT_EQ(data_set_ids(s.messages), (std::vector<std::uint16_t>{900, 700, 900}));
    EXPECT_EQ(ss.counters().withdrawals, 2U);
    const auto d = decode_all<named_flow_layout>(s.messages);
    ASSERT_EQ(d.size(), 3U);
    EXPECT_EQ(d[1].octets, 2U);
    EXPECT_EQ(d[2].port, 3);
}

TEST(Session, AThirdLayoutIsOneStruct) {
    e2e::sink s;
    e2e::session<flow_layout> ss(s, e2e::options(1472));
    ASSERT_TRUE(ss.add({6, 1000, 443}));
    ASSERT_TRUE(ss.add({1, 64, 0}));   // ICMP: no port, another template
    ASSERT_TRUE(ss.add({17, 512, 53}));
    EXPECT_FALSE(ss.add({0, 1, 1})) << "the layout rejects protocol 0";
    ss.flush();
    EXPECT_EQ(ss.counters().inputs, 3U);
    EXPECT_EQ(ss.counters().malformed, 1U);
    EXPECT_EQ(ss.counters().templates, 2U);
    EXPECT_EQ(ss.layout().flows, 3U);
    const auto d = decode_all<flow_layout>(s.messages);
    ASSERT_EQ(d.size(), 3U);
    EXPECT_EQ(d[0].octets, 1000U);
    EXPECT_EQ(d[0].port, 443);
    EXPECT_EQ(d[1].octets, 64U);
    EXPECT_FALSE(d[1].port);
    EXPECT_EQ(d[1].fields, 2U);
    EXPECT_EQ(d[2].port, 53);
}

TEST(Session, FlushTimingFollowsTheClock) {
    e2e::sink s;
    auto o = e2e::options(1472);
    o.flush_ms = 50;
    e2e::session<flow_layout> ss(s, o);
    ss.tick({1000, 1700000000});
    EXPECT_EQ(ss.next_deadline(), 1000 + o.refresh_ms) << "only the refresh is due";
    ASSERT_TRUE(ss.add({6, 1, 1}));
    EXPECT_TRUE(ss.pending());
    EXPECT_EQ(ss.next_deadline(), 1050U);
    ss.tick({1049, 1700000000});
    EXPECT_TRUE(s.messages.empty()) << "not before flush_ms";
    ss.tick({1050, 1700000001});
    ASSERT_EQ(s.messages.size(), 1U);
    EXPECT_FALSE(ss.pending());
    const auto m = ipfix::parse_message(s.messages[0]).value();
    EXPECT_EQ(m.export_time(), 1700000001U) << "the export time is the clock's";
    EXPECT_EQ(ss.counters().messages, 1U);
    EXPECT_EQ(ss.counters().octets, s.messages[0].size());
}

TEST(Session, TemplatesAreRefreshedOverDatagramsOnly) {
    for (const auto over : {ipfix::transport::udp, ipfix::transport::tcp, ipfix::transport::file}) {
        SCOPED_TRACE(static_cast<int>(over));
        e2e::sink s;
        s.over = over;
        auto o = e2e::options(1472);
        o.refresh_ms = 10000;
        e2e::session<flow_layout> ss(s, o);
        ss.tick({0, 0});
        ASSERT_TRUE(ss.add({6, 1, 1}));
        ASSERT_TRUE(ss.add({1, 1, 0}));
        ss.tick({9999, 0});
        EXPECT_EQ(ss.counters().templates, 2U);
        ss.tick({10000, 0});
        ss.flush();
        const std::size_t want = over == ipfix::transport::udp ? 4 : 2;
        EXPECT_EQ(ss.counters().templates, want);
        EXPECT_EQ(count_templates(s.messages), want);
        EXPECT_EQ(decode_all<flow_layout>(s.messages).size(), 2U);
    }
}

TEST(Session, RestartIsANewTransportSession) {
    e2e::sink s;
    s.over = ipfix::transport::tcp;
    e2e::session<flow_layout> ss(s, e2e::options(1472));
    ASSERT_TRUE(ss.add({6, 1, 1}));
    ss.flush();
    ASSERT_TRUE(ss.add({6, 2, 2}));
    ASSERT_TRUE(ss.add({6, 3, 3}));
    EXPECT_EQ(ss.restart(), 2U) << "the unfinished message's records are reported lost";
    ASSERT_TRUE(ss.add({6, 4, 4}));
    ss.flush();
    std::vector<std::uint32_t> seq;
    ASSERT_EQ(s.messages.size(), 2U);
    // Each message must carry its own template: decode them as two streams.
    const auto a = decode_all<flow_layout>({s.messages[0]}, &seq);
    const auto b = decode_all<flow_layout>({s.messages[1]}, &seq);
    ASSERT_EQ(a.size(), 1U);
    ASSERT_EQ(b.size(), 1U);
    EXPECT_EQ(b[0].octets, 4U);
    EXPECT_EQ(seq, (std::vector<std::uint32_t>{0, 0})) << "sequence numbers from 0 again";
}

TEST(Session, StatisticsRecordWithItsTemplateOnce) {
    e2e::sink s;
    e2e::session<flow_layout> ss(s, e2e::options(1472));
    x::exporter_stats v;
    v.process_id = 4711;
    v.records = 5;
    ASSERT_TRUE(ss.add_stats(v));
    ASSERT_TRUE(ss.add_stats(v));
    ss.refresh_templates();
    ASSERT_TRUE(ss.add_stats(v));
    ASSERT_EQ(s.messages.size(), 3U) << "each statistics record is flushed at once";
    EXPECT_EQ(count_templates(s.messages), 2U) << "first, and after the refresh";
    std::size_t stats = 0;
    ipfix::template_cache cache(ipfix::ie_registry{ipfix::iana_registry});
    for (const auto& m : s.messages)
        (void)cache.process(1, ipfix::parse_message(m).value(), 0, [&](const ipfix::dynamic_record& r) {
            std::uint64_t u = 0;
            ASSERT_TRUE(r.find(ipfix::ie::exportingProcessId::info.id).to_u64(u));
            EXPECT_EQ(u, 4711U);
            ++stats;
        });
    EXPECT_EQ(stats, 3U);
}

// The statistics templates' ids 4000 and 4001 are never a data template's,
// whatever the first id: the table skips them. (Were 4000 a data template,
// the statistics options template would replace it at the collector and the
// next data record under 4000 would be read as statistics.)
TEST(Session, StatisticsIdsAreNeverDataTemplateIds) {
    const auto ids = [](std::uint16_t first) {
        x::template_table<int, 4> tt(first);
        std::vector<std::uint16_t> v;
        decltype(tt)::found how{};
        bool withdraw = false;
        for (int shape = 1; shape <= 4; ++shape) v.push_back(tt.lookup(shape, how, withdraw).id);
        return v;
    };
    EXPECT_EQ(ids(3998), (std::vector<std::uint16_t>{3998, 3999, 4002, 4003}));
    EXPECT_EQ(ids(4000), (std::vector<std::uint16_t>{4002, 4003, 4004, 4005}));
    EXPECT_EQ(ids(4001), (std::vector<std::uint16_t>{4002, 4003, 4004, 4005}));
    EXPECT_EQ(ids(65534), (std::vector<std::uint16_t>{65534, 65535, 256, 257}));

    // Through a session: two shapes from 3999, the statistics, the second shape again.
    e2e::sink s;
    e2e::session<flow_layout> ss(s, e2e::options(1472, 3999));
    ASSERT_TRUE(ss.add({1, 10, 0}));
    ASSERT_TRUE(ss.add({6, 20, 80}));
    x::exporter_stats v;
    v.process_id = 4711;
    ASSERT_TRUE(ss.add_stats(v));
    ASSERT_TRUE(ss.add({6, 30, 443}));
    ss.flush();
    EXPECT_EQ(template_ids(s.messages), (std::vector<std::pair<std::uint16_t, bool>>{{3999, false}, {4002, false}}));
    EXPECT_EQ(data_set_ids(s.messages), (std::vector<std::uint16_t>{3999, 4002, 4000, 4002}));
    const auto got = decode_all<flow_layout>(s.messages);
    ASSERT_EQ(got.size(), 3U) << "every data record decodes as data";
    EXPECT_EQ(got[2].octets, 30U);
    EXPECT_EQ(got[2].port, std::optional<std::uint16_t>{443});
}

TEST(Session, FailedSendsAreCounted) {
    struct failing {
        bool send(ioam::bytes_view, std::uint32_t) { return false; }
        [[nodiscard]] ipfix::transport transport() const { return ipfix::transport::udp; }
    } sink;
    x::session<flow_layout, failing> ss(sink, e2e::options(1472));
    ASSERT_TRUE(ss.add({6, 1, 1}));
    ASSERT_TRUE(ss.add({6, 1, 1}));
    ss.flush();
    EXPECT_EQ(ss.counters().messages, 0U);
    EXPECT_EQ(ss.counters().messages_not_sent, 1U);
    EXPECT_EQ(ss.counters().records_not_sent, 2U);
    EXPECT_GT(ss.counters().octets_not_sent, 16U);
}

TEST(Session, NoAllocationPerInput) {
    const auto traces = e2e::standard_traces();
    std::vector<std::vector<std::byte>> msgs;
    std::vector<ioam::netlink::event> events;
    for (const auto& in : traces) msgs.push_back(e2e::trace_message(in));
    for (const auto& m : msgs) events.push_back(e2e::decode(m));
    struct counting {
        std::uint64_t bytes = 0;
        bool send(ioam::bytes_view m, std::uint32_t) {
            bytes += m.size();
            return true;
        }
        [[nodiscard]] ipfix::transport transport() const { return ipfix::transport::tcp; }
    } sink;
    auto pen = std::make_unique<x::session<x::pen10383_layout, counting, 2>>(sink, e2e::options(512));
    auto raw = std::make_unique<x::session<x::rawexport_layout, counting>>(sink, e2e::options(512));
    const std::uint64_t before = g_allocations;
    for (int round = 0; round < 50; ++round)
        for (const auto& ev : events) {
            pen->tick({static_cast<std::uint64_t>(round) * 100, 0});
            ASSERT_TRUE(pen->add(ev));
            ASSERT_TRUE(raw->add(ev, 1));
        }
    pen->flush();
    raw->flush();
    EXPECT_EQ(g_allocations.load(), before);
    EXPECT_GT(pen->counters().evictions, 0U) << "evictions and withdrawals were exercised too";
    EXPECT_GT(sink.bytes, 0U);
}

// Issue 10 item 7: the trace type is exported as the packet carries it,
// reserved bit 23 included (type 0x800001 was exported as 0x800000).
TEST(Session, TraceTypeKeepsReservedBit23) {
    e2e::trace_input in{"bit 23", 9, 0x800001, {e2e::make_node(0, std::nullopt, 0), e2e::make_node(1, std::nullopt, 0)}};
    const auto msg = e2e::trace_message(in);
    const auto ev = e2e::decode(msg);
    ASSERT_EQ(ev.trace.trace_type(), 0x800001U);
    {
        e2e::sink s;
        e2e::session<> ss(s, e2e::options(1472));
        ASSERT_TRUE(ss.add(ev));
        ss.flush();
        const auto d = decode_all<x::pen10383_layout>(s.messages);
        ASSERT_EQ(d.size(), 2U);
        for (const auto& r : d) EXPECT_EQ(r.trace_type, 0x800001U);
        EXPECT_EQ(d[1].node_index, 1);
        EXPECT_EQ(d[1].value(t::value_id::hop_limit), 63U) << "bit 0's value still decodes";
    }
    {
        e2e::sink s;
        e2e::session<x::rawexport_layout> ss(s, e2e::options(1472));
        ASSERT_TRUE(ss.add(ev, 5));
        ss.flush();
        const auto d = decode_all<x::rawexport_layout>(s.messages);
        ASSERT_EQ(d.size(), 1U);
        ASSERT_TRUE(d[0].option_type);
        auto o = x::rawexport::decode_option(*d[0].option_type, d[0].data);
        ASSERT_TRUE(o);
        EXPECT_EQ(o->trace.header.type, 0x800001U);
        std::size_t nodes = 0;
        x::rawexport::for_each_node(*o, [&](const x::decoded_record& r) {
            EXPECT_EQ(r.trace_type, 0x800001U) << "the collector's decoding keeps it too";
            ++nodes;
        });
        EXPECT_EQ(nodes, 2U);
    }
}

// A sink_ref copied (into a session, a container) still sends to the sink,
// not to the copy it was made from.
TEST(Session, SinkRefCopiesReferToTheSink) {
    e2e::sink s;
    auto make = [&] {
        x::sink_ref r(s);
        return r;  // the temporary dies here
    };
    x::sink_ref copy = make();
    x::session<flow_layout, x::sink_ref> ss(copy, e2e::options(1472));
    ASSERT_TRUE(ss.add({6, 1, 1}));
    ss.flush();
    EXPECT_EQ(s.messages.size(), 1U);
    EXPECT_EQ(copy.transport(), ipfix::transport::udp);
}

// pen10383_layout copies a node's octets for the values of bits 0-11 instead
// of walking the fields: for every combination of those bits (with and
// without undefined bits 12-21, node 0 and node 1), the record must be the
// one encode_node_record writes field by field.
TEST(Session, Pen10383FastPathEqualsTheFieldWalk) {
    struct last {
        std::vector<std::byte> message;
        bool send(ioam::bytes_view m, std::uint32_t) {
            message.assign(m.begin(), m.end());
            return true;
        }
        [[nodiscard]] ipfix::transport transport() const { return ipfix::transport::udp; }
    } sink;
    auto ss = std::make_unique<x::session<x::pen10383_layout, last>>(sink, e2e::options(1472));
    std::size_t checked = 0;
    for (std::uint32_t bits = 1; bits < 4096; ++bits)
        for (const std::uint32_t extra : {0U, 0x000ffcU, 0x000001U}) {
            const std::uint32_t type = bits << 12 | extra;
            e2e::trace_input in{"t", 3, type, {e2e::make_node(0, std::nullopt, 0), e2e::make_node(1, std::nullopt, 0)}};
            const auto msg = e2e::trace_message(in);
            const auto ev = e2e::decode(msg);
            ASSERT_TRUE(ss->add(ev));
            ss->flush();
            const auto nodes = ev.trace.nodes(t::type_policy::lenient).value();
            const x::record_shape s = x::shape_of(ev.trace, nodes.size());
            for (std::uint8_t i = 0; i < 2; ++i) {
                std::array<std::byte, x::max_record_size> buf{};
                ioam::byte_writer w(buf);
                const t::node_view n = nodes[i];
                ASSERT_TRUE(x::encode_node_record(s, {static_cast<std::uint32_t>(ss->counters().inputs), 3, i, 2, {}, {}},
                                                  &n, w));
                const auto rec = w.written();
                ASSERT_NE(std::search(sink.message.begin(), sink.message.end(), rec.begin(), rec.end()), sink.message.end())
                    << std::hex << "type 0x" << type << " node " << int{i};
                ++checked;
            }
        }
    EXPECT_EQ(checked, 4095U * 3 * 2);
}

// count_fixed_nodes (the PEN 10383 layout's check of a trace without a
// snapshot) against check_event's node list: the same count or the same
// error (code and offset), for every node length and data size up to
// 1,100 octets (past 255 nodes of 4 octets).
TEST(Session, FixedNodeCountEqualsTheNodeList) {
    std::vector<std::byte> data(1100);
    std::size_t counts = 0;
    std::map<ioam::errc, std::size_t> errors;
    for (const std::uint32_t type : {0x800000U, 0xc00000U, 0xf00000U, 0xfff000U, 0x000000U, 0x001000U}) {
        for (unsigned node_len = 0; node_len < 20; ++node_len) {
            for (std::size_t size = 0; size <= data.size(); ++size) {
                ioam::netlink::event ev;
                ev.type = ioam::netlink::ioam6::event_type::trace;
                ev.trace.node_len = static_cast<std::uint8_t>(node_len);
                ev.trace.type_word = type << 8;
                ev.trace.data = ioam::bytes_view(data).first(size);
                ev.trace.data_offset = 40;
                x::shape_cache cache;
                const auto listed = x::check_event(ev, t::type_policy::lenient, cache);
                const auto shape = x::check_trace_shape(ev.trace, t::type_policy::lenient, cache);
                if (!shape) {
                    ASSERT_FALSE(listed);
                    ASSERT_EQ(shape.error(), listed.error());
                    ++errors[shape.code()];
                    continue;
                }
                ASSERT_FALSE((*shape)->opaque);
                const auto counted = x::count_fixed_nodes(**shape, ev.trace);
                ASSERT_EQ(counted.has_value(), listed.has_value()) << type << " " << node_len << " " << size;
                if (counted) {
                    ASSERT_EQ(*counted, listed->size());
                    ++counts;
                } else {
                    ASSERT_EQ(counted.error(), listed.error()) << type << " " << node_len << " " << size;
                    ++errors[counted.code()];
                }
            }
        }
    }
    // Both outcomes, and each kind of error, were compared.
    EXPECT_GT(counts, 500U);
    EXPECT_GT(errors[ioam::errc::truncated], 1000U);
    EXPECT_GT(errors[ioam::errc::value_out_of_range], 10U);
    EXPECT_GT(errors[ioam::errc::bad_node_len], 1000U);  // NodeLen against the type
}
