// The programs' clocks: monotonic milliseconds for timers, the wall clock for
// export times and receive times.
#pragma once

#include <time.h>

#include <cstdint>

#include "ioam/export/session.hpp"

namespace ioam_tools {

inline std::uint64_t now_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1000000000 + static_cast<std::uint64_t>(ts.tv_nsec);
}

inline std::uint64_t now_ms() { return now_ns() / 1000000; }

inline std::uint64_t now_unix_ns() {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1000000000 + static_cast<std::uint64_t>(ts.tv_nsec);
}

inline std::uint64_t wall_ms() { return now_unix_ns() / 1000000; }

/// What an export session's tick() takes.
inline ioam::exporting::session_clock session_now() {
    return {now_ms(), static_cast<std::uint32_t>(now_unix_ns() / 1000000000)};
}

}  // namespace ioam_tools
