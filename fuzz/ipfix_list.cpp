// RFC 6313 lists: the same octets decoded as a basicList, a subTemplateList
// (of compile-time and of run-time templates) and a subTemplateMultiList.
// Every element and record is read; each list that decodes is re-encoded
// with our writers, decoded again and re-encoded: both encodings must match.
#include "ipfix_common.hpp"

namespace {
using namespace ioam;
using namespace ioam::ipfix;

const ie_registry registry{iana_registry};

template <class T>
const dynamic_template& dynamic_of() {
    static const dynamic_template t = [] {
        auto r = dynamic_template::from_fields(T::id, T::fields, T::scope_count, T::is_options, &registry);
        FUZZ_CHECK(r.has_value());
        return std::move(*r);
    }();
    return t;
}

const dynamic_template* resolve(std::uint16_t id) {
    if (id == fuzz::flow_fixed::id) return &dynamic_of<fuzz::flow_fixed>();
    if (id == fuzz::flow_varlen::id) return &dynamic_of<fuzz::flow_varlen>();
    if (id == fuzz::stats::id) return &dynamic_of<fuzz::stats>();
    if (id == fuzz::list_element::id) return &dynamic_of<fuzz::list_element>();
    return nullptr;
}

/// Encodes a list with `write(byte_writer&)`, decodes it with `decode`, and
/// checks that encoding what was decoded gives the same octets.
template <class Write, class Decode, class Rewrite>
void idempotent(std::size_t capacity, Write&& write, Decode&& decode, Rewrite&& rewrite) {
    std::vector<std::byte> first(capacity);
    byte_writer w1(first);
    if (!write(w1)) return;  // e.g. a value the writer refuses (reported, not written)
    first.resize(w1.size());
    auto again = decode(bytes_view(first));
    FUZZ_CHECK(again.has_value());
    std::vector<std::byte> second(capacity);
    byte_writer w2(second);
    FUZZ_CHECK(rewrite(w2, *again));
    second.resize(w2.size());
    FUZZ_CHECK(first == second);
}

void basic(bytes_view in, std::size_t size) {
    auto l = decode_basic_list(in);
    if (!l) return fuzz::check_error(l.error(), size);
    fuzz::read_basic_list(*l);
    auto write = [](byte_writer& w, const basic_list_view& v) {
        basic_list_writer bw(w, v.semantic(), v.field());
        for (bytes_view e : v) bw.add_bytes(e);
        return bw.finish().has_value();
    };
    const basic_list_view& v = *l;
    idempotent(
        in.size() + 2 * l->size() + 16, [&](byte_writer& w) { return write(w, v); },
        [](bytes_view b) { return decode_basic_list(b); }, write);
}

template <class T>
void sub_template(bytes_view in, std::size_t size) {
    auto l = decode_sub_template_list<T>(in);
    if (!l) return fuzz::check_error(l.error(), size);
    std::size_t n = 0;
    for (const record_view<T> r : *l) {
        fuzz::read_record(r);
        ++n;
    }
    FUZZ_CHECK(n == l->size());
    auto write = [](byte_writer& w, const sub_template_list_view<T>& v) {
        sub_template_list_writer sw(w, v.semantic(), T::id);
        for (const record_view<T> r : v) sw.template add<T>(to_values(r));
        return sw.finish().has_value();
    };
    const sub_template_list_view<T>& v = *l;
    idempotent(
        in.size() + (2 * T::field_count + 8) * l->size() + 16, [&](byte_writer& w) { return write(w, v); },
        [](bytes_view b) { return decode_sub_template_list<T>(b); }, write);
}

void sub_template_dynamic(bytes_view in, std::size_t size) {
    auto l = decode_sub_template_list(in, resolve);
    if (!l) return fuzz::check_error(l.error(), size);
    std::size_t n = 0;
    for (const dynamic_record r : *l) {
        fuzz::read_dynamic(r, resolve);
        ++n;
    }
    FUZZ_CHECK(n == l->size());
}

void multi(bytes_view in, std::size_t size) {
    auto l = decode_sub_template_multi_list(in);
    if (!l) return fuzz::check_error(l.error(), size);
    std::size_t entries = 0;
    for (const multi_list_entry e : *l) {
        fuzz::use(e.template_id());
        FUZZ_CHECK(e.offset() + 4 + e.bytes().size() <= size);
        if (const dynamic_template* t = resolve(e.template_id())) {
            if (auto recs = e.records(*t))
                for (const dynamic_record r : *recs) fuzz::read_dynamic(r, resolve);
        }
        if (auto recs = e.records<fuzz::list_element>())
            for (const record_view<fuzz::list_element> r : *recs) fuzz::read_record(r);
        ++entries;
    }
    FUZZ_CHECK(entries == l->size());
    // Re-encode entry by entry (records as octets); entries whose records do
    // not decode with a known template are left out.
    auto write = [](byte_writer& w, const sub_template_multi_list_view& v) {
        sub_template_multi_list_writer mw(w, v.semantic());
        for (const multi_list_entry e : v) {
            const dynamic_template* t = resolve(e.template_id());
            if (!t) continue;
            auto recs = e.records(*t);
            if (!recs) continue;
            if (recs->empty()) mw.add_empty_entry(e.template_id());
            for (const dynamic_record r : *recs) mw.add_record_bytes(e.template_id(), r.bytes());
        }
        return mw.finish().has_value();
    };
    const sub_template_multi_list_view& v = *l;
    idempotent(
        in.size() + 16, [&](byte_writer& w) { return write(w, v); },
        [](bytes_view b) { return decode_sub_template_multi_list(b); }, write);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto buf = fuzz::copy_exact(data, size);
    const bytes_view in(buf);
    basic(in, size);
    sub_template<fuzz::list_element>(in, size);
    sub_template<fuzz::flow_varlen>(in, size);
    sub_template_dynamic(in, size);
    multi(in, size);
    return 0;
}
