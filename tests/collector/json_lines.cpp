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
