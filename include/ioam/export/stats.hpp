// The exporting process's own statistics as one IPFIX options record
// (RFC 7011 4 and 3.4.2.2), IANA elements only, so any collector can read
// them. ioam-exporter sends one with every statistics report (periodic,
// SIGUSR1, exit). The scope is the exporting process: its pid, which changes
// when the counters restart.
//
//   scope: exportingProcessId (144)
//   systemInitTimeMilliseconds (160)    when the exporter started
//   observationTimeMilliseconds (323)   when these counters were read
//   observedFlowTotalCount (163)        IOAM events received from the kernel
//   ignoredPacketTotalCount (164)       malformed events skipped
//   notSentPacketTotalCount (167)       events the kernel dropped (receive buffer full)
//   exportedFlowRecordTotalCount (42)   IOAM data records exported
//   notSentFlowTotalCount (166)         records not delivered (too big, TCP buffer full or
//                                       connection lost)
//   exportedMessageTotalCount (41)      IPFIX messages sent
//   exportedOctetTotalCount (40)        their octets
//   notSentOctetTotalCount (168)        octets of messages whose send or write failed
#pragma once

#include <cstdint>

#include "ioam/core/error.hpp"
#include "ioam/ipfix/iana.hpp"
#include "ioam/ipfix/message.hpp"
#include "ioam/ipfix/template.hpp"
#include "ioam/ipfix/types.hpp"

namespace ioam::exporting {

/// Outside the event exporter's ids (256 up to 256 + its capacity).
inline constexpr std::uint16_t stats_template_id = 4000;

using stats_template = ipfix::options_template<
    stats_template_id, ipfix::scope<ipfix::ie::exportingProcessId>, ipfix::ie::systemInitTimeMilliseconds,
    ipfix::ie::observationTimeMilliseconds, ipfix::ie::observedFlowTotalCount, ipfix::ie::ignoredPacketTotalCount,
    ipfix::ie::notSentPacketTotalCount, ipfix::ie::exportedFlowRecordTotalCount, ipfix::ie::notSentFlowTotalCount,
    ipfix::ie::exportedMessageTotalCount, ipfix::ie::exportedOctetTotalCount, ipfix::ie::notSentOctetTotalCount>;

/// The record's values, in template order.
struct exporter_stats {
    std::uint32_t process_id = 0;
    ipfix::date_time_milliseconds started{};
    ipfix::date_time_milliseconds now{};
    std::uint64_t events = 0;
    std::uint64_t malformed = 0;
    std::uint64_t lost_events = 0;
    std::uint64_t records = 0;
    std::uint64_t records_not_sent = 0;
    std::uint64_t messages = 0;
    std::uint64_t octets = 0;
    std::uint64_t octets_not_sent = 0;
};

/// Adds the statistics record to `w`, with its template first when
/// `template_sent` is false (a new stream, or after a template refresh).
/// When the message has no room, `flush(w)` must send and reset it, and the
/// record goes into the next one.
template <class Flush>
constexpr result<void> add_stats_record(ipfix::message_writer& w, bool& template_sent, const exporter_stats& v,
                                        Flush&& flush) noexcept {
    const auto add = [&]() -> result<void> {
        if (!template_sent) {
            if (auto r = w.add_template<stats_template>(); !r) return r;
            template_sent = true;
        }
        return w.add_record<stats_template>(v);
    };
    auto r = add();
    if (!r && !w.empty()) {
        flush(w);
        r = add();
    }
    return r;
}

}  // namespace ioam::exporting
