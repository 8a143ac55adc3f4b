// Tests include/ioam/ipfix/list.hpp: RFC 6313 basicList, subTemplateList and
// subTemplateMultiList, encoded and decoded, golden bytes written out by hand
// from the layouts of RFC 6313 4.5 and the data of its section 9 examples,
// lists inside records (RFC 7011 7 variable-length fields), and bad input.
#include "ioam/ipfix/list.hpp"
#include "ioam/ipfix/iana.hpp"
#include "ioam/ipfix/message.hpp"
#include "ioam/ipfix/template_cache.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <random>
#include <string_view>
#include <tuple>
#include <vector>

namespace {
using namespace ioam;
using namespace ioam::ipfix;

template <class... T>
std::vector<std::byte> bytes(T... v) {
    return {static_cast<std::byte>(v)...};
}
std::vector<std::byte> to_vec(bytes_view b) { return {b.begin(), b.end()}; }

ipv4_address v4(int a, int b, int c, int d) { return ipv4_address{make_bytes(a, b, c, d)}; }

// ---- basicList -----------------------------------------------------------------------

// The decoders are constexpr: an RFC 6313 4.5.1 basicList decoded at compile time.
constexpr auto k_basic = make_bytes(0x03, 0x00, 0x0e, 0x00, 0x04, 0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0, 8);
static_assert(decode_basic_list(k_basic)->size() == 3);
static_assert(decode_basic_list(k_basic)->semantic() == list_semantic::allOf);
static_assert([] {
    std::uint32_t sum = 0;
    const auto values = decode_basic_list(k_basic)->as<ie::egressInterface>();  // named: a view borrows
    for (std::uint32_t x : *values) sum += x;
    return sum;
}() == 13);
static_assert(decode_basic_list(std::span{k_basic}.first(15)).code() == errc::bad_list);
static_assert(decode_sub_template_multi_list(make_bytes(3, 1, 1, 0, 2)).code() == errc::bad_list);


// RFC 6313 9.1: a multicast flow (source, group, ingress interface) whose
// outgoing interfaces are an allOf basicList of egressInterface (id 14, 4
// octets), carried in an IPFIX basicList field (id 291, variable length) with
// the 3-octet length prefix. Layout: semantic | 0 | 14 | 4 | three elements.
using t_multicast =
    data_template<256, ie::sourceIPv4Address, ie::destinationIPv4Address, ie::ingressInterface, ie::basicList>;

TEST(BasicList, EncodesTheLayoutOfRfc6313Section4_5_1) {
    std::array<std::byte, 64> buf{};
    byte_writer w(buf);
    const std::array<std::uint32_t, 3> out{1, 4, 8};
    ASSERT_TRUE(encode_basic_list<ie::egressInterface>(w, list_semantic::allOf, out));
    // Semantic allOf (0x03), E = 0 and Field ID 14, Element Length 4, elements.
    EXPECT_EQ(to_vec(w.written()), bytes(0x03, 0x00, 0x0e, 0x00, 0x04,  //
                                         0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0, 8));
    EXPECT_EQ(w.size(), 17U) << "the List Length of the RFC 6313 9.1 example";
}

TEST(BasicList, GoldenDataSetOfRfc6313Section9_1) {
    std::array<std::byte, 64> scratch{};
    byte_writer lw(scratch);
    ASSERT_TRUE(encode_basic_list<ie::egressInterface>(lw, list_semantic::allOf, std::array<std::uint32_t, 3>{1, 4, 8}));

    std::array<std::byte, 256> buf{};
    writer_options opt;
    opt.records.long_varlen = true;  // the RFC example uses the 3-octet length form
    message_writer mw(buf, 1, 0, opt);
    ASSERT_TRUE(mw.add_record<t_multicast>(
        std::tuple{v4(192, 0, 2, 201), v4(233, 252, 0, 1), std::uint32_t{9}, octet_array_view{lw.written()}}));
    const auto msg = mw.finish(0);
    const auto set = to_vec(msg.subspan(message_header_size));
    // Written out by hand: Set ID 256, Length 36; the three fixed fields; 255,
    // List Length 17; the basicList.
    const auto expect = bytes(0x01, 0x00, 0x00, 36,                     // set header
                              192, 0, 2, 201, 233, 252, 0, 1, 0, 0, 0, 9,  // src, group, ingress
                              255, 0x00, 17,                               // RFC 7011 7 long prefix
                              0x03, 0x00, 0x0e, 0x00, 0x04,                // allOf, egressInterface, 4
                              0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0, 8);
    EXPECT_EQ(set, expect);

    // And back: the record's basicList field is the list's octets.
    auto m = parse_message(msg);
    ASSERT_TRUE(m);
    auto ds = parse_data_set<t_multicast>(*m->sets().begin());
    ASSERT_TRUE(ds);
    ASSERT_EQ(ds->size(), 1U);
    const auto rec = *ds->begin();
    EXPECT_EQ(get<ie::ingressInterface>(rec), 9U);
    const octet_array_view field = get<ie::basicList>(rec);
    auto l = decode_basic_list(field, static_cast<std::size_t>(field.data() - msg.data()));
    ASSERT_TRUE(l);
    EXPECT_EQ(l->semantic(), list_semantic::allOf);
    EXPECT_TRUE(l->holds<ie::egressInterface>());
    EXPECT_FALSE(l->holds<ie::ingressInterface>());
    EXPECT_EQ(l->size(), 3U);
    auto vals = l->as<ie::egressInterface>();
    ASSERT_TRUE(vals);
    std::vector<std::uint32_t> got(vals->begin(), vals->end());
    EXPECT_EQ(got, (std::vector<std::uint32_t>{1, 4, 8}));
    // Asking for another IE is refused, with the offset of the Field ID.
    auto wrong = l->as<ie::ingressInterface>();
    ASSERT_FALSE(wrong);
    EXPECT_EQ(wrong.code(), errc::template_mismatch);
    EXPECT_EQ(wrong.offset(), static_cast<std::size_t>(field.data() - msg.data()) + 1);
}

TEST(BasicList, ShortLengthPrefixRoundTripsThroughARecordToo) {
    std::array<std::byte, 64> scratch{};
    byte_writer lw(scratch);
    ASSERT_TRUE(encode_basic_list<ie::egressInterface>(lw, list_semantic::ordered, std::array<std::uint32_t, 2>{7, 3}));
    std::array<std::byte, 128> buf{};
    byte_writer w(buf);
    ASSERT_TRUE(encode_record<t_multicast>(
        w, std::tuple{v4(10, 0, 0, 1), v4(239, 1, 1, 1), std::uint32_t{2}, octet_array_view{lw.written()}}));
    EXPECT_EQ(w.size(), 12U + 1 + 13) << "1-octet prefix for a 13-octet list";
    EXPECT_EQ(std::to_integer<int>(buf[12]), 13);
    auto r = decode_record<t_multicast>(w.written());
    ASSERT_TRUE(r);
    auto l = decode_basic_list(get<ie::basicList>(*r));
    ASSERT_TRUE(l);
    EXPECT_EQ(l->semantic(), list_semantic::ordered);
    auto v = l->as<data_type::unsigned32>();
    ASSERT_TRUE(v);
    EXPECT_EQ((std::vector<std::uint32_t>(v->begin(), v->end())), (std::vector<std::uint32_t>{7, 3}));
}

TEST(BasicList, EnterpriseElementsReducedSizeAndEmptyList) {
    using pen_ie = enterprise<10383, 2, data_type::unsigned32>;
    std::array<std::byte, 64> buf{};
    byte_writer w(buf);
    ASSERT_TRUE((encode_basic_list<reduced<pen_ie, 3>>(w, list_semantic::exactlyOneOf,
                                                       std::array<std::uint32_t, 2>{0x010203, 0xfffffe})));
    EXPECT_EQ(to_vec(w.written()), bytes(0x01, 0x80, 0x02, 0x00, 0x03, 0x00, 0x00, 0x28, 0x8f,  //
                                         0x01, 0x02, 0x03, 0xff, 0xff, 0xfe));
    auto l = decode_basic_list(w.written());
    ASSERT_TRUE(l);
    EXPECT_EQ(l->field().id, 2);
    EXPECT_EQ(l->field().enterprise, 10383U);
    EXPECT_EQ(l->element_length(), 3);
    auto v = l->as<pen_ie>();
    ASSERT_TRUE(v);
    EXPECT_EQ((std::vector<std::uint32_t>(v->begin(), v->end())), (std::vector<std::uint32_t>{0x010203, 0xfffffe}));

    // A value too large for the reduced size fails and leaves nothing behind.
    byte_writer w2(buf);
    auto bad = encode_basic_list<reduced<pen_ie, 1>>(w2, list_semantic::allOf, std::array<std::uint32_t, 1>{256});
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.code(), errc::value_out_of_range);
    EXPECT_EQ(w2.size(), 0U);

