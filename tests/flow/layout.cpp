// ioam/export/flow.hpp and flow_layout.hpp: which template a flow goes into
// in each layout, and records through the export session that the run-time
// decoder reads back with every value; 60-octet seed records; flows the seed
// layout has no template for counted; the layouts by name.
#include "ioam/export/flow.hpp"
#include "ioam/export/flow_layout.hpp"
#include "ioam/export/session.hpp"
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

}  // namespace

// ---- the records as layouts of the export session (flow_layout.hpp) ----
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
    std::vector<std::uint16_t> ids;
    const auto out = decode_all<x::flow_standard_layout>(sink, &ids);
    EXPECT_EQ(ids, (std::vector<std::uint16_t>{300, 301, 301, 300})) << "the documented ids, default session options";
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
    // The layout names the seed's fixed ids, whatever order the flows come in
    // (first-seen numbering would be 256, 257, 258, 259).
    EXPECT_EQ(ids, (std::vector<std::uint16_t>{256, 259, 257, 258}));
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
