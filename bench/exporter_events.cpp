// The exporter's per-event path, as ioam-exporter runs it in replay and live:
// netlink datagram -> netlink::decode_event -> export session (add) ->
// message_writer bytes (1472-octet messages), one event per datagram as the
// kernel multicasts them. Events: 3 of 4 are TRACE events of 3 nodes
// (trace type 0xf00000: hop limit and node id, interfaces, timestamp
// seconds and fraction), 1 of 4 a DEX event of the same type with a flow id
// and a sequence number; 4096 of them with distinct values.
//   BM_export_events/ours        the library's path above
//   BM_export_events/baseline    hand-written: attributes walked by type,
//                                records built with memcpy at fixed offsets
// items = events, bytes = netlink octets read. main() checks that both write
// byte-identical IPFIX messages before timing.
//
// With BENCH_WRITE_PCAP=FILE (and BENCH_PCAP_EVENTS=N, default 1000000) it
// writes the events instead, cycled to N, as a replay pcap for
// `ioam-exporter --replay FILE` (bench/run.sh times the real binary on it).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "passes.hpp"
#include "pcap.hpp"
#include "ioam/export/pen10383_layout.hpp"
#include "ioam/export/session.hpp"
#include "ioam/export/records.hpp"
#include "ioam/ipfix/message.hpp"
#include "ioam/netlink/event.hpp"
#include "ioam/netlink/message.hpp"
#include "ioam/trace/node.hpp"

namespace {

namespace nl = ioam::netlink;
namespace t = ioam::trace;
namespace xp = ioam::exporting;
namespace ipfix = ioam::ipfix;

constexpr std::size_t event_count = 4096;
constexpr std::size_t message_capacity = 1472;
constexpr std::uint32_t trace_type = 0xf00000;
constexpr std::size_t nodes_per_trace = 3;
constexpr std::uint16_t family = 0x1d;
using datagrams = std::vector<std::vector<std::byte>>;

datagrams make_events() {
    std::mt19937_64 rng(0x10a5);
    const t::trace_shape shape = t::shape_of(trace_type);
    auto node = [&] {
        t::node_data d;
        for (const auto& v : t::value_table) d.set(v.id, rng() & t::unavailable(v.width));
        return d;
    };
    datagrams out;
    for (std::size_t i = 0; i < event_count; ++i) {
        std::vector<std::byte> buf(256);
        nl::message_writer w(buf);
        if (i % 4 != 3) {
            std::vector<std::byte> data(shape.fixed_size() * nodes_per_trace);
            for (std::size_t n = 0; n < nodes_per_trace; ++n)
                (void)t::encode_node(shape, node(), ioam::bytes_span(data).subspan(n * shape.fixed_size()));
            nl::trace_event e;
            e.namespace_id = static_cast<std::uint16_t>(rng());
            e.node_len = static_cast<std::uint8_t>(t::node_len_of(trace_type));
            e.type_word = trace_type << 8;
            e.data = data;
            nl::encode_trace_event(w, family, e, static_cast<std::uint32_t>(i));
        } else {
            std::vector<std::byte> data(shape.fixed_size());
            (void)t::encode_node(shape, node(), data);
            nl::dex_event e;
            e.namespace_id = static_cast<std::uint16_t>(rng());
            e.flow_id = static_cast<std::uint32_t>(rng());
            e.seq_num = static_cast<std::uint32_t>(rng());
            for (unsigned b = 0; b < 4; ++b) {
                e.field[b] = ioam::bytes_view(data).subspan(shape.offset[b], t::bits[b].size);
                e.present |= t::bit_mask(b);
            }
            nl::encode_dex_event(w, family, e, static_cast<std::uint32_t>(i));
        }
        buf.resize(w.status().value());
        out.push_back(std::move(buf));
    }
    return out;
}

std::size_t octets(const datagrams& d) {
    std::size_t n = 0;
    for (const auto& x : d) n += x.size();
    return n;
}

/// Where finished messages go: summed (timing) or kept (the check).
struct sink {
    std::vector<std::byte>* keep = nullptr;
    std::uint64_t bytes = 0;
    void take(ioam::bytes_view m) {
        bytes += m.size();
        if (keep) keep->insert(keep->end(), m.begin(), m.end());
    }
    // The session's message_sink.
    bool send(ioam::bytes_view m, std::uint32_t) {
        take(m);
        return true;
    }
    [[nodiscard]] ipfix::transport transport() const { return ipfix::transport::udp; }
};

// ---- ours ----------------------------------------------------------------------
struct ours {
    sink out;
    xp::session<xp::pen10383_layout, sink> ex{out, options()};

