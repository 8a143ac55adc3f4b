// Netlink datagrams in a pcap file (link type LINKTYPE_NETLINK, 253, as
// written by tcpdump on an nlmon device and read by tshark): each record is
// a 16-octet cooked header then the datagram's netlink messages, unchanged
// (host byte order). Used by --record and --replay.
//
//   pcap file header (24, host order)   record header (16, host order)
//   | magic a1b2c3d4 | 2.4 | 0 | 0 |     | seconds | microseconds |
//   | snaplen | linktype 253 |           | captured length | original length |
//   cooked header (16, network order): | packet type | ARPHRD_NETLINK 824 |
//   | address length 0 | address (8 octets) | netlink protocol (16 = generic) |
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <span>

namespace ioam_tools::pcap {

inline constexpr std::uint32_t magic_usec = 0xa1b2c3d4;
inline constexpr std::uint32_t magic_nsec = 0xa1b23c4d;
inline constexpr std::uint32_t linktype_netlink = 253;
inline constexpr std::uint16_t arphrd_netlink = 824;
inline constexpr std::uint16_t netlink_generic = 16;
inline constexpr std::size_t file_header_size = 24;
inline constexpr std::size_t record_header_size = 16;
inline constexpr std::size_t cooked_header_size = 16;
inline constexpr std::uint32_t snaplen = 262144;

/// Appends records to a stdio stream. Returns false on a write error.
class writer {
public:
    writer() = default;
    explicit writer(std::FILE* f) : f_(f) {}
    [[nodiscard]] bool header() {
        std::uint32_t h[6] = {magic_usec, 0x00040002u /* version 2.4 */, 0, 0, snaplen, linktype_netlink};
        return std::fwrite(h, sizeof h, 1, f_) == 1;
    }
    [[nodiscard]] bool record(std::span<const std::byte> datagram, std::uint32_t sec, std::uint32_t usec) {
        std::uint8_t cooked[cooked_header_size] = {};
        cooked[1] = 6;  // PACKET_USER: to user space, as nlmon marks a kernel event
        cooked[2] = arphrd_netlink >> 8;
        cooked[3] = arphrd_netlink & 0xff;
        cooked[14] = 0;
        cooked[15] = netlink_generic;
        const auto len = static_cast<std::uint32_t>(cooked_header_size + datagram.size());
        std::uint32_t rh[4] = {sec, usec, len, len};
        return std::fwrite(rh, sizeof rh, 1, f_) == 1 && std::fwrite(cooked, sizeof cooked, 1, f_) == 1 &&
               (datagram.empty() || std::fwrite(datagram.data(), datagram.size(), 1, f_) == 1);
    }
    [[nodiscard]] bool flush() { return std::fflush(f_) == 0; }

private:
    std::FILE* f_ = nullptr;
};

/// What a replay reads: one datagram per record.
struct record {
    std::span<const std::byte> datagram;
    std::uint32_t sec = 0, usec = 0;
    std::size_t offset = 0;  ///< of the record header in the file
};

/// Walks a pcap file held in memory. open() checks the file header; next()
/// stops at the end or at the first bad record (error() tells which).
class reader {
public:
    [[nodiscard]] bool open(std::span<const std::byte> file) {
        file_ = file;
        if (file.size() < file_header_size) return fail("shorter than a pcap file header");
        std::uint32_t m;
        std::memcpy(&m, file.data(), 4);
        if (m != magic_usec && m != magic_nsec) return fail("not a pcap file in this host's byte order");
        nsec_ = m == magic_nsec;
        std::uint32_t lt;
        std::memcpy(&lt, file.data() + 20, 4);
        if ((lt & 0xffff) != linktype_netlink) return fail("link type is not NETLINK (253)");
        pos_ = file_header_size;
        return true;
    }
    [[nodiscard]] bool next(record& r) {
        if (err_ || pos_ == file_.size()) return false;
        if (file_.size() - pos_ < record_header_size) return fail("truncated record header");
        std::uint32_t rh[4];
        std::memcpy(rh, file_.data() + pos_, sizeof rh);
        if (rh[2] > file_.size() - pos_ - record_header_size) return fail("record longer than the file");
        if (rh[2] < cooked_header_size) return fail("record shorter than the netlink cooked header");
        const std::byte* c = file_.data() + pos_ + record_header_size;
        if ((std::to_integer<unsigned>(c[2]) << 8 | std::to_integer<unsigned>(c[3])) != arphrd_netlink)
            return fail("cooked header is not ARPHRD_NETLINK");
        r.offset = pos_;
        r.sec = rh[0];
        r.usec = nsec_ ? rh[1] / 1000 : rh[1];
        r.datagram = file_.subspan(pos_ + record_header_size + cooked_header_size, rh[2] - cooked_header_size);
        pos_ += record_header_size + rh[2];
        return true;
    }
    [[nodiscard]] const char* error() const { return err_; }
    [[nodiscard]] std::size_t position() const { return pos_; }

private:
    bool fail(const char* why) {
        err_ = why;
        return false;
    }
    std::span<const std::byte> file_{};
    std::size_t pos_ = 0;
    bool nsec_ = false;
    const char* err_ = nullptr;
};

}  // namespace ioam_tools::pcap
