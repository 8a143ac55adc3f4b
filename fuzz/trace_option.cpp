// The IOAM option bodies: the first octet picks the Option-Type (and the
// trace-type policy), the rest is the body. Pre-allocated and incremental
// traces (decode_trace), POT, E2E and DEX; every field is read and each
// option is re-encoded with our encoder and decoded again.
#include "trace_common.hpp"

namespace {
using namespace ioam;
using namespace ioam::trace;

void trace_option_body(option_type kind, bytes_view body, type_policy policy, std::size_t size) {
    auto t = decode_trace(kind, body, policy, 1);
    if (!t) return fuzz::check_error(t.error(), size);
    fuzz::use(t->header.namespace_id);
    fuzz::use(t->header.flags);
    fuzz::use(t->header.overflow());
    fuzz::use(t->header.reserved);
    FUZZ_CHECK(t->data.size() == body.size() - trace_header_size);
    const auto nodes = fuzz::read_nodes(t->nodes);
    // Re-encode: header, then (pre-allocated) the empty space, then the nodes.
    std::vector<std::byte> out(body.size());
    if (kind == option_type::preallocated_trace) {
        auto n = encode_preallocated(t->header, out);
        FUZZ_CHECK(n.has_value());
        trace_header filled = t->header;
        filled.remaining_len = 0;
        std::vector<std::byte> tail(trace_header_size + t->filled.size());
        auto m = encode_incremental(filled, nodes, tail);
        FUZZ_CHECK(m.has_value() && *m == tail.size());
        std::copy(tail.begin() + trace_header_size, tail.end(), out.begin() + static_cast<std::ptrdiff_t>(*n));
    } else {
        auto n = encode_incremental(t->header, nodes, out);
        FUZZ_CHECK(n.has_value() && *n == out.size());
    }
    auto back = decode_trace(kind, out, policy);
    FUZZ_CHECK(back.has_value());
    FUZZ_CHECK(back->header == t->header);
    FUZZ_CHECK(back->nodes.size() == t->nodes.size());
    FUZZ_CHECK(std::equal(back->filled.begin(), back->filled.end(), t->filled.begin(), t->filled.end()));
    // A transit node adding itself to a pre-allocated trace keeps it decodable.
    if (kind == option_type::preallocated_trace && !nodes.empty()) {
        auto pushed = push_node(out, nodes.front());
        FUZZ_CHECK(pushed.has_value());
        auto after = decode_trace(kind, out, policy);
        FUZZ_CHECK(after.has_value());
        if (*pushed == push_status::written) FUZZ_CHECK(after->nodes.size() == t->nodes.size() + 1);
        else FUZZ_CHECK(after->header.overflow() && after->nodes.size() == t->nodes.size());
    }
}

void pot(bytes_view body, std::size_t size) {
    auto p = decode_pot(body, 1);
    if (!p) return fuzz::check_error(p.error(), size);
    fuzz::use(p->random);
    fuzz::use(p->cumulative);
    std::array<std::byte, pot_size> out{};
    auto n = encode_pot(*p, out);
    FUZZ_CHECK(n.has_value() && *n == pot_size);
    FUZZ_CHECK(std::equal(out.begin(), out.end(), body.begin()));
    auto back = decode_pot(out);
    FUZZ_CHECK(back.has_value() && *back == *p);
}

void e2e(bytes_view body, std::size_t size) {
    auto e = decode_e2e(body, 1);
    if (!e) return fuzz::check_error(e.error(), size);
    fuzz::use(e->type());
    fuzz::use(e->seq64.value_or(0));
    fuzz::use(e->seq32.value_or(0));
    fuzz::use(e->seconds.value_or(0));
    fuzz::use(e->subseconds.value_or(0));
    std::array<std::byte, 24> out{};
    auto n = encode_e2e(*e, out);
    FUZZ_CHECK(n.has_value() && *n <= body.size());
    FUZZ_CHECK(std::equal(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(*n), body.begin()));
    auto back = decode_e2e(bytes_view(out).first(*n));
    FUZZ_CHECK(back.has_value() && *back == *e);
}

void dex(bytes_view body, type_policy policy, std::size_t size) {
    auto d = decode_dex(body, policy, 1);
    if (!d) return fuzz::check_error(d.error(), size);
    fuzz::use(d->flags);
    fuzz::use(d->ext_flags);
    fuzz::use(d->type);
    fuzz::use(d->flow_id.value_or(0));
    fuzz::use(d->seq_num.value_or(0));
    std::array<std::byte, 16> out{};
    auto n = encode_dex(*d, out);
    FUZZ_CHECK(n.has_value());
    auto back = decode_dex(bytes_view(out).first(*n), policy);
    FUZZ_CHECK(back.has_value());
    // Unknown extension flags are not written again; everything else is.
    dex_option expect = *d;
    expect.ext_flags = static_cast<std::uint8_t>(d->ext_flags & (dex_ext_flow_id | dex_ext_seq_num));
    FUZZ_CHECK(*back == expect);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto buf = fuzz::copy_exact(data, size);
    if (buf.empty()) return 0;
    const unsigned sel = std::to_integer<unsigned>(buf[0]);
    const type_policy policy = (sel & 0x80) ? type_policy::lenient : type_policy::strict;
    const bytes_view body = bytes_view(buf).subspan(1);
    switch ((sel & 0x7f) % 5) {
    case 0: trace_option_body(option_type::preallocated_trace, body, policy, size); break;
    case 1: trace_option_body(option_type::incremental_trace, body, policy, size); break;
    case 2: pot(body, size); break;
    case 3: e2e(body, size); break;
    default: dex(body, policy, size); break;
    }
    return 0;
}
