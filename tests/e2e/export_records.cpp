// Tests include/ioam/export/ (pen10383.hpp, records.hpp, session.hpp,
// decode.hpp): kernel events built with the netlink encoder go through the
// export session into IPFIX messages, back through the template cache and
// decode_record, and every value must equal the input. Also: the wire bytes
// of 24/56-bit fields, templates per shape, refresh, sequence numbers, MTU.
#include "events.hpp"
#include "export_sink.hpp"

#include "ioam/export/decode.hpp"
#include "ioam/export/pen10383_layout.hpp"
#include "ioam/export/session.hpp"
#include "ioam/export/pen10383.hpp"
#include "ioam/export/records.hpp"
#include "ioam/export/stats.hpp"
#include "ioam/ipfix/iana.hpp"
#include "ioam/ipfix/message.hpp"
#include "ioam/ipfix/template_cache.hpp"

#include <gtest/gtest.h>

#include <array>
#include <map>
#include <vector>

namespace x = ioam::exporting;
namespace ipfix = ioam::ipfix;
namespace nl = ioam::netlink;
namespace t = ioam::trace;
using t::value_id;

namespace {

using e2e::decode;
using e2e::sink;

struct decoded {
    x::decoded_record r;
    std::vector<std::byte> snapshot;
    std::uint16_t template_id = 0;
};

std::vector<decoded> decode_all(const std::vector<std::vector<std::byte>>& msgs, std::size_t* gaps = nullptr) {
    ipfix::ie_registry reg{x::pen10383::registry()};
    reg.add(ipfix::iana_registry);
    ipfix::template_cache cache(std::move(reg));
    std::vector<decoded> out;
    for (const auto& m : msgs) {
        auto v = ipfix::parse_message(m);
        EXPECT_TRUE(v) << v.error_code().message();
        if (!v) continue;
        auto sum = cache.process(1, *v, 0, [&](const ipfix::dynamic_record& rec) {
            decoded d;
            d.r = x::decode_record(rec);
            if (d.r.snapshot) d.snapshot.assign(d.r.snapshot->begin(), d.r.snapshot->end());
            d.template_id = rec.templ().id();
            EXPECT_EQ(d.r.other_fields, 0U);
            out.push_back(d);
        });
        EXPECT_EQ(sum.skipped_sets, 0U) << sum.first_error.offset;
        if (gaps && sum.sequence_gap) ++*gaps;
    }
    return out;
}

// Compares one decoded record with the node it came from.
void expect_node(const decoded& d, std::uint32_t type, const e2e::node_input& in) {
    for (const auto& v : t::value_table) {
        const bool present = (type & t::bit_mask(v.bit)) && x::pen10383::element_of(v.id) != x::pen10383::none;
        if (present) {
            ASSERT_TRUE(d.r.value(v.id).has_value()) << v.name;
            EXPECT_EQ(*d.r.value(v.id), in.data.get(v.id)) << v.name;
        } else {
            EXPECT_FALSE(d.r.value(v.id).has_value()) << v.name << " must be absent";
        }
    }
    if (type & t::opaque_mask) {
        ASSERT_TRUE(d.r.schema_id);
        EXPECT_EQ(*d.r.schema_id, in.data.schema_id);
        ASSERT_TRUE(d.r.snapshot);
        EXPECT_EQ(d.snapshot, in.snapshot);
    } else {
        EXPECT_FALSE(d.r.schema_id);
        EXPECT_FALSE(d.r.snapshot);
    }
}

}  // namespace

TEST(Pen10383, TableAndWidths) {
    namespace p = x::pen10383;
    EXPECT_EQ(p::wire_length(p::id::node_id), 3);
    EXPECT_EQ(p::wire_length(p::id::node_id_wide), 7);
    EXPECT_EQ(p::wire_length(p::id::schema_id), 3);
    EXPECT_EQ(p::element_of(value_id::transit_delay), p::id::transit_delay);
    EXPECT_EQ(p::element_of(value_id::checksum_complement), p::id::checksum_complement);
    EXPECT_EQ(p::element_of(value_id::undefined_12), p::none);
    EXPECT_EQ(p::element(14).type, ipfix::data_type::octetArray);
}

