// Tests include/ioam/ipfix/template_cache.hpp and dynamic_template.hpp: what a
// collector does with templates that arrive at run time (RFC 7011 8).
#include "ioam/ipfix/template_cache.hpp"
#include "ioam/ipfix/iana.hpp"

#include <gtest/gtest.h>
#include <malloc.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

// Live heap octets of this process (every operator new), and their peak: the
// bounds below are checked against what was really allocated, not only
// against the cache's own accounting.
namespace {
std::atomic<std::int64_t> g_live{0};
std::atomic<std::int64_t> g_peak{0};
void count_alloc(void* p) noexcept {
    const auto now = g_live.fetch_add(static_cast<std::int64_t>(malloc_usable_size(p))) +
                     static_cast<std::int64_t>(malloc_usable_size(p));
    auto peak = g_peak.load();
    while (now > peak && !g_peak.compare_exchange_weak(peak, now)) {
    }
}
}  // namespace
void* operator new(std::size_t n) {
    void* p = std::malloc(n ? n : 1);
    if (!p) throw std::bad_alloc();
    count_alloc(p);
    return p;
}
void operator delete(void* p) noexcept {
    if (!p) return;
    g_live.fetch_sub(static_cast<std::int64_t>(malloc_usable_size(p)));
    std::free(p);
}
void operator delete(void* p, std::size_t) noexcept { operator delete(p); }

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
    c.open_session(1, transport_kind::datagram);
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

// --- Bounds, eviction and the transport rules (issue 11) ---

// A message of `n` template records (ids first_id...), each one field
// (octetDeltaCount, 8 octets): the cheapest distinct templates there are.
std::vector<std::byte> template_flood(std::uint32_t odid, std::uint16_t first_id, std::size_t n) {
    const std::size_t len = 16 + 4 + 8 * n;
    std::vector<std::byte> b(len);
    store_be16(b.data(), 10);
    store_be16(b.data() + 2, static_cast<std::uint16_t>(len));
    store_be32(b.data() + 12, odid);
    store_be16(b.data() + 16, template_set_id);
    store_be16(b.data() + 18, static_cast<std::uint16_t>(4 + 8 * n));
    for (std::size_t i = 0; i < n; ++i) {
        std::byte* r = b.data() + 20 + 8 * i;
        store_be16(r, static_cast<std::uint16_t>(first_id + i));
        store_be16(r + 2, 1);
        store_be16(r + 4, ie::octetDeltaCount::info.id);
        store_be16(r + 6, 8);
    }
    return b;
}

std::size_t learn_all(template_cache& c, template_cache::session_id s, const std::vector<std::byte>& b,
                      std::uint32_t now = 0) {
    const auto sum = c.process(s, parse_message(b).value(), now, [](const dynamic_record&) {});
    return sum.templates;
}

