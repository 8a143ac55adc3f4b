// Correlation of IOAM exports into packets (RFC 9326 3: a DEX option's flow
// id and sequence number name a packet at every node; RFC 9197 4.4: a
// Pre-allocated Trace carries the path so far at every node).
//
//   DEX record (namespace, flow, sequence, node's hop) ---+
//                                                         +--> open packet --(wait or window full)--> packet_report
//   trace event (namespace, hops oldest first) ----------+     (ring of `window` packets, hash index)
//
// A packet stays open for `wait` after its first record; then its hops are
// ordered (hop limit, then time), per-hop delays computed, and its path
// compared with its flow's known path: a path that stops early is a loss
// after its last node, one that differs is a path change. Open packets live
// in a ring allocated once: the oldest is closed (and counted as evicted)
// when the window is full, so memory is bounded and the work per record is
// constant (amortised: each packet is closed once). No I/O, no clock: the
// caller passes `now` in nanoseconds.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <vector>

#include "ioam/analysis/detail/index.hpp"
#include "ioam/analysis/hop.hpp"

namespace ioam::analysis {

struct correlator_options {
    std::size_t window = 65536;               ///< open packets at most
    std::int64_t wait_ns = 1'000'000'000;     ///< how long a packet waits for the exports of its next nodes
    std::size_t max_flows = 65536;            ///< flows with a known path at most
    std::int64_t max_delay_ns = 10'000'000'000;  ///< larger per-hop delays are implausible
    std::int64_t flow_idle_ns = 300'000'000'000; ///< forget a flow after this long without packets
};

enum class packet_kind : std::uint8_t { dex, trace };
/// A per-hop delay: measured, or why not.
enum class delay_state : std::uint8_t { ok, missing, negative, implausible };
enum class outcome : std::uint8_t {
    delivered,    ///< reached the last node of the flow's known path (or set it)
    lost,         ///< stopped early: lost between lost_from and lost_to
    path_change,  ///< took another path, which is now the flow's known path
};

/// One closed packet.
struct packet_report {
    packet_kind kind = packet_kind::dex;
    std::uint16_t namespace_id = 0;
    std::uint32_t flow_id = 0;                 ///< traces: the first node's id (low 32 bits)
    std::optional<std::uint32_t> sequence;     ///< DEX only
    std::array<hop, max_hops> hops{};          ///< in path order; entries past hop_count are unspecified
    std::uint8_t hop_count = 0;
    std::array<std::int64_t, max_hops> delay_ns{};  ///< [i]: from hops[i] to hops[i+1]
    std::array<delay_state, max_hops> delay{};
    std::optional<std::int64_t> path_delay_ns;  ///< first to last hop, when every delay is ok
    outcome result = outcome::delivered;
    std::uint64_t lost_from = 0, lost_to = 0;  ///< outcome::lost: last node reached, next node not reached
    std::uint8_t duplicates = 0;               ///< records of a node seen twice
    bool missing_records = false;              ///< reached the last node, an export of a middle node missing
    bool evicted = false;                      ///< closed before its wait because the window was full
    [[nodiscard]] std::span<const hop> path() const noexcept { return {hops.data(), hop_count}; }
};

struct correlator_stats {
    std::uint64_t records = 0;            ///< DEX records and trace events observed
    std::uint64_t records_unkeyed = 0;    ///< DEX records without flow id or sequence: not correlated
    std::uint64_t late_records = 0;       ///< for a packet already closed (DEX): dropped
    std::uint64_t packets = 0, delivered = 0, lost = 0, path_changes = 0;
    std::uint64_t duplicates = 0, reordered = 0, missing_records = 0;
    std::uint64_t evicted = 0;            ///< closed early because the window was full
    std::uint64_t negative_delays = 0, implausible_delays = 0, missing_delays = 0;
    std::uint64_t hops_truncated = 0;     ///< hops past max_hops
    std::uint64_t flows = 0, flows_untracked = 0, flows_expired = 0;
};

class correlator {
public:
    explicit correlator(const correlator_options& o = {})
        : o_(o), ring_(o.window ? o.window : 1), index_(ring_.size()), flows_(o.max_flows), flow_index_(o.max_flows) {
        free_flows_.reserve(flows_.size());
        for (std::size_t i = flows_.size(); i-- > 0;) free_flows_.push_back(static_cast<std::uint32_t>(i));
    }