TEST(Records, EveryStandardTraceRoundTrips) {
    for (const auto& in : e2e::standard_traces()) {
        SCOPED_TRACE(in.name);
        const auto msg = e2e::trace_message(in);
        const nl::event ev = decode(msg);
        sink s;
        e2e::session<> ex(s, e2e::options(1472));
        ASSERT_TRUE(ex.add(ev));
        ex.flush();
        const auto recs = decode_all(s.messages);
        const std::size_t expect = in.nodes.empty() ? 1 : in.nodes.size();
        ASSERT_EQ(recs.size(), expect);
        for (std::size_t i = 0; i < recs.size(); ++i) {
            const auto& r = recs[i].r;
            EXPECT_EQ(r.event_id, 1U);
            EXPECT_EQ(r.option_type, 0);
            EXPECT_EQ(r.namespace_id, in.namespace_id);
            EXPECT_EQ(r.trace_type, in.type);
            EXPECT_EQ(r.node_index, i);
            EXPECT_EQ(r.node_count, in.nodes.size());
            if (in.nodes.empty()) {
                EXPECT_EQ(r.pen_fields, 6U) << "an empty trace is its context only";
            } else {
                expect_node(recs[i], in.type, in.nodes[i]);
            }
        }
        EXPECT_EQ(ex.counters().records, expect);
        EXPECT_EQ(ex.layout().counts.empty_traces, in.nodes.empty() ? 1U : 0U);
    }
}

TEST(Records, NoSchemaIsNotZero) {
    const auto in = e2e::standard_traces()[4];  // opaque, no schema at node 0
    ASSERT_EQ(in.type, 0x800002U);
    sink s;
    e2e::session<> ex(s, e2e::options(1472));
    ASSERT_TRUE(ex.add(decode(e2e::trace_message(in))));
    ex.flush();
    const auto recs = decode_all(s.messages);
    ASSERT_EQ(recs.size(), 2U);
    EXPECT_EQ(recs[0].r.schema_id, 0xffffffU);
    EXPECT_TRUE(recs[0].snapshot.empty());
    EXPECT_EQ(recs[1].r.schema_id, 8U);
    EXPECT_EQ(recs[1].snapshot.size(), 8U);
}

TEST(Records, TwentyFourAndFiftySixBitFieldsAreBigEndian) {
    // Node id 0x0a0b0c (24 bits) and wide node id 0x11223344556677 (56 bits).
    e2e::trace_input in{"endianness", 5, 0x808000, {e2e::make_node(0, std::nullopt, 0)}};
    in.nodes[0].data.set(value_id::node_id, 0x0a0b0c).set(value_id::node_id_wide, 0x11223344556677ULL);
    const auto msg = e2e::trace_message(in);  // ev borrows it
    const auto ev = decode(msg);
    const auto shape = x::shape_of(ev.trace, 1);
    std::array<x::shape_field, x::max_fields> f{};
    const std::size_t n = x::fields_of(shape, f);
    std::array<std::byte, 256> buf{};
    ioam::byte_writer w(buf);
    const auto nodes = ev.trace.nodes().value();
    const t::node_view node = nodes[0];
    ASSERT_TRUE(x::encode_node_record(shape, {1, 5, 0, 1, {}, {}}, &node, w));
    std::size_t off = 0;
    bool seen_id = false, seen_wide = false;
    for (std::size_t i = 0; i < n; ++i) {
        const auto p = w.written().data() + off;
        if (f[i].spec.id == x::pen10383::id::node_id) {
            ASSERT_EQ(f[i].spec.length, 3);
            EXPECT_EQ(p[0], std::byte{0x0a});
            EXPECT_EQ(p[1], std::byte{0x0b});
            EXPECT_EQ(p[2], std::byte{0x0c});
            seen_id = true;
        }
        if (f[i].spec.id == x::pen10383::id::node_id_wide) {
            ASSERT_EQ(f[i].spec.length, 7);
            for (int k = 0; k < 7; ++k) EXPECT_EQ(p[k], std::byte(0x11 * (k + 1))) << k;
            seen_wide = true;
        }
        off += f[i].spec.length;
    }
    EXPECT_TRUE(seen_id && seen_wide);
    EXPECT_EQ(off, w.size());
}

