/* ioam-flow-exporter's tc programs (clsact ingress and egress): flows keyed
 * by (IP version, addresses, protocol, ports or ICMP type/code, direction,
 * interface), counted in this CPU's region of the slot table (an array user
 * space maps; searched here without a helper call) or, when that has no room,
 * in a per-CPU hash map: each CPU writes only its own slots, so two CPUs never
 * lose a count and no locked instruction is needed (user space adds them up).
 * The clock is read once per tick and CPU (now_ns). Built with clang
 * -target bpf; uses only uapi types (no CO-RE relocations), so it needs no
 * kernel BTF. Headers are read with direct packet access, pulled into the
 * linear area when they are paged. */
#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "flow_types.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";

/* The loader sets max_entries (--map-size) before loading, and
 * BPF_F_NO_PREALLOC only for very large maps: allocating a per-CPU value for
 * each new flow took the kernel's per-CPU allocator about 70 us per flow
 * here and failed under a burst of new flows (docs/flow-exporter.md). */
struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_HASH);
    __uint(max_entries, 65536);
    __type(key, struct fe_flow_key);
    __type(value, struct fe_flow_value);
} flows SEC(".maps");

/* The flow table tried first (flow_types.h, struct fe_slot): slot_mask + 1
 * slots per CPU, CPU c's at [c * (slot_mask + 1), (c + 1) * (slot_mask + 1)).
 * The loader sets both sizes; these defaults serve `bpftool prog loadall`. */
const volatile __u32 slot_mask = 63;
/* The slot hash's key (flow_types.h, fe_slot_hash): random, set by the
 * loader before each load. */
const volatile __u64 slot_hash_key[2] = {0, 0};
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(map_flags, BPF_F_MMAPABLE);
    __uint(max_entries, 64 * 64);
    __type(key, __u32);
    __type(value, struct fe_slot);
} slots SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 1 << 20);
} spill SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, fe_ctr_count);
    __type(key, __u32);
    __type(value, __u64);
} counters SEC(".maps");

/* The clock of the current tick, per CPU (now_ns). */
struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct fe_clock);
} tick_clock SEC(".maps");

#define ETH_P_8021Q_ 0x8100
#define ETH_P_8021AD_ 0x88A8
#define NEXTHDR_HOP 0
#define NEXTHDR_ROUTING 43
#define NEXTHDR_FRAGMENT 44
#define NEXTHDR_AUTH 51
#define NEXTHDR_DEST 60
#define MAX_EXT_HEADERS 8

static __always_inline void count(__u32 which, __u64 n) {
    __u64* c = bpf_map_lookup_elem(&counters, &which);
    if (c) *c += n;  /* per-CPU: no other writer */
}

/* skb->data and skb->data_end as full pointers. Read through asm: with
 * alu32, clang may copy the loaded value with a 32-bit move, which the
 * verifier then treats as a plain number (Cilium reads them the same way). */
static __always_inline __u8* skb_data(struct __sk_buff* skb) {
    __u8* p;
    asm volatile("%0 = *(u32 *)(%1 + %2)" : "=r"(p) : "r"(skb), "i"(__builtin_offsetof(struct __sk_buff, data)));
    return p;
}
static __always_inline __u8* skb_data_end(struct __sk_buff* skb) {
    __u8* p;
    asm volatile("%0 = *(u32 *)(%1 + %2)" : "=r"(p) : "r"(skb), "i"(__builtin_offsetof(struct __sk_buff, data_end)));
    return p;
}

/* Direct packet access (much cheaper than bpf_skb_load_bytes): a pointer
 * to the `len` octets at `off`, pulled into the linear area first when they
 * are not there (paged GSO data); 0 when the packet is shorter. Fields are
 * read through it with word loads (unaligned packet loads are fine on the
 * architectures with efficient unaligned access, where the verifier allows
 * them), never byte by byte. A pull moves the data: a pointer is used only
 * until the next call. */
