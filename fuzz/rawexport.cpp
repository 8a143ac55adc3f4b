// The collector's side of the rawexport layout (include/ioam/export/rawexport.hpp).
// First octet: bit 7 picks the input kind, the rest picks the Option-Type and
// the trace-type policy.
//   bit 7 clear: the rest is a record's option octets: decode_option, every
//                node through for_each_node, every value read.
//   bit 7 set:   the rest is a stream of IPFIX messages (split at their length
//                fields) through the template cache with the rawexport and
//                PEN 10383 registries; every record through decode_record and,
//                when it carries an option, decode_option as above.
#include "fuzz.hpp"

#include "ioam/export/pen10383.hpp"
#include "ioam/export/rawexport.hpp"
#include "ioam/ipfix/iana.hpp"
#include "ioam/ipfix/message.hpp"
#include "ioam/ipfix/template_cache.hpp"
#include "ioam/trace/option.hpp"

namespace {
using namespace ioam;
namespace rx = ioam::exporting::rawexport;
namespace xp = ioam::exporting;

constexpr trace::option_type kinds[] = {trace::option_type::preallocated_trace, trace::option_type::incremental_trace,
                                        trace::option_type::pot, trace::option_type::e2e, trace::option_type::dex};

void option(trace::option_type kind, bytes_view data, trace::type_policy policy, std::size_t size) {
    auto o = rx::decode_option(kind, data, policy);
    if (!o) return fuzz::check_error(o.error(), size);
    FUZZ_CHECK(o->kind == kind);
    std::size_t calls = 0;
    rx::for_each_node(*o, [&](const xp::decoded_record& d) {
        ++calls;
        for (const auto& v : d.values)
            if (v) fuzz::use(*v);
        if (d.schema_id) fuzz::use(*d.schema_id);
        if (d.snapshot) fuzz::use(*d.snapshot);
        if (d.namespace_id) fuzz::use(*d.namespace_id);
        if (d.trace_type) FUZZ_CHECK((*d.trace_type & ~trace::type_mask) == 0);
    });
    switch (kind) {
    case trace::option_type::dex: FUZZ_CHECK(calls == 1); break;
    case trace::option_type::pot: case trace::option_type::e2e: FUZZ_CHECK(calls == 0); break;
    default: FUZZ_CHECK(calls == std::max<std::size_t>(1, o->trace.nodes.size())); break;
    }
}

void stream(bytes_view in, trace::type_policy policy, std::size_t size) {
    ipfix::ie_registry reg{xp::pen10383::registry()};
    reg.add(rx::registry());
    reg.add(ipfix::iana_registry);
    ipfix::template_cache cache(std::move(reg));
    std::size_t pos = 0;
    while (pos < in.size()) {
        const bytes_view rest = in.subspan(pos);
        auto len = ipfix::peek_message_length(rest);
        if (!len || *len > rest.size()) return;
        auto m = ipfix::parse_message(rest.first(*len), pos);
        pos += *len;
        if (!m) {
            fuzz::check_error(m.error(), size);
            continue;
        }
        (void)cache.process(0, *m, m->export_time(), [&](const ipfix::dynamic_record& r) {
            const rx::raw_record d = rx::decode_record(r);
            FUZZ_CHECK(d.raw_fields + d.other_fields <= r.templ().fields().size() + 1);
            if (d.report_flags) fuzz::use(*d.report_flags);
            if (d.encapsulation) fuzz::use(*d.encapsulation);
            if (d.observation_time_ns) fuzz::use(*d.observation_time_ns);
            if (d.option_type) option(*d.option_type, d.data, policy, size);
        });
    }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto buf = fuzz::copy_exact(data, size);
    if (buf.empty()) return 0;
    const unsigned sel = std::to_integer<unsigned>(buf[0]);
    const trace::type_policy policy = (sel & 0x40) ? trace::type_policy::lenient : trace::type_policy::strict;
    const bytes_view body = bytes_view(buf).subspan(1);
    if (sel & 0x80) stream(body, policy, size);
    else option(kinds[(sel & 0x3f) % 5], body, policy, size);
    return 0;
}
