// Flow records of ioam-flow-exporter (docs/flow-exporter.md) in two layouts
// (as record layouts of the export session: flow_layout.hpp):
//
// standard (default): IPv4 and IPv6, every protocol, absolute times.
//   template 300 (IPv4) / 301 (IPv6), one record per flow and interval:
//   +----------------------+--------------------+----------------+-----------------+
//   | flowStartMillis (8)  | flowEndMillis (8)  | octetDelta (8) | packetDelta (8) |
//   +----------------------+--------------------+----------------+-----------------+
//   | ipVersion (1) | protocolIdentifier (1) | source/destination address (4|16 each)|
//   +---------------------------------------------------------------------------------+
//   | srcPort (2) dstPort (2) icmpTypeCodeIPv4|IPv6 (2) tcpControlBits (2)           |
//   | ipClassOfService (1) ipDiffServCodePoint (1) minimumTTL (1) maximumTTL (1)     |
//   | ingressInterface (4) egressInterface (4) flowDirection (1) flowEndReason (1)   |
//   | flowId (8)                                                                     |
//   +---------------------------------------------------------------------------------+
//
// seed (compatible with the L3AF flow exporter, seeds/002): IPv4 TCP and ICMP
//   only; 256 TCP ingress, 257 TCP egress, 258 ICMP ingress, 259 ICMP egress
//   (DESIGN.md); 18 fields, 60 octets; times in flowStart/EndSysUpTime
//   (milliseconds since boot, as the seed). Other flows have no template in
//   this layout and are counted as skipped.
// The template ids here are the documented ones; the session assigns them
// (ioam-flow-exporter makes it assign these, see its flow_session_of).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <tuple>

#include "ioam/ipfix/iana.hpp"
#include "ioam/ipfix/template.hpp"
#include "ioam/ipfix/types.hpp"

