// Log lines at a bounded rate: at most `burst` lines of one kind per
// `window` seconds; the rest are counted and summarised in one line when the
// window ends (or at exit), so a hostile or broken peer cannot turn every
// message into a line of stderr.
#pragma once

#include <cinttypes>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <ctime>

namespace ioam_collector {

class log_limit {
public:
    constexpr log_limit(const char* what, unsigned burst = 10, unsigned window = 10) noexcept
        : what_(what), burst_(burst), window_(window) {}

    /// Prints the line (prefixed "ioam-collector: ") unless the window's
    /// budget is spent; counts it either way.
    [[gnu::format(printf, 2, 3)]] void operator()(const char* fmt, ...) {
        const std::time_t now = std::time(nullptr);
        roll(now);
        ++total_;
        if (in_window_++ >= burst_) {
            ++suppressed_;
            return;
        }
        std::va_list ap;
        va_start(ap, fmt);
        std::fputs("ioam-collector: ", stderr);
        std::vfprintf(stderr, fmt, ap);
        std::fputc('\n', stderr);
        va_end(ap);
    }

    /// Ends the window early (at exit) so its summary is printed.
    void flush() { roll(start_ + static_cast<std::time_t>(window_)); }

    [[nodiscard]] std::uint64_t total() const noexcept { return total_; }
    [[nodiscard]] std::uint64_t suppressed() const noexcept { return suppressed_; }

private:
    void roll(std::time_t now) {
        if (now - start_ < static_cast<std::time_t>(window_)) return;
        if (in_window_ > burst_)
            std::fprintf(stderr, "ioam-collector: %u more %s line(s) suppressed in %u s (%" PRIu64 " in all)\n",
                         in_window_ - burst_, what_, window_, total_);
        start_ = now;
        in_window_ = 0;
    }
    const char* what_;
    unsigned burst_, window_;
    std::time_t start_ = 0;
    unsigned in_window_ = 0;
    std::uint64_t total_ = 0, suppressed_ = 0;
};

}  // namespace ioam_collector
