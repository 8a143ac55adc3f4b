// The kernel's IOAM6 generic netlink event numbers (include/uapi/linux/
// ioam6_genl.h, Linux 6.9+, and the DEX patch series). Defined here because
// Debian 12's uapi headers (6.1) lack them.
#pragma once

#include <cstdint>
#include <string_view>

namespace ioam::netlink::ioam6 {

inline constexpr std::string_view family_name = "IOAM6";
inline constexpr std::string_view events_group = "ioam6_events";

/// The genl command of an event is its type (enum ioam6_event_type).
enum class event_type : std::uint8_t {
    unspec = 0,
    trace = 1,  ///< Pre-allocated trace, emitted by transit and decapsulating nodes
    dex = 2,    ///< Direct Exporting (DEX patch only)
};

/// enum ioam6_event_attr. Integers marked "host" are in host byte order;
/// trace data and DEX data fields are in network order, as on the wire.
///
/// DEX events come in two shapes (decode_event() reads both):
///  - the series' (kernel/patches): TRACE_NAMESPACE (1), TRACE_TYPE (3),
///    [DEX2_FLOW_ID (5)], [DEX2_SEQ_NUM (6)], DEX2_NODE_DATA (7): the node
///    data as in a trace. It always carries attribute 1;
///  - the published reference patch's: OPTION_TYPE (5), DEX_NAMESPACE (6),
///    [DEX_FLOW_ID (7)], [DEX_SEQ_NUM (8)], one attribute per data field
///    (9-32). It never carries attribute 1.
namespace attr {
inline constexpr std::uint16_t trace_namespace = 1;  ///< u16, host
inline constexpr std::uint16_t trace_nodelen = 2;    ///< u8
inline constexpr std::uint16_t trace_type = 3;       ///< u32, host: 24-bit type << 8 | reserved
inline constexpr std::uint16_t trace_data = 4;       ///< filled node data, most recent first
// the series' DEX shape
inline constexpr std::uint16_t dex2_flow_id = 5;    ///< u32, host
inline constexpr std::uint16_t dex2_seq_num = 6;    ///< u32, host
inline constexpr std::uint16_t dex2_node_data = 7;  ///< node data of the trace type (RFC 9197), then the snapshot
// the reference patch's DEX shape
inline constexpr std::uint16_t option_type = 5;      ///< u8: IOAM Option-Type (4 = DEX)
inline constexpr std::uint16_t dex_namespace = 6;    ///< u16, host
inline constexpr std::uint16_t dex_flow_id = 7;      ///< u32, host; also the 64-bit pad attribute
inline constexpr std::uint16_t dex_seq_num = 8;      ///< u32, host
/// DEX data fields: one attribute per trace-type bit 0-21, numbered 9 + bit
/// (9 HOP_LIM_NODE_ID ... 20 BUFFER_OCCUPANCY, 21-30 BIT_12..BIT_21).
inline constexpr std::uint16_t dex_data_first = 9;
inline constexpr std::uint16_t dex_data_last = 30;
inline constexpr std::uint16_t dex_oss_scid = 31;  ///< u32, network order: snapshot schema id (24 bits)
inline constexpr std::uint16_t dex_oss_data = 32;  ///< snapshot data, 4n octets
/// The kernel's 64-bit pad attribute shares number 7 with DEX_FLOW_ID; a pad
/// has no payload, a flow id has 4 octets.
inline constexpr std::uint16_t pad = 7;
}  // namespace attr

/// The series' event counters (kernel/patches 0005): the request is the
/// genl command get_event_stats with no attribute (CAP_NET_ADMIN); the reply
/// carries two u64 (host order): events sent to the group and events the
/// namespace's limit (net.ipv6.ioam6_event_rate/_burst) suppressed.
inline constexpr std::uint8_t cmd_get_event_stats = 8;
namespace stats_attr {
inline constexpr std::uint16_t pad = 7;
inline constexpr std::uint16_t events_sent = 8;
inline constexpr std::uint16_t events_suppressed = 9;
}  // namespace stats_attr

[[nodiscard]] constexpr std::uint16_t dex_attr_for_bit(unsigned bit) noexcept {
    return static_cast<std::uint16_t>(attr::dex_data_first + bit);
}

}  // namespace ioam::netlink::ioam6