TEST(Records, FieldsFollowTheTraceTypeAndNothingShifts) {
    // With bits 4 and 7 the fields after them keep their values (the seed shifted them).
    const auto in = e2e::standard_traces()[1];
    ASSERT_EQ(in.type, 0x898000U);
    x::record_shape s;
    s.type = in.type;
    std::array<x::shape_field, x::max_fields> f{};
    const std::size_t n = x::fields_of(s, f);
    std::vector<std::uint16_t> ids;
    for (std::size_t i = 6; i < n; ++i) ids.push_back(f[i].spec.id);
    namespace id = x::pen10383::id;
    EXPECT_EQ(ids, (std::vector<std::uint16_t>{id::hop_limit, id::node_id, id::transit_delay, id::checksum_complement,
                                               id::hop_limit_wide, id::node_id_wide}));
}

TEST(Records, OneTemplatePerShapeAndRefresh) {
    const auto traces = e2e::standard_traces();
    sink s;
    e2e::session<> ex(s, e2e::options(1472));
    std::vector<std::vector<std::byte>> keep;
    for (int round = 0; round < 3; ++round)
        for (const auto& in : traces) {
            keep.push_back(e2e::trace_message(in));
            ASSERT_TRUE(ex.add(decode(keep.back())));
        }
    EXPECT_EQ(ex.counters().templates, traces.size()) << "each shape's template sent once";
    EXPECT_EQ(ex.templates_known(), traces.size());
    ex.refresh_templates();
    EXPECT_EQ(ex.counters().templates, 2 * traces.size());
    ASSERT_TRUE(ex.add(decode(keep.front())));
    EXPECT_EQ(ex.counters().templates, 2 * traces.size()) << "not sent again before the next refresh";
    ex.flush();
    std::map<std::uint16_t, std::uint32_t> type_of;
    for (const auto& d : decode_all(s.messages)) {
        auto [it, fresh] = type_of.emplace(d.template_id, *d.r.trace_type);
        EXPECT_EQ(it->second, *d.r.trace_type) << "one template id, one trace type";
    }
    EXPECT_EQ(type_of.size(), traces.size());
}

TEST(Records, MessagesFillToTheMtuWithCorrectSequenceNumbers) {
    const auto traces = e2e::standard_traces();
    for (const std::size_t mtu : {1472U, 512U, 300U}) {
        SCOPED_TRACE(mtu);
        sink s;
        e2e::session<> ex(s, e2e::options(mtu));
        std::size_t expected_records = 0;
        for (int round = 0; round < 20; ++round)
            for (const auto& in : traces) {
                const auto msg = e2e::trace_message(in);
                ASSERT_TRUE(ex.add(decode(msg)));
                expected_records += in.nodes.empty() ? 1 : in.nodes.size();
            }
        ex.flush();
        ASSERT_GT(s.messages.size(), 2U);
        for (const auto& m : s.messages) EXPECT_LE(m.size(), mtu);
        EXPECT_EQ(ipfix::parse_message(s.messages.front()).value().sequence(), 0U);
        std::size_t gaps = 0;
        const auto recs = decode_all(s.messages, &gaps);
        EXPECT_EQ(recs.size(), expected_records);
        EXPECT_EQ(gaps, 0U) << "sequence numbers count data records (RFC 7011 3.1)";
        // All but the last message are full: what did not fit is at most a set
        // header plus a template record (these inputs' records are smaller).
        const std::size_t slack = 4 + x::max_template_record_size;
        for (std::size_t i = 0; i + 1 < s.messages.size(); ++i) EXPECT_GT(s.messages[i].size() + slack, mtu) << i;
    }
}

TEST(Records, ReportingNodeOnly) {
    const auto in = e2e::standard_traces()[2];  // three nodes
    sink s;
    e2e::session<> ex(s, e2e::options(1472), x::pen10383_layout{x::event_options{x::node_selection::reporting_only, t::type_policy::lenient}});
    ASSERT_TRUE(ex.add(decode(e2e::trace_message(in))));
    ex.flush();
    const auto recs = decode_all(s.messages);
    ASSERT_EQ(recs.size(), 1U);
    EXPECT_EQ(recs[0].r.node_index, 0);
    EXPECT_EQ(recs[0].r.node_count, 3);
    expect_node(recs[0], in.type, in.nodes[0]);
}

