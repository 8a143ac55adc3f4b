// Tests include/ioam/netlink/event.hpp: TRACE and DEX events as the kernel
// writes them (golden bytes, x86-64 host order), round trips through the
// encoder, the pad/DEX_FLOW_ID collision, and malformed input.
#include "ioam/netlink/event.hpp"

#include <gtest/gtest.h>

#include <array>
#include <bit>
#include <cstdio>
#include <map>
#include <vector>

#include "../../fuzz/netlink_reference.hpp"

namespace nl = ioam::netlink;
namespace t = ioam::trace;
using ioam::errc;
using t::value_id;

namespace {
// genl header (cmd 1 TRACE, version 1) and the four TRACE attributes:
// NAMESPACE 123 (u16 host), NODELEN 2, TYPE 0xc00000 << 8 (u32 host), DATA one node.
constexpr auto golden_trace = ioam::make_bytes(
    0x01, 0x01, 0x00, 0x00,                          //
    0x06, 0x00, 0x01, 0x00, 0x7b, 0x00, 0x00, 0x00,  //
    0x05, 0x00, 0x02, 0x00, 0x02, 0x00, 0x00, 0x00,  //
    0x08, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0xc0,  //
    0x0c, 0x00, 0x04, 0x00, 0x3f, 0x00, 0x00, 0x02, 0x00, 0x05, 0x00, 0x06);
}  // namespace

TEST(TraceEvent, Golden) {
    if constexpr (std::endian::native != std::endian::little) GTEST_SKIP() << "golden bytes are little-endian host order";
    auto ev = nl::decode_event(golden_trace, 16);
    ASSERT_TRUE(ev);
    EXPECT_EQ(ev->type, nl::ioam6::event_type::trace);
    EXPECT_EQ(ev->trace.namespace_id, 123);
    EXPECT_EQ(ev->trace.node_len, 2);
    EXPECT_EQ(ev->trace.type_word, 0xc0000000U);
    EXPECT_EQ(ev->trace.trace_type(), 0xc00000U);
    EXPECT_EQ(ev->trace.data.size(), 8U);
    EXPECT_EQ(ev->trace.data_offset, 16U + 32);
    EXPECT_EQ(ev->skipped, 0);
    auto nodes = ev->trace.nodes();
    ASSERT_TRUE(nodes);
    ASSERT_EQ(nodes->size(), 1U);
    EXPECT_EQ((*nodes)[0].get<value_id::hop_limit>(), 63);
    EXPECT_EQ((*nodes)[0].get<value_id::node_id>(), 2U);
    EXPECT_EQ((*nodes)[0].get<value_id::egress_id>(), 6);

    // The encoder writes the same attributes.
    std::array<std::byte, 128> buf{};
    nl::message_writer w(buf);
    nl::encode_trace_event(w, 0x1d, ev->trace, 5);
    ASSERT_TRUE(w.status());
    nl::message_reader r(w.written());
    auto m = r.next();
    ASSERT_TRUE(m);
    EXPECT_EQ(m->type, 0x1d);
    ASSERT_EQ(m->payload.size(), golden_trace.size());
    for (std::size_t i = 0; i < golden_trace.size(); ++i) EXPECT_EQ(m->payload[i], golden_trace[i]) << i;
}

TEST(TraceEvent, UnknownAttributesAreSkipped) {
    std::array<std::byte, 256> buf{};
    nl::message_writer w(buf);
    const auto node = ioam::make_bytes(0x3f, 0, 0, 2, 0, 5, 0, 6);
    w.begin(0x1d).genl(1);
    w.attr_host(nl::ioam6::attr::option_type, 0, 1);  // not a TRACE attribute: skipped
    w.attr(99, ioam::make_bytes(1, 2, 3, 4, 5));       // a future attribute
    w.attr_host(1, 7, 2).attr_host(2, 2, 1).attr_host(3, 0xc0000000, 4).attr(4, node);
    w.attr(nl::ioam6::attr::pad, {});
    w.end();
    nl::message_reader r(w.written());
    auto ev = nl::decode_event(r.next().value());
    ASSERT_TRUE(ev);
    EXPECT_EQ(ev->skipped, 2);
    EXPECT_EQ(ev->pads, 1);
    EXPECT_EQ(ev->trace.namespace_id, 7);
}

