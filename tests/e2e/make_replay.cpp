// Writes the replay test's input: a pcap (link type NETLINK) of IOAM6 events
// built with the netlink encoder -- the standard traces (with those that
// broke the Go exporter), DEX events, and malformed events between them --
// plus what the collector must print for it, derived from the inputs.
//
//   make_replay OUT.pcap EXPECTED.jsonl COUNTS
//   make_replay --shapes N OUT.pcap EXPECTED.jsonl COUNTS
// COUNTS gets "events=N records=N malformed=N" for the exporter's statistics.
// --shapes writes N one-node TRACE events of N different trace types instead
// (more shapes than the exporter's template table: ids are reused).
#include "events.hpp"
#include "pcap.hpp"
#include "print.hpp"

#include "ioam/export/pen10383.hpp"

#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

namespace {

namespace t = ioam::trace;
namespace nl = ioam::netlink;
namespace xp = ioam::exporting;

struct output {
    std::FILE* pcap_file = nullptr;
    ioam_tools::pcap::writer pcap;
    std::FILE* expected = nullptr;
    std::uint32_t events = 0, records = 0, malformed = 0, seq = 0;
    std::vector<std::vector<std::byte>> keep;  // snapshots referenced by expected records

    void datagram(const std::vector<std::byte>& d) {
        if (!pcap.record(d, 1700000000, seq++)) std::perror("pcap");
    }
    void expect(const xp::decoded_record& d) {
        ioam_tools::print_json(expected, d);
        ++records;
    }
    xp::decoded_record base(std::uint8_t option, std::uint16_t ns, std::uint32_t type) {
        xp::decoded_record d;
        d.event_id = events;
        d.option_type = option;
        d.namespace_id = ns;
        d.trace_type = type;
        return d;
    }
    void values(xp::decoded_record& d, std::uint32_t type, const e2e::node_input& n) {
        for (const auto& v : t::value_table)
            if ((type & t::bit_mask(v.bit)) && xp::pen10383::element_of(v.id) != xp::pen10383::none)
                d.values[static_cast<std::size_t>(v.id)] = n.data.get(v.id);
        if (type & t::opaque_mask) {
            d.schema_id = n.data.schema_id;
            d.snapshot = ioam::bytes_view(n.snapshot);
        }
    }
    void trace(const e2e::trace_input& in) {
        datagram(e2e::trace_message(in, seq));
        ++events;
        if (in.nodes.empty()) {
            auto d = base(0, in.namespace_id, in.type);
            d.node_index = 0;
            d.node_count = 0;
            expect(d);
            return;
        }
        for (std::size_t i = 0; i < in.nodes.size(); ++i) {
            auto d = base(0, in.namespace_id, in.type);
            d.node_index = static_cast<std::uint8_t>(i);
            d.node_count = static_cast<std::uint8_t>(in.nodes.size());
            values(d, in.type, in.nodes[i]);
            expect(d);
        }
    }
    void dex(const e2e::dex_input& in) {
        datagram(e2e::dex_message(in, seq));
        ++events;
        auto d = base(4, in.namespace_id, in.type);
        d.flow_id = in.flow_id;
        d.sequence = in.seq_num;
        values(d, in.type, in.node);
        expect(d);
    }
    void bad(const std::vector<std::byte>& d) {
        datagram(d);
        ++malformed;
    }
};

// Sets a host-order 16-bit value at offset off.
void put16(std::vector<std::byte>& b, std::size_t off, std::uint16_t v) {
    b[off] = static_cast<std::byte>(v & 0xff);
    b[off + 1] = static_cast<std::byte>(v >> 8);
}

}  // namespace

