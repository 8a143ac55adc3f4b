/* The flow map's key and value, shared by the tc programs (flow.bpf.c, C,
 * clang -target bpf) and user space (flow_table.cpp, C++). Fixed-width types only,
 * no implicit padding: the key is hashed byte by byte, so every octet of it is
 * written by the program (docs/flow-exporter.md, "Flow key"). */
#ifndef IOAM_FLOW_TYPES_H
#define IOAM_FLOW_TYPES_H

#ifdef __cplusplus
#include <cstdint>
typedef std::uint8_t fe_u8;
typedef std::uint16_t fe_u16;
typedef std::uint32_t fe_u32;
typedef std::uint64_t fe_u64;
#else
typedef __u8 fe_u8;
typedef __u16 fe_u16;
typedef __u32 fe_u32;
typedef __u64 fe_u64;
#endif

enum { fe_dir_ingress = 0, fe_dir_egress = 1 };

/* Addresses in network order; IPv4 in the first 4 octets, the rest zero.
 * Ports in host order; ICMP and ICMPv6: src_port 0, dst_port type * 256 + code
 * (the icmpTypeCode value); other protocols and non-first fragments: 0, 0. */
struct fe_flow_key {
    fe_u8 src[16];
    fe_u8 dst[16];
    fe_u32 ifindex;     /* the interface the program is attached to */
    fe_u16 src_port;
    fe_u16 dst_port;
    fe_u8 ip_version;   /* 4 or 6 */
    fe_u8 protocol;     /* IPv6: the upper-layer protocol after the extension headers */
    fe_u8 direction;    /* fe_dir_ingress or fe_dir_egress */
    fe_u8 pad;          /* always 0 */
};

/* One CPU's slot of a flow (the map is per CPU): only that CPU writes it,
 * with plain stores. A slot is zero until its CPU sees the flow. User space
 * folds the slots (flow_table.cpp, fold_cpus): sums, or, min/max, latest. */
struct fe_flow_value {
    fe_u64 packets;     /* wire packets: a GSO packet counts its segments */
    fe_u64 octets;      /* IP header and payload of those packets */
    fe_u64 first_ns;    /* bpf_ktime_get_ns() (CLOCK_MONOTONIC) of the first packet */
    fe_u64 last_ns;     /* ... of the latest packet */
    fe_u32 ingress_ifindex; /* egress: skb->ingress_ifindex (0 for local traffic); ingress: ifindex */
    fe_u32 egress_ifindex;  /* egress: ifindex; ingress: 0 (not routed yet) */
    fe_u32 tcp_flags;   /* OR of the TCP flags (low 8 bits of tcpControlBits + NS) */
    fe_u32 min_ttl;     /* TTL / hop limit */
    fe_u32 max_ttl;
    fe_u32 tos;         /* IPv4 TOS / IPv6 traffic class of the latest packet */
};

/* One slot of the flow table (array map "slots", BPF_F_MMAPABLE), which
 * the programs try before the hash map: each CPU owns its own region of
 * fe_slots_per_cpu slots (open addressing, at most FE_PROBE slots probed),
 * writes only there, with plain stores; user space reads the regions through
 * mmap and reclaims slots by a handshake on `state` (docs/flow-exporter.md,
 * "The flow table"). `value` is cumulative for the slot's life. */
enum {
    fe_slot_empty = 0,    /* free: the program may take it (user space set it) */
    fe_slot_used = 1,     /* the program's: it counts into it (the program set it) */
    fe_slot_release = 2,  /* user space reclaims it: the program neither counts
                           * into it nor takes it; user space reads it once more
                           * a scan later and then makes it empty */
};
#define FE_PROBE 4

/* A flow's slot hash (the first of its FE_PROBE probes is (u32)hash & mask),
 * from its key's six words: src, dst (two each, loaded as little-endian
 * 64-bit words), ifindex and ports, then version, protocol, direction and pad.
 * Keyed by `k0, k1`: random per load, set by user space in the program's
 * .rodata (flow.bpf.c, slot_hash_key). Each word goes through its own keyed
 * bijection (xor a key word, multiply, xorshift, multiply: the six run side
 * by side, no chain), the six are xored and the sum folded and multiplied,
 * and the hash is the product's high half. No multiply passes a difference
 * with certainty but one in bit 63, and the xorshift between the two
 * multiplies of a word moves that one down to bit 31, so a difference in the
 * words does not reach the hash in a way that is the same whatever the key.
 * It is not a cryptographic PRF (SipHash would cost about 30 ns per packet
 * here): differences that collide for some keys may exist. A flow that
 * finds no slot in its FE_PROBE probes is counted exactly in the hash map,
 * only more slowly. */
#ifdef __cplusplus
#define FE_INLINE static inline
#else
#define FE_INLINE static inline __attribute__((always_inline))
#endif
FE_INLINE fe_u64 fe_slot_word(fe_u64 w, fe_u64 k, fe_u64 c1, fe_u64 c2) {
    fe_u64 m = (w ^ k) * c1;
    m ^= m >> 32;
    return m * c2;
}
FE_INLINE fe_u64 fe_slot_hash(fe_u64 k0, fe_u64 k1, fe_u64 w0, fe_u64 w1, fe_u64 w2, fe_u64 w3, fe_u64 w4,
                              fe_u64 w5) {
    fe_u64 h = fe_slot_word(w0, k0, 0x9e3779b97f4a7c15ULL, 0xbf58476d1ce4e5b9ULL) ^
               fe_slot_word(w1, k1, 0xc2b2ae3d27d4eb4fULL, 0x94d049bb133111ebULL) ^
               fe_slot_word(w2, k0, 0x165667b19e3779f9ULL, 0xd6e8feb86659fd93ULL) ^
               fe_slot_word(w3, k1, 0xff51afd7ed558ccdULL, 0xc4ceb9fe1a85ec53ULL) ^
               fe_slot_word(w4, k0, 0x87c37b91114253d5ULL, 0x4cf5ad432745937fULL) ^
               fe_slot_word(w5, k1, 0xa0761d6478bd642fULL, 0xe7037ed1a0b428dbULL);
    h ^= h >> 32;
    return (h * 0x8ebc6af09c88c6e3ULL) >> 32;
}

struct fe_slot {
    struct fe_flow_key key;
    fe_u32 state;
    struct fe_flow_value value;
    fe_u8 pad[24];        /* 128 octets: a slot is two whole cache lines */
};

/* The per-CPU clock cache (map "tick_clock"): the jiffy of this CPU's
 * latest clock read and what it read. */
struct fe_clock {
    fe_u64 jiffies;
    fe_u64 ns;
};

/* A packet the program could not put into the map (it was full): sent to
 * user space through the ring buffer, never lost silently. */
struct fe_spill {
    struct fe_flow_key key;
    struct fe_flow_value value;
};

/* Per-CPU counters (array map "counters"). */
enum {
    fe_ctr_packets = 0,   /* packets the programs saw (skbs) */
    fe_ctr_not_ip,        /* not IPv4/IPv6: not counted in any flow */
    fe_ctr_truncated,     /* IP header cut short: not counted in any flow */
    fe_ctr_spilled,       /* packets sent through the ring buffer (map full) */
    fe_ctr_spill_lost,    /* ... and those the full ring buffer refused (lost) */
    fe_ctr_spill_lost_octets,
    fe_ctr_count
};

#endif
