// exporters/ioam-collector/udp_queue.hpp: datagrams come out in order, with
// their addresses and octets, across wraps; a full queue refuses instead of
// overwriting; an empty one starts again at the front.
#include "udp_queue.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <deque>
#include <vector>

namespace {

using ioam_collector::udp_queue;

sockaddr_storage address(std::uint16_t port) {
    sockaddr_storage a{};
    auto* in = reinterpret_cast<sockaddr_in6*>(&a);
    in->sin6_family = AF_INET6;
    in->sin6_port = htons(port);
    inet_pton(AF_INET6, "2001:db8::7", &in->sin6_addr);
    return a;
}

struct sent {
    std::uint16_t port;
    std::vector<std::byte> data;
};

bool push(udp_queue& q, std::deque<sent>& model, std::uint16_t port, std::size_t n) {
    std::byte* p = q.reserve();
    if (!p) return false;
    sent s{port, std::vector<std::byte>(n)};
    for (std::size_t i = 0; i < n; ++i) s.data[i] = static_cast<std::byte>((port * 31 + i) & 0xff);
    std::copy(s.data.begin(), s.data.end(), p);
    q.commit(address(port), sizeof(sockaddr_in6), n);
    model.push_back(std::move(s));
    return true;
}

void pop_and_check(udp_queue& q, std::deque<sent>& model) {
    ASSERT_FALSE(q.empty());
    const auto it = q.front();
    const auto* in = reinterpret_cast<const sockaddr_in6*>(&it.from);
    EXPECT_EQ(ntohs(in->sin6_port), model.front().port);
    EXPECT_EQ(in->sin6_family, AF_INET6);
    ASSERT_EQ(it.data.size(), model.front().data.size());
    EXPECT_TRUE(std::equal(it.data.begin(), it.data.end(), model.front().data.begin()));
    q.pop();
    model.pop_front();
}

TEST(UdpQueue, FifoAcrossWrapsAndFull) {
    udp_queue q(4 * udp_queue::room);
    ASSERT_TRUE(q.valid());
    std::deque<sent> model;
    std::uint16_t port = 1;
    std::size_t refused = 0;
    // Sizes from 0 to near the maximum, so entries wrap at many offsets.
    for (int round = 0; round < 2000; ++round) {
        const std::size_t n = (static_cast<std::size_t>(round) * 7919) % 60000;
        if (!push(q, model, port, n)) {
            ++refused;
            // Drained from the front until it fits: at the latest, an empty queue takes it.
            do {
                ASSERT_FALSE(q.empty()) << "an empty queue always takes a datagram";
                pop_and_check(q, model);
            } while (!push(q, model, port, n));
        }
        ++port;
        EXPECT_LE(q.used(), q.capacity());
        EXPECT_EQ(q.size(), model.size());
    }
    EXPECT_GT(refused, 100u);
    while (!q.empty()) pop_and_check(q, model);
    EXPECT_TRUE(model.empty());
    EXPECT_EQ(q.used(), 0u);
    EXPECT_LE(q.peak_bytes(), q.capacity());
}

TEST(UdpQueue, SmallDatagramsFillTheCapacity) {
    // 1,340-octet datagrams: all but one reservation's room holds them at
    // their own size plus the 40-octet header.
    const std::size_t cap = 4u << 20;
    udp_queue q(cap);
    std::deque<sent> model;
    std::uint16_t port = 0;
    while (push(q, model, port, 1340)) ++port;
    const std::size_t entry = (1340 + 36 + 7) / 8 * 8;
    EXPECT_EQ(entry, 1376u);
    EXPECT_GE(q.size(), (cap - udp_queue::room) / entry);
    EXPECT_LE(q.size(), cap / entry);
    EXPECT_EQ(q.peak_count(), q.size());
    // Half out, then the freed front is used again (a wrap), in order.
    const std::size_t half = q.size() / 2;
    for (std::size_t i = 0; i < half; ++i) pop_and_check(q, model);
    std::size_t more = 0;
    while (push(q, model, port, 1340)) ++port, ++more;
    EXPECT_GE(more, half - udp_queue::room / entry - 1);
    while (!q.empty()) pop_and_check(q, model);
}

TEST(UdpQueue, ZeroCapacityHoldsOneDatagram) {
    udp_queue q(0);
    std::deque<sent> model;
    ASSERT_TRUE(push(q, model, 9, 65507));
    EXPECT_FALSE(push(q, model, 10, 1));
    pop_and_check(q, model);
    ASSERT_TRUE(push(q, model, 11, 1));
    pop_and_check(q, model);
}

}  // namespace
