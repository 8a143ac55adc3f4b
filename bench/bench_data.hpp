// What the IPFIX benchmarks encode and decode: the seed eBPF flow template
// (tests/ipfix/flow_templates.cpp) and an IOAM node record of PEN 10383
// enterprise IEs (tests/interop/templates.hpp), the records every contender
// starts from, and the messages every decoder reads. Each contender gets
// the same values; main() checks that their outputs agree before timing.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <random>
#include <stdexcept>
#include <vector>

#include "ioam/core/bytes.hpp"
#include "ioam/ipfix/iana.hpp"
#include "ioam/ipfix/ie.hpp"
#include "ioam/ipfix/message.hpp"
#include "ioam/ipfix/template.hpp"

namespace bench {

namespace ipfix = ioam::ipfix;
namespace ie = ioam::ipfix::ie;

inline constexpr std::uint32_t ioam_pen = 10383;
/// Messages are cut at a typical path MTU (1500 minus IPv4 and UDP headers).
inline constexpr std::size_t message_capacity = 1472;
/// Distinct records cycled through by every benchmark.
inline constexpr std::size_t record_count = 4096;

// The seed exporter's numbering (DESIGN.md), as in tests/interop/templates.hpp.
#define BENCH_IOAM_IE(name_, id_, type_, sem_)                                                            \
    struct name_ {                                                                                        \
        static constexpr ipfix::ie_info info{id_, ioam_pen, ipfix::data_type::type_,                      \
                                             ipfix::data_semantics::sem_,                                  \
                                             ipfix::natural_length(ipfix::data_type::type_), #name_, {}};  \
    }
BENCH_IOAM_IE(ioamNamespaceId, 0, unsigned16, identifier);
BENCH_IOAM_IE(ioamHopLimit, 1, unsigned8, quantity);
BENCH_IOAM_IE(ioamNodeId, 2, unsigned32, identifier);
BENCH_IOAM_IE(ioamIngressIfId, 3, unsigned16, identifier);
BENCH_IOAM_IE(ioamEgressIfId, 4, unsigned16, identifier);
BENCH_IOAM_IE(ioamTimestampSeconds, 5, unsigned32, default_);
BENCH_IOAM_IE(ioamTimestampFraction, 6, unsigned32, default_);
BENCH_IOAM_IE(ioamNamespaceData, 7, unsigned32, default_);
BENCH_IOAM_IE(ioamQueueDepth, 8, unsigned32, quantity);
BENCH_IOAM_IE(ioamNodeIdWide, 9, unsigned64, identifier);
#undef BENCH_IOAM_IE

inline constexpr ipfix::ie_info ioam_registry[] = {
    ioamNamespaceId::info,      ioamHopLimit::info,          ioamNodeId::info,         ioamIngressIfId::info,
    ioamEgressIfId::info,       ioamTimestampSeconds::info,  ioamTimestampFraction::info, ioamNamespaceData::info,
    ioamQueueDepth::info,       ioamNodeIdWide::info,
};

// ---- the flow template: 18 fields, flowId reduced to 4 octets, 56 octets -------
using flow_template =
    ipfix::data_template<256, ie::octetDeltaCount, ie::packetDeltaCount, ie::protocolIdentifier,
                         ie::sourceIPv4Address, ie::destinationIPv4Address, ie::sourceTransportPort,
                         ie::destinationTransportPort, ie::flowDirection, ie::tcpControlBits, ie::ipClassOfService,
                         ie::ingressInterface, ie::egressInterface, ie::minimumTTL, ie::maximumTTL,
                         ie::flowStartSysUpTime, ie::flowEndSysUpTime, ipfix::reduced<ie::flowId, 4>,
                         ie::ipDiffServCodePoint>;
static_assert(flow_template::record_size == 56, "bench: the seed flow record is 56 octets");

/// A flow as the exporter's map holds it; member order is template order.
struct flow {
    std::uint64_t octets;
    std::uint64_t packets;
    std::uint8_t protocol;
    ipfix::ipv4_address src;
    ipfix::ipv4_address dst;
    std::uint16_t sport;
    std::uint16_t dport;
    std::uint8_t direction;
    std::uint16_t tcp_flags;
    std::uint8_t tos;
    std::uint32_t ingress;
    std::uint32_t egress;
    std::uint8_t min_ttl;
    std::uint8_t max_ttl;
    std::uint32_t start;
    std::uint32_t end;
    std::uint32_t flow_id;  // flowId is unsigned64, sent in 4 octets
    std::uint8_t dscp;
};

// ---- the IOAM node record: 10 enterprise fields, 24- and 56-bit, 33 octets ------
using ioam_template =
    ipfix::data_template<300, ioamNamespaceId, ioamHopLimit, ipfix::reduced<ioamNodeId, 3>, ioamIngressIfId,
                         ioamEgressIfId, ioamTimestampSeconds, ioamTimestampFraction, ioamNamespaceData,
                         ioamQueueDepth, ipfix::reduced<ioamNodeIdWide, 7>>;
static_assert(ioam_template::record_size == 33, "bench: the IOAM node record is 33 octets");

/// One node's data as the exporter holds it after decoding a trace.
struct ioam_node {
    std::uint16_t ns;
    std::uint8_t hop_limit;
    std::uint32_t node_id;  // 24 bits
    std::uint16_t ingress;
    std::uint16_t egress;
    std::uint32_t ts_sec;
    std::uint32_t ts_frac;
    std::uint32_t ns_data;
    std::uint32_t queue_depth;
    std::uint64_t node_id_wide;  // 56 bits
};

inline std::vector<flow> make_flows() {
    std::mt19937_64 rng(0x5eed);
    auto u = [&](std::uint64_t max) { return std::uniform_int_distribution<std::uint64_t>(0, max)(rng); };
    auto ip = [&] {
        ipfix::ipv4_address a;
        for (auto& b : a.bytes) b = static_cast<std::byte>(u(255));
        return a;
    };
    std::vector<flow> v;
    for (std::size_t i = 0; i < record_count; ++i)
        v.push_back(flow{u(~0ULL >> 20), u(~0ULL >> 30), 6, ip(), ip(), static_cast<std::uint16_t>(u(65535)),
                         static_cast<std::uint16_t>(u(65535)), static_cast<std::uint8_t>(u(1)),
                         static_cast<std::uint16_t>(u(0x1ff)), static_cast<std::uint8_t>(u(255)),
                         static_cast<std::uint32_t>(u(~0U)), static_cast<std::uint32_t>(u(~0U)),
                         static_cast<std::uint8_t>(u(255)), static_cast<std::uint8_t>(u(255)),
                         static_cast<std::uint32_t>(u(~0U)), static_cast<std::uint32_t>(u(~0U)),
                         static_cast<std::uint32_t>(u(~0U)), static_cast<std::uint8_t>(u(63))});
    return v;
}

inline std::vector<ioam_node> make_nodes() {
    std::mt19937_64 rng(0x10a3);
    auto u = [&](std::uint64_t max) { return std::uniform_int_distribution<std::uint64_t>(0, max)(rng); };
    std::vector<ioam_node> v;
    for (std::size_t i = 0; i < record_count; ++i)
        v.push_back(ioam_node{static_cast<std::uint16_t>(u(65535)), static_cast<std::uint8_t>(u(255)),
                              static_cast<std::uint32_t>(u(0xffffff)), static_cast<std::uint16_t>(u(65535)),
                              static_cast<std::uint16_t>(u(65535)), static_cast<std::uint32_t>(u(~0U)),
                              static_cast<std::uint32_t>(u(~0U)), static_cast<std::uint32_t>(u(~0U)),
                              static_cast<std::uint32_t>(u(~0U)), u(0xffffffffffffffULL)});
    return v;
}

// ---- the hand-written baseline: memcpy and byte swaps, nothing else ------------
namespace baseline {
inline void put8(std::byte*& p, std::uint8_t v) { *p++ = static_cast<std::byte>(v); }
inline void put16(std::byte*& p, std::uint16_t v) {
    v = __builtin_bswap16(v);
    std::memcpy(p, &v, 2);
    p += 2;
}
inline void put32(std::byte*& p, std::uint32_t v) {
    v = __builtin_bswap32(v);
    std::memcpy(p, &v, 4);
    p += 4;
}
inline void put64(std::byte*& p, std::uint64_t v) {
    v = __builtin_bswap64(v);
    std::memcpy(p, &v, 8);
    p += 8;
}
inline void put24(std::byte*& p, std::uint32_t v) {  // low 3 octets, big-endian
    v = __builtin_bswap32(v << 8);
    std::memcpy(p, &v, 3);
    p += 3;
}
inline void put56(std::byte*& p, std::uint64_t v) {
    v = __builtin_bswap64(v << 8);
    std::memcpy(p, &v, 7);
    p += 7;
}
inline void put_addr(std::byte*& p, const ipfix::ipv4_address& a) {
    std::memcpy(p, a.bytes.data(), 4);
    p += 4;
}
/// Message header and one data set header (RFC 7011 3.1, 3.3.2).
inline void put_header(std::byte* m, std::uint16_t len, std::uint32_t time, std::uint32_t seq, std::uint32_t odid,
                       std::uint16_t set_id) {
    std::byte* p = m;
    put16(p, 10);
    put16(p, len);
    put32(p, time);
    put32(p, seq);
    put32(p, odid);
    put16(p, set_id);
    put16(p, static_cast<std::uint16_t>(len - 16));
}
inline std::byte* put(std::byte* p, const flow& f) {
    put64(p, f.octets);
    put64(p, f.packets);
    put8(p, f.protocol);
    put_addr(p, f.src);
    put_addr(p, f.dst);
    put16(p, f.sport);
    put16(p, f.dport);
    put8(p, f.direction);
    put16(p, f.tcp_flags);
    put8(p, f.tos);
    put32(p, f.ingress);
    put32(p, f.egress);
    put8(p, f.min_ttl);
    put8(p, f.max_ttl);
    put32(p, f.start);
    put32(p, f.end);
    put32(p, f.flow_id);
    put8(p, f.dscp);
    return p;
}
inline std::byte* put(std::byte* p, const ioam_node& n) {
    put16(p, n.ns);
    put8(p, n.hop_limit);
    put24(p, n.node_id);
    put16(p, n.ingress);
    put16(p, n.egress);
    put32(p, n.ts_sec);
    put32(p, n.ts_frac);
    put32(p, n.ns_data);
    put32(p, n.queue_depth);
    put56(p, n.node_id_wide);
    return p;
}

template <class T>
[[nodiscard]] inline T load(const std::byte* p) {
    T v;
    std::memcpy(&v, p, sizeof v);
    return v;
}
/// Sum of every field of a flow record, each read as a host-order integer
/// (addresses as their 32-bit value): the checksum all decoders compute.
inline std::uint64_t sum_flow(const std::byte* p) {
    return __builtin_bswap64(load<std::uint64_t>(p)) + __builtin_bswap64(load<std::uint64_t>(p + 8)) +
           std::uint64_t{load<std::uint8_t>(p + 16)} + __builtin_bswap32(load<std::uint32_t>(p + 17)) +
           __builtin_bswap32(load<std::uint32_t>(p + 21)) + __builtin_bswap16(load<std::uint16_t>(p + 25)) +
           __builtin_bswap16(load<std::uint16_t>(p + 27)) + std::uint64_t{load<std::uint8_t>(p + 29)} +
           __builtin_bswap16(load<std::uint16_t>(p + 30)) + std::uint64_t{load<std::uint8_t>(p + 32)} +
           __builtin_bswap32(load<std::uint32_t>(p + 33)) + __builtin_bswap32(load<std::uint32_t>(p + 37)) +
           std::uint64_t{load<std::uint8_t>(p + 41)} + std::uint64_t{load<std::uint8_t>(p + 42)} +
           __builtin_bswap32(load<std::uint32_t>(p + 43)) + __builtin_bswap32(load<std::uint32_t>(p + 47)) +
           __builtin_bswap32(load<std::uint32_t>(p + 51)) + std::uint64_t{load<std::uint8_t>(p + 55)};
}
inline std::uint64_t sum_ioam(const std::byte* p) {
    return __builtin_bswap16(load<std::uint16_t>(p)) + std::uint64_t{load<std::uint8_t>(p + 2)} +
           (__builtin_bswap32(load<std::uint32_t>(p + 2)) & 0xffffffU) + __builtin_bswap16(load<std::uint16_t>(p + 6)) +
           __builtin_bswap16(load<std::uint16_t>(p + 8)) + __builtin_bswap32(load<std::uint32_t>(p + 10)) +
           __builtin_bswap32(load<std::uint32_t>(p + 14)) + __builtin_bswap32(load<std::uint32_t>(p + 18)) +
           __builtin_bswap32(load<std::uint32_t>(p + 22)) +
           (__builtin_bswap64(load<std::uint64_t>(p + 25)) & 0xffffffffffffffULL);
}
}  // namespace baseline

/// The checksum of one record's values (as baseline::sum_* computes it from bytes).
inline std::uint64_t sum_values(const flow& f) {
    auto a = [](const ipfix::ipv4_address& x) { return std::uint64_t{ioam::load_be32(x.bytes.data())}; };
    return f.octets + f.packets + f.protocol + a(f.src) + a(f.dst) + f.sport + f.dport + f.direction + f.tcp_flags +
           f.tos + f.ingress + f.egress + f.min_ttl + f.max_ttl + f.start + f.end + f.flow_id + f.dscp;
}
inline std::uint64_t sum_values(const ioam_node& n) {
    return std::uint64_t{n.ns} + n.hop_limit + n.node_id + n.ingress + n.egress + n.ts_sec + n.ts_frac + n.ns_data +
           n.queue_depth + n.node_id_wide;
}

/// The IPFIX stream every decoder reads, written by our encoder: message 0
/// holds the template only; the others hold data records, cut at
/// message_capacity. Sequence numbers count data records (RFC 7011 3.1).
template <class T, class Rec>
std::vector<std::vector<std::byte>> make_stream(const std::vector<Rec>& recs) {
    std::vector<std::vector<std::byte>> out;
    std::array<std::byte, message_capacity> buf{};
    ipfix::message_writer w(buf, 1, 0);
    if (!w.add_template<T>()) throw std::runtime_error("bench: template does not fit");
    auto m = w.finish(1700000000);
    out.emplace_back(m.begin(), m.end());
    w.reset();
    for (const Rec& r : recs) {
        if (!w.add_record<T>(r)) {
            m = w.finish(1700000000);
            out.emplace_back(m.begin(), m.end());
            w.reset();
            if (!w.add_record<T>(r)) throw std::runtime_error("bench: record does not fit an empty message");
        }
    }
    m = w.finish(1700000000);
    out.emplace_back(m.begin(), m.end());
    return out;
}

}  // namespace bench
