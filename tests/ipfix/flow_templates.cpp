// The four flow templates of the seed eBPF flow exporter (TCP and ICMP,
// ingress 256/257, egress 258/259), each one declaration, with records that
// round-trip through the compile-time and the run-time decoders.
// The seed lists 17 IEs plus flowId; flowId is reduced to 4 octets, which
// gives its 56-octet records.
#include "ioam/ipfix/iana.hpp"
#include "ioam/ipfix/message.hpp"
#include "ioam/ipfix/template_cache.hpp"

#include <gtest/gtest.h>

#include <random>

namespace {
using namespace ioam;
using namespace ioam::ipfix;

template <std::uint16_t Id, class L4>
using flow_template =
    data_template<Id, ie::octetDeltaCount, ie::packetDeltaCount, ie::protocolIdentifier, ie::sourceIPv4Address,
                  ie::destinationIPv4Address, ie::sourceTransportPort, ie::destinationTransportPort, ie::flowDirection,
                  L4, ie::ipClassOfService, ie::ingressInterface, ie::egressInterface, ie::minimumTTL, ie::maximumTTL,
                  ie::flowStartSysUpTime, ie::flowEndSysUpTime, reduced<ie::flowId, 4>, ie::ipDiffServCodePoint>;

using tcp_ingress = flow_template<256, ie::tcpControlBits>;
using icmp_ingress = flow_template<257, ie::icmpTypeCodeIPv4>;
using tcp_egress = flow_template<258, ie::tcpControlBits>;
using icmp_egress = flow_template<259, ie::icmpTypeCodeIPv4>;

static_assert(tcp_ingress::record_size == 56);
static_assert(icmp_egress::record_size == 56);
static_assert(tcp_ingress::field_count == 18);

/// A flow as the exporter's map holds it; member order is template order.
struct flow {
    std::uint64_t octets;
    std::uint64_t packets;
    std::uint8_t protocol;
    ipv4_address src;
    ipv4_address dst;
    std::uint16_t sport;
    std::uint16_t dport;
    std::uint8_t direction;
    std::uint16_t flags_or_icmp;
    std::uint8_t tos;
    std::uint32_t ingress;
    std::uint32_t egress;
    std::uint8_t min_ttl;
    std::uint8_t max_ttl;
    std::uint32_t start;
    std::uint32_t end;
    std::uint32_t flow_id;
    std::uint8_t dscp;
};

flow random_flow(std::mt19937_64& rng, std::uint8_t proto, std::uint8_t dir) {
    auto u = [&](std::uint64_t max) { return std::uniform_int_distribution<std::uint64_t>(0, max)(rng); };
    auto ip = [&] {
        ipv4_address a;
        for (auto& b : a.bytes) b = static_cast<std::byte>(u(255));
        return a;
    };
    return flow{u(~0ULL), u(~0ULL), proto, ip(), ip(), static_cast<std::uint16_t>(u(65535)),
                static_cast<std::uint16_t>(u(65535)), dir, static_cast<std::uint16_t>(u(65535)),
                static_cast<std::uint8_t>(u(255)), static_cast<std::uint32_t>(u(~0U)), static_cast<std::uint32_t>(u(~0U)),
                static_cast<std::uint8_t>(u(255)), static_cast<std::uint8_t>(u(255)), static_cast<std::uint32_t>(u(~0U)),
                static_cast<std::uint32_t>(u(~0U)), static_cast<std::uint32_t>(u(~0U)), static_cast<std::uint8_t>(u(63))};
}

template <class T>
void check_round_trip(std::uint8_t proto, std::uint8_t dir) {
    std::mt19937_64 rng(T::id);
    std::vector<flow> flows;
    for (int i = 0; i < 25; ++i) flows.push_back(random_flow(rng, proto, dir));

    std::array<std::byte, 1500> buf{};
    message_writer w(buf, 5, 0);
    ASSERT_TRUE(w.add_template<T>());
    for (const flow& f : flows) ASSERT_TRUE(w.add_record<T>(f));
    const auto m = w.finish(1700000000);
    ASSERT_EQ(m.size(), 16 + 4 + T::template_record_size + 4 + 25 * 56);

    // Compile-time view.
    auto p = parse_message(m);
    ASSERT_TRUE(p);
    auto it = p->sets().begin();
    ++it;
    auto ds = parse_data_set<T>(*it);
    ASSERT_TRUE(ds);
    std::size_t i = 0;
    for (auto r : *ds) {
        const flow& f = flows[i++];
        EXPECT_EQ(get<ie::octetDeltaCount>(r), f.octets);
        EXPECT_EQ(get<ie::sourceIPv4Address>(r), f.src);
        EXPECT_EQ(get<ie::destinationTransportPort>(r), f.dport);
        EXPECT_EQ(get<ie::flowId>(r), f.flow_id);
        EXPECT_EQ(get<ie::ipDiffServCodePoint>(r), f.dscp);
        EXPECT_EQ(get<8>(r), f.flags_or_icmp);
    }
    EXPECT_EQ(i, flows.size());

    // Run-time template cache: same values through the same codecs.
    template_cache c(ie_registry{iana_registry});
    i = 0;
    auto sum = c.process(1, *p, 0, [&](const dynamic_record& r) {
        const flow& f = flows[i++];
        std::uint64_t v = 0;
        EXPECT_TRUE(r.get<ie::packetDeltaCount>(v));
        EXPECT_EQ(v, f.packets);
        std::uint64_t id = 0;
        EXPECT_TRUE(r.find(ie::flowId::info.id).to_u64(id));
        EXPECT_EQ(id, f.flow_id) << "reduced-size field widened";
        ipv4_address dst;
        EXPECT_TRUE(r.get<ie::destinationIPv4Address>(dst));
        EXPECT_EQ(dst, f.dst);
    });
    EXPECT_EQ(sum.records, flows.size());
    EXPECT_EQ(sum.first_error.code, errc::ok);
}

TEST(FlowTemplates, TcpIngress) { check_round_trip<tcp_ingress>(6, 0); }
TEST(FlowTemplates, IcmpIngress) { check_round_trip<icmp_ingress>(1, 0); }
TEST(FlowTemplates, TcpEgress) { check_round_trip<tcp_egress>(6, 1); }
TEST(FlowTemplates, IcmpEgress) { check_round_trip<icmp_egress>(1, 1); }
}  // namespace
