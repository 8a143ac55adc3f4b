// The exporting process's own statistics as one IPFIX options record
// (RFC 7011 4 and 3.4.2.2), IANA elements, so any collector can read
// them, and the kernel's event counters where it has them. ioam-exporter sends one with every statistics report (periodic,
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
//
// When the kernel answers IOAM6_CMD_GET_EVENT_STATS (kernel/patches 0005),
// the record is template 4001 instead: the same fields, then two PEN 10383
// elements (IANA has none that means the same; see docs/exporter.md):
//   ioamKernelEventsSent (10383/26)        events the kernel sent to listeners
//   ioamKernelEventsSuppressed (10383/27)  events its rate limit suppressed
// both since the exporter started.
#pragma once

#include <tuple>

#include <cstdint>

#include "ioam/core/error.hpp"
#include "ioam/ipfix/iana.hpp"
#include "ioam/ipfix/message.hpp"
#include "ioam/ipfix/template.hpp"
#include "ioam/ipfix/types.hpp"
#include "ioam/export/pen10383.hpp"

namespace ioam::exporting {

/// Outside the event exporter's ids (256 up to 256 + its capacity).
inline constexpr std::uint16_t stats_template_id = 4000;
/// With the kernel's event counters.
inline constexpr std::uint16_t stats_kernel_template_id = 4001;
/// A session's data templates never take these ids (session.hpp's
/// template_table skips them; layouts that name their ids stay below).
constexpr bool is_stats_template_id(std::uint16_t id) noexcept {
    return id == stats_template_id || id == stats_kernel_template_id;
}

/// The statistics fields (the table at the top), then `More`: one list for
/// both templates.
template <std::uint16_t Id, class... More>
using stats_template_of = ipfix::options_template<
    Id, ipfix::scope<ipfix::ie::exportingProcessId>, ipfix::ie::systemInitTimeMilliseconds,
    ipfix::ie::observationTimeMilliseconds, ipfix::ie::observedFlowTotalCount, ipfix::ie::ignoredPacketTotalCount,
    ipfix::ie::notSentPacketTotalCount, ipfix::ie::exportedFlowRecordTotalCount, ipfix::ie::notSentFlowTotalCount,
    ipfix::ie::exportedMessageTotalCount, ipfix::ie::exportedOctetTotalCount, ipfix::ie::notSentOctetTotalCount,
    More...>;

using stats_template = stats_template_of<stats_template_id>;
using stats_kernel_template = stats_template_of<stats_kernel_template_id, pen10383::ie<pen10383::id::kernel_events_sent>,
                                                pen10383::ie<pen10383::id::kernel_events_suppressed>>;

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
    bool kernel = false;  ///< the kernel's counters are known: template 4001
    std::uint64_t kernel_sent = 0;
    std::uint64_t kernel_suppressed = 0;
};

/// Which statistics templates a stream has been sent (bits of add_stats_record's `templates_sent`).
inline constexpr std::uint8_t stats_sent_plain = 1;
inline constexpr std::uint8_t stats_sent_kernel = 2;

/// Adds the statistics record to `w` (template 4000, or 4001 with the
/// kernel's counters), with its template first when its bit in
/// `templates_sent` is clear (a new stream, or after a template refresh:
/// the caller then clears them). When the message has no room, `flush(w)`
/// must send and reset it, and the record goes into the next one.
template <class Flush>
constexpr result<void> add_stats_record(ipfix::message_writer& w, std::uint8_t& templates_sent, const exporter_stats& v,
                                        Flush&& flush) noexcept {
    const auto one = [&]<class T>(std::uint8_t bit, const auto& values) -> result<void> {
        if (!(templates_sent & bit)) {
            if (auto r = w.add_template<T>(); !r) return r;
            templates_sent = static_cast<std::uint8_t>(templates_sent | bit);
        }
        return w.add_record<T>(values);
    };
    const auto add = [&]() -> result<void> {
        const auto own = std::tie(v.process_id, v.started, v.now, v.events, v.malformed, v.lost_events, v.records,
                                  v.records_not_sent, v.messages, v.octets, v.octets_not_sent);
        if (!v.kernel) return one.template operator()<stats_template>(stats_sent_plain, own);
        return one.template operator()<stats_kernel_template>(
            stats_sent_kernel, std::tuple_cat(own, std::tie(v.kernel_sent, v.kernel_suppressed)));
    };
    auto r = add();
    if (!r && !w.empty()) {
        flush(w);
        r = add();
    }
    return r;
}

}  // namespace ioam::exporting