// Two million distinct templates over ids, domains and sessions (datagram
// sessions as from new source ports, and a stream session): the cache stays
// within its caps and its memory, evictions are counted, and a good exporter
// that keeps sending is decoded throughout. Expiry then frees the flood.
TEST(TemplateCacheBounds, FloodOfTwoMillionTemplates) {
    cache_options o;
    o.template_lifetime = 1800;
    o.default_transport = transport_kind::datagram;
    template_cache c(iana(), o);
    std::size_t ended = 0;
    c.on_session_end([&](template_cache::session_id) { ++ended; });
    const template_cache::session_id good = 1;
    c.open_session(good, transport_kind::stream);
    {
        msg m(0, 7, transport::tcp);
        ASSERT_TRUE(m.w.add_template<t_a>());
        ASSERT_EQ(octets_of(c, m.view(), nullptr, good), std::vector<std::uint64_t>{});
    }
    const std::int64_t base = g_live.load();
    g_peak.store(base);
    std::uint32_t good_seq = 0, now = 1000;
    std::size_t good_ok = 0, good_sent = 0, flood = 0;
    const auto good_message = [&] {
        msg m(good_seq, 7, transport::tcp);
        ASSERT_TRUE(m.w.add_record<t_a>(std::tuple{80, good_sent}));
        ASSERT_TRUE(m.w.add_record<t_a>(std::tuple{81, good_sent + 1}));
        message_summary s;
        if (octets_of(c, m.view(), &s, good) == std::vector<std::uint64_t>{good_sent, good_sent + 1} &&
            !s.sequence_gap)
            ++good_ok;
        ++good_sent;
        good_seq += 2;
    };
    c.open_session(3, transport_kind::stream);
    std::size_t k = 0;
    while (flood < 2'000'000) {
        if (k % 50 == 0) good_message();
        if (k < 512) {  // one datagram session: 512 domains of 1,000 ids
            flood += learn_all(c, 2, template_flood(static_cast<std::uint32_t>(k), 256, 1000), now);
        } else if (k < 1024) {  // one stream session, the same
            flood += learn_all(c, 3, template_flood(static_cast<std::uint32_t>(k), 256, 1000), now);
        } else {  // a new datagram session per message, 100 ids each
            flood += learn_all(c, 1000 + k, template_flood(0, static_cast<std::uint16_t>(256 + k % 60000), 100), now);
        }
        ++k;
        if (k % 1000 == 0) ++now;
    }
    good_message();
    const cache_statistics st = c.statistics();
    const cache_limits lim = o.limits;
    EXPECT_EQ(good_ok, good_sent) << "the good exporter's records decode during the flood";
    EXPECT_GE(st.templates_learnt, 2'000'000U);
    EXPECT_LE(st.bytes, lim.total_bytes);
    EXPECT_LE(st.sessions, lim.sessions);
    EXPECT_GT(st.templates_evicted, 1'000'000U) << "evictions counted";
    EXPECT_GT(st.sessions_evicted, 0U);
    EXPECT_GT(st.domains_evicted, 0U);
    EXPECT_EQ(ended, st.sessions_evicted) << "the caller hears of each session evicted";
    EXPECT_LE(c.size(), lim.total_bytes / 200) << "templates held";
    const std::int64_t live = g_live.load() - base, peak = g_peak.load() - base;
    EXPECT_LE(live, static_cast<std::int64_t>(st.bytes + st.bytes / 4 + (2 << 20)))
        << "the accounting covers what is allocated";
    EXPECT_LE(peak, std::int64_t{40} << 20) << "peak heap of the flood";
    std::printf("flood: %zu templates, %zu held in %zu sessions, %zu accounted octets, %lld live, %lld peak\n",
                static_cast<std::size_t>(st.templates_learnt), st.templates, st.sessions, st.bytes,
                static_cast<long long>(live), static_cast<long long>(peak));

    // After the lifetime, every datagram session is gone; the stream ones stay.
    (void)c.expire(now + 1800);
    const cache_statistics after = c.statistics();
    EXPECT_EQ(after.sessions, c.has_session(3) ? 2U : 1U) << "the stream sessions (3 may have been evicted)";
    EXPECT_TRUE(c.has_session(good));
    EXPECT_TRUE(c.find(good, 7, 256));
    good_message();
    EXPECT_EQ(good_ok, good_sent) << "stream templates do not expire";
    c.close_session(3);
    EXPECT_EQ(ended, st.sessions_evicted + (st.sessions - after.sessions)) << "and of each session expired";
    const cache_statistics closed = c.statistics();
    EXPECT_EQ(closed.sessions, 1U);
    EXPECT_EQ(closed.templates, 1U);
    EXPECT_LE(g_live.load() - base, std::int64_t{3} << 20) << "freed, but for hash buckets";
}

TEST(TemplateCacheBounds, LeastRecentlyUsedTemplateIsEvicted) {
    cache_options o;
    o.limits.templates_per_session = 4;
    template_cache c(iana(), o);
    (void)learn_all(c, 1, template_flood(0, 256, 4));  // 256..259
    // Data for 256 makes it the most recently used.
    msg d(0, 0);
    ASSERT_TRUE(d.w.add_record_bytes(256, make_bytes(0, 0, 0, 0, 0, 0, 0, 9), 8));
    EXPECT_EQ(octets_of(c, d.view()), std::vector<std::uint64_t>{9});
    (void)learn_all(c, 1, template_flood(0, 300, 1));
    EXPECT_TRUE(c.find(1, 0, 256)) << "used recently: kept";
    EXPECT_EQ(c.find(1, 0, 257).code(), errc::unknown_template) << "least recently used: evicted";
    EXPECT_TRUE(c.find(1, 0, 300));
    EXPECT_EQ(c.statistics().templates_evicted, 1U);
    EXPECT_EQ(c.size(), 4U);
}

