#include "flow_bpf.hpp"

// The skeleton embeds the eBPF object as one long string literal.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverlength-strings"
#include "flow.skel.h"
#pragma GCC diagnostic pop

#include <bpf/bpf.h>
#include <algorithm>
#include <linux/capability.h>
#include <net/if.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>

namespace ioam_tools::flow {

namespace {

// Our tc filters: this handle and priority on every hook, so that a new run
// replaces the filters of an earlier one that died instead of stacking.
constexpr std::uint32_t tc_handle = 0x10a3;
constexpr std::uint32_t tc_priority = 0x10a3;

bool g_verbose = false;

int libbpf_print(enum libbpf_print_level level, const char* fmt, va_list args) {
    if (level == LIBBPF_DEBUG && !g_verbose) return 0;
    va_list again;
    va_copy(again, args);
    char line[512];
    const int n = std::vsnprintf(line, sizeof line, fmt, args);
    // bpf_tc_hook_create finding the clsact qdisc in place (EEXIST) is expected.
    if (!g_verbose && std::strstr(line, "Exclusivity flag on")) {
        va_end(again);
        return 0;
    }
    std::fputs("ioam-flow-exporter: libbpf: ", stderr);
    // The verifier's log comes as one long message: printed whole.
    const int r = n >= 0 && static_cast<std::size_t>(n) < sizeof line ? std::fputs(line, stderr) : std::vfprintf(stderr, fmt, again);
    va_end(again);
    return r;
}

int kind_of_failure(int err) { return err == -EPERM ? exit_privileges : exit_load; }

}  // namespace

int programs::load_and_attach(const bpf_settings& cfg, spill_fn on_spill, void* ctx) {
    g_verbose = cfg.verbose;
    libbpf_set_print(libbpf_print);
    std::vector<int> ifindexes;
    for (const auto& name : cfg.interfaces) {
        const unsigned idx = if_nametoindex(name.c_str());
        if (idx == 0) {
            std::fprintf(stderr, "ioam-flow-exporter: interface %s: %s\n", name.c_str(), std::strerror(errno));
            return exit_interface;
        }
        // The programs parse from an Ethernet header (ARPHRD_ETHER, or loopback's).
        char path[128];
        std::snprintf(path, sizeof path, "/sys/class/net/%s/type", name.c_str());
        int type = -1;
        if (std::FILE* f = std::fopen(path, "r")) {
            if (std::fscanf(f, "%d", &type) != 1) type = -1;
            std::fclose(f);
        }
        if (type != 1 && type != 772) {
            std::fprintf(stderr, "ioam-flow-exporter: interface %s: link type %d is not Ethernet-like (1) or loopback (772)\n",
                         name.c_str(), type);
            return exit_interface;
        }
        ifindexes.push_back(static_cast<int>(idx));
    }
    if (geteuid() != 0) {
        // Without CAP_BPF the load fails with EPERM; say so plainly.
        __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
        __user_cap_data_struct data[2] = {};
        // CAP_PERFMON: without it the verifier refuses spills it would
        // otherwise accept (clang's stack slot reuse).
        const std::uint32_t bpf_perfmon = (1u << (CAP_BPF - 32)) | (1u << (CAP_PERFMON - 32));
        const bool have = syscall(SYS_capget, &hdr, data) == 0 && (data[0].effective & (1u << CAP_NET_ADMIN)) &&
                          ((data[1].effective & bpf_perfmon) == bpf_perfmon ||
                           (data[0].effective & (1u << CAP_SYS_ADMIN)));
        if (!have) {
            std::fprintf(stderr, "ioam-flow-exporter: needs CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN (run as root)\n");
            return exit_privileges;
        }
    }
    skel_ = flow_bpf__open();
    if (!skel_) {
        std::fprintf(stderr, "ioam-flow-exporter: cannot open the eBPF object: %s\n", std::strerror(errno));
        return exit_load;
    }
    bpf_map__set_max_entries(skel_->maps.flows, cfg.map_size);
    // Preallocated (inserts without the per-CPU allocator), unless the
    // per-CPU values alone would pass 256 MiB: then flow by flow.
    const auto ncpu = static_cast<std::uint64_t>(std::max(libbpf_num_possible_cpus(), 1));
    constexpr std::uint64_t bound = std::uint64_t{256} << 20;
    if (std::uint64_t{cfg.map_size} * ncpu * sizeof(fe_flow_value) > bound)
        bpf_map__set_map_flags(skel_->maps.flows, BPF_F_NO_PREALLOC);
    // The slot table: per CPU, the power of two at or above --map-size,
    // halved while all of them would pass 256 MiB (the hash map takes what
    // does not fit).
    std::uint64_t per_cpu = 16;
    while (per_cpu < cfg.map_size) per_cpu *= 2;
    while (per_cpu > 16 && per_cpu * ncpu * sizeof(fe_slot) > bound) per_cpu /= 2;
    skel_->rodata->slot_mask = static_cast<std::uint32_t>(per_cpu - 1);
    // The slot hash's key, new for every load (flow_types.h, fe_slot_hash).
    std::uint64_t key[2]{};
    if (getrandom(key, sizeof key, 0) != static_cast<ssize_t>(sizeof key)) {
        std::fprintf(stderr, "ioam-flow-exporter: no random key for the slot hash: %s\n", std::strerror(errno));
        return exit_load;
    }
    skel_->rodata->slot_hash_key[0] = key[0];
    skel_->rodata->slot_hash_key[1] = key[1];
    bpf_map__set_max_entries(skel_->maps.slots, static_cast<std::uint32_t>(per_cpu * ncpu));
    if (const int err = flow_bpf__load(skel_); err != 0) {
        std::fprintf(stderr, "ioam-flow-exporter: the kernel refused the eBPF programs: %s%s\n", std::strerror(-err),
                     err == -EPERM    ? " (needs CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN)"
                         : err == -ENOSYS ? " (no eBPF in this kernel)"
                                          : " (see the verifier's messages above)");
        return kind_of_failure(err);
    }
    const std::size_t nslots = bpf_map__max_entries(skel_->maps.slots);
    const std::size_t page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
    const std::size_t len = (nslots * sizeof(fe_slot) + page - 1) / page * page;
    void* mem = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_SHARED, bpf_map__fd(skel_->maps.slots), 0);
    if (mem == MAP_FAILED) {
        std::fprintf(stderr, "ioam-flow-exporter: cannot map the slot table: %s\n", std::strerror(errno));
        return exit_load;
    }
    slots_ = std::span(static_cast<fe_slot*>(mem), nslots);
    slots_len_ = len;
    for (std::size_t i = 0; i < ifindexes.size(); ++i) {
        for (int dir = 0; dir < 2; ++dir) {
            if ((dir == 0 && !cfg.ingress) || (dir == 1 && !cfg.egress)) continue;
            hook h{};
            h.hook.sz = sizeof(h.hook);
            h.hook.ifindex = ifindexes[i];
            h.hook.attach_point = dir == 0 ? BPF_TC_INGRESS : BPF_TC_EGRESS;
            int err = bpf_tc_hook_create(&h.hook);
            if (err != 0 && err != -EEXIST) {
                std::fprintf(stderr, "ioam-flow-exporter: interface %s: cannot create the tc clsact hook: %s\n",
                             cfg.interfaces[i].c_str(), std::strerror(-err));
                return err == -EPERM ? exit_privileges : exit_attach;
            }
            h.opts.sz = sizeof(h.opts);
            h.opts.handle = tc_handle;
            h.opts.priority = tc_priority;
            h.opts.flags = BPF_TC_F_REPLACE;  // a dead earlier run's filter is replaced
            h.opts.prog_fd = bpf_program__fd(dir == 0 ? skel_->progs.fe_ingress : skel_->progs.fe_egress);
            if ((err = bpf_tc_attach(&h.hook, &h.opts)) != 0) {
                std::fprintf(stderr, "ioam-flow-exporter: interface %s: cannot attach the tc %s program: %s\n",
                             cfg.interfaces[i].c_str(), dir == 0 ? "ingress" : "egress", std::strerror(-err));
                return err == -EPERM ? exit_privileges : exit_attach;
            }
            hooks_.push_back(h);
            std::fprintf(stderr, "ioam-flow-exporter: attached to %s %s (tc handle 0x%x, priority 0x%x)\n",
                         cfg.interfaces[i].c_str(), dir == 0 ? "ingress" : "egress", tc_handle, tc_priority);
        }
        if (cfg.ingress && cfg.egress && !hooks_share_ok(hooks_.size() - 2)) {
            std::fprintf(stderr, "ioam-flow-exporter: interface %s: its qdisc is a classic 'ingress' one, not clsact: "
                         "no egress hook (tc qdisc del dev %s ingress)\n", cfg.interfaces[i].c_str(),
                         cfg.interfaces[i].c_str());
            return exit_attach;
        }
    }
    rb_ = ring_buffer__new(bpf_map__fd(skel_->maps.spill), on_spill, ctx, nullptr);
    if (!rb_) {
        std::fprintf(stderr, "ioam-flow-exporter: ring buffer: %s\n", std::strerror(errno));
        return exit_load;
    }
    return exit_ok;
}

