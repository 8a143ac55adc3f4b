// Writes the seed corpora (fuzz/corpus/<harness>/) with our own encoders.
// Run once after a change to the encoders or the harness input formats:
//   build/fuzz/fuzz-make-corpus fuzz/corpus
// The files are small and committed; the replay tests run them.
#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <tuple>
#include <vector>

#include "ioam/export/rawexport_layout.hpp"
#include "ioam/export/session.hpp"
#include "ioam/export/rawexport.hpp"
#include "ioam/ipfix/file.hpp"
#include "ioam/netlink/event.hpp"
#include "ioam/netlink/message.hpp"
#include "ioam/trace/ipv6.hpp"
#include "ipfix_common.hpp"
#include "pcap.hpp"
#include "trace_common.hpp"

namespace {
using namespace ioam;
using namespace ioam::ipfix;
namespace fs = std::filesystem;
namespace tr = ioam::trace;
namespace nl = ioam::netlink;
using bytes = std::vector<std::byte>;

fs::path root;
int written = 0;

void put(const std::string& harness, const std::string& name, bytes_view b) {
    const fs::path dir = root / harness;
    fs::create_directories(dir);
    std::FILE* f = std::fopen((dir / name).c_str(), "wb");
    if (!f || std::fwrite(b.data(), 1, b.size(), f) != b.size() || std::fclose(f) != 0) {
        std::fprintf(stderr, "cannot write %s/%s\n", harness.c_str(), name.c_str());
        std::exit(1);
    }
    ++written;
}
bytes cat(std::initializer_list<bytes_view> parts) {
    bytes out;
    for (bytes_view p : parts) out.insert(out.end(), p.begin(), p.end());
    return out;
}
bytes with_prefix(std::uint8_t first, bytes_view b) { return cat({bytes{std::byte{first}}, b}); }
template <std::size_t N>
address<N> addr(std::uint8_t seed) {
    address<N> a;
    for (std::size_t i = 0; i < N; ++i) a.bytes[i] = std::byte(static_cast<std::uint8_t>(seed + i));
    return a;
}

// ---- IPFIX -------------------------------------------------------------------------

fuzz::flow_fixed::values fixed_record(std::uint8_t k) {
    date_time_microseconds us;
    us.seconds = 3900000000U + k;
    us.fraction = 0x12345000U;
    date_time_nanoseconds ns;
    ns.seconds = 3900000000U + k;
    ns.fraction = 0x87654321U;
    return {addr<16>(k), addr<4>(k), std::uint64_t{1500} * k, std::uint64_t{k}, std::uint8_t{17},
            std::uint16_t{4739}, std::int32_t{-300 + k}, date_time_seconds{1700000000U + k},
            date_time_milliseconds{1700000000000ULL + k}, us, ns, addr<6>(k), boolean(k % 2 == 0), 0.25 * k,
            0.5};
}

struct lists {
    bytes basic, basic_varlen, stl, stml;
};
lists make_lists() {
    lists l;
    std::array<std::byte, 512> scratch{};
    {
        byte_writer w(scratch);
        (void)encode_basic_list<ie::egressInterface>(w, list_semantic::allOf, std::array<std::uint32_t, 3>{1, 4, 8});
        l.basic.assign(w.written().begin(), w.written().end());
    }
    {
        byte_writer w(scratch);
        basic_list_writer bw(w, list_semantic::ordered, field_spec{82, 0, variable_length, data_type::string, true});
        bw.add<data_type::string>("eth0").add<data_type::string>("").add<data_type::string>("a-long-interface-name");
        (void)bw.finish();
        l.basic_varlen.assign(w.written().begin(), w.written().end());
    }
    {
        byte_writer w(scratch);
        (void)encode_sub_template_list<fuzz::list_element>(
            w, list_semantic::oneOrMoreOf,
            std::array{std::tuple{std::uint32_t{1}, std::uint32_t{2}}, std::tuple{std::uint32_t{3}, std::uint32_t{4}}});
        l.stl.assign(w.written().begin(), w.written().end());
    }
    {
        byte_writer w(scratch);
        sub_template_multi_list_writer mw(w, list_semantic::exactlyOneOf);
        mw.add<fuzz::list_element>(std::tuple{std::uint32_t{5}, std::uint32_t{6}});
        mw.add<fuzz::list_element>(std::tuple{std::uint32_t{7}, std::uint32_t{8}});
        mw.add<fuzz::stats>(std::tuple{std::uint32_t{1}, std::uint64_t{99}, std::string_view("sampler")});
        mw.add_empty_entry(fuzz::flow_fixed::id);
        (void)mw.finish();
        l.stml.assign(w.written().begin(), w.written().end());
    }
    return l;
}

fuzz::flow_varlen::values varlen_record(const lists& l, std::uint8_t k, bool long_name) {
    static const std::string name(300, 'x');
    static const std::array<std::byte, 5> app{std::byte{3}, std::byte{0}, std::byte{0}, std::byte{0x50}, std::byte{1}};
    return {long_name ? std::string_view(name) : std::string_view("eth0"), std::uint64_t{k} << 40,
            octet_array_view(app), octet_array_view(l.basic), std::int32_t{-k}, octet_array_view(l.stl),
            octet_array_view(l.stml), std::string_view("vrf-blue")};
}

/// Messages of one session: templates, data, a data-only message, a
/// withdrawal, a redefinition, withdraw-all.
std::vector<bytes> messages(const lists& l) {
    std::vector<bytes> out;
    std::array<std::byte, 2048> buf{};
    message_writer w(buf, 7, 0, writer_options{.over = transport::tcp});
    auto finish = [&](std::uint32_t t) {
        auto m = w.finish(t);
        out.emplace_back(m.begin(), m.end());
        w.reset();
    };
    (void)w.add_template<fuzz::flow_fixed>();
    (void)w.add_template<fuzz::flow_varlen>();
    (void)w.add_template<fuzz::stats>();
    (void)w.add_template<fuzz::list_element>();
    for (std::uint8_t k = 0; k < 3; ++k) (void)w.add_record<fuzz::flow_fixed>(fixed_record(k));
    (void)w.add_record<fuzz::flow_varlen>(varlen_record(l, 1, false));
    (void)w.add_record<fuzz::stats>(std::tuple{std::uint32_t{1}, std::uint64_t{42}, std::string_view("s")});
    (void)w.add_record<fuzz::list_element>(std::tuple{std::uint32_t{1}, std::uint32_t{2}});
    finish(1700000000);
    (void)w.add_record<fuzz::flow_varlen>(varlen_record(l, 2, true));
    (void)w.add_record<fuzz::flow_fixed>(fixed_record(9));
    finish(1700000001);
    (void)w.withdraw<fuzz::list_element>();
    (void)w.add_record<fuzz::flow_fixed>(fixed_record(10));
    finish(1700000002);
    (void)w.add_template<fuzz::list_element>();
    (void)w.add_record<fuzz::list_element>(std::tuple{std::uint32_t{3}, std::uint32_t{4}});
    (void)w.withdraw_all(false);
    (void)w.withdraw_all(true);
    finish(1700000003);
    return out;
}

void ipfix_seeds() {
    const lists l = make_lists();
    const auto msgs = messages(l);
    for (std::size_t i = 0; i < msgs.size(); ++i) put("ipfix_message", "msg" + std::to_string(i), msgs[i]);
    const bytes stream = cat({msgs[0], msgs[1], msgs[2], msgs[3]});
    put("ipfix_template_cache", "stream", stream);
    put("ipfix_template_cache", "templates-and-data", msgs[0]);
    put("ipfix_template_cache", "gap", cat({msgs[0], msgs[2]}));
    put("ipfix_file", "file", stream);
    put("ipfix_file", "truncated", bytes_view(stream).first(stream.size() - 5));

    std::array<std::byte, 1024> buf{};
    auto record = [&](std::uint8_t sel, const std::string& name, auto encode) {
        byte_writer w(buf);
        encode(w);
        put("ipfix_record", name, with_prefix(sel, w.written()));
    };
    record(0, "fixed", [&](byte_writer& w) { (void)encode_record<fuzz::flow_fixed>(w, fixed_record(5)); });
    record(1, "varlen", [&](byte_writer& w) { (void)encode_record<fuzz::flow_varlen>(w, varlen_record(l, 3, false)); });
    record(1, "varlen-long", [&](byte_writer& w) {
        (void)encode_record<fuzz::flow_varlen>(w, varlen_record(l, 4, true), record_options{.long_varlen = true});
    });
    {
        // Regression: a record longer than 65535 octets (impossible inside a
        // message) was decoded with its 16-bit field offsets wrapped around.
        static const std::string huge(65535, 'n');
        bytes big(70000);
        byte_writer w(big);
        auto v = varlen_record(l, 5, false);
        std::get<0>(v) = huge;
        (void)encode_record<fuzz::flow_varlen>(w, v);
        put("ipfix_record", "regress-record-over-64k", with_prefix(1, w.written()));
    }
    record(2, "options", [&](byte_writer& w) {
        (void)encode_record<fuzz::stats>(w, std::tuple{std::uint32_t{1}, std::uint64_t{2}, std::string_view("x")});
    });
    record(3, "element", [&](byte_writer& w) {
        (void)encode_record<fuzz::list_element>(w, std::tuple{std::uint32_t{1}, std::uint32_t{2}});
    });

    put("ipfix_list", "basic", l.basic);
    put("ipfix_list", "basic-varlen", l.basic_varlen);
    put("ipfix_list", "sub-template", l.stl);
    put("ipfix_list", "multi", l.stml);
    {
        byte_writer w(buf);
        sub_template_list_writer sw(w, list_semantic::allOf, fuzz::flow_varlen::id);
        sw.add<fuzz::flow_varlen>(varlen_record(l, 1, false));
        (void)sw.finish();
        put("ipfix_list", "sub-template-varlen", w.written());
    }
    {
        byte_writer w(buf);
        basic_list_writer bw(w, list_semantic::noneOf, field_spec{2, 10383, 4, data_type::unsigned32, true});
        bw.add<data_type::unsigned32>(7);
        (void)bw.finish();
        put("ipfix_list", "basic-enterprise", w.written());
    }
}

// ---- IOAM ---------------------------------------------------------------------------

tr::node_data node(std::uint32_t k, bytes_view snapshot = {}) {
    tr::node_data d;
    for (std::size_t i = 0; i < tr::value_count; ++i) d.v[i] = 0x0101010101010101ULL * (k + i);
    d.set(tr::value_id::hop_limit, 64 - k).set(tr::value_id::node_id, 100 + k);
    d.set(tr::value_id::egress_id, 0xffff);  // unavailable
    d.snapshot = snapshot;
    d.schema_id = snapshot.empty() ? tr::no_schema : 0xabcdef;
    return d;
}

/// count nodes of shape s (node k from node(k)), node snap_at with the snapshot.
bytes encode_nodes(const tr::trace_shape& s, std::uint32_t count, std::uint32_t snap_at, bytes_view snap) {
    bytes out;
    for (std::uint32_t k = 0; k < count; ++k) {
        const tr::node_data d = node(k, k == snap_at ? snap : bytes_view{});
        std::vector<std::byte> n(tr::encoded_size(s, d));
        (void)tr::encode_node(s, d, n);
        out.insert(out.end(), n.begin(), n.end());
    }
    return out;
}

/// Types worth seeding: Linux's common ones, everything defined, wide fields,
/// snapshot only, and undefined bits (lenient).
struct seed_type {
    const char* name;
    std::uint32_t type;
    bool lenient;
};
constexpr seed_type trace_types[] = {
    {"hop-node", 0x800000, false},        {"linux-all", 0xfff002, false}, {"basic", 0xf00000, false},
    {"wide", 0x00e000, false},            {"opaque", 0x800002, false},   {"opaque-only", 0x000002, false},
    {"undefined-bits", 0x800ff0, true},   {"defined", 0xfff000, false},
};

void trace_seeds() {
    const std::array<std::byte, 8> snap{std::byte{1}, std::byte{2}, std::byte{3}, std::byte{4},
                                        std::byte{5}, std::byte{6}, std::byte{7}, std::byte{8}};
    std::array<std::byte, 1024> buf{};
    for (const seed_type& t : trace_types) {
        const tr::trace_shape s = tr::shape_of(t.type);
        // trace_node: type, policy, three nodes.
        const bytes nodes = encode_nodes(s, 3, 1, snap);
        bytes head(4);
        store_be24(head.data(), t.type);
        head[3] = std::byte{t.lenient ? std::uint8_t{1} : std::uint8_t{0}};
        put("trace_node", t.name, cat({head, nodes}));

        const std::uint8_t policy = t.lenient ? 0x80 : 0;
        // Pre-allocated: room for four nodes, two pushed.
        tr::trace_header h{123, s.node_len, 0, static_cast<std::uint8_t>(4 * (s.node_len + (s.opaque ? 3 : 0))),
                           s.type, 0};
        auto n = tr::encode_preallocated(h, buf);
        if (n) {
            bytes_span body(buf.data(), *n);
            (void)tr::push_node(body, node(0, s.opaque ? bytes_view(snap) : bytes_view{}));
            (void)tr::push_node(body, node(1));
            put("trace_option", std::string("prealloc-") + t.name, with_prefix(policy | 0, body));
            std::array<std::byte, 1024> hdr{};  // an option holds at most 253 octets of body
            if (auto m = tr::ipv6::encode_ioam_header(17, tr::option_type::preallocated_trace, body, hdr))
                put("trace_ipv6", std::string("prealloc-") + t.name, bytes_view(hdr).first(*m));
        }
        // Incremental: two nodes.
        const std::array<tr::node_data, 2> inc{node(2), node(3)};
        tr::trace_header hi{124, s.node_len, 0, 10, s.type, 0};
        if (auto m = tr::encode_incremental(hi, inc, buf))
            put("trace_option", std::string("incremental-") + t.name, with_prefix(policy | 1, bytes_view(buf).first(*m)));
    }
    // Overflowed pre-allocated trace.
    {
        tr::trace_header h{5, 1, tr::flag_overflow, 0, 0x800000, 0};
        auto n = tr::encode_preallocated(h, buf);
        put("trace_option", "overflow", with_prefix(0, bytes_view(buf).first(n.value_or(0))));
    }
    tr::pot_option pot{9, 0, 0, 0x1122334455667788ULL, 0x99aabbccddeeff00ULL};
    bytes pot_body(tr::pot_size);
    (void)tr::encode_pot(pot, pot_body);
    put("trace_option", "pot", with_prefix(2, pot_body));
    tr::e2e_option e2e{10, 1, 2, 3, 4};
    std::array<std::byte, 24> e2e_buf{};
    bytes e2e_body(e2e_buf.begin(), e2e_buf.begin() + static_cast<std::ptrdiff_t>(tr::encode_e2e(e2e, e2e_buf).value_or(0)));
    put("trace_option", "e2e", with_prefix(3, e2e_body));
    tr::dex_option dex{11, 0, 0, 0xf00000, 0, 0xabcd, 42};
    std::array<std::byte, 16> dex_buf{};
    bytes dex_body(dex_buf.begin(), dex_buf.begin() + static_cast<std::ptrdiff_t>(tr::encode_dex(dex, dex_buf).value_or(0)));
    put("trace_option", "dex", with_prefix(4, dex_body));

    // IPv6 options headers: each option alone, then several in one header.
    std::array<std::byte, 256> hdr{};
    auto header = [&](tr::option_type t, bytes_view body) {
        auto m = tr::ipv6::encode_ioam_header(59, t, body, hdr);
        return bytes(hdr.begin(), hdr.begin() + static_cast<std::ptrdiff_t>(m.value_or(0)));
    };
    put("trace_ipv6", "pot", header(tr::option_type::pot, pot_body));
    put("trace_ipv6", "e2e", header(tr::option_type::e2e, e2e_body));
    put("trace_ipv6", "dex", header(tr::option_type::dex, dex_body));
    tr::ipv6::options_writer w(hdr, 6);
    const std::array<std::byte, 3> router_alert{std::byte{0}, std::byte{0}, std::byte{0}};
    w.add(0x05, bytes_view(router_alert).first(2), 2, 0);
    w.add_ioam(tr::option_type::dex, dex_body);
    w.add_ioam(tr::option_type::e2e, e2e_body, tr::ipv6::opt_ioam_static);
    w.add(0x3e, router_alert);
    if (auto m = w.finish()) put("trace_ipv6", "several", bytes_view(hdr).first(*m));
}

/// A pcap of netlink datagrams, as the exporter's --record writes it.
bytes replay_pcap(const std::vector<bytes>& datagrams) {
    char* mem = nullptr;
    std::size_t mem_size = 0;
    std::FILE* f = open_memstream(&mem, &mem_size);
    ioam_tools::pcap::writer pw(f);
    bool ok = f && pw.header();
    for (std::uint32_t k = 0; k < datagrams.size(); ++k) ok = ok && pw.record(datagrams[k], 1700000000 + k, 1000 * k);
    ok = f && std::fclose(f) == 0 && ok;
    if (!ok) {
        std::fprintf(stderr, "cannot write a replay pcap\n");
        std::exit(1);
    }
    const auto* p = reinterpret_cast<const std::byte*>(mem);
    bytes out(p, p + mem_size);
    std::free(mem);
    return out;
}

void netlink_seeds() {
    constexpr std::uint16_t family = 0x1d;
    std::array<std::byte, 2048> buf{};
    const tr::trace_shape s = tr::shape_of(0xfff002);
    const std::array<std::byte, 4> snap{std::byte{0xde}, std::byte{0xad}, std::byte{0xbe}, std::byte{0xef}};
    const bytes data = encode_nodes(s, 2, 0, snap);
    nl::trace_event te{123, s.node_len, s.type << 8, data, 0};
    {
        nl::message_writer w(buf);
        nl::encode_trace_event(w, family, te, 1);
        put("netlink_event", "trace", w.written());
    }
    nl::dex_event de;
    de.namespace_id = 7;
    de.flow_id = 0xabcdef;
    de.seq_num = 3;
    const std::array<std::byte, 8> wide{std::byte{1}, std::byte{2}, std::byte{3}, std::byte{4},
                                        std::byte{5}, std::byte{6}, std::byte{7}, std::byte{8}};
    for (unsigned b : {0U, 1U, 2U, 3U, 8U, 9U}) {
        de.field[b] = bytes_view(wide).first(tr::bits[b].size);
        de.present |= tr::bit_mask(b);
    }
    de.present |= tr::opaque_mask;
    de.oss_schema = 0x123456;
    de.oss_data = snap;
    {
        nl::message_writer w(buf);
        nl::encode_dex_event(w, family, de, 2, false);
        put("netlink_event", "dex", w.written());
    }
    {
        nl::message_writer w(buf);
        nl::encode_dex_event(w, family, de, 3, true);
        nl::encode_trace_event(w, family, te, 4);
        put("netlink_event", "dex-padded-and-trace", w.written());
    }

    // The exporter's replay input: a pcap of three datagrams (a trace, a
    // DEX event, then a padded DEX event, the trace again and a trace
    // without node data in one datagram), behind the harness's option octet.
    const tr::trace_shape es = tr::shape_of(0xc00000);
    const nl::trace_event empty{124, es.node_len, es.type << 8, {}, 0};
    std::vector<bytes> datagrams;
    for (int k = 0; k < 3; ++k) {
        nl::message_writer w(buf);
        if (k == 0) nl::encode_trace_event(w, family, te, 5);
        if (k == 1) nl::encode_dex_event(w, family, de, 6, false);
        if (k == 2) {
            nl::encode_dex_event(w, family, de, 7, true);
            nl::encode_trace_event(w, family, te, 8);
            nl::encode_trace_event(w, family, empty, 9);
        }
        datagrams.emplace_back(w.written().begin(), w.written().end());
    }
    const bytes file = replay_pcap(datagrams);
    // Option octets: see fuzz/exporter_replay.cpp.
    put("exporter_replay", "all-nodes", with_prefix(0x00, file));
    put("exporter_replay", "reporting-only-small-mtu-two-templates", with_prefix(0x07, file));
    put("exporter_replay", "refresh-padded-mtu-400", with_prefix(0x5a, file));

    // A node whose snapshot (256 octets) cannot fit a 256-octet message
    // beside one that can: one record dropped as too big, one written.
    const tr::trace_shape os = tr::shape_of(0x800002);
    const bytes big(256, std::byte{0x5c});
    const bytes nodes = encode_nodes(os, 2, 0, big);
    nl::message_writer w(buf);
    nl::encode_trace_event(w, family, nl::trace_event{125, os.node_len, os.type << 8, nodes, 0}, 10);
    put("exporter_replay", "too-big-mtu-256", with_prefix(0x02, replay_pcap({bytes(w.written().begin(), w.written().end())})));

    // rawexport (fuzz/rawexport.cpp): rebuilt option octets behind the
    // selector octet (Option-Type index, lenient), and an IPFIX stream of
    // rawexport records of the same events (selector bit 7).
    namespace rx = ioam::exporting::rawexport;
    std::array<std::byte, rx::max_option_size> opt{};
    if (auto n = rx::rebuild_trace_option(te, opt)) put("rawexport", "trace-option", with_prefix(0x40, bytes(opt.begin(), opt.begin() + static_cast<std::ptrdiff_t>(*n))));
    if (auto n = rx::rebuild_trace_option(empty, opt)) put("rawexport", "empty-trace-option", with_prefix(0x40, bytes(opt.begin(), opt.begin() + static_cast<std::ptrdiff_t>(*n))));
    if (auto n = rx::rebuild_dex_option(de, opt)) put("rawexport", "dex-option", with_prefix(0x44, bytes(opt.begin(), opt.begin() + static_cast<std::ptrdiff_t>(*n))));
    struct stream_sink {
        bytes out;
        bool send(ioam::bytes_view m, std::uint32_t) {
            out.insert(out.end(), m.begin(), m.end());
            return true;
        }
        [[nodiscard]] ioam::ipfix::transport transport() const { return ioam::ipfix::transport::udp; }
    } sink;
    ioam::exporting::session_options so;
    so.capacity = 65535;
    static ioam::exporting::session<ioam::exporting::rawexport_layout, stream_sink, 4> ex(sink, so);
    ex.tick({0, 1700000000});
    for (const auto& d : datagrams) {
        nl::message_reader r(d);
        while (!r.done()) {
            auto m = r.next();
            if (!m) break;
            if (auto ev = nl::decode_event(*m)) (void)ex.add(*ev, 1700000000123456789ULL);
        }
    }
    ex.flush();
    const bytes& ipfix = sink.out;
    put("rawexport", "ipfix-stream", with_prefix(0xc0, ipfix));
}
}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s CORPUS_DIR (e.g. fuzz/corpus)\n", argv[0]);
        return 2;
    }
    root = argv[1];
    ipfix_seeds();
    trace_seeds();
    netlink_seeds();
    std::printf("%d seed files written under %s\n", written, root.c_str());
    return 0;
}
