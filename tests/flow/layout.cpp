// ioam/export/flow.hpp: which template a flow goes into in each layout,
// templates sent once and again after refresh(), records that the run-time
// decoder reads back with every value, and a full message handed to flush.
#include "ioam/export/flow.hpp"
#include "ioam/ipfix/template_cache.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace {
using namespace ioam;
using namespace ioam::ipfix;
namespace fl = ioam::exporting::flow;

fl::flow_record sample(std::uint8_t version, std::uint8_t proto, fl::direction d) {
    fl::flow_record r;
    r.ip_version = version;
    r.protocol = proto;
    r.dir = d;
    for (std::size_t i = 0; i < 16; ++i) {
        r.src[i] = std::byte(version == 4 && i >= 4 ? 0 : 0x10 + i);
        r.dst[i] = std::byte(version == 4 && i >= 4 ? 0 : 0x80 + i);
    }
    if (proto == fl::proto_icmp || proto == fl::proto_icmpv6) r.icmp_type_code = 0x0803;
    else {
        r.src_port = 40000;
        r.dst_port = 443;
    }
    r.octets = 123456789012ULL;
    r.packets = 98765;
    r.tcp_flags = proto == fl::proto_tcp ? 0x1b : 0;
    r.tos = 0xb9;  // DSCP 46, ECN 1
    r.min_ttl = 3;
    r.max_ttl = 64;
    r.ingress_if = 7;
    r.egress_if = 9;
    r.start_ms = 1796000000123ULL;
    r.end_ms = 1796000009876ULL;
    r.start_uptime_ms = 4000000000U;
    r.end_uptime_ms = 4000009753U;
    r.flow_id = 0x0102030405060708ULL;
    r.reason = fl::end_reason::lack_of_resources;
    return r;
}

TEST(FlowLayout, TemplateChoice) {
    using fl::direction;
    using fl::layout;
    EXPECT_EQ(fl::template_index(layout::standard, sample(4, 17, direction::ingress)), 0u);
    EXPECT_EQ(fl::template_index(layout::standard, sample(6, 132, direction::egress)), 1u);
    EXPECT_EQ(fl::template_index(layout::seed, sample(4, 6, direction::ingress)), 2u);   // 256 TCP ingress
    EXPECT_EQ(fl::template_index(layout::seed, sample(4, 6, direction::egress)), 3u);    // 257 TCP egress
    EXPECT_EQ(fl::template_index(layout::seed, sample(4, 1, direction::ingress)), 4u);   // 258 ICMP ingress
    EXPECT_EQ(fl::template_index(layout::seed, sample(4, 1, direction::egress)), 5u);    // 259 ICMP egress
    EXPECT_FALSE(fl::template_index(layout::seed, sample(4, 17, direction::egress)));
    EXPECT_FALSE(fl::template_index(layout::seed, sample(6, 6, direction::egress)));
    EXPECT_FALSE(fl::template_index(layout::seed, sample(6, 58, direction::egress)));
}

// Writes `recs` through a flow_writer into messages of `capacity` octets and
// decodes every message with the run-time template cache.
std::vector<std::vector<std::byte>> write_all(fl::flow_writer& fw, const std::vector<fl::flow_record>& recs,
                                              std::size_t capacity) {
    std::vector<std::vector<std::byte>> out;
    std::array<std::byte, 65535> buf{};
    message_writer w(buf, 42, 0, writer_options{capacity, transport::udp, 0, {}});
    const auto flush = [&](message_writer& m) {
        const auto bytes = m.finish(1796000010);
        out.emplace_back(bytes.begin(), bytes.end());
        m.reset();
    };
    for (const auto& r : recs) EXPECT_TRUE(fw.add(w, r, flush));
    if (!w.empty()) flush(w);
    return out;
}

