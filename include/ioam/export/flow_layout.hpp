// ioam-flow-exporter's flow records (flow.hpp) as record layouts of the
// export session (layout.hpp, session.hpp): input one flow_record, one
// record per input.
//   flow_standard_layout ("standard"): shape = IP version, the templates of
//     flow.hpp's ipv4_template / ipv6_template under the session's ids.
//   flow_seed_layout ("seed"): shape = the seed's template (TCP/ICMP x
//     ingress/egress); other flows make no record and are counted (skipped).
// Both name their template ids (names_template_ids, layout.hpp): standard
// 300 IPv4, 301 IPv6; seed 256 TCP ingress, 257 TCP egress, 258 ICMP
// ingress, 259 ICMP egress (docs/flow-exporter.md), whatever order flows
// come in.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ioam/core/buffer.hpp"
#include "ioam/core/error.hpp"
#include "ioam/export/flow.hpp"
#include "ioam/export/layout.hpp"
#include "ioam/export/layouts.hpp"
#include "ioam/export/stats.hpp"
#include "ioam/ipfix/dynamic_template.hpp"
#include "ioam/ipfix/record.hpp"

namespace ioam::exporting {

namespace flow {

/// The template record of T under another id (the session's).
template <ipfix::compile_time_template T>
constexpr result<void> encode_template_as(std::uint16_t id, byte_writer& w) noexcept {
    const std::size_t start = w.size();
    w.put_be16(id);
    w.put_be16(static_cast<std::uint16_t>(T::field_count));
    for (const ipfix::field_spec& f : T::fields) ipfix::put_field_spec(w, f);
    if (!w.ok()) {
        w.rewind(start);
        return error{errc::no_room, start};
    }
    return {};
}

/// A record of either layout read back (fields a layout lacks stay 0).
inline flow_record decode_flow(const ipfix::dynamic_record& r) {
    flow_record f;
    const auto u = [&](std::uint16_t id) {
        std::uint64_t v = 0;
        const auto fv = r.find(id);
        if (fv.spec) (void)fv.to_u64(v);
        return v;
    };
    const auto ms = [&](std::uint16_t id) {
        const auto fv = r.find(id);
        return fv.spec && fv.type() == ipfix::data_type::dateTimeMilliseconds
                   ? fv.as<ipfix::data_type::dateTimeMilliseconds>().milliseconds
                   : std::uint64_t{0};
    };
    ipfix::ipv4_address a4;
    ipfix::ipv6_address a6;
    if (r.get<ie::sourceIPv6Address>(a6)) {
        f.ip_version = 6;
        for (std::size_t i = 0; i < 16; ++i) f.src[i] = a6.bytes[i];
        if (r.get<ie::destinationIPv6Address>(a6))
            for (std::size_t i = 0; i < 16; ++i) f.dst[i] = a6.bytes[i];
        f.icmp_type_code = static_cast<std::uint16_t>(u(ie::icmpTypeCodeIPv6::info.id));
    } else {
        f.ip_version = 4;
        if (r.get<ie::sourceIPv4Address>(a4))
            for (std::size_t i = 0; i < 4; ++i) f.src[i] = a4.bytes[i];
        if (r.get<ie::destinationIPv4Address>(a4))
            for (std::size_t i = 0; i < 4; ++i) f.dst[i] = a4.bytes[i];
        f.icmp_type_code = static_cast<std::uint16_t>(u(ie::icmpTypeCodeIPv4::info.id));
    }
    f.protocol = static_cast<std::uint8_t>(u(ie::protocolIdentifier::info.id));
    f.dir = u(ie::flowDirection::info.id) == 1 ? direction::egress : direction::ingress;
    f.src_port = static_cast<std::uint16_t>(u(ie::sourceTransportPort::info.id));
    f.dst_port = static_cast<std::uint16_t>(u(ie::destinationTransportPort::info.id));
    f.octets = u(ie::octetDeltaCount::info.id);
    f.packets = u(ie::packetDeltaCount::info.id);
    f.tcp_flags = static_cast<std::uint16_t>(u(ie::tcpControlBits::info.id));
    f.tos = static_cast<std::uint8_t>(u(ie::ipClassOfService::info.id));
    f.min_ttl = static_cast<std::uint8_t>(u(ie::minimumTTL::info.id));
    f.max_ttl = static_cast<std::uint8_t>(u(ie::maximumTTL::info.id));
    f.ingress_if = static_cast<std::uint32_t>(u(ie::ingressInterface::info.id));
    f.egress_if = static_cast<std::uint32_t>(u(ie::egressInterface::info.id));
    f.start_ms = ms(ie::flowStartMilliseconds::info.id);
    f.end_ms = ms(ie::flowEndMilliseconds::info.id);
    f.start_uptime_ms = static_cast<std::uint32_t>(u(ie::flowStartSysUpTime::info.id));
    f.end_uptime_ms = static_cast<std::uint32_t>(u(ie::flowEndSysUpTime::info.id));
    f.flow_id = u(ie::flowId::info.id);
    f.reason = static_cast<end_reason>(u(ie::flowEndReason::info.id));
    return f;
}

}  // namespace flow

struct flow_standard_layout {
    using input = flow::flow_record;
    struct shape {
        std::uint8_t ip_version = 4;
        friend constexpr bool operator==(const shape&, const shape&) = default;
    };
    using decoded = flow::flow_record;
    static constexpr std::string_view name = "standard";
    static constexpr std::size_t max_record_size = flow::ipv6_template::record_size;
    static constexpr std::size_t max_template_record_size = 4 + 4 * flow::ipv6_template::field_count;

