// Tests include/ioam/ipfix/ranges.hpp: the decoder views piped through
// range-v3's adaptors (transform, filter, join, take) give the values the
// plain loops give, and borrowed views hand out iterators, not `dangling`.
#include "ioam/ipfix/ranges.hpp"
#include "ioam/ipfix/iana.hpp"
#include "ioam/ipfix/template_cache.hpp"

#include <gtest/gtest.h>

#include <range/v3/algorithm/find_if.hpp>
#include <range/v3/numeric/accumulate.hpp>
#include <range/v3/range/conversion.hpp>
#include <range/v3/range/dangling.hpp>
#include <range/v3/view/filter.hpp>
#include <range/v3/view/join.hpp>
#include <range/v3/view/take.hpp>
#include <range/v3/view/transform.hpp>

#include <array>
#include <cstdint>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <vector>

namespace {
using namespace ioam;
using namespace ioam::ipfix;
namespace rv = ::ranges::views;

using t_flow = data_template<256, ie::sourceIPv4Address, ie::octetDeltaCount>;
using t_named = data_template<257, ie::interfaceName, ie::ingressInterface>;

ipv4_address v4(int a, int b, int c, int d) { return ipv4_address{make_bytes(a, b, c, d)}; }

/// A message: templates, two data sets of t_flow (split by a t_named set), one of t_named.
struct sample {
    std::array<std::byte, 1024> buf{};
    bytes_view msg;
    sample() {
        message_writer w(buf, 3, 0);
        (void)w.add_template<t_flow>();
        (void)w.add_template<t_named>();
        for (std::uint64_t i = 1; i <= 4; ++i) (void)w.add_record<t_flow>(std::tuple{v4(10, 0, 0, 1), 500 * i});
        (void)w.add_record<t_named>(std::tuple{std::string_view{"eth0"}, std::uint32_t{1}});
        (void)w.add_record<t_named>(std::tuple{std::string_view{"wlan0"}, std::uint32_t{2}});
        for (std::uint64_t i = 5; i <= 6; ++i) (void)w.add_record<t_flow>(std::tuple{v4(10, 0, 0, 2), 500 * i});
        msg = w.finish(0);
    }
};

TEST(Ranges, SetsAndRecordsThroughTransformFilterJoin) {
    sample s;
    auto m = parse_message(s.msg);
    ASSERT_TRUE(m);

    const auto ids = m->sets() | rv::transform([](const set_view& v) { return v.id(); }) |
                     ::ranges::to<std::vector<std::uint16_t>>();
    EXPECT_EQ(ids, (std::vector<std::uint16_t>{2, 256, 257, 256}));

    // Every octetDeltaCount above 1000 across all sets of t_flow.
    const auto big = m->sets() | rv::filter([](const set_view& v) { return v.id() == t_flow::id; }) |
                     rv::transform([](const set_view& v) { return parse_data_set<t_flow>(v).value(); }) | rv::join |
                     rv::transform([](const record_view<t_flow>& r) { return get<ie::octetDeltaCount>(r); }) |
                     rv::filter([](std::uint64_t n) { return n > 1000; }) | ::ranges::to<std::vector<std::uint64_t>>();
    EXPECT_EQ(big, (std::vector<std::uint64_t>{1500, 2000, 2500, 3000}));

    // The same through plain loops, so the pipeline is checked against something.
    std::vector<std::uint64_t> loop;
    for (const set_view v : m->sets())
        if (v.id() == t_flow::id) {
            const auto ds = parse_data_set<t_flow>(v);  // keep the result: value() && would dangle in a range-for
            for (const auto r : *ds)
                if (get<ie::octetDeltaCount>(r) > 1000) loop.push_back(get<ie::octetDeltaCount>(r));
        }
    EXPECT_EQ(big, loop);

    // Template records of the template set.
    const set_view first = *m->sets().begin();
    const auto tids = parse_template_set(first).value() |
                      rv::transform([](const template_record_view& r) { return r.id(); }) |
                      ::ranges::to<std::vector<std::uint16_t>>();
    EXPECT_EQ(tids, (std::vector<std::uint16_t>{256, 257}));
}

TEST(Ranges, BorrowedViewsReturnIteratorsFromTemporaries) {
    sample s;
    auto m = parse_message(s.msg);
    ASSERT_TRUE(m);
    set_view named{};
    for (const set_view v : m->sets())
        if (v.id() == t_named::id) named = v;
    // find_if on a prvalue view: a real iterator because the view is borrowed.
    auto it = ::ranges::find_if(parse_data_set<t_named>(named).value(),
                                [](const record_view<t_named>& r) { return get<ie::ingressInterface>(r) == 2; });
    static_assert(!std::is_same_v<decltype(it), ::ranges::dangling>, "ioam: data_set_view is a borrowed range");
    EXPECT_EQ(get<ie::interfaceName>(*it), "wlan0");
}

TEST(Ranges, RunTimeRecordsOfTheTemplateCache) {
    sample s;
    auto m = parse_message(s.msg);
    ASSERT_TRUE(m);
    template_cache cache{ie_registry{iana_registry}};
    for (const set_view v : m->sets()) {
        if (v.is_template_set()) {
            ASSERT_TRUE(cache.learn(1, 3, v, 0));
        }
    }
    std::uint64_t total = 0;
    for (const set_view v : m->sets() | rv::filter([](const set_view& x) { return x.is_data_set(); })) {
        auto d = cache.decode(1, 3, v);
        ASSERT_TRUE(d);
        total += ::ranges::accumulate(*d | rv::transform([](const dynamic_record& r) {
                                          std::uint64_t n = 0;
                                          return r.get<ie::octetDeltaCount>(n) ? n : std::uint64_t{0};
                                      }),
                                      std::uint64_t{0});
    }
    EXPECT_EQ(total, 500U * (1 + 2 + 3 + 4 + 5 + 6));
}

TEST(Ranges, ListViews) {
    std::array<std::byte, 256> buf{};
    byte_writer w(buf);
    ASSERT_TRUE(encode_basic_list<ie::egressInterface>(w, list_semantic::allOf,
                                                       std::array<std::uint32_t, 5>{3, 8, 1, 9, 4}));
    auto l = decode_basic_list(w.written());
    ASSERT_TRUE(l);
    auto vals = l->as<ie::egressInterface>().value();
    const auto odd = vals | rv::filter([](std::uint32_t x) { return x % 2 == 1; }) | rv::take(2) |
                     ::ranges::to<std::vector<std::uint32_t>>();
    EXPECT_EQ(odd, (std::vector<std::uint32_t>{3, 1}));
    const auto sizes = *l | rv::transform([](bytes_view e) { return e.size(); }) | ::ranges::to<std::vector<std::size_t>>();
    EXPECT_EQ(sizes, (std::vector<std::size_t>(5, 4)));

    using t_hop = data_template<300, ie::ipNextHopIPv4Address, ie::minimumTTL>;
    using t_port = data_template<301, ie::sourceTransportPort>;
    byte_writer w2(buf);
    sub_template_multi_list_writer ml(w2, list_semantic::allOf);
    ml.add<t_hop>(std::tuple{v4(192, 0, 2, 1), std::uint8_t{64}})
        .add<t_port>(std::tuple{std::uint16_t{80}})
        .add<t_hop>(std::tuple{v4(192, 0, 2, 2), std::uint8_t{63}});
    ASSERT_TRUE(ml.finish());
    auto multi = decode_sub_template_multi_list(w2.written());
    ASSERT_TRUE(multi);
    const auto ttls = *multi | rv::filter([](const multi_list_entry& e) { return e.template_id() == t_hop::id; }) |
                      rv::transform([](const multi_list_entry& e) { return e.records<t_hop>().value(); }) | rv::join |
                      rv::transform([](const record_view<t_hop>& r) { return int{get<ie::minimumTTL>(r)}; }) |
                      ::ranges::to<std::vector<int>>();
    EXPECT_EQ(ttls, (std::vector<int>{64, 63}));

    byte_writer w3(buf);
    ASSERT_TRUE(encode_sub_template_list<t_port>(w3, list_semantic::ordered,
                                                 std::array<std::tuple<std::uint16_t>, 3>{{{22}, {80}, {443}}}));
    auto stl = decode_sub_template_list<t_port>(w3.written());
    ASSERT_TRUE(stl);
    EXPECT_EQ(::ranges::accumulate(*stl | rv::transform([](const record_view<t_port>& r) {
                                       return int{get<ie::sourceTransportPort>(r)};
                                   }),
                                   0),
              22 + 80 + 443);
}

TEST(Ranges, MessagesOfAFile) {
    std::vector<std::byte> file;
    std::array<std::byte, 256> buf{};
    for (std::uint32_t t = 10; t < 14; ++t) {
        message_writer w(buf, 1, 0, {.over = transport::file});
        (void)w.add_template<t_flow>();
        (void)w.add_record<t_flow>(std::tuple{v4(1, 2, 3, 4), std::uint64_t{t}});
        const auto m = w.finish(t);
        file.insert(file.end(), m.begin(), m.end());
    }
    auto f = parse_file(file);
    ASSERT_TRUE(f);
    const auto times = *f | rv::transform([](const message_view& m) { return m.export_time(); }) |
                       rv::filter([](std::uint32_t t) { return t % 2 == 0; }) | ::ranges::to<std::vector<std::uint32_t>>();
    EXPECT_EQ(times, (std::vector<std::uint32_t>{10, 12}));
}

}  // namespace
