#include "flow_table.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <ctime>

namespace ioam_tools::flow {

// One flow's per-CPU slots (flow.bpf.c writes only its own CPU's) as one
// value: packets and octets summed, flags or-ed, the earliest first and the
// latest last packet time, the TTL range, and the TOS and ingress interface
// of the latest packet. A CPU that saw none of the flow's packets has a zero
// slot, which takes no part.
static_assert(sizeof(fe_flow_value) % 8 == 0, "per-CPU values are 8-octet aligned, one after the other");
static_assert(sizeof(fe_slot) == 128 && offsetof(fe_slot, state) == 44 && offsetof(fe_slot, value) == 48,
              "the slot layout flow.bpf.c reads with word loads");
fe_flow_value fold_cpus(std::span<const fe_flow_value> slots) {
    fe_flow_value r{};
    bool any = false;
    for (const auto& s : slots) {
        if (s.packets == 0) continue;
        r.packets += s.packets;
        r.octets += s.octets;
        r.tcp_flags |= s.tcp_flags;
        const bool latest = !any || s.last_ns >= r.last_ns;
        if (!any || s.first_ns < r.first_ns) r.first_ns = s.first_ns;
        if (!any || s.min_ttl < r.min_ttl) r.min_ttl = s.min_ttl;
        r.max_ttl = std::max(r.max_ttl, s.max_ttl);
        if (latest) {
            r.last_ns = s.last_ns;
            r.tos = s.tos;
        }
        if (s.ingress_ifindex != 0 && (latest || r.ingress_ifindex == 0)) r.ingress_ifindex = s.ingress_ifindex;
        if (s.egress_ifindex != 0) r.egress_ifindex = s.egress_ifindex;
        any = true;
    }
    return r;
}

namespace {
std::uint64_t clock_ns(clockid_t id) {
    timespec ts{};
    clock_gettime(id, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1000000000 + static_cast<std::uint64_t>(ts.tv_nsec);
}
}  // namespace

int table::on_spill(void* ctx, void* data, std::size_t size) {
    auto* self = static_cast<table*>(ctx);
    if (size < sizeof(fe_spill)) return 0;
    fe_spill s;
    std::memcpy(&s, data, sizeof(s));
    auto& f = self->state_of(s.key);
    f.base_packets += s.value.packets;
    f.base_octets += s.value.octets;
    f.merge(s.value);
    self->st_.spilled_packets += s.value.packets;
    ++self->spills_since_scan_;
    return 0;
}

flow_state& table::state_of(const fe_flow_key& k) {
    auto [it, inserted] = table_.try_emplace(k);
    if (inserted) it->second.flow_id = ++st_.flows;
    return it->second;
}

// Reads the whole map (batched), then exports what is due.
void table::scan(int fd, ring_buffer* rb, bool final_scan) {
    ++st_.scans;
    const std::uint64_t now = clock_ns(CLOCK_MONOTONIC);
    struct timer {  // the longest scan: map read, eviction and export
        std::uint64_t start, &max;
        ~timer() { max = std::max(max, (clock_ns(CLOCK_MONOTONIC) - start) / 1000); }
    } t{now, st_.scan_us_max};
    if (rb) ring_buffer__consume(rb);
    for (auto& [k, f] : table_) f.in_map = f.in_slots = false;
    read_slots();
    std::size_t in_map = 0;
    if (fd >= 0) {
        // In chunks: memory stays bounded whatever --map-size is.
        fe_flow_key token{};  // the kernel's batch position (a bucket index for hash maps)
        bool first = true;
        for (;;) {
            __u32 n = batch_size;
            bpf_map_batch_opts o{};
            o.sz = sizeof(o);
            const int err = bpf_map_lookup_batch(fd, first ? nullptr : &token, &token, keys_.data(), values_.data(),
                                                 &n, &o);
            first = false;
            for (std::uint32_t i = 0; i < n && i < batch_size; ++i) {
                auto& f = state_of(keys_[i]);
                f.map = fold_cpus(std::span(values_).subspan(i * ncpu_, ncpu_));
                f.in_map = true;
                if (f.map.packets != 0) f.merge(f.map);
            }
            in_map += n;
            if (err != 0) {
                if (errno != ENOENT) {
                    ++st_.map_errors;
                    std::fprintf(stderr, "ioam-flow-exporter: reading the flow map: %s\n", std::strerror(errno));
                }
                break;
            }
        }
    }
    const std::uint64_t idle_ns = std::uint64_t{cfg_.idle_s} * 1000000000;
    const std::uint64_t active_ns = std::uint64_t{cfg_.active_s} * 1000000000;
    // The map full (a packet came through the ring buffer, or fewer than
    // 1/16 of the entries free): the least recently used flows go.
    const std::size_t headroom = std::max<std::size_t>(1, cfg_.map_size / 16);
    if (!final_scan && (spills_since_scan_ > 0 || in_map + headroom > cfg_.map_size)) {
        const std::size_t target = cfg_.map_size > 2 * headroom ? cfg_.map_size - 2 * headroom : 0;
        const std::size_t n = in_map > target ? in_map - target : 0;
        evict_lru(std::max<std::size_t>(n, std::min<std::size_t>(spills_since_scan_, in_map)), fd, true);
    }
    // Flows that live only in user space (their packets were spilled)
    // count too: the table stays within twice the map size.
    if (!final_scan && table_.size() > 2 * std::size_t{cfg_.map_size})
        evict_lru(table_.size() - 2 * std::size_t{cfg_.map_size} + headroom, fd, false);
    spills_since_scan_ = 0;
    for (auto it = table_.begin(); it != table_.end();) {
        auto& [k, f] = *it;
        const bool idle = now >= f.last_ns && now - f.last_ns >= idle_ns;
        if (final_scan || idle) {
            if (f.in_map && fd >= 0) remove_from_map(fd, k, f);
            const bool fin = (f.tcp_flags & 0x05) != 0;  // FIN or RST
            const auto reason = final_scan ? fl::end_reason::forced_end
                                : fin       ? fl::end_reason::end_of_flow
                                            : fl::end_reason::idle_timeout;
            export_flow(k, f, reason);
            if (final_scan) ++st_.forced;
            else ++st_.idle_ended;
            it = table_.erase(it);
            continue;
        }
        if (now >= f.last_export_ns && now - f.last_export_ns >= active_ns) {
            f.last_export_ns = now;
            if (f.packets() > f.exported_packets) {
                export_flow(k, f, fl::end_reason::active_timeout);
                ++st_.active_records;
            }
        }
        ++it;
    }
    if (!final_scan) release_slots();
}

// The slot handshake (docs/flow-exporter.md, "The flow table"). Only the
// program moves a slot from empty to used, only user space from used to
// release and from release to empty. A slot released at one scan is read
// once more and emptied at the next one, --scan-ms later: a program run
// that found it in use before it was released has ended long before (a run
// takes well under a microsecond and is not preempted), so what it added is
// in that last read, and nothing writes the slot until the program takes it
// again, empty. Counts are cumulative for a slot's life: each scan takes the
// difference to what it had seen of the slot before.
namespace {
std::uint64_t load(const std::uint64_t& v) { return __atomic_load_n(&v, __ATOMIC_RELAXED); }
}  // namespace

void table::read_slots() {
    used_.clear();
    for (std::size_t i = 0; i < slots_.size(); ++i) {
        fe_slot& s = slots_[i];
        const std::uint32_t state = __atomic_load_n(&s.state, __ATOMIC_ACQUIRE);  // then the key and value
        if (state == fe_slot_empty) continue;
        fe_flow_value v;
        std::memcpy(&v, &s.value, sizeof v);
        v.packets = load(s.value.packets);  // whole words: the program adds to them meanwhile
        v.octets = load(s.value.octets);
        v.last_ns = load(s.value.last_ns);
        const std::uint64_t dp = v.packets - seen_[i].packets, dq = v.octets - seen_[i].octets;
        flow_state* f = nullptr;
        if (dp != 0) {
            f = &state_of(s.key);
            f->base_packets += dp;
            f->base_octets += dq;
            f->merge(v);
            seen_[i] = {v.packets, v.octets};
        }
        if (state == fe_slot_release) {
            seen_[i] = {};
            __atomic_store_n(&s.state, std::uint32_t{fe_slot_empty}, __ATOMIC_RELEASE);
            continue;
        }
        if (!f) {
            // No new packet, but the previous scan may have read the counts
            // of a packet before its flags, TTL or time: merged again (the
            // merge keeps the or, min, max and latest, so this is idempotent).
            auto it = table_.find(s.key);
            if (it != table_.end()) {  // else its flow ended: released below
                f = &it->second;
                f->merge(v);
            }
        }
        if (f) f->in_slots = true;
        used_.push_back(static_cast<std::uint32_t>(i));
    }
    st_.slots_used = used_.size();
}

// The slots whose flows this scan ended (idle, evicted) go back to the
// program, through `release`.
void table::release_slots() {
    for (const auto i : used_) {
        fe_slot& s = slots_[i];
        if (table_.find(s.key) != table_.end()) continue;
        __atomic_store_n(&s.state, std::uint32_t{fe_slot_release}, __ATOMIC_RELEASE);
        ++st_.slots_released;
    }
}

// Deletes the entry and folds its last counts into the flow's base.
void table::remove_from_map(int fd, const fe_flow_key& k, flow_state& f) {
    if (bpf_map_lookup_and_delete_elem(fd, &k, values_.data()) == 0) {
        const fe_flow_value v = fold_cpus(std::span(values_).first(ncpu_));
        if (v.packets != 0) f.merge(v);
        f.base_packets += v.packets;
        f.base_octets += v.octets;
    } else {
        f.base_packets += f.map.packets;  // gone meanwhile: the last scan's counts
        f.base_octets += f.map.octets;
    }
    f.in_map = false;
}

void table::evict_lru(std::size_t n, int fd, bool map_only) {
    if (n == 0) return;
    lru_.clear();
    for (auto it = table_.begin(); it != table_.end(); ++it)
        if (it->second.in_map || it->second.in_slots || !map_only) lru_.push_back(it);
    if (lru_.empty()) return;
    n = std::min(n, lru_.size());
    std::nth_element(lru_.begin(), lru_.begin() + static_cast<std::ptrdiff_t>(n) - 1, lru_.end(),
                     [](const auto& a, const auto& b) { return a->second.last_ns < b->second.last_ns; });
    for (std::size_t i = 0; i < n; ++i) {
        auto it = lru_[i];
        if (it->second.in_map) remove_from_map(fd, it->first, it->second);
        export_flow(it->first, it->second, fl::end_reason::lack_of_resources);
        ++st_.evicted;
        table_.erase(it);
    }
}

void table::export_flow(const fe_flow_key& k, flow_state& f, fl::end_reason reason) {
    const std::uint64_t packets = f.packets() - f.exported_packets;
    const std::uint64_t octets = f.octets() - f.exported_octets;
    if (packets == 0) return;  // nothing new since its previous record
    fl::flow_record r;
    r.ip_version = k.ip_version;
    r.protocol = k.protocol;
    r.dir = k.direction == fe_dir_egress ? fl::direction::egress : fl::direction::ingress;
    std::memcpy(r.src.data(), k.src, 16);
    std::memcpy(r.dst.data(), k.dst, 16);
    if (k.protocol == fl::proto_icmp || k.protocol == fl::proto_icmpv6) {
        r.icmp_type_code = k.dst_port;
    } else {
        r.src_port = k.src_port;
        r.dst_port = k.dst_port;
    }
    r.octets = octets;
    r.packets = packets;
    r.tcp_flags = static_cast<std::uint16_t>(f.tcp_flags);
    r.tos = static_cast<std::uint8_t>(f.tos);
    r.min_ttl = static_cast<std::uint8_t>(std::min<std::uint32_t>(f.min_ttl, 255));
    r.max_ttl = static_cast<std::uint8_t>(f.max_ttl);
    r.ingress_if = f.ingress_if;
    r.egress_if = f.egress_if;
    const std::uint64_t offset = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC);
    r.start_ms = (f.first_ns + offset) / 1000000;
    r.end_ms = (f.last_ns + offset) / 1000000;
    r.start_uptime_ms = static_cast<std::uint32_t>(f.first_ns / 1000000);
    r.end_uptime_ms = static_cast<std::uint32_t>(f.last_ns / 1000000);
    r.flow_id = f.flow_id;
    r.reason = reason;
    f.exported_packets += packets;
    f.exported_octets += octets;
    ++st_.records;
    out_(r);
}

}  // namespace ioam_tools::flow
