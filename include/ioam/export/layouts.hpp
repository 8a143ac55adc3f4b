// The record layouts a program can pick by name: one registration per layout
// (a layout is one file, layout.hpp says what it provides). Programs dispatch
// once, at start-up, and run fully typed afterwards:
//
//   with_layout(name, [&]<class L>(std::type_identity<L>) { run<L>(...); });
#pragma once

#include <string_view>
#include <type_traits>

#include "ioam/export/layout.hpp"
#include "ioam/export/pen10383_layout.hpp"
#include "ioam/export/rawexport_layout.hpp"

namespace ioam::exporting {

template <record_layout... Ls>
struct layout_list {
    /// Calls f(std::type_identity<L>{}) for the layout named `name`; false
    /// (f not called) when no layout has that name.
    template <class F>
    static constexpr bool with(std::string_view name, F&& f) {
        return ((name == Ls::name ? (f(std::type_identity<Ls>{}), true) : false) || ...);
    }
    /// Calls f(L::name) for every layout, in registration order.
    template <class F>
    static constexpr void names(F&& f) {
        (f(Ls::name), ...);
    }
};

/// The layouts of IOAM kernel events (ioam-exporter --format). The first is the default.
using event_layouts = layout_list<pen10383_layout, rawexport_layout>;

}  // namespace ioam::exporting