static __always_inline const __u8* at(struct __sk_buff* skb, __u32 off, const __u32 len) {
    if (off > 1024) return 0;  /* bounds the offset for the verifier; deeper headers are not parsed */
    __u8* p = skb_data(skb) + off;
    if (p + len > skb_data_end(skb)) {
        if (bpf_skb_pull_data(skb, off + len) < 0) return 0;
        p = skb_data(skb) + off;
        if (p + len > skb_data_end(skb)) return 0;
    }
    return p;
}
#define U16(p, o) (*(const __u16*)((p) + (o)))
#define U32(p, o) (*(const __u32*)((p) + (o)))
#define U64(p, o) (*(const __u64*)((p) + (o)))
#define SET32(p, o) (*(__u32*)((p) + (o)))  /* into the key: aligned stack stores */
#define SET64(p, o) (*(__u64*)((p) + (o)))

/* The time of this CPU's first packet in the current jiffy: one clock read
 * per tick and CPU instead of one per packet (bpf_ktime_get_ns costs about
 * 25 ns here; bpf_jiffies64 is inlined to a load). Never later than the
 * packet's own time, at most one tick (1/HZ) earlier. */
static __always_inline __u64 now_ns(void) {
    __u32 zero = 0;
    struct fe_clock* c = bpf_map_lookup_elem(&tick_clock, &zero);
    if (!c) return bpf_ktime_get_ns();
    const __u64 j = bpf_jiffies64();
    if (c->jiffies != j) {
        c->jiffies = j;
        c->ns = bpf_ktime_get_ns();
    }
    return c->ns;
}

struct pkt {
    __u64 octets;
    __u64 packets;
    __u32 tcp_flags;
    __u32 ttl;
    __u32 tos;
};

/* The slot of a flow's first packet on this CPU. */
static __always_inline void first_packet(struct fe_flow_value* v, struct __sk_buff* skb, const struct pkt* p,
                                         __u8 direction, __u64 now) {
    v->packets = p->packets;
    v->octets = p->octets;
    v->first_ns = now;
    v->last_ns = now;
    v->ingress_ifindex = direction == fe_dir_egress ? skb->ingress_ifindex : skb->ifindex;
    v->egress_ifindex = direction == fe_dir_egress ? skb->ifindex : 0;
    v->tcp_flags = p->tcp_flags;
    v->min_ttl = p->ttl;
    v->max_ttl = p->ttl;
    v->tos = p->tos;
}

/* A later packet into this CPU's slot: only this CPU writes it (no atomics). */
static __always_inline void add_packet(struct fe_flow_value* v, struct __sk_buff* skb, const struct pkt* p,
                                       __u8 direction, __u64 now) {
    v->packets += p->packets;
    v->octets += p->octets;
    v->tcp_flags |= p->tcp_flags;
    if (p->ttl < v->min_ttl) v->min_ttl = p->ttl;
    if (p->ttl > v->max_ttl) v->max_ttl = p->ttl;
    v->last_ns = now;
    v->tos = p->tos;
    if (direction == fe_dir_egress) v->ingress_ifindex = skb->ingress_ifindex;
}

/* The flow table: this CPU's region of the slots array, open addressing
 * with at most FE_PROBE probes, the hash and the key compare inline (no
 * helper call: array lookups and bpf_get_smp_processor_id are inlined by the
 * verifier). 1: counted; 0: no slot (the hash map takes the packet). A slot
 * freed in the middle of a probe sequence may let a flow take a second slot
 * on the same CPU: user space adds up every slot of a key. */
static __always_inline int account_slot(struct __sk_buff* skb, const struct fe_flow_key* key, const struct pkt* p,
                                        __u8 direction, __u64 now) {
    const __u64 w0 = U64(key->src, 0), w1 = U64(key->src, 8), w2 = U64(key->dst, 0), w3 = U64(key->dst, 8);
    const __u64 w4 = *(const __u64*)&key->ifindex;  /* ifindex and both ports */
    const __u32 w5 = *(const __u32*)&key->ip_version;  /* version, protocol, direction, pad */
    const __u64 h = fe_slot_hash(slot_hash_key[0], slot_hash_key[1], w0, w1, w2, w3, w4, w5);
    const __u32 mask = slot_mask;
    const __u32 base = bpf_get_smp_processor_id() * (mask + 1);
#pragma unroll
    for (__u32 i = 0; i < FE_PROBE; ++i) {
        const __u32 idx = base + (((__u32)h + i) & mask);
        struct fe_slot* e = bpf_map_lookup_elem(&slots, &idx);
        if (!e) return 0;
        const __u32 state = e->state;
        if (state == fe_slot_used) {
            if (U64(e->key.src, 0) != w0 || U64(e->key.src, 8) != w1 || U64(e->key.dst, 0) != w2 ||
                U64(e->key.dst, 8) != w3 || *(const __u64*)&e->key.ifindex != w4 ||
                *(const __u32*)&e->key.ip_version != w5)
                continue;
            add_packet(&e->value, skb, p, direction, now);
            return 1;
        }
        if (state == fe_slot_empty) {
            SET64(e->key.src, 0) = w0;
            SET64(e->key.src, 8) = w1;
            SET64(e->key.dst, 0) = w2;
            SET64(e->key.dst, 8) = w3;
            *(__u64*)&e->key.ifindex = w4;
            *(__u32*)&e->key.ip_version = w5;
            first_packet(&e->value, skb, p, direction, now);
            /* The key and value before the state: user space reads the
             * state first (x86-64 and arm64 keep this order with the
             * barrier; the JIT does not reorder stores). */
            asm volatile("" ::: "memory");
            e->state = fe_slot_used;
            return 1;
        }
    }
    return 0;
}

