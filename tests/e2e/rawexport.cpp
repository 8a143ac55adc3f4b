// Tests include/ioam/export/rawexport.hpp and rawexport_layout.hpp: kernel
// events built with the netlink encoder go through the export session
// (session.hpp) into IPFIX, back through the template cache, rawexport's
// decode_record and decode_option, and the option octets and every node
// value must equal what the inputs say.
#include "events.hpp"
#include "export_sink.hpp"

#include "ioam/export/layouts.hpp"
#include "ioam/export/rawexport_layout.hpp"
#include "ioam/export/session.hpp"
#include "ioam/export/rawexport.hpp"
#include "ioam/ipfix/iana.hpp"
#include "ioam/ipfix/message.hpp"
#include "ioam/ipfix/template_cache.hpp"
#include "ioam/trace/option.hpp"

#include <gtest/gtest.h>

#include <array>
#include <initializer_list>
#include <vector>

namespace x = ioam::exporting;
namespace rx = ioam::exporting::rawexport;
namespace ipfix = ioam::ipfix;
namespace nl = ioam::netlink;
namespace t = ioam::trace;

namespace {

using e2e::decode;
using e2e::sink;

constexpr std::uint64_t when = 1700000000123456789ULL;  // UNIX ns

// A received record, its option octets copied out of the message.
struct received {
    rx::raw_record r;
    std::vector<std::byte> option;
    std::uint16_t template_id = 0;
    std::size_t fields = 0;
};

std::vector<received> decode_all(const std::vector<std::vector<std::byte>>& msgs) {
    ipfix::ie_registry reg{x::pen10383::registry()};
    reg.add(rx::registry());
    reg.add(ipfix::iana_registry);
    ipfix::template_cache cache(std::move(reg));
    std::vector<received> out;
    for (const auto& m : msgs) {
        auto v = ipfix::parse_message(m);
        EXPECT_TRUE(v) << v.error_code().message();
        if (!v) continue;
        auto sum = cache.process(1, *v, 0, [&](const ipfix::dynamic_record& rec) {
            received d;
            d.r = rx::decode_record(rec);
            d.option.assign(d.r.data.begin(), d.r.data.end());
            d.template_id = rec.templ().id();
            d.fields = rec.templ().fields().size();
            EXPECT_EQ(d.r.other_fields, 0U);
            EXPECT_EQ(x::decode_record(rec).pen_fields, 0U) << "no PEN 10383 seed-layout field in a rawexport record";
            out.push_back(std::move(d));
        });
        EXPECT_EQ(sum.skipped_sets, 0U) << sum.first_error.offset;
    }
    return out;
}

// The values of one node against its inputs, as the PEN 10383 tests check them.
void expect_node(const x::decoded_record& d, std::uint32_t type, const e2e::node_input& in) {
    for (const auto& v : t::value_table) {
        const bool present = (type & t::bit_mask(v.bit)) && x::pen10383::element_of(v.id) != x::pen10383::none;
        if (present) {
            ASSERT_TRUE(d.value(v.id).has_value()) << v.name;
            EXPECT_EQ(*d.value(v.id), in.data.get(v.id)) << v.name;
        } else {
            EXPECT_FALSE(d.value(v.id).has_value()) << v.name << " must be absent";
        }
    }
    if (type & t::opaque_mask) {
        ASSERT_TRUE(d.schema_id);
        EXPECT_EQ(*d.schema_id, in.data.schema_id);
        ASSERT_TRUE(d.snapshot);
        EXPECT_EQ(std::vector<std::byte>(d.snapshot->begin(), d.snapshot->end()), in.snapshot);
    } else {
        EXPECT_FALSE(d.schema_id);
    }
}

}  // namespace

TEST(RawExport, Table) {
    EXPECT_EQ(rx::element(rx::id::report_flags).name, "ioamReportFlags");
    EXPECT_EQ(rx::element(rx::id::direct_export_data).name, "ioamDirectExportData");
    EXPECT_EQ(rx::element(rx::id::preallocated_trace_data).length, ipfix::variable_length);
    EXPECT_EQ(rx::data_element(t::option_type::dex), rx::id::direct_export_data);
    EXPECT_EQ(rx::option_of(rx::id::pot_data), t::option_type::pot);
    EXPECT_FALSE(rx::option_of(rx::id::report_flags));
    const auto* iana = ipfix::find_iana(rx::observation_time_nanoseconds);
    ASSERT_NE(iana, nullptr);
    EXPECT_EQ(iana->name, "observationTimeNanoseconds");
}

