// Tests include/ioam/ipfix/decode_plan.hpp: the plan compiled for a run-time
// template must read every field exactly as field_view does, on random
// templates (reduced sizes, signed, float, boolean, addresses, dates, fixed
// and variable lengths in both prefix forms, records shorter than 8 octets)
// and random records. Deterministic seeds.
#include "ioam/ipfix/decode_plan.hpp"
#include "ioam/ipfix/dynamic_template.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <iterator>
#include <span>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

namespace {
using namespace ioam;
using namespace ioam::ipfix;

// A printable form of any value the plan or field_view hands out.
struct describe {
    std::string& out;
    template <class V>
    void operator()(std::size_t i, const V& v) const {
        out += std::to_string(i) + ":";
        if constexpr (std::is_same_v<V, std::uint64_t>) out += "u" + std::to_string(v);
        else if constexpr (std::is_same_v<V, std::int64_t>) out += "s" + std::to_string(v);
        else if constexpr (std::is_integral_v<V>) out += "narrow" + std::to_string(v);  // never: widened
        else if constexpr (std::is_same_v<V, float>) out += "f" + std::to_string(std::bit_cast<std::uint32_t>(v));
        else if constexpr (std::is_same_v<V, double>) out += "d" + std::to_string(std::bit_cast<std::uint64_t>(v));
        else if constexpr (std::is_same_v<V, boolean>) out += "b" + std::to_string(v.raw);
        else if constexpr (std::is_same_v<V, date_time_seconds>) out += "t" + std::to_string(v.seconds);
        else if constexpr (std::is_same_v<V, date_time_milliseconds>) out += "m" + std::to_string(v.milliseconds);
        else if constexpr (std::is_base_of_v<ntp_timestamp, V>) out += "n" + std::to_string(v.seconds) + "." + std::to_string(v.fraction);
        else if constexpr (std::is_same_v<V, std::string_view>) out += "\"" + std::string(v) + "\"";
        else if constexpr (requires { v.bytes; }) out += "a" + hex(v.bytes);
        else out += "x" + hex(v);
        out += " ";
    }
    template <class R>
    static std::string hex(const R& r) {
        std::string s;
        for (std::byte b : r) s += std::to_string(std::to_integer<int>(b)) + ".";
        return s;
    }
};

// What field_view says, for the same fields: integers through to_u64.
std::string expected_visit(const dynamic_record& r) {
    std::string out;
    describe d{out};
    std::size_t i = 0;
    r.for_each_field([&](const field_view& f) {
        std::uint64_t u = 0;
        if (is_unsigned(f.type()) && f.to_u64(u)) d(i, u);
        else if (is_signed(f.type()) && f.to_u64(u)) d(i, static_cast<std::int64_t>(u));
        else visit_value(i, f.type(), f.bytes, d);
        ++i;
    });
    return out;
}
std::string expected_u64(const dynamic_record& r) {
    std::string out;
    describe d{out};
    std::size_t i = 0;
    r.for_each_field([&](const field_view& f) {
        std::uint64_t u = 0;
        const bool varlen = f.spec->length == variable_length;
        if (f.to_u64(u)) d(i, u);
        else if (!varlen && f.bytes.size() <= 8) d(i, load_be_n(f.bytes.data(), f.bytes.size()));
        else d(i, f.bytes);
        ++i;
    });
    return out;
}

constexpr data_type types[] = {
    data_type::unsigned8,  data_type::unsigned16, data_type::unsigned32, data_type::unsigned64,
    data_type::signed8,    data_type::signed16,   data_type::signed32,   data_type::signed64,
    data_type::float32,    data_type::float64,    data_type::boolean,    data_type::macAddress,
    data_type::string,     data_type::octetArray, data_type::dateTimeSeconds, data_type::dateTimeMilliseconds,
    data_type::dateTimeMicroseconds, data_type::dateTimeNanoseconds, data_type::ipv4Address, data_type::ipv6Address,
};

struct case_ {
    dynamic_template t;
    std::vector<std::vector<std::byte>> records;
};

// Types of at most 8 octets read as unsigned (for_each_u64's fastest loop).
constexpr data_type unsigned_types[] = {
    data_type::unsigned8, data_type::unsigned16, data_type::unsigned32, data_type::unsigned64,
    data_type::float32,   data_type::boolean,    data_type::macAddress, data_type::ipv4Address,
    data_type::dateTimeSeconds,
};

case_ random_case(std::mt19937& rng, bool varlen_allowed, int max_fields, std::span<const data_type> from = types) {
    auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    std::vector<field_spec> fields;
    const int n = pick(1, max_fields);
    for (int k = 0; k < n; ++k) {
        const data_type t = from[static_cast<std::size_t>(pick(0, static_cast<int>(from.size()) - 1))];
        const std::uint16_t nat = natural_length(t);
        std::uint16_t len = nat;
        if (is_unsigned(t) || is_signed(t)) len = static_cast<std::uint16_t>(pick(1, nat));
        else if (t == data_type::float64) len = pick(0, 1) ? 8 : 4;
        else if (nat == variable_length) len = varlen_allowed && pick(0, 1) ? variable_length : static_cast<std::uint16_t>(pick(1, 12));
        fields.push_back(field_spec{static_cast<std::uint16_t>(k + 1), 4242, len, t, true});
    }
    case_ c;
    auto t = dynamic_template::from_fields(300, fields, 0, false);
    EXPECT_TRUE(t);
    c.t = std::move(*t);
    for (int r = 0; r < 6; ++r) {
        std::vector<std::byte> rec;
        for (const field_spec& f : c.t.fields()) {
            std::size_t len = f.length;
            if (len == variable_length) {
                len = pick(0, 4) == 0 ? static_cast<std::size_t>(pick(255, 300)) : static_cast<std::size_t>(pick(0, 20));
                if (len < 255 && pick(0, 3) != 0) {
                    rec.push_back(static_cast<std::byte>(len));
                } else {
                    rec.push_back(std::byte{255});
                    rec.push_back(static_cast<std::byte>(len >> 8));
                    rec.push_back(static_cast<std::byte>(len));
                }
            }
            for (std::size_t b = 0; b < len; ++b) rec.push_back(static_cast<std::byte>(rng()));
        }
        c.records.push_back(std::move(rec));
    }
    return c;
}

void check(const case_& c, std::uint32_t seed) {
    for (const auto& bytes : c.records) {
        // An exact-size heap copy, so that a read past the record shows under ASan.
        std::vector<std::byte> exact(bytes);
        ASSERT_TRUE(c.t.record_size(exact)) << "seed " << seed;
        const dynamic_record r{&c.t, exact};
        std::string got;
        r.visit(describe{got});
        EXPECT_EQ(got, expected_visit(r)) << "seed " << seed;
        std::string got64;
        r.for_each_u64(describe{got64});
        EXPECT_EQ(got64, expected_u64(r)) << "seed " << seed;
    }
}

TEST(DecodePlan, AgreesWithFieldViewOnRandomFixedTemplates) {
    for (std::uint32_t seed = 1; seed <= 400; ++seed) {
        std::mt19937 rng(seed);
        check(random_case(rng, false, seed % 4 == 0 ? 3 : 24), seed);
    }
}

TEST(DecodePlan, AgreesWithFieldViewOnRandomVariableTemplates) {
    for (std::uint32_t seed = 1; seed <= 400; ++seed) {
        std::mt19937 rng(seed);
        check(random_case(rng, true, seed % 4 == 0 ? 3 : 24), seed);
    }
}

// Each field a shift or a mask: windows start with the fields while 8 octets
// follow, then end with them; records of 1 to about 80 octets.
TEST(DecodePlan, AgreesWithFieldViewOnRandomUnsignedTemplates) {
    for (std::uint32_t seed = 1; seed <= 400; ++seed) {
        std::mt19937 rng(seed);
        check(random_case(rng, false, seed % 4 == 0 ? 4 : 20, unsigned_types), seed);
    }
}

TEST(DecodePlan, IntegersOnlyTemplatesRunWithoutASwitch) {
    const field_spec f[] = {{1, 0, 8, data_type::unsigned64, true}, {2, 0, 3, data_type::unsigned32, true},
                            {8, 0, 4, data_type::ipv4Address, true}, {3, 0, 1, data_type::unsigned8, true}};
    const auto t = dynamic_template::from_fields(256, f, 0, false).value();
    EXPECT_TRUE(t.plan().windows_only());
    const auto rec = make_bytes(0, 0, 0, 0, 0, 0, 1, 2, 0xab, 0xcd, 0xef, 10, 0, 0, 1, 0xff);
    std::vector<std::uint64_t> v;
    dynamic_record{&t, rec}.for_each_u64([&](std::size_t, auto x) {
        if constexpr (std::is_same_v<decltype(x), std::uint64_t>) v.push_back(x);
    });
    EXPECT_EQ(v, (std::vector<std::uint64_t>{0x102, 0xabcdef, 0x0a000001, 0xff}));
}

TEST(DecodePlan, SignedAndShortRecords) {
    const field_spec f[] = {{1, 0, 1, data_type::signed8, true}, {2, 0, 2, data_type::signed32, true}};
    const auto t = dynamic_template::from_fields(256, f, 0, false).value();
    EXPECT_FALSE(t.plan().windows_only()) << "a 3-octet record has no 8-octet window";
    const auto rec = make_bytes(0xff, 0x80, 0x00);
    std::vector<std::int64_t> v;
    dynamic_record{&t, rec}.visit([&](std::size_t, auto x) {
        if constexpr (std::is_same_v<decltype(x), std::int64_t>) v.push_back(x);
    });
    EXPECT_EQ(v, (std::vector<std::int64_t>{-1, -32768}));
}

}  // namespace

