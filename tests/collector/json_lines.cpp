// exporters/common/print.hpp's json_lines (JSON lines from skeletons) against
// a plain renderer of the same format, key by key: every mix of present
// values, small and large numbers, unavailable (all ones) values, snapshots,
// with and without a prefix, more key sets than the skeleton list holds.
#include "print.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace {

namespace xp = ioam::exporting;
namespace tr = ioam::trace;

// The format as docs/collector.md states it, written the obvious way.
std::string reference(const xp::decoded_record& d, const std::string& prefix) {
    std::string s = "{" + prefix;
    bool first = prefix.empty();
    const auto key = [&](std::string_view k) {
        if (!first) s += ',';
        first = false;
        s += '"';
        s += k;
        s += "\":";
    };
    const auto num = [&](std::string_view k, const auto& v) {
        if (!v) return;
        key(k);
        s += std::to_string(static_cast<std::uint64_t>(*v));
    };
    num("event", d.event_id);
    if (d.option_type) {
        key("option_type");
        s += *d.option_type == xp::option_dex ? "\"dex\"" : "\"trace\"";
    }
    num("namespace", d.namespace_id);
    num("trace_type", d.trace_type);
    num("node_index", d.node_index);
    num("node_count", d.node_count);
    num("flow_id", d.flow_id);
    num("sequence", d.sequence);
    for (const auto& v : tr::value_table) num(v.name, d.values[static_cast<std::size_t>(v.id)]);
    num("schema_id", d.schema_id);
    if (d.snapshot) {
        key("snapshot");
        s += '"';
        static constexpr char hex[] = "0123456789abcdef";
        for (std::byte b : *d.snapshot) {
            s += hex[std::to_integer<unsigned>(b) >> 4];
            s += hex[std::to_integer<unsigned>(b) & 15];
        }
        s += '"';
    }
    return s + "}\n";
}

template <class T>
void maybe(std::mt19937_64& rng, std::uint64_t mask, int bit, std::optional<T>& out) {
    if (!(mask >> bit & 1)) return;
    // Small values (one and two digits), three digits, and any up to all ones.
    const std::uint64_t r = rng();
    std::uint64_t v = r % 4 == 0 ? r % 10 : r % 4 == 1 ? r % 100 : r % 4 == 2 ? 100 + r % 900 : rng();
    if (rng() % 16 == 0) v = ~std::uint64_t{0};
    out = static_cast<T>(v);
}

TEST(JsonLines, SameAsThePlainRendererForEveryKeySet) {
    std::mt19937_64 rng(11);
    std::vector<std::byte> snap(300);
    for (auto& b : snap) b = static_cast<std::byte>(rng());
    ioam_tools::json_lines lines;
    std::string out, expected;
    std::size_t masks = 0;
    for (int i = 0; i < 20000; ++i) {
        // A run of records with one key set (as one template gives), then another.
        const std::uint64_t mask = i % 50 == 0 || i < 200 ? rng() : rng() & 0xff00ff;
        masks += i % 50 == 0;
        xp::decoded_record d;
        maybe(rng, mask, 0, d.event_id);
        if (mask >> 1 & 1) d.option_type = static_cast<std::uint8_t>(rng() % 3 == 0 ? xp::option_dex : rng() % 256);
        maybe(rng, mask, 2, d.namespace_id);
        maybe(rng, mask, 3, d.trace_type);
        maybe(rng, mask, 4, d.node_index);
        maybe(rng, mask, 5, d.node_count);
        maybe(rng, mask, 6, d.flow_id);
        maybe(rng, mask, 7, d.sequence);
        for (std::size_t v = 0; v < tr::value_count; ++v)
            maybe(rng, mask, 8 + static_cast<int>(v), d.values[v]);
        maybe(rng, mask, 34, d.schema_id);
        if (mask >> 35 & 1) d.snapshot = ioam::bytes_view(snap.data(), rng() % (i % 7 == 0 ? 300 : 9));
        const std::string prefix = rng() % 3 == 0 ? "\"odid\":1,\"template\":300" : "";
        lines.append(out, d, prefix);
        expected += reference(d, prefix);
        ASSERT_EQ(out, expected) << "record " << i;
        if (out.size() > 1 << 16) {
            out.clear();
            expected.clear();
        }
    }
    EXPECT_GT(masks, 64u);  // more key sets than json_lines keeps: its list started anew
}