static __always_inline int account(struct __sk_buff* skb, const struct fe_flow_key* key, const struct pkt* p,
                                   __u8 direction) {
    const __u64 now = now_ns();
    if (account_slot(skb, key, p, direction, now)) return TC_ACT_OK;
    /* The overflow: this CPU's slot of the flow in the per-CPU hash map;
     * user space folds the slots (flow_table.cpp, fold_cpus). */
    struct fe_flow_value* v = bpf_map_lookup_elem(&flows, key);
    if (!v) {
        struct fe_flow_value init;
        first_packet(&init, skb, p, direction, now);
        /* Sets this CPU's slot, zeroes the others. */
        const long rc = bpf_map_update_elem(&flows, key, &init, BPF_NOEXIST);
        if (rc == 0) return TC_ACT_OK;
        v = bpf_map_lookup_elem(&flows, key);  /* another CPU created it meanwhile */
        if (!v) {
            /* The map is full: hand the packet to user space, which evicts
             * the least recently used flows (docs/flow-exporter.md). */
            struct fe_spill* s = bpf_ringbuf_reserve(&spill, sizeof(*s), 0);
            if (!s) {
                count(fe_ctr_spill_lost, p->packets);
                count(fe_ctr_spill_lost_octets, p->octets);
                return TC_ACT_OK;
            }
            __builtin_memcpy(&s->key, key, sizeof(*key));
            __builtin_memcpy(&s->value, &init, sizeof(init));
            bpf_ringbuf_submit(s, 0);
            count(fe_ctr_spilled, p->packets);
            return TC_ACT_OK;
        }
    }
    if (v->packets == 0) {
        /* The flow's first packet on this CPU (the slot was zeroed). */
        v->first_ns = now;
        v->min_ttl = p->ttl;
        v->max_ttl = p->ttl;
        v->egress_ifindex = direction == fe_dir_egress ? skb->ifindex : 0;
        if (direction == fe_dir_ingress) v->ingress_ifindex = skb->ifindex;
    }
    add_packet(v, skb, p, direction, now);
    return TC_ACT_OK;
}

