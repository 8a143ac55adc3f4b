// Randomized round trips: many generated templates (random IANA IEs, reduced
// sizes, fixed and variable lengths in both prefix forms, options templates)
// and records, written by the message writer into messages of random capacity,
// then read back through the run-time template cache. Every field's bytes and
// every message's sequence number must come back exactly. Deterministic seeds.
#include "ioam/ipfix/iana.hpp"
#include "ioam/ipfix/message.hpp"
#include "ioam/ipfix/template_cache.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <set>
#include <vector>

namespace {
using namespace ioam;
using namespace ioam::ipfix;

struct generated {
    dynamic_template t;
    std::vector<std::vector<std::vector<std::byte>>> records;  // record -> field -> value bytes
    std::vector<std::vector<std::byte>> encoded;               // record -> wire bytes
};

std::uint16_t random_length(std::mt19937& rng, data_type t) {
    auto pick = [&](std::uint16_t lo, std::uint16_t hi) {
        return static_cast<std::uint16_t>(std::uniform_int_distribution<int>(lo, hi)(rng));
    };
    const std::uint16_t nat = natural_length(t);
    if (is_unsigned(t) || is_signed(t)) return pick(1, nat);
    if (t == data_type::float64) return pick(0, 1) ? 8 : 4;
    if (nat == variable_length) return pick(0, 2) ? variable_length : pick(1, 40);
    return nat;
}

std::vector<std::byte> random_value(std::mt19937& rng, const field_spec& f, bool& long_form) {
    std::size_t n = f.length;
    if (n == variable_length) {
        const int kind = std::uniform_int_distribution<int>(0, 9)(rng);
        n = kind == 0 ? 0 : kind == 1 ? std::uniform_int_distribution<std::size_t>(255, 700)(rng)
                                      : std::uniform_int_distribution<std::size_t>(1, 60)(rng);
        long_form = std::uniform_int_distribution<int>(0, 3)(rng) == 0;
    }
    std::vector<std::byte> v(n);
    for (auto& b : v) b = static_cast<std::byte>(rng());
    if (f.type == data_type::boolean) v[0] = std::byte(1 + (rng() & 1));
    return v;
}

generated make_template(std::mt19937& rng, std::uint16_t id) {
    std::vector<field_spec> fields;
    std::set<std::uint16_t> used;
    const int n = std::uniform_int_distribution<int>(1, 20)(rng);
    while (static_cast<int>(fields.size()) < n) {
        const ie_info& ie = iana_registry[std::uniform_int_distribution<std::size_t>(0, iana_registry.size() - 1)(rng)];
        if (is_list(ie.type) || !used.insert(ie.id).second) continue;
        fields.push_back(field_spec{ie.id, 0, random_length(rng, ie.type), ie.type, true});
    }
    const bool options = std::uniform_int_distribution<int>(0, 4)(rng) == 0;
    const std::size_t scope = options ? std::uniform_int_distribution<std::size_t>(1, fields.size())(rng) : 0;
    const ie_registry reg{iana_registry};
    generated g;
    auto t = dynamic_template::from_fields(id, fields, scope, options, &reg);
    EXPECT_TRUE(t) << "generated templates are valid";
    g.t = std::move(*t);
    const int records = std::uniform_int_distribution<int>(0, 12)(rng);
    for (int r = 0; r < records; ++r) {
        std::vector<std::vector<std::byte>> values;
        std::vector<std::byte> wire(70000);
        byte_writer w(wire);
        for (const field_spec& f : g.t.fields()) {
            bool long_form = false;
            values.push_back(random_value(rng, f, long_form));
            if (f.length == variable_length) put_varlen_prefix(w, values.back().size(), long_form);
            w.put_bytes(values.back());
        }
        EXPECT_TRUE(w.ok());
        wire.resize(w.size());
        g.records.push_back(std::move(values));
        g.encoded.push_back(std::move(wire));
    }
    return g;
}

TEST(RandomRoundTrip, ManyTemplatesThroughTheCache) {
    std::size_t all_records = 0, all_messages = 0, long_values = 0;
    for (std::uint32_t seed = 1; seed <= 60; ++seed) {
        std::mt19937 rng(seed);
        std::vector<generated> gens;
        for (std::uint16_t id = 256; id < 256 + 8; ++id) gens.push_back(make_template(rng, id));

        // Write: all templates first, then the records interleaved, into
        // messages whose capacity is random (each must hold the largest record).
        std::size_t largest = 0;
        for (const auto& g : gens)
            for (const auto& e : g.encoded) largest = std::max(largest, e.size());
        writer_options opt;
        opt.capacity = std::max<std::size_t>(largest + 40, std::uniform_int_distribution<std::size_t>(200, 9000)(rng));
        opt.set_alignment = static_cast<std::uint8_t>(std::uniform_int_distribution<int>(0, 1)(rng) * 4);
        std::vector<std::byte> buf(65535);
        std::vector<std::vector<std::byte>> messages;
        message_writer w(buf, seed, seed * 1000, opt);
        auto flush = [&] {
            auto m = w.finish(seed);
            messages.emplace_back(m.begin(), m.end());
            w.reset();
        };
        for (const auto& g : gens) {
            std::array<std::byte, 1024> tb{};
            byte_writer tw(tb);
            ASSERT_TRUE(g.t.encode(tw));
            if (!w.add_template_bytes(tw.written(), g.t.is_options())) {
                flush();
                ASSERT_TRUE(w.add_template_bytes(tw.written(), g.t.is_options()));
            }
        }
        std::size_t total = 0;
        for (std::size_t r = 0;; ++r) {
            bool any = false;
            for (const auto& g : gens) {
                if (r >= g.encoded.size()) continue;
                any = true;
                ++total;
                if (!w.add_record_bytes(g.t.id(), g.encoded[r], g.t.min_record_size())) {
                    flush();
                    ASSERT_TRUE(w.add_record_bytes(g.t.id(), g.encoded[r], g.t.min_record_size()));
                }
            }
            if (!any) break;
        }
        flush();

        // Read back.
        template_cache cache(ie_registry{iana_registry});
        std::vector<std::size_t> next(gens.size(), 0);
        std::size_t seen = 0;
        for (const auto& bytes : messages) {
            ASSERT_LE(bytes.size(), opt.capacity);
            auto m = parse_message(bytes);
            ASSERT_TRUE(m) << "seed " << seed;
            auto sum = cache.process(7, *m, 0, [&](const dynamic_record& rec) {
                const std::size_t gi = rec.templ().id() - 256;
                const auto& want = gens[gi].records[next[gi]++];
                std::size_t fi = 0;
                rec.for_each_field([&](const field_view& f) {
                    const auto& v = want[fi++];
                    EXPECT_TRUE(std::equal(v.begin(), v.end(), f.bytes.begin(), f.bytes.end()))
                        << "seed " << seed << " template " << gi << " field " << fi - 1;
                });
                EXPECT_EQ(fi, want.size());
                ++seen;
            });
            EXPECT_EQ(sum.first_error.code, errc::ok) << "seed " << seed << " at " << sum.first_error.offset;
            EXPECT_FALSE(sum.sequence_gap) << "seed " << seed;
            EXPECT_EQ(sum.skipped_sets, 0U);
        }
        EXPECT_EQ(seen, total) << "seed " << seed;
        all_records += seen;
        all_messages += messages.size();
        for (const auto& g : gens)
            for (const auto& r : g.records)
                for (const auto& v : r) long_values += v.size() >= 255;
    }
    // The generator must exercise what it claims to: many records, messages
    // split by capacity, and values that need the 3-octet length form.
    EXPECT_GT(all_records, 2000U);
    EXPECT_GT(all_messages, 120U);
    EXPECT_GT(long_values, 50U);
    std::printf("%zu records in %zu messages, %zu values >= 255 octets\n", all_records, all_messages, long_values);
}
}  // namespace
