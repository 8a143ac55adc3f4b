// Consistent hashing of DEX flows over K collectors, so that the exports of
// one packet from every node meet in one collector (all of them carry the
// same flow id, RFC 9326 3.2) and adding or removing a collector moves only
// about 1/K of the flows. Each collector owns `replicas` points on a 64-bit
// ring; a flow belongs to the first point at or after its hash.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "ioam/analysis/detail/index.hpp"

namespace ioam::analysis {

class hash_ring {
public:
    /// `replicas` points per collector: more points, more even shares.
    explicit hash_ring(unsigned replicas = 128) : replicas_(replicas ? replicas : 1) {}

    /// Adds collector `id` (any number the caller uses to name it, such as
    /// its index in a list of addresses). Its points depend on the id only,
    /// so every exporter with the same list builds the same ring.
    void add(std::uint32_t id) {
        for (unsigned r = 0; r < replicas_; ++r)
            points_.push_back({detail::mix(detail::mix(std::uint64_t{id} << 32 | r) ^ 0x10a3'0000'9326ULL), id});
        std::sort(points_.begin(), points_.end());
    }
    void remove(std::uint32_t id) {
        std::erase_if(points_, [&](const point& p) { return p.owner == id; });
    }
    [[nodiscard]] bool empty() const noexcept { return points_.empty(); }

    /// The collector of a flow (namespace and DEX flow id); the ring must
    /// not be empty.
    [[nodiscard]] std::uint32_t owner(std::uint16_t namespace_id, std::uint32_t flow_id) const noexcept {
        const std::uint64_t h = detail::mix(std::uint64_t{namespace_id} << 32 | flow_id);
        auto it = std::lower_bound(points_.begin(), points_.end(), point{h, 0});
        if (it == points_.end()) it = points_.begin();
        return it->owner;
    }

private:
    struct point {
        std::uint64_t at;
        std::uint32_t owner;
        friend bool operator<(const point& a, const point& b) noexcept {
            return a.at != b.at ? a.at < b.at : a.owner < b.owner;
        }
    };
    unsigned replicas_;
    std::vector<point> points_;
};

}  // namespace ioam::analysis