int main(int argc, char** argv) {
    unsigned long shapes = 0;
    if (argc == 6 && std::string_view(argv[1]) == "--shapes") {
        shapes = std::strtoul(argv[2], nullptr, 10);
        argv += 2;
        argc -= 2;
    }
    if (argc != 4 || shapes > 4095) {
        std::fprintf(stderr, "usage: make_replay [--shapes N] OUT.pcap EXPECTED.jsonl COUNTS\n");
        return 2;
    }
    output o;
    o.pcap_file = std::fopen(argv[1], "wb");
    o.expected = std::fopen(argv[2], "w");
    std::FILE* counts = std::fopen(argv[3], "w");
    if (!o.pcap_file || !o.expected || !counts) {
        std::perror("make_replay");
        return 1;
    }
    o.pcap = ioam_tools::pcap::writer(o.pcap_file);
    if (!o.pcap.header()) return 1;
    if (shapes > 0) {
        // Trace types 0x001000, 0x002000, ...: every combination of bits 0-11 is a shape of its own.
        for (unsigned long i = 1; i <= shapes; ++i)
            o.trace(e2e::trace_input{"shape", 7, static_cast<std::uint32_t>(i << 12), {e2e::make_node(0, std::nullopt, 0)}});
        std::fprintf(counts, "events=%u records=%u malformed=%u\n", o.events, o.records, o.malformed);
        return std::fclose(o.pcap_file) == 0 && std::fclose(o.expected) == 0 && std::fclose(counts) == 0 ? 0 : 1;
    }

    const auto traces = e2e::standard_traces();
    for (const auto& in : traces) o.trace(in);

    const auto good = traces[0];
    const auto msg = e2e::trace_message(good);  // nlmsghdr(16) genl(4) NAMESPACE(8) NODELEN(8) TYPE(8) DATA
    constexpr std::size_t attrs = 20;
    {   // A truncated attribute: DATA claims more than the message holds.
        auto b = msg;
        put16(b, attrs + 24, 0x400);
        o.bad(b);
    }
    {   // Wrong lengths: NAMESPACE with 3 octets.
        auto b = msg;
        put16(b, attrs, 7);
        o.bad(b);
    }
    {   // NodeLen 0 (the kernel drops such packets; an event saying so is malformed).
        auto b = msg;
        b[attrs + 8 + 4] = std::byte{0};
        o.bad(b);
    }
    {   // NodeLen 0 with trace type 0: nothing to lay out.
        e2e::trace_input none{"type 0", 9, 0, {}};
        o.bad(e2e::trace_message(none));
    }
    {   // A required attribute missing: the TYPE attribute renamed to an unknown one.
        auto b = msg;
        put16(b, attrs + 16 + 2, 77);
        o.bad(b);
    }
    {   // An unknown genl command.
        auto b = msg;
        b[16] = std::byte{9};
        o.bad(b);
    }
    {   // Node data that does not tile: one octet short (4-aligned lengths stay legal).
        auto b = msg;
        const std::uint16_t data_len = static_cast<std::uint16_t>(std::to_integer<unsigned>(b[attrs + 24]) |
                                                                  std::to_integer<unsigned>(b[attrs + 25]) << 8);
        put16(b, attrs + 24, static_cast<std::uint16_t>(data_len - 4));
        b.resize(b.size() - 4);
        put16(b, 0, static_cast<std::uint16_t>(b.size()));
        o.bad(b);
    }
    {   // Netlink framing: nlmsg_len past the datagram.
        auto b = msg;
        put16(b, 0, static_cast<std::uint16_t>(b.size() + 64));
        o.bad(b);
    }
    // Unknown attributes are skipped, not fatal: this event exports normally.
    {
        std::vector<std::byte> b(512);
        nl::message_writer w(b);
        const auto data = e2e::encode_data(good);
        w.begin(e2e::family_id).genl(1);
        w.attr(99, ioam::make_bytes(1, 2, 3, 4, 5));
        w.attr_host(1, good.namespace_id, 2).attr_host(2, t::node_len_of(good.type), 1).attr_host(3, good.type << 8, 4);
        w.attr(4, data);
        w.attr(nl::ioam6::attr::pad, {});
        w.end();
        b.resize(w.status().value());
        o.datagram(b);
        ++o.events;
        for (std::size_t i = 0; i < good.nodes.size(); ++i) {
            auto d = o.base(0, good.namespace_id, good.type);
            d.node_index = static_cast<std::uint8_t>(i);
            d.node_count = static_cast<std::uint8_t>(good.nodes.size());
            o.values(d, good.type, good.nodes[i]);
            o.expect(d);
        }
    }
    // DEX events, with and without the optional fields and a snapshot.
    o.dex({42, 0xc20002, 0xabcdef01, 99, e2e::make_node(0, 3, 1)});
    o.dex({43, 0x800000, std::nullopt, std::nullopt, e2e::make_node(1, std::nullopt, 0)});
    // The exporter keeps running after all that: the standard traces again.
    for (const auto& in : traces) o.trace(in);

    std::fprintf(counts, "events=%u records=%u malformed=%u\n", o.events, o.records, o.malformed);
    std::fclose(counts);
    std::fclose(o.expected);
    std::fclose(o.pcap_file);
    return 0;
}
