// One iterator for every view over framed data (IPFIX sets, template and
// data records, list elements, file messages; IOAM trace options and nodes):
// CTRE's shape, an iterator and a sentinel, around a small "framing" value
// that knows what the frame at a position is and where the next one starts.
// Views check their framing when they are made (parse_*), so stepping
// through a checked view cannot fail and always advances.
#pragma once

#include <concepts>
#include <cstddef>
#include <iterator>
#include <type_traits>
#include <utility>

namespace ioam::detail {

/// What a view tells its iterator: at(pos), the frame at pos, and
/// next(pos), where the following frame starts (greater than pos).
template <class F>
concept framing = std::is_trivially_copyable_v<F> && std::default_initializable<F> &&
                  requires(const F& f, std::size_t pos) {
                      f.at(pos);
                      { f.next(pos) } -> std::convertible_to<std::size_t>;
                  };

/// The end of a framed view: the position one past its last frame.
struct framed_sentinel {
    std::size_t end = 0;
};

/// A forward iterator over the frames of a checked view. It holds the
/// framing (spans and a few integers) by value, so it outlives its view.
/// F is checked against `framing` where the iterator is made, not where it
/// is named: views declare their framing as a nested class, complete only
/// once the view is.
template <class F>
class framed_iterator {
public:
    using value_type = std::remove_cvref_t<decltype(std::declval<const F&>().at(0))>;
    using difference_type = std::ptrdiff_t;
    using iterator_concept = std::forward_iterator_tag;
    using iterator_category = std::input_iterator_tag;  // operator* returns a value

    constexpr framed_iterator() noexcept = default;
    constexpr framed_iterator(const F& f, std::size_t pos) noexcept : f_(f), pos_(pos) {
        static_assert(framing<F>, "ioam: a framing has at(pos) and next(pos) and is trivially copyable");
    }

    [[nodiscard]] constexpr value_type operator*() const noexcept(noexcept(std::declval<const F&>().at(0))) {
        return f_.at(pos_);
    }
    constexpr framed_iterator& operator++() noexcept(noexcept(std::declval<const F&>().next(0))) {
        pos_ = f_.next(pos_);
        return *this;
    }
    constexpr framed_iterator operator++(int) noexcept(noexcept(std::declval<const F&>().next(0))) {
        framed_iterator t = *this;
        ++*this;
        return t;
    }
    /// Where the current frame starts in the view's buffer.
    [[nodiscard]] constexpr std::size_t position() const noexcept { return pos_; }

    friend constexpr bool operator==(const framed_iterator& a, const framed_iterator& b) noexcept {
        return a.pos_ == b.pos_;
    }
    friend constexpr bool operator==(const framed_iterator& a, framed_sentinel s) noexcept { return a.pos_ >= s.end; }

private:
    F f_{};
    std::size_t pos_ = 0;
};

}  // namespace ioam::detail
