// Encoding the flow and IOAM node records, in one run:
//   BM_encode_<t>/ours            message_writer::add_record<T>, messages cut at the MTU
//   BM_encode_<t>/ours_record     encode_record<T> alone, records back to back
//   BM_encode_<t>/libfixbuf       fBufAppend, same templates, messages emitted to memory
//   BM_encode_<t>/baseline        memcpy + byte swaps, same message framing
//   BM_encode_<t>/baseline_record memcpy + byte swaps, records back to back
// Each iteration encodes all record_count records (items = records, bytes =
// record octets on the wire). main() checks the outputs are byte-identical.
#include <benchmark/benchmark.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench_data.hpp"
#include "fixbuf_peer.hpp"
#include "passes.hpp"
#include "ioam/core/buffer.hpp"
#include "ioam/ipfix/message.hpp"
#include "ioam/ipfix/record.hpp"

namespace {
using namespace bench;
constexpr std::uint32_t export_time = 1700000000;

// ---- ours ----------------------------------------------------------------------
/// Encodes every record into MTU-sized messages; calls out(message) for each.
template <class T, class Rec, class Out>
void encode_ours(ipfix::message_writer& w, const std::vector<Rec>& recs, Out&& out) {
    for (const Rec& r : recs) {
        if (!w.add_record<T>(r)) [[unlikely]] {
            out(w.finish(export_time));
            w.reset();
            (void)w.add_record<T>(r);
        }
    }
    out(w.finish(export_time));
    w.reset();
}

// ---- libfixbuf -----------------------------------------------------------------
// ---- baseline: the same messages, by hand ---------------------------------------
template <class T, class Rec, class Out>
void encode_baseline(std::byte* buf, std::uint32_t& seq, const std::vector<Rec>& recs, Out&& out) {
    constexpr std::size_t hdr = ipfix::message_header_size + ipfix::set_header_size;
    std::byte* p = buf + hdr;
    std::byte* const end = buf + message_capacity;
    std::uint32_t n = 0;
    auto finish = [&] {
        const auto len = static_cast<std::uint16_t>(p - buf);
        baseline::put_header(buf, len, export_time, seq, 1, T::id);
        out(ioam::bytes_span{buf, len});
        seq += n;
        n = 0;
        p = buf + hdr;
    };
    for (const Rec& r : recs) {
        if (end - p < static_cast<std::ptrdiff_t>(T::record_size)) [[unlikely]] finish();
        p = baseline::put(p, r);
        ++n;
    }
    finish();
}

// ---- the outputs agree -----------------------------------------------------------
/// Data records of a message (everything after the message and set headers).
ioam::bytes_view records_of(ioam::bytes_view m) {
    return m.subspan(ipfix::message_header_size + ipfix::set_header_size);
}
std::vector<std::byte> concat_records(const std::vector<std::vector<std::byte>>& msgs) {
    std::vector<std::byte> out;
    for (const auto& m : msgs) {
        auto r = records_of(m);
        out.insert(out.end(), r.begin(), r.end());
    }
    return out;
}

template <class T, class Rec>
void check_agree(const char* name, const std::vector<Rec>& recs, fixbuf::spec spec,
                 const std::vector<std::vector<std::byte>>& internal) {
    std::vector<std::vector<std::byte>> ours, base, fb;
    std::array<std::byte, message_capacity> buf{};
    ipfix::message_writer w(buf, 1, 0);
    encode_ours<T>(w, recs, [&](ioam::bytes_span m) { ours.emplace_back(m.begin(), m.end()); });
    std::uint32_t seq = 0;
    encode_baseline<T>(buf.data(), seq, recs, [&](ioam::bytes_span m) { base.emplace_back(m.begin(), m.end()); });
    if (ours != base) throw std::runtime_error(std::string("bench: baseline and ours differ for ") + name);

    std::vector<std::byte> rec_only(recs.size() * T::record_size);
    ioam::byte_writer rw(rec_only);
    for (const Rec& r : recs)
        if (!ipfix::encode_record<T>(rw, r)) throw std::runtime_error("bench: encode_record failed");
    if (rec_only != concat_records(ours)) throw std::runtime_error(std::string("bench: encode_record differs for ") + name);

    // libfixbuf cuts messages at its own boundary; the records must be the same.
    fixbuf::exporter x(std::move(spec));
    std::size_t msgs = 0;
    std::vector<std::byte> fb_records;
    for (const auto& r : internal) {
        const auto before = x.last();
        const std::vector<std::byte> prev(before.begin(), before.end());
        x.append(r.data());
        const auto now = x.last();
        if (!std::equal(now.begin(), now.end(), prev.begin(), prev.end())) {
            auto rr = records_of(now);
            fb_records.insert(fb_records.end(), rr.begin(), rr.end());
            ++msgs;
        }
    }
    x.emit();
    auto rr = records_of(x.last());
    fb_records.insert(fb_records.end(), rr.begin(), rr.end());
    ++msgs;
    if (fb_records != rec_only) throw std::runtime_error(std::string("bench: libfixbuf's records differ for ") + name);
    std::fprintf(stderr, "%s: %zu records agree; ours %zu messages, libfixbuf %zu messages of at most %zu octets\n",
                 name, recs.size(), ours.size(), msgs, message_capacity);
}

template <class Rec>
std::vector<std::vector<std::byte>> internal_records(const std::vector<Rec>& recs) {
    std::vector<std::vector<std::byte>> v;
    for (const Rec& r : recs) v.push_back(fixbuf::internal_record(r));
    return v;
}

template <class T, class Rec>
void register_all(const char* name, const std::vector<Rec>& recs, fixbuf::spec (*spec)(),
                  const std::vector<std::vector<std::byte>>& internal) {
    const std::string b = std::string("BM_encode_") + name + "/";
    const auto items = static_cast<std::int64_t>(recs.size());
    const auto bytes = items * static_cast<std::int64_t>(T::record_size);
    auto sink = [](ioam::bytes_span m) {
        benchmark::DoNotOptimize(m.data());
        benchmark::ClobberMemory();  // the message is "sent" here
    };

    auto* w = new ipfix::message_writer(*new std::array<std::byte, message_capacity>{}, 1, 0);
    add_pass(b + "ours", [w, &recs, sink] { encode_ours<T>(*w, recs, sink); }, items, bytes);

    auto* flat = new std::vector<std::byte>(recs.size() * T::record_size);
    add_pass(b + "ours_record", [flat, &recs] {
        ioam::byte_writer bw(*flat);
        for (const Rec& r : recs) (void)ipfix::encode_record<T>(bw, r);
        benchmark::DoNotOptimize(flat->data());
        benchmark::ClobberMemory();
    }, items, bytes);

    auto* x = new fixbuf::exporter(spec());
    add_pass(b + "libfixbuf", [x, &internal] {
        for (const auto& r : internal) x->append(r.data());  // emits by itself when a message is full
        x->emit();
        benchmark::ClobberMemory();
    }, items, bytes);

    auto* buf = new std::array<std::byte, message_capacity>{};
    auto* seq = new std::uint32_t{0};
    add_pass(b + "baseline", [buf, seq, &recs, sink] { encode_baseline<T>(buf->data(), *seq, recs, sink); }, items,
             bytes);

    add_pass(b + "baseline_record", [flat, &recs] {
        std::byte* p = flat->data();
        for (const Rec& r : recs) p = baseline::put(p, r);
        benchmark::DoNotOptimize(flat->data());
        benchmark::ClobberMemory();
    }, items, bytes);
}

}  // namespace

int main(int argc, char** argv) {
    static const auto flows = make_flows();
    static const auto nodes = make_nodes();
    static const auto flow_internal = internal_records(flows);
    static const auto node_internal = internal_records(nodes);
    const bool pass_mode = std::getenv("BENCH_PASS") != nullptr;
    try {
        if (!pass_mode) check_agree<flow_template>("flow", flows, fixbuf::flow_spec(), flow_internal);
        if (!pass_mode) check_agree<ioam_template>("ioam", nodes, fixbuf::ioam_spec(), node_internal);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 1;
    }
    register_all<flow_template>("flow", flows, &fixbuf::flow_spec, flow_internal);
    register_all<ioam_template>("ioam", nodes, &fixbuf::ioam_spec, node_internal);
    if (int rc = run_pass_mode(); rc >= 0) return rc;
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