TEST(Records, DexEvents) {
    e2e::dex_input in{42, 0xc20002, 0xabcdef01, 99, e2e::make_node(0, 3, 1)};
    const auto msg = e2e::dex_message(in);
    sink s;
    e2e::session<> ex(s, e2e::options(1472));
    ASSERT_TRUE(ex.add(decode(msg)));
    e2e::dex_input bare{43, 0x800000, std::nullopt, std::nullopt, e2e::make_node(1, std::nullopt, 0)};
    const auto msg2 = e2e::dex_message(bare);
    ASSERT_TRUE(ex.add(decode(msg2)));
    ex.flush();
    const auto recs = decode_all(s.messages);
    ASSERT_EQ(recs.size(), 2U);
    EXPECT_EQ(recs[0].r.option_type, 4);
    EXPECT_EQ(recs[0].r.namespace_id, 42);
    EXPECT_EQ(recs[0].r.flow_id, 0xabcdef01U);
    EXPECT_EQ(recs[0].r.sequence, 99U);
    EXPECT_FALSE(recs[0].r.node_index) << "DEX records have no node index";
    expect_node(recs[0], in.type, in.node);
    EXPECT_EQ(recs[1].r.event_id, 2U);
    EXPECT_FALSE(recs[1].r.flow_id);
    EXPECT_FALSE(recs[1].r.sequence);
    expect_node(recs[1], bare.type, bare.node);
    EXPECT_NE(recs[0].template_id, recs[1].template_id);
    EXPECT_EQ(ex.layout().counts.dex_events, 2U);
}

TEST(Records, MalformedNodeDataIsCountedAndSkipped) {
    auto in = e2e::standard_traces()[0];
    sink s;
    e2e::session<> ex(s, e2e::options(1472));
    // NodeLen disagreeing with the trace type.
    auto bad_len = e2e::trace_message(in, 0, 3);
    EXPECT_FALSE(ex.add(decode(bad_len)));
    // NodeLen 0 with a type without fields.
    e2e::trace_input empty_type{"type 0", 1, 0, {}};
    EXPECT_FALSE(ex.add(decode(e2e::trace_message(empty_type))));
    EXPECT_EQ(ex.counters().malformed, 2U);
    EXPECT_EQ(ex.counters().records, 0U);
    EXPECT_FALSE(ex.pending()) << "nothing written for a skipped event";
    // The next good event exports normally, with event id 1.
    ASSERT_TRUE(ex.add(decode(e2e::trace_message(in))));
    ex.flush();
    const auto recs = decode_all(s.messages);
    ASSERT_EQ(recs.size(), 2U);
    EXPECT_EQ(recs[0].r.event_id, 1U);
}

TEST(Records, TemplateTableReusesTheLeastRecentlyUsedId) {
    x::template_table<x::record_shape, 2> tt(300);
    using found = decltype(tt)::found;
    found ev{};
    bool wd = false;
    x::record_shape a{0x800000}, b{0x400000}, c{0x200000};
    EXPECT_EQ(tt.lookup(a, ev, wd).id, 300);
    EXPECT_EQ(tt.lookup(b, ev, wd).id, 301);
    EXPECT_EQ(tt.lookup(a, ev, wd).id, 300);
    EXPECT_EQ(ev, found::known);
    EXPECT_EQ(tt.lookup(c, ev, wd).id, 301) << "b was least recently used";
    EXPECT_EQ(ev, found::evicted);
    EXPECT_FALSE(tt.sent(tt.lookup(c, ev, wd)));
}

