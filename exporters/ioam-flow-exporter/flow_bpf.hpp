// ioam-flow-exporter's kernel side: the tc clsact programs (flow.bpf.c,
// through its bpftool skeleton) loaded with libbpf, attached to the named
// interfaces at a fixed handle (a dead earlier run's filters are replaced,
// not stacked), detached at exit; the privilege checks before loading.
#pragma once

#include "flow_types.h"

#include <bpf/libbpf.h>

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

struct flow_bpf;

namespace ioam_tools::flow {

// Exit codes (--help, docs/flow-exporter.md).
inline constexpr int exit_ok = 0;
inline constexpr int exit_runtime = 1;     // reading the map or writing an output failed for good
inline constexpr int exit_usage = 2;       // bad command line
inline constexpr int exit_load = 3;        // the kernel refused the programs (no eBPF, verifier rejection)
inline constexpr int exit_open = 4;        // an output could not be opened
inline constexpr int exit_interface = 5;   // an interface does not exist or is not Ethernet-like
inline constexpr int exit_privileges = 6;  // no CAP_BPF / CAP_PERFMON / CAP_NET_ADMIN (not root)
inline constexpr int exit_attach = 7;      // no tc clsact / tc BPF on an interface

struct bpf_settings {
    std::vector<std::string> interfaces;
    bool ingress = true, egress = true, verbose = false;
    std::uint32_t map_size = 65536;
};

/// Called for each record of the spill ring buffer (the map was full).
using spill_fn = int (*)(void* ctx, void* data, std::size_t size);

class programs {
public:
    programs() = default;
    programs(const programs&) = delete;
    programs& operator=(const programs&) = delete;
    ~programs() { detach(); }

    /// Checks the interfaces and privileges, loads and attaches; an exit
    /// status (exit_ok or exit_interface ... exit_attach) with the reason on stderr.
    int load_and_attach(const bpf_settings& s, spill_fn on_spill, void* ctx);
    /// Our filters only; the clsact qdisc stays (other filters may use it).
    void detach();
    [[nodiscard]] int flows_fd() const;
    /// The slot table, mapped into memory (flow_types.h, struct fe_slot).
    [[nodiscard]] std::span<fe_slot> slots() const noexcept { return slots_; }
    [[nodiscard]] ring_buffer* ring() const noexcept { return rb_; }
    /// The programs' per-CPU counters (flow_types.h fe_ctr_*), summed.
    [[nodiscard]] std::array<std::uint64_t, fe_ctr_count> counters() const;

private:
    struct hook {
        bpf_tc_hook hook;
        bpf_tc_opts opts;
    };
    bool hooks_share_ok(std::size_t ingress_hook);
    flow_bpf* skel_ = nullptr;
    std::span<fe_slot> slots_;
    std::size_t slots_len_ = 0;  // octets mapped
    ring_buffer* rb_ = nullptr;
    std::vector<hook> hooks_;
};

}  // namespace ioam_tools::flow
