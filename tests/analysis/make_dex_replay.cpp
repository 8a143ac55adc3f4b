// Writes DEX exports of known truth for the collector's correlation test:
// one pcap of IOAM6 DEX events (netlink encoder) per node A, B, C for
// ioam-exporter --replay, and truth.json saying what the collector must find.
//
// Two flows of 500 packets, one every millisecond. Node A (hop limit 64)
// timestamps packet i at T + i ms, B (63) 5 ms later, C (62) 15 ms later
// (links A-B 5 ms, B-C 10 ms). Flow 7 loses 1% of its packets between B
// and C, flow 8 1% between A and B; B exports one packet of flow 7 twice.
//
// With FLOWS (the --spread-by-flow test, run_spread.py): FLOWS flows of 20
// packets each, flow ids 1000 on, without loss or duplicates; and T.pcap,
// the TRACE events (Pre-allocated Trace, the last node's event) of 5
// packets from each of FLOWS first hops (node ids 2000 on) through B to C.
//
//   make_dex_replay OUTDIR [FLOWS]
#include "events.hpp"
#include "pcap.hpp"

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {
namespace t = ioam::trace;

constexpr std::uint16_t ioam_ns = 123;
constexpr std::uint32_t type = 0xb00000;  // bits 0 (hop limit, node id), 2 and 3 (timestamp)
constexpr std::uint64_t base_s = 1'790'000'000;
unsigned packets = 500;
constexpr std::uint32_t node_id[3] = {0xa1, 0xb2, 0xc3};
constexpr std::int64_t offset_us[3] = {0, 5000, 15000};

bool lost_before(unsigned node, std::uint32_t flow, unsigned i) {
    if (flow >= 1000) return false;                      // the spread test's flows
    if (flow == 7) return node == 2 && i % 100 == 37;   // B -> C
    return node >= 1 && i % 100 == 59;                  // flow 8: A -> B
}
}  // namespace

int main(int argc, char** argv) {
    if (argc != 2 && argc != 3) {
        std::fprintf(stderr, "usage: make_dex_replay OUTDIR [FLOWS]\n");
        return 2;
    }
    const std::string dir = argv[1];
    std::vector<std::uint32_t> flows{7, 8};
    if (argc == 3) {
        flows.clear();
        for (unsigned long f = 0, n = std::strtoul(argv[2], nullptr, 10); f < n && f < 100000; ++f)
            flows.push_back(1000 + static_cast<std::uint32_t>(f));
        packets = 20;
    }
    for (unsigned n = 0; n < 3; ++n) {
        const std::string path = dir + "/" + static_cast<char>('A' + n) + ".pcap";
        std::FILE* f = std::fopen(path.c_str(), "wb");
        if (!f) {
            std::perror(path.c_str());
            return 1;
        }
        ioam_tools::pcap::writer w(f);
        if (!w.header()) return 1;
        std::uint32_t seq = 0;
        for (unsigned i = 0; i < packets; ++i)
            for (std::uint32_t flow : flows) {
                if (lost_before(n, flow, i) || (n == 2 && lost_before(1, flow, i))) continue;
                e2e::dex_input in;
                in.namespace_id = ioam_ns;
                in.type = type;
                in.flow_id = flow;
                in.seq_num = i;
                const std::int64_t us = static_cast<std::int64_t>(i) * 1000 + offset_us[n];
                in.node.data.set(t::value_id::hop_limit, 64 - n)
                    .set(t::value_id::node_id, node_id[n])
                    .set(t::value_id::timestamp_seconds, base_s + static_cast<std::uint64_t>(us / 1'000'000))
                    .set(t::value_id::timestamp_fraction, static_cast<std::uint64_t>(us % 1'000'000));
                const auto msg = e2e::dex_message(in, seq);
                const unsigned copies = (n == 1 && flow == 7 && i == 250) ? 2 : 1;  // a duplicate export
                for (unsigned c = 0; c < copies; ++c)
                    if (!w.record(msg, static_cast<std::uint32_t>(base_s), seq++)) return 1;
            }
        if (!w.flush()) return 1;
        std::fclose(f);
    }
    if (argc == 3) {
        const std::string path = dir + "/T.pcap";
        std::FILE* f = std::fopen(path.c_str(), "wb");
        if (!f) return 1;
        ioam_tools::pcap::writer w(f);
        if (!w.header()) return 1;
        std::uint32_t seq = 0;
        for (unsigned i = 0; i < 5; ++i)
            for (std::size_t k = 0; k < flows.size(); ++k) {
                e2e::trace_input in;
                in.namespace_id = ioam_ns;
                in.type = type;
                for (unsigned n = 3; n-- > 0;) {  // most recent (C) first, the first hop last
                    const std::int64_t us = static_cast<std::int64_t>(i) * 1000 + offset_us[n];
                    e2e::node_input node;
                    node.data.set(t::value_id::hop_limit, 64 - n)
                        .set(t::value_id::node_id, n == 0 ? 2000 + static_cast<std::uint32_t>(k) : node_id[n])
                        .set(t::value_id::timestamp_seconds, base_s + static_cast<std::uint64_t>(us / 1'000'000))
                        .set(t::value_id::timestamp_fraction, static_cast<std::uint64_t>(us % 1'000'000));
                    in.nodes.push_back(node);
                }
                if (!w.record(e2e::trace_message(in, seq), static_cast<std::uint32_t>(base_s), seq)) return 1;
                ++seq;
            }
        if (!w.flush()) return 1;
        std::fclose(f);
    }
    const std::string truth = dir + "/truth.json";
    std::FILE* f = std::fopen(truth.c_str(), "w");
    if (!f) return 1;
    std::string list;
    for (auto x : flows) list += (list.empty() ? "" : ",") + std::to_string(x);
    std::fprintf(f, "{\"namespace\":%u,\"packets\":%u,\"flows\":[%s],\"nodes\":[%u,%u,%u],\"delay_us\":[5000,10000],"
                    "\"lost\":{\"7\":{\"from\":%u,\"to\":%u,\"every\":100,\"at\":37},\"8\":{\"from\":%u,\"to\":%u,\"every\":100,\"at\":59}},"
                    "\"duplicates\":1}\n",
                 ioam_ns, packets, list.c_str(), node_id[0], node_id[1], node_id[2], node_id[1], node_id[2], node_id[0], node_id[1]);
    std::fclose(f);
    return 0;
}
