// What the correlator knows of one node on a packet's path, and the IOAM
// timestamps (RFC 9197 4.4.2.1, bits 2 and 3) turned into nanoseconds.
#pragma once

#include <cstdint>
#include <optional>

namespace ioam::analysis {

/// Most hops kept per packet; further hops are counted (hops_truncated).
inline constexpr unsigned max_hops = 16;

/// How a namespace's nodes write the timestamp fraction (RFC 9197 4.4.2.1,
/// RFC 8877): Linux writes POSIX microseconds.
enum class timestamp_format : std::uint8_t { posix_us, ptp_ns, ntp };

/// Seconds and fraction to nanoseconds since the format's epoch; nullopt when
/// either is missing or "unavailable" (all ones).
[[nodiscard]] constexpr std::optional<std::int64_t> timestamp_ns(std::optional<std::uint64_t> seconds,
                                                                std::optional<std::uint64_t> fraction,
                                                                timestamp_format f = timestamp_format::posix_us) noexcept {
    if (!seconds || !fraction || *seconds == 0xffffffffu || *fraction == 0xffffffffu) return std::nullopt;
    std::uint64_t sub = 0;
    switch (f) {
    case timestamp_format::posix_us:
        if (*fraction >= 1'000'000u) return std::nullopt;
        sub = *fraction * 1000u;
        break;
    case timestamp_format::ptp_ns:
        if (*fraction >= 1'000'000'000u) return std::nullopt;
        sub = *fraction;
        break;
    case timestamp_format::ntp: sub = (*fraction * 1'000'000'000u) >> 32; break;
    }
    return static_cast<std::int64_t>(*seconds * 1'000'000'000u + sub);
}

/// One node's data for a packet. Node ids are the wide ones when the trace
/// type has bit 8, otherwise the 24-bit ones.
struct hop {
    std::uint64_t node_id = 0;
    std::optional<std::uint8_t> hop_limit;  ///< decreases along the path
    std::optional<std::int64_t> time_ns;    ///< when the node saw the packet
    friend constexpr bool operator==(const hop&, const hop&) = default;
};

}  // namespace ioam::analysis