TEST(FlowLayout, StandardRoundTrip) {
    fl::flow_writer fw(fl::layout::standard);
    std::vector<fl::flow_record> recs{sample(4, 6, fl::direction::egress), sample(6, 58, fl::direction::ingress),
                                      sample(6, 17, fl::direction::egress), sample(4, 1, fl::direction::ingress)};
    const auto msgs = write_all(fw, recs, 1472);
    ASSERT_EQ(msgs.size(), 1u);
    EXPECT_EQ(fw.records(), 4u);
    EXPECT_EQ(fw.skipped(), 0u);
    template_cache c(ie_registry{iana_registry});
    auto p = parse_message(msgs[0]);
    ASSERT_TRUE(p);
    std::size_t i = 0;
    const auto sum = c.process(1, *p, 0, [&](const dynamic_record& d) {
        const auto& r = recs[i++];
        std::uint64_t u = 0;
        EXPECT_TRUE(d.get<ie::octetDeltaCount>(u));
        EXPECT_EQ(u, r.octets);
        EXPECT_TRUE(d.get<ie::packetDeltaCount>(u));
        EXPECT_EQ(u, r.packets);
        EXPECT_EQ(d.find(ie::flowStartMilliseconds::info.id).as<data_type::dateTimeMilliseconds>().milliseconds,
                  r.start_ms);
        EXPECT_EQ(d.find(ie::flowEndMilliseconds::info.id).as<data_type::dateTimeMilliseconds>().milliseconds,
                  r.end_ms);
        EXPECT_TRUE(d.find(ie::flowEndReason::info.id).to_u64(u));
        EXPECT_EQ(u, 5u);
        EXPECT_TRUE(d.find(ie::ipDiffServCodePoint::info.id).to_u64(u));
        EXPECT_EQ(u, 46u);
        EXPECT_TRUE(d.find(ie::ipClassOfService::info.id).to_u64(u));
        EXPECT_EQ(u, 0xb9u);
        EXPECT_TRUE(d.find(ie::egressInterface::info.id).to_u64(u));
        EXPECT_EQ(u, 9u);
        EXPECT_TRUE(d.find(ie::flowDirection::info.id).to_u64(u));
        EXPECT_EQ(u, static_cast<std::uint64_t>(r.dir));
        EXPECT_TRUE(d.find(ie::flowId::info.id).to_u64(u));
        EXPECT_EQ(u, r.flow_id);
        if (r.ip_version == 4) {
            ipv4_address a;
            EXPECT_TRUE(d.get<ie::sourceIPv4Address>(a));
            EXPECT_EQ(a.bytes[0], std::byte{0x10});
            EXPECT_EQ(a.bytes[3], std::byte{0x13});
            EXPECT_TRUE(d.find(ie::icmpTypeCodeIPv4::info.id).to_u64(u));
        } else {
            ipv6_address a;
            EXPECT_TRUE(d.get<ie::destinationIPv6Address>(a));
            EXPECT_EQ(a.bytes[15], std::byte{0x8f});
            EXPECT_TRUE(d.find(ie::icmpTypeCodeIPv6::info.id).to_u64(u));
        }
        EXPECT_EQ(u, r.icmp_type_code);
        EXPECT_TRUE(d.find(ie::destinationTransportPort::info.id).to_u64(u));
        EXPECT_EQ(u, r.dst_port);
    });
    EXPECT_EQ(sum.records, recs.size());
    EXPECT_EQ(sum.first_error.code, errc::ok);
}

