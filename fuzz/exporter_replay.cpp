// The exporter's whole event-to-IPFIX path, fed as its --replay input is: a
// pcap of netlink datagrams (exporters/ioam-exporter/pcap.hpp), each datagram
// through message_reader and decode_event, each event into the export
// session (ioam/export/session.hpp, PEN 10383 layout) that ioam-exporter
// runs. Every message the session sends is parsed and run through the
// template cache, and each record read back with
// exporting::decode_record must carry the values of the event it came from
// (namespace, trace type, node index and count, every value, schema and
// snapshot); records written must equal records decoded, templates written
// equal templates learnt.
//
// Input: one option octet, then the pcap file.
//   bit 0: node_selection::reporting_only     bit 1: a small MTU (256-760
//   bit 2: a template table of 2 (evictions)  by bits 5-7), else 1472 and
//   bit 3: resend templates after each        bits 5-7 pick the first
//   datagram                                  template id
//   bit 4: sets padded to 4 octets
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "fuzz.hpp"
#include "ioam/export/decode.hpp"
#include "ioam/export/pen10383_layout.hpp"
#include "ioam/export/session.hpp"
#include "ioam/export/pen10383.hpp"
#include "ioam/ipfix/message.hpp"
#include "ioam/ipfix/template_cache.hpp"
#include "ioam/netlink/event.hpp"
#include "ioam/netlink/message.hpp"
#include "ioam/trace/node.hpp"
#include "pcap.hpp"

namespace {
using namespace ioam;
namespace xp = ioam::exporting;
namespace nl = ioam::netlink;
namespace tr = ioam::trace;
namespace pcap = ioam_tools::pcap;

constexpr std::uint32_t type_bits = tr::type_mask;  // bit 23 too: the type as the packet carries it

/// An event the exporter accepted, and the node index its next record may have.
struct expected {
    nl::event ev;
    std::size_t next_index = 0;
    std::size_t records = 0;
};

/// A value present in a record iff the shape carries it and PEN 10383 names it.
template <class Raw>
void check_values(const xp::decoded_record& d, std::uint32_t type, Raw&& raw) {
    for (const auto& v : tr::value_table) {
        const bool present = (type & tr::bit_mask(v.bit)) && xp::pen10383::element_of(v.id) != xp::pen10383::none;
        FUZZ_CHECK(d.value(v.id).has_value() == present);
        if (present) FUZZ_CHECK(*d.value(v.id) == raw(v.id));
    }
}

void check_opaque(const xp::decoded_record& d, const std::optional<tr::opaque_snapshot>& o) {
    FUZZ_CHECK(d.schema_id.has_value() == o.has_value());
    FUZZ_CHECK(d.snapshot.has_value() == o.has_value());
    if (!o) return;
    FUZZ_CHECK(*d.schema_id == o->schema_id);
    FUZZ_CHECK(std::equal(d.snapshot->begin(), d.snapshot->end(), o->data.begin(), o->data.end()));
}

class harness {
public:
    harness(std::uint8_t opt, std::size_t capacity)
        : opt_(opt), capacity_(capacity), cache_(ipfix::ie_registry{xp::pen10383::registry()}) {}

    /// The session's sink: decode and check the message.
    bool send(bytes_view msg, std::uint32_t records) {
        FUZZ_CHECK(msg.size() <= capacity_);
        // A copy of exactly the message's size: a read past it is an ASan report.
        const std::vector<std::byte> copy(msg.begin(), msg.end());
        auto v = ipfix::parse_message(copy);
        FUZZ_CHECK(v.has_value());
        const auto sum = cache_.process(1, *v, 0, [&](const ipfix::dynamic_record& rec) { check(rec); });
        FUZZ_CHECK(sum.skipped_sets == 0);
        FUZZ_CHECK(sum.first_error.code == errc::ok);
        FUZZ_CHECK(!sum.sequence_gap);
        FUZZ_CHECK(sum.records == records);
        learnt_ += sum.templates;
        redefinitions_ += sum.redefinitions;
        return true;
    }
    [[nodiscard]] ipfix::transport transport() const { return ipfix::transport::udp; }