namespace ioam::exporting::flow {

namespace ie = ipfix::ie;

/// flowEndReason values (IANA registry "flowEndReason", RFC 5102 5.11.3).
enum class end_reason : std::uint8_t {
    idle_timeout = 1,
    active_timeout = 2,
    end_of_flow = 3,
    forced_end = 4,
    lack_of_resources = 5,
};

/// flowDirection (IANA 61): 0 ingress, 1 egress.
enum class direction : std::uint8_t { ingress = 0, egress = 1 };

/// One flow's values for one record (deltas since the flow's previous record).
struct flow_record {
    std::uint8_t ip_version = 4;
    std::uint8_t protocol = 0;
    direction dir = direction::ingress;
    std::array<std::byte, 16> src{};  ///< IPv4: first 4 octets
    std::array<std::byte, 16> dst{};
    std::uint16_t src_port = 0, dst_port = 0;  ///< 0 for ICMP and portless protocols
    std::uint16_t icmp_type_code = 0;          ///< type * 256 + code
    std::uint64_t octets = 0, packets = 0;
    std::uint16_t tcp_flags = 0;
    std::uint8_t tos = 0;  ///< IPv4 TOS / IPv6 traffic class; DSCP is its upper 6 bits
    std::uint8_t min_ttl = 0, max_ttl = 0;
    std::uint32_t ingress_if = 0, egress_if = 0;
    std::uint64_t start_ms = 0, end_ms = 0;      ///< UNIX milliseconds
    std::uint32_t start_uptime_ms = 0, end_uptime_ms = 0;  ///< milliseconds since boot (seed layout)
    std::uint64_t flow_id = 0;
    end_reason reason = end_reason::active_timeout;
};

enum class layout : std::uint8_t { standard, seed };

inline constexpr std::uint16_t ipv4_template_id = 300;
inline constexpr std::uint16_t ipv6_template_id = 301;

template <std::uint16_t Id, class Src, class Dst, class Icmp>
using standard_template = ipfix::data_template<Id,
    ie::flowStartMilliseconds, ie::flowEndMilliseconds, ie::octetDeltaCount, ie::packetDeltaCount,
    ie::ipVersion, ie::protocolIdentifier, Src, Dst,
    ie::sourceTransportPort, ie::destinationTransportPort, Icmp, ie::tcpControlBits,
    ie::ipClassOfService, ie::ipDiffServCodePoint, ie::minimumTTL, ie::maximumTTL,
    ie::ingressInterface, ie::egressInterface, ie::flowDirection, ie::flowEndReason, ie::flowId>;
using ipv4_template = standard_template<ipv4_template_id, ie::sourceIPv4Address, ie::destinationIPv4Address,
                                        ie::icmpTypeCodeIPv4>;
using ipv6_template = standard_template<ipv6_template_id, ie::sourceIPv6Address, ie::destinationIPv6Address,
                                        ie::icmpTypeCodeIPv6>;

/// The seed's record (DESIGN.md "The flow exporter"): L4 is tcpControlBits or icmpTypeCodeIPv4.
template <std::uint16_t Id, class L4>
using seed_template = ipfix::data_template<Id,
    ie::octetDeltaCount, ie::packetDeltaCount, ie::protocolIdentifier,
    ie::sourceIPv4Address, ie::destinationIPv4Address, ie::sourceTransportPort, ie::destinationTransportPort,
    ie::flowDirection, L4, ie::ipClassOfService, ie::ingressInterface, ie::egressInterface,
    ie::minimumTTL, ie::maximumTTL, ie::flowStartSysUpTime, ie::flowEndSysUpTime, ie::flowId,
    ie::ipDiffServCodePoint>;
using seed_tcp_ingress = seed_template<256, ie::tcpControlBits>;
using seed_tcp_egress = seed_template<257, ie::tcpControlBits>;
using seed_icmp_ingress = seed_template<258, ie::icmpTypeCodeIPv4>;
using seed_icmp_egress = seed_template<259, ie::icmpTypeCodeIPv4>;
static_assert(seed_tcp_ingress::record_size == 60 && seed_icmp_egress::record_size == 60,
              "ioam: the seed's flow record is 60 octets (DESIGN.md)");
static_assert(ipv4_template::record_size == 72 && ipv6_template::record_size == 96,
              "ioam: the standard flow records are 72 (IPv4) and 96 (IPv6) octets");

inline constexpr std::uint8_t proto_icmp = 1, proto_tcp = 6, proto_icmpv6 = 58;

/// Which template a record goes into: an index 0..5 (300, 301, 256..259),
/// or nothing when the layout has none for it (seed: not IPv4 TCP/ICMP).
[[nodiscard]] constexpr std::optional<std::size_t> template_index(layout l, const flow_record& r) noexcept {
    if (l == layout::standard) return r.ip_version == 6 ? 1 : 0;
    if (r.ip_version != 4 || (r.protocol != proto_tcp && r.protocol != proto_icmp)) return std::nullopt;
    return 2 + (r.protocol == proto_icmp ? 2 : 0) + (r.dir == direction::egress ? 1 : 0);
}

namespace detail {
template <std::size_t N>
constexpr ipfix::address<N> addr(const std::array<std::byte, 16>& a) noexcept {
    ipfix::address<N> v;
    for (std::size_t i = 0; i < N; ++i) v.bytes[i] = a[i];
    return v;
}
template <class Src>
constexpr auto standard_values(const flow_record& r) noexcept {
    constexpr std::size_t n = sizeof(Src{}.bytes);
    return std::tuple{ipfix::date_time_milliseconds{r.start_ms}, ipfix::date_time_milliseconds{r.end_ms}, r.octets,
                      r.packets, r.ip_version, r.protocol, addr<n>(r.src), addr<n>(r.dst), r.src_port, r.dst_port,
                      r.icmp_type_code, r.tcp_flags, r.tos, static_cast<std::uint8_t>(r.tos >> 2), r.min_ttl, r.max_ttl,
                      r.ingress_if, r.egress_if, static_cast<std::uint8_t>(r.dir), static_cast<std::uint8_t>(r.reason),
                      r.flow_id};
}
constexpr auto seed_values(const flow_record& r) noexcept {
    const std::uint16_t l4 = r.protocol == proto_icmp ? r.icmp_type_code : r.tcp_flags;
    return std::tuple{r.octets, r.packets, r.protocol, addr<4>(r.src), addr<4>(r.dst), r.src_port, r.dst_port,
                      static_cast<std::uint8_t>(r.dir), l4, r.tos, r.ingress_if, r.egress_if, r.min_ttl, r.max_ttl,
                      r.start_uptime_ms, r.end_uptime_ms, r.flow_id, static_cast<std::uint8_t>(r.tos >> 2)};
}
}  // namespace detail

}  // namespace ioam::exporting::flow
