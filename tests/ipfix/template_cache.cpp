// Tests include/ioam/ipfix/template_cache.hpp and dynamic_template.hpp: what a
// collector does with templates that arrive at run time (RFC 7011 8).
#include "ioam/ipfix/template_cache.hpp"
#include "ioam/ipfix/iana.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {
using namespace ioam;
using namespace ioam::ipfix;

using t_a = data_template<256, ie::sourceTransportPort, ie::octetDeltaCount>;
using t_a2 = data_template<256, ie::destinationTransportPort, reduced<ie::packetDeltaCount, 2>, ie::interfaceName>;
using t_opt = options_template<300, scope<ie::exportingProcessId>, ie::exportedFlowRecordTotalCount>;
using unknown_ie = enterprise<99999, 5, data_type::unsigned32>;
using t_unknown = data_template<301, unknown_ie, ie::protocolIdentifier>;

ie_registry iana() { return ie_registry{iana_registry}; }

struct msg {
    std::array<std::byte, 1500> buf{};
    message_writer w;
    explicit msg(std::uint32_t seq = 0, std::uint32_t odid = 1, transport tr = transport::udp)
        : w(buf, odid, seq, writer_options{1500, tr, 0, {}}) {}
    message_view view() {
        auto m = w.finish(0);
        return parse_message(m).value();
    }
};

std::vector<std::uint64_t> octets_of(template_cache& c, message_view m, message_summary* out = nullptr,
                                     std::uint64_t session = 1) {
    std::vector<std::uint64_t> v;
    auto sum = c.process(session, m, 0, [&](const dynamic_record& r) {
        std::uint64_t x = 0;
        if (r.get<ie::octetDeltaCount>(x)) v.push_back(x);
    });
    if (out) *out = sum;
    return v;
}

TEST(TemplateCache, LearnsAndDecodesThroughTheSameCodecs) {
    template_cache c(iana());
    msg m;
    ASSERT_TRUE(m.w.add_template<t_a>());
    ASSERT_TRUE(m.w.add_record<t_a>(std::tuple{80, 1234}));
    ASSERT_TRUE(m.w.add_record<t_a>(std::tuple{443, 99}));
    message_summary s;
    EXPECT_EQ(octets_of(c, m.view(), &s), (std::vector<std::uint64_t>{1234, 99}));
    EXPECT_EQ(s.templates, 1U);
    EXPECT_EQ(s.records, 2U);
    auto t = c.find(1, 1, 256);
    ASSERT_TRUE(t);
    EXPECT_EQ((*t)->fields()[1].type, data_type::unsigned64) << "type from the IANA registry";
    EXPECT_EQ((*t)->info(0)->name, "sourceTransportPort");
}

TEST(TemplateCache, DataSetBeforeItsTemplateIsSkippedAndCounted) {
    template_cache c(iana());
    msg m;
    ASSERT_TRUE(m.w.add_record<t_a>(std::tuple{80, 1}));
    ASSERT_TRUE(m.w.add_template<t_a>());
    ASSERT_TRUE(m.w.add_record<t_a>(std::tuple{80, 2}));
    message_summary s;
    EXPECT_EQ(octets_of(c, m.view(), &s), (std::vector<std::uint64_t>{2}));
    EXPECT_EQ(s.skipped_sets, 1U);
    EXPECT_EQ(s.first_error.code, errc::unknown_template);
    EXPECT_EQ(s.first_error.offset, 16U);
}