TEST(RawExport, NtpTimeRoundTrips) {
    for (std::uint64_t ns : std::initializer_list<std::uint64_t>{0, 1, 999999999, when, 2085978495999999999ULL}) {
        EXPECT_EQ(rx::from_ntp(rx::to_ntp(ns)), ns) << ns;
    }
    EXPECT_EQ(rx::to_ntp(1000000000ULL * 1700000000 + 500000000).fraction, 0x80000000U);
    EXPECT_EQ(rx::to_ntp(0).seconds, ipfix::ntp_unix_offset);
}

TEST(RawExport, EveryStandardTraceRoundTrips) {
    for (const auto& in : e2e::standard_traces()) {
        SCOPED_TRACE(in.name);
        const auto msg = e2e::trace_message(in);
        const nl::event ev = decode(msg);
        sink s;
        e2e::session<x::rawexport_layout> ex(s, e2e::options(1472));
        ASSERT_TRUE(ex.add(ev, when));
        ex.flush();
        const auto recs = decode_all(s.messages);
        ASSERT_EQ(recs.size(), 1U) << "one record per event";
        const auto& r = recs[0];
        EXPECT_EQ(r.fields, 4U);
        EXPECT_EQ(r.r.raw_fields, 3U);
        EXPECT_EQ(r.r.report_flags, rx::report_flags_none);
        EXPECT_EQ(r.r.encapsulation, rx::encapsulation::ipv6);
        EXPECT_EQ(r.r.observation_time_ns, when);
        EXPECT_EQ(r.r.option_type, t::option_type::preallocated_trace);

        // The option octets: a trace header made from the inputs, then the node data.
        t::trace_header h;
        h.namespace_id = in.namespace_id;
        h.node_len = static_cast<std::uint8_t>(t::node_len_of(in.type));
        h.flags = in.nodes.empty() ? t::flag_overflow : 0;
        h.type = in.type;
        std::vector<std::byte> want(8);
        ASSERT_TRUE(t::encode_trace_header(h, want));
        const auto data = e2e::encode_data(in);
        want.insert(want.end(), data.begin(), data.end());
        EXPECT_EQ(r.option, want);

        auto o = rx::decode_option(*r.r.option_type, r.option);
        ASSERT_TRUE(o) << o.error_code().message() << " at " << o.offset();
        EXPECT_EQ(o->trace.header.namespace_id, in.namespace_id);
        EXPECT_EQ(o->trace.header.type, in.type);
        EXPECT_EQ(o->trace.header.remaining_len, 0);
        EXPECT_EQ(o->trace.header.overflow(), in.nodes.empty());
        std::vector<x::decoded_record> nodes;
        rx::for_each_node(*o, [&](const x::decoded_record& d) { nodes.push_back(d); });
        ASSERT_EQ(nodes.size(), in.nodes.empty() ? 1U : in.nodes.size());
        for (std::size_t i = 0; i < nodes.size(); ++i) {
            EXPECT_EQ(nodes[i].option_type, 0);
            EXPECT_EQ(nodes[i].namespace_id, in.namespace_id);
            EXPECT_EQ(nodes[i].trace_type, in.type);
            EXPECT_EQ(nodes[i].node_index, i);
            EXPECT_EQ(nodes[i].node_count, in.nodes.size());
            EXPECT_FALSE(nodes[i].event_id);
            if (!in.nodes.empty()) expect_node(nodes[i], in.type, in.nodes[i]);
        }
        EXPECT_EQ(ex.counters().records, 1U);
        EXPECT_EQ(ex.layout().counts.trace_events, 1U);
        EXPECT_EQ(ex.layout().counts.empty_traces, in.nodes.empty() ? 1U : 0U);
    }
}