// Item: one description of a run-time template. Each field carries its place
// (segment, offset within it) and its registry row; field(i), for_each_field
// and static_offset all read it.
namespace {
TEST(TemplateField, OneDescriptionOfPlaceAndRow) {
    const ie_info rows[] = {{7, 0, data_type::unsigned16, data_semantics::identifier, 2, "sourceTransportPort", {}}};
    const ie_registry reg{rows};
    const field_spec specs[] = {
        {7, 0, 2, data_type::unsigned16, true},              // seg 0, offset 0
        {82, 0, variable_length, data_type::string, true},   // seg 0, offset 2 (its prefix)
        {1, 0, 4, data_type::unsigned32, true},              // seg 1, offset 0
        {2, 0, 1, data_type::unsigned8, true},               // seg 1, offset 4
        {83, 0, variable_length, data_type::string, true},   // seg 1, offset 5
        {4, 0, 1, data_type::unsigned8, true},               // seg 2, offset 0
    };
    auto t = dynamic_template::from_fields(300, specs, 0, false, &reg);
    ASSERT_TRUE(t);
    const auto f = t->fields();
    ASSERT_EQ(f.size(), 6U);
    const std::uint16_t segment[] = {0, 0, 1, 1, 1, 2}, offset[] = {0, 2, 0, 4, 5, 0};
    for (std::size_t i = 0; i < f.size(); ++i) {
        EXPECT_EQ(f[i].segment, segment[i]) << i;
        EXPECT_EQ(f[i].offset, offset[i]) << i;
        EXPECT_EQ(f[i].spec(), specs[i]) << "the specifier as on the wire";
        EXPECT_EQ(t->static_offset(i), segment[i] == 0 ? offset[i] : variable_length) << i;
    }
    EXPECT_EQ(f[0].info, &rows[0]);
    EXPECT_EQ(t->info(0), &rows[0]);
    EXPECT_EQ(f[1].info, nullptr);
    EXPECT_EQ(&t->plan().fields()[0], &f[0]) << "the plan holds the fields: one array";
    // A record: 0x0102, "ab", 0x0a0b0c0d, 9, "" (long form prefix), 5.
    const auto rec = make_bytes(1, 2, 2, 'a', 'b', 10, 11, 12, 13, 9, 255, 0, 0, 5);
    const dynamic_record r(&*t, rec);
    std::vector<std::string> walk, direct;
    const auto show = [&](const field_view& v) {  // id:where/octets
        return std::to_string(v.spec->id) + ":" + std::to_string(v.bytes.data() - rec.data()) + "/" +
               describe::hex(v.bytes);
    };
    r.for_each_field([&](const field_view& v) { walk.push_back(show(v)); });
    for (std::size_t i = 0; i < f.size(); ++i) {
        const field_view v = r.field(i);
        EXPECT_EQ(v.spec, &f[i]) << "field_view points at the one description";
        direct.push_back(show(v));
    }
    EXPECT_EQ(walk, direct);
    EXPECT_EQ(walk, (std::vector<std::string>{"7:0/1.2.", "82:3/97.98.", "1:5/10.11.12.13.", "2:9/9.", "83:13/",
                                              "4:13/5."}));
    EXPECT_EQ(r.field(2).bytes.data(), rec.data() + 5);
    EXPECT_EQ(r.field(5).bytes.data(), rec.data() + 13);
}
}  // namespace