TEST(TemplateCache, DataAfterWithdrawalIsAnError) {
    template_cache c(iana());
    msg m1(0, 1, transport::tcp);
    ASSERT_TRUE(m1.w.add_template<t_a>());
    ASSERT_TRUE(m1.w.add_record<t_a>(std::tuple{1, 1}));
    ASSERT_TRUE(m1.w.withdraw<t_a>());
    ASSERT_TRUE(m1.w.add_record<t_a>(std::tuple{1, 2}));  // data that follows the withdrawal
    message_summary s;
    EXPECT_EQ(octets_of(c, m1.view(), &s), (std::vector<std::uint64_t>{1}));
    EXPECT_EQ(s.withdrawals, 1U);
    EXPECT_EQ(s.first_error.code, errc::template_withdrawn);
    EXPECT_EQ(c.find(1, 1, 256).code(), errc::template_withdrawn);
    // Defined again: usable again.
    msg m2(1, 1, transport::tcp);
    ASSERT_TRUE(m2.w.add_template<t_a>());
    ASSERT_TRUE(m2.w.add_record<t_a>(std::tuple{1, 3}));
    EXPECT_EQ(octets_of(c, m2.view()), (std::vector<std::uint64_t>{3}));
}

TEST(TemplateCache, WithdrawAll) {
    template_cache c(iana());
    msg m(0, 1, transport::tcp);
    ASSERT_TRUE(m.w.add_template<t_a>());
    ASSERT_TRUE(m.w.add_template<t_unknown>());
    ASSERT_TRUE(m.w.withdraw_all(false));
    (void)octets_of(c, m.view());
    EXPECT_EQ(c.find(1, 1, 256).code(), errc::template_withdrawn);
    EXPECT_EQ(c.find(1, 1, 301).code(), errc::template_withdrawn);
}

TEST(TemplateCache, RedefinitionMidStreamReplaces) {
    template_cache c(iana());
    msg m;
    ASSERT_TRUE(m.w.add_template<t_a>());
    ASSERT_TRUE(m.w.add_record<t_a>(std::tuple{1, 10}));
    ASSERT_TRUE(m.w.add_template<t_a2>());  // same id, other fields
    ASSERT_TRUE(m.w.add_record<t_a2>(std::tuple{22, 7, std::string_view("eth1")}));
    std::vector<std::string> names;
    auto sum = c.process(1, m.view(), 0, [&](const dynamic_record& r) {
        std::string_view n;
        names.emplace_back(r.get<ie::interfaceName>(n) ? n : "-");
    });
    EXPECT_EQ(sum.redefinitions, 1U);
    EXPECT_EQ(sum.records, 2U);
    EXPECT_EQ(names, (std::vector<std::string>{"-", "eth1"}));
}

TEST(TemplateCache, SequenceGapsAreReportedNotFatal) {
    template_cache c(iana());
    msg m1(100);
    ASSERT_TRUE(m1.w.add_template<t_a>());
    ASSERT_TRUE(m1.w.add_record<t_a>(std::tuple{1, 1}));
    ASSERT_TRUE(m1.w.add_record<t_a>(std::tuple{1, 2}));
    message_summary s;
    (void)octets_of(c, m1.view(), &s);
    EXPECT_FALSE(s.sequence_gap);
    msg m2(102);  // in order
    ASSERT_TRUE(m2.w.add_record<t_a>(std::tuple{1, 3}));
    (void)octets_of(c, m2.view(), &s);
    EXPECT_FALSE(s.sequence_gap);
    msg m3(110);  // 7 records lost
    ASSERT_TRUE(m3.w.add_record<t_a>(std::tuple{1, 4}));
    EXPECT_EQ(octets_of(c, m3.view(), &s), (std::vector<std::uint64_t>{4})) << "still decoded";
    EXPECT_TRUE(s.sequence_gap);
    EXPECT_EQ(s.expected_sequence, 103U);
    EXPECT_EQ(c.sequence_gaps(), 1U);
    msg other(5, 2);  // another observation domain has its own sequence
    ASSERT_TRUE(other.w.add_template<t_a>());
    (void)octets_of(c, other.view(), &s);
    EXPECT_FALSE(s.sequence_gap);
}

TEST(TemplateCache, SessionsAndDomainsAreSeparate) {
    template_cache c(iana());
    msg m;
    ASSERT_TRUE(m.w.add_template<t_a>());
    (void)octets_of(c, m.view(), nullptr, 1);
    EXPECT_TRUE(c.find(1, 1, 256));
    EXPECT_EQ(c.find(2, 1, 256).code(), errc::unknown_template);
    EXPECT_EQ(c.find(1, 2, 256).code(), errc::unknown_template);
    c.end_session(1);
    EXPECT_EQ(c.find(1, 1, 256).code(), errc::unknown_template);
}

