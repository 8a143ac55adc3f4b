// Tests include/ioam/ipfix/dispatch.hpp and template_cache::process<Ts...>:
// a learnt template is matched to the compile-time template with the same
// field specifiers (whatever its id), records of matched sets are read as
// that template and agree with the run-time path, and everything else falls
// back to dynamic_record.
#include "ioam/ipfix/dispatch.hpp"
#include "ioam/ipfix/iana.hpp"
#include "ioam/ipfix/template_cache.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

namespace {
using namespace ioam;
using namespace ioam::ipfix;

using t_a = data_template<256, ie::sourceTransportPort, ie::octetDeltaCount>;
using t_a_other_id = data_template<400, ie::sourceTransportPort, ie::octetDeltaCount>;
using t_a_reduced = data_template<256, ie::sourceTransportPort, reduced<ie::octetDeltaCount, 4>>;
using t_a_swapped = data_template<256, ie::octetDeltaCount, ie::sourceTransportPort>;
using t_a_options = options_template<256, scope<ie::sourceTransportPort>, ie::octetDeltaCount>;
using t_var = data_template<257, ie::destinationTransportPort, reduced<ie::packetDeltaCount, 2>, ie::interfaceName,
                            ie::sourceIPv4Address, reduced<ie::octetDeltaCount, 3>>;
using unknown_ie = enterprise<99999, 5, data_type::unsigned32>;
using t_unknown = data_template<258, unknown_ie, ie::protocolIdentifier>;

struct msg {
    std::array<std::byte, 1500> buf{};
    message_writer w;
    explicit msg(std::uint32_t seq = 0) : w(buf, 1, seq, writer_options{1500, transport::tcp, 0, {}}) {}
    message_view view() { return parse_message(w.finish(0)).value(); }
};

template <class T>
dynamic_template learnt() {
    return dynamic_template::from_fields(T::id, T::fields, T::scope_count, T::is_options).value();
}

TEST(Dispatch, SameFieldsComparesSpecifiersNotIds) {
    const dynamic_template a = learnt<t_a>();
    EXPECT_TRUE(same_fields<t_a>(a));
    EXPECT_TRUE(same_fields<t_a_other_id>(a)) << "the exporter chooses template ids";
    EXPECT_FALSE(same_fields<t_a_reduced>(a)) << "reduced-size encoding is another specifier";
    EXPECT_FALSE(same_fields<t_a_swapped>(a));
    EXPECT_FALSE(same_fields<t_a_options>(a));
    EXPECT_FALSE(same_fields<t_var>(a));
    EXPECT_TRUE(same_fields<t_a_options>(learnt<t_a_options>()));
    EXPECT_TRUE(same_fields<t_var>(learnt<t_var>()));
    EXPECT_EQ((match_template<t_var, t_a_reduced, t_a>(a)), 2U);
    EXPECT_EQ((match_template<t_a_other_id, t_a>(a)), 0U) << "the first match wins";
    EXPECT_EQ((match_template<t_var, t_a_reduced>(a)), 2U) << "no match: sizeof...(Ts)";
}

TEST(Dispatch, DispatchTemplatePicksTheTypeOrFallsBack) {
    const dynamic_template a = learnt<t_a>(), v = learnt<t_var>(), r = learnt<t_a_reduced>();
    auto which = [](const dynamic_template& t) {
        return dispatch_template<t_var, t_a>(
            t, [](auto x) { return std::is_same_v<decltype(x), t_var> ? 1 : 2; }, [] { return 0; });
    };
    EXPECT_EQ(which(v), 1);
    EXPECT_EQ(which(a), 2);
    EXPECT_EQ(which(r), 0);
    int calls = 0;
    dispatch_template<t_a>(r, [&](auto) { calls += 10; }, [&] { calls += 1; });
    dispatch_template<t_a>(a, [&](auto) { calls += 10; }, [&] { calls += 1; });
    EXPECT_EQ(calls, 11);
}

TEST(Dispatch, ParseDataSetAsIgnoresTheSetId) {
    msg m;
    ASSERT_TRUE(m.w.add_record<t_a>(std::tuple{80, 7}));
    const message_view mv = m.view();
    const set_view set = *mv.sets().begin();
    EXPECT_EQ(parse_data_set<t_a_other_id>(set).code(), errc::template_mismatch);
    auto ds = parse_data_set_as<t_a_other_id>(set);
    ASSERT_TRUE(ds);
    ASSERT_EQ(ds->size(), 1U);
    EXPECT_EQ(get<ie::octetDeltaCount>(*ds->begin()), 7U);
}

// Every value of a record as text: through get<I> for a compile-time record,
// through field_view for a run-time one (integers widened alike).
template <class V>
std::string text(const V& v) {
    if constexpr (std::is_integral_v<V>) return std::to_string(static_cast<std::int64_t>(v)) + " ";
    else if constexpr (std::is_same_v<V, std::string_view>) return std::string(v) + " ";
    else return std::to_string(load_be_n(v.bytes.data(), v.bytes.size())) + " ";  // addresses
}
template <class T>
std::string text(const record_view<T>& r) {
    return [&]<std::size_t... I>(std::index_sequence<I...>) {
        return (text(get<I>(r)) + ...);
    }(std::make_index_sequence<T::field_count>{});
}
std::string text(const dynamic_record& r) {
    std::string out;
    r.for_each_field([&](const field_view& f) {
        std::uint64_t u = 0;
        if (f.to_u64(u)) out += std::to_string(static_cast<std::int64_t>(u)) + " ";
        else if (f.type() == data_type::string) out += std::string(f.as<data_type::string>()) + " ";
        else out += std::to_string(load_be_n(f.bytes.data(), f.bytes.size())) + " ";
    });
    return out;
}

// Random records of t_a, t_var and t_unknown (its IE unknown to the registry)
// in several messages; the dispatching cache must say what the plain one says.
TEST(Dispatch, ProcessAgreesWithTheRunTimePathOnRandomRecords) {
    std::mt19937_64 rng(5);
    std::vector<std::vector<std::byte>> stream;
    std::uint32_t seq = 0;
    std::vector<std::string> names;
    for (int i = 0; i < 40; ++i) names.push_back(std::string(rng() % 300, static_cast<char>('a' + i % 26)));
    for (int n = 0; n < 30; ++n) {
        msg m(seq);
        if (n == 0) {
            ASSERT_TRUE(m.w.add_template<t_a>());
            ASSERT_TRUE(m.w.add_template<t_var>());
            ASSERT_TRUE(m.w.add_template<t_unknown>());
        }
        std::uint32_t records = 0;
        for (int k = 0; k < 6; ++k) {
            const auto pick = rng() % 3;
            bool ok = false;
            if (pick == 0) {
                ok = m.w.add_record<t_a>(std::tuple{static_cast<std::uint16_t>(rng()), rng()}).has_value();
            } else if (pick == 1) {
                ipv4_address a{};
                for (auto& b : a.bytes) b = static_cast<std::byte>(rng());
                ok = m.w.add_record<t_var>(std::tuple{static_cast<std::uint16_t>(rng()), rng() & 0xffff,
                                                       std::string_view(names[rng() % names.size()]), a,
                                                       rng() & 0xffffff})
                         .has_value();
            } else {
                ok = m.w.add_record<t_unknown>(std::tuple{static_cast<std::uint32_t>(rng()),
                                                           static_cast<std::uint8_t>(rng())})
                         .has_value();
            }
            records += ok;
        }
        const auto bytes = m.w.finish(0);
        stream.emplace_back(bytes.begin(), bytes.end());
        seq += records;
    }
    template_cache plain(ie_registry{iana_registry}), typed(ie_registry{iana_registry});
    std::string want, got;
    std::size_t as_a = 0, as_var = 0, as_dynamic = 0;
    for (const auto& b : stream) {
        const message_view m = parse_message(b).value();
        const auto s1 = plain.process(1, m, 0, [&](const dynamic_record& r) { want += text(r) + "\n"; });
        const auto s2 = typed.process<t_a_other_id, t_var, t_unknown>(1, m, 0, [&](const auto& r) {
            using R = std::decay_t<decltype(r)>;
            if constexpr (std::is_same_v<R, record_view<t_a_other_id>>) ++as_a;
            else if constexpr (std::is_same_v<R, record_view<t_var>>) ++as_var;
            else if constexpr (std::is_same_v<R, dynamic_record>) ++as_dynamic;
            got += text(r) + "\n";
        });
        EXPECT_EQ(s1.records, s2.records);
        EXPECT_EQ(s1.sequence_gap, s2.sequence_gap);
        EXPECT_EQ(s1.skipped_sets, 0U);
        EXPECT_EQ(s2.skipped_sets, 0U);
    }
    EXPECT_EQ(got, want);
    EXPECT_GT(as_a, 20U);
    EXPECT_GT(as_var, 20U);
    // t_unknown's first IE is unknown to the registry, but its specifiers
    // are t_unknown's: matched too. Nothing here needs the fallback...
    EXPECT_EQ(as_dynamic, 0U);
    // ...which a cache given only t_var takes for the other two.
    template_cache partial(ie_registry{iana_registry});
    std::size_t typed_count = 0, dynamic_count = 0;
    for (const auto& b : stream)
        (void)partial.process<t_var>(1, parse_message(b).value(), 0, [&](const auto& r) {
            if constexpr (std::is_same_v<std::decay_t<decltype(r)>, dynamic_record>) ++dynamic_count;
            else ++typed_count;
        });
    EXPECT_EQ(typed_count, as_var);
    EXPECT_EQ(dynamic_count + typed_count, static_cast<std::size_t>(std::count(want.begin(), want.end(), '\n')));
    EXPECT_GT(dynamic_count, as_a);
}

TEST(Dispatch, RedefinitionIsMatchedAgain) {
    using t_b = data_template<256, ie::destinationTransportPort, reduced<ie::packetDeltaCount, 2>, ie::interfaceName>;
    template_cache c(ie_registry{iana_registry});
    msg m;
    ASSERT_TRUE(m.w.add_template<t_a>());
    ASSERT_TRUE(m.w.add_record<t_a>(std::tuple{1, 10}));
    ASSERT_TRUE(m.w.add_template<t_b>());  // same id, other fields
    ASSERT_TRUE(m.w.add_record<t_b>(std::tuple{22, 7, std::string_view("eth1")}));
    ASSERT_TRUE(m.w.add_template<t_a>());  // and back
    ASSERT_TRUE(m.w.add_record<t_a>(std::tuple{2, 20}));
    std::vector<std::string> seen;
    const auto sum = c.process<t_a>(1, m.view(), 0, [&](const auto& r) {
        if constexpr (std::is_same_v<std::decay_t<decltype(r)>, dynamic_record>) seen.push_back("dynamic " + text(r));
        else seen.push_back("t_a " + text(r));
    });
    EXPECT_EQ(sum.redefinitions, 2U);
    EXPECT_EQ(sum.records, 3U);
    EXPECT_EQ(seen, (std::vector<std::string>{"t_a 1 10 ", "dynamic 22 7 eth1 ", "t_a 2 20 "}));
}

TEST(Dispatch, BadSetIsSkippedAsOnTheRunTimePath) {
    msg m;
    ASSERT_TRUE(m.w.add_template<t_a>());
    ASSERT_TRUE(m.w.add_record<t_a>(std::tuple{1, 10}));
    const auto b = m.w.finish(0);
    // Two non-zero octets after the last record: not padding (RFC 7011 3.3.1).
    std::vector<std::byte> bad(b.begin(), b.end());
    bad.push_back(std::byte{0xff});
    bad.push_back(std::byte{0xff});
    store_be16(bad.data() + 2, static_cast<std::uint16_t>(bad.size()));
    const std::size_t set = bad.size() - 2 - 4 - t_a::record_size;
    store_be16(bad.data() + set + 2, static_cast<std::uint16_t>(load_be16(bad.data() + set + 2) + 2));
    const message_view mv = parse_message(bad).value();
    template_cache plain(ie_registry{iana_registry}), typed(ie_registry{iana_registry});
    int calls = 0;
    const auto s1 = plain.process(1, mv, 0, [&](const dynamic_record&) { ++calls; });
    const auto s2 = typed.process<t_a>(1, mv, 0, [&](const auto&) { ++calls; });
    EXPECT_EQ(calls, 0);
    EXPECT_EQ(s2.skipped_sets, 1U);
    EXPECT_EQ(s2.records, 0U);
    EXPECT_NE(s2.first_error.code, errc::ok);
    EXPECT_EQ(s1.first_error.code, s2.first_error.code);
    EXPECT_EQ(s1.first_error.offset, s2.first_error.offset);
}

}  // namespace