TEST(TraceEvent, BadInput) {
    auto g = golden_trace;
    // Wrong lengths for each typed attribute.
    {
        auto b = g;
        b[4] = std::byte{0x05};  // NAMESPACE with 1 octet
        auto ev = nl::decode_event(b);
        EXPECT_EQ(ev.code(), errc::bad_attribute);
        EXPECT_EQ(ev.offset(), 4U);
    }
    {
        auto b = g;
        b[12] = std::byte{0x06};  // NODELEN with 2 octets
        EXPECT_EQ(nl::decode_event(b).code(), errc::bad_attribute);
    }
    {
        auto b = g;
        b[20] = std::byte{0x07};  // TYPE with 3 octets
        EXPECT_EQ(nl::decode_event(b).code(), errc::bad_attribute);
    }
    {
        auto b = g;
        b[28] = std::byte{0x0a};  // DATA of 6 octets (not 4n)
        EXPECT_EQ(nl::decode_event(std::span(b).first(b.size() - 2)).code(), errc::bad_attribute);
    }
    // A missing attribute.
    EXPECT_EQ(nl::decode_event(std::span(g).first(28)).code(), errc::missing_attribute);
    // Unknown command.
    {
        auto b = g;
        b[0] = std::byte{9};
        EXPECT_EQ(nl::decode_event(b).code(), errc::bad_message);
    }
    // Every truncation is an error, never a crash.
    for (std::size_t n = 0; n < g.size(); ++n) EXPECT_FALSE(nl::decode_event(std::span(g).first(n))) << n;
    // NodeLen disagreeing with the type is caught when walking the nodes.
    {
        auto b = g;
        b[16] = std::byte{3};
        auto ev = nl::decode_event(b);
        ASSERT_TRUE(ev);
        EXPECT_EQ(ev->trace.nodes().code(), errc::bad_node_len);
    }
    // Undefined bits in the type.
    {
        auto b = g;
        b[25] = std::byte{0x08};  // bit 12 (0x000800 << 8)
        b[16] = std::byte{3};
        auto ev = nl::decode_event(b);
        ASSERT_TRUE(ev);
        EXPECT_EQ(ev->trace.nodes().code(), errc::bad_trace_type);
        EXPECT_EQ(ev->trace.nodes(t::type_policy::lenient).code(), errc::truncated);  // 8 octets, 12 per node
    }
    // Data not a whole number of nodes.
    {
        std::array<std::byte, 128> buf{};
        nl::message_writer w(buf);
        nl::trace_event te{1, 2, 0xc0000000, {}, 0};
        const auto twelve = ioam::make_bytes(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12);
        te.data = twelve;
        nl::encode_trace_event(w, 0x1d, te);
        auto ev = nl::decode_event(nl::message_reader(w.written()).next().value());
        ASSERT_TRUE(ev);
        EXPECT_EQ(ev->trace.nodes().code(), errc::truncated);
    }
}

TEST(TraceEvent, MutationsNeverCrash) {
    // Flip every octet of a valid event through several values: each result
    // is an error or a decodable event, and nodes() terminates.
    std::array<std::byte, 128> buf{};
    nl::message_writer w(buf);
    const auto data = ioam::make_bytes(0x3f, 0, 0, 2, 0, 5, 0, 6, 0x3e, 0, 0, 3, 0, 7, 0, 8);
    nl::encode_trace_event(w, 0x1d, nl::trace_event{1, 2, 0xc0000000, data, 0});
    std::vector<std::byte> msg(w.written().begin(), w.written().end());
    for (std::size_t i = 0; i < msg.size(); ++i) {
        for (unsigned v : {0x00U, 0x01U, 0x04U, 0x7fU, 0x80U, 0xffU}) {
            auto m = msg;
            m[i] = static_cast<std::byte>(v);
            nl::message_reader r(m);
            while (!r.done()) {
                auto mm = r.next();
                if (!mm) break;
                auto ev = nl::decode_event(*mm);
                if (!ev || ev->type != nl::ioam6::event_type::trace) continue;
                auto nodes = ev->trace.nodes(t::type_policy::lenient);
                if (!nodes) continue;
                std::size_t count = 0;
                for (const auto n : *nodes) {
                    n.for_each_value([](const t::field_value&) {});
                    ++count;
                }
                EXPECT_EQ(count, nodes->size());
            }
        }
    }
}