    template <class Out>
    constexpr result<void> encode(const input& r, const input_context&, Out& out) noexcept {
        if (r.ip_version == 6)
            (void)out(shape{6}, [&](byte_writer& w) {
                return ipfix::encode_record<flow::ipv6_template>(w, flow::detail::standard_values<ipfix::ipv6_address>(r));
            });
        else
            (void)out(shape{4}, [&](byte_writer& w) {
                return ipfix::encode_record<flow::ipv4_template>(w, flow::detail::standard_values<ipfix::ipv4_address>(r));
            });
        return {};
    }
    static constexpr result<void> encode_template(std::uint16_t id, const shape& s, byte_writer& w) noexcept {
        return s.ip_version == 6 ? flow::encode_template_as<flow::ipv6_template>(id, w)
                                 : flow::encode_template_as<flow::ipv4_template>(id, w);
    }
    static constexpr std::size_t min_record_size(const shape& s) noexcept {
        return s.ip_version == 6 ? flow::ipv6_template::record_size : flow::ipv4_template::record_size;
    }
    static constexpr std::uint16_t template_id(const shape& s) noexcept {
        return s.ip_version == 6 ? flow::ipv6_template_id : flow::ipv4_template_id;
    }
    static decoded decode(const ipfix::dynamic_record& r) { return flow::decode_flow(r); }
};

struct flow_seed_layout {
    using input = flow::flow_record;
    struct shape {
        std::uint8_t index = 0;  ///< 0 TCP ingress, 1 TCP egress, 2 ICMP ingress, 3 ICMP egress
        friend constexpr bool operator==(const shape&, const shape&) = default;
    };
    using decoded = flow::flow_record;
    static constexpr std::string_view name = "seed";
    static constexpr std::size_t max_record_size = flow::seed_tcp_ingress::record_size;
    static constexpr std::size_t max_template_record_size = 4 + 4 * flow::seed_tcp_ingress::field_count;

    std::uint64_t skipped = 0;  ///< flows without a template in this layout (not IPv4 TCP/ICMP)

    template <class Out>
    constexpr result<void> encode(const input& r, const input_context&, Out& out) noexcept {
        const auto t = flow::template_index(flow::layout::seed, r);
        if (!t) {
            ++skipped;
            return {};
        }
        const shape s{static_cast<std::uint8_t>(*t - 2)};
        (void)out(s, [&](byte_writer& w) {
            // All four templates share one record shape: one encoder serves.
            return ipfix::encode_record<flow::seed_tcp_ingress>(w, flow::detail::seed_values(r));
        });
        return {};
    }
    static constexpr result<void> encode_template(std::uint16_t id, const shape& s, byte_writer& w) noexcept {
        return s.index < 2 ? flow::encode_template_as<flow::seed_tcp_ingress>(id, w)
                           : flow::encode_template_as<flow::seed_icmp_ingress>(id, w);
    }
    static constexpr std::size_t min_record_size(const shape&) noexcept { return flow::seed_tcp_ingress::record_size; }
    static constexpr std::uint16_t template_id(const shape& s) noexcept {
        return static_cast<std::uint16_t>(flow::seed_tcp_ingress::id + s.index);
    }
    static decoded decode(const ipfix::dynamic_record& r) { return flow::decode_flow(r); }
};

static_assert(record_layout<flow_standard_layout> && record_layout<flow_seed_layout>,
              "ioam: the flow layouts are record layouts (layout.hpp)");
static_assert(names_template_ids<flow_standard_layout> && names_template_ids<flow_seed_layout> &&
                  flow_seed_layout::template_id({3}) == flow::seed_icmp_egress::id,
              "ioam: the flow layouts name their documented template ids");
// Their ids cannot be configured: none is a statistics template's (stats.hpp).
static_assert(
    [] {
        bool clash = false;
        for (const std::uint8_t v : {std::uint8_t{4}, std::uint8_t{6}})
            clash = clash || is_stats_template_id(flow_standard_layout::template_id({v}));
        for (std::uint8_t i = 0; i < 4; ++i) clash = clash || is_stats_template_id(flow_seed_layout::template_id({i}));
        return !clash;
    }(),
    "ioam: a flow template id is a statistics template's, 4000 or 4001 (stats.hpp); pick another");

/// The layouts of ioam-flow-exporter (--layout). The first is the default.
using flow_layouts = layout_list<flow_standard_layout, flow_seed_layout>;

}  // namespace ioam::exporting
