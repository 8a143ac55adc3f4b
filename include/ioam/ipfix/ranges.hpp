// range-v3 adapter: the one header of the library that includes range-v3.
// It declares the decoder views (sets of a message, records of a set, list
// elements, messages of a file) to be range-v3 views and borrowed ranges, so
// they compose with range-v3's own adaptors:
//
//   for (auto bytes : parse_data_set<flow>(set).value()
//                         | ranges::views::transform([](auto r) { return get<ie::octetDeltaCount>(r); })
//                         | ranges::views::filter([](auto n) { return n > 1000; })) ...
//
// Every view here is cheap to copy and holds only spans into the decoded
// buffer (and, for run-time templates, a pointer to the template), so its
// iterators stay valid after the view object is gone: a borrowed range. The
// buffer (and template) must still outlive them. Use range-v3's views rather
// than std::views: clang 14 with libstdc++ 12 cannot compile std::views.
#pragma once

#include <range/v3/range/access.hpp>
#include <range/v3/range/concepts.hpp>

#include "ioam/ipfix/dynamic_template.hpp"
#include "ioam/ipfix/field.hpp"
#include "ioam/ipfix/file.hpp"
#include "ioam/ipfix/ie.hpp"
#include "ioam/ipfix/list.hpp"
#include "ioam/ipfix/message.hpp"
#include "ioam/ipfix/template.hpp"

namespace ranges {

// ---- message.hpp -----------------------------------------------------------------
template <>
inline constexpr bool enable_view<ioam::ipfix::set_range> = true;
template <>
inline constexpr bool enable_borrowed_range<ioam::ipfix::set_range> = true;
template <>
inline constexpr bool enable_view<ioam::ipfix::template_set_view> = true;
template <>
inline constexpr bool enable_borrowed_range<ioam::ipfix::template_set_view> = true;
template <ioam::ipfix::compile_time_template T>
inline constexpr bool enable_view<ioam::ipfix::data_set_view<T>> = true;
template <ioam::ipfix::compile_time_template T>
inline constexpr bool enable_borrowed_range<ioam::ipfix::data_set_view<T>> = true;

// ---- dynamic_template.hpp ----------------------------------------------------------
template <>
inline constexpr bool enable_view<ioam::ipfix::dynamic_data_set> = true;
template <>
inline constexpr bool enable_borrowed_range<ioam::ipfix::dynamic_data_set> = true;

// ---- list.hpp --------------------------------------------------------------------------
template <>
inline constexpr bool enable_view<ioam::ipfix::basic_list_view> = true;
template <>
inline constexpr bool enable_borrowed_range<ioam::ipfix::basic_list_view> = true;
template <ioam::ipfix::data_type T>
inline constexpr bool enable_view<ioam::ipfix::basic_list_view::values_view<T>> = true;
template <ioam::ipfix::data_type T>
inline constexpr bool enable_borrowed_range<ioam::ipfix::basic_list_view::values_view<T>> = true;
template <ioam::ipfix::compile_time_template T>
inline constexpr bool enable_view<ioam::ipfix::list_records<T>> = true;
template <ioam::ipfix::compile_time_template T>
inline constexpr bool enable_borrowed_range<ioam::ipfix::list_records<T>> = true;
template <ioam::ipfix::compile_time_template T>
inline constexpr bool enable_view<ioam::ipfix::sub_template_list_view<T>> = true;
template <ioam::ipfix::compile_time_template T>
inline constexpr bool enable_borrowed_range<ioam::ipfix::sub_template_list_view<T>> = true;
template <>
inline constexpr bool enable_view<ioam::ipfix::dynamic_list_records> = true;
template <>
inline constexpr bool enable_borrowed_range<ioam::ipfix::dynamic_list_records> = true;
template <>
inline constexpr bool enable_view<ioam::ipfix::dynamic_sub_template_list> = true;
template <>
inline constexpr bool enable_borrowed_range<ioam::ipfix::dynamic_sub_template_list> = true;
template <>
inline constexpr bool enable_view<ioam::ipfix::sub_template_multi_list_view> = true;
template <>
inline constexpr bool enable_borrowed_range<ioam::ipfix::sub_template_multi_list_view> = true;

// ---- file.hpp ----------------------------------------------------------------------------
template <>
inline constexpr bool enable_view<ioam::ipfix::file_view> = true;
template <>
inline constexpr bool enable_borrowed_range<ioam::ipfix::file_view> = true;

}  // namespace ranges

namespace ioam::ipfix {

/// What this header promises of a decoder view: a range-v3 forward range, a
/// view (cheap to copy, default constructible) and a borrowed range.
template <class V>
concept range_v3_decoder_view =
    ::ranges::forward_range<V> && ::ranges::view_<V> && ::ranges::borrowed_range<V>;

namespace detail {
// One instance of each class template, to check the promise at compile time.
using ranges_probe_fixed = data_template<256, enterprise<1, 1, data_type::unsigned8>>;
using ranges_probe_varlen = data_template<257, enterprise<1, 2, data_type::string>>;
}  // namespace detail

static_assert(range_v3_decoder_view<set_range>, "ioam: set_range must model range-v3 forward_range and view_");
static_assert(range_v3_decoder_view<template_set_view>,
              "ioam: template_set_view must model range-v3 forward_range and view_");
static_assert(range_v3_decoder_view<data_set_view<detail::ranges_probe_fixed>>,
              "ioam: data_set_view<T> must model range-v3 forward_range and view_");
static_assert(range_v3_decoder_view<data_set_view<detail::ranges_probe_varlen>>,
              "ioam: data_set_view<T> (variable-length fields) must model range-v3 forward_range and view_");
static_assert(range_v3_decoder_view<dynamic_data_set>,
              "ioam: dynamic_data_set must model range-v3 forward_range and view_");
static_assert(range_v3_decoder_view<basic_list_view>,
              "ioam: basic_list_view must model range-v3 forward_range and view_");
static_assert(range_v3_decoder_view<basic_list_view::values_view<data_type::unsigned32>>,
              "ioam: basic_list_view::values_view<T> must model range-v3 forward_range and view_");
static_assert(range_v3_decoder_view<basic_list_view::values_view<data_type::string>>,
              "ioam: basic_list_view::values_view<T> must model range-v3 forward_range and view_");
static_assert(range_v3_decoder_view<list_records<detail::ranges_probe_varlen>>,
              "ioam: list_records<T> must model range-v3 forward_range and view_");
static_assert(range_v3_decoder_view<sub_template_list_view<detail::ranges_probe_fixed>>,
              "ioam: sub_template_list_view<T> must model range-v3 forward_range and view_");
static_assert(range_v3_decoder_view<dynamic_list_records>,
              "ioam: dynamic_list_records must model range-v3 forward_range and view_");
static_assert(range_v3_decoder_view<dynamic_sub_template_list>,
              "ioam: dynamic_sub_template_list must model range-v3 forward_range and view_");
static_assert(range_v3_decoder_view<sub_template_multi_list_view>,
              "ioam: sub_template_multi_list_view must model range-v3 forward_range and view_");
static_assert(range_v3_decoder_view<file_view>, "ioam: file_view must model range-v3 forward_range and view_");

}  // namespace ioam::ipfix