TEST(DexEvent, RoundTripWithPadCollision) {
    const auto hop = ioam::make_bytes(0x3f, 0x00, 0x00, 0x2a);
    const auto wide = ioam::make_bytes(0x3f, 0, 0, 0, 0, 0, 0x01, 0x02);
    const auto nsw = ioam::make_bytes(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
    const auto snap = ioam::make_bytes(0xde, 0xad, 0xbe, 0xef);
    nl::dex_event d;
    d.namespace_id = 123;
    d.flow_id = 0xabcdef01;
    d.seq_num = 77;
    d.field[0] = hop;
    d.field[8] = wide;
    d.field[10] = nsw;
    d.present = t::bit_mask(0) | t::bit_mask(8) | t::bit_mask(10) | t::opaque_mask;
    d.oss_schema = 9;
    d.oss_data = snap;
    for (bool pad : {false, true}) {
        std::array<std::byte, 256> buf{};
        nl::message_writer w(buf);
        nl::encode_dex_event(w, 0x1d, d, 1, pad);
        ASSERT_TRUE(w.status());
        auto ev = nl::decode_event(nl::message_reader(w.written()).next().value());
        ASSERT_TRUE(ev) << static_cast<int>(ev.code());
        EXPECT_EQ(ev->type, nl::ioam6::event_type::dex);
        EXPECT_EQ(ev->pads, pad ? 2 : 0);
        const auto& x = ev->dex;
        EXPECT_EQ(x.option_type, 4);
        EXPECT_EQ(x.namespace_id, 123);
        EXPECT_EQ(x.flow_id, 0xabcdef01U);  // a 4-octet attribute 7 is the flow id, not a pad
        EXPECT_EQ(x.seq_num, 77U);
        EXPECT_EQ(x.trace_type(), 0x80a002U);
        EXPECT_EQ(x.get<value_id::node_id>(), 42U);
        EXPECT_EQ(x.get<value_id::node_id_wide>(), 0x0102U);
        EXPECT_EQ(x.get<value_id::hop_limit_wide>(), 63);
        EXPECT_FALSE(x.get<value_id::ingress_id>());
        auto o = x.opaque();
        ASSERT_TRUE(o);
        EXPECT_EQ(o->schema_id, 9U);
        EXPECT_EQ(o->data.size(), 4U);
        unsigned n = 0, unavailable = 0;
        x.for_each_value([&](const t::field_value& f) {
            ++n;
            unavailable += f.unavailable;
        });
        EXPECT_EQ(n, 5U);  // hop limit, node id, wide hop limit, wide node id, wide namespace data
        EXPECT_EQ(unavailable, 1U);
    }
}

TEST(DexEvent, BadInput) {
    std::array<std::byte, 128> buf{};
    // A data field of the wrong width.
    {
        nl::message_writer w(buf);
        w.begin(0x1d).genl(2).attr_host(6, 1, 2).attr(nl::ioam6::dex_attr_for_bit(8), ioam::make_bytes(1, 2, 3, 4)).end();
        EXPECT_EQ(nl::decode_event(nl::message_reader(w.written()).next().value()).code(), errc::bad_attribute);
    }
    // A flow id attribute of 2 octets (neither a pad nor a flow id).
    {
        nl::message_writer w(buf);
        w.begin(0x1d).genl(2).attr_host(6, 1, 2).attr_host(7, 1, 2).end();
        EXPECT_EQ(nl::decode_event(nl::message_reader(w.written()).next().value()).code(), errc::bad_attribute);
    }
    // Snapshot data not 4n.
    {
        nl::message_writer w(buf);
        w.begin(0x1d).genl(2).attr_host(6, 1, 2).attr(32, ioam::make_bytes(1, 2, 3)).end();
        EXPECT_EQ(nl::decode_event(nl::message_reader(w.written()).next().value()).code(), errc::bad_attribute);
    }
    // No namespace.
    {
        nl::message_writer w(buf);
        w.begin(0x1d).genl(2).attr_host(5, 4, 1).end();
        EXPECT_EQ(nl::decode_event(nl::message_reader(w.written()).next().value()).code(), errc::missing_attribute);
    }
    // Unknown attributes past the DEX range are skipped.
    {
        nl::message_writer w(buf);
        w.begin(0x1d).genl(2).attr_host(6, 1, 2).attr(40, {}).attr(33, ioam::make_bytes(1)).end();
        auto ev = nl::decode_event(nl::message_reader(w.written()).next().value());
        ASSERT_TRUE(ev);
        EXPECT_EQ(ev->skipped, 2);
        EXPECT_EQ(ev->dex.trace_type(), 0U);
    }
}

// The series' DEX shape (kernel/patches 0008): namespace, trace type, flow
// id, sequence number and one node-data attribute. It decodes to the same
// dex_event as the reference patch's per-field shape.
TEST(DexNodeEvent, RoundTripMatchesPerFieldShape) {
    const auto hop = ioam::make_bytes(0x3f, 0x00, 0x00, 0x2a);
    const auto ifs = ioam::make_bytes(0x00, 0x15, 0x00, 0x16);
    const auto wide = ioam::make_bytes(0x3f, 0, 0, 0, 0, 0, 0x01, 0x02);
    const auto snap = ioam::make_bytes(0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4);
    nl::dex_event d;
    d.namespace_id = 123;
    d.flow_id = 0xabcdef01;
    d.seq_num = 77;
    d.field[0] = hop;
    d.field[1] = ifs;
    d.field[8] = wide;
    d.present = t::bit_mask(0) | t::bit_mask(1) | t::bit_mask(8) | t::opaque_mask;
    d.oss_schema = 7;
    d.oss_data = snap;
    std::array<std::byte, 256> a{}, b{};
    nl::message_writer wa(a), wb(b);
    nl::encode_dex_node_event(wa, 0x1d, d, 1);
    nl::encode_dex_event(wb, 0x1d, d, 1);
    ASSERT_TRUE(wa.status());
    ASSERT_TRUE(wb.status());
    auto x = nl::decode_event(nl::message_reader(wa.written()).next().value());
    auto y = nl::decode_event(nl::message_reader(wb.written()).next().value());
    ASSERT_TRUE(x) << static_cast<int>(x.code());
    ASSERT_TRUE(y) << static_cast<int>(y.code());
    EXPECT_EQ(x->dex.shape, nl::dex_shape::node_data);
    EXPECT_EQ(y->dex.shape, nl::dex_shape::per_field);
    for (const auto* e : {&x->dex, &y->dex}) {
        EXPECT_EQ(e->namespace_id, 123);
        EXPECT_EQ(e->flow_id, 0xabcdef01U);
        EXPECT_EQ(e->seq_num, 77U);
        EXPECT_EQ(e->trace_type(), 0xc08002U);
        EXPECT_EQ(e->get<value_id::node_id>(), 42U);
        EXPECT_EQ(e->get<value_id::ingress_id>(), 21U);
        EXPECT_EQ(e->get<value_id::egress_id>(), 22U);
        EXPECT_EQ(e->get<value_id::node_id_wide>(), 0x0102U);
        auto o = e->opaque();
        ASSERT_TRUE(o);
        EXPECT_EQ(o->schema_id, 7U);
        EXPECT_EQ(o->data.size(), 8U);
    }
    std::vector<std::uint64_t> vx, vy;
    x->dex.for_each_value([&](const t::field_value& f) { vx.push_back(f.value); });
    y->dex.for_each_value([&](const t::field_value& f) { vy.push_back(f.value); });
    EXPECT_EQ(vx, vy);
    EXPECT_EQ(vx.size(), 6U);  // hop limit, node id, ingress, egress, wide hop limit, wide node id
}

TEST(DexNodeEvent, BadInput) {
    std::array<std::byte, 128> buf{};
    const auto decode = [&](nl::message_writer& w) {
        return nl::decode_event(nl::message_reader(w.written()).next().value());
    };
    // Node data shorter than the trace type says (bits 0 and 1: 8 octets).
    {
        nl::message_writer w(buf);
        w.begin(0x1d).genl(2).attr_host(1, 123, 2).attr_host(3, 0xc00000U << 8, 4).attr(7, ioam::make_bytes(1, 2, 3, 4)).end();
        EXPECT_EQ(decode(w).code(), errc::bad_attribute);
    }
    // Longer than it says.
    {
        nl::message_writer w(buf);
        w.begin(0x1d).genl(2).attr_host(1, 123, 2).attr_host(3, 0x800000U << 8, 4).attr(7, ioam::make_bytes(1, 2, 3, 4, 5, 6, 7, 8)).end();
        EXPECT_EQ(decode(w).code(), errc::bad_attribute);
    }
    // A snapshot announcing more data than there is.
    {
        nl::message_writer w(buf);
        w.begin(0x1d).genl(2).attr_host(1, 123, 2).attr_host(3, 0x000002U << 8, 4).attr(7, ioam::make_bytes(2, 0, 0, 7, 1, 2, 3, 4)).end();
        EXPECT_EQ(decode(w).code(), errc::bad_attribute);
    }
    // No node data, no trace type.
    {
        nl::message_writer w(buf);
        w.begin(0x1d).genl(2).attr_host(1, 123, 2).attr_host(3, 0x800000U << 8, 4).end();
        EXPECT_EQ(decode(w).code(), errc::missing_attribute);
        nl::message_writer w2(buf);
        w2.begin(0x1d).genl(2).attr_host(1, 123, 2).attr(7, ioam::make_bytes(1, 2, 3, 4)).end();
        EXPECT_EQ(decode(w2).code(), errc::missing_attribute);
    }
    // A flow id of the wrong length.
    {
        nl::message_writer w(buf);
        w.begin(0x1d).genl(2).attr_host(1, 123, 2).attr_host(3, 0, 4).attr_host(5, 1, 2).attr(7, {}).end();
        EXPECT_EQ(decode(w).code(), errc::bad_attribute);
    }
    // Unknown attributes are skipped; an empty trace type has empty data.
    {
        nl::message_writer w(buf);
        w.begin(0x1d).genl(2).attr_host(1, 123, 2).attr_host(3, 0, 4).attr(7, {}).attr(40, ioam::make_bytes(1)).end();
        auto ev = decode(w);
        ASSERT_TRUE(ev);
        EXPECT_EQ(ev->skipped, 1);
        EXPECT_EQ(ev->dex.trace_type(), 0U);
    }
}

TEST(DexNodeEvent, MutationsNeverCrash) {
    const auto hop = ioam::make_bytes(0x3f, 0x00, 0x00, 0x2a);
    nl::dex_event d;
    d.namespace_id = 5;
    d.seq_num = 1;
    d.field[0] = hop;
    d.present = t::bit_mask(0) | t::opaque_mask;
    std::array<std::byte, 128> buf{};
    nl::message_writer w(buf);
    nl::encode_dex_node_event(w, 0x1d, d);
    ASSERT_TRUE(w.status());
    const auto msg = nl::message_reader(w.written()).next().value();
    std::vector<std::byte> m(msg.payload.begin(), msg.payload.end());
    for (std::size_t i = 0; i < m.size(); ++i) {
        for (int v : {0x00, 0x01, 0x7f, 0xff}) {
            auto c = m;
            c[i] = static_cast<std::byte>(v);
            auto ev = nl::decode_event(c);
            if (ev && ev->type == nl::ioam6::event_type::dex) {
                unsigned n = 0;
                ev->dex.for_each_value([&](const t::field_value&) { ++n; });
                EXPECT_LE(n, 24U);
            }
        }
    }
}

// The decoder's one-loop walk (and its fast path for the kernel's TRACE
// layout) against the reference walk it replaced (fuzz/netlink_reference.hpp):
// the same error at the same offset, or the same event field for field,
// for every octet of several events set to several values, every
// truncation, and a fresh or reused event.
TEST(Decoder, AgreesWithReferenceWalk) {
    std::vector<std::vector<std::byte>> events;
    const auto add = [&](auto&& encode) {
        std::array<std::byte, 256> buf{};
        nl::message_writer w(buf);
        encode(w);
        const auto m = nl::message_reader(w.written()).next().value();
        events.emplace_back(m.payload.begin(), m.payload.end());
    };
    const auto node = ioam::make_bytes(0x3f, 0, 0, 2, 0, 5, 0, 6, 0x3e, 0, 0, 3, 0, 7, 0, 8);
    add([&](auto& w) { nl::encode_trace_event(w, 0x1d, nl::trace_event{1, 2, 0xc0000000, node, 0}); });
    add([&](auto& w) {  // a pad and an unknown attribute among the four
        w.begin(0x1d).genl(1);
        w.attr(nl::ioam6::attr::pad, {});
        w.attr_host(nl::ioam6::attr::trace_type, 0xc0000000, 4);
        w.attr_host(nl::ioam6::attr::trace_nodelen, 2, 1);
        w.attr_host(40, 7, 4);
        w.attr_host(nl::ioam6::attr::trace_namespace, 9, 2);
        w.attr(nl::ioam6::attr::trace_data, node);
        w.end();
    });
    nl::dex_event d;
    d.namespace_id = 5;
    d.flow_id = 77;
    d.seq_num = 1;
    d.field[0] = ioam::bytes_view(node).first(4);
    d.field[8] = ioam::bytes_view(node).first(8);
    d.present = t::bit_mask(0) | t::bit_mask(8);
    add([&](auto& w) { nl::encode_dex_event(w, 0x1d, d, 0, true); });
    add([&](auto& w) { nl::encode_dex_node_event(w, 0x1d, d); });
    d.present |= t::opaque_mask;
    d.oss_schema = 0x123456;
    d.oss_data = ioam::bytes_view(node).first(8);
    add([&](auto& w) { nl::encode_dex_event(w, 0x1d, d); });
    add([&](auto& w) { nl::encode_dex_node_event(w, 0x1d, d); });

    add([&](auto& w) {  // a reference attribute of the wrong length, then attribute 1: the series' shape
        w.begin(0x1d).genl(2);
        w.attr_host(nl::ioam6::attr::option_type, 4, 2);
        w.attr_host(nl::ioam6::attr::dex_seq_num, 3, 4);
        w.attr_host(nl::ioam6::attr::trace_namespace, 5, 2);
        w.attr_host(nl::ioam6::attr::trace_type, 0x80000000, 4);
        w.attr(nl::ioam6::attr::dex2_node_data, ioam::bytes_view(node).first(4));
        w.end();
    });
    std::vector<nl::event> priors(1);
    for (const auto& e : events) priors.push_back(nl::decode_event(e).value());
    std::map<errc, unsigned> outcomes;
    std::size_t cases = 0;
    const auto check = [&](ioam::bytes_view payload) {
        for (const auto& prior : priors) {
            ASSERT_TRUE(nl::reference::agree(payload, 16, prior)) << "case " << cases;
            ++cases;
        }
        nl::event ev;
        auto r = nl::decode_event(payload, ev, 16);
        ++outcomes[r ? errc::ok : r.code()];
    };
    for (const auto& e : events) {
        for (std::size_t n = 0; n <= e.size(); ++n) check(ioam::bytes_view(e).first(n));
        for (std::size_t i = 0; i < e.size(); ++i) {
            for (unsigned v : {0x00U, 0x01U, 0x03U, 0x04U, 0x05U, 0x07U, 0x08U, 0x40U, 0x80U, 0xffU}) {
                auto c = e;
                c[i] = static_cast<std::byte>(v);
                check(c);
            }
        }
    }
    // Not vacuous: successes and every kind of error were compared.
    for (errc k : {errc::ok, errc::truncated, errc::bad_attribute, errc::missing_attribute, errc::bad_message})
        EXPECT_GT(outcomes[k], 0U) << static_cast<int>(k);
    EXPECT_GT(cases, 10000U);
    std::printf("%zu cases compared\n", cases);
}

// IOAM6_CMD_GET_EVENT_STATS (kernel/patches 0005): request and reply.
TEST(EventStats, RequestAndReply) {
    std::array<std::byte, 128> buf{};
    nl::message_writer w(buf);
    nl::encode_event_stats_request(w, 0x1d, 9);
    ASSERT_TRUE(w.status());
    auto req = nl::message_reader(w.written()).next();
    ASSERT_TRUE(req);
    EXPECT_EQ(req->type, 0x1d);
    EXPECT_EQ(req->seq, 9U);
    EXPECT_EQ(nl::decode_genl_header(req->payload)->cmd, 8);
    EXPECT_EQ(req->payload.size(), 4U);  // no attribute

    nl::message_writer r(buf);
    r.begin(0x1d).genl(8).attr(7, {}).attr_host(8, 1234, 8).attr(7, {}).attr_host(9, 56, 8).end();
    auto st = nl::decode_event_stats(nl::message_reader(r.written()).next()->payload);
    ASSERT_TRUE(st);
    EXPECT_EQ(st->sent, 1234U);
    EXPECT_EQ(st->suppressed, 56U);

    nl::message_writer m(buf);
    m.begin(0x1d).genl(8).attr_host(8, 1, 8).end();
    EXPECT_EQ(nl::decode_event_stats(nl::message_reader(m.written()).next()->payload).code(), errc::missing_attribute);
    nl::message_writer b(buf);
    b.begin(0x1d).genl(8).attr_host(8, 1, 4).attr_host(9, 1, 8).end();
    EXPECT_EQ(nl::decode_event_stats(nl::message_reader(b.written()).next()->payload).code(), errc::bad_attribute);
    nl::message_writer c(buf);
    c.begin(0x1d).genl(2).end();
    EXPECT_EQ(nl::decode_event_stats(nl::message_reader(c.written()).next()->payload).code(), errc::bad_message);
}
