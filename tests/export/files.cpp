// Tests exporters/common/ipfix_file.{hpp,cpp}: the RFC 5655 file writer the
// exporter's --file uses (ioam::ipfix::file_checker plus the FILE*) and the
// streaming reader (one message buffered at a time) the collector can use:
// messages written are read back unchanged, a data set without its template
// is refused, and a truncated or corrupt file stops the reader with the
// error and its offset.
#include "ipfix_file.hpp"

#include "ioam/ipfix/message.hpp"
#include "ioam/ipfix/template.hpp"
#include "ioam/ipfix/iana.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <tuple>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace ipfix = ioam::ipfix;
using ioam_tools::ipfix_file_reader;
using ioam_tools::ipfix_file_writer;

namespace {

using flow = ipfix::data_template<300, ipfix::ie::octetDeltaCount, ipfix::ie::packetDeltaCount>;

std::vector<std::vector<std::byte>> make_messages(int n, bool with_template = true) {
    std::vector<std::vector<std::byte>> out;
    std::array<std::byte, 512> buf{};
    ipfix::message_writer w(buf, 7, 0, ipfix::writer_options{512, ipfix::transport::file, 0, {}});
    for (int i = 0; i < n; ++i) {
        if (i == 0 && with_template) {
            EXPECT_TRUE(w.add_template<flow>());
        }
        for (int k = 0; k <= i; ++k) {
            EXPECT_TRUE(w.add_record<flow>(std::tuple{std::uint64_t(100 * i + k), std::uint64_t(k)}));
        }
        auto m = w.finish(1700000000);
        out.emplace_back(m.begin(), m.end());
        w.reset();
    }
    return out;
}

std::string temp_path(const char* name) {
    return (std::filesystem::temp_directory_path() / (std::string("ss-") + std::to_string(getpid()) + name)).string();
}

}  // namespace

TEST(IpfixFile, WrittenMessagesReadBackOneAtATime) {
    const auto path = temp_path("-a.ipfix");
    const auto msgs = make_messages(5);
    {
        ipfix_file_writer w;
        ASSERT_TRUE(w.open(path));
        for (const auto& m : msgs) ASSERT_TRUE(w.write(m));
        EXPECT_EQ(w.messages(), 5U);
        EXPECT_TRUE(w.close());
        EXPECT_EQ(w.errors(), 0U);
    }
    ipfix_file_reader r;
    ASSERT_TRUE(r.open(path));
    ipfix::message_view v;
    std::size_t i = 0;
    std::uint64_t offset = 0;
    while (r.next(v)) {
        ASSERT_LT(i, msgs.size());
        EXPECT_TRUE(std::equal(v.bytes().begin(), v.bytes().end(), msgs[i].begin(), msgs[i].end())) << i;
        offset += msgs[i].size();
        EXPECT_EQ(r.offset(), offset);
        ++i;
    }
    EXPECT_EQ(i, msgs.size());
    EXPECT_TRUE(r.status()) << "a clean end";
    std::filesystem::remove(path);
}

TEST(IpfixFile, DataWithoutItsTemplateIsRefused) {
    const auto path = temp_path("-b.ipfix");
    ipfix_file_writer w;
    ASSERT_TRUE(w.open(path));
    const auto no_template = make_messages(1, false);
    EXPECT_FALSE(w.write(no_template[0]));
    EXPECT_EQ(w.errors(), 1U);
    EXPECT_TRUE(w.close());
    EXPECT_EQ(std::filesystem::file_size(path), 0U) << "nothing written for a refused message";
    std::filesystem::remove(path);
}

TEST(IpfixFile, TruncatedAndCorruptFilesStopWithTheOffset) {
    const auto path = temp_path("-c.ipfix");
    const auto msgs = make_messages(3);
    std::vector<std::byte> all;
    for (const auto& m : msgs) all.insert(all.end(), m.begin(), m.end());
    const auto write = [&](std::size_t size) {
        std::ofstream f(path, std::ios::binary | std::ios::trunc);
        f.write(reinterpret_cast<const char*>(all.data()), static_cast<std::streamsize>(size));
    };
    const std::size_t two = msgs[0].size() + msgs[1].size();
    for (const std::size_t cut : {two + 2, two + 10, all.size() - 1}) {
        SCOPED_TRACE(cut);
        write(cut);
        ipfix_file_reader r;
        ASSERT_TRUE(r.open(path));
        ipfix::message_view v;
        int n = 0;
        while (r.next(v)) ++n;
        EXPECT_EQ(n, 2);
        ASSERT_FALSE(r.status());
        EXPECT_EQ(r.status().code(), ioam::errc::truncated);
        EXPECT_EQ(r.offset(), two) << "the bad message's offset";
    }
    // A corrupt version number in the third message.
    all[two + 1] = std::byte{9};
    write(all.size());
    ipfix_file_reader r;
    ASSERT_TRUE(r.open(path));
    ipfix::message_view v;
    int n = 0;
    while (r.next(v)) ++n;
    EXPECT_EQ(n, 2);
    EXPECT_FALSE(r.status());
    EXPECT_FALSE(r.open("/nonexistent/x.ipfix"));
    std::filesystem::remove(path);
}
