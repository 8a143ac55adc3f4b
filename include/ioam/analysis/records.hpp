// From the collector's decoded PEN 10383 records (ioam/export/decode.hpp)
// to the correlator's hops: the wide node id and hop limit when the trace
// type has bit 8, otherwise the short ones; the timestamp from bits 2 and 3.
#pragma once

#include <cstdint>
#include <optional>

#include "ioam/analysis/hop.hpp"
#include "ioam/export/decode.hpp"
#include "ioam/trace/values.hpp"

namespace ioam::analysis {

[[nodiscard]] inline hop hop_of(const exporting::decoded_record& d,
                                timestamp_format f = timestamp_format::posix_us) noexcept {
    using trace::value_id;
    hop h;
    if (const auto& w = d.value(value_id::node_id_wide)) {
        h.node_id = *w;
    } else if (const auto& n = d.value(value_id::node_id)) {
        h.node_id = *n;
    }
    if (const auto& l = d.value(value_id::hop_limit)) {
        h.hop_limit = static_cast<std::uint8_t>(*l);
    } else if (const auto& lw = d.value(value_id::hop_limit_wide)) {
        h.hop_limit = static_cast<std::uint8_t>(*lw);
    }
    h.time_ns = timestamp_ns(d.value(value_id::timestamp_seconds), d.value(value_id::timestamp_fraction), f);
    return h;
}

/// Is this a DEX record (RFC 9326 option type 4)?
[[nodiscard]] inline bool is_dex(const exporting::decoded_record& d) noexcept { return d.option_type == 4; }

}  // namespace ioam::analysis