    /// One DEX export: node `h` saw packet (ns, flow, sequence).
    template <class Sink>
    void observe_dex(std::uint16_t ns, std::optional<std::uint32_t> flow, std::optional<std::uint32_t> sequence,
                     const hop& h, std::int64_t now, Sink&& sink) {
        ++stats_.records;
        if (!flow || !sequence) {
            ++stats_.records_unkeyed;
            return;
        }
        expire(now, sink);
        const ident id{packet_kind::dex, ns, *flow, *sequence, 0};
        const std::uint64_t hash = id.hash();
        std::uint32_t slot = find(id, hash);
        const std::uint32_t fs = flow_slot(id, now);
        if (fs != none) {
            flow_state& f = flows_[fs];
            if (slot == none && f.closed_recently(*sequence)) {
                ++stats_.late_records;
                return;
            }
            if (f.reordered(h.node_id, *sequence)) ++stats_.reordered;
        }
        if (slot == none) slot = open(id, hash, now, sink);
        open_packet& p = ring_[slot];
        for (unsigned i = 0; i < p.hop_count; ++i)
            if (p.hops[i].node_id == h.node_id) {
                ++p.duplicates;
                ++stats_.duplicates;
                return;
            }
        add_hop(p, h);
    }

    /// One Pre-allocated Trace event: the hops filled so far, oldest first
    /// (the reporting node last). Events of the same packet from several
    /// nodes meet by their first hop (node id, hop limit, time).
    template <class Sink>
    void observe_trace(std::uint16_t ns, std::span<const hop> hops, std::int64_t now, Sink&& sink) {
        ++stats_.records;
        if (hops.empty()) {
            ++stats_.records_unkeyed;
            return;
        }
        expire(now, sink);
        const hop& first = hops.front();
        const std::uint64_t key = detail::mix(first.node_id ^ detail::mix(static_cast<std::uint64_t>(first.time_ns.value_or(-1)) ^
                                                                          (std::uint64_t{first.hop_limit.value_or(0)} << 56)));
        const ident id{packet_kind::trace, ns, static_cast<std::uint32_t>(first.node_id), 0, key};
        const std::uint64_t hash = id.hash();
        // Packets the first node timestamped in the same microsecond share
        // the key: an event joins the open packet whose hops agree with its
        // own so far and that has no event of this length yet.
        const std::size_t reporter = hops.size() - 1;
        bool seen = false;
        std::uint32_t slot = index_.find(hash, [&](std::uint32_t s) {
            const open_packet& p = ring_[s];
            if (!(p.id == id)) return false;
            const std::size_t n = std::min<std::size_t>(p.hop_count, hops.size());
            for (std::size_t i = 0; i < n; ++i)
                if (!(p.hops[i] == hops[i])) return false;
            if (reporter < 64 && (p.reporters >> reporter) & 1u) {
                seen = seen || hops.size() <= p.hop_count;  // the same event again
                return false;
            }
            return true;
        });
        (void)flow_slot(id, now);
        if (slot == none && seen) {
            // A duplicate export, or a packet timestamped in the same
            // microsecond by its only node so far: indistinguishable.
            ++stats_.duplicates;
            return;
        }
        if (slot == none) slot = open(id, hash, now, sink);
        open_packet& p = ring_[slot];
        if (reporter < 64) p.reporters |= std::uint64_t{1} << reporter;
        for (std::size_t i = p.hop_count; i < hops.size(); ++i) add_hop(p, hops[i]);
    }

    /// Closes the packets whose wait is over and forgets idle flows; call
    /// it now and then (the collector: once a second).
    template <class Sink>
    void tick(std::int64_t now, Sink&& sink) {
        expire(now, sink);
        for (std::uint32_t i = 0; i < flows_.size(); ++i) {
            flow_state& f = flows_[i];
            if (f.used && now - f.last_seen > o_.flow_idle_ns) {
                flow_index_.erase(f.id.hash(), i);
                f = flow_state{};
                free_flows_.push_back(i);
                ++stats_.flows_expired;
            }
        }
    }

