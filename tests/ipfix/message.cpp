// Tests include/ioam/ipfix/message.hpp: the writer (header, sequence numbers,
// sets, capacity, padding, withdrawal) and the checked reader.
#include "ioam/ipfix/message.hpp"
#include "ioam/ipfix/iana.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <iterator>
#include <vector>

namespace {
using namespace ioam;
using namespace ioam::ipfix;

using t_flow = data_template<256, ie::sourceIPv4Address, ie::destinationIPv4Address, ie::octetDeltaCount>;
using t_opt = options_template<257, scope<ie::exportingProcessId>, ie::exportedFlowRecordTotalCount>;
using t_var = data_template<258, ie::interfaceName>;  // records can be 1 octet
using t_var9 = data_template<259, ie::octetDeltaCount, ie::interfaceName>;  // 9 octets at least

t_flow::values flow(std::uint64_t n) {
    return {ipv4_address{make_bytes(10, 0, 0, 1)}, ipv4_address{make_bytes(10, 0, 0, 2)}, n};
}

TEST(MessageWriter, HeaderAndSets) {
    std::array<std::byte, 1500> buf{};
    message_writer w(buf, 7, 1000);
    ASSERT_TRUE(w.add_template<t_flow>());
    ASSERT_TRUE(w.add_template<t_opt>());
    ASSERT_TRUE(w.add_record<t_flow>(flow(1)));
    ASSERT_TRUE(w.add_record<t_flow>(flow(2)));
    ASSERT_TRUE(w.add_record<t_opt>(std::tuple{1u, 2u}));
    const auto m = w.finish(1700000000);
    const std::size_t expect = 16 + (4 + t_flow::template_record_size) + (4 + t_opt::template_record_size) +
                               (4 + 2 * t_flow::record_size) + (4 + t_opt::record_size);
    ASSERT_EQ(m.size(), expect);
    EXPECT_EQ(load_be16(m.data()), 10);
    EXPECT_EQ(load_be16(m.data() + 2), expect);
    EXPECT_EQ(load_be32(m.data() + 4), 1700000000U);
    EXPECT_EQ(load_be32(m.data() + 8), 1000U) << "records sent before this message";
    EXPECT_EQ(load_be32(m.data() + 12), 7U);
    EXPECT_EQ(w.data_records(), 3U) << "templates do not count (RFC 7011 3.1)";
    EXPECT_EQ(w.next_sequence(), 1003U);

    auto p = parse_message(m);
    ASSERT_TRUE(p);
    std::vector<std::uint16_t> ids;
    for (auto s : p->sets()) ids.push_back(s.id());
    EXPECT_EQ(ids, (std::vector<std::uint16_t>{2, 3, 256, 257}));
}

TEST(MessageWriter, SequenceWrapsModulo2To32) {
    std::array<std::byte, 200> buf{};
    message_writer w(buf, 1, 0xffffffffU);
    ASSERT_TRUE(w.add_record<t_flow>(flow(1)));
    ASSERT_TRUE(w.add_record<t_flow>(flow(2)));
    (void)w.finish(0);
    EXPECT_EQ(w.next_sequence(), 1U);
    w.reset();
    EXPECT_EQ(w.sequence(), 1U);
    EXPECT_TRUE(w.empty());
}

TEST(MessageWriter, CapacityBoundRefusesWithoutDamage) {
    std::array<std::byte, 9000> buf{};
    writer_options opt;
    opt.capacity = 100;
    message_writer w(buf, 1, 0, opt);
    std::size_t n = 0;
    while (w.add_record<t_flow>(flow(n))) ++n;
    EXPECT_EQ(n, (100 - 16 - 4) / t_flow::record_size);
    auto r = w.add_record<t_flow>(flow(n));
    EXPECT_EQ(r.code(), errc::no_room);
    const auto m = w.finish(0);
    EXPECT_LE(m.size(), 100U);
    auto p = parse_message(m);
    ASSERT_TRUE(p);
    for (auto s : p->sets()) {
        auto d = parse_data_set<t_flow>(s);
        ASSERT_TRUE(d);
        EXPECT_EQ(d->size(), n);
        std::uint64_t i = 0;
        for (auto rec : *d) EXPECT_EQ(get<ie::octetDeltaCount>(rec), i++);
    }
}

TEST(MessageWriter, NoRoomForNewSetHeaderRollsBack) {
    std::array<std::byte, 9000> buf{};
    writer_options opt;
    opt.capacity = 16 + 4 + t_flow::record_size + 3;  // room for the record, not another set
    message_writer w(buf, 1, 0, opt);
    ASSERT_TRUE(w.add_record<t_flow>(flow(1)));
    EXPECT_FALSE(w.add_record<t_var>(std::tuple{std::string_view("x")}));
    const auto m = w.finish(0);
    EXPECT_EQ(m.size(), 16 + 4 + t_flow::record_size);
    EXPECT_TRUE(parse_message(m));
}

TEST(MessageWriter, SetPaddingIsZeros) {
    std::array<std::byte, 200> buf{};
    buf.fill(std::byte{0xee});
    writer_options opt;
    opt.set_alignment = 4;
    message_writer w(buf, 1, 0, opt);
    ASSERT_TRUE(w.add_record<t_var9>(std::tuple{7U, std::string_view("eth0")}));  // 13 octets
    const auto m = w.finish(0);
    ASSERT_EQ(m.size(), 16 + 4 + 13 + 3);
    EXPECT_EQ(load_be16(m.data() + 18), 4 + 13 + 3) << "the set length covers the padding";
    for (std::size_t i = 33; i < 36; ++i) EXPECT_EQ(m[i], std::byte{0});
    auto p = parse_message(m);
    ASSERT_TRUE(p);
    for (auto s : p->sets()) {
        auto d = parse_data_set<t_var9>(s);
        ASSERT_TRUE(d);
        EXPECT_EQ(d->size(), 1U) << "padding shorter than a record is not a record";
    }
}

TEST(MessageWriter, NoPaddingThatCouldReadAsRecords) {
    // RFC 7011 3.3.1: with 1-octet records possible, any padding would decode
    // as empty records, so the writer leaves the set unpadded.
    std::array<std::byte, 200> buf{};
    writer_options opt;
    opt.set_alignment = 4;
    message_writer w(buf, 1, 0, opt);
    ASSERT_TRUE(w.add_record<t_var>(std::tuple{std::string_view("eth0")}));  // 5 octets
    const auto m = w.finish(0);
    EXPECT_EQ(m.size(), 16 + 4 + 5);
    auto p = parse_message(m);
    ASSERT_TRUE(p);
    auto d = parse_data_set<t_var>(*p->sets().begin());
    ASSERT_TRUE(d);
    EXPECT_EQ(d->size(), 1U);
}

TEST(MessageWriter, WithdrawalOnlyWhereTheTransportAllowsIt) {
    std::array<std::byte, 200> buf{};
    message_writer udp(buf, 1, 0);
    EXPECT_FALSE(udp.withdraw<t_flow>()) << "RFC 7011 8.4: no withdrawals over UDP";
    writer_options opt;
    opt.over = transport::tcp;
    message_writer tcp(buf, 1, 0, opt);
    ASSERT_TRUE(tcp.withdraw<t_flow>());
    ASSERT_TRUE(tcp.withdraw_all(false));
    const auto m = tcp.finish(0);
    auto p = parse_message(m);
    ASSERT_TRUE(p);
    for (auto s : p->sets()) {
        auto ts = parse_template_set(s);
        ASSERT_TRUE(ts);
        std::vector<std::uint16_t> ids;
        for (auto r : *ts) {
            EXPECT_TRUE(r.is_withdrawal());
            ids.push_back(r.id());
        }
        EXPECT_EQ(ids, (std::vector<std::uint16_t>{256, 2}));
    }
}

TEST(TemplateRefresh, Timer) {
    template_refresh t{600};
    EXPECT_TRUE(t.due(5));
    t.mark_sent(5);
    EXPECT_FALSE(t.due(604));
    EXPECT_TRUE(t.due(605));
    t.mark_sent(605);
    t.invalidate();
    EXPECT_TRUE(t.due(606));
}

// ---- bad input ------------------------------------------------------------------

std::vector<std::byte> sample() {
    std::array<std::byte, 300> buf{};
    message_writer w(buf, 1, 0);
    EXPECT_TRUE(w.add_template<t_flow>());
    EXPECT_TRUE(w.add_record<t_flow>(flow(9)));
    auto m = w.finish(0);
    return {m.begin(), m.end()};
}

TEST(MessageReader, TruncatedHeader) {
    const auto m = sample();
    for (std::size_t n = 0; n < 16; ++n) EXPECT_EQ(parse_message({m.data(), n}).code(), errc::truncated);
}

TEST(MessageReader, LengthPastTheBuffer) {
    const auto m = sample();
    auto r = parse_message({m.data(), m.size() - 1});
    EXPECT_EQ(r.code(), errc::length_past_end);
    EXPECT_EQ(r.offset(), 2U);
}

TEST(MessageReader, BadVersionAndTinyLength) {
    auto m = sample();
    m[1] = std::byte{9};
    EXPECT_EQ(parse_message(m).code(), errc::bad_version);
    m = sample();
    store_be16(m.data() + 2, 12);
    EXPECT_EQ(parse_message(m).code(), errc::length_too_small);
}

TEST(MessageReader, SetLengthBelowFour) {
    auto m = sample();
    store_be16(m.data() + 16 + 2, 3);
    auto r = parse_message(m);
    EXPECT_EQ(r.code(), errc::length_too_small);
    EXPECT_EQ(r.offset(), 18U);
}

TEST(MessageReader, SetLengthPastTheMessage) {
    auto m = sample();
    store_be16(m.data() + 16 + 2, 0x4000);
    EXPECT_EQ(parse_message(m).code(), errc::length_past_end);
}

TEST(MessageReader, ReservedSetId) {
    auto m = sample();
    store_be16(m.data() + 16, 4);
    EXPECT_EQ(parse_message(m).code(), errc::bad_set_id);
}

TEST(MessageReader, FieldCountLargerThanTheSet) {
    auto m = sample();
    store_be16(m.data() + 16 + 4 + 2, 500);  // template record's field count
    auto p = parse_message(m);
    ASSERT_TRUE(p) << "framing is fine";
    auto s = *p->sets().begin();
    auto ts = parse_template_set(s);
    EXPECT_EQ(ts.code(), errc::bad_field_count);
    EXPECT_EQ(ts.offset(), 16U + 4 + 2);
}

TEST(MessageReader, TemplateIdBelow256) {
    auto m = sample();
    store_be16(m.data() + 16 + 4, 255);
    auto p = parse_message(m);
    ASSERT_TRUE(p);
    EXPECT_EQ(parse_template_set(*p->sets().begin()).code(), errc::bad_template_id);
}

TEST(MessageReader, NonZeroPaddingInADataSet) {
    std::array<std::byte, 200> buf{};
    writer_options opt;
    opt.set_alignment = 4;
    message_writer w(buf, 1, 0, opt);
    ASSERT_TRUE(w.add_record<t_var9>(std::tuple{7U, std::string_view("eth0")}));
    auto m = w.finish(0);
    ASSERT_EQ(m.size(), 36U);
    m[34] = std::byte{1};
    auto p = parse_message(m);
    ASSERT_TRUE(p);
    auto d = parse_data_set<t_var9>(*p->sets().begin());
    EXPECT_EQ(d.code(), errc::bad_padding);
    EXPECT_EQ(d.offset(), 34U);
}

TEST(MessageReader, DataSetForAnotherTemplate) {
    const auto m = sample();
    auto p = parse_message(m);
    ASSERT_TRUE(p);
    auto it = p->sets().begin();
    ++it;
    EXPECT_EQ(parse_data_set<t_var>(*it).code(), errc::template_mismatch);
}

TEST(MessageReader, PeekLengthForStreams) {
    const auto m = sample();
    EXPECT_EQ(peek_message_length(m).value(), m.size());
    EXPECT_EQ(peek_message_length({m.data(), 3}).code(), errc::truncated);
}

TEST(MessageReader, EveryTruncationOfAMessageIsAnErrorNotACrash) {
    const auto m = sample();
    for (std::size_t n = 0; n < m.size(); ++n) {
        std::vector<std::byte> cut(m.begin(), m.begin() + static_cast<std::ptrdiff_t>(n));
        EXPECT_FALSE(parse_message(cut)) << n;
    }
}

// One iterator scaffold (core/framed.hpp) for the framed views: forward
// iterators that outlive their view, a sentinel, positions in the buffer.
static_assert(std::forward_iterator<set_range::iterator>);
static_assert(std::forward_iterator<template_set_view::iterator>);
static_assert(std::forward_iterator<data_set_view<t_flow>::iterator>);
static_assert(std::sentinel_for<ioam::detail::framed_sentinel, set_range::iterator>);

TEST(FramedViews, IteratorsOutliveTheViewAndStopAtTheSentinel) {
    std::array<std::byte, 512> buf{};
    message_writer w(buf, 1, 0, writer_options{512, transport::tcp, 0, {}});
    ASSERT_TRUE(w.add_template<t_flow>());
    ASSERT_TRUE(w.add_record<t_flow>(flow(10U)));
    ASSERT_TRUE(w.add_record<t_flow>(flow(20U)));
    ASSERT_TRUE(w.add_template<t_opt>());
    const auto bytes = w.finish(0);
    const message_view m = parse_message(bytes).value();
    set_range::iterator it, end;
    {
        const set_range sets = m.sets();  // gone before the iterators are used
        it = sets.begin();
        end = sets.end();
    }
    std::vector<std::uint16_t> ids;
    std::vector<std::size_t> at;
    for (; it != end; ++it) {
        ids.push_back((*it).id());
        at.push_back(it.position());
    }
    EXPECT_EQ(ids, (std::vector<std::uint16_t>{2, 256, 3}));
    EXPECT_EQ(at.front(), message_header_size);
    const ioam::detail::framed_sentinel stop{bytes.size()};
    std::size_t n = 0;
    for (auto s = m.sets().begin(); s != stop; ++s) ++n;
    EXPECT_EQ(n, 3U);
    std::uint64_t octets = 0;
    for (const set_view s : m.sets())
        if (s.id() == 256)
            for (const auto r : parse_data_set<t_flow>(s).value()) octets += get<ie::octetDeltaCount>(r);
    EXPECT_EQ(octets, 30U);
}
}  // namespace


