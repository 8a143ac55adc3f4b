// Iterating the nodes of an IOAM trace (RFC 9197 4.4.2) and reading every
// value each node carries, for trace types known at run time against
// compile-time layouts, in one run:
//   BM_trace_<type>/runtime_values  node_list + node_view::for_each_value
//   BM_trace_<type>/runtime_get     node_list + node_view::get<V>() per value
//   BM_trace_<type>/dispatch        dispatch_layout: the run-time type mapped onto layouts
//   BM_trace_<type>/layout          node_layout<...>::get<V> at constant offsets (the limit)
// items = nodes, bytes = node octets. main() checks every variant's sum.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "ioam/trace/layout.hpp"
#include "ioam/trace/node.hpp"

namespace {
using namespace ioam::trace;
constexpr std::size_t node_count = 1024;

using minimal = node_layout<fields::hop_lim_node_id, fields::ingress_egress_id>;  // 0xc00000
using timestamps = node_layout<fields::hop_lim_node_id, fields::ingress_egress_id, fields::timestamp_seconds,
                               fields::timestamp_fraction>;  // 0xf00000
using all_defined =
    node_layout<fields::hop_lim_node_id, fields::ingress_egress_id, fields::timestamp_seconds,
                fields::timestamp_fraction, fields::transit_delay, fields::namespace_data, fields::queue_depth,
                fields::checksum_complement, fields::hop_lim_node_id_wide, fields::ingress_egress_id_wide,
                fields::namespace_data_wide, fields::buffer_occupancy>;  // 0xfff000

/// Sum of every value a layout carries (the compile-time reading).
template <class L>
std::uint64_t sum_layout(const std::byte* p) {
    return [&]<std::size_t... I>(std::index_sequence<I...>) {
        std::uint64_t s = 0;
        ((void)([&] {
             constexpr auto v = static_cast<value_id>(I);
             if constexpr ((L::type & bit_mask(info(v).bit)) != 0 && info(v).bit < 12)
                 s += static_cast<std::uint64_t>(L::template get<v>(p));
         }()),
         ...);
        return s;
    }(std::make_index_sequence<value_count>{});
}
/// The same through a run-time view's typed getters.
std::uint64_t sum_get(const node_view& n) {
    return [&]<std::size_t... I>(std::index_sequence<I...>) {
        std::uint64_t s = 0;
        ((void)([&] {
             constexpr auto v = static_cast<value_id>(I);
             if (auto x = n.get<v>()) s += static_cast<std::uint64_t>(*x);
         }()),
         ...);
        return s;
    }(std::make_index_sequence<value_count>{});
}

std::vector<std::byte> make_trace(std::uint32_t type) {
    const trace_shape s = make_shape(type).value();
    std::vector<std::byte> data(node_count * s.fixed_size());
    std::mt19937_64 rng(type);
    for (std::size_t i = 0; i < node_count; ++i) {
        node_data d;
        for (const auto& vi : value_table) d.set(vi.id, rng() & unavailable(vi.width));
        (void)encode_node(s, d, ioam::bytes_span{data}.subspan(i * s.fixed_size())).value();
    }
    return data;
}

std::uint64_t run_values(std::uint32_t type, ioam::bytes_view data) {
    auto l = node_list::decode(make_shape(type).value(), data).value();
    std::uint64_t s = 0;
    for (const node_view n : l) n.for_each_value([&](const field_value& f) { s += f.value; });
    return s;
}
std::uint64_t run_get(std::uint32_t type, ioam::bytes_view data) {
    auto l = node_list::decode(make_shape(type).value(), data).value();
    std::uint64_t s = 0;
    for (const node_view n : l) s += sum_get(n);
    return s;
}
template <class L>
std::uint64_t run_layout(ioam::bytes_view data) {
    std::uint64_t s = 0;
    for (std::size_t off = 0; off + L::size <= data.size(); off += L::size) s += sum_layout<L>(data.data() + off);
    return s;
}
std::uint64_t run_dispatch(std::uint32_t type, ioam::bytes_view data) {
    return dispatch_layout<minimal, timestamps, all_defined>(
        type, [&](auto l) { return run_layout<decltype(l)>(data); }, [&] { return run_values(type, data); });
}

template <class L>
void register_type(const char* name) {
    const auto* data = new std::vector<std::byte>(make_trace(L::type));  // lives for the run
    const std::uint32_t type = L::type;
    const std::uint64_t expect = run_layout<L>(*data);
    if (run_values(type, *data) != expect || run_get(type, *data) != expect || run_dispatch(type, *data) != expect)
        throw std::runtime_error(std::string("bench: trace readers disagree on ") + name);
    auto counters = [data](benchmark::State& st) {
        const auto n = static_cast<std::int64_t>(st.iterations() * node_count);
        st.SetItemsProcessed(n);
        st.SetBytesProcessed(n * static_cast<std::int64_t>(data->size() / node_count));
    };
    const std::string b = std::string("BM_trace_") + name + "/";
    // The type is laundered through DoNotOptimize so run-time paths stay run-time.
    benchmark::RegisterBenchmark((b + "runtime_values").c_str(), [=](benchmark::State& st) {
        std::uint32_t t = type;
        for (auto _ : st) {
            benchmark::DoNotOptimize(t);
            benchmark::DoNotOptimize(run_values(t, *data));
        }
        counters(st);
    });
    benchmark::RegisterBenchmark((b + "runtime_get").c_str(), [=](benchmark::State& st) {
        std::uint32_t t = type;
        for (auto _ : st) {
            benchmark::DoNotOptimize(t);
            benchmark::DoNotOptimize(run_get(t, *data));
        }
        counters(st);
    });
    benchmark::RegisterBenchmark((b + "dispatch").c_str(), [=](benchmark::State& st) {
        std::uint32_t t = type;
        for (auto _ : st) {
            benchmark::DoNotOptimize(t);
            benchmark::DoNotOptimize(run_dispatch(t, *data));
        }
        counters(st);
    });
    benchmark::RegisterBenchmark((b + "layout").c_str(), [=](benchmark::State& st) {
        for (auto _ : st) benchmark::DoNotOptimize(run_layout<L>(*data));
        counters(st);
    });
}

}  // namespace

int main(int argc, char** argv) {
    try {
        register_type<minimal>("c00000");
        register_type<timestamps>("f00000");
        register_type<all_defined>("fff000");
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 1;
    }
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
