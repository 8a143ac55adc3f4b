// RFC 9951 path-delay records: per flow and interval, the four path-delay
// elements with packetDeltaCount (mean = sum / packets, as pmacct computes
// it), keyed by the IOAM namespace and DEX flow id (PEN 10383 elements) and
// bounded by flowStart/EndMilliseconds. The four element numbers are not in
// the tree's IANA file (it ends at 529): they are a run-time setting, 530-533
// by default (a reading of the registry; pmacct used provisional 600-603).
//
//   One data record (50 octets, fields in this order):
//   +-----------------+-------------+------------------+
//   | ioamNamespaceId | ioamDexFlowId| packetDeltaCount |
//   |  2 (10383/0)    |  4 (10383/15)|  8 (2)           |
//   +-----------------+-------------+------------------+
//   | pathDelayMeanDeltaMicroseconds 4 | ...Min... 4 | ...Max... 4 |
//   | pathDelaySumDeltaMicroseconds 8                             |
//   | flowStartMilliseconds 8 (152) | flowEndMilliseconds 8 (153)    |
//   +---------------------------------------------------------------+
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "ioam/analysis/aggregate.hpp"
#include "ioam/core/buffer.hpp"
#include "ioam/core/error.hpp"
#include "ioam/export/pen10383.hpp"
#include "ioam/ipfix/record.hpp"
#include "ioam/ipfix/template.hpp"

namespace ioam::analysis {

/// The element ids of RFC 9951's four path-delay elements.
struct rfc9951_ids {
    std::uint16_t mean = 530, min = 531, max = 532, sum = 533;
    friend constexpr bool operator==(const rfc9951_ids&, const rfc9951_ids&) = default;
};

struct path_delay_record {
    std::uint16_t namespace_id = 0;
    std::uint32_t flow_id = 0;
    std::uint64_t packets = 0;  ///< packets whose path delay was measured
    std::uint32_t mean_us = 0, min_us = 0, max_us = 0;
    std::uint64_t sum_us = 0;
    std::uint64_t start_ms = 0, end_ms = 0;
    friend constexpr bool operator==(const path_delay_record&, const path_delay_record&) = default;
};

inline constexpr std::size_t path_delay_field_count = 9;
inline constexpr std::size_t path_delay_record_size = 2 + 4 + 8 + 4 + 4 + 4 + 8 + 8 + 8;

[[nodiscard]] constexpr std::array<ipfix::field_spec, path_delay_field_count> path_delay_fields(const rfc9951_ids& ids) noexcept {
    using ipfix::data_type;
    namespace p = exporting::pen10383;
    return {{
        {p::id::namespace_id, p::pen, 2, data_type::unsigned16, true},
        {p::id::dex_flow_id, p::pen, 4, data_type::unsigned32, true},
        {2, 0, 8, data_type::unsigned64, true},
        {ids.mean, 0, 4, data_type::unsigned32, true},
        {ids.min, 0, 4, data_type::unsigned32, true},
        {ids.max, 0, 4, data_type::unsigned32, true},
        {ids.sum, 0, 8, data_type::unsigned64, true},
        {152, 0, 8, data_type::dateTimeMilliseconds, true},
        {153, 0, 8, data_type::dateTimeMilliseconds, true},
    }};
}

/// The template record (RFC 7011 3.4.1), without the set header.
[[nodiscard]] constexpr result<void> encode_path_delay_template(std::uint16_t template_id, const rfc9951_ids& ids,
                                                                byte_writer& w) noexcept {
    if (template_id < 256) return error{errc::bad_template_id, w.size()};
    const std::size_t start = w.size();
    w.put_be16(template_id);
    w.put_be16(static_cast<std::uint16_t>(path_delay_field_count));
    for (const auto& f : path_delay_fields(ids)) ipfix::put_field_spec(w, f);
    if (!w.ok()) {
        w.rewind(start);
        return error{errc::no_room, start};
    }
    return {};
}

[[nodiscard]] constexpr result<void> encode_path_delay_record(const path_delay_record& r, byte_writer& w) noexcept {
    const std::size_t start = w.size();
    w.put_be16(r.namespace_id);
    w.put_be32(r.flow_id);
    w.put_be64(r.packets);
    w.put_be32(r.mean_us);
    w.put_be32(r.min_us);
    w.put_be32(r.max_us);
    w.put_be64(r.sum_us);
    w.put_be64(r.start_ms);
    w.put_be64(r.end_ms);
    if (!w.ok()) {
        w.rewind(start);
        return error{errc::no_room, start};
    }
    return {};
}

/// A flow's record from its path delays of one interval (microseconds,
/// rounded down; negative delays never reach a summary).
[[nodiscard]] constexpr path_delay_record path_delay_of(std::uint16_t ns, std::uint32_t flow, const delay_summary& d,
                                                        std::uint64_t start_ms, std::uint64_t end_ms) noexcept {
    const auto us = [](std::int64_t ns_) { return static_cast<std::uint64_t>(ns_ < 0 ? 0 : ns_ / 1000); };
    const auto u32 = [](std::uint64_t x) { return static_cast<std::uint32_t>(x > 0xffffffffu ? 0xffffffffu : x); };
    path_delay_record r;
    r.namespace_id = ns;
    r.flow_id = flow;
    r.packets = d.count;
    if (d.count) {
        r.sum_us = us(d.sum_ns);
        r.mean_us = u32(r.sum_us / d.count);
        r.min_us = u32(us(d.min_ns));
        r.max_us = u32(us(d.max_ns));
    }
    r.start_ms = start_ms;
    r.end_ms = end_ms;
    return r;
}

}  // namespace ioam::analysis