TEST(FlowLayout, SeedRecordsAreSixtyOctetsAndSkipOthers) {
    fl::flow_writer fw(fl::layout::seed);
    std::vector<fl::flow_record> recs{sample(4, 6, fl::direction::ingress), sample(4, 1, fl::direction::egress),
                                      sample(4, 17, fl::direction::egress), sample(6, 6, fl::direction::egress)};
    const auto msgs = write_all(fw, recs, 1472);
    ASSERT_EQ(msgs.size(), 1u);
    EXPECT_EQ(fw.records(), 2u);
    EXPECT_EQ(fw.skipped(), 2u);
    auto p = parse_message(msgs[0]);
    ASSERT_TRUE(p);
    std::vector<std::pair<std::uint16_t, std::size_t>> sets;
    for (const auto s : p->sets()) sets.emplace_back(s.id(), s.body().size());
    // template 256, its record, template 259, its record
    ASSERT_EQ(sets.size(), 4u);
    EXPECT_EQ(sets[1], (std::pair<std::uint16_t, std::size_t>{256, 60}));
    EXPECT_EQ(sets[3], (std::pair<std::uint16_t, std::size_t>{259, 60}));
    template_cache c(ie_registry{iana_registry});
    std::vector<std::uint64_t> l4;
    const auto sum = c.process(1, *p, 0, [&](const dynamic_record& d) {
        std::uint64_t u = 0;
        EXPECT_TRUE(d.find(ie::flowStartSysUpTime::info.id).to_u64(u));
        EXPECT_EQ(u, 4000000000u);
        const auto tcp = d.find(ie::tcpControlBits::info.id);
        EXPECT_TRUE((tcp.spec ? tcp : d.find(ie::icmpTypeCodeIPv4::info.id)).to_u64(u));
        l4.push_back(u);
    });
    EXPECT_EQ(sum.records, 2u);
    EXPECT_EQ(l4, (std::vector<std::uint64_t>{0x1b, 0x0803}));  // type * 256 + code, not type | code
}

TEST(FlowLayout, TemplatesOnceThenAgainAfterRefreshAndFullMessagesFlushed) {
    fl::flow_writer fw(fl::layout::standard);
    std::vector<fl::flow_record> recs(40, sample(4, 17, fl::direction::egress));
    // 300 octets a message: a few records each; the template only in the first.
    auto msgs = write_all(fw, recs, 300);
    ASSERT_GT(msgs.size(), 5u);
    std::size_t templates = 0, records = 0;
    for (const auto& m : msgs) {
        auto p = parse_message(m);
        ASSERT_TRUE(p);
        for (const auto s : p->sets()) {
            if (s.id() == template_set_id) ++templates;
            else records += s.body().size() / fl::ipv4_template::record_size;
        }
    }
    EXPECT_EQ(templates, 1u);
    EXPECT_EQ(records, 40u);
    fw.refresh();
    msgs = write_all(fw, {sample(4, 17, fl::direction::egress)}, 300);
    auto p = parse_message(msgs.at(0));
    ASSERT_TRUE(p);
    EXPECT_EQ((*p->sets().begin()).id(), template_set_id);
}
}  // namespace

// ---- the same records as layouts of the export session (flow_layout.hpp) ----
#include "ioam/export/flow_layout.hpp"
#include "ioam/export/session.hpp"