// A template's rows printed straight (json_lines::row_plan, what the
// collector does for rows) against the same rows decoded by row_decoder and
// printed from the decoded_record: random templates of PEN 10383 elements
// (repeated ones, ioamHopLimit with and without a trace type that makes it
// the wide one, fields of other enterprises), random values of any width.
TEST(JsonLines, RowsPrintAsTheirDecodedRecords) {
    namespace pen = xp::pen10383;
    std::mt19937_64 rng(23);
    ioam_tools::json_lines lines;
    std::string direct, decoded;
    std::size_t templates = 0, rows = 0, wide = 0, none = 0, empty = 0;
    for (int n = 0; n < 3000; ++n) {
        std::vector<ioam::ipfix::field_spec> specs;
        const std::size_t count = 1 + rng() % 14;
        for (std::size_t i = 0; i < count; ++i) {
            ioam::ipfix::field_spec f;
            const auto r = rng() % 10;
            f.enterprise = r < 8 ? pen::pen : r == 8 ? 0 : 32473;
            f.id = static_cast<std::uint16_t>(r < 7 ? rng() % pen::elements.size() : rng() % 300);
            if (f.enterprise == pen::pen && f.id == pen::id::snapshot) f.id = pen::id::hop_limit;  // (no rows)
            if (n % 3 == 0 && i == 0) f = {pen::id::trace_type, pen::pen, 4};
            if (n % 3 == 0 && i == 1) f = {pen::id::hop_limit, pen::pen, 1};
            f.length = static_cast<std::uint16_t>(f.length ? f.length : 1 + rng() % 8);
            specs.push_back(f);
        }
        const auto t = ioam::ipfix::dynamic_template::from_fields(256, specs, 0, false);
        ASSERT_TRUE(t) << "template " << n;
        const xp::row_decoder dec(*t);
        ASSERT_TRUE(dec.usable());
        const ioam_tools::json_lines::row_plan plan(dec);
        ++templates;
        const std::string prefix = n % 4 == 0 ? "\"odid\":1,\"template\":256,\"sequence\":9" : "";
        const std::size_t stride = t->plan().row_slots();
        std::vector<std::uint64_t> set;  // the rows back to back, as process_rows hands them
        for (int k = 0; k < 20; ++k) {
            std::vector<std::uint64_t> row(specs.size());
            for (auto& v : row) {
                const auto r = rng() % 5;
                v = r == 0 ? rng() % 10 : r == 1 ? rng() % 1000 : r == 2 ? ~std::uint64_t{0} : rng();
            }
            if (n % 3 == 0 && k % 2 == 0) row[0] = tr::bit_mask(8) | (rng() & 0x7fff);  // only bit 8: wide
            const xp::decoded_record d = dec.decode(row);
            if (!plan.any()) {
                ASSERT_EQ(d.pen_fields, 0u) << "template " << n;
                ++none;
                continue;
            }
            wide += d.value(tr::value_id::hop_limit_wide).has_value();
            const std::size_t before = decoded.size();
            lines.append_row(direct, plan, row, prefix);
            lines.append(decoded, d, prefix);
            ASSERT_EQ(direct, decoded) << "template " << n << " row " << k;
            empty += decoded.compare(before, std::string::npos, "{" + prefix + "}\n") == 0;
            ++rows;
            set.insert(set.end(), row.begin(), row.end());
            set.resize(set.size() + stride - row.size());
        }
        if (plan.any()) {  // the whole set at once
            std::string all = "[";
            lines.append_rows(all, plan, ioam::ipfix::value_rows(&*t, set.data(), set.size() / stride), prefix);
            ASSERT_EQ(all, "[" + decoded) << "template " << n;
        }
        direct.clear();
        decoded.clear();
    }
    EXPECT_EQ(templates, 3000u);
    EXPECT_GT(rows, 50000u);
    EXPECT_GT(wide, 1000u);
    EXPECT_GT(none, 0u);
    EXPECT_GT(empty, 0u);  // PEN 10383 fields, none with a value to print: "{}"
}

// Numbers at every width: each power of ten, one less and one more, up to
// all ones, as std::to_string writes them.
TEST(JsonLines, NumbersOfEveryWidth) {
    ioam_tools::json_lines lines;
    std::vector<std::uint64_t> values = {0, ~std::uint64_t{0}, ~std::uint64_t{0} - 1};
    for (std::uint64_t p = 1; p <= 10'000'000'000'000'000'000u; p *= 10) {
        for (const std::uint64_t v : {p - 1, p, p + 1, 2 * p - 1, 5 * p, 9 * p + (p - 1)}) values.push_back(v);
        if (p == 10'000'000'000'000'000'000u) break;
    }
    for (std::uint64_t v = 0; v < 200000; v += 7) values.push_back(v);
    for (const std::uint64_t v : values) {
        xp::decoded_record d;
        d.values[static_cast<std::size_t>(tr::value_id::node_id)] = v;
        std::string out;
        lines.append(out, d);
        ASSERT_EQ(out, "{\"node_id\":" + std::to_string(v) + "}\n") << v;
    }
}

TEST(JsonLines, AppendsAfterWhatTheStringHolds) {
    ioam_tools::json_lines lines;
    xp::decoded_record d;
    d.event_id = 7;
    d.values[static_cast<std::size_t>(tr::value_id::node_id)] = 1000;
    std::string out = "{\"options\":{}}\n";
    lines.append(out, d);
    lines.append(out, d, "\"odid\":2");
    EXPECT_EQ(out, "{\"options\":{}}\n{\"event\":7,\"node_id\":1000}\n{\"odid\":2,\"event\":7,\"node_id\":1000}\n");
}

}  // namespace