    // An empty list is a header only (RFC 6313 4.5.1 allows zero elements).
    byte_writer w3(buf);
    ASSERT_TRUE(encode_basic_list<ie::egressInterface>(w3, list_semantic::noneOf, std::array<std::uint32_t, 0>{}));
    auto e = decode_basic_list(w3.written());
    ASSERT_TRUE(e);
    EXPECT_TRUE(e->empty());
    EXPECT_EQ(e->begin(), e->end());
}

TEST(BasicList, VariableLengthElementsUseRfc7011Section7Prefixes) {
    const std::string long_name(300, 'x');
    const std::array<std::string_view, 3> names{"eth0", "", long_name};
    std::array<std::byte, 512> buf{};
    byte_writer w(buf);
    ASSERT_TRUE(encode_basic_list<ie::interfaceName>(w, list_semantic::allOf, names));
    // Header: Element Length 65535; then 4 "eth0", 0, 255 0x012c + 300 octets.
    EXPECT_EQ(to_vec(w.written().first(11)), bytes(0x03, 0x00, 82, 0xff, 0xff, 4, 'e', 't', 'h', '0', 0));
    EXPECT_EQ(to_vec(w.written().subspan(11, 3)), bytes(255, 0x01, 0x2c));
    EXPECT_EQ(w.size(), 5U + 5 + 1 + 3 + 300);
    auto l = decode_basic_list(w.written());
    ASSERT_TRUE(l);
    EXPECT_TRUE(l->is_variable());
    EXPECT_EQ(l->size(), 3U);
    auto v = l->as<ie::interfaceName>();
    ASSERT_TRUE(v);
    std::vector<std::string_view> got(v->begin(), v->end());
    ASSERT_EQ(got.size(), 3U);
    EXPECT_EQ(got[0], "eth0");
    EXPECT_EQ(got[1], "");
    EXPECT_EQ(got[2], long_name);
    // Variable-length elements cannot be read as a fixed-size type.
    auto bad = l->as<data_type::unsigned32>();
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.code(), errc::bad_field_length);
}