    template <class Exporter>
    void run(Exporter& ex, pcap::reader& r, std::size_t size) {
        pcap::record rec;
        while (r.next(rec)) {
            fuzz::use(rec.sec);
            fuzz::use(rec.usec);
            FUZZ_CHECK(rec.offset + pcap::record_header_size + pcap::cooked_header_size + rec.datagram.size() <= size);
            datagram(ex, rec.datagram);
            if (opt_ & 0x08) ex.refresh_templates();
        }
        if (r.error()) FUZZ_CHECK(r.position() <= size);
        ex.flush();
        const auto& c = ex.counters();
        const auto& k = ex.layout().counts;
        FUZZ_CHECK(c.records == decoded_);
        FUZZ_CHECK(c.templates == learnt_);
        FUZZ_CHECK(c.inputs == k.trace_events + k.dex_events);
        FUZZ_CHECK(c.inputs == events_.size());
        FUZZ_CHECK(c.messages_not_sent == 0);
        FUZZ_CHECK(redefinitions_ <= c.evictions);
        // A record of any shape fits an empty message of this size.
        if (capacity_ >= ipfix::message_header_size + 4 + xp::max_record_size) FUZZ_CHECK(c.too_big == 0);
        fuzz::use(c.malformed);
        fuzz::use(k.empty_traces);
    }

private:
    template <class Exporter>
    void datagram(Exporter& ex, bytes_view d) {
        nl::message_reader r(d);
        while (!r.done()) {
            auto m = r.next();
            if (!m) {
                FUZZ_CHECK(m.error().offset <= d.size());
                break;
            }
            // As the exporter: no family filter (it takes all when the id is unknown).
            if (m->type < nl::nlmsg_min_type || m->type == nl::genl_id_ctrl) continue;
            auto ev = nl::decode_event(*m);
            if (!ev) {
                FUZZ_CHECK(ev.error().offset <= d.size());
                continue;
            }
            // Records of this event may be flushed (and checked) inside add().
            events_.push_back({*ev, 0, 0});
            const auto before = ex.counters();
            auto res = ex.add(*ev);
            const auto& after = ex.counters();
            if (after.inputs == before.inputs) {
                FUZZ_CHECK(!res);
                FUZZ_CHECK(events_.back().records == 0);
                FUZZ_CHECK(after.records == before.records);
                events_.pop_back();
                continue;
            }
            FUZZ_CHECK(after.inputs == before.inputs + 1);
            FUZZ_CHECK(after.malformed == before.malformed);
            const std::uint64_t written = after.records - before.records;
            if (res) FUZZ_CHECK(after.too_big == before.too_big);
            else FUZZ_CHECK(after.too_big > before.too_big);
            if (ev->type == nl::ioam6::event_type::dex) {
                FUZZ_CHECK(written + (after.too_big - before.too_big) == 1);
            } else {
                const auto nodes = ev->trace.nodes(ex.layout().options.policy);
                FUZZ_CHECK(nodes.has_value());
                const std::size_t most =
                    nodes->empty() || ex.layout().options.nodes == xp::node_selection::reporting_only ? 1 : nodes->size();
                FUZZ_CHECK(written + (after.too_big - before.too_big) == most);
            }
        }
    }