TEST(RawExport, DexEventsRoundTrip) {
    e2e::dex_input in{42, 0xc20002, 0xabcdef01, 99, e2e::make_node(0, 3, 1)};
    e2e::dex_input bare{43, 0x800000, std::nullopt, std::nullopt, e2e::make_node(1, std::nullopt, 0)};
    e2e::dex_input seq_only{44, 0xfff000, std::nullopt, 7, e2e::make_node(2, std::nullopt, 0)};
    const auto m1 = e2e::dex_message(in), m2 = e2e::dex_message(bare), m3 = e2e::dex_message(seq_only);
    sink s;
    e2e::session<x::rawexport_layout> ex(s, e2e::options(1472));
    for (const auto* m : {&m1, &m2, &m3}) ASSERT_TRUE(ex.add(decode(*m), when));
    ex.flush();
    const auto recs = decode_all(s.messages);
    ASSERT_EQ(recs.size(), 3U);
    const e2e::dex_input* inputs[] = {&in, &bare, &seq_only};
    for (std::size_t k = 0; k < 3; ++k) {
        SCOPED_TRACE(k);
        const auto& want_in = *inputs[k];
        const auto& r = recs[k];
        EXPECT_EQ(r.r.option_type, t::option_type::dex);
        EXPECT_EQ(r.r.observation_time_ns, when);
        EXPECT_EQ(r.template_id, recs[0].template_id) << "one template for every DEX event";

        // The octets: a DEX header made from the inputs, then one node.
        t::dex_option h;
        h.namespace_id = want_in.namespace_id;
        h.type = want_in.type;
        h.flow_id = want_in.flow_id;
        h.seq_num = want_in.seq_num;
        std::vector<std::byte> want(16);
        auto n = t::encode_dex(h, want);
        ASSERT_TRUE(n);
        want.resize(*n);
        const t::trace_shape shape = t::shape_of(want_in.type);
        std::vector<std::byte> node(t::encoded_size(shape, want_in.node.node()));
        ASSERT_TRUE(t::encode_node(shape, want_in.node.node(), node));
        want.insert(want.end(), node.begin(), node.end());
        EXPECT_EQ(r.option, want);

        auto o = rx::decode_option(t::option_type::dex, r.option);
        ASSERT_TRUE(o) << o.error_code().message() << " at " << o.offset();
        std::vector<x::decoded_record> nodes;
        rx::for_each_node(*o, [&](const x::decoded_record& d) { nodes.push_back(d); });
        ASSERT_EQ(nodes.size(), 1U);
        EXPECT_EQ(nodes[0].option_type, 4);
        EXPECT_EQ(nodes[0].namespace_id, want_in.namespace_id);
        EXPECT_EQ(nodes[0].trace_type, want_in.type);
        EXPECT_EQ(nodes[0].flow_id, want_in.flow_id);
        EXPECT_EQ(nodes[0].sequence, want_in.seq_num);
        EXPECT_FALSE(nodes[0].node_index);
        expect_node(nodes[0], want_in.type, want_in.node);
    }
    EXPECT_EQ(ex.layout().counts.dex_events, 3U);
    EXPECT_EQ(ex.templates_known(), 1U);
}

TEST(RawExport, TwoTemplatesWhateverTheTraceTypes) {
    sink s;
    e2e::session<x::rawexport_layout> ex(s, e2e::options(1472));
    std::size_t events = 0;
    for (const auto& in : e2e::standard_traces()) {
        const auto msg = e2e::trace_message(in);
        ASSERT_TRUE(ex.add(decode(msg)));
        ++events;
    }
    e2e::dex_input d{1, 0xf00000, 5, 6, e2e::make_node(0, std::nullopt, 0)};
    const auto dm = e2e::dex_message(d);
    ASSERT_TRUE(ex.add(decode(dm)));
    ex.flush();
    EXPECT_EQ(ex.templates_known(), 2U);
    EXPECT_EQ(ex.counters().templates, 2U);
    EXPECT_EQ(decode_all(s.messages).size(), events + 1);
}

TEST(RawExport, MalformedEventsAreCountedAndSkipped) {
    const auto all = e2e::standard_traces();
    const auto& in = all[0];
    const auto msg = e2e::trace_message(in, 0, 3);  // NodeLen disagrees with the type
    sink s;
    e2e::session<x::rawexport_layout> ex(s, e2e::options(1472));
    EXPECT_FALSE(ex.add(decode(msg)));
    EXPECT_EQ(ex.counters().malformed, 1U);
    EXPECT_EQ(ex.counters().records, 0U);
    EXPECT_FALSE(ex.pending());
}

TEST(RawExport, DecodeOptionRejectsBadOctets) {
    const std::array<std::byte, 5> short_header{};
    EXPECT_FALSE(rx::decode_option(t::option_type::preallocated_trace, short_header));
    EXPECT_FALSE(rx::decode_option(t::option_type::dex, short_header));
    // A DEX option followed by one and a half nodes.
    t::dex_option h;
    h.type = 0x800000;
    std::vector<std::byte> b(8 + 6);
    ASSERT_TRUE(t::encode_dex(h, b));
    EXPECT_FALSE(rx::decode_option(t::option_type::dex, b));
    b.resize(8 + 4);
    EXPECT_TRUE(rx::decode_option(t::option_type::dex, b));
    b.resize(8 + 8);
    EXPECT_FALSE(rx::decode_option(t::option_type::dex, b)) << "two nodes after a DEX header";
}

TEST(RawExport, DefaultFormatIsPen10383) {
    std::vector<std::string_view> names;
    x::event_layouts::names([&](std::string_view n) { names.push_back(n); });
    EXPECT_EQ(names, (std::vector<std::string_view>{"pen10383", "rawexport"})) << "the first is the default";
    std::string_view picked;
    EXPECT_TRUE(x::event_layouts::with("rawexport", [&]<class L>(std::type_identity<L>) { picked = L::name; }));
    EXPECT_EQ(picked, "rawexport");
    EXPECT_FALSE(x::event_layouts::with("ipfix", [&]<class L>(std::type_identity<L>) { picked = L::name; }));
}