TEST(BasicList, RunTimeWriterAndRawElements) {
    std::array<std::byte, 64> buf{};
    byte_writer w(buf);
    basic_list_writer l(w, list_semantic::oneOrMoreOf, field_spec{8, 0, 4, data_type::ipv4Address});
    l.add<data_type::ipv4Address>(v4(192, 0, 2, 1)).add_bytes(make_bytes(192, 0, 2, 2));
    EXPECT_EQ(l.size(), 2U);
    ASSERT_TRUE(l.finish());
    auto d = decode_basic_list(w.written());
    ASSERT_TRUE(d);
    std::vector<std::vector<std::byte>> raw;
    for (bytes_view e : *d) raw.push_back(to_vec(e));
    EXPECT_EQ(raw, (std::vector<std::vector<std::byte>>{bytes(192, 0, 2, 1), bytes(192, 0, 2, 2)}));

    // A raw element of the wrong size is refused; the list is removed.
    byte_writer w2(buf);
    w2.put_u8(0xaa);
    basic_list_writer l2(w2, list_semantic::allOf, field_spec{8, 0, 4, data_type::ipv4Address});
    l2.add_bytes(make_bytes(1, 2, 3));
    auto r = l2.finish();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.code(), errc::value_out_of_range);
    EXPECT_EQ(r.offset(), 1U);
    EXPECT_EQ(w2.size(), 1U);
}