bool programs::hooks_share_ok(std::size_t ingress_hook) {
    bpf_tc_opts q{};
    q.sz = sizeof(q);
    q.handle = tc_handle;
    q.priority = tc_priority;
    bpf_prog_info info{};
    __u32 len = sizeof(info);
    if (bpf_obj_get_info_by_fd(bpf_program__fd(skel_->progs.fe_ingress), &info, &len) != 0) return true;
    return bpf_tc_query(&hooks_[ingress_hook].hook, &q) != 0 || q.prog_id == info.id;
}

void programs::detach() {
    for (auto& h : hooks_) {
        bpf_tc_opts o{};
        o.sz = sizeof(o);
        o.handle = tc_handle;
        o.priority = tc_priority;
        if (const int err = bpf_tc_detach(&h.hook, &o); err != 0)
            std::fprintf(stderr, "ioam-flow-exporter: detach from ifindex %d: %s\n", h.hook.ifindex, std::strerror(-err));
    }
    hooks_.clear();
    if (rb_) ring_buffer__free(rb_);
    rb_ = nullptr;
    if (!slots_.empty()) munmap(slots_.data(), slots_len_);
    slots_ = {};
    if (skel_) flow_bpf__destroy(skel_);
    skel_ = nullptr;
}

int programs::flows_fd() const { return skel_ ? bpf_map__fd(skel_->maps.flows) : -1; }

std::array<std::uint64_t, fe_ctr_count> programs::counters() const {
    std::array<std::uint64_t, fe_ctr_count> sum{};
    if (!skel_) return sum;
    const int ncpu = libbpf_num_possible_cpus();
    std::vector<std::uint64_t> per(static_cast<std::size_t>(std::max(ncpu, 1)));
    for (std::uint32_t i = 0; i < fe_ctr_count; ++i)
        if (bpf_map_lookup_elem(bpf_map__fd(skel_->maps.counters), &i, per.data()) == 0)
            for (auto v : per) sum[i] += v;
    return sum;
}

}  // namespace ioam_tools::flow
