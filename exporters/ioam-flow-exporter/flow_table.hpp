// ioam-flow-exporter's user-space flow table: what it knows of each flow
// the kernel (flow.bpf.c) counts. Each scan reads the slot table (per-CPU
// regions of an array mapped into memory) and the overflow hash map (batched
// lookups) and exports delta records on the active timeout, final records on
// the idle timeout (the flow's slots are released, its hash map entry is
// deleted) and at exit; when the hash map is full, packets come through the
// spill ring buffer and the least recently used flows are evicted with
// flowEndReason lackOfResources.
#pragma once

#include "flow_types.h"

#include "ioam/export/flow.hpp"

#include <bpf/libbpf.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>
#include <span>
#include <string_view>
#include <unordered_map>
#include <vector>

struct ring_buffer;

namespace ioam_tools::flow {

namespace fl = ioam::exporting::flow;

// The per-CPU slots of one flow folded into one value (flow_table.cpp).
fe_flow_value fold_cpus(std::span<const fe_flow_value> slots);

struct key_hash {
    std::size_t operator()(const fe_flow_key& k) const noexcept {
        return std::hash<std::string_view>{}(std::string_view(reinterpret_cast<const char*>(&k), sizeof(k)));
    }
};
struct key_eq {
    bool operator()(const fe_flow_key& a, const fe_flow_key& b) const noexcept {
        return std::memcmp(&a, &b, sizeof(a)) == 0;
    }
};

// What user space knows of one flow. Totals are `base` (what its slots
// counted, packets that came through the ring buffer, and hash map entries
// already deleted) plus the hash map's current entry; records carry total
// minus what was exported before.
struct flow_state {
    fe_flow_value map{};     // the hash map entry at the latest scan
    bool in_map = false;     // in the hash map at the latest scan
    bool in_slots = false;   // has a slot in use at the latest scan
    std::uint64_t base_packets = 0, base_octets = 0;
    std::uint64_t exported_packets = 0, exported_octets = 0;
    std::uint64_t first_ns = 0, last_ns = 0, last_export_ns = 0;
    std::uint32_t tcp_flags = 0, min_ttl = 255, max_ttl = 0, tos = 0, ingress_if = 0, egress_if = 0;
    std::uint64_t flow_id = 0;

    void merge(const fe_flow_value& v) {
        if (first_ns == 0 || v.first_ns < first_ns) first_ns = v.first_ns;
        if (last_export_ns == 0) last_export_ns = first_ns;  // the first active interval starts here
        last_ns = std::max(last_ns, v.last_ns);
        tcp_flags |= v.tcp_flags;
        min_ttl = std::min(min_ttl, v.min_ttl);
        max_ttl = std::max(max_ttl, v.max_ttl);
        tos = v.tos;
        if (v.ingress_ifindex) ingress_if = v.ingress_ifindex;
        if (v.egress_ifindex) egress_if = v.egress_ifindex;
    }
    [[nodiscard]] std::uint64_t packets() const { return base_packets + (in_map ? map.packets : 0); }
    [[nodiscard]] std::uint64_t octets() const { return base_octets + (in_map ? map.octets : 0); }
};

struct table_counts {
    std::uint64_t flows = 0, records = 0, idle_ended = 0, active_records = 0, evicted = 0, forced = 0;
    std::uint64_t spilled_packets = 0, write_errors = 0;
    std::uint64_t scans = 0, map_errors = 0, scan_us_max = 0;
    std::uint64_t slots_used = 0, slots_released = 0;  // at the latest scan; released in all
};

struct table_settings {
    unsigned active_s = 10, idle_s = 30;
    std::uint32_t map_size = 65536;
};

class table {
public:
    using export_fn = std::function<void(const fl::flow_record&)>;
    table(const table_settings& s, export_fn out) : cfg_(s), out_(std::move(out)) {}

    /// The spill ring buffer's callback (ctx: this table).
    static int on_spill(void* ctx, void* data, std::size_t size);
    /// The slot table (flow.bpf.c "slots", mapped into memory; empty: none).
    void use_slots(std::span<fe_slot> slots) {
        slots_ = slots;
        seen_.assign(slots.size(), seen{});
    }
    /// Reads the slots, the hash map `fd` (-1: none) and what `rb` holds,
    /// then exports what is due; `final_scan`: every flow, ended (forced end).
    void scan(int fd, ring_buffer* rb, bool final_scan);

    [[nodiscard]] std::size_t size() const noexcept { return table_.size(); }
    [[nodiscard]] const table_counts& counts() const noexcept { return st_; }
    void count_write_error() noexcept { ++st_.write_errors; }

private:
    using map = std::unordered_map<fe_flow_key, flow_state, key_hash, key_eq>;
    flow_state& state_of(const fe_flow_key& k);
    void read_slots();
    void release_slots();
    void remove_from_map(int fd, const fe_flow_key& k, flow_state& f);
    void evict_lru(std::size_t n, int fd, bool map_only);
    void export_flow(const fe_flow_key& k, flow_state& f, fl::end_reason reason);

    table_settings cfg_;
    export_fn out_;
    map table_;
    static constexpr std::uint32_t batch_size = 4096;
    std::vector<fe_flow_key> keys_ = std::vector<fe_flow_key>(batch_size);
    // The map is per CPU: each key reads one value per possible CPU.
    std::size_t ncpu_ = static_cast<std::size_t>(std::max(libbpf_num_possible_cpus(), 1));
    std::vector<fe_flow_value> values_ = std::vector<fe_flow_value>(batch_size * ncpu_);
    std::vector<map::iterator> lru_;
    std::size_t spills_since_scan_ = 0;
    // The slots: what each one had counted at the latest scan (its counts
    // are cumulative), and those in use then.
    struct seen {
        std::uint64_t packets = 0, octets = 0;
    };
    std::span<fe_slot> slots_;
    std::vector<seen> seen_;
    std::vector<std::uint32_t> used_;
    table_counts st_;
};

}  // namespace ioam_tools::flow
