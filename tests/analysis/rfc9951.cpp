// Tests include/ioam/analysis/rfc9951.hpp and rfc9951_layout.hpp: the RFC 9951
// records through the export session, read back through the template cache;
// the element ids are a setting; the template is exactly its declared size.
#include "ioam/analysis/rfc9951_layout.hpp"

#include "ioam/export/session.hpp"
#include "ioam/ipfix/iana.hpp"
#include "ioam/ipfix/message.hpp"
#include "ioam/ipfix/template_cache.hpp"

#include <gtest/gtest.h>

#include <array>
#include <span>
#include <vector>

namespace a = ioam::analysis;
namespace x = ioam::exporting;
namespace ipfix = ioam::ipfix;

namespace {
struct sink {
    std::vector<std::vector<std::byte>> messages;
    bool send(ioam::bytes_view m, std::uint32_t) {
        messages.emplace_back(m.begin(), m.end());
        return true;
    }
    [[nodiscard]] ipfix::transport transport() const { return ipfix::transport::udp; }
};

std::vector<a::path_delay_record> decode(const std::vector<std::vector<std::byte>>& msgs,
                                         std::vector<std::uint16_t>* ids = nullptr) {
    ipfix::template_cache cache(ipfix::ie_registry{ipfix::iana_registry});
    std::vector<a::path_delay_record> out;
    for (const auto& m : msgs) {
        auto v = ipfix::parse_message(m);
        EXPECT_TRUE(v);
        if (!v) continue;
        const auto sum = cache.process(1, *v, 0, [&](const ipfix::dynamic_record& r) {
            out.push_back(a::rfc9951_layout::decode(r));
            if (ids && ids->empty())
                r.for_each_field([&](const ipfix::field_view& f) { ids->push_back(f.spec->id); });
        });
        EXPECT_EQ(sum.skipped_sets, 0U);
    }
    return out;
}
}  // namespace

TEST(Rfc9951, RecordsThroughTheSessionAndBack) {
    sink s;
    x::session<a::rfc9951_layout, sink> ses(s);
    ses.tick({1000, 1'790'000'000});
    a::delay_summary d;
    for (const std::int64_t us : {15'000, 15'200, 14'900}) d.add(us * 1000);
    const auto r1 = a::path_delay_of(123, 7, d, 1'790'000'000'000, 1'790'000'010'000);
    EXPECT_EQ(r1.packets, 3u);
    EXPECT_EQ(r1.sum_us, 45'100u);
    EXPECT_EQ(r1.mean_us, 15'033u);  // sum / packets, rounded down
    EXPECT_EQ(r1.min_us, 14'900u);
    EXPECT_EQ(r1.max_us, 15'200u);
    a::path_delay_record r2 = r1;
    r2.flow_id = 8;
    ASSERT_TRUE(ses.add(r1));
    ASSERT_TRUE(ses.add(r2));
    ses.flush();
    ASSERT_EQ(s.messages.size(), 1u);
    std::vector<std::uint16_t> ids;
    const auto back = decode(s.messages, &ids);
    ASSERT_EQ(back.size(), 2u);
    EXPECT_EQ(back[0], r1);
    EXPECT_EQ(back[1], r2);
    EXPECT_EQ(ids, (std::vector<std::uint16_t>{0, 15, 2, 530, 531, 532, 533, 152, 153}));
}

TEST(Rfc9951, ElementIdsAreASetting) {
    sink s;
    x::session<a::rfc9951_layout, sink> ses(s, {}, a::rfc9951_layout{{600, 601, 602, 603}});
    ses.tick({1000, 1'790'000'000});
    a::path_delay_record r;
    r.flow_id = 9;
    r.packets = 2;
    r.mean_us = 10;
    r.min_us = 9;
    r.max_us = 11;
    r.sum_us = 20;
    ASSERT_TRUE(ses.add(r));
    ses.flush();
    std::vector<std::uint16_t> ids;
    const auto back = decode(s.messages, &ids);
    ASSERT_EQ(back.size(), 1u);
    EXPECT_EQ(back[0], r);
    EXPECT_EQ(ids, (std::vector<std::uint16_t>{0, 15, 2, 600, 601, 602, 603, 152, 153}));
}

TEST(Rfc9951, TemplateSizeAndNoRoom) {
    std::array<std::byte, 128> buf{};
    ioam::byte_writer w(buf);
    ASSERT_TRUE(a::encode_path_delay_template(400, {}, w));
    EXPECT_EQ(w.size(), a::rfc9951_layout::max_template_record_size);
    const std::span<std::byte> part = std::span<std::byte>(buf).first(a::path_delay_record_size - 1);
    ioam::byte_writer small(part);
    EXPECT_FALSE(a::encode_path_delay_record({}, small));
    EXPECT_EQ(small.size(), 0u);  // rewound
    ioam::byte_writer t(buf);
    EXPECT_FALSE(a::encode_path_delay_template(255, {}, t));  // template ids start at 256
}
