// Shared helpers of the fuzz harnesses: the exact-size copy (so ASan sees any
// read past the input), a sink that keeps every value read alive, a check that
// aborts (a crash to libFuzzer and to the replay test), and a dispatch from a
// run-time IPFIX data type to its compile-time codec.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string_view>
#include <type_traits>
#include <vector>

#include "ioam/core/bytes.hpp"
#include "ioam/core/error.hpp"
#include "ioam/ipfix/types.hpp"

namespace fuzz {

/// The input in a heap buffer of exactly its size: one byte past it is a
/// heap-buffer-overflow, which the input libFuzzer hands us would not show.
inline std::vector<std::byte> copy_exact(const std::uint8_t* data, std::size_t size) {
    std::vector<std::byte> v(size);
    if (size != 0) std::memcpy(v.data(), data, size);
    return v;
}

[[noreturn]] inline void fail(const char* what, const char* file, int line) {
    std::fprintf(stderr, "fuzz check failed: %s (%s:%d)\n", what, file, line);
    std::abort();
}

// A macro only for the file and line (std::source_location does not work with
// clang 14 and libstdc++ 12).
#define FUZZ_CHECK(cond) ((cond) ? void() : ::fuzz::fail(#cond, __FILE__, __LINE__))

inline volatile std::uint64_t sink = 0;

/// Folds one value into the sink so no read can be optimised away.
inline void use(std::uint64_t x) { sink = (sink * 0x100000001b3ULL) ^ x; }
inline void use(std::span<const std::byte> b) {
    std::uint64_t h = b.size();
    for (std::byte c : b) h = (h * 31) + std::to_integer<std::uint64_t>(c);
    use(h);
}
inline void use(std::string_view s) { use(std::as_bytes(std::span(s.data(), s.size()))); }
/// Any other trivially copyable value (addresses, time stamps, booleans,
/// floats): its object representation.
template <class T>
    requires(std::is_trivially_copyable_v<T> && !std::is_integral_v<T> && !std::is_enum_v<T>)
inline void use(const T& v) {
    use(std::as_bytes(std::span(&v, 1)));
}
template <class T>
    requires(std::is_integral_v<T> || std::is_enum_v<T>)
inline void use(T v) {
    if constexpr (std::is_enum_v<T>) use(static_cast<std::uint64_t>(v));
    else use(static_cast<std::uint64_t>(v));
}

/// Error offsets point into the input (at most one past its end).
inline void check_error(const ioam::error& e, std::size_t size) {
    use(static_cast<std::uint64_t>(e.code));
    FUZZ_CHECK(e.code != ioam::errc::ok);
    FUZZ_CHECK(e.offset <= size);
}

/// Calls f(std::integral_constant<data_type, T>{}) for the run-time type t.
template <class F>
inline void with_type(ioam::ipfix::data_type t, F&& f) {
    using ioam::ipfix::data_type;
    switch (t) {
#define FUZZ_TYPE(x) \
    case data_type::x: f(std::integral_constant<data_type, data_type::x>{}); return;
        FUZZ_TYPE(octetArray) FUZZ_TYPE(unsigned8) FUZZ_TYPE(unsigned16) FUZZ_TYPE(unsigned32)
        FUZZ_TYPE(unsigned64) FUZZ_TYPE(signed8) FUZZ_TYPE(signed16) FUZZ_TYPE(signed32) FUZZ_TYPE(signed64)
        FUZZ_TYPE(float32) FUZZ_TYPE(float64) FUZZ_TYPE(boolean) FUZZ_TYPE(macAddress) FUZZ_TYPE(string)
        FUZZ_TYPE(dateTimeSeconds) FUZZ_TYPE(dateTimeMilliseconds) FUZZ_TYPE(dateTimeMicroseconds)
        FUZZ_TYPE(dateTimeNanoseconds) FUZZ_TYPE(ipv4Address) FUZZ_TYPE(ipv6Address) FUZZ_TYPE(basicList)
        FUZZ_TYPE(subTemplateList) FUZZ_TYPE(subTemplateMultiList)
#undef FUZZ_TYPE
    }
}

}  // namespace fuzz
