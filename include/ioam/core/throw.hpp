// Opt-in exceptions: turns a result into its value or a std::system_error.
// The codec itself never throws; include this where exceptions are wanted.
#pragma once

#include <string>
#include <system_error>
#include <utility>

#include "ioam/core/error.hpp"

namespace ioam {

/// Returns the value, or throws std::system_error naming the code and offset.
template <class T>
T value_or_throw(result<T> r) {
    if (!r) throw std::system_error(r.error_code(), "at byte offset " + std::to_string(r.offset()));
    if constexpr (!std::is_void_v<T>) return std::move(r).value();
}

}  // namespace ioam
