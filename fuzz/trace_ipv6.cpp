// IPv6 Hop-by-Hop / Destination options headers (RFC 8200 4.2, RFC 9486):
// parse_options, every option, for_each_ioam and first_ioam, and each IOAM
// option decoded by its type. The options are written again with
// options_writer, parsed again, and must come back the same.
#include "ioam/trace/ipv6.hpp"
#include "trace_common.hpp"

namespace {
using namespace ioam;
using namespace ioam::trace;

void ioam_body(const ipv6::ioam_option& io, std::size_t size) {
    fuzz::use(io.reserved);
    fuzz::use(io.body);
    FUZZ_CHECK(io.offset + io.body.size() <= size);
    switch (io.type) {
    case option_type::preallocated_trace:
    case option_type::incremental_trace:
        for (type_policy p : {type_policy::strict, type_policy::lenient}) {
            if (auto t = decode_trace(io.type, io.body, p, io.offset)) fuzz::read_nodes(t->nodes);
            else fuzz::check_error(t.error(), size);
        }
        break;
    case option_type::pot:
        if (auto p = decode_pot(io.body, io.offset)) fuzz::use(p->cumulative);
        break;
    case option_type::e2e:
        if (auto e = decode_e2e(io.body, io.offset)) fuzz::use(e->type());
        break;
    case option_type::dex:
        if (auto d = decode_dex(io.body, type_policy::lenient, io.offset)) fuzz::use(d->type);
        break;
    default:
        fuzz::use(static_cast<std::uint64_t>(io.type));
    }
}

struct opt {
    std::uint8_t type;
    std::vector<std::byte> data;
    bool operator==(const opt&) const = default;
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto buf = fuzz::copy_exact(data, size);
    auto v = ipv6::parse_options(buf);
    if (!v) {
        fuzz::check_error(v.error(), size);
        return 0;
    }
    FUZZ_CHECK(v->bytes().size() <= size && v->bytes().size() % 8 == 0);
    fuzz::use(v->next_header());
    std::vector<opt> opts;
    for (const ipv6::option_view o : *v) {
        FUZZ_CHECK(o.type != ipv6::opt_pad1 && o.type != ipv6::opt_padn);
        FUZZ_CHECK(o.offset + 2 + o.data.size() <= v->bytes().size());
        opts.push_back({o.type, {o.data.begin(), o.data.end()}});
    }
    auto count = ipv6::for_each_ioam(*v, [&](const ipv6::ioam_option& io) { ioam_body(io, size); });
    if (!count) fuzz::check_error(count.error(), size);
    auto first = ipv6::first_ioam(*v);
    if (first) ioam_body(*first, size);
    else fuzz::check_error(first.error(), size);

    // Round trip through options_writer: IOAM options (4n-aligned, 4n bodies)
    // with add_ioam, the others as they are.
    std::vector<std::byte> out(ipv6::max_header_size + 8);
    ipv6::options_writer w(out, v->next_header());
    for (const opt& o : opts) {
        if (ipv6::is_ioam(o.type) && o.data.size() >= 2 && (o.data.size() - 2) % 4 == 0)
            w.add_ioam(static_cast<option_type>(std::to_integer<std::uint8_t>(o.data[1])),
                       bytes_view(o.data).subspan(2), o.type);
        else
            w.add(o.type, o.data);
    }
    auto n = w.finish();
    if (!n) return 0;  // e.g. longer than 2048 octets once realigned
    out.resize(*n);
    auto again = ipv6::parse_options(out);
    FUZZ_CHECK(again.has_value());
    FUZZ_CHECK(again->next_header() == v->next_header());
    std::vector<opt> opts2;
    for (const ipv6::option_view o : *again) opts2.push_back({o.type, {o.data.begin(), o.data.end()}});
    // add_ioam writes Reserved as zero.
    for (opt& o : opts)
        if (ipv6::is_ioam(o.type) && o.data.size() >= 2 && (o.data.size() - 2) % 4 == 0) o.data[0] = std::byte{0};
    FUZZ_CHECK(opts == opts2);
    return 0;
}