TEST(TemplateCache, UdpTemplatesExpire) {
    template_cache c(iana(), cache_options{1800});
    msg m;
    ASSERT_TRUE(m.w.add_template<t_a>());
    (void)c.process(1, m.view(), 1000, [](const dynamic_record&) {});
    EXPECT_EQ(c.expire(2799), 0U);
    EXPECT_EQ(c.expire(2800), 1U);
    EXPECT_EQ(c.find(1, 1, 256).code(), errc::unknown_template);
}

TEST(TemplateCache, UnknownIesDecodeAsOctetsAndOptionsTemplatesWork) {
    template_cache c(iana());
    msg m;
    ASSERT_TRUE(m.w.add_template<t_unknown>());
    ASSERT_TRUE(m.w.add_template<t_opt>());
    ASSERT_TRUE(m.w.add_record<t_unknown>(std::tuple{0xdeadbeefU, 17}));
    ASSERT_TRUE(m.w.add_record<t_opt>(std::tuple{42U, 1000U}));
    int seen = 0;
    (void)c.process(1, m.view(), 0, [&](const dynamic_record& r) {
        ++seen;
        if (r.templ().id() == 301) {
            const field_view f = r.field(0);
            EXPECT_EQ(f.info, nullptr);
            EXPECT_EQ(f.type(), data_type::octetArray);
            EXPECT_EQ(load_be32(f.bytes.data()), 0xdeadbeefU);
            std::uint8_t proto = 0;
            EXPECT_TRUE(r.get<ie::protocolIdentifier>(proto));
            EXPECT_EQ(proto, 17);
        } else {
            EXPECT_TRUE(r.templ().is_options());
            EXPECT_EQ(r.templ().scope_count(), 1U);
            std::uint64_t total = 0;
            EXPECT_TRUE(r.find(ie::exportedFlowRecordTotalCount::info.id).to_u64(total));
            EXPECT_EQ(total, 1000U);
        }
    });
    EXPECT_EQ(seen, 2);
}

TEST(TemplateCache, IllegalLengthInAReceivedTemplate) {
    // A template that declares sourceTransportPort (unsigned16) with 3 octets.
    auto m = make_bytes(0, 10, 0, 28, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,  // header, length 28
                        0, 2, 0, 12,                                       // template set
                        1, 0, 0, 1, 0, 7, 0, 3);
    auto p = parse_message(m);
    ASSERT_TRUE(p);
    template_cache c(iana());
    auto sum = c.process(1, *p, 0, [](const dynamic_record&) {});
    EXPECT_EQ(sum.first_error.code, errc::bad_field_length);
    EXPECT_EQ(c.find(1, 0, 256).code(), errc::unknown_template);
}

TEST(TemplateCache, VariableLengthPastTheEndOfTheSet) {
    template_cache c(iana());
    msg m;
    ASSERT_TRUE(m.w.add_template<t_a2>());
    ASSERT_TRUE(m.w.add_record<t_a2>(std::tuple{1, 2, std::string_view("eth0")}));
    auto bytes = m.w.finish(0);
    // the interfaceName length octet: header 16 + template set (4 + 16) + set header 4 + 2 + 2
    const std::size_t len_at = 16 + 4 + t_a2::template_record_size + 4 + 4;
    ASSERT_EQ(bytes[len_at], std::byte{4});
    bytes[len_at] = std::byte{40};
    auto p = parse_message(bytes);
    ASSERT_TRUE(p);
    auto sum = c.process(1, *p, 0, [](const dynamic_record&) { FAIL() << "no record from a broken set"; });
    EXPECT_EQ(sum.first_error.code, errc::length_past_end);
    EXPECT_EQ(sum.first_error.offset, len_at);
}
}  // namespace
