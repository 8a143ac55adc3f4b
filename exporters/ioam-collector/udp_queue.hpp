// A bounded queue of received UDP datagrams and their source addresses,
// packed back to back in one buffer. The receive path moves what the socket
// holds into it while decoding lags: a datagram costs its own size here
// (plus 40 octets), where the kernel charges its socket buffer the whole
// allocation (on loopback 2,304 octets for a 1,340-octet datagram). When
// the queue is full the socket is left to fill, so every loss is still one
// the kernel counts (SO_MEMINFO drops): nothing is dropped here.
//
// The buffer is reserved at the start and touched only as far as a burst
// fills it; the pages beyond the first datagram's room go back to the
// kernel once the queue is empty again.
#pragma once

#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

namespace ioam_collector {

namespace detail {
struct udp_queue_header {
    std::uint32_t len, addrlen;
    sockaddr_in6 addr;  ///< IPv4 or IPv6 (the larger)
};
/// A datagram of n octets in the queue: header, data, 8-aligned.
constexpr std::size_t udp_queue_entry(std::size_t n) noexcept {
    return (sizeof(udp_queue_header) + n + 7) & ~std::size_t{7};
}
}  // namespace detail

class udp_queue {
public:
    /// The largest datagram a reservation takes (a UDP payload is at most 65,535 octets).
    static constexpr std::size_t max_datagram = 65536;
    /// The room one reservation needs.
    static constexpr std::size_t room = detail::udp_queue_entry(max_datagram);

    /// `capacity` octets (at least one largest datagram and its header).
    explicit udp_queue(std::size_t capacity) : cap_(std::max(capacity, room + 64)) {
        void* p = mmap(nullptr, cap_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        buf_ = p == MAP_FAILED ? nullptr : static_cast<std::byte*>(p);
    }
    ~udp_queue() {
        if (buf_) munmap(buf_, cap_);
    }
    udp_queue(const udp_queue&) = delete;
    udp_queue& operator=(const udp_queue&) = delete;

    [[nodiscard]] bool valid() const noexcept { return buf_ != nullptr; }
    [[nodiscard]] std::size_t capacity() const noexcept { return cap_; }

    /// Where to receive the next datagram (max_datagram octets of room), or
    /// nullptr when the queue is full. Nothing changes until commit().
    [[nodiscard]] std::byte* reserve() noexcept {
        if (!buf_) return nullptr;
        if (count_ == 0) head_ = tail_ = 0, wrap_ = npos;
        if (wrap_ == npos) {
            if (cap_ - tail_ >= room) return at(pending_ = tail_);
            if (head_ > room) return at(pending_ = 0);  // wrap: strictly below head, so full != empty
            return nullptr;
        }
        if (head_ - tail_ > room) return at(pending_ = tail_);
        return nullptr;
    }

    /// The datagram of `n` octets received at the last reserve() from `from`.
    void commit(const sockaddr_storage& from, socklen_t fromlen, std::size_t n) noexcept {
        if (pending_ == 0 && tail_ != 0 && wrap_ == npos) wrap_ = tail_;
        header h{};
        h.len = static_cast<std::uint32_t>(std::min(n, max_datagram));
        h.addrlen = static_cast<std::uint32_t>(std::min<std::size_t>(fromlen, sizeof h.addr));
        std::memcpy(&h.addr, &from, h.addrlen);
        std::memcpy(buf_ + pending_, &h, sizeof h);
        tail_ = pending_ + entry_size(h.len);
        ++count_;
        peak_bytes_ = std::max(peak_bytes_, used());
        peak_count_ = std::max(peak_count_, count_);
        touched_ = std::max(touched_, tail_);
    }

    [[nodiscard]] bool empty() const noexcept { return count_ == 0; }
    [[nodiscard]] std::size_t size() const noexcept { return count_; }

    struct item {
        sockaddr_storage from;
        std::span<const std::byte> data;  ///< borrows the queue until pop()
    };
    /// The oldest datagram; the queue must not be empty.
    [[nodiscard]] item front() const noexcept {
        header h;
        std::memcpy(&h, buf_ + head_, sizeof h);
        item it{};
        std::memcpy(&it.from, &h.addr, h.addrlen);
        it.data = {buf_ + head_ + sizeof(header), h.len};
        return it;
    }
    void pop() noexcept {
        header h;
        std::memcpy(&h, buf_ + head_, sizeof h);
        head_ += entry_size(h.len);
        if (--count_ == 0) {
            head_ = tail_ = 0;
            wrap_ = npos;
            release();
        } else if (head_ == wrap_) {
            head_ = 0;
            wrap_ = npos;
        }
    }

    /// The most octets and datagrams held at once.
    [[nodiscard]] std::size_t peak_bytes() const noexcept { return peak_bytes_; }
    [[nodiscard]] std::size_t peak_count() const noexcept { return peak_count_; }
    /// Octets of the buffer in use now (with the gap a wrap leaves).
    [[nodiscard]] std::size_t used() const noexcept {
        if (count_ == 0) return 0;
        return wrap_ == npos ? tail_ - head_ : (wrap_ - head_) + tail_;
    }

private:
    using header = detail::udp_queue_header;
    static constexpr std::size_t npos = ~std::size_t{0};
    static constexpr std::size_t entry_size(std::size_t n) noexcept { return detail::udp_queue_entry(n); }
    std::byte* at(std::size_t pos) const noexcept { return buf_ + pos + sizeof(header); }

    // Pages a burst touched go back once it is over (the first datagram's room stays).
    void release() noexcept {
        if (touched_ <= 2 * room) return;
        const std::size_t page = 4096, from = (room + page - 1) / page * page;
        if (touched_ > from) (void)madvise(buf_ + from, touched_ - from, MADV_DONTNEED);
        touched_ = 0;
    }

    std::byte* buf_ = nullptr;
    std::size_t cap_;
    std::size_t head_ = 0, tail_ = 0, wrap_ = npos, pending_ = 0, count_ = 0;
    std::size_t peak_bytes_ = 0, peak_count_ = 0, touched_ = 0;
};

}  // namespace ioam_collector
