// parse_message, parse_template_set and parse_data_set<T> (records of the
// compile-time templates in ipfix_common.hpp, each read and round-tripped).
#include "ipfix_common.hpp"

namespace {
using namespace ioam;
using namespace ioam::ipfix;

template <class T>
void data_set(const set_view& s, std::size_t size) {
    auto ds = parse_data_set<T>(s);
    if (!ds) return fuzz::check_error(ds.error(), size);
    std::size_t n = 0;
    for (const record_view<T> r : *ds) {
        fuzz::read_record(r);
        fuzz::round_trip(r);
        ++n;
    }
    FUZZ_CHECK(n == ds->size());
}

void template_set(const set_view& s, std::size_t size) {
    auto ts = parse_template_set(s);
    if (!ts) return fuzz::check_error(ts.error(), size);
    for (const template_record_view r : *ts) {
        fuzz::use(r.id());
        fuzz::use(r.field_count());
        fuzz::use(r.scope_count());
        fuzz::use(r.is_withdrawal());
        FUZZ_CHECK(r.offset() + r.bytes().size() <= size);
        std::size_t n = 0;
        r.for_each_field([&](const field_spec& f) {
            fuzz::use(f.id);
            fuzz::use(f.length);
            fuzz::use(f.enterprise);
            ++n;
        });
        FUZZ_CHECK(n == r.field_count());
    }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto buf = fuzz::copy_exact(data, size);
    if (auto n = peek_message_length(buf)) fuzz::use(*n);
    auto m = parse_message(buf);
    if (!m) {
        fuzz::check_error(m.error(), size);
        return 0;
    }
    FUZZ_CHECK(m->bytes().size() <= size);
    fuzz::use(m->export_time());
    fuzz::use(m->sequence());
    fuzz::use(m->observation_domain());
    for (const set_view s : m->sets()) {
        fuzz::use(s.id());
        fuzz::use(s.body());
        FUZZ_CHECK(s.body_offset() + s.body().size() <= size);
        if (s.is_template_set() || s.is_options_template_set()) template_set(s, size);
        else if (s.id() == fuzz::flow_fixed::id) data_set<fuzz::flow_fixed>(s, size);
        else if (s.id() == fuzz::flow_varlen::id) data_set<fuzz::flow_varlen>(s, size);
        else if (s.id() == fuzz::stats::id) data_set<fuzz::stats>(s, size);
        else if (s.id() == fuzz::list_element::id) data_set<fuzz::list_element>(s, size);
    }
    return 0;
}