static __always_inline int handle(struct __sk_buff* skb, __u8 direction) {
    struct fe_flow_key key __attribute__((aligned(8)));  /* the addresses stored as two words each */
    struct pkt p = {.packets = 1};
    __builtin_memset(&key, 0, sizeof(key));
    key.direction = direction;
    key.ifindex = skb->ifindex;
    count(fe_ctr_packets, 1);

    /* Ethernet, up to two VLAN tags left in the packet. */
    __u32 off = ETH_HLEN;
    const __u8* h = at(skb, 0, ETH_HLEN);
    if (!h) goto not_ip;
    __u16 proto = U16(h, 12);
#pragma unroll
    for (int i = 0; i < 2; ++i) {
        if (proto != bpf_htons(ETH_P_8021Q_) && proto != bpf_htons(ETH_P_8021AD_)) break;
        if (!(h = at(skb, off, 4))) goto not_ip;
        proto = U16(h, 2);
        off += 4;
    }
    const __u32 nh = off;
    __u8 l4proto = 0;
    bool first_fragment = true;
    __u64 l3len = 0;
    if (proto == bpf_htons(ETH_P_IP)) {
        if (!(h = at(skb, off, 20))) goto truncated;
        key.ip_version = 4;
        SET32(key.src, 0) = U32(h, 12);
        SET32(key.dst, 0) = U32(h, 16);
        l4proto = h[9];
        p.ttl = h[8];
        p.tos = h[1];
        l3len = bpf_ntohs(U16(h, 2));
        first_fragment = (U16(h, 6) & bpf_htons(0x1fff)) == 0;
        off += (h[0] & 0x0f) * 4;
    } else if (proto == bpf_htons(ETH_P_IPV6)) {
        if (!(h = at(skb, off, 40))) goto truncated;
        key.ip_version = 6;
        SET64(key.src, 0) = U64(h, 8);
        SET64(key.src, 8) = U64(h, 16);
        SET64(key.dst, 0) = U64(h, 24);
        SET64(key.dst, 8) = U64(h, 32);
        p.ttl = h[7];
        const __u32 w0 = bpf_ntohl(U32(h, 0));
        p.tos = (w0 >> 20) & 0xff;
        l3len = 40 + bpf_ntohs(U16(h, 4));
        if (l3len == 40 && skb->len > nh + 40) l3len = skb->len - nh;  /* jumbogram / BIG TCP */
        l4proto = h[6];
        off += 40;
        /* Extension headers (RFC 8200 4): hop-by-hop (IOAM options among
         * them), routing, destination options, fragment, AH. A loop, not
         * unrolled: the common packet has none. */
#pragma nounroll
        for (int i = 0; i < MAX_EXT_HEADERS; ++i) {
            if (l4proto != NEXTHDR_HOP && l4proto != NEXTHDR_ROUTING && l4proto != NEXTHDR_DEST &&
                l4proto != NEXTHDR_FRAGMENT && l4proto != NEXTHDR_AUTH)
                break;
            const __u8* e = at(skb, off, 4);
            if (!e) goto truncated;
            const __u8 cur = l4proto;
            l4proto = e[0];
            if (cur == NEXTHDR_FRAGMENT) {
                if ((U16(e, 2) & bpf_htons(0xfff8)) != 0) first_fragment = false;
                off += 8;
            } else if (cur == NEXTHDR_AUTH) {
                off += ((__u32)e[1] + 2) * 4;
            } else {
                off += ((__u32)e[1] + 1) * 8;
            }
        }
    } else {
        goto not_ip;
    }
    key.protocol = l4proto;

    __u32 l4hdr = 0;  /* transport header octets repeated in each GSO segment */
    if (first_fragment) {
        if (l4proto == IPPROTO_TCP) {
            const __u8* t = at(skb, off, 14);
            if (t) {
                key.src_port = bpf_ntohs(U16(t, 0));
                key.dst_port = bpf_ntohs(U16(t, 2));
                p.tcp_flags = ((__u32)(t[12] & 1) << 8) | t[13];
                l4hdr = (t[12] >> 4) * 4;
            }
        } else if (l4proto == IPPROTO_UDP || l4proto == IPPROTO_UDPLITE || l4proto == IPPROTO_SCTP) {
            const __u8* u = at(skb, off, 4);
            if (u) {
                key.src_port = bpf_ntohs(U16(u, 0));
                key.dst_port = bpf_ntohs(U16(u, 2));
                l4hdr = 8;
            }
        } else if (l4proto == IPPROTO_ICMP || l4proto == 58 /* ICMPv6 */) {
            const __u8* c = at(skb, off, 2);
            if (c) key.dst_port = bpf_ntohs(U16(c, 0));
        }
    }

    /* A GSO packet leaves as gso_segs packets, each with the headers. */
    const __u32 segs = skb->gso_segs;
    if (segs > 1) {
        p.packets = segs;
        p.octets = (skb->len - nh) + (__u64)(segs - 1) * ((off - nh) + l4hdr);
    } else {
        p.octets = l3len;
    }
    return account(skb, &key, &p, direction);

not_ip:
    count(fe_ctr_not_ip, 1);
    return TC_ACT_OK;
truncated:
    count(fe_ctr_truncated, 1);
    return TC_ACT_OK;
}

SEC("tc")
int fe_ingress(struct __sk_buff* skb) { return handle(skb, fe_dir_ingress); }

SEC("tc")
int fe_egress(struct __sk_buff* skb) { return handle(skb, fe_dir_egress); }