    /// Closes every open packet (at exit).
    template <class Sink>
    void flush(Sink&& sink) {
        while (count_ > 0) close_head(sink, false);
    }

    [[nodiscard]] const correlator_stats& stats() const noexcept { return stats_; }
    [[nodiscard]] std::size_t open_packets() const noexcept { return count_; }
    [[nodiscard]] const correlator_options& options() const noexcept { return o_; }
    /// Memory held, all allocated at construction.
    [[nodiscard]] std::size_t bytes() const noexcept {
        return sizeof(*this) + ring_.size() * sizeof(open_packet) + index_.bytes() + flows_.size() * sizeof(flow_state) +
               flow_index_.bytes() + free_flows_.capacity() * sizeof(std::uint32_t);
    }
    /// Bytes per open packet: its ring slot and its share of the index.
    [[nodiscard]] std::size_t bytes_per_packet() const noexcept { return sizeof(open_packet) + index_.bytes() / ring_.size(); }

private:
    static constexpr std::uint32_t none = detail::slot_index::none;

    struct ident {
        packet_kind kind{};
        std::uint16_t ns = 0;
        std::uint32_t flow = 0;
        std::uint32_t seq = 0;
        std::uint64_t key = 0;  ///< traces: the first hop's hash
        [[nodiscard]] std::uint64_t hash() const noexcept {
            return detail::mix((std::uint64_t{ns} << 40 | std::uint64_t{static_cast<std::uint8_t>(kind)} << 32 | flow) ^
                               detail::mix(std::uint64_t{seq} ^ key));
        }
        [[nodiscard]] std::uint64_t flow_hash() const noexcept {
            return detail::mix(std::uint64_t{ns} << 40 | std::uint64_t{static_cast<std::uint8_t>(kind)} << 32 | flow);
        }
        [[nodiscard]] bool same_flow(const ident& o) const noexcept { return kind == o.kind && ns == o.ns && flow == o.flow; }
        friend bool operator==(const ident&, const ident&) = default;
    };

    struct open_packet {
        ident id;
        std::uint64_t hash = 0;
        std::int64_t first_seen = 0;
        std::uint64_t reporters = 0;  ///< traces: which event lengths were seen
            std::uint8_t hop_count = 0;
        std::uint8_t duplicates = 0;
        std::array<hop, max_hops> hops{};
    };

    struct flow_state {
        ident id;
        bool used = false;
        std::int64_t last_seen = 0;
        std::array<std::uint64_t, max_hops> path{};
        std::uint8_t path_len = 0;
        // Reordering: the last sequence number each node exported.
        std::array<std::uint64_t, max_hops> seq_node{};
        std::array<std::uint32_t, max_hops> seq_last{};
        std::uint8_t seq_nodes = 0;
        // Late records: the 64 sequence numbers below the highest closed one.
        bool any_closed = false;
        std::uint32_t closed_max = 0;
        std::uint64_t closed_bits = 0;

        [[nodiscard]] bool closed_recently(std::uint32_t s) const noexcept {
            if (!any_closed) return false;
            const auto d = static_cast<std::int32_t>(closed_max - s);
            return d >= 0 && d < 64 && ((closed_bits >> d) & 1u);
        }
        void mark_closed(std::uint32_t s) noexcept {
            if (!any_closed) {
                any_closed = true;
                closed_max = s;
                closed_bits = 1;
                return;
            }
            const auto d = static_cast<std::int32_t>(s - closed_max);
            if (d > 0) {
                closed_bits = d >= 64 ? 0 : closed_bits << d;
                closed_bits |= 1;
                closed_max = s;
            } else if (d > -64) {
                closed_bits |= std::uint64_t{1} << -d;
            }
        }
        /// True when node n already exported a later sequence number.
        [[nodiscard]] bool reordered(std::uint64_t n, std::uint32_t s) noexcept {
            for (unsigned i = 0; i < seq_nodes; ++i)
                if (seq_node[i] == n) {
                    if (static_cast<std::int32_t>(s - seq_last[i]) < 0) return true;
                    seq_last[i] = s;
                    return false;
                }
            if (seq_nodes < max_hops) {
                seq_node[seq_nodes] = n;
                seq_last[seq_nodes++] = s;
            }
            return false;
        }
    };