TEST(TemplateCacheBounds, SessionCapEvictsTheLeastRecentlyUsedSession) {
    cache_options o;
    o.limits.sessions = 2;
    template_cache c(iana(), o);
    std::vector<template_cache::session_id> ended;
    c.on_session_end([&](template_cache::session_id s) { ended.push_back(s); });
    (void)learn_all(c, 1, template_flood(0, 256, 1));
    (void)learn_all(c, 2, template_flood(0, 256, 1));
    (void)learn_all(c, 1, template_flood(0, 257, 1));  // 1 used again
    (void)learn_all(c, 3, template_flood(0, 256, 1));
    EXPECT_EQ(ended, std::vector<template_cache::session_id>{2});
    EXPECT_FALSE(c.has_session(2));
    EXPECT_TRUE(c.find(1, 0, 257));
    EXPECT_EQ(c.statistics().sessions_evicted, 1U);
    EXPECT_EQ(c.statistics().templates_evicted, 1U);
    c.close_session(1);
    EXPECT_EQ(ended.size(), 1U) << "close_session is the caller's own doing: no call";
    EXPECT_EQ(c.statistics().sessions_closed, 1U);
}

TEST(TemplateCacheBounds, DomainCapAndHeaderOnlyMessages) {
    cache_options o;
    o.limits.domains_per_session = 3;
    o.template_lifetime = 60;
    o.default_transport = transport_kind::datagram;
    template_cache c(iana(), o);
    // Header-only messages from many domains and sessions leave bounded state...
    for (std::uint32_t d = 0; d < 1000; ++d) {
        msg m(0, d);
        (void)octets_of(c, m.view(), nullptr, 1 + d % 10);
    }
    auto st = c.statistics();
    EXPECT_EQ(st.sessions, 10U);
    EXPECT_EQ(st.domains, 30U);
    EXPECT_EQ(st.domains_evicted, 970U);
    // ...and idle datagram sessions are freed after the lifetime.
    (void)c.expire(60);
    EXPECT_EQ(c.statistics().sessions, 0U);
    EXPECT_EQ(c.statistics().bytes, 0U);
    EXPECT_EQ(c.statistics().sessions_expired, 10U);
}

TEST(TemplateCacheBounds, DatagramSessionFreedWithItsLastTemplate) {
    template_cache c(iana(), cache_options{100});
    c.open_session(5, transport_kind::datagram);
    std::vector<template_cache::session_id> ended;
    c.on_session_end([&](template_cache::session_id s) { ended.push_back(s); });
    (void)learn_all(c, 5, template_flood(0, 256, 2), 10);
    (void)learn_all(c, 5, template_flood(0, 256, 1), 50);  // 256 refreshed
    EXPECT_EQ(c.expire(109), 0U);
    EXPECT_EQ(c.expire(110), 1U) << "257 only";
    EXPECT_TRUE(c.has_session(5));
    EXPECT_EQ(c.expire(150), 1U);
    EXPECT_FALSE(c.has_session(5)) << "its last template expired";
    EXPECT_EQ(ended, std::vector<template_cache::session_id>{5});
    EXPECT_EQ(c.statistics().templates_expired, 2U);
    EXPECT_EQ(c.statistics().bytes, 0U);
    // A clock that goes back does not expire anything early.
    (void)learn_all(c, 6, template_flood(0, 256, 1), 20);
    EXPECT_EQ(c.expire(30), 0U);
}

TEST(TemplateCacheBounds, StreamTemplatesNeverExpire) {
    template_cache c(iana(), cache_options{100});
    c.open_session(1, transport_kind::stream);
    (void)learn_all(c, 1, template_flood(0, 256, 3), 10);
    EXPECT_EQ(c.expire(1'000'000), 0U);
    EXPECT_EQ(c.size(), 3U);
    EXPECT_TRUE(c.find(1, 0, 258));
}

TEST(TemplateCacheBounds, UdpWithdrawalsAreIgnoredAndCounted) {
    template_cache c(iana());
    c.open_session(1, transport_kind::datagram);
    msg m(0, 1, transport::tcp);  // the writer refuses withdrawals over UDP; the bytes are the same
    ASSERT_TRUE(m.w.add_template<t_a>());
    ASSERT_TRUE(m.w.withdraw<t_a>());
    ASSERT_TRUE(m.w.withdraw_all(false));
    ASSERT_TRUE(m.w.add_record<t_a>(std::tuple{1, 5}));
    message_summary s;
    EXPECT_EQ(octets_of(c, m.view(), &s), std::vector<std::uint64_t>{5});
    EXPECT_EQ(s.withdrawals, 0U);
    EXPECT_EQ(s.withdrawals_ignored, 2U);
    EXPECT_EQ(s.first_error.code, errc::ok);
    EXPECT_EQ(c.statistics().withdrawals_ignored, 2U);
    // The same over a stream is honoured.
    c.open_session(1, transport_kind::stream);
    EXPECT_EQ(c.size(), 0U) << "re-opened with another kind: state forgotten";
    EXPECT_EQ(octets_of(c, m.view(), &s), std::vector<std::uint64_t>{});
    EXPECT_EQ(s.withdrawals, 2U);
    EXPECT_EQ(s.first_error.code, errc::template_withdrawn);
}

