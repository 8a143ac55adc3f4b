// A doubly linked list threaded through its elements (a member link<T>):
// no allocation, O(1) push, erase and move-to-back. Elements must not move
// while linked (node-based containers keep them in place). Used by the
// template cache for its LRU and expiry orders.
#pragma once

#include <cstddef>

namespace ioam::ipfix::detail {

template <class T>
struct link {
    T* prev = nullptr;
    T* next = nullptr;
    bool linked = false;
};

template <class T, link<T> T::*L>
class intrusive_list {
public:
    intrusive_list() = default;
    intrusive_list(const intrusive_list&) = delete;
    intrusive_list& operator=(const intrusive_list&) = delete;
    // The elements stay where they are; the moved-from list is left empty.
    intrusive_list(intrusive_list&& o) noexcept : head_(o.head_), tail_(o.tail_), size_(o.size_) { o.reset(); }
    intrusive_list& operator=(intrusive_list&& o) noexcept {
        head_ = o.head_;
        tail_ = o.tail_;
        size_ = o.size_;
        o.reset();
        return *this;
    }
    ~intrusive_list() = default;

    [[nodiscard]] T* front() const noexcept { return head_; }
    [[nodiscard]] T* back() const noexcept { return tail_; }
    [[nodiscard]] std::size_t size() const noexcept { return size_; }
    [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
    [[nodiscard]] static T* next(const T& x) noexcept { return (x.*L).next; }

    void push_back(T& x) noexcept {
        link<T>& l = x.*L;
        l.prev = tail_;
        l.next = nullptr;
        l.linked = true;
        if (tail_) (tail_->*L).next = &x;
        else head_ = &x;
        tail_ = &x;
        ++size_;
    }
    void erase(T& x) noexcept {
        link<T>& l = x.*L;
        if (!l.linked) return;
        if (l.prev) (l.prev->*L).next = l.next;
        else head_ = l.next;
        if (l.next) (l.next->*L).prev = l.prev;
        else tail_ = l.prev;
        l = {};
        --size_;
    }
    /// Moves x to the back (most recently used); links it if it was not.
    void touch(T& x) noexcept {
        if (tail_ == &x) return;
        erase(x);
        push_back(x);
    }

private:
    void reset() noexcept {
        head_ = tail_ = nullptr;
        size_ = 0;
    }
    T* head_ = nullptr;
    T* tail_ = nullptr;
    std::size_t size_ = 0;
};

}  // namespace ioam::ipfix::detail