    static xp::session_options options() {
        xp::session_options o;
        o.capacity = message_capacity;
        return o;
    }
    nl::event ev;  // reused: decoded in place
    void flush() { ex.flush(); }
    void run(const datagrams& in) {
        for (const auto& d : in) {
            nl::message_reader r(d);
            while (!r.done()) {
                auto m = r.next();
                if (!m) [[unlikely]] break;
                if (!nl::decode_event(*m, ev)) [[unlikely]] continue;
                (void)ex.add(ev);
            }
        }
    }
};

// ---- baseline ------------------------------------------------------------------
// The same messages by hand: what the exporter would be if it knew only
// these two event layouts. Templates come pre-encoded from records.hpp.
struct baseline {
    static constexpr std::uint16_t trace_id = 256, dex_id = 257;
    static constexpr std::size_t trace_record = 12 + 16, dex_record = 18 + 16;
    std::array<std::byte, message_capacity> buf{};
    std::size_t pos = ipfix::message_header_size, set_start = 0;
    std::uint16_t set_id = 0;
    std::uint32_t seq = 0, records = 0, event_id = 1;
    bool sent[2] = {false, false};
    std::vector<std::byte> templ[2];
    sink out;

    baseline() {
        for (int k = 0; k < 2; ++k) {
            std::array<std::byte, xp::max_template_record_size> tb{};
            ioam::byte_writer tw(tb);
            xp::record_shape s;
            s.type = trace_type;
            if (k == 1) {
                s.option_type = xp::option_dex;
                s.flow_id = s.sequence = true;
            }
            (void)xp::encode_template_record(k == 0 ? trace_id : dex_id, s, tw);
            templ[k].assign(tw.written().begin(), tw.written().end());
        }
    }
    void close_set() {
        if (set_id) ioam::store_be16(buf.data() + set_start + 2, static_cast<std::uint16_t>(pos - set_start));
        set_id = 0;
    }
    void flush() {
        close_set();
        std::byte* h = buf.data();
        ioam::store_be16(h, 10);
        ioam::store_be16(h + 2, static_cast<std::uint16_t>(pos));
        ioam::store_be32(h + 4, 0);
        ioam::store_be32(h + 8, seq);
        ioam::store_be32(h + 12, 1);
        out.take({h, pos});
        seq += records;
        records = 0;
        pos = ipfix::message_header_size;
    }
    // Room for n octets in set `id` (a new set header when the open set differs).
    std::byte* reserve(std::uint16_t id, std::size_t n) {
        for (int attempt = 0; attempt < 2; ++attempt) {
            const std::size_t need = n + (set_id == id ? 0 : 4);
            if (pos + need <= buf.size()) {
                if (set_id != id) {
                    close_set();
                    set_start = pos;
                    set_id = id;
                    ioam::store_be16(buf.data() + pos, id);
                    pos += 4;
                }
                std::byte* p = buf.data() + pos;
                pos += n;
                return p;
            }
            flush();
        }
        return nullptr;
    }
    void ensure_template(int k) {
        if (sent[k]) return;
        std::memcpy(reserve(2, templ[k].size()), templ[k].data(), templ[k].size());
        sent[k] = true;
    }
    void run(const datagrams& in) {
        for (const auto& d : in) {
            const std::byte* p = d.data();
            const std::size_t len = ioam::load_host_n(p, 4);
            const std::uint8_t cmd = ioam::load_u8(p + 16);
            std::uint16_t ns = 0;
            std::uint32_t flow = 0, sq = 0;
            const std::byte* data = nullptr;
            std::size_t data_len = 0;
            const std::byte* dex_field[4] = {};
            for (std::size_t a = 20; a + 4 <= len;) {
                const std::size_t alen = ioam::load_host_n(p + a, 2);
                const std::byte* v = p + a + 4;
                switch (ioam::load_host_n(p + a + 2, 2)) {
                case 1: case 6: ns = static_cast<std::uint16_t>(ioam::load_host_n(v, 2)); break;
                case 4: data = v; data_len = alen - 4; break;
                case 7: flow = static_cast<std::uint32_t>(ioam::load_host_n(v, 4)); break;
                case 8: sq = static_cast<std::uint32_t>(ioam::load_host_n(v, 4)); break;
                case 9: case 10: case 11: case 12: dex_field[ioam::load_host_n(p + a + 2, 2) - 9] = v; break;
                default: break;
                }
                a += (alen + 3) & ~std::size_t{3};
            }
            if (cmd == 1) {
                ensure_template(0);
                const auto count = static_cast<std::uint8_t>(data_len / 16);
                for (std::uint8_t n = 0; n < count; ++n) {
                    std::byte* r = reserve(trace_id, trace_record);
                    ioam::store_be32(r, event_id);
                    ioam::store_u8(r + 4, 0);
                    ioam::store_be16(r + 5, ns);
                    ioam::store_be24(r + 7, trace_type);
                    ioam::store_u8(r + 10, n);
                    ioam::store_u8(r + 11, count);
                    std::memcpy(r + 12, data + 16 * n, 16);
                    ++records;
                }
            } else {
                ensure_template(1);
                std::byte* r = reserve(dex_id, dex_record);
                ioam::store_be32(r, event_id);
                ioam::store_u8(r + 4, 4);
                ioam::store_be16(r + 5, ns);
                ioam::store_be24(r + 7, trace_type);
                ioam::store_be32(r + 10, flow);
                ioam::store_be32(r + 14, sq);
                for (int f = 0; f < 4; ++f) std::memcpy(r + 18 + 4 * f, dex_field[f], 4);
                ++records;
            }
            ++event_id;
        }
    }
};

}  // namespace