namespace {
namespace x = ioam::exporting;

struct vector_sink {
    std::vector<std::vector<std::byte>> messages;
    bool send(ioam::bytes_view m, std::uint32_t) {
        messages.emplace_back(m.begin(), m.end());
        return true;
    }
    [[nodiscard]] ioam::ipfix::transport transport() const noexcept { return ioam::ipfix::transport::udp; }
};

template <class L>
std::vector<fl::flow_record> decode_all(const vector_sink& sink, std::vector<std::uint16_t>* ids = nullptr) {
    template_cache c(ie_registry{iana_registry});
    std::vector<fl::flow_record> out;
    for (const auto& m : sink.messages) {
        auto p = parse_message(m);
        EXPECT_TRUE(p);
        if (!p) continue;
        const auto sum = c.process(1, *p, 0, [&](const dynamic_record& d) {
            if (d.templ().is_options()) return;
            out.push_back(L::decode(d));
            if (ids) ids->push_back(d.templ().id());
        });
        EXPECT_EQ(sum.first_error.code, errc::ok);
    }
    return out;
}

bool same(const fl::flow_record& a, const fl::flow_record& b, bool seed) {
    return a.ip_version == b.ip_version && a.protocol == b.protocol && a.dir == b.dir && a.src == b.src &&
           a.dst == b.dst && a.src_port == b.src_port && a.dst_port == b.dst_port && a.octets == b.octets &&
           a.packets == b.packets && a.tos == b.tos && a.min_ttl == b.min_ttl && a.max_ttl == b.max_ttl &&
           a.ingress_if == b.ingress_if && a.egress_if == b.egress_if && a.flow_id == b.flow_id &&
           (seed ? a.start_uptime_ms == b.start_uptime_ms && a.end_uptime_ms == b.end_uptime_ms &&
                       (a.protocol == fl::proto_icmp ? a.icmp_type_code == b.icmp_type_code : a.tcp_flags == b.tcp_flags)
                 : a.start_ms == b.start_ms && a.end_ms == b.end_ms && a.reason == b.reason &&
                       a.icmp_type_code == b.icmp_type_code && a.tcp_flags == b.tcp_flags);
}

TEST(FlowSession, StandardLayoutRoundTripsThroughTheSession) {
    vector_sink sink;
    x::session<x::flow_standard_layout, vector_sink> s(sink, x::session_options{});
    std::vector<fl::flow_record> in{sample(4, 6, fl::direction::egress), sample(6, 58, fl::direction::ingress),
                                    sample(6, 17, fl::direction::egress), sample(4, 1, fl::direction::ingress)};
    for (const auto& r : in) EXPECT_TRUE(s.add(r));
    s.flush();
    EXPECT_EQ(s.counters().records, 4u);
    EXPECT_EQ(s.templates_known(), 2u);  // one per IP version
    const auto out = decode_all<x::flow_standard_layout>(sink);
    ASSERT_EQ(out.size(), in.size());
    for (std::size_t i = 0; i < in.size(); ++i) EXPECT_TRUE(same(in[i], out[i], false)) << "record " << i;
}

TEST(FlowSession, SeedLayoutSixtyOctetsOthersSkipped) {
    vector_sink sink;
    x::session<x::flow_seed_layout, vector_sink> s(sink, x::session_options{});
    std::vector<fl::flow_record> in{sample(4, 6, fl::direction::ingress), sample(4, 1, fl::direction::egress),
                                    sample(4, 17, fl::direction::egress), sample(6, 6, fl::direction::egress),
                                    sample(4, 6, fl::direction::egress), sample(4, 1, fl::direction::ingress)};
    for (const auto& r : in) EXPECT_TRUE(s.add(r));
    s.flush();
    EXPECT_EQ(s.layout().skipped, 2u);
    EXPECT_EQ(s.counters().records, 4u);
    std::vector<std::uint16_t> ids;
    const auto out = decode_all<x::flow_seed_layout>(sink, &ids);
    ASSERT_EQ(out.size(), 4u);
    const std::array<std::size_t, 4> kept{0, 1, 4, 5};
    for (std::size_t i = 0; i < 4; ++i) EXPECT_TRUE(same(in[kept[i]], out[i], true)) << "record " << i;
    // The session numbers templates in first-seen order (not the seed's fixed ids).
    EXPECT_EQ(ids, (std::vector<std::uint16_t>{256, 257, 258, 259}));
    for (const auto& m : sink.messages) {
        auto p = parse_message(m);
        ASSERT_TRUE(p);
        for (const auto set : p->sets()) {
            if (set.is_data_set()) {
                EXPECT_EQ(set.body().size() % 60, 0u);
            }
        }
    }
}

TEST(FlowSession, LayoutsByName) {
    std::vector<std::string_view> names;
    x::flow_layouts::names([&](std::string_view n) { names.push_back(n); });
    EXPECT_EQ(names, (std::vector<std::string_view>{"standard", "seed"}));
    bool found = false;
    EXPECT_TRUE(x::flow_layouts::with("seed", [&]<class L>(std::type_identity<L>) {
        found = std::is_same_v<L, x::flow_seed_layout>;
    }));
    EXPECT_TRUE(found);
    EXPECT_FALSE(x::flow_layouts::with("nope", [](auto) {}));
}
}  // namespace