// A storm of withdraw-all records: each drops what the domain still holds
// (nothing, after the first), whatever other sessions hold.
TEST(TemplateCacheBounds, WithdrawAllStorm) {
    template_cache c(iana());
    for (template_cache::session_id s = 10; s < 60; ++s) (void)learn_all(c, s, template_flood(0, 256, 1000));
    (void)learn_all(c, 1, template_flood(0, 256, 1000));
    (void)learn_all(c, 1, template_flood(1, 256, 10));  // another domain of the session
    const std::size_t held = c.size();
    const std::size_t n = 16000;
    std::vector<std::byte> b(16 + 4 + 4 * n);
    store_be16(b.data(), 10);
    store_be16(b.data() + 2, static_cast<std::uint16_t>(b.size()));
    store_be16(b.data() + 16, template_set_id);
    store_be16(b.data() + 18, static_cast<std::uint16_t>(4 + 4 * n));
    for (std::size_t i = 0; i < n; ++i) store_be16(b.data() + 20 + 4 * i, template_set_id);
    message_summary s;
    (void)octets_of(c, parse_message(b).value(), &s);
    EXPECT_EQ(s.withdrawals, n);
    EXPECT_EQ(c.size(), held - 1000) << "the templates of that session and domain only";
    EXPECT_EQ(c.find(1, 0, 300).code(), errc::template_withdrawn);
    EXPECT_TRUE(c.find(1, 1, 260));
    EXPECT_TRUE(c.find(10, 0, 300));
}

TEST(TemplateCacheBounds, InvalidTemplateRecordsAreCountedAndSkipped) {
    // Three records: 256 good, 257 with a 3-octet sourceTransportPort, 258 good.
    auto m = make_bytes(0, 10, 0, 44, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,  // header, length 44
                        0, 2, 0, 28,                                       // template set
                        1, 0, 0, 1, 0, 1, 0, 8,                            // 256: octetDeltaCount
                        1, 1, 0, 1, 0, 7, 0, 3,                            // 257: bad length
                        1, 2, 0, 1, 0, 1, 0, 8);                           // 258
    template_cache c(iana());
    auto sum = c.process(1, parse_message(m).value(), 0, [](const dynamic_record&) {});
    EXPECT_EQ(sum.invalid_templates, 1U);
    EXPECT_EQ(sum.templates, 2U);
    EXPECT_EQ(sum.first_error.code, errc::bad_field_length);
    EXPECT_TRUE(c.find(1, 1, 258));
    EXPECT_EQ(c.statistics().invalid_templates, 1U);
}

TEST(TemplateCacheBounds, SequencePerSessionAndDomain) {
    template_cache c(iana());
    for (template_cache::session_id s : {1, 2}) {
        msg m(100, 1);
        ASSERT_TRUE(m.w.add_template<t_a>());
        ASSERT_TRUE(m.w.add_record<t_a>(std::tuple{1, 1}));
        message_summary sum;
        (void)octets_of(c, m.view(), &sum, s);
        EXPECT_FALSE(sum.sequence_gap) << "a session's first message";
    }
    msg m(101, 1);  // in order for session 1; session 2 then sees 101 as well: both in order
    message_summary sum;
    (void)octets_of(c, m.view(), &sum, 1);
    EXPECT_FALSE(sum.sequence_gap);
    msg m2(105, 1);
    (void)octets_of(c, m2.view(), &sum, 2);
    EXPECT_TRUE(sum.sequence_gap);
    EXPECT_EQ(sum.expected_sequence, 101U);
    EXPECT_EQ(c.statistics().sequence_gaps, 1U);
}
}  // namespace