TEST(BasicList, NoRoomIsAnErrorAndLeavesTheWriterClean) {
    std::array<std::byte, 12> buf{};
    byte_writer w(buf);
    w.put_be16(0x1234);
    auto r = encode_basic_list<ie::egressInterface>(w, list_semantic::allOf, std::array<std::uint32_t, 3>{1, 2, 3});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.code(), errc::no_room);
    EXPECT_EQ(r.offset(), 2U);
    EXPECT_EQ(w.size(), 2U);
    EXPECT_TRUE(w.ok()) << "the writer is usable again after the list was dropped";
}

// ---- subTemplateList -----------------------------------------------------------------------

// Inner template of the subTemplateList examples: a per-hop measurement.
using t_hop = data_template<257, ie::ipNextHopIPv4Address, ie::minimumTTL>;
using t_outer = data_template<258, ie::flowId, ie::subTemplateList>;

TEST(SubTemplateList, GoldenBytesOfRfc6313Section4_5_2) {
    std::array<std::byte, 64> buf{};
    byte_writer w(buf);
    const std::array<t_hop::values, 2> hops{t_hop::values{v4(192, 0, 2, 1), 64}, t_hop::values{v4(192, 0, 2, 2), 63}};
    ASSERT_TRUE(encode_sub_template_list<t_hop>(w, list_semantic::ordered, hops));
    // Semantic ordered (4), Template ID 257, then two 5-octet records.
    EXPECT_EQ(to_vec(w.written()), bytes(0x04, 0x01, 0x01,  //
                                         192, 0, 2, 1, 64, 192, 0, 2, 2, 63));
    auto l = decode_sub_template_list<t_hop>(w.written());
    ASSERT_TRUE(l);
    EXPECT_EQ(l->semantic(), list_semantic::ordered);
    EXPECT_EQ(l->template_id(), 257);
    ASSERT_EQ(l->size(), 2U);
    std::vector<int> ttl;
    for (auto r : *l) ttl.push_back(get<ie::minimumTTL>(r));
    EXPECT_EQ(ttl, (std::vector<int>{64, 63}));
    EXPECT_EQ(get<ie::ipNextHopIPv4Address>(*std::next(l->begin())), v4(192, 0, 2, 2));
}

struct hop {
    ipv4_address next_hop;
    std::uint8_t ttl;
};

TEST(SubTemplateList, InsideARecordWithCompileTimeAndRunTimeTemplates) {
    std::array<std::byte, 64> scratch{};
    byte_writer lw(scratch);
    sub_template_list_writer sl(lw, list_semantic::allOf, t_hop::id);
    sl.add<t_hop>(hop{v4(10, 0, 0, 1), 5}).add<t_hop>(hop{v4(10, 0, 0, 2), 6});
    ASSERT_TRUE(sl.finish());

    std::array<std::byte, 256> buf{};
    message_writer mw(buf, 9, 0);
    ASSERT_TRUE(mw.add_template<t_hop>());
    ASSERT_TRUE(mw.add_template<t_outer>());
    ASSERT_TRUE(mw.add_record<t_outer>(std::tuple{std::uint64_t{77}, octet_array_view{lw.written()}}));
    const auto msg = mw.finish(1);

    auto m = parse_message(msg);
    ASSERT_TRUE(m);
    // Compile-time side.
    for (auto s : m->sets()) {
        if (s.id() != t_outer::id) continue;
        auto ds = parse_data_set<t_outer>(s);
        ASSERT_TRUE(ds);
        for (auto rec : *ds) {
            EXPECT_EQ(get<ie::flowId>(rec), 77U);
            auto inner = decode_sub_template_list<t_hop>(get<ie::subTemplateList>(rec));
            ASSERT_TRUE(inner);
            ASSERT_EQ(inner->size(), 2U);
            EXPECT_EQ(get<ie::minimumTTL>(*inner->begin()), 5);
            // The wrong compile-time template is refused.
            auto other = decode_sub_template_list<t_outer>(get<ie::subTemplateList>(rec));
            ASSERT_FALSE(other);
            EXPECT_EQ(other.code(), errc::template_mismatch);
        }
    }
    // Run-time side: a collector's template cache resolves the inner template.
    template_cache cache{ie_registry{iana_registry}};
    std::vector<std::uint8_t> ttls;
    auto sum = cache.process(1, *m, 0, [&](const dynamic_record& rec) {
        if (rec.templ().id() != t_outer::id) return;
        const field_view f = rec.find(ie::subTemplateList::info.id);
        ASSERT_NE(f.spec, nullptr);
        EXPECT_EQ(f.type(), data_type::subTemplateList);
        auto l = decode_sub_template_list(f.bytes, [&](std::uint16_t id) -> const dynamic_template* {
            auto t = cache.find(1, 9, id);
            return t ? *t : nullptr;
        });
        ASSERT_TRUE(l) << static_cast<int>(l.code());
        EXPECT_EQ(l->semantic(), list_semantic::allOf);
        EXPECT_EQ(l->template_id(), t_hop::id);
        for (const dynamic_record hr : *l) {
            std::uint8_t t = 0;
            ASSERT_TRUE(hr.get<ie::minimumTTL>(t));
            ttls.push_back(t);
        }
    });
    EXPECT_EQ(sum.records, 1U);
    EXPECT_EQ(ttls, (std::vector<std::uint8_t>{5, 6}));

    // An unknown inner template is reported with the offset of its id.
    auto none = decode_sub_template_list(bytes_view{lw.written()}, [](std::uint16_t) -> const dynamic_template* {
        return nullptr;
    }, 100);
    ASSERT_FALSE(none);
    EXPECT_EQ(none.code(), errc::unknown_template);
    EXPECT_EQ(none.offset(), 101U);
}