// The byte-shuffle path (decode_rows with SSSE3) against the scalar loops
// (plan_path::scalar) and against field_view, on random templates of fields
// of 1 to 8 octets at any offset, runs of records that end exactly at the end
// of their heap buffer (a read past it shows under ASan) and start at odd
// addresses.
namespace {
bool cpu_has_ssse3() {
#if IOAM_IPFIX_SHUFFLE
    __builtin_cpu_init();
    return __builtin_cpu_supports("ssse3");
#else
    return false;
#endif
}

TEST(DecodePlanRows, ShufflesAgreeWithScalarLoopsAndFieldView) {
    constexpr data_type signed_types[] = {data_type::signed8, data_type::signed16, data_type::signed32,
                                          data_type::signed64};
    std::size_t shuffled = 0, rows_checked = 0, wide = 0;
    for (std::uint32_t seed = 1; seed <= 1500; ++seed) {
        std::mt19937 rng(seed);
        auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
        std::vector<field_spec> specs;
        const int n = pick(1, seed % 5 == 0 ? 40 : 12);  // over 32 fields: more than one run of 16 pairs
        const bool signed_allowed = seed % 8 == 0;
        bool with_signed = false;
        for (int k = 0; k < n; ++k) {
            const bool s = signed_allowed && pick(0, 3) == 0;
            with_signed = with_signed || s;
            const data_type t = s ? signed_types[pick(0, 3)]
                                  : unsigned_types[static_cast<std::size_t>(pick(0, std::size(unsigned_types) - 1))];
            const std::uint16_t nat = natural_length(t);
            const auto len = is_unsigned(t) || is_signed(t) ? static_cast<std::uint16_t>(pick(1, nat)) : nat;
            specs.push_back(field_spec{static_cast<std::uint16_t>(k + 1), 4242, len, t, true});
        }
        const auto t = dynamic_template::from_fields(300, specs, 0, false).value();
        const decode_plan& plan = t.plan();
        if (!plan.decodes_rows()) {
            EXPECT_LT(t.min_record_size(), 8U) << "seed " << seed << ": only records under 8 octets lack windows";
            continue;
        }
        const decode_plan scalar(std::vector<template_field>(t.fields().begin(), t.fields().end()), plan_path::scalar);
        EXPECT_FALSE(scalar.shuffled());
        const std::size_t size = t.min_record_size();
        EXPECT_EQ(plan.shuffled(), cpu_has_ssse3() && !with_signed && size >= 16) << "seed " << seed;
        shuffled += plan.shuffled();
        wide += plan.shuffled() && n > 32;
        const std::size_t count = static_cast<std::size_t>(pick(1, 5));
        const std::size_t lead = static_cast<std::size_t>(pick(0, 15));  // odd starts
        std::vector<std::byte> buf(lead + count * size);                 // exact size: records end at its end
        for (auto& b : buf) b = static_cast<std::byte>(rng());
        const std::byte* first = buf.data() + lead;
        const std::size_t stride = plan.row_slots();
        ASSERT_EQ(stride, (specs.size() + 1) / 2 * 2);
        std::vector<std::uint64_t> expected(count * stride, 0);
        for (std::size_t r = 0; r < count; ++r) {
            std::size_t i = 0;
            dynamic_record{&t, bytes_view{first + r * size, size}}.for_each_field([&](const field_view& f) {
                std::uint64_t u = 0;
                if (!f.to_u64(u)) u = load_be_n(f.bytes.data(), f.bytes.size());
                expected[r * stride + i++] = u;
            });
        }
        std::vector<std::uint64_t> got(count * stride, 0xdeadbeef), got_scalar(count * stride, 0xdeadbeef);
        plan.decode_rows(first, size, count, got.data());
        scalar.decode_rows(first, size, count, got_scalar.data());
        EXPECT_EQ(got, expected) << "seed " << seed;
        EXPECT_EQ(got_scalar, expected) << "seed " << seed;
        rows_checked += count;
    }
    EXPECT_GT(rows_checked, 2000U);
    if (cpu_has_ssse3()) {
        EXPECT_GT(shuffled, 500U) << "the shuffle path must have run";
        EXPECT_GT(wide, 20U) << "and on templates of more than 16 pairs";
    } else {
        std::printf("note: this CPU has no SSSE3; only the scalar rows were compared\n");
    }
}

// A template with a field of more than 8 octets, a variable-length field or
// a record under 8 octets has no rows; one of 16 octets or more with only
// unsigned fields is shuffled.
TEST(DecodePlanRows, WhichTemplatesDecodeAsRows) {
    const field_spec wide[] = {{1, 0, 8, data_type::unsigned64, true}, {27, 0, 16, data_type::ipv6Address, true}};
    const field_spec varlen[] = {{1, 0, 8, data_type::unsigned64, true}, {82, 0, variable_length, data_type::string, true}};
    const field_spec small[] = {{1, 0, 4, data_type::unsigned32, true}, {2, 0, 2, data_type::unsigned16, true}};
    const field_spec ok[] = {{1, 0, 8, data_type::unsigned64, true}, {2, 0, 8, data_type::unsigned64, true},
                             {4, 0, 1, data_type::unsigned8, true}};
    EXPECT_FALSE(decode_plan(std::span<const field_spec>(wide)).decodes_rows());
    EXPECT_FALSE(decode_plan(std::span<const field_spec>(varlen)).decodes_rows());
    EXPECT_FALSE(decode_plan(std::span<const field_spec>(small)).decodes_rows());
    const decode_plan p{std::span<const field_spec>(ok)};
    EXPECT_TRUE(p.decodes_rows());
    EXPECT_EQ(p.row_slots(), 4U);
    EXPECT_EQ(p.shuffled(), cpu_has_ssse3());
    const auto rec = make_bytes(0, 0, 0, 0, 0, 0, 1, 2, 0xff, 0, 0, 0, 0, 0, 0, 3, 0x80);
    std::uint64_t v[4] = {9, 9, 9, 9};
    p.decode_rows(rec.data(), rec.size(), 1, v);
    EXPECT_EQ(v[0], 0x102U);
    EXPECT_EQ(v[1], 0xff00000000000003U);
    EXPECT_EQ(v[2], 0x80U);
    EXPECT_EQ(v[3], 0U) << "the slot after an odd count of fields";
}
}  // namespace
