// Tests include/ioam/ipfix/record.hpp: template records, data records from
// tuples and aggregates, record views and get<Ie>.
#include "ioam/ipfix/record.hpp"
#include "ioam/ipfix/iana.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {
using namespace ioam;
using namespace ioam::ipfix;

using opaque = enterprise<10383, 14, data_type::octetArray>;
using t_mixed = data_template<256, ie::sourceTransportPort, reduced<ie::octetDeltaCount, 3>, ie::interfaceName,
                              opaque, ie::flowId>;

struct mixed {
    std::uint16_t port;
    std::uint64_t octets;
    std::string_view name;
    octet_array_view blob;
    std::uint64_t flow;
};

TEST(Record, TemplateRecordBytes) {
    std::array<std::byte, 64> buf{};
    byte_writer w(buf);
    ASSERT_TRUE(encode_template_record<t_mixed>(w));
    ASSERT_EQ(w.size(), t_mixed::template_record_size);
    const auto expect = make_bytes(0x01, 0x00, 0x00, 0x05,  // id 256, 5 fields
                                   0x00, 0x07, 0x00, 0x02,  // sourceTransportPort, 2
                                   0x00, 0x01, 0x00, 0x03,  // octetDeltaCount reduced to 3
                                   0x00, 0x52, 0xff, 0xff,  // interfaceName, variable
                                   0x80, 0x0e, 0xff, 0xff, 0x00, 0x00, 0x28, 0x8f,  // E bit, 14, PEN 10383
                                   0x00, 0x94, 0x00, 0x08);  // flowId
    EXPECT_TRUE(std::equal(expect.begin(), expect.end(), buf.begin()));
}

TEST(Record, AggregateRoundTripBothLengthForms) {
    std::vector<std::byte> blob(300, std::byte{0x5a});
    const mixed in{4739, 0xabcdef, "eth0", blob, 77};
    std::array<std::byte, 512> buf{};
    for (bool long_form : {false, true}) {
        byte_writer w(buf);
        ASSERT_TRUE(encode_record<t_mixed>(w, in, record_options{long_form}));
        EXPECT_EQ(w.size(), 2 + 3 + (long_form ? 3 : 1) + 4 + 3 + 300 + 8);
        auto r = decode_record<t_mixed>(w.written());
        ASSERT_TRUE(r) << r.error_code().message();
        EXPECT_EQ(r->size(), w.size());
        EXPECT_EQ(get<ie::sourceTransportPort>(*r), 4739);
        EXPECT_EQ(get<ie::octetDeltaCount>(*r), 0xabcdefU);
        EXPECT_EQ(get<ie::interfaceName>(*r), "eth0");
        EXPECT_EQ(get<opaque>(*r).size(), 300U);
        EXPECT_EQ(get<ie::flowId>(*r), 77U);
        EXPECT_EQ(get<4>(*r), 77U);
    }
}

TEST(Record, TupleRoundTripAndToValues) {
    using t = data_template<257, ie::protocolIdentifier, ie::sourceIPv4Address, ie::ipDiffServCodePoint>;
    const t::values in{6, ipv4_address{make_bytes(10, 0, 0, 1)}, 46};
    std::array<std::byte, 16> buf{};
    byte_writer w(buf);
    ASSERT_TRUE(encode_record<t>(w, in));
    EXPECT_EQ(w.size(), t::record_size);
    auto r = decode_record<t>(w.written());
    ASSERT_TRUE(r);
    EXPECT_EQ(to_values(*r), in);
}

TEST(Record, ValueTooWideForReducedSizeWritesNothing) {
    std::array<std::byte, 64> buf{};
    byte_writer w(buf);
    const mixed in{1, 0x1000000, "x", {}, 1};
    auto r = encode_record<t_mixed>(w, in);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.code(), errc::value_out_of_range);
    EXPECT_EQ(w.size(), 0U) << "a failed record leaves nothing behind";
}

TEST(Record, NoRoom) {
    std::array<std::byte, 10> buf{};
    byte_writer w(buf);
    const mixed in{1, 2, "a long interface name", {}, 1};
    auto r = encode_record<t_mixed>(w, in);
    EXPECT_EQ(r.code(), errc::no_room);
    EXPECT_EQ(w.size(), 0U);
}