    [[nodiscard]] std::uint32_t find(const ident& id, std::uint64_t hash) const noexcept {
        return index_.find(hash, [&](std::uint32_t s) { return ring_[s].id == id; });
    }

    /// The flow's slot (created when there is room), its last_seen updated.
    std::uint32_t flow_slot(const ident& id, std::int64_t now) {
        const std::uint64_t h = id.flow_hash();
        std::uint32_t s = flow_index_.find(h, [&](std::uint32_t i) { return flows_[i].id.same_flow(id); });
        if (s == none) {
            if (free_flows_.empty()) {
                ++stats_.flows_untracked;
                return none;
            }
            s = free_flows_.back();
            free_flows_.pop_back();
            flows_[s] = flow_state{};
            flows_[s].id = ident{id.kind, id.ns, id.flow, 0, 0};
            flows_[s].used = true;
            flow_index_.insert(h, s);
            ++stats_.flows;
        }
        flows_[s].last_seen = now;
        return s;
    }

    template <class Sink>
    std::uint32_t open(const ident& id, std::uint64_t hash, std::int64_t now, Sink& sink) {
        if (count_ == ring_.size()) close_head(sink, true);
        const auto slot = static_cast<std::uint32_t>((head_ + count_) % ring_.size());
        ++count_;
        open_packet& p = ring_[slot];  // only the fields in use are reset: hops are 512 octets
        p.id = id;
        p.hash = hash;
        p.first_seen = now;
        p.reporters = 0;
        p.hop_count = 0;
        p.duplicates = 0;
        index_.insert(hash, slot);
        return slot;
    }

    void add_hop(open_packet& p, const hop& h) noexcept {
        if (p.hop_count == max_hops) {
            ++stats_.hops_truncated;
            return;
        }
        p.hops[p.hop_count++] = h;
    }

    template <class Sink>
    void expire(std::int64_t now, Sink& sink) {
        while (count_ > 0 && now - ring_[head_].first_seen >= o_.wait_ns) close_head(sink, false);
    }

    /// DEX: hops in path order, by hop limit (decreasing along the path),
    /// then by time; insertion sort (at most max_hops, stable).
    static void order(open_packet& p) noexcept {
        const auto before = [](const hop& a, const hop& b) {
            if (a.hop_limit && b.hop_limit && *a.hop_limit != *b.hop_limit) return *a.hop_limit > *b.hop_limit;
            if (a.time_ns && b.time_ns) return *a.time_ns < *b.time_ns;
            return false;
        };
        for (unsigned i = 1; i < p.hop_count; ++i) {
            const hop h = p.hops[i];
            unsigned j = i;
            for (; j > 0 && before(h, p.hops[j - 1]); --j) p.hops[j] = p.hops[j - 1];
            p.hops[j] = h;
        }
    }