TEST(SubTemplateList, WriterRefusesAnotherTemplate) {
    std::array<std::byte, 64> buf{};
    byte_writer w(buf);
    sub_template_list_writer l(w, list_semantic::allOf, t_hop::id);
    l.add<t_outer>(std::tuple{std::uint64_t{1}, octet_array_view{}});
    auto r = l.finish();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.code(), errc::template_mismatch);
    EXPECT_EQ(w.size(), 0U);

    byte_writer w2(buf);
    sub_template_list_writer l2(w2, list_semantic::allOf, 255);
    auto r2 = l2.finish();
    ASSERT_FALSE(r2);
    EXPECT_EQ(r2.code(), errc::bad_template_id);
}

// ---- subTemplateMultiList -------------------------------------------------------------------

using t_port = data_template<259, ie::sourceTransportPort>;

TEST(SubTemplateMultiList, GoldenBytesOfRfc6313Section4_5_3) {
    std::array<std::byte, 64> buf{};
    byte_writer w(buf);
    sub_template_multi_list_writer l(w, list_semantic::allOf);
    l.add<t_hop>(hop{v4(192, 0, 2, 1), 64})
        .add<t_hop>(hop{v4(192, 0, 2, 2), 63})
        .add<t_port>(std::tuple{std::uint16_t{4739}});
    EXPECT_EQ(l.entries(), 2U);
    ASSERT_TRUE(l.finish());
    // Semantic; entry 257 with Data Records Length 4 + 2 * 5 = 14 (it counts
    // its own 4 header octets, RFC 6313 4.5.3); entry 259 with length 6.
    EXPECT_EQ(to_vec(w.written()), bytes(0x03,                                          //
                                         0x01, 0x01, 0x00, 14,                          //
                                         192, 0, 2, 1, 64, 192, 0, 2, 2, 63,            //
                                         0x01, 0x03, 0x00, 6, 0x12, 0x83));
    auto m = decode_sub_template_multi_list(w.written(), 40);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->semantic(), list_semantic::allOf);
    ASSERT_EQ(m->size(), 2U);
    auto it = m->begin();
    const multi_list_entry a = *it++;
    const multi_list_entry b = *it++;
    EXPECT_EQ(it, m->end());
    EXPECT_EQ(a.template_id(), 257);
    EXPECT_EQ(a.offset(), 41U);
    EXPECT_EQ(b.template_id(), 259);
    EXPECT_EQ(b.offset(), 55U);
    auto ra = a.records<t_hop>();
    ASSERT_TRUE(ra);
    EXPECT_EQ(ra->size(), 2U);
    auto rb = b.records<t_port>();
    ASSERT_TRUE(rb);
    EXPECT_EQ(get<ie::sourceTransportPort>(*rb->begin()), 4739);
    auto wrong = b.records<t_hop>();
    ASSERT_FALSE(wrong);
    EXPECT_EQ(wrong.code(), errc::template_mismatch);
    EXPECT_EQ(wrong.offset(), 55U);

    // Run-time templates read the same entries.
    ie_registry reg{iana_registry};
    auto dt = dynamic_template::from_fields(t_hop::id, t_hop::fields, 0, false, &reg);
    ASSERT_TRUE(dt);
    auto rd = a.records(*dt);
    ASSERT_TRUE(rd);
    std::vector<std::uint8_t> ttl;
    for (const dynamic_record r : *rd) {
        std::uint8_t t = 0;
        ASSERT_TRUE(r.get<ie::minimumTTL>(t));
        ttl.push_back(t);
    }
    EXPECT_EQ(ttl, (std::vector<std::uint8_t>{64, 63}));
}