// process_rows: sets of a template the byte shuffles read come as
// value_rows (up to row_buffer_slots values at a time), the same values
// process() and for_each_u64 give; other sets (and all on a CPU without
// SSSE3) as dynamic_record.
namespace {
using t_rows = data_template<257, ie::octetDeltaCount, ie::packetDeltaCount, ie::protocolIdentifier,
                             ie::sourceIPv4Address, reduced<ie::flowId, 3>>;  // 24 octets, 5 fields
using t_short = data_template<258, ie::sourceTransportPort, ie::octetDeltaCount>;  // 10 octets

TEST(TemplateCache, ProcessRowsDecodesWholeSets) {
    std::vector<std::byte> buf(65535);
    message_writer w(buf, 1, 0, writer_options{65535, transport::tcp, 0, {}});
    ASSERT_TRUE(w.add_template<t_rows>());
    ASSERT_TRUE(w.add_template<t_a2>());
    ASSERT_TRUE(w.add_template<t_short>());
    constexpr std::size_t n = 300;  // stride 6: 85 records a run, so four runs
    for (std::size_t i = 0; i < n; ++i)
        ASSERT_TRUE(w.add_record<t_rows>(std::tuple{1000 * i + 1, i, static_cast<std::uint8_t>(i),
                                                    ipv4_address{{std::byte{10}, std::byte{0}, std::byte{1},
                                                                  static_cast<std::byte>(i)}},
                                                    0xabcd00 + i}));
    ASSERT_TRUE(w.add_record<t_a2>(std::tuple{7, 8, std::string_view("eth0")}));
    ASSERT_TRUE(w.add_record<t_short>(std::tuple{9, 10}));  // too short for the shuffles
    const auto bytes = w.finish(0);
    const auto m = parse_message(bytes).value();

    template_cache by_record(iana()), by_rows(iana());
    std::vector<std::uint64_t> expected, got;
    const auto row_of = [](const dynamic_record& r, std::vector<std::uint64_t>& out) {
        r.for_each_u64([&](std::size_t, auto v) {
            if constexpr (std::is_same_v<decltype(v), std::uint64_t>) out.push_back(v);
        });
        out.push_back(0);  // the pad slot of a row of 5
    };
    const auto s1 = by_record.process(1, m, 0, [&](const dynamic_record& r) {
        if (r.templ().id() == 257) row_of(r, expected);
    });
    std::size_t runs = 0, rows = 0, one_by_one = 0, others = 0;
    const auto s2 = by_rows.process_rows(1, m, 0, [&](const auto& x) {
        if constexpr (std::is_same_v<std::decay_t<decltype(x)>, value_rows>) {
            ++runs;
            rows += x.size();
            EXPECT_EQ(x.templ().id(), 257);
            EXPECT_EQ(x.stride(), 6U);
            EXPECT_LE(x.slots().size(), template_cache::row_buffer_slots);
            for (std::size_t r = 0; r < x.size(); ++r) EXPECT_EQ(x[r].size(), 5U);
            got.insert(got.end(), x.slots().begin(), x.slots().end());
        } else if (x.templ().id() == 257) {
            ++one_by_one;
            row_of(x, got);
        } else {
            ++others;
            EXPECT_FALSE(x.templ().plan().shuffled());
        }
    });
    const bool shuffles = (*by_rows.find(1, 1, 257))->plan().shuffled();
    EXPECT_EQ(shuffles, decode_plan(std::span<const field_spec>(t_rows::fields)).shuffled());
#if IOAM_IPFIX_SHUFFLE
    __builtin_cpu_init();
    EXPECT_EQ(shuffles, __builtin_cpu_supports("ssse3") != 0);
#endif
    EXPECT_EQ(rows, shuffles ? n : 0);
    EXPECT_EQ(runs, shuffles ? 4U : 0U);
    EXPECT_EQ(one_by_one, shuffles ? 0 : n);
    EXPECT_EQ(others, 2U) << "the variable-length template's record and the 10-octet one";
    ASSERT_EQ(got.size(), 6 * n);
    EXPECT_EQ(got, expected);
    EXPECT_EQ(got[6 * 299], 1000 * 299 + 1);
    EXPECT_EQ(got[6 * 299 + 3], 0x0a00012bU);
    EXPECT_EQ(got[6 * 299 + 4], 0xabcd00U + 299);
    EXPECT_EQ(s1.records, s2.records);
    EXPECT_EQ(s2.records, n + 2);
    EXPECT_EQ(s2.skipped_sets, 0U);
}
}  // namespace