// A fixed-size record added to the open set of its template takes a short
// path (message.hpp): the same octets as the first record of the set, which
// goes the general way; a value too wide, or no room, leaves the message as
// it was; the capacity is kept to the octet.
TEST(MessageWriter, RecordsInTheOpenSetSameAsTheFirst) {
    using t_odd = data_template<260, reduced<ie::octetDeltaCount, 3>, ie::protocolIdentifier,
                                reduced<ie::packetDeltaCount, 5>, reduced<ie::flowId, 7>>;
    using values = t_odd::values;
    const values a{0x010203, 6, 0x0405060708, 0x090a0b0c0d0e0f}, b{0xffffff, 17, 0xffffffffff, 0xffffffffffffff};
    constexpr std::size_t n = 16;
    std::array<std::byte, 9000> buf{};
    writer_options opt;
    opt.capacity = 16 + 4 + n * t_odd::record_size;  // exactly n records
    message_writer w(buf, 1, 0, opt);
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t before = w.size();
        if (i == 5) {
            const values wide{0x1000000, 1, 1, 1};
            auto r = w.add_record<t_odd>(wide);
            EXPECT_EQ(r.code(), errc::value_out_of_range);
            EXPECT_EQ(r.offset(), before);
            EXPECT_EQ(w.size(), before);
        }
        ASSERT_TRUE(w.add_record<t_odd>(i % 2 ? b : a)) << i;
        EXPECT_EQ(w.size(), before + (i == 0 ? 4 : 0) + t_odd::record_size);  // the first opens the set
    }
    EXPECT_EQ(w.data_records(), n);
    const std::size_t full = w.size();
    auto r = w.add_record<t_odd>(a);
    EXPECT_EQ(r.code(), errc::no_room);
    EXPECT_EQ(w.size(), full);
    EXPECT_EQ(w.remaining(), 0U);
    const auto m = w.finish(0);
    auto p = parse_message(m);
    ASSERT_TRUE(p);
    std::size_t count = 0;
    for (auto s : p->sets()) {
        auto d = parse_data_set<t_odd>(s);
        ASSERT_TRUE(d);
        for (auto rec : *d) {
            EXPECT_EQ(to_values(rec), count % 2 ? b : a) << count;
            // Every record the same octets as the set's first of the same values.
            const auto first = m.subspan(16 + 4 + (count % 2) * t_odd::record_size, t_odd::record_size);
            EXPECT_TRUE(std::ranges::equal(rec.bytes(), first)) << count;
            ++count;
        }
    }
    EXPECT_EQ(count, n);
}
