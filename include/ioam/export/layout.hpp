// The record-layout seam of the export session (session.hpp): what an input
// (a kernel event, a flow, a path-delay interval, ...) becomes in IPFIX.
// A layout says, for one input, which records it makes and of which shape;
// the shape decides the template (RFC 7011 3.4.1), so inputs of equal shapes
// share one template id. The session owns everything else (template ids,
// refresh, withdrawal, messages, counters); a layout does no I/O.
//
//   input --layout.encode(in, ctx, out)--> out(shape, writer-fn) per record,
//         or out.each(shape, n, writer-fn(i)) for n records of one shape
//   shape --L::encode_template(id, shape, w)--> template record
//   shape --L::min_record_size(shape)--> smallest record (set padding, 3.3.1)
//   shape --L::template_id(shape)--> the shape's own template id (optional,
//         names_template_ids: without it the session numbers shapes in
//         first-seen order)
//   data record --L::decode(dynamic_record)--> L::decoded (the collector side)
//
// Layouts live one per file (pen10383_layout.hpp, rawexport_layout.hpp) and
// are registered in layouts.hpp.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ioam/core/buffer.hpp"
#include "ioam/core/error.hpp"
#include "ioam/ipfix/dynamic_template.hpp"

namespace ioam::exporting {

/// What the session tells a layout about the input being encoded.
struct input_context {
    /// 1, 2, 3, ... per input the session accepted (the layout may export it,
    /// as PEN 10383's ioamEventId does, to group an input's records).
    std::uint32_t input_id = 1;
    /// When the input was observed (received), UNIX nanoseconds.
    std::uint64_t observed_ns = 0;
};

namespace detail {
/// The record sink a layout's encode() is checked against: out(shape, fn)
/// where fn(byte_writer&) -> result<void> writes one data record, and
/// out.each(shape, n, fn) where fn(i, byte_writer&) writes record i.
template <class Shape>
struct record_out_archetype {
    template <class Write>
    result<void> operator()(const Shape&, Write&&) {
        return {};
    }
    /// n records of one shape: fn(i, byte_writer&) writes record i.
    template <class Write>
    result<void> each(const Shape&, std::size_t, Write&&) {
        return {};
    }
};
}  // namespace detail

/// A record layout (see the top of this file). encode() returns an error
/// when it rejects the input as malformed, and then must not have called
/// out; a record that does not fit is the session's business (out returns
/// its error, the layout may go on with the input's next record).
template <class L>
concept record_layout =
    std::semiregular<typename L::shape> && std::equality_comparable<typename L::shape> &&
    requires(L& l, const typename L::input& in, const typename L::shape& s, const input_context& c, byte_writer& w,
             std::uint16_t id, const ipfix::dynamic_record& rec,
             detail::record_out_archetype<typename L::shape>& out) {
        { L::name } -> std::convertible_to<std::string_view>;
        { L::max_record_size } -> std::convertible_to<std::size_t>;
        { L::max_template_record_size } -> std::convertible_to<std::size_t>;
        { l.encode(in, c, out) } -> std::same_as<result<void>>;
        { L::encode_template(id, s, w) } -> std::same_as<result<void>>;
        { L::min_record_size(s) } -> std::convertible_to<std::size_t>;
        { L::decode(rec) } -> std::same_as<typename L::decoded>;
    };

/// A layout that names the template id of every shape (a fixed, documented
/// numbering, like the flow layouts'), instead of the session's first-seen
/// numbering. Distinct shapes must have distinct ids, each 256 or above
/// (RFC 7011 3.4.1), and below the statistics template's 4000 (stats.hpp).
template <class L>
concept names_template_ids = requires(const typename L::shape& s) {
    { L::template_id(s) } -> std::convertible_to<std::uint16_t>;
};

}  // namespace ioam::exporting