TEST(Record, DecodeBadInput) {
    std::array<std::byte, 64> buf{};
    byte_writer w(buf);
    ASSERT_TRUE(encode_record<t_mixed>(w, mixed{1, 2, "eth0", {}, 3}));
    const auto rec = w.written();
    // Every truncation is an error, never a read past the end.
    for (std::size_t n = 0; n < rec.size(); ++n) {
        auto r = decode_record<t_mixed>(rec.first(n), 100);
        EXPECT_FALSE(r) << n;
        EXPECT_GE(r.offset(), 100U);
    }
    // A variable length pointing past the record.
    std::array<std::byte, 64> bad{};
    std::copy(rec.begin(), rec.end(), bad.begin());
    bad[5] = std::byte{200};
    auto r = decode_record<t_mixed>(bytes_view{bad.data(), rec.size()});
    EXPECT_EQ(r.code(), errc::length_past_end);
    EXPECT_EQ(r.offset(), 5U);
}
}  // namespace

// Integers of 3, 5, 6 and 7 octets are written as one wider store ending
// with the field when the record holds the room before it (record.hpp):
// the bytes must be those of the octet-by-octet encoding, nothing outside
// the record may be touched, and a value too wide still writes nothing.
namespace odd {
using s32 = enterprise<10383, 20, data_type::signed32>;
using s64 = enterprise<10383, 21, data_type::signed64>;
using t = data_template<300, reduced<ie::octetDeltaCount, 3>, ie::protocolIdentifier, reduced<s32, 3>,
                        reduced<ie::packetDeltaCount, 5>, reduced<s64, 6>, reduced<ie::flowId, 7>,
                        ie::ipDiffServCodePoint>;
static_assert(t::record_size == 26);
constexpr t::values values{0xa1b2c3, 6, -2, 0x0102030405, -300000, 0x11223344556677, 46};
// The record octet by octet (offsets 0, 3, 4, 7, 12, 18, 25).
std::array<std::byte, 26> expected() {
    std::array<std::byte, 26> b{};
    store_be_n(b.data(), 0xa1b2c3, 3);
    store_be_n(b.data() + 3, 6, 1);
    store_be_n(b.data() + 4, static_cast<std::uint64_t>(std::int64_t{-2}), 3);
    store_be_n(b.data() + 7, 0x0102030405, 5);
    store_be_n(b.data() + 12, static_cast<std::uint64_t>(std::int64_t{-300000}), 6);
    store_be_n(b.data() + 18, 0x11223344556677, 7);
    store_be_n(b.data() + 25, 46, 1);
    return b;
}
constexpr std::array<std::byte, 26> at_compile_time() {
    std::array<std::byte, 26> b{};
    byte_writer w(b);
    if (!encode_record<t>(w, values)) b[0] = std::byte{0xee};
    return b;
}
}  // namespace odd

TEST(Record, OddWidthIntegersWrittenWithWideStores) {
    const auto expect = odd::expected();
    ASSERT_EQ(expect[4], std::byte{0xff}) << "the reference encodes -2 in 3 octets as ff ff fe";
    // Canaries on both sides of an exact-size writer.
    std::array<std::byte, 40> buf;
    buf.fill(std::byte{0xee});
    byte_writer w(bytes_span(buf).subspan(7, odd::t::record_size));
    ASSERT_TRUE(encode_record<odd::t>(w, odd::values));
    EXPECT_EQ(w.size(), odd::t::record_size);
    EXPECT_TRUE(std::equal(expect.begin(), expect.end(), buf.begin() + 7));
    for (std::size_t i = 0; i < buf.size(); ++i) {
        if (i < 7 || i >= 7 + odd::t::record_size) {
            EXPECT_EQ(buf[i], std::byte{0xee}) << "octet " << i;
        }
    }
    // The constant-expression path writes the same octets.
    constexpr auto ct = odd::at_compile_time();
    EXPECT_TRUE(std::equal(expect.begin(), expect.end(), ct.begin()));
    // The record reads back.
    auto r = decode_record<odd::t>(w.written());
    ASSERT_TRUE(r);
    EXPECT_EQ(to_values(*r), odd::values);
}

TEST(Record, OddWidthValueTooWideWritesNothing) {
    // Each odd-width field in turn out of range: the fields after it (written
    // first, last to first) must not stay behind.
    const auto too_wide = [](std::size_t field) {
        odd::t::values v = odd::values;
        if (field == 2) std::get<2>(v) = 0x800000;
        if (field == 3) std::get<3>(v) = 0x10000000000;
        if (field == 4) std::get<4>(v) = -0x800000000001;
        if (field == 5) std::get<5>(v) = 0x100000000000000;
        return v;
    };
    for (std::size_t field : {2U, 3U, 4U, 5U}) {
        std::array<std::byte, 26> buf{};
        byte_writer w(buf);
        auto r = encode_record<odd::t>(w, too_wide(field));
        ASSERT_FALSE(r) << field;
        EXPECT_EQ(r.code(), errc::value_out_of_range) << field;
        EXPECT_EQ(w.size(), 0U) << field;
        EXPECT_TRUE(w.ok()) << field;
    }
}