    void check(const ipfix::dynamic_record& rec) {
        ++decoded_;
        const xp::decoded_record d = xp::decode_record(rec);
        FUZZ_CHECK(d.other_fields == 0);
        FUZZ_CHECK(d.event_id.has_value() && *d.event_id >= 1 && *d.event_id <= events_.size());
        expected& e = events_[*d.event_id - 1];
        ++e.records;
        FUZZ_CHECK(d.option_type && d.namespace_id && d.trace_type);
        if (e.ev.type == nl::ioam6::event_type::dex) {
            const nl::dex_event& x = e.ev.dex;
            FUZZ_CHECK(e.records == 1);
            FUZZ_CHECK(*d.option_type == xp::option_dex);
            FUZZ_CHECK(*d.namespace_id == x.namespace_id);
            FUZZ_CHECK(*d.trace_type == (x.present & type_bits));
            FUZZ_CHECK(!d.node_index && !d.node_count);
            FUZZ_CHECK(d.flow_id == x.flow_id);
            FUZZ_CHECK(d.sequence == x.seq_num);
            check_values(d, x.present, [&](tr::value_id v) { return *x.raw(v); });
            check_opaque(d, x.opaque());
            return;
        }
        const nl::trace_event& t = e.ev.trace;
        FUZZ_CHECK(*d.option_type == xp::option_preallocated_trace);
        FUZZ_CHECK(*d.namespace_id == t.namespace_id);
        FUZZ_CHECK(*d.trace_type == (t.trace_type() & type_bits));
        FUZZ_CHECK(!d.flow_id && !d.sequence);
        const auto nodes = t.nodes(tr::type_policy::lenient);
        FUZZ_CHECK(nodes.has_value());
        FUZZ_CHECK(d.node_index && d.node_count && *d.node_count == nodes->size());
        // Nodes in order, none twice; with reporting_only node 0 alone.
        FUZZ_CHECK(*d.node_index >= e.next_index);
        e.next_index = *d.node_index + 1U;
        if (opt_ & 0x01) FUZZ_CHECK(*d.node_index == 0);
        if (nodes->empty()) {
            FUZZ_CHECK(*d.node_index == 0 && d.pen_fields == 6);
            check_values(d, 0, [](tr::value_id) { return std::uint64_t{0}; });
            check_opaque(d, std::nullopt);
            return;
        }
        FUZZ_CHECK(*d.node_index < nodes->size());
        const tr::node_view n = (*nodes)[*d.node_index];
        check_values(d, t.trace_type(), [&](tr::value_id v) { return *n.raw(v); });
        check_opaque(d, n.opaque());
    }

    std::uint8_t opt_;
    std::size_t capacity_;
    ipfix::template_cache cache_;
    std::vector<expected> events_;  // by event id - 1
    std::uint64_t decoded_ = 0, learnt_ = 0, redefinitions_ = 0;
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const auto buf = fuzz::copy_exact(data, size);
    const std::uint8_t opt = data[0];
    const bytes_view file = bytes_view(buf).subspan(1);
    pcap::reader r;
    if (!r.open(file)) {
        fuzz::use(std::string_view(r.error()));
        return 0;
    }
    const std::size_t capacity = opt & 0x02 ? 256 + static_cast<std::size_t>(opt >> 5) * 72 : 1472;
    xp::session_options o;
    o.capacity = capacity;
    o.set_alignment = opt & 0x10 ? 4 : 0;
    xp::pen10383_layout layout;
    layout.options.nodes = opt & 0x01 ? xp::node_selection::reporting_only : xp::node_selection::all;
    // With the large message, bits 5-7 pick the first template id instead,
    // the edges of the id space included.
    constexpr std::uint16_t first_ids[8] = {256, 300, 4096, 65279, 65534, 65535, 0, 255};
    if (!(opt & 0x02)) o.first_template_id = first_ids[opt >> 5];
    harness h(opt, capacity);
    if (opt & 0x04) {
        auto ex = std::make_unique<xp::session<xp::pen10383_layout, harness, 2>>(h, o, layout);
        h.run(*ex, r, file.size());
    } else {
        auto ex = std::make_unique<xp::session<xp::pen10383_layout, harness>>(h, o, layout);
        h.run(*ex, r, file.size());
    }
    return 0;
}
