// The rawexport record layout (rawexport.hpp, draft-spiegel-ippm-ioam-
// rawexport-07) as a record_layout (layout.hpp): input a kernel event, one
// record per event holding the IOAM option octets rebuilt from it, stamped
// with the time the event was received. Shape: the Option-Type.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ioam/core/buffer.hpp"
#include "ioam/core/error.hpp"
#include "ioam/export/event_input.hpp"
#include "ioam/export/layout.hpp"
#include "ioam/export/rawexport.hpp"
#include "ioam/ipfix/dynamic_template.hpp"
#include "ioam/netlink/event.hpp"
#include "ioam/netlink/ioam6.hpp"

namespace ioam::exporting {

struct rawexport_layout {
    using input = netlink::event;
    using shape = rawexport::raw_shape;
    using decoded = rawexport::raw_record;
    static constexpr std::string_view name = "rawexport";
    static constexpr std::size_t max_record_size = rawexport::max_record_size;
    static constexpr std::size_t max_template_record_size = rawexport::max_template_record_size;

    event_options options{};
    event_counts counts{};

    constexpr rawexport_layout() noexcept = default;
    constexpr explicit rawexport_layout(event_options o) noexcept : options(o) {}

    constexpr result<void> encode(const input& ev, const input_context& c, auto& out) noexcept {
        auto nodes = check_event(ev, options.policy, shapes_);
        if (!nodes) return nodes.error();
        const bool dex = ev.type == netlink::ioam6::event_type::dex;
        // Fails only when the node data is more than an IOAM option can hold.
        auto n = dex ? rawexport::rebuild_dex_option(ev.dex, option_) : rawexport::rebuild_trace_option(ev.trace, option_);
        if (!n) return n.error();
        count_event(counts, ev, *nodes);
        const rawexport::record_context ctx{c.observed_ns, rawexport::report_flags_none, rawexport::encapsulation::ipv6};
        const bytes_view option = bytes_view(option_).first(*n);
        (void)out(rawexport::shape_of(dex ? option_dex : option_preallocated_trace),
                  [&](byte_writer& w) { return rawexport::encode_record(ctx, option, w); });
        return {};
    }

    static constexpr result<void> encode_template(std::uint16_t id, const shape& s, byte_writer& w) noexcept {
        return rawexport::encode_template_record(id, s, w);
    }
    static constexpr std::size_t min_record_size(const shape& s) noexcept { return rawexport::min_record_size(s); }
    static decoded decode(const ipfix::dynamic_record& r) { return rawexport::decode_record(r); }

private:
    shape_cache shapes_;
    std::array<std::byte, rawexport::max_option_size> option_;  // rebuilt per event: not zeroed
};

}  // namespace ioam::exporting
