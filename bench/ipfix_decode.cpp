// Decoding the same records (our encoder's messages, MTU-sized, template
// learnt beforehand), reading every field of every record as a host-order
// integer and summing them, in one run:
//   BM_decode_<t>/ours           template_cache::process (run-time template), every field
//                                through the template's decode plan (dynamic_record::for_each_u64)
//   BM_decode_<t>/ours_rows      template_cache::process_rows: each data set decoded at once
//                                into rows of values (decode_plan::decode_rows: byte shuffles
//                                with SSSE3), every value summed
//   BM_decode_<t>/ours_fields    the same, every field through field_view::to_u64
//   BM_decode_<t>/ours_dispatch  template_cache::process<T> (run-time template matched to the
//                                compile-time T, dispatch.hpp): parse_data_set_as<T> + get<>
//   BM_decode_<t>/ours_static    parse_data_set<T> + get<> on the compile-time template
//   BM_decode_<t>/libfixbuf      fBufNext into an internal record (fBufSetBuffer per message)
//   BM_decode_<t>/baseline       byte swaps at fixed offsets
// items = records, bytes = record octets. main() checks all sums agree.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench_data.hpp"
#include "fixbuf_peer.hpp"
#include "passes.hpp"
#include "ioam/ipfix/dynamic_template.hpp"
#include "ioam/ipfix/iana.hpp"
#include "ioam/ipfix/message.hpp"
#include "ioam/ipfix/record.hpp"
#include "ioam/ipfix/template_cache.hpp"

