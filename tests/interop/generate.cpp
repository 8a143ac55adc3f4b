// Writes deterministic but varied IPFIX messages with our encoder, for the
// independent decoders to read:
//   OUTDIR/ours.ipfix     the messages concatenated (an IPFIX file, RFC 5655)
//   OUTDIR/ours.pcap      the same messages as UDP datagrams to port 4739
//   OUTDIR/expected.json  every message and record with the values it holds
// With --send HOST:PORT the messages also go over UDP to a listening collector.
// With --flows-only only the four flow templates and their records are
// written (nfdump counts only the records of templates it decodes, see
// docs/interop.md).
//
// --drop-sent K leaves message K out of what is sent (a sequence gap, for
// checking that a collector's sequence counter is live).
//
// Usage: interop_generate OUTDIR [--flows-only] [--send HOST:PORT [--drop-sent K]]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <chrono>
#include <tuple>
#include <vector>

#include "ioam/ipfix/message.hpp"
#include "expected.hpp"
#include "templates.hpp"

namespace {

using namespace interop;
using ioam::ipfix::message_writer;
using ioam::ipfix::writer_options;

// splitmix64: a fixed seed gives the same messages on every run.
struct rng {
    std::uint64_t s = 0x10a3ULL;
    std::uint64_t next() {
        std::uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
    std::uint64_t below(std::uint64_t n) { return next() % n; }
};

ipfix::ipv4_address ipv4(unsigned a, unsigned b, unsigned c, unsigned d) {
    return {{std::byte(a), std::byte(b), std::byte(c), std::byte(d)}};
}

// One record as the expected file sees it.
struct expected_record {
    std::uint16_t template_id;
    std::string fields_json;
};
struct expected_message {
    std::uint32_t odid, sequence, export_time;
    std::vector<expected_record> records;
    std::vector<std::uint16_t> templates;
};

template <class T, class Tuple>
std::string fields_json(const Tuple& values) {
    std::string o = "[";
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        ((o += (I ? ",\n      " : "\n      "),
          o += "{\"name\": " + json_string(ie_name(T::fields[I].id, T::fields[I].enterprise)) +
               ", \"pen\": " + std::to_string(T::fields[I].enterprise) +
               ", \"id\": " + std::to_string(T::fields[I].id) +
               ", \"type\": \"" + type_name(T::fields[I].type) + "\"" +
               ", \"length\": " + std::to_string(T::fields[I].length) +
               ", \"value\": " +
               json_string(canonical(static_cast<ipfix::field_value_t<T, I>>(std::get<I>(values)))) + "}"),
         ...);
    }(std::make_index_sequence<T::field_count>{});
    return o + "]";
}

// Builds messages per observation domain, starting a new one whenever a
// record does not fit the capacity; keeps the expected view in step.
class exporter {
public:
    exporter(std::uint32_t odid, std::vector<std::vector<std::byte>>& out, std::vector<expected_message>& exp,
             std::uint32_t& clock)
        : odid_(odid), out_(out), exp_(exp), clock_(clock) {
        begin({});
    }
    /// Finishes the current message (if it has anything) and starts one with new options.
    void begin(writer_options opt) {
        flush();
        opt_ = opt;
        w_.emplace(std::span<std::byte>(buf_), odid_, sequence_, opt_);
        cur_ = expected_message{odid_, sequence_, 0, {}, {}};
    }
    template <class T>
    void add_template() {
        if (!w_->template add_template<T>()) {
            flush();
            if (!w_->template add_template<T>()) fail("template does not fit an empty message");
        }
        cur_.templates.push_back(T::id);
    }
    template <class T, class Tuple>
    void add(const Tuple& values) {
        if (!w_->template add_record<T>(values)) {
            flush();
            if (auto r = w_->template add_record<T>(values); !r) fail("record does not fit an empty message");
        }
        cur_.records.push_back({T::id, fields_json<T>(values)});
    }
    void flush() {
        if (!w_ || w_->empty()) return;
        cur_.export_time = ++clock_;
        auto bytes = w_->finish(cur_.export_time);
        out_.emplace_back(bytes.begin(), bytes.end());
        exp_.push_back(cur_);
        sequence_ = w_->next_sequence();
        w_->reset();
        cur_ = expected_message{odid_, sequence_, 0, {}, {}};
    }

private:
    [[noreturn]] static void fail(const char* what) {
        std::fprintf(stderr, "interop_generate: %s\n", what);
        std::exit(1);
    }
    std::uint32_t odid_;
    std::uint32_t sequence_ = 0;
    std::vector<std::vector<std::byte>>& out_;
    std::vector<expected_message>& exp_;
    std::uint32_t& clock_;
    std::array<std::byte, 65535> buf_{};
    writer_options opt_{};
    std::optional<message_writer> w_;
    expected_message cur_{};
};

// ---- record values --------------------------------------------------------------

template <class T>
typename T::values flow(rng& r, bool tcp, bool egress) {
    const auto tos = static_cast<std::uint8_t>(r.below(256));
    const auto start = static_cast<std::uint32_t>(r.below(1u << 30));
    const auto ttl_min = static_cast<std::uint8_t>(1 + r.below(128));
    // Counters above 2^32 and with the top bit set catch 32-bit and signed decoders.
    const std::uint64_t octets = r.below(3) == 0 ? (0x8000000000000000ULL | r.next()) : r.below(1ULL << 40);
    const std::uint16_t l4 = tcp ? static_cast<std::uint16_t>(r.below(0x200))
                                 : static_cast<std::uint16_t>((r.below(2) ? 8u : 3u) << 8 | r.below(16));
    return {octets,
            1 + r.below(1ULL << 33),
            static_cast<std::uint8_t>(tcp ? 6 : 1),
            ipv4(10, static_cast<unsigned>(r.below(256)), static_cast<unsigned>(r.below(256)), 1 + static_cast<unsigned>(r.below(254))),
            ipv4(192, 0, 2, 1 + static_cast<unsigned>(r.below(254))),
            static_cast<std::uint16_t>(tcp ? 1024 + r.below(64000) : 0),
            static_cast<std::uint16_t>(tcp ? (r.below(2) ? 443 : 65535) : 0),
            static_cast<std::uint8_t>(egress ? 1 : 0),
            l4,
            tos,
            static_cast<std::uint32_t>(1 + r.below(64)),
            static_cast<std::uint32_t>(r.below(2) ? 0xffffffffU : r.below(64)),
            ttl_min,
            static_cast<std::uint8_t>(ttl_min + r.below(256 - ttl_min)),
            start,
            static_cast<std::uint32_t>(start + r.below(1u << 20)),
            r.next(),
            static_cast<std::uint8_t>(tos >> 2)};
}

ioam_node::values node(rng& r, std::vector<std::byte>& snapshot, std::size_t snapshot_len, bool unavailable) {
    snapshot.resize(snapshot_len);
    for (auto& b : snapshot) b = std::byte(r.below(256));
    return {static_cast<std::uint16_t>(r.below(2) ? 123 : 0xffff),
            static_cast<std::uint8_t>(r.below(256)),
            unavailable ? 0xffffffU : static_cast<std::uint32_t>(r.below(1u << 24)),
            static_cast<std::uint16_t>(r.below(65536)),
            static_cast<std::uint16_t>(r.below(65536)),
            static_cast<std::uint32_t>(1700000000 + r.below(100000000)),
            static_cast<std::uint32_t>(r.next()),
            static_cast<std::uint32_t>(r.next()),
            static_cast<std::uint32_t>(r.below(1u << 20)),
            unavailable ? 0xffffffffffffffULL : r.below(1ULL << 56),
            static_cast<std::uint32_t>(r.next()),
            static_cast<std::uint32_t>(r.next()),
            r.next(),
            unavailable ? 0xffffffU : static_cast<std::uint32_t>(r.below(1u << 24)),
            ipfix::octet_array_view(snapshot),
            static_cast<std::uint32_t>(r.next()),
            static_cast<std::uint32_t>(r.below(1u << 31))};
}

std::string text(rng& r, std::size_t n) {
    static constexpr char alphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -_./:";
    std::string s(n, ' ');
    for (auto& c : s) c = alphabet[r.below(sizeof alphabet - 1)];
    if (n) s.front() = 'x';  // no leading or trailing blanks for the text tools
    if (n > 1) s.back() = 'y';
    return s;
}

interfaces::values iface(rng& r, const std::string& name, const std::string& descr, std::vector<std::byte>& payload,
                         const std::string& app) {
    payload.resize(r.below(40));
    for (auto& b : payload) b = std::byte(r.below(256));
    return {static_cast<std::uint32_t>(1 + r.below(1000)), std::string_view(name), std::string_view(descr),
            r.below(1ULL << 32), r.below(1ULL << 16), ipfix::octet_array_view(payload), std::string_view(app)};
}

// ---- output -----------------------------------------------------------------------

void put_le32(std::ofstream& f, std::uint32_t v) {
    const char b[4] = {char(v), char(v >> 8), char(v >> 16), char(v >> 24)};
    f.write(b, 4);
}
void put_le16(std::ofstream& f, std::uint16_t v) {
    const char b[2] = {char(v), char(v >> 8)};
    f.write(b, 2);
}

/// A pcap (LINKTYPE_RAW: IPv4 packets without a link header) with one UDP
/// datagram per message, 192.0.2.1:40000 -> 192.0.2.2:4739.
void write_pcap(const std::string& path, const std::vector<std::vector<std::byte>>& msgs,
                const std::vector<expected_message>& exp) {
    std::ofstream f(path, std::ios::binary);
    put_le32(f, 0xa1b2c3d4);
    put_le16(f, 2);
    put_le16(f, 4);
    put_le32(f, 0);
    put_le32(f, 0);
    put_le32(f, 65535);
    put_le32(f, 101);  // LINKTYPE_RAW
    for (std::size_t i = 0; i < msgs.size(); ++i) {
        const auto& m = msgs[i];
        std::vector<std::uint8_t> p(28 + m.size());
        const std::size_t total = p.size();
        p[0] = 0x45;
        p[2] = static_cast<std::uint8_t>(total >> 8);
        p[3] = static_cast<std::uint8_t>(total);
        p[4] = static_cast<std::uint8_t>(i >> 8);
        p[5] = static_cast<std::uint8_t>(i);
        p[6] = 0x40;  // DF
        p[8] = 64;
        p[9] = 17;
        const std::uint8_t addrs[8] = {192, 0, 2, 1, 192, 0, 2, 2};
        std::memcpy(&p[12], addrs, 8);
        std::uint32_t sum = 0;
        for (std::size_t k = 0; k < 20; k += 2) sum += (p[k] << 8) | p[k + 1];
        while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
        p[10] = static_cast<std::uint8_t>(~sum >> 8);
        p[11] = static_cast<std::uint8_t>(~sum);
        const std::size_t udp = 8 + m.size();
        p[20] = 40000 >> 8;
        p[21] = 40000 & 0xff;
        p[22] = 4739 >> 8;
        p[23] = 4739 & 0xff;
        p[24] = static_cast<std::uint8_t>(udp >> 8);
        p[25] = static_cast<std::uint8_t>(udp);
        std::memcpy(&p[28], m.data(), m.size());  // UDP checksum 0: none (RFC 768)
        put_le32(f, exp[i].export_time);
        put_le32(f, 0);
        put_le32(f, static_cast<std::uint32_t>(total));
        put_le32(f, static_cast<std::uint32_t>(total));
        f.write(reinterpret_cast<const char*>(p.data()), static_cast<std::streamsize>(total));
    }
}

void write_expected(const std::string& path, const std::vector<expected_message>& exp) {
    std::ofstream f(path);
    f << "{\"messages\": [";
    for (std::size_t i = 0; i < exp.size(); ++i) {
        const auto& m = exp[i];
        f << (i ? ",\n" : "\n") << "  {\"odid\": " << m.odid << ", \"sequence\": " << m.sequence
          << ", \"export_time\": " << m.export_time << ", \"templates\": [";
        for (std::size_t t = 0; t < m.templates.size(); ++t) f << (t ? ", " : "") << m.templates[t];
        f << "], \"records\": [";
        for (std::size_t r = 0; r < m.records.size(); ++r)
            f << (r ? ",\n" : "\n") << "    {\"template\": " << m.records[r].template_id
              << ", \"fields\": " << m.records[r].fields_json << "}";
        f << "]}";
    }
    f << "\n]}\n";
}

int send_udp(const std::string& target, const std::vector<std::vector<std::byte>>& msgs, std::size_t drop) {
    const auto colon = target.rfind(':');
    if (colon == std::string::npos) return 2;
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<std::uint16_t>(std::stoi(target.substr(colon + 1))));
    if (inet_pton(AF_INET, target.substr(0, colon).c_str(), &to.sin_addr) != 1) return 2;
    const int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0) return 1;
    for (std::size_t i = 0; i < msgs.size(); ++i) {
        const auto& m = msgs[i];
        if (i == drop) continue;
        if (sendto(fd, m.data(), m.size(), 0, reinterpret_cast<const sockaddr*>(&to), sizeof to) !=
            static_cast<ssize_t>(m.size())) {
            std::perror("interop_generate: sendto");
            close(fd);
            return 1;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(2));  // no loss on a busy loopback
    }
    close(fd);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    std::string dir, send_to;
    bool flows_only = false;
    std::size_t drop = static_cast<std::size_t>(-1);
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--flows-only") flows_only = true;
        else if (a == "--send" && i + 1 < argc) send_to = argv[++i];
        else if (a == "--drop-sent" && i + 1 < argc) drop = std::stoul(argv[++i]);
        else if (dir.empty() && a[0] != '-') dir = a;
        else dir.clear(), i = argc;
    }
    if (dir.empty()) {
        std::fprintf(stderr, "usage: %s OUTDIR [--flows-only] [--send HOST:PORT [--drop-sent K]]\n", argv[0]);
        return 2;
    }
    const bool all = !flows_only;
    std::vector<std::vector<std::byte>> msgs;
    std::vector<expected_message> exp;
    std::uint32_t clock = 1700000000;
    rng r;

    // Kept alive until the records referring to them are encoded.
    std::vector<std::vector<std::byte>> blobs(200);
    std::vector<std::string> strings(200);
    std::size_t nb = 0, ns = 0;

    writer_options small;
    small.capacity = 1200;  // a path MTU: records spill into the next message
    exporter a(1, msgs, exp, clock);
    exporter b(7, msgs, exp, clock);
    a.begin(small);

    // Domain 1: every template, options record first.
    a.add_template<tcp_ingress>();
    a.add_template<icmp_ingress>();
    a.add_template<tcp_egress>();
    a.add_template<icmp_egress>();
    if (all) {
        a.add_template<ioam_node>();
        a.add_template<interfaces>();
        a.add_template<exporter_stats>();
        a.add<exporter_stats>(exporter_stats::values{4242u, 17u, 99u, 0x123456789aULL, {1699999000123ULL}});
    }
    for (int i = 0; i < 24; ++i) {
        switch (r.below(4)) {
        case 0: a.add<tcp_ingress>(flow<tcp_ingress>(r, true, false)); break;
        case 1: a.add<icmp_ingress>(flow<icmp_ingress>(r, false, false)); break;
        case 2: a.add<tcp_egress>(flow<tcp_egress>(r, true, true)); break;
        default: a.add<icmp_egress>(flow<icmp_egress>(r, false, true)); break;
        }
    }
    // IOAM node records: reduced 24/56-bit fields, all-ones "unavailable", a
    // varlen snapshot in both length forms (0, short, 254, 255, 300 octets).
    for (std::size_t len : {0, 1, 12, 254, 255, 300}) {
        if (all) a.add<ioam_node>(node(r, blobs[nb++], len, len == 12));
    }
    // Strings in both length forms, an empty one, a fixed-length one.
    for (std::size_t len : {0, 5, 254, 255, 300}) {
        if (!all) break;
        strings[ns] = text(r, len % 40 + 1);
        strings[ns + 1] = text(r, len);
        strings[ns + 2] = text(r, 6);
        a.add<interfaces>(iface(r, strings[ns], strings[ns + 1], blobs[nb++], strings[ns + 2]));
        ns += 3;
    }
    a.flush();

    // Domain 7: its own sequence numbers, interleaved with domain 1.
    b.add_template<tcp_ingress>();
    if (all) b.add_template<ioam_node>();
    for (int i = 0; i < 3; ++i) b.add<tcp_ingress>(flow<tcp_ingress>(r, true, false));
    if (all) b.add<ioam_node>(node(r, blobs[nb++], 7, false));
    b.flush();

    // Domain 1 again: sets padded to 4 octets (RFC 7011 3.3.1), then every
    // variable length in the 3-octet form (RFC 7011 7).
    writer_options padded = small;
    padded.set_alignment = 4;
    a.begin(padded);
    for (int i = 0; i < 3; ++i) a.add<icmp_egress>(flow<icmp_egress>(r, false, true));
    if (all) {
        a.add<ioam_node>(node(r, blobs[nb++], 5, false));
        a.add<interfaces>(iface(r, strings[0], strings[1], blobs[nb++], strings[2]));
        writer_options long_form = small;
        long_form.records.long_varlen = true;
        a.begin(long_form);
        a.add<interfaces>(iface(r, strings[3], strings[4], blobs[nb++], strings[5]));
        a.add<ioam_node>(node(r, blobs[nb++], 3, false));
        a.add<exporter_stats>(exporter_stats::values{4242u, 23u, 140u, 0x223456789aULL, {1699999000123ULL}});
    } else {
        for (int i = 0; i < 30; ++i) a.add<tcp_egress>(flow<tcp_egress>(r, true, true));
    }
    a.flush();

    b.add<tcp_ingress>(flow<tcp_ingress>(r, true, false));
    b.flush();

    std::ofstream file(dir + "/ours.ipfix", std::ios::binary);
    for (const auto& m : msgs) file.write(reinterpret_cast<const char*>(m.data()), static_cast<std::streamsize>(m.size()));
    file.close();
    write_pcap(dir + "/ours.pcap", msgs, exp);
    write_expected(dir + "/expected.json", exp);
    std::printf("interop_generate: %zu messages in %s\n", msgs.size(), dir.c_str());
    if (!send_to.empty()) return send_udp(send_to, msgs, drop);
    return 0;
}