// A template id reused for a new shape: over TCP (and SCTP, files) the old
// template is withdrawn first, in its own message, and only when this stream
// defined it (RFC 7011 8.1); over UDP the new definition simply replaces it.
TEST(Records, EvictionWithdrawsBeforeReuseOnStreams) {
    const auto withdrawals = [](const std::vector<std::vector<std::byte>>& msgs) {
        std::vector<std::pair<std::size_t, std::uint16_t>> out;  // (message, id)
        for (std::size_t i = 0; i < msgs.size(); ++i)
            for (const auto s : ipfix::parse_message(msgs[i]).value().sets())
                if (s.is_template_set())
                    for (const auto tr : ipfix::parse_template_set(s).value())
                        if (tr.is_withdrawal()) out.emplace_back(i, tr.id());
        return out;
    };
    const auto event = [&](std::uint32_t type) {
        e2e::trace_input in{"x", 7, type, {e2e::make_node(0, {}, 0)}};
        return e2e::trace_message(in);
    };
    const std::vector<std::uint32_t> types = {0x800000, 0x400000, 0x200000};  // three shapes, two ids
    for (const auto over : {ipfix::transport::tcp, ipfix::transport::file, ipfix::transport::udp}) {
        SCOPED_TRACE(over == ipfix::transport::tcp ? "tcp" : over == ipfix::transport::file ? "file" : "udp");
        sink s;
        s.over = over;
        auto& msgs = s.messages;
        e2e::session<x::pen10383_layout, 2> ex(s, e2e::options(1472, 300));
        std::vector<std::vector<std::byte>> keep;
        for (const auto ty : types) {
            keep.push_back(event(ty));
            ASSERT_TRUE(ex.add(decode(keep.back())));
        }
        ex.flush();
        EXPECT_EQ(ex.counters().evictions, 1U);
        const auto wd = withdrawals(msgs);
        if (over == ipfix::transport::udp) {
            EXPECT_TRUE(wd.empty());
            EXPECT_EQ(ex.counters().withdrawals, 0U);
        } else {
            ASSERT_EQ(wd.size(), 1U);
            EXPECT_EQ(wd[0].second, 300) << "the least recently used id";
            EXPECT_EQ(ex.counters().withdrawals, 1U);
            // The withdrawal ends its message; the new definition follows.
            ASSERT_LT(wd[0].first + 1, msgs.size());
            bool redefined_later = false;
            for (const auto s : ipfix::parse_message(msgs[wd[0].first + 1]).value().sets())
                if (s.is_template_set())
                    for (const auto tr : ipfix::parse_template_set(s).value())
                        redefined_later |= tr.id() == 300 && !tr.is_withdrawal();
            EXPECT_TRUE(redefined_later);
            // A new session (templates forgotten): no withdrawal of an id this
            // stream never defined.
            msgs.clear();
            ex.restart();
            keep.push_back(event(0x100000));
            ASSERT_TRUE(ex.add(decode(keep.back())));
            ex.flush();
            EXPECT_TRUE(withdrawals(msgs).empty());
        }
        // Every record still decodes to its own trace type.
        for (const auto& d : decode_all(msgs)) EXPECT_NE(d.r.trace_type, std::nullopt);
    }
}

TEST(Records, TemplateIdsStayAbove255) {
    // Ids past 65535 go on at 256; a first id below 256 counts as 256.
    const auto ids = [](std::uint16_t first) {
        x::template_table<x::record_shape, 3> tt(first);
        std::vector<std::uint16_t> v;
        decltype(tt)::found ev{};
        bool wd = false;
        for (const std::uint32_t type : {0x800000U, 0x400000U, 0x200000U}) v.push_back(tt.lookup({type}, ev, wd).id);
        return v;
    };
    EXPECT_EQ(ids(300), (std::vector<std::uint16_t>{300, 301, 302}));
    EXPECT_EQ(ids(65535), (std::vector<std::uint16_t>{65535, 256, 257}));
    EXPECT_EQ(ids(7), (std::vector<std::uint16_t>{256, 257, 258}));

    // Through the exporter: every record of two shapes is written and decodes.
    const auto traces = e2e::standard_traces();
    sink s;
    e2e::session<x::pen10383_layout, 2> ex(s, e2e::options(1472, 65535));
    std::vector<std::vector<std::byte>> keep;
    std::size_t expected_records = 0;
    for (std::size_t i : {0U, 2U}) {
        keep.push_back(e2e::trace_message(traces[i]));
        ASSERT_TRUE(ex.add(decode(keep.back())));
        expected_records += traces[i].nodes.size();
    }
    ex.flush();
    EXPECT_EQ(ex.counters().records, expected_records);
    const auto recs = decode_all(s.messages);
    ASSERT_EQ(recs.size(), expected_records);
    EXPECT_EQ(recs.front().template_id, 65535);
    EXPECT_EQ(recs.back().template_id, 256);
}

