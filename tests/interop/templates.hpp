// The templates the interop tests export, and the IOAM enterprise IEs
// (PEN 10383, DESIGN.md "The seed exporter") they use. The same IEs are
// described for the independent decoders in tests/data/ipfix/ioam-ies.xml
// (libfixbuf, ipfixDump) and tests/data/ipfix/ioam.iespec (python-ipfix).
#pragma once

#include <cstdint>
#include <string_view>

#include "ioam/ipfix/iana.hpp"
#include "ioam/ipfix/ie.hpp"
#include "ioam/ipfix/template.hpp"

namespace interop {

namespace ipfix = ioam::ipfix;
namespace ie = ioam::ipfix::ie;
using ioam::ipfix::data_semantics;
using ioam::ipfix::data_type;

inline constexpr std::uint32_t ioam_pen = 10383;

// Enterprise IEs with names (ipfix::enterprise<> has none; the oracles print
// names, so the expected file carries them).
#define INTEROP_IOAM_IE(name_, id_, type_, sem_)                                                         \
    struct name_ {                                                                                       \
        static constexpr ipfix::ie_info info{id_, ioam_pen, data_type::type_, data_semantics::sem_,      \
                                             ipfix::natural_length(data_type::type_), #name_, {}};       \
    }
// The seed exporter's numbering (DESIGN.md).
INTEROP_IOAM_IE(ioamNamespaceId, 0, unsigned16, identifier);
INTEROP_IOAM_IE(ioamHopLimit, 1, unsigned8, quantity);
INTEROP_IOAM_IE(ioamNodeId, 2, unsigned32, identifier);
INTEROP_IOAM_IE(ioamIngressIfId, 3, unsigned16, identifier);
INTEROP_IOAM_IE(ioamEgressIfId, 4, unsigned16, identifier);
INTEROP_IOAM_IE(ioamTimestampSeconds, 5, unsigned32, default_);
INTEROP_IOAM_IE(ioamTimestampFraction, 6, unsigned32, default_);
INTEROP_IOAM_IE(ioamNamespaceData, 7, unsigned32, default_);
INTEROP_IOAM_IE(ioamQueueDepth, 8, unsigned32, quantity);
INTEROP_IOAM_IE(ioamNodeIdWide, 9, unsigned64, identifier);
INTEROP_IOAM_IE(ioamIngressIfIdWide, 10, unsigned32, identifier);
INTEROP_IOAM_IE(ioamEgressIfIdWide, 11, unsigned32, identifier);
INTEROP_IOAM_IE(ioamNamespaceDataWide, 12, unsigned64, default_);
INTEROP_IOAM_IE(ioamOpaqueStateSchemaId, 13, unsigned32, identifier);
INTEROP_IOAM_IE(ioamOpaqueStateSnapshot, 14, octetArray, default_);
INTEROP_IOAM_IE(ioamDexFlowId, 15, unsigned32, identifier);
INTEROP_IOAM_IE(ioamDexSequenceNumber, 16, unsigned32, identifier);
#undef INTEROP_IOAM_IE

/// Every enterprise IE above, for names and run-time registries.
inline constexpr ipfix::ie_info ioam_registry[] = {
    ioamNamespaceId::info,     ioamHopLimit::info,          ioamNodeId::info,
    ioamIngressIfId::info,     ioamEgressIfId::info,        ioamTimestampSeconds::info,
    ioamTimestampFraction::info, ioamNamespaceData::info,   ioamQueueDepth::info,
    ioamNodeIdWide::info,      ioamIngressIfIdWide::info,   ioamEgressIfIdWide::info,
    ioamNamespaceDataWide::info, ioamOpaqueStateSchemaId::info, ioamOpaqueStateSnapshot::info,
    ioamDexFlowId::info,       ioamDexSequenceNumber::info,
};

/// The name of (id, pen): IANA's, ours, or "" when unknown.
[[nodiscard]] constexpr std::string_view ie_name(std::uint16_t id, std::uint32_t pen) noexcept {
    if (pen == 0) {
        const ipfix::ie_info* i = ipfix::find_iana(id);
        return i ? i->name : std::string_view{};
    }
    for (const auto& i : ioam_registry)
        if (i.id == id && i.enterprise == pen) return i.name;
    return {};
}

// ---- the four flow templates of the seed eBPF flow exporter --------------------
// (seeds/002: TCP and ICMP; 256/257 ingress, 258/259 egress). The seed's
// table has 17 fields (52 octets at natural sizes); the flow templates here
// also carry flowId, as the interop brief lists it: 18 fields, 60 octets.
template <std::uint16_t Id, class L4>
using flow_template = ipfix::data_template<Id,
    ie::octetDeltaCount, ie::packetDeltaCount, ie::protocolIdentifier,
    ie::sourceIPv4Address, ie::destinationIPv4Address,
    ie::sourceTransportPort, ie::destinationTransportPort,
    ie::flowDirection, L4, ie::ipClassOfService,
    ie::ingressInterface, ie::egressInterface, ie::minimumTTL, ie::maximumTTL,
    ie::flowStartSysUpTime, ie::flowEndSysUpTime, ie::flowId, ie::ipDiffServCodePoint>;

using tcp_ingress = flow_template<256, ie::tcpControlBits>;
using icmp_ingress = flow_template<257, ie::icmpTypeCodeIPv4>;
using tcp_egress = flow_template<258, ie::tcpControlBits>;
using icmp_egress = flow_template<259, ie::icmpTypeCodeIPv4>;
static_assert(tcp_ingress::field_count == 18 && tcp_ingress::record_size == 60,
              "interop: the flow record is 18 fields, 60 octets");

// ---- IOAM node record: enterprise IEs, 24/56-bit reduced sizes, a varlen snapshot
using ioam_node = ipfix::data_template<300,
    ioamNamespaceId, ioamHopLimit, ipfix::reduced<ioamNodeId, 3>,
    ioamIngressIfId, ioamEgressIfId, ioamTimestampSeconds, ioamTimestampFraction,
    ioamNamespaceData, ioamQueueDepth, ipfix::reduced<ioamNodeIdWide, 7>,
    ioamIngressIfIdWide, ioamEgressIfIdWide, ioamNamespaceDataWide,
    ipfix::reduced<ioamOpaqueStateSchemaId, 3>, ipfix::varlen<ioamOpaqueStateSnapshot>,
    ioamDexFlowId, ioamDexSequenceNumber>;

// ---- strings and octet arrays in both length forms, reduced IANA counters ------
using interfaces = ipfix::data_template<301,
    ie::ingressInterface, ipfix::varlen<ie::interfaceName>, ipfix::varlen<ie::interfaceDescription>,
    ipfix::reduced<ie::octetDeltaCount, 4>, ipfix::reduced<ie::packetDeltaCount, 2>,
    ipfix::varlen<ie::ipPayloadPacketSection>, ipfix::fixed<ie::applicationName, 6>>;

// ---- an options template: exporting process statistics (RFC 7011 4.3) ---------
using exporter_stats = ipfix::options_template<400,
    ipfix::scope<ie::exportingProcessId>,
    ie::exportedMessageTotalCount, ie::exportedFlowRecordTotalCount, ie::exportedOctetTotalCount,
    ie::systemInitTimeMilliseconds>;

}  // namespace interop
