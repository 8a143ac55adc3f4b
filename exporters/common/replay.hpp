// --replay: recorded netlink datagrams (pcap.hpp) instead of the kernel. The
// file is read into memory once, then walked without copies.
#pragma once

#include "pcap.hpp"

#include <cstddef>
#include <string>
#include <vector>

namespace ioam_tools {

class replay_input {
public:
    /// Reads and checks the file; says why not on stderr, prefixed with `program`.
    bool open(const std::string& path, const char* program);
    /// The next datagram and its recorded time; false at the end or at a bad record (error()).
    bool next(pcap::record& r) { return reader_.next(r); }
    [[nodiscard]] const char* error() const { return reader_.error(); }
    [[nodiscard]] std::size_t position() const { return reader_.position(); }

private:
    std::vector<std::byte> file_;
    pcap::reader reader_;
};

}  // namespace ioam_tools
