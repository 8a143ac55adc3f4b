// Tests include/ioam/ipfix/file.hpp: RFC 5655 files written with our
// message_writer through file_checker (and fwrite, as a program does: the
// codec does no I/O), read back with file_reader / parse_file and
// the template cache, refused input (data before its template, data after a
// withdrawal, bad framing), a reader that always stops on damaged files, and
// libfixbuf's ipfixDump reading our file (the IpfixDump tests, run as their
// own meson test: exit 77 when ipfixDump is not installed).
#include "ioam/ipfix/file.hpp"
#include "ioam/ipfix/iana.hpp"
#include "ioam/ipfix/list.hpp"
#include "ioam/ipfix/message.hpp"
#include "ioam/ipfix/template_cache.hpp"

#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <tuple>
#include <vector>

namespace {
using namespace ioam;
using namespace ioam::ipfix;

using t_flow = data_template<256, ie::sourceIPv4Address, ie::destinationIPv4Address, ie::octetDeltaCount,
                             ie::packetDeltaCount>;
using t_stats = options_template<257, scope<ie::exportingProcessId>, ie::exportedFlowRecordTotalCount>;
using t_mcast = data_template<258, ie::sourceIPv4Address, ie::ingressInterface, ie::basicList>;
using t_hop = data_template<259, ie::ipNextHopIPv4Address, ie::minimumTTL>;
using t_port = data_template<260, ie::sourceTransportPort>;
using t_path = data_template<261, ie::flowId, ie::subTemplateList>;
using t_mixed = data_template<262, ie::flowId, ie::subTemplateMultiList>;

/// Appends messages that file_checker accepts to a FILE*, as the programs'
/// writer (exporters/common/ipfix_file.cpp) does.
class file_writer {
public:
    explicit file_writer(std::FILE* f) : f_(f) {}
    result<void> write(bytes_view m) {
        if (auto r = check_.check(m); !r) return r;
        if (std::fwrite(m.data(), 1, m.size(), f_) != m.size()) return error{errc::no_room, 0};
        bytes_ += m.size();
        return {};
    }
    result<void> flush() {
        if (std::fflush(f_) != 0) return error{errc::no_room, 0};
        return {};
    }
    [[nodiscard]] std::size_t messages() const { return check_.messages(); }
    [[nodiscard]] std::uint64_t bytes_written() const { return bytes_; }
    [[nodiscard]] bool has_template(std::uint32_t odid, std::uint16_t id) const { return check_.has_template(odid, id); }

private:
    std::FILE* f_;
    file_checker check_;
    std::uint64_t bytes_ = 0;
};

ipv4_address v4(int a, int b, int c, int d) { return ipv4_address{make_bytes(a, b, c, d)}; }

/// A file in the temporary directory, removed at the end of the test.
struct temp_file {
    std::string path;
    temp_file() {
        const char* dir = std::getenv("TMPDIR");
        path = std::string(dir && *dir ? dir : "/tmp") + "/ioam-ipfix-file-XXXXXX";
        const int fd = ::mkstemp(path.data());
        if (fd >= 0) ::close(fd);
    }
    ~temp_file() { std::remove(path.c_str()); }
    temp_file(const temp_file&) = delete;
    temp_file& operator=(const temp_file&) = delete;
};

std::vector<std::byte> read_all(const std::string& path) {
    std::vector<std::byte> out;
    if (std::FILE* f = std::fopen(path.c_str(), "rb")) {
        std::array<std::byte, 4096> buf;
        std::size_t n = 0;
        while ((n = std::fread(buf.data(), 1, buf.size(), f)) > 0) out.insert(out.end(), buf.begin(), buf.begin() + n);
        std::fclose(f);
    }
    return out;
}

/// Writes a three-message file: templates and flows for domain 1, more flows,
/// then a domain 2 message with a basicList record. Returns false on any error.
bool write_sample(std::FILE* f, std::uint64_t* records = nullptr) {
    file_writer fw(f);
    std::array<std::byte, 1400> buf{};
    std::uint64_t n = 0;

    message_writer m1(buf, 1, 0, {.capacity = 1400, .over = transport::file});
    if (!m1.add_template<t_flow>() || !m1.add_template<t_stats>()) return false;
    for (std::uint64_t i = 0; i < 3; ++i)
        if (!m1.add_record<t_flow>(std::tuple{v4(192, 0, 2, 1), v4(198, 51, 100, 7), 1000 + i, 10 + i})) return false;
    if (!m1.add_record<t_stats>(std::tuple{std::uint32_t{42}, std::uint64_t{3}})) return false;
    n += m1.data_records();
    if (!fw.write(m1.finish(1700000000))) return false;

    m1.reset();
    for (std::uint64_t i = 3; i < 5; ++i)
        if (!m1.add_record<t_flow>(std::tuple{v4(192, 0, 2, 1), v4(198, 51, 100, 7), 1000 + i, 10 + i})) return false;
    n += m1.data_records();
    if (!fw.write(m1.finish(1700000001))) return false;

    std::array<std::byte, 64> scratch{};
    byte_writer lw(scratch);
    if (!encode_basic_list<ie::egressInterface>(lw, list_semantic::allOf, std::array<std::uint32_t, 3>{1, 4, 8}))
        return false;
    message_writer m2(buf, 2, 0, {.capacity = 1400, .over = transport::file});
    if (!m2.add_template<t_mcast>()) return false;
    if (!m2.add_record<t_mcast>(std::tuple{v4(192, 0, 2, 201), std::uint32_t{9}, octet_array_view{lw.written()}}))
        return false;
    // RFC 6313 sub-template lists too: a path of hops, and a hop plus a port.
    if (!m2.add_template<t_hop>() || !m2.add_template<t_port>() || !m2.add_template<t_path>() ||
        !m2.add_template<t_mixed>())
        return false;
    byte_writer sw(scratch);
    const std::array<t_hop::values, 2> hops{t_hop::values{v4(203, 0, 113, 1), 61}, t_hop::values{v4(203, 0, 113, 2), 60}};
    if (!encode_sub_template_list<t_hop>(sw, list_semantic::ordered, hops)) return false;
    if (!m2.add_record<t_path>(std::tuple{std::uint64_t{4242}, octet_array_view{sw.written()}})) return false;
    byte_writer mw(scratch);
    sub_template_multi_list_writer ml(mw, list_semantic::allOf);
    ml.add<t_hop>(hops[0]).add<t_port>(std::tuple{std::uint16_t{4739}});
    if (!ml.finish()) return false;
    if (!m2.add_record<t_mixed>(std::tuple{std::uint64_t{4343}, octet_array_view{mw.written()}})) return false;
    n += m2.data_records();
    if (!fw.write(m2.finish(1700000002))) return false;
    if (!fw.flush()) return false;
    if (fw.messages() != 3) return false;
    if (records) *records = n;
    return true;
}

TEST(IpfixFile, WriteThenReadBack) {
    temp_file tf;
    std::FILE* f = std::fopen(tf.path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    std::uint64_t written = 0;
    ASSERT_TRUE(write_sample(f, &written));
    std::fclose(f);
    EXPECT_EQ(written, 9U);

    const auto bytes = read_all(tf.path);
    ASSERT_FALSE(bytes.empty());

    // Incremental reader.
    file_reader rd(bytes);
    message_view m;
    std::vector<std::uint32_t> times;
    while (rd.next(m)) times.push_back(m.export_time());
    EXPECT_TRUE(rd.status());
    EXPECT_TRUE(rd.done());
    EXPECT_EQ(rd.offset(), bytes.size());
    EXPECT_EQ(times, (std::vector<std::uint32_t>{1700000000, 1700000001, 1700000002}));

    // Whole-file check, then a collector over the messages.
    auto file = parse_file(bytes);
    ASSERT_TRUE(file);
    EXPECT_EQ(file->size(), 3U);
    template_cache cache{ie_registry{iana_registry}};
    std::uint64_t records = 0, octets = 0;
    std::vector<std::uint32_t> egress;
    std::uint64_t gaps = 0;
    for (const message_view msg : *file) {
        auto sum = cache.process(0, msg, msg.export_time(), [&](const dynamic_record& r) {
            ++records;
            std::uint64_t o = 0;
            if (r.get<ie::octetDeltaCount>(o)) octets += o;
            octet_array_view list;
            if (r.get<ie::basicList>(list)) {
                auto l = decode_basic_list(list);
                ASSERT_TRUE(l);
                auto v = l->as<ie::egressInterface>();
                ASSERT_TRUE(v);
                egress.assign(v->begin(), v->end());
            }
        });
        EXPECT_EQ(sum.first_error.code, errc::ok);
        gaps += sum.sequence_gap;
    }
    EXPECT_EQ(records, written);
    EXPECT_EQ(octets, 1000U + 1001 + 1002 + 1003 + 1004);
    EXPECT_EQ(egress, (std::vector<std::uint32_t>{1, 4, 8}));
    EXPECT_EQ(gaps, 0U) << "sequence numbers continue across the messages of a domain";
}

TEST(IpfixFileWriter, RefusesDataBeforeItsTemplateAndWritesNothing) {
    temp_file tf;
    std::FILE* f = std::fopen(tf.path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    file_writer fw(f);
    std::array<std::byte, 512> buf{};

    message_writer w(buf, 5, 0, {.over = transport::file});
    ASSERT_TRUE(w.add_record<t_flow>(std::tuple{v4(1, 1, 1, 1), v4(2, 2, 2, 2), std::uint64_t{1}, std::uint64_t{1}}));
    auto r = fw.write(w.finish(0));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.code(), errc::unknown_template);
    EXPECT_EQ(r.offset(), message_header_size) << "the offset of the data set";
    EXPECT_EQ(fw.messages(), 0U);

    // Data set first, template later in the same message: still refused.
    message_writer w2(buf, 5, 0, {.over = transport::file});
    ASSERT_TRUE(w2.add_record<t_flow>(std::tuple{v4(1, 1, 1, 1), v4(2, 2, 2, 2), std::uint64_t{1}, std::uint64_t{1}}));
    ASSERT_TRUE(w2.add_template<t_flow>());
    auto r2 = fw.write(w2.finish(0));
    ASSERT_FALSE(r2);
    EXPECT_EQ(r2.code(), errc::unknown_template);
    EXPECT_FALSE(fw.has_template(5, t_flow::id)) << "a refused message changes nothing";

    // Template, then data in the same message: accepted. Another domain does
    // not see the template (templates are scoped by observation domain).
    message_writer w3(buf, 5, 0, {.over = transport::file});
    ASSERT_TRUE(w3.add_template<t_flow>());
    ASSERT_TRUE(w3.add_record<t_flow>(std::tuple{v4(1, 1, 1, 1), v4(2, 2, 2, 2), std::uint64_t{1}, std::uint64_t{1}}));
    ASSERT_TRUE(fw.write(w3.finish(0)));
    EXPECT_TRUE(fw.has_template(5, t_flow::id));
    EXPECT_FALSE(fw.has_template(6, t_flow::id));
    message_writer w4(buf, 6, 0, {.over = transport::file});
    ASSERT_TRUE(w4.add_record<t_flow>(std::tuple{v4(1, 1, 1, 1), v4(2, 2, 2, 2), std::uint64_t{1}, std::uint64_t{1}}));
    EXPECT_EQ(fw.write(w4.finish(0)).code(), errc::unknown_template);
    std::fclose(f);

    const auto bytes = read_all(tf.path);
    auto file = parse_file(bytes);
    ASSERT_TRUE(file);
    EXPECT_EQ(file->size(), 1U) << "only the accepted message is in the file";
}

TEST(IpfixFileWriter, DataAfterWithdrawalIsRefusedUntilRedefined) {
    std::FILE* f = std::tmpfile();
    ASSERT_NE(f, nullptr);
    file_writer fw(f);
    std::array<std::byte, 512> buf{};
    const auto rec = std::tuple{v4(1, 1, 1, 1), v4(2, 2, 2, 2), std::uint64_t{1}, std::uint64_t{1}};

    message_writer w(buf, 1, 0, {.over = transport::file});
    ASSERT_TRUE(w.add_template<t_flow>());
    ASSERT_TRUE(w.add_template<t_stats>());
    ASSERT_TRUE(fw.write(w.finish(0)));

    w.reset();
    ASSERT_TRUE(w.withdraw<t_flow>());
    ASSERT_TRUE(fw.write(w.finish(0)));
    EXPECT_FALSE(fw.has_template(1, t_flow::id));
    EXPECT_TRUE(fw.has_template(1, t_stats::id));

    w.reset();
    ASSERT_TRUE(w.add_record<t_flow>(rec));
    auto r = fw.write(w.finish(0));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.code(), errc::template_withdrawn);

    w.reset();
    ASSERT_TRUE(w.add_template<t_flow>());
    ASSERT_TRUE(w.add_record<t_flow>(rec));
    EXPECT_TRUE(fw.write(w.finish(0)));

    // Withdrawing all options templates (id 3) leaves data templates alone.
    w.reset();
    ASSERT_TRUE(w.withdraw_all(true));
    ASSERT_TRUE(fw.write(w.finish(0)));
    EXPECT_FALSE(fw.has_template(1, t_stats::id));
    EXPECT_TRUE(fw.has_template(1, t_flow::id));
    EXPECT_EQ(fw.messages(), 4U);
    std::fclose(f);
}

TEST(IpfixFileWriter, RefusesMalformedMessages) {
    std::FILE* f = std::tmpfile();
    ASSERT_NE(f, nullptr);
    file_writer fw(f);
    // Version 9.
    auto v9 = make_bytes(0, 9, 0, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1);
    EXPECT_EQ(fw.write(v9).code(), errc::bad_version);
    // Header length larger than the buffer.
    auto longer = make_bytes(0, 10, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1);
    EXPECT_EQ(fw.write(longer).code(), errc::length_past_end);
    // Two messages in one call: one message per write.
    auto two = make_bytes(0, 10, 0, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,  //
                          0, 10, 0, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1);
    EXPECT_EQ(fw.write(two).code(), errc::length_past_end);
    // A set length below 4.
    auto bad_set = make_bytes(0, 10, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 2);
    EXPECT_EQ(fw.write(bad_set).code(), errc::length_too_small);
    EXPECT_EQ(fw.messages(), 0U);
    EXPECT_EQ(fw.bytes_written(), 0U);
    EXPECT_EQ(std::ftell(f), 0L);
    std::fclose(f);
}

// ---- the reader on damaged files: an error and an offset, never a hang --------------

std::vector<std::byte> sample_bytes() {
    std::FILE* f = std::tmpfile();
    if (!f || !write_sample(f)) return {};
    std::vector<std::byte> out(static_cast<std::size_t>(std::ftell(f)));
    std::rewind(f);
    if (std::fread(out.data(), 1, out.size(), f) != out.size()) out.clear();
    std::fclose(f);
    return out;
}

TEST(IpfixFileReader, StopsAtATruncatedLastMessage) {
    auto bytes = sample_bytes();
    ASSERT_FALSE(bytes.empty());
    auto whole = parse_file(bytes);
    ASSERT_TRUE(whole);
    std::vector<std::size_t> starts;
    for (auto it = whole->begin(); it != whole->end(); ++it) starts.push_back(static_cast<std::size_t>((*it).bytes().data() - bytes.data()));
    ASSERT_EQ(starts.size(), 3U);

    bytes.resize(bytes.size() - 5);  // cut into the last message
    file_reader rd(bytes);
    message_view m;
    std::size_t n = 0;
    while (rd.next(m)) ++n;
    EXPECT_EQ(n, 2U) << "the messages before the damage are delivered";
    ASSERT_FALSE(rd.status());
    EXPECT_EQ(rd.status().code(), errc::length_past_end);
    EXPECT_EQ(rd.status().offset(), starts[2] + 2) << "the length field of the third message";
    EXPECT_FALSE(rd.next(m)) << "a stopped reader stays stopped";
    auto p = parse_file(bytes);
    ASSERT_FALSE(p);
    EXPECT_EQ(p.offset(), starts[2] + 2);

    // Fewer octets than a header.
    bytes.resize(starts[2] + 7);
    file_reader rd2(bytes);
    while (rd2.next(m)) {
    }
    EXPECT_EQ(rd2.status().code(), errc::truncated);
    EXPECT_EQ(rd2.status().offset(), starts[2]);
}

TEST(IpfixFileReader, StopsAtGarbageBetweenMessages) {
    auto bytes = sample_bytes();
    ASSERT_FALSE(bytes.empty());
    const std::size_t second = load_be16(bytes.data() + 2);
    // A message length of 0 would make a naive reader spin in place.
    store_be16(bytes.data() + second + 2, 0);
    file_reader rd(bytes);
    message_view m;
    std::size_t n = 0;
    while (rd.next(m)) ++n;
    EXPECT_EQ(n, 1U);
    EXPECT_EQ(rd.status().code(), errc::length_too_small);
    EXPECT_EQ(rd.status().offset(), second + 2);

    store_be16(bytes.data() + second, 9);  // NetFlow v9 in an IPFIX file
    auto p = parse_file(bytes);
    ASSERT_FALSE(p);
    EXPECT_EQ(p.code(), errc::bad_version);
    EXPECT_EQ(p.offset(), second);
}

TEST(IpfixFileReader, MutatedFilesAlwaysEnd) {
    const auto good = sample_bytes();
    ASSERT_FALSE(good.empty());
    std::mt19937 rng(5655);
    for (int i = 0; i < 3000; ++i) {
        auto b = good;
        for (int k = 0; k < 3; ++k) b[rng() % b.size()] = static_cast<std::byte>(rng());
        if (rng() % 3 == 0) b.resize(rng() % (b.size() + 1));
        file_reader rd(b);
        message_view m;
        std::size_t steps = 0, last = 0;
        while (rd.next(m)) {
            ASSERT_GT(rd.offset(), last) << "every step advances";
            last = rd.offset();
            ASSERT_LE(++steps, b.size() / message_header_size);
            for (const set_view s : m.sets()) ASSERT_LE(s.body().data() + s.body().size(), b.data() + b.size());
        }
        ASSERT_TRUE(rd.done());
        EXPECT_EQ(static_cast<bool>(parse_file(b)), static_cast<bool>(rd.status()));
    }
}

// ---- libfixbuf's ipfixDump reads our file ------------------------------------------------

/// Runs a shell command, returns its exit status and standard output.
std::pair<int, std::string> run(const std::string& cmd) {
    std::string out;
    std::FILE* p = ::popen(cmd.c_str(), "r");
    if (!p) return {-1, out};
    std::array<char, 4096> buf;
    std::size_t n = 0;
    while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
    const int st = ::pclose(p);
    return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, out};
}

