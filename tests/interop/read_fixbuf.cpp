// The reverse direction: messages written by libfixbuf (fixbuf_export.c)
// read by our decoder, once through the run-time template cache and once
// through a compile-time template, to the values libfixbuf was given.
// run_reverse.py writes the files and passes their paths in the environment.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "ioam/ipfix/dynamic_template.hpp"
#include "ioam/ipfix/iana.hpp"
#include "ioam/ipfix/message.hpp"
#include "ioam/ipfix/record.hpp"
#include "ioam/ipfix/template_cache.hpp"
#include "expected.hpp"
#include "templates.hpp"

namespace {

using namespace interop;
using ioam::errc;
using ioam::ipfix::data_type;

// The data template of fixbuf_export.c, declared on our side.
using fixbuf_flow = ipfix::data_template<500,
    ie::flowId, ipfix::reduced<ie::octetDeltaCount, 4>, ipfix::reduced<ie::packetDeltaCount, 2>,
    ie::sourceIPv4Address, ipfix::reduced<ie::ingressInterface, 2>, ipfix::varlen<ie::interfaceName>,
    ipfix::reduced<ioamNodeId, 3>, ipfix::reduced<ioamNodeIdWide, 7>, ipfix::varlen<ioamOpaqueStateSnapshot>,
    ie::protocolIdentifier, ie::systemInitTimeMilliseconds>;

struct field_value {
    std::uint32_t pen;
    std::uint16_t id;
    std::string value;
    friend bool operator==(const field_value&, const field_value&) = default;
};
struct record_values {
    std::uint16_t template_id;
    std::vector<field_value> fields;
};
std::ostream& operator<<(std::ostream& o, const field_value& f) {
    return o << "(" << f.pen << "/" << f.id << ") " << f.value;
}

std::string env(const char* name) {
    const char* v = std::getenv(name);
    return v ? v : "";
}

std::vector<std::byte> read_file(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::vector<char> c{std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
    std::vector<std::byte> b(c.size());
    for (std::size_t i = 0; i < c.size(); ++i) b[i] = static_cast<std::byte>(c[i]);
    return b;
}

// "R tid" then "F pen id value" lines (fixbuf_export.c).
std::vector<record_values> read_expected(const std::string& path) {
    std::ifstream f(path);
    std::vector<record_values> out;
    std::string line;
    while (std::getline(f, line)) {
        std::istringstream in(line);
        std::string tag;
        in >> tag;
        if (tag == "R") {
            unsigned tid = 0;
            in >> tid;
            out.push_back({static_cast<std::uint16_t>(tid), {}});
        } else if (tag == "F" && !out.empty()) {
            unsigned long pen = 0;
            unsigned id = 0;
            in >> pen >> id;
            std::string value;
            if (in.peek() == ' ') in.get();
            std::getline(in, value);
            out.back().fields.push_back({static_cast<std::uint32_t>(pen), static_cast<std::uint16_t>(id), value});
        }
    }
    return out;
}

std::string canonical_field(const ipfix::field_view& f) {
    std::uint64_t u = 0;
    if (f.to_u64(u)) return std::to_string(u);
    switch (f.type()) {
    case data_type::ipv4Address: return canonical(f.as<data_type::ipv4Address>());
    case data_type::string: return std::string(f.as<data_type::string>());
    case data_type::dateTimeMilliseconds: return canonical(f.as<data_type::dateTimeMilliseconds>());
    default: return hex(f.bytes);
    }
}

class FixbufFile : public ::testing::Test {
protected:
    void SetUp() override {
        const std::string file = env("INTEROP_FIXBUF_FILE");
        if (file.empty()) GTEST_SKIP() << "run through run_reverse.py (meson test --suite interop)";
        bytes = read_file(file);
        expected = read_expected(env("INTEROP_FIXBUF_EXPECTED"));
        ASSERT_FALSE(bytes.empty());
        ASSERT_GE(expected.size(), 30u) << "the libfixbuf exporter wrote too few records";
    }
    /// Calls fn(message_view) for each message of the file (RFC 5655: a file is messages back to back).
    template <class Fn>
    void for_each_message(Fn fn) {
        std::size_t pos = 0, n = 0;
        while (pos < bytes.size()) {
            auto m = ipfix::parse_message(ioam::bytes_view(bytes).subspan(pos), pos);
            ASSERT_TRUE(m) << "message " << n << ": " << m.error_code().message() << " at " << m.offset();
            fn(*m);
            pos += m->bytes().size();
            ++n;
        }
        EXPECT_GE(n, 3u) << "expected several messages";
    }
    std::vector<std::byte> bytes;
    std::vector<record_values> expected;
};

TEST_F(FixbufFile, RunTimeTemplateCacheReadsEveryValue) {
    ipfix::ie_registry reg(ipfix::iana_registry);
    reg.add(ioam_registry);
    ipfix::template_cache cache(std::move(reg));
    std::vector<record_values> got;
    for_each_message([&](const ipfix::message_view& m) {
        EXPECT_EQ(m.observation_domain(), 9u);
        const auto sum = cache.process(1, m, m.export_time(), [&](const ipfix::dynamic_record& r) {
            record_values v{r.templ().id(), {}};
            r.for_each_field([&](const ipfix::field_view& f) {
                EXPECT_TRUE(f.info) << "element " << f.spec->enterprise << "/" << f.spec->id << " unknown";
                v.fields.push_back({f.spec->enterprise, f.spec->id, canonical_field(f)});
            });
            got.push_back(std::move(v));
        });
        EXPECT_FALSE(sum.sequence_gap) << "libfixbuf's sequence number " << m.sequence() << ", expected "
                                       << sum.expected_sequence;
        EXPECT_EQ(sum.first_error.code, errc::ok) << "at " << sum.first_error.offset;
        EXPECT_EQ(sum.skipped_sets, 0u);
    });
    EXPECT_EQ(cache.sequence_gaps(), 0u);
    ASSERT_EQ(got.size(), expected.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
        EXPECT_EQ(got[i].template_id, expected[i].template_id) << "record " << i;
        EXPECT_EQ(got[i].fields, expected[i].fields) << "record " << i;
    }
}

TEST_F(FixbufFile, CompileTimeTemplateReadsEveryValue) {
    std::vector<record_values> want;
    for (const auto& r : expected)
        if (r.template_id == fixbuf_flow::id) want.push_back(r);
    std::size_t n = 0;
    for_each_message([&](const ipfix::message_view& m) {
        for (const ipfix::set_view s : m.sets()) {
            if (s.id() != fixbuf_flow::id) continue;
            auto set = ipfix::parse_data_set<fixbuf_flow>(s);
            ASSERT_TRUE(set) << set.error_code().message() << " at " << set.offset();
            for (const auto rec : *set) {
                ASSERT_LT(n, want.size());
                const auto& w = want[n].fields;
                ASSERT_EQ(w.size(), fixbuf_flow::field_count);
                const auto check = [&]<std::size_t I>(std::integral_constant<std::size_t, I>) {
                    const field_value v{fixbuf_flow::fields[I].enterprise, fixbuf_flow::fields[I].id,
                                        canonical(ipfix::get<I>(rec))};
                    EXPECT_EQ(v, w[I]) << "record " << n << " field " << I;
                };
                [&]<std::size_t... I>(std::index_sequence<I...>) {
                    (check(std::integral_constant<std::size_t, I>{}), ...);
                }(std::make_index_sequence<fixbuf_flow::field_count>{});
                // And by IE, the way applications read them.
                EXPECT_EQ(std::to_string(ipfix::get<ioamNodeIdWide>(rec)), w[7].value);
                EXPECT_EQ(std::string(ipfix::get<ie::interfaceName>(rec)), w[5].value);
                ++n;
            }
        }
    });
    EXPECT_EQ(n, want.size());
}

}  // namespace
