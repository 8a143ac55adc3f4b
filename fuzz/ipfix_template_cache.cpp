// template_cache::process over a stream of messages (the input split at each
// Message Length): templates learnt, redefined, withdrawn, expired and
// evicted (small caps; session 0 a datagram session, 1 a stream) at run time, every field of every record read by its type, lists inside records
// decoded with the cache's templates. Each template learnt also round-trips:
// dynamic_template::encode -> parse_template_set -> from_record. A second
// cache reads the same stream with the harnesses' compile-time templates
// named (process<Ts...>, dispatch.hpp) and must see the same records and the
// same summary. A third cache reads it with process_rows: each row's values
// must be the ones for_each_u64 gives for that record (and field_view's: to_u64, or the octets big-endian),
// every other record must come as the same dynamic_record, and the summaries
// must agree; the collector's row_decoder must read each row as
// decode_record reads the record, and its JSON lines printed straight from
// the rows (json_lines::row_plan) must be those of the decoded records.
#include <type_traits>

#include "ioam/export/decode.hpp"
#include "ipfix_common.hpp"
#include "print.hpp"

namespace {
using namespace ioam;
using namespace ioam::ipfix;

void template_round_trip(const dynamic_template& t, const ie_registry& reg) {
    std::vector<std::byte> out(4 + 6 + 8 * t.fields().size());
    byte_writer w(out);
    w.put_be16(t.is_options() ? options_template_set_id : template_set_id);
    w.put_be16(0);
    FUZZ_CHECK(t.encode(w).has_value());
    FUZZ_CHECK(w.ok());
    out.resize(w.size());
    store_be16(out.data() + 2, static_cast<std::uint16_t>(out.size()));
    const set_view s(t.is_options() ? options_template_set_id : template_set_id, bytes_view(out).subspan(4), 0);
    auto ts = parse_template_set(s);
    FUZZ_CHECK(ts.has_value());
    std::size_t n = 0;
    for (const template_record_view r : *ts) {
        auto back = dynamic_template::from_record(r, reg);
        FUZZ_CHECK(back.has_value());
        FUZZ_CHECK(back->id() == t.id() && back->is_options() == t.is_options());
        FUZZ_CHECK(back->scope_count() == t.scope_count());
        FUZZ_CHECK(back->fields().size() == t.fields().size());
        for (std::size_t i = 0; i < t.fields().size(); ++i) FUZZ_CHECK(back->fields()[i] == t.fields()[i]);
        ++n;
    }
    FUZZ_CHECK(n == 1);
}

bool same(const ioam::exporting::decoded_record& a, const ioam::exporting::decoded_record& b) {
    return a.event_id == b.event_id && a.option_type == b.option_type && a.namespace_id == b.namespace_id &&
           a.trace_type == b.trace_type && a.node_index == b.node_index && a.node_count == b.node_count &&
           a.flow_id == b.flow_id && a.sequence == b.sequence && a.values == b.values &&
           a.schema_id == b.schema_id && a.snapshot.has_value() == b.snapshot.has_value() &&
           a.pen_fields == b.pen_fields && a.other_fields == b.other_fields;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto buf = fuzz::copy_exact(data, size);
    cache_options opt{.template_lifetime = 1800};
    opt.limits = {.templates_per_session = 16, .domains_per_session = 4, .sessions = 2,
                  .session_bytes = 64 << 10, .total_bytes = 96 << 10};
    template_cache cache(ie_registry{iana_registry}, opt);
    template_cache typed(ie_registry{iana_registry}, opt);
    template_cache rows(ie_registry{iana_registry}, opt);
    for (template_cache* c : {&cache, &typed, &rows}) {
        c->open_session(0, transport_kind::datagram);
        c->open_session(1, transport_kind::stream);
    }
    std::vector<bytes_view> seen, seen_typed;
    // Per record seen by `cache`: its template, where its values start in
    // `values`, and whether a field came as a view (never in a row).
    struct record_values {
        const dynamic_template* t;
        std::size_t first, count;
        bool view;
    };
    std::vector<record_values> expect;
    std::vector<std::uint64_t> values;
    bytes_view rest(buf);
    std::size_t offset = 0;
    for (int i = 0; i < 64 && !rest.empty(); ++i) {
        auto m = parse_message(rest, offset);
        if (!m) {
            fuzz::check_error(m.error(), size);
            break;
        }
        const template_cache::session_id session = i % 3 == 2 ? 1 : 0;  // two sessions interleaved
        const dynamic_template* last = nullptr;
        auto find = [&](std::uint16_t id) -> const dynamic_template* {
            auto t = cache.find(session, m->observation_domain(), id);
            return t ? *t : nullptr;
        };
        seen.clear();
        seen_typed.clear();
        expect.clear();
        values.clear();
        const message_summary sum = cache.process(session, *m, m->export_time(), [&](const dynamic_record& r) {
            seen.push_back(r.bytes());
            record_values rv{&r.templ(), values.size(), 0, false};
            r.for_each_u64([&]<class V>(std::size_t i, const V& x) {
                FUZZ_CHECK(i == rv.count);
                ++rv.count;
                if constexpr (std::is_same_v<V, std::uint64_t>) {
                    values.push_back(x);
                } else {
                    values.push_back(0);
                    rv.view = true;
                }
            });
            expect.push_back(rv);
            fuzz::read_dynamic(r, find);
            if (&r.templ() != last) {
                template_round_trip(r.templ(), cache.registry());
                last = &r.templ();
            }
        });
        const message_summary tsum =
            typed.process<fuzz::flow_fixed, fuzz::flow_varlen, fuzz::stats, fuzz::list_element>(
                session, *m, m->export_time(), [&](const auto& r) {
                    seen_typed.push_back(r.bytes());
                    if constexpr (!std::is_same_v<std::decay_t<decltype(r)>, dynamic_record>) fuzz::read_record(r);
                });
        FUZZ_CHECK(seen_typed.size() == seen.size());
        for (std::size_t k = 0; k < seen.size(); ++k)
            FUZZ_CHECK(seen_typed[k].data() == seen[k].data() && seen_typed[k].size() == seen[k].size());
        FUZZ_CHECK(tsum.records == sum.records && tsum.templates == sum.templates);
        FUZZ_CHECK(tsum.skipped_sets == sum.skipped_sets && tsum.sequence_gap == sum.sequence_gap);
        FUZZ_CHECK(tsum.first_error.code == sum.first_error.code && tsum.first_error.offset == sum.first_error.offset);
        fuzz::use(sum.records);
        fuzz::use(sum.templates);
        fuzz::use(sum.skipped_sets);
        if (sum.first_error.code != errc::ok) fuzz::check_error(sum.first_error, size);
        FUZZ_CHECK(tsum.withdrawals == sum.withdrawals && tsum.withdrawals_ignored == sum.withdrawals_ignored);
        FUZZ_CHECK(tsum.invalid_templates == sum.invalid_templates);

        ioam_tools::json_lines json;
        std::size_t next = 0;  // the record of `cache` the next one of `rows` must be
        const message_summary rsum = rows.process_rows(session, *m, m->export_time(), [&](const auto& r) {
            if constexpr (std::is_same_v<std::decay_t<decltype(r)>, value_rows>) {
                FUZZ_CHECK(r.size() >= 1 && r.size() * r.stride() <= template_cache::row_buffer_slots);
                const std::size_t fields = r.templ().fields().size();
                FUZZ_CHECK(r.stride() >= fields && r.stride() <= fields + 1);
                FUZZ_CHECK(r.slots().size() == r.size() * r.stride());
                const ioam::exporting::row_decoder dec(r.templ());
                const ioam_tools::json_lines::row_plan plan =
                    dec.usable() ? ioam_tools::json_lines::row_plan(dec) : ioam_tools::json_lines::row_plan();
                std::string lines, from_rows;
                for (std::size_t k = 0; k < r.size(); ++k, ++next) {
                    FUZZ_CHECK(next < expect.size());
                    const record_values& e = expect[next];
                    FUZZ_CHECK(!e.view && e.count == fields);
                    FUZZ_CHECK(e.t->id() == r.templ().id() && e.t->fields().size() == fields);
                    FUZZ_CHECK(seen[next].size() == r.templ().min_record_size());
                    const std::span<const std::uint64_t> row = r[k];
                    FUZZ_CHECK(row.size() == fields);
                    const dynamic_record rec(e.t, seen[next]);
                    for (std::size_t i = 0; i < fields; ++i) {
                        FUZZ_CHECK(row[i] == values[e.first + i]);
                        // an integer widened, any other type its octets read big-endian
                        const field_view f = rec.field(i);
                        std::uint64_t v = 0;
                        if (!f.to_u64(v)) v = load_be_n(f.bytes.data(), f.bytes.size());
                        FUZZ_CHECK(v == row[i]);
                    }
                    if (r.stride() > fields) FUZZ_CHECK(r.slots()[k * r.stride() + fields] == 0);
                    if (!dec.usable()) continue;
                    const ioam::exporting::decoded_record d = dec.decode(row);
                    FUZZ_CHECK(same(d, ioam::exporting::decode_record(rec)));
                    FUZZ_CHECK(plan.any() == (d.pen_fields > 0));
                    if (!plan.any()) continue;
                    json.append(lines, d);
                    json.append_row(from_rows, plan, row);
                    FUZZ_CHECK(from_rows == lines);
                }
                if (plan.any()) {
                    std::string all;
                    json.append_rows(all, plan, r);
                    FUZZ_CHECK(all == lines);
                }
            } else {
                FUZZ_CHECK(next < seen.size());
                FUZZ_CHECK(r.bytes().data() == seen[next].data() && r.bytes().size() == seen[next].size());
                ++next;
            }
        });
        FUZZ_CHECK(next == seen.size());
        FUZZ_CHECK(rsum.records == sum.records && rsum.templates == sum.templates);
        FUZZ_CHECK(rsum.skipped_sets == sum.skipped_sets && rsum.sequence_gap == sum.sequence_gap);
        FUZZ_CHECK(rsum.expected_sequence == sum.expected_sequence);
        FUZZ_CHECK(rsum.first_error.code == sum.first_error.code && rsum.first_error.offset == sum.first_error.offset);
        FUZZ_CHECK(rsum.withdrawals == sum.withdrawals && rsum.withdrawals_ignored == sum.withdrawals_ignored);
        FUZZ_CHECK(rsum.invalid_templates == sum.invalid_templates);
        const std::size_t expired = cache.expire(m->export_time());
        FUZZ_CHECK(expired == typed.expire(m->export_time()) && expired == rows.expire(m->export_time()));
        FUZZ_CHECK(rows.statistics().bytes == cache.statistics().bytes);
        FUZZ_CHECK(rows.statistics().templates_evicted == cache.statistics().templates_evicted);
        const cache_statistics st = cache.statistics();
        FUZZ_CHECK(st.sessions <= opt.limits.sessions);
        FUZZ_CHECK(st.templates <= opt.limits.sessions * opt.limits.templates_per_session);
        FUZZ_CHECK(st.domains <= opt.limits.sessions * opt.limits.domains_per_session);
        FUZZ_CHECK(st.templates_evicted == typed.statistics().templates_evicted);
        FUZZ_CHECK(st.bytes == typed.statistics().bytes);
        const std::size_t n = m->bytes().size();
        FUZZ_CHECK(n >= message_header_size && n <= rest.size());
        rest = rest.subspan(n);
        offset += n;
    }
    fuzz::use(cache.size());
    for (template_cache* c : {&cache, &typed, &rows}) {
        c->close_session(0);
        c->close_session(1);
        FUZZ_CHECK(c->statistics().bytes == 0 && c->size() == 0);
    }
    return 0;
}