// The statistics options record: its template once per stream (again after
// the caller resets the flag), the record in the next message when the
// current one is full, every value as given.
TEST(Stats, TemplateOnceRecordsInOrderAcrossMessages) {
    struct {
        std::array<std::byte, 256> buf{};  // room for the template and one record, not for three records
        ipfix::message_writer w{buf, 1, 0, ipfix::writer_options{256, ipfix::transport::udp, 0, {}}};
        std::vector<std::vector<std::byte>> messages;
        void flush() {
            if (w.empty()) return;
            auto m = w.finish(1700000000);
            messages.emplace_back(m.begin(), m.end());
            w.reset();
        }
        auto flusher() {
            return [this](ipfix::message_writer&) { flush(); };
        }
    } s;
    std::uint8_t sent = 0;
    std::vector<std::uint64_t> want;
    for (std::uint64_t k = 1; k <= 4; ++k) {
        x::exporter_stats v;
        v.process_id = 4711;
        v.started = ipfix::date_time_milliseconds{1000};
        v.now = ipfix::date_time_milliseconds{1000 + k};
        v.records = 100 * k;
        v.lost_events = k;
        if (k == 4) sent = 0;  // a template refresh
        ASSERT_TRUE(x::add_stats_record(s.w, sent, v, s.flusher()));
        EXPECT_EQ(sent, x::stats_sent_plain);
        want.push_back(100 * k);
    }
    s.flush();
    ASSERT_GT(s.messages.size(), 1U) << "the small message overflowed into the next";
    std::size_t templates = 0;
    std::vector<std::uint64_t> got;
    ipfix::template_cache cache(ipfix::ie_registry{ipfix::iana_registry});
    for (const auto& m : s.messages) {
        const auto v = ipfix::parse_message(m).value();
        const auto sum = cache.process(1, v, 0, [&](const ipfix::dynamic_record& r) {
            EXPECT_TRUE(r.templ().is_options());
            EXPECT_EQ(r.templ().id(), x::stats_template_id);
            std::uint64_t u = 0;
            ASSERT_TRUE(r.find(ipfix::ie::exportedFlowRecordTotalCount::info.id).to_u64(u));
            got.push_back(u);
            ASSERT_TRUE(r.find(ipfix::ie::exportingProcessId::info.id).to_u64(u));
            EXPECT_EQ(u, 4711U);
        });
        templates += sum.templates;
        EXPECT_EQ(sum.skipped_sets, 0U);
    }
    EXPECT_EQ(got, want);
    EXPECT_EQ(templates, 2U) << "once, and once more after the refresh";
}

// With the kernel's counters the record is template 4001: the same IANA
// fields, then ioamKernelEventsSent and ioamKernelEventsSuppressed (PEN
// 10383/26, 27). A stream that gets both kinds (the kernel's reply failed
// once) has each template sent once.
TEST(Stats, KernelCountersInTheirOwnTemplate) {
    std::array<std::byte, 1400> buf{};
    ipfix::message_writer w{buf, 1, 0, ipfix::writer_options{1400, ipfix::transport::udp, 0, {}}};
    std::uint8_t sent = 0;
    const auto no_flush = [](ipfix::message_writer&) { ADD_FAILURE() << "room for all"; };
    for (int k = 0; k < 3; ++k) {
        x::exporter_stats v;
        v.process_id = 4711;
        v.records = 10U + static_cast<unsigned>(k);
        v.kernel = k != 1;
        v.kernel_sent = 0x0102030405060708ULL + static_cast<unsigned>(k);
        v.kernel_suppressed = 1000U + static_cast<unsigned>(k);
        ASSERT_TRUE(x::add_stats_record(w, sent, v, no_flush));
    }
    EXPECT_EQ(sent, x::stats_sent_plain | x::stats_sent_kernel);
    const auto m = w.finish(1700000000);
    ipfix::ie_registry reg{ipfix::iana_registry};
    reg.add(x::pen10383::registry());
    ipfix::template_cache cache(reg);
    std::vector<std::string> got;
    const auto sum = cache.process(1, ipfix::parse_message(m).value(), 0, [&](const ipfix::dynamic_record& r) {
        std::uint64_t records = 0, ks = 0, kq = 0;
        ASSERT_TRUE(r.find(ipfix::ie::exportedFlowRecordTotalCount::info.id).to_u64(records));
        const auto fs = r.find(x::pen10383::id::kernel_events_sent, x::pen10383::pen);
        const auto fq = r.find(x::pen10383::id::kernel_events_suppressed, x::pen10383::pen);
        ASSERT_EQ(fs.spec != nullptr, r.templ().id() == x::stats_kernel_template_id);
        if (fs.spec) {
            ASSERT_TRUE(fq.spec && fs.to_u64(ks) && fq.to_u64(kq));
            EXPECT_EQ(fs.bytes.size(), 8U);
        }
        got.push_back(std::to_string(r.templ().id()) + " " + std::to_string(records) + " " + std::to_string(ks) + " " +
                      std::to_string(kq));
    });
    EXPECT_EQ(sum.templates, 2U);
    EXPECT_EQ(got, (std::vector<std::string>{"4001 10 72623859790382856 1000", "4000 11 0 0",
                                             "4001 12 72623859790382858 1002"}));
}