TEST(SubTemplateMultiList, EmptyEntriesAndRecordsOfRunTimeTemplates) {
    std::array<std::byte, 64> buf{};
    byte_writer w(buf);
    sub_template_multi_list_writer l(w, list_semantic::undefined);
    l.add_empty_entry(300).add_record_bytes(301, make_bytes(1, 2)).add_record_bytes(301, make_bytes(3, 4));
    ASSERT_TRUE(l.finish());
    EXPECT_EQ(to_vec(w.written()), bytes(0xff, 0x01, 0x2c, 0, 4, 0x01, 0x2d, 0, 8, 1, 2, 3, 4));
    auto m = decode_sub_template_multi_list(w.written());
    ASSERT_TRUE(m);
    ASSERT_EQ(m->size(), 2U);
    EXPECT_TRUE((*m->begin()).bytes().empty());
}

// ---- bad input: every case is an error with an offset, never a crash ----------------

struct bad_case {
    const char* what;
    std::vector<std::byte> in;
    errc code;
    std::size_t offset;
};

TEST(ListBadInput, BasicList) {
    const std::vector<bad_case> cases{
        {"empty", {}, errc::truncated, 10},
        {"truncated header", bytes(3, 0, 14, 0), errc::truncated, 10},
        {"E bit without enterprise number", bytes(3, 0x80, 14, 0, 4, 0, 0), errc::truncated, 15},
        {"element length 0", bytes(3, 0, 14, 0, 0, 1), errc::bad_list, 13},
        {"partial last element", bytes(3, 0, 14, 0, 4, 0, 0, 0, 1, 0, 0), errc::bad_list, 19},
        {"varlen element past the end", bytes(3, 0, 82, 0xff, 0xff, 2, 'a', 'b', 5, 'c'), errc::length_past_end, 18},
        {"varlen long prefix truncated", bytes(3, 0, 82, 0xff, 0xff, 255, 0), errc::truncated, 15},
        {"varlen long length past the end", bytes(3, 0, 82, 0xff, 0xff, 255, 0, 9, 'a'), errc::length_past_end, 15},
    };
    for (const auto& c : cases) {
        auto r = decode_basic_list(c.in, 10);
        ASSERT_FALSE(r) << c.what;
        EXPECT_EQ(r.code(), c.code) << c.what;
        EXPECT_EQ(r.offset(), c.offset) << c.what;
    }
}

TEST(ListBadInput, SubTemplateList) {
    const std::vector<bad_case> cases{
        {"truncated header", bytes(3, 1), errc::truncated, 0},
        {"template id below 256", bytes(3, 0, 255, 1, 2, 3, 4, 5), errc::bad_template_id, 1},
        {"template id 2 (a set id)", bytes(3, 0, 2), errc::bad_template_id, 1},
        {"other template", bytes(3, 1, 2), errc::template_mismatch, 1},
        {"partial record", bytes(3, 1, 1, 192, 0, 2, 1, 64, 10, 0), errc::truncated, 8},
    };
    for (const auto& c : cases) {
        auto r = decode_sub_template_list<t_hop>(c.in);
        ASSERT_FALSE(r) << c.what;
        EXPECT_EQ(r.code(), c.code) << c.what;
        EXPECT_EQ(r.offset(), c.offset) << c.what;
    }
    // Run-time template: a variable-length field past the end of the list.
    ie_registry reg{iana_registry};
    const std::array<field_spec, 1> f{field_spec{82, 0, variable_length, data_type::string}};
    auto dt = dynamic_template::from_fields(400, f, 0, false, &reg);
    ASSERT_TRUE(dt);
    auto r = decode_sub_template_list(bytes(3, 0x01, 0x90, 2, 'a', 'b', 4, 'c'), *dt);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.code(), errc::length_past_end);
    EXPECT_EQ(r.offset(), 6U);
}

