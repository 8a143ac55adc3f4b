// RFC 9951 path-delay records (rfc9951.hpp) as a record_layout
// (ioam/export/layout.hpp), so that the export session (ioam/export/
// session.hpp) sends them like any other records: template ids, refresh
// over UDP, messages, counters. Input: one flow's record of an interval.
// Shape: the element ids of the four path-delay elements (a run-time
// setting: records with other ids get another template).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ioam/analysis/rfc9951.hpp"
#include "ioam/core/buffer.hpp"
#include "ioam/core/error.hpp"
#include "ioam/export/layout.hpp"
#include "ioam/export/pen10383.hpp"
#include "ioam/ipfix/dynamic_template.hpp"

namespace ioam::analysis {

struct rfc9951_layout {
    using input = path_delay_record;
    using shape = rfc9951_ids;
    using decoded = path_delay_record;
    static constexpr std::string_view name = "rfc9951";
    static constexpr std::size_t max_record_size = path_delay_record_size;
    static constexpr std::size_t max_template_record_size = 4 + 2 * 8 + 7 * 4;  // header, 2 PEN and 7 IANA fields

    rfc9951_ids ids{};  ///< the ids this layout writes (--rfc9951-ids)

    constexpr result<void> encode(const input& in, const exporting::input_context&, auto& out) noexcept {
        (void)out(ids, [&](byte_writer& w) { return encode_path_delay_record(in, w); });
        return {};
    }
    static constexpr result<void> encode_template(std::uint16_t id, const shape& s, byte_writer& w) noexcept {
        return encode_path_delay_template(id, s, w);
    }
    static constexpr std::size_t min_record_size(const shape&) noexcept { return path_delay_record_size; }

    /// The collector's side. The four path-delay elements are recognised by
    /// their place (after packetDeltaCount, the IANA elements other than 2,
    /// 152 and 153, in the order mean, min, max, sum), whatever their ids.
    static decoded decode(const ipfix::dynamic_record& r) {
        namespace p = exporting::pen10383;
        decoded d;
        unsigned delay = 0;
        r.for_each_field([&](const ipfix::field_view& f) {
            std::uint64_t u = 0;
            if (f.bytes.empty() || f.bytes.size() > 8) return;
            u = load_be_n(f.bytes.data(), f.bytes.size());
            if (f.spec->enterprise == p::pen) {
                if (f.spec->id == p::id::namespace_id) d.namespace_id = static_cast<std::uint16_t>(u);
                if (f.spec->id == p::id::dex_flow_id) d.flow_id = static_cast<std::uint32_t>(u);
                return;
            }
            if (f.spec->enterprise != 0) return;
            switch (f.spec->id) {
            case 2: d.packets = u; break;
            case 152: d.start_ms = u; break;
            case 153: d.end_ms = u; break;
            default:
                switch (delay++) {
                case 0: d.mean_us = static_cast<std::uint32_t>(u); break;
                case 1: d.min_us = static_cast<std::uint32_t>(u); break;
                case 2: d.max_us = static_cast<std::uint32_t>(u); break;
                case 3: d.sum_us = u; break;
                default: break;
                }
            }
        });
        return d;
    }
};

static_assert(exporting::record_layout<rfc9951_layout>,
              "ioam: rfc9951_layout must satisfy the export session's record_layout (ioam/export/layout.hpp)");

}  // namespace ioam::analysis