void require_ipfixdump() {
    if (run("command -v ipfixDump >/dev/null 2>&1").first != 0) {
        std::fprintf(stderr, "SKIP: ipfixDump not installed (Debian: libfixbuf-tools)\n");
        std::exit(77);
    }
}

TEST(IpfixDump, ReadsOurFileWithoutError) {
    require_ipfixdump();
    temp_file tf;
    std::FILE* f = std::fopen(tf.path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    ASSERT_TRUE(write_sample(f));
    std::fclose(f);

    const auto [rc, out] = run("timeout 10 ipfixDump --in '" + tf.path + "' 2>&1");
    ASSERT_EQ(rc, 0) << out;
    if (std::getenv("IOAM_SHOW_DUMP")) std::fprintf(stderr, "%s", out.c_str());
    // Values of our records, as ipfixDump prints them.
    EXPECT_NE(out.find("1004"), std::string::npos) << out;           // last octetDeltaCount
    EXPECT_NE(out.find("198.51.100.7"), std::string::npos) << out;   // destinationIPv4Address
    EXPECT_NE(out.find("192.0.2.201"), std::string::npos) << out;    // the basicList record
    // ipfixDump decodes the lists themselves.
    EXPECT_NE(out.find("semantic: 3-allOf"), std::string::npos) << out;
    EXPECT_NE(out.find("(14) egressInterface"), std::string::npos) << out;
    EXPECT_NE(out.find("203.0.113.2"), std::string::npos) << out;  // second hop of the subTemplateList
    EXPECT_NE(out.find("4739"), std::string::npos) << out;         // the port in the subTemplateMultiList
    EXPECT_EQ(out.find("rror"), std::string::npos) << out;

    const auto [rc2, stats] = run("timeout 10 ipfixDump --stats --in '" + tf.path + "' 2>&1");
    ASSERT_EQ(rc2, 0) << stats;
    EXPECT_NE(stats.find("3 Messages, 9 Data Records, 7 Template Records"), std::string::npos) << stats;
}

}  // namespace
