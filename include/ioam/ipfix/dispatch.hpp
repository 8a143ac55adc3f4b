// Run-time templates matched to compile-time ones (RFC 7011 3.4.1, 8). A
// collector that knows the templates it expects declares them; a template
// learnt from the wire with the same field specifiers is then read at the
// compile-time template's constant offsets (parse_data_set_as<T>, get<I>)
// instead of through its decode plan, as trace::dispatch_layout does for
// trace types. Template ids are not compared: the exporter chooses them.
#pragma once

#include <cstddef>
#include <type_traits>

#include "ioam/ipfix/dynamic_template.hpp"
#include "ioam/ipfix/template.hpp"

namespace ioam::ipfix {

/// Whether run-time template `t` has T's field specifiers (RFC 7011 3.2:
/// IE id, enterprise number, field length, in order), scope count and kind.
/// Types are not compared: the wire carries none, T says how to read them.
template <compile_time_template T>
[[nodiscard]] constexpr bool same_fields(const dynamic_template& t) noexcept {
    const auto f = t.fields();
    if (f.size() != T::field_count || t.scope_count() != T::scope_count || t.is_options() != T::is_options)
        return false;
    for (std::size_t i = 0; i < T::field_count; ++i)
        if (f[i].id != T::fields[i].id || f[i].enterprise != T::fields[i].enterprise ||
            f[i].length != T::fields[i].length)
            return false;
    return true;
}

/// Index in Ts of the first template whose fields `t` has, or sizeof...(Ts).
template <compile_time_template... Ts>
[[nodiscard]] constexpr std::size_t match_template(const dynamic_template& t) noexcept {
    std::size_t i = 0;
    (void)((same_fields<Ts>(t) || (++i, false)) || ...);
    return i;
}

/// Calls on_template(Ts...[k]{}) (k < sizeof...(Ts)) and returns true, or
/// returns false: turns an index from match_template into a type.
template <compile_time_template... Ts, class F>
constexpr bool with_template(std::size_t k, F&& on_template) {
    std::size_t i = 0;
    return ((i++ == k ? (on_template(Ts{}), true) : false) || ...);
}

/// Calls on_template(T{}) for the first T of Ts whose fields `t` has, else
/// fallback(); both return the same type (or void). For example:
///
///   dispatch_template<flow_v4, flow_v6>(set_template,
///       [&](auto t) { using T = decltype(t); for (auto r : *parse_data_set_as<T>(set)) ... get<I>(r) ... },
///       [&] { ... dynamic_data_set::parse(set_template, set) ... });
///
/// template_cache::process<Ts...> does this once per learnt template.
template <compile_time_template... Ts, class F, class G>
constexpr decltype(auto) dispatch_template(const dynamic_template& t, F&& on_template, G&& fallback) {
    static_assert(sizeof...(Ts) > 0, "ioam: dispatch_template needs at least one compile-time template");
    using R = decltype(fallback());
    const std::size_t k = match_template<Ts...>(t);
    if constexpr (std::is_void_v<R>) {
        if (!with_template<Ts...>(k, on_template)) fallback();
    } else {
        R out{};
        if (!with_template<Ts...>(k, [&](auto tt) { out = on_template(tt); })) out = fallback();
        return out;
    }
}

}  // namespace ioam::ipfix