TEST(ListBadInput, SubTemplateMultiList) {
    const std::vector<bad_case> cases{
        {"empty", {}, errc::truncated, 0},
        {"truncated entry header", bytes(3, 1, 1, 0), errc::truncated, 1},
        {"entry length below 4", bytes(3, 1, 1, 0, 3, 0), errc::bad_list, 3},
        {"entry length 0", bytes(3, 1, 1, 0, 0), errc::bad_list, 3},
        {"entry length past the end", bytes(3, 1, 1, 0, 9, 1, 2), errc::length_past_end, 3},
        {"template id below 256", bytes(3, 0, 7, 0, 4), errc::bad_template_id, 1},
        {"second entry truncated", bytes(3, 1, 1, 0, 4, 1, 1), errc::truncated, 5},
    };
    for (const auto& c : cases) {
        auto r = decode_sub_template_multi_list(c.in);
        ASSERT_FALSE(r) << c.what;
        EXPECT_EQ(r.code(), c.code) << c.what;
        EXPECT_EQ(r.offset(), c.offset) << c.what;
    }
    // Records of an entry that do not fill it.
    const auto short_records = bytes(3, 1, 1, 0, 7, 1, 2, 3);  // the view borrows it
    auto m = decode_sub_template_multi_list(short_records);
    ASSERT_TRUE(m);
    auto r = (*m->begin()).records<t_hop>();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.code(), errc::truncated);
    EXPECT_EQ(r.offset(), 5U);
}

// Every prefix and many single-octet corruptions of valid lists: the decoders
// either refuse them or yield views that iterate without leaving the buffer.
template <class Decode>
void mutate_and_walk(const std::vector<std::byte>& good, Decode decode) {
    std::mt19937 rng(6313);
    for (std::size_t n = 0; n <= good.size(); ++n) {
        const std::vector<std::byte> cut(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n));
        decode(cut);
    }
    for (int i = 0; i < 2000; ++i) {
        std::vector<std::byte> m = good;
        m[rng() % m.size()] = static_cast<std::byte>(rng());
        if (rng() % 2) m.resize(rng() % (m.size() + 1));
        decode(m);
    }
}

TEST(ListBadInput, MutatedListsNeverEscapeTheBuffer) {
    std::array<std::byte, 512> buf{};
    byte_writer w(buf);
    ASSERT_TRUE(encode_basic_list<ie::interfaceName>(w, list_semantic::allOf,
                                                     std::array<std::string_view, 3>{"a", "bcd", "efghij"}));
    const auto basic = to_vec(w.written());
    std::size_t seen = 0;
    mutate_and_walk(basic, [&](const std::vector<std::byte>& in) {
        auto l = decode_basic_list(in);
        if (!l) return;
        std::size_t n = 0;
        for (bytes_view e : *l) {
            ASSERT_GE(e.data(), in.data());
            ASSERT_LE(e.data() + e.size(), in.data() + in.size());
            ++n;
        }
        ASSERT_EQ(n, l->size());
        seen += n;
    });
    EXPECT_GT(seen, 0U);

    byte_writer w2(buf);
    sub_template_multi_list_writer ml(w2, list_semantic::allOf);
    ml.add<t_hop>(hop{v4(1, 2, 3, 4), 1}).add<t_port>(std::tuple{std::uint16_t{80}});
    ASSERT_TRUE(ml.finish());
    const auto multi = to_vec(w2.written());
    mutate_and_walk(multi, [&](const std::vector<std::byte>& in) {
        auto l = decode_sub_template_multi_list(in);
        if (!l) return;
        std::size_t n = 0;
        for (multi_list_entry e : *l) {
            ASSERT_LE(e.bytes().data() + e.bytes().size(), in.data() + in.size());
            if (auto r = e.records<t_hop>())
                for (auto rec : *r) (void)get<ie::minimumTTL>(rec);
            ++n;
        }
        ASSERT_EQ(n, l->size());
    });
}

}  // namespace