int write_pcap(const datagrams& events, const char* path) {
    const char* n = std::getenv("BENCH_PCAP_EVENTS");
    const std::size_t count = n ? std::strtoull(n, nullptr, 10) : 1000000;
    std::FILE* f = std::fopen(path, "wb");
    ioam_tools::pcap::writer w(f);
    bool ok = f && w.header();
    for (std::size_t i = 0; ok && i < count; ++i)
        ok = w.record(events[i % events.size()], static_cast<std::uint32_t>(1700000000 + i / 1000000),
                      static_cast<std::uint32_t>(i % 1000000));
    ok = ok && w.flush() && std::fclose(f) == 0;
    if (!ok) std::perror(path);
    return ok ? 0 : 1;
}

int main(int argc, char** argv) {
    static const datagrams events = make_events();
    if (const char* path = std::getenv("BENCH_WRITE_PCAP")) return write_pcap(events, path);
    {
        std::vector<std::byte> a, b;
        ours o;
        baseline h;
        o.out.keep = &a;
        h.out.keep = &b;
        o.run(events);
        o.flush();
        h.run(events);
        h.flush();
        if (a != b || o.ex.counters().inputs != event_count) {
            std::fprintf(stderr, "bench: the exporter and the baseline disagree (%zu vs %zu octets, %llu events)\n",
                         a.size(), b.size(), static_cast<unsigned long long>(o.ex.counters().inputs));
            return 1;
        }
        std::fprintf(stderr, "export: %zu events, %zu netlink octets -> %zu IPFIX octets, identical\n", event_count,
                     octets(events), a.size());
    }
    const auto items = static_cast<std::int64_t>(event_count);
    const auto bytes = static_cast<std::int64_t>(octets(events));
    auto* o = new ours;
    auto* h = new baseline;
    bench::add_pass("BM_export_events/ours", [o] { o->run(events); benchmark::DoNotOptimize(o->out.bytes); }, items, bytes);
    bench::add_pass("BM_export_events/baseline", [h] { h->run(events); benchmark::DoNotOptimize(h->out.bytes); }, items, bytes);
    if (int rc = bench::run_pass_mode(); rc >= 0) return rc;
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
