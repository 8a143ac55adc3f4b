// --replay: recorded netlink datagrams (pcap.hpp) instead of the kernel. The
// file is mapped (read-only, sequential) and walked without copies.
#pragma once

#include "pcap.hpp"

#include <cstddef>
#include <string>

namespace ioam_tools {

class replay_input {
public:
    replay_input() = default;
    replay_input(const replay_input&) = delete;
    replay_input& operator=(const replay_input&) = delete;
    ~replay_input();
    /// Reads and checks the file; says why not on stderr, prefixed with `program`.
    bool open(const std::string& path, const char* program);
    /// The next datagram and its recorded time; false at the end or at a bad record (error()).
    bool next(pcap::record& r) { return reader_.next(r); }
    [[nodiscard]] const char* error() const { return reader_.error(); }
    [[nodiscard]] std::size_t position() const { return reader_.position(); }

private:
    void* map_ = nullptr;
    std::size_t size_ = 0;
    pcap::reader reader_;
};

}  // namespace ioam_tools
