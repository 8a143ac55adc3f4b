// Per-interval aggregates of closed packets: per flow and path (packets,
// losses, path delay count/sum/min/max, as RFC 9951's path-delay elements
// want them) and per hop. Bounded: past max_keys new paths are counted in
// `overflow`, not stored. Reset at the end of each interval by the caller.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <unordered_map>

#include "ioam/analysis/correlator.hpp"

namespace ioam::analysis {

/// Count, sum, minimum and maximum of delays in nanoseconds.
struct delay_summary {
    std::uint64_t count = 0;
    std::int64_t sum_ns = 0;
    std::int64_t min_ns = std::numeric_limits<std::int64_t>::max();
    std::int64_t max_ns = std::numeric_limits<std::int64_t>::min();
    void add(std::int64_t d) noexcept {
        ++count;
        sum_ns += d;
        min_ns = std::min(min_ns, d);
        max_ns = std::max(max_ns, d);
    }
    [[nodiscard]] std::int64_t mean_ns() const noexcept { return count ? sum_ns / static_cast<std::int64_t>(count) : 0; }
};

/// What names a path: the packet's kind, namespace, flow and node ids.
[[nodiscard]] inline std::uint64_t path_hash(const packet_report& r) noexcept {
    std::uint64_t h = detail::mix(std::uint64_t{r.namespace_id} << 40 | std::uint64_t{static_cast<std::uint8_t>(r.kind)} << 32 |
                                  r.flow_id);
    for (unsigned i = 0; i < r.hop_count; ++i) h = detail::mix(h ^ r.hops[i].node_id);
    return h;
}

struct path_aggregate {
    packet_kind kind{};
    std::uint16_t namespace_id = 0;
    std::uint32_t flow_id = 0;
    std::array<std::uint64_t, max_hops> nodes{};
    std::uint8_t node_count = 0;
    std::uint64_t packets = 0;  ///< packets that took this path (lost ones: the part they took)
    std::uint64_t lost = 0;
    std::uint64_t lost_to = 0;  ///< the node the lost packets did not reach (the flow's next node)
    delay_summary path_delay;   ///< first to last node: packets not lost, every delay measured
    std::array<delay_summary, max_hops> hop_delay{};  ///< [i]: nodes[i] to nodes[i+1], valid delays only
};

class interval_aggregator {
public:
    explicit interval_aggregator(std::size_t max_keys = 4096) : max_(max_keys) {}

    void add(const packet_report& r) {
        const std::uint64_t h = path_hash(r);
        auto it = paths_.find(h);
        if (it == paths_.end()) {
            if (paths_.size() >= max_) {
                ++overflow_;
                return;
            }
            path_aggregate a;
            a.kind = r.kind;
            a.namespace_id = r.namespace_id;
            a.flow_id = r.flow_id;
            a.node_count = r.hop_count;
            for (unsigned i = 0; i < r.hop_count; ++i) a.nodes[i] = r.hops[i].node_id;
            it = paths_.emplace(h, a).first;
        }
        path_aggregate& a = it->second;
        ++a.packets;
        if (r.result == outcome::lost) {
            ++a.lost;
            a.lost_to = r.lost_to;
        }
        if (r.path_delay_ns && r.result != outcome::lost) a.path_delay.add(*r.path_delay_ns);
        for (unsigned i = 0; i + 1 < r.hop_count; ++i)
            if (r.delay[i] == delay_state::ok) a.hop_delay[i].add(r.delay_ns[i]);
    }

    [[nodiscard]] const std::unordered_map<std::uint64_t, path_aggregate>& paths() const noexcept { return paths_; }
    [[nodiscard]] std::uint64_t overflow() const noexcept { return overflow_; }
    void reset() noexcept {
        paths_.clear();
        overflow_ = 0;
    }

private:
    std::size_t max_;
    std::unordered_map<std::uint64_t, path_aggregate> paths_;
    std::uint64_t overflow_ = 0;
};

}  // namespace ioam::analysis