namespace {
using namespace bench;
using stream = std::vector<std::vector<std::byte>>;

ipfix::ie_registry registry() {
    ipfix::ie_registry r{ipfix::iana_registry};
    r.add(ioam_registry);
    return r;
}

// Calls fn(message_view) for each data message (all but the first, the template's).
template <class Fn>
void each_message(const stream& s, Fn&& fn) {
    for (std::size_t i = 1; i < s.size(); ++i) {
        auto m = ipfix::parse_message(s[i]);
        if (!m) [[unlikely]] throw std::runtime_error("bench: bad message");
        fn(*m);
    }
}

// ---- ours, run-time template ------------------------------------------------------
template <class V>
std::uint64_t fold(const V& v) {
    if constexpr (std::is_integral_v<V>) return static_cast<std::uint64_t>(v);
    else return ioam::load_be_n(v.bytes.data(), v.bytes.size());  // ipv4_address
}
template <class T>
std::uint64_t sum_fields(const ipfix::record_view<T>& r) {
    return [&]<std::size_t... I>(std::index_sequence<I...>) {
        return (fold(ipfix::get<I>(r)) + ...);
    }(std::make_index_sequence<T::field_count>{});
}
struct dynamic_decoder {
    ipfix::template_cache cache{registry()};
    explicit dynamic_decoder(const stream& s) {
        auto m = ipfix::parse_message(s[0]);
        if (!m) throw std::runtime_error("bench: template message");
        auto sum = cache.process(1, *m, 0, [](const ipfix::dynamic_record&) {});
        if (sum.templates != 1) throw std::runtime_error("bench: template not learnt");
    }
    // Through the decode plan compiled when the template was learnt.
    std::uint64_t run(const stream& s) {
        std::uint64_t total = 0;
        each_message(s, [&](const ipfix::message_view& m) {
            (void)cache.process(1, m, 0, [&](const ipfix::dynamic_record& r) {
                // A sum per record, as sum_fields does for the compile-time
                // contenders: a local the compiler can keep in a register.
                std::uint64_t sum = 0;
                r.for_each_u64([&](std::size_t, auto v) {
                    if constexpr (std::is_same_v<decltype(v), std::uint64_t>) sum += v;
                    else sum += ioam::load_be_n(v.data(), v.size());  // (none here: no field > 8 octets)
                });
                total += sum;
            });
        });
        return total;
    }
    // Records that did not come the way the contender asks for (counted).
    std::size_t fallbacks = 0, row_fallbacks = 0;
    // Whole sets decoded at once into rows of values (process_rows).
    std::uint64_t run_rows(const stream& s) {
        std::uint64_t total = 0;
        each_message(s, [&](const ipfix::message_view& m) {
            (void)cache.process_rows(1, m, 0, [&](const auto& x) {
                if constexpr (std::is_same_v<std::decay_t<decltype(x)>, ipfix::value_rows>) {
                    std::uint64_t sum = 0;
                    for (const std::uint64_t v : x.slots()) sum += v;  // (the pad slots are 0)
                    total += sum;
                } else {  // (none here on a CPU with SSSE3: counted)
                    ++row_fallbacks;
                    x.for_each_u64([&](std::size_t, auto v) {
                        if constexpr (std::is_same_v<decltype(v), std::uint64_t>) total += v;
                    });
                }
            });
        });
        return total;
    }
    // Matched to the compile-time template T when the template was learnt;
    // records of other templates (none here: counted) through the plan.
    template <class T>
    std::uint64_t run_dispatch(const stream& s) {
        std::uint64_t total = 0;
        each_message(s, [&](const ipfix::message_view& m) {
            (void)cache.process<T>(1, m, 0, [&](const auto& r) {
                if constexpr (std::is_same_v<std::decay_t<decltype(r)>, ipfix::dynamic_record>) {
                    ++fallbacks;
                    r.for_each_u64([&](std::size_t, auto v) {
                        if constexpr (std::is_same_v<decltype(v), std::uint64_t>) total += v;
                    });
                } else {
                    total += sum_fields(r);
                }
            });
        });
        return total;
    }
    // Field by field through field_view.
    std::uint64_t run_fields(const stream& s) {
        std::uint64_t total = 0;
        each_message(s, [&](const ipfix::message_view& m) {
            (void)cache.process(1, m, 0, [&](const ipfix::dynamic_record& r) {
                r.for_each_field([&](const ipfix::field_view& f) {
                    std::uint64_t v;
                    if (!f.to_u64(v)) v = ioam::load_be_n(f.bytes.data(), f.bytes.size());  // addresses
                    total += v;
                });
            });
        });
        return total;
    }
};

// ---- ours, compile-time template ------------------------------------------------
template <class T>
std::uint64_t run_static(const stream& s) {
    std::uint64_t total = 0;
    each_message(s, [&](const ipfix::message_view& m) {
        for (const ipfix::set_view set : m.sets()) {
            auto ds = ipfix::parse_data_set<T>(set);
            if (!ds) [[unlikely]] continue;
            for (const auto r : *ds) total += sum_fields(r);
        }
    });
    return total;
}

// ---- libfixbuf ------------------------------------------------------------------
struct fixbuf_decoder {
    fixbuf::collector c;
    stream msgs;  // libfixbuf wants mutable buffers
    std::uint32_t seq = 0;
    std::uint64_t (*sum)(const std::uint8_t*);
    fixbuf_decoder(fixbuf::spec spec, const stream& s, std::uint64_t (*f)(const std::uint8_t*))
        : c(std::move(spec)), msgs(s), sum(f) {
        (void)c.read(msgs[0], [](const std::uint8_t*) {});
    }
    std::uint64_t run() {
        std::uint64_t total = 0;
        for (std::size_t i = 1; i < msgs.size(); ++i) {
            // Replaying the stream: keep sequence numbers continuous, as a
            // live exporter's would be, so libfixbuf does not report loss.
            ioam::store_be32(msgs[i].data() + 8, seq);
            seq += static_cast<std::uint32_t>(c.read(msgs[i], [&](const std::uint8_t* rec) { total += sum(rec); }));
        }
        return total;
    }
};

// ---- baseline ----------------------------------------------------------------------
template <class T>
std::uint64_t sum_record(const std::byte* p) {
    if constexpr (std::is_same_v<T, flow_template>) return baseline::sum_flow(p);
    else return baseline::sum_ioam(p);
}
template <class T>
std::uint64_t run_baseline(const stream& s) {
    std::uint64_t total = 0;
    for (std::size_t i = 1; i < s.size(); ++i) {
        const std::byte* m = s[i].data();
        const std::size_t len = ioam::load_be16(m + 2);
        std::size_t pos = ipfix::message_header_size;
        while (pos + ipfix::set_header_size <= len) {
            const std::size_t set_len = ioam::load_be16(m + pos + 2);
            if (ioam::load_be16(m + pos) == T::id)
                for (std::size_t r = pos + 4; r + T::record_size <= pos + set_len; r += T::record_size)
                    total += sum_record<T>(m + r);
            pos += set_len;
        }
    }
    return total;
}

template <class T, class Rec>
void register_all(const char* name, const std::vector<Rec>& recs, fixbuf::spec (*spec)(),
                  std::uint64_t (*fb_sum)(const std::uint8_t*)) {
    const stream* s = new stream(make_stream<T>(recs));  // lives for the run
    std::uint64_t expect = 0;
    for (const Rec& r : recs) expect += sum_values(r);
    {
        dynamic_decoder d(*s);
        fixbuf_decoder f(spec(), *s, fb_sum);
        const std::uint64_t got[] = {d.run(*s),         d.run_rows(*s),    d.run_fields(*s), d.run_dispatch<T>(*s),
                                     run_static<T>(*s), f.run(),           run_baseline<T>(*s)};
        if (d.fallbacks != 0) throw std::runtime_error(std::string("bench: dispatch missed the template of ") + name);
        if (d.row_fallbacks != 0 && (*d.cache.find(1, 1, T::id))->plan().shuffled())
            throw std::runtime_error(std::string("bench: process_rows missed the template of ") + name);
        if (d.row_fallbacks != 0) std::fprintf(stderr, "%s: no byte shuffles on this CPU: ours_rows = ours\n", name);
        for (std::uint64_t g : got)
            if (g != expect)
                throw std::runtime_error(std::string("bench: decoders disagree on ") + name + ": " +
                                         std::to_string(g) + " != " + std::to_string(expect));
        std::fprintf(stderr, "%s: %zu records in %zu messages, all decoders agree\n", name, recs.size(),
                     s->size() - 1);
    }
    const std::string b = std::string("BM_decode_") + name + "/";
    const auto items = static_cast<std::int64_t>(recs.size());
    const auto bytes = items * static_cast<std::int64_t>(T::record_size);
    auto* d = new dynamic_decoder(*s);
    add_pass(b + "ours", [d, s] { benchmark::DoNotOptimize(d->run(*s)); }, items, bytes);
    add_pass(b + "ours_rows", [d, s] { benchmark::DoNotOptimize(d->run_rows(*s)); }, items, bytes);
    add_pass(b + "ours_fields", [d, s] { benchmark::DoNotOptimize(d->run_fields(*s)); }, items, bytes);
    add_pass(b + "ours_dispatch", [d, s] { benchmark::DoNotOptimize(d->template run_dispatch<T>(*s)); }, items, bytes);
    add_pass(b + "ours_static", [s] { benchmark::DoNotOptimize(run_static<T>(*s)); }, items, bytes);
    auto* f = new fixbuf_decoder(spec(), *s, fb_sum);
    add_pass(b + "libfixbuf", [f] { benchmark::DoNotOptimize(f->run()); }, items, bytes);
    add_pass(b + "baseline", [s] { benchmark::DoNotOptimize(run_baseline<T>(*s)); }, items, bytes);
}

// ---- the template cache's costs do not grow with what others hold ---------------
// BM_cache_withdraw_all/<held>: a message of 16,000 withdraw-all records on a
// stream session holding 100 templates (learnt again each iteration), while
// other sessions hold <held> templates. BM_cache_expire/<held>: an expire()
// call (from a poll loop) when nothing is due, with <held> datagram templates.
// Both should cost the same whatever <held> (issue 11: no walk over all
// templates per message or per poll); items = withdraw-all records / calls.
std::vector<std::byte> cache_message(std::uint32_t odid, std::size_t n, bool withdraw_all, std::uint16_t first = 256) {
    const std::size_t rec = withdraw_all ? 4 : 8;
    std::vector<std::byte> b(16 + 4 + rec * n);
    ioam::store_be16(b.data(), 10);
    ioam::store_be16(b.data() + 2, static_cast<std::uint16_t>(b.size()));
    ioam::store_be32(b.data() + 12, odid);
    ioam::store_be16(b.data() + 16, ipfix::template_set_id);
    ioam::store_be16(b.data() + 18, static_cast<std::uint16_t>(4 + rec * n));
    for (std::size_t i = 0; i < n; ++i) {
        std::byte* r = b.data() + 20 + rec * i;
        if (withdraw_all) {
            ioam::store_be16(r, ipfix::template_set_id);
            continue;
        }
        ioam::store_be16(r, static_cast<std::uint16_t>(first + i));
        ioam::store_be16(r + 2, 1);
        ioam::store_be16(r + 4, 1);  // octetDeltaCount
        ioam::store_be16(r + 6, 8);
    }
    return b;
}
ipfix::template_cache held_cache(std::size_t held, ipfix::transport_kind kind) {
    ipfix::cache_options o{.template_lifetime = 1800, .default_transport = kind};
    o.limits.total_bytes = std::size_t{1} << 30;
    o.limits.sessions = held;
    ipfix::template_cache c(registry(), o);
    for (std::size_t s = 0; s < held / 1000; ++s) {
        const auto m = cache_message(0, 1000, false);
        (void)c.process(100 + s, ipfix::parse_message(m).value(), 0, [](const ipfix::dynamic_record&) {});
    }
    if (c.size() != held) throw std::runtime_error("bench: templates evicted while filling the cache");
    return c;
}
void register_cache() {
    for (const std::size_t held : {std::size_t{1000}, std::size_t{100000}}) {
        benchmark::RegisterBenchmark(("BM_cache_withdraw_all/held:" + std::to_string(held)).c_str(),
                                     [held](benchmark::State& st) {
                                         auto c = held_cache(held, ipfix::transport_kind::stream);
                                         const auto define = cache_message(0, 100, false);
                                         const auto storm = cache_message(0, 16000, true);
                                         const auto d = ipfix::parse_message(define).value();
                                         const auto w = ipfix::parse_message(storm).value();
                                         for (auto _ : st) {
                                             (void)c.process(1, d, 0, [](const ipfix::dynamic_record&) {});
                                             const auto sum = c.process(1, w, 0, [](const ipfix::dynamic_record&) {});
                                             benchmark::DoNotOptimize(sum.withdrawals);
                                         }
                                         st.SetItemsProcessed(st.iterations() * 16000);
                                         st.SetBytesProcessed(st.iterations() * static_cast<std::int64_t>(storm.size()));
                                     });
        benchmark::RegisterBenchmark(("BM_cache_expire/held:" + std::to_string(held)).c_str(),
                                     [held](benchmark::State& st) {
                                         auto c = held_cache(held, ipfix::transport_kind::datagram);
                                         std::uint32_t now = 1;
                                         for (auto _ : st) benchmark::DoNotOptimize(c.expire(now++ % 1000));
                                         st.SetItemsProcessed(st.iterations());
                                         st.SetBytesProcessed(0);
                                     });
    }
}

}  // namespace

int main(int argc, char** argv) {
    static const auto flows = make_flows();
    static const auto nodes = make_nodes();
    try {
        register_all<flow_template>("flow", flows, &fixbuf::flow_spec, &fixbuf::sum_internal_flow);
        register_all<ioam_template>("ioam", nodes, &fixbuf::ioam_spec, &fixbuf::sum_internal_ioam);
        register_cache();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 1;
    }
    if (int rc = run_pass_mode(); rc >= 0) return rc;
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
