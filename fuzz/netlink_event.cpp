// The kernel's IOAM6 generic netlink events: message_reader over a datagram,
// decode_event (TRACE and DEX, checked against the reference decoder of
// netlink_reference.hpp), the trace's nodes and every value, the DEX
// fields. Each event is written again with encode_trace_event /
// encode_dex_event, decoded again and compared.
#include "ioam/netlink/event.hpp"
#include "ioam/netlink/message.hpp"
#include "netlink_reference.hpp"
#include "trace_common.hpp"

namespace {
using namespace ioam;
using namespace ioam::netlink;

void read_dex(const dex_event& d) {
    fuzz::use(d.option_type);
    fuzz::use(d.namespace_id);
    fuzz::use(d.flow_id.value_or(0));
    fuzz::use(d.seq_num.value_or(0));
    d.for_each_value([](const trace::field_value& f) {
        fuzz::use(f.value);
        fuzz::use(f.unavailable);
    });
    for (const auto& info : trace::value_table) {
        const auto raw = d.raw(info.id);
        FUZZ_CHECK(raw.has_value() == d.has(info.id));
        if (raw) fuzz::use(*raw);
    }
    if (auto o = d.opaque()) {
        fuzz::use(o->schema_id);
        fuzz::use(o->data);
    }
}

bool same_dex(const dex_event& a, const dex_event& b) {
    if (a.option_type != b.option_type || a.namespace_id != b.namespace_id || a.flow_id != b.flow_id ||
        a.seq_num != b.seq_num || a.present != b.present || a.oss_schema != b.oss_schema)
        return false;
    for (unsigned i = 0; i < 22; ++i)
        if (!std::equal(a.field[i].begin(), a.field[i].end(), b.field[i].begin(), b.field[i].end())) return false;
    return std::equal(a.oss_data.begin(), a.oss_data.end(), b.oss_data.begin(), b.oss_data.end());
}

void round_trip(const event& ev, std::uint16_t family, std::size_t payload) {
    std::vector<std::byte> out(payload + 64 + 8 * 22);
    netlink::message_writer w(out);
    const bool pad = (ev.pads & 1) != 0;
    if (ev.type == ioam6::event_type::trace) encode_trace_event(w, family, ev.trace, 7);
    else encode_dex_event(w, family, ev.dex, 7, pad);
    auto n = w.status();
    FUZZ_CHECK(n.has_value());
    message_reader r(w.written());
    auto m = r.next();
    FUZZ_CHECK(m.has_value() && r.done());
    FUZZ_CHECK(m->type == family && m->seq == 7);
    auto back = decode_event(*m);
    FUZZ_CHECK(back.has_value());
    FUZZ_CHECK(back->type == ev.type && back->skipped == 0);
    if (ev.type == ioam6::event_type::trace) {
        FUZZ_CHECK(back->trace.namespace_id == ev.trace.namespace_id);
        FUZZ_CHECK(back->trace.node_len == ev.trace.node_len);
        FUZZ_CHECK(back->trace.type_word == ev.trace.type_word);
        FUZZ_CHECK(std::equal(back->trace.data.begin(), back->trace.data.end(), ev.trace.data.begin(),
                              ev.trace.data.end()));
    } else {
        FUZZ_CHECK(same_dex(back->dex, ev.dex));
    }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto buf = fuzz::copy_exact(data, size);
    message_reader r(buf);
    event last;
    for (int i = 0; i < 256 && !r.done(); ++i) {
        auto m = r.next();
        if (!m) {
            fuzz::check_error(m.error(), size);
            break;
        }
        fuzz::use(m->type);
        fuzz::use(m->flags);
        FUZZ_CHECK(m->offset + nlmsg_header_size + m->payload.size() <= size);
        if (auto g = decode_genl_header(m->payload)) fuzz::use(g->cmd);
        // The one-loop decoder agrees with the reference walk, on a new
        // event and on one reused from the last message.
        FUZZ_CHECK(reference::agree(m->payload, m->offset + nlmsg_header_size));
        FUZZ_CHECK(reference::agree(m->payload, m->offset + nlmsg_header_size, last));
        auto ev = decode_event(*m);
        if (ev) last = *ev;
        if (!ev) {
            fuzz::check_error(ev.error(), size);
            continue;
        }
        fuzz::use(ev->skipped);
        if (ev->type == ioam6::event_type::trace) {
            fuzz::use(ev->trace.namespace_id);
            fuzz::use(ev->trace.trace_type());
            for (trace::type_policy p : {trace::type_policy::strict, trace::type_policy::lenient}) {
                auto nodes = ev->trace.nodes(p);
                if (nodes) fuzz::read_nodes(*nodes);
                else fuzz::check_error(nodes.error(), size);
            }
        } else {
            read_dex(ev->dex);
        }
        round_trip(*ev, m->type, m->payload.size());
    }
    return 0;
}
