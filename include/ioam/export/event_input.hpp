// What the two IOAM event layouts (pen10383_layout.hpp, rawexport_layout.hpp)
// share: their input is a decoded kernel event (ioam/netlink/event.hpp), they
// take the same options, check an event the same way and count the same kinds.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "ioam/core/error.hpp"
#include "ioam/netlink/event.hpp"
#include "ioam/netlink/ioam6.hpp"
#include "ioam/trace/node.hpp"
#include "ioam/trace/trace_type.hpp"

namespace ioam::exporting {

/// Which nodes of a trace become records (PEN 10383 layout).
enum class node_selection : std::uint8_t {
    /// Every node in the event's data (the default). Upstream Linux emits an
    /// event at every node that processes the option, so with one exporter
    /// per node the same hops arrive several times; but a node's event is the
    /// only place where the hops before it are seen when those nodes run no
    /// exporter, and the last hop's event holds the whole path in one place.
    all,
    /// Only the first node of the event's data (one record per event): the
    /// node that emitted the event, or after an overflow the last node that
    /// had room; for deployments with an exporter on every IOAM node.
    reporting_only,
};

struct event_options {
    node_selection nodes = node_selection::all;
    /// Bits 12-21 (undefined) are laid out as 4-octet fields as the kernel
    /// fills them (RFC 9197 4.4.1), so a trace with them still decodes.
    trace::type_policy policy = trace::type_policy::lenient;
};

/// Events by kind, counted by the layout for the events the session accepted.
struct event_counts {
    std::uint64_t trace_events = 0;
    std::uint64_t dex_events = 0;
    std::uint64_t empty_traces = 0;  ///< trace events without node data (overflow)
};

/// Checks a DEX event's trace type (check_event's part for DEX events).
[[nodiscard]] constexpr result<void> check_dex(const netlink::dex_event& d, trace::type_policy policy) noexcept {
    return trace::check_type(d.present & trace::type_mask & ~trace::opaque_mask & ~trace::reserved_mask, policy);
}

/// Checks what every layout needs: a DEX event's trace type, a TRACE event's
/// node data (returned; empty for DEX).
[[nodiscard]] constexpr result<trace::node_list> check_event(const netlink::event& ev,
                                                             trace::type_policy policy) noexcept {
    if (ev.type == netlink::ioam6::event_type::dex) {
        if (auto r = check_dex(ev.dex, policy); !r) return r.error();
        return trace::node_list{};
    }
    if (ev.type != netlink::ioam6::event_type::trace) return error{errc::bad_message, 0};
    auto nodes = ev.trace.nodes(policy);
    if (!nodes) return nodes.error();
    if (nodes->size() > 255) return error{errc::value_out_of_range, ev.trace.data_offset};  // max_nodes below
    return nodes;
}

/// make_shape's results for the last few trace types: checking an event
/// walks the trace-type bits to lay out its nodes, and a stream of events
/// has few types. Only successes are kept (an error's offset is the event's).
class shape_cache {
public:
    /// The shape, kept here (valid until the next get()), or make_shape's error.
    [[nodiscard]] constexpr result<const trace::trace_shape*> get(std::uint32_t type, trace::type_policy policy,
                                                                  std::size_t offset) noexcept {
        for (std::size_t i = 0; i < used_; ++i)
            if (e_[i].type == type && e_[i].policy == policy) return &e_[i].shape;
        auto s = trace::make_shape(type, policy, offset);
        if (!s) return s.error();
        entry& e = e_[next_];
        e = {type, policy, *s};
        next_ = (next_ + 1) % e_.size();
        if (used_ < e_.size()) ++used_;
        return &e.shape;
    }

private:
    struct entry {
        std::uint32_t type = 0;
        trace::type_policy policy{};
        trace::trace_shape shape{};
    };
    std::array<entry, 4> e_{};
    std::size_t used_ = 0, next_ = 0;
};

/// A TRACE event's node layout from a cache, checked: the type under the
/// policy, NodeLen against it (check_event's first checks).
[[nodiscard]] constexpr result<const trace::trace_shape*> check_trace_shape(const netlink::trace_event& t,
                                                                           trace::type_policy policy,
                                                                           shape_cache& cache) noexcept {
    auto s = cache.get(t.trace_type(), policy, t.data_offset);
    if (s && (*s)->node_len != t.node_len) return error{errc::bad_node_len, t.data_offset};
    return s;
}

/// A real trace fits an IPv6 option (255 octets): a node count above 255
/// cannot come from a packet.
inline constexpr std::size_t max_nodes = 255;

/// check_event with the node layout from a cache: the same checks as
/// netlink::trace_event::nodes() (type under the policy, NodeLen against it,
/// nodes tiling the data), the same errors.
[[nodiscard]] constexpr result<trace::node_list> check_event(const netlink::event& ev, trace::type_policy policy,
                                                             shape_cache& cache) noexcept {
    if (ev.type != netlink::ioam6::event_type::trace) return check_event(ev, policy);
    const auto& t = ev.trace;
    auto s = check_trace_shape(t, policy, cache);
    if (!s) return s.error();
    // One result, returned as it is (no copy of the node list and its shape).
    auto nodes = trace::node_list::decode(**s, t.data, t.data_offset);
    if (nodes && nodes->size() > max_nodes) nodes = error{errc::value_out_of_range, t.data_offset};
    return nodes;
}

/// The rest of check_event for a shape without a snapshot (fixed-size
/// nodes), counting the nodes rather than listing them: node_list::decode's
/// tiling check and errors (tests/export/session.cpp compares the two), at
/// most max_nodes. For a layout's common path: no node list to return.
[[nodiscard]] constexpr result<std::size_t> count_fixed_nodes(const trace::trace_shape& s,
                                                              const netlink::trace_event& t) noexcept {
    const std::size_t fixed = s.fixed_size();
    const std::size_t size = t.data.size();
    if (fixed == 0) return error{errc::bad_node_len, t.data_offset};
    if (size % fixed != 0) return error{errc::truncated, t.data_offset + size - size % fixed};
    if (size / fixed > max_nodes) return error{errc::value_out_of_range, t.data_offset};
    return size / fixed;
}

/// Counts an accepted event (of `nodes` nodes when a trace).
constexpr void count_event(event_counts& c, const netlink::event& ev, std::size_t nodes) noexcept {
    if (ev.type == netlink::ioam6::event_type::dex) {
        ++c.dex_events;
        return;
    }
    ++c.trace_events;
    if (nodes == 0) ++c.empty_traces;
}
constexpr void count_event(event_counts& c, const netlink::event& ev, const trace::node_list& nodes) noexcept {
    count_event(c, ev, nodes.size());
}

}  // namespace ioam::exporting