    template <class Sink>
    void close_head(Sink& sink, bool evicted) {
        open_packet& p = ring_[head_];
        index_.erase(p.hash, static_cast<std::uint32_t>(head_));
        head_ = (head_ + 1) % ring_.size();
        --count_;
        if (p.id.kind == packet_kind::dex) order(p);

        // The report is reused: every field is set here, hops and delays up to hop_count.
        packet_report& r = report_;
        r.kind = p.id.kind;
        r.namespace_id = p.id.ns;
        r.flow_id = p.id.flow;
        r.sequence = p.id.kind == packet_kind::dex ? std::optional<std::uint32_t>(p.id.seq) : std::nullopt;
        std::copy_n(p.hops.begin(), p.hop_count, r.hops.begin());
        r.hop_count = p.hop_count;
        r.path_delay_ns.reset();
        r.lost_from = r.lost_to = 0;
        r.missing_records = false;
        r.duplicates = p.duplicates;
        r.evicted = evicted;
        if (evicted) ++stats_.evicted;
        ++stats_.packets;

        bool all_ok = p.hop_count > 0;
        for (unsigned i = 0; i + 1 < p.hop_count; ++i) {
            const hop& a = p.hops[i];
            const hop& b = p.hops[i + 1];
            r.delay[i] = delay_state::ok;
            r.delay_ns[i] = 0;
            if (!a.time_ns || !b.time_ns) {
                r.delay[i] = delay_state::missing;
                ++stats_.missing_delays;
                all_ok = false;
                continue;
            }
            std::int64_t d = 0;
            if (__builtin_sub_overflow(*b.time_ns, *a.time_ns, &d))  // hostile or broken clocks
                d = *b.time_ns < *a.time_ns ? std::numeric_limits<std::int64_t>::min()
                                            : std::numeric_limits<std::int64_t>::max();
            r.delay_ns[i] = d;
            if (d < 0) {
                r.delay[i] = delay_state::negative;
                ++stats_.negative_delays;
                all_ok = false;
            } else if (d > o_.max_delay_ns) {
                r.delay[i] = delay_state::implausible;
                ++stats_.implausible_delays;
                all_ok = false;
            }
        }
        if (all_ok) r.path_delay_ns = p.hop_count > 1 ? *p.hops[p.hop_count - 1].time_ns - *p.hops[0].time_ns : 0;

        // The flow: its known path decides loss and path changes.
        flow_state* f = nullptr;
        if (const std::uint32_t fs = flow_index_.find(p.id.flow_hash(), [&](std::uint32_t i) { return flows_[i].id.same_flow(p.id); });
            fs != none)
            f = &flows_[fs];
        r.result = outcome::delivered;
        if (f) {
            if (p.id.kind == packet_kind::dex) f->mark_closed(p.id.seq);
            compare_path(*f, r);
        }
        switch (r.result) {
        case outcome::delivered: ++stats_.delivered; break;
        case outcome::lost: ++stats_.lost; break;
        case outcome::path_change: ++stats_.path_changes; break;
        }
        if (r.missing_records) ++stats_.missing_records;
        sink(static_cast<const packet_report&>(r));
    }

    /// Loss and path change against the flow's known path.
    static void compare_path(flow_state& f, packet_report& r) noexcept {
        const unsigned n = r.hop_count;
        if (n == 0) return;
        const auto set_path = [&] {
            for (unsigned i = 0; i < n; ++i) f.path[i] = r.hops[i].node_id;
            f.path_len = static_cast<std::uint8_t>(n);
        };
        if (f.path_len == 0) {
            set_path();
            return;
        }
        // Is the packet's path a subsequence of the known one (same order)?
        unsigned k = 0, last = 0;
        for (unsigned i = 0; i < n; ++i) {
            while (k < f.path_len && f.path[k] != r.hops[i].node_id) ++k;
            if (k == f.path_len) {
                // Not a subsequence. A known path that is a prefix of this
                // one grew (its first packets were lost); otherwise a change.
                bool grows = n > f.path_len;
                for (unsigned j = 0; grows && j < f.path_len; ++j) grows = f.path[j] == r.hops[j].node_id;
                r.result = grows ? outcome::delivered : outcome::path_change;
                set_path();
                return;
            }
            last = k++;
        }
        if (last + 1 == f.path_len) {
            r.missing_records = n != f.path_len;
            return;
        }
        r.result = outcome::lost;
        r.lost_from = f.path[last];
        r.lost_to = f.path[last + 1];
    }

    correlator_options o_;
    std::vector<open_packet> ring_;
    std::size_t head_ = 0, count_ = 0;
    detail::slot_index index_;
    std::vector<flow_state> flows_;
    detail::slot_index flow_index_;
    std::vector<std::uint32_t> free_flows_;
    correlator_stats stats_;
    packet_report report_;
};

}  // namespace ioam::analysis
