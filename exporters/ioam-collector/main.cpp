// ioam-collector: IPFIX from ioam-exporter (or the seed Go exporter, same
// PEN 10383 elements) over UDP, TCP or from RFC 5655 files, decoded through
// the run-time template cache and printed as text or JSON lines, one line per
// record (a trace node or a DEX event); options records (e.g. the exporter's
// statistics) are printed field by field.
#include "print.hpp"

#include "analysis.hpp"  // issue 14: correlation, metrics, RFC 9951 (analysis.cpp)

#include "ioam/export/decode.hpp"
#include "ioam/export/pen10383.hpp"
#include "ioam/export/rawexport.hpp"
#include "ioam/ipfix/iana.hpp"
#include "ioam/ipfix/message.hpp"
#include "ioam/ipfix/template_cache.hpp"

#include <arpa/inet.h>
#include <getopt.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cinttypes>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <map>
#include <memory>
#include <string>
#include <vector>

#ifndef IOAM_VERSION
#define IOAM_VERSION "unknown"
#endif

namespace {

namespace ipfix = ioam::ipfix;
namespace xp = ioam::exporting;

constexpr int exit_ok = 0, exit_decode = 1, exit_usage = 2, exit_open = 4;

volatile std::sig_atomic_t g_stop = 0;

void usage(std::FILE* f) {
    std::fprintf(f,
        "Usage: ioam-collector [options] [FILE...]\n"
        "Decodes IPFIX carrying IOAM records (PEN 10383: ioam-exporter and the seed Go exporter;\n"
        "rawexport: ioam-exporter --format rawexport) and prints one line per record (rawexport:\n"
        "one line per node of the raw option, with format, time, flags and encapsulation first).\n\n"
        "  -l, --listen [ADDR:]PORT     receive IPFIX over UDP (default address: all, IPv6 and IPv4)\n"
        "  -t, --listen-tcp [ADDR:]PORT receive IPFIX over TCP (any number of exporters; each\n"
        "                               connection is a session: its templates end with it)\n"
        "  FILE...                      read IPFIX files (RFC 5655) instead; '-' for stdin\n"
        "  -j, --json                   JSON lines (default: text)\n"
        "      --meta                   add the observation domain, template id and sequence number\n"
        "      --count N                exit after N records\n"
        "      --idle-exit SEC          exit when nothing arrived for SEC seconds\n"
        "      --template-lifetime SEC  forget UDP templates not refreshed in SEC seconds (1800)\n"
        "  -h, --help, -V, --version\n\n%s\n"
        "Statistics go to stderr at exit. Exit status: 0 success; 1 a file did not decode or\n"
        "sets were skipped; 2 usage error; 4 cannot open a socket or file.\n",
        ioam_collector::usage_text);
}

struct options {
    std::string listen, listen_tcp;
    std::vector<std::string> files;
    bool json = false, meta = false;
    std::uint64_t count = 0;
    unsigned idle_exit = 0;
    unsigned lifetime = 1800;
    ioam_collector::analysis_settings analysis;  // issue 14
};

class collector {
public:
    explicit collector(const options& o)
        : o_(o), cache_(make_registry(), ipfix::cache_options{o.lifetime}) {}

    // Decodes one message of a session; false when it does not parse.
    bool message(std::uint64_t session, ioam::bytes_view bytes, std::size_t base = 0) {
        auto m = ipfix::parse_message(bytes, base);
        if (!m) {
            ++bad_messages_;
            std::fprintf(stderr, "ioam-collector: message does not parse at offset %zu: %s\n", m.offset(),
                         m.error_code().message().c_str());
            return false;
        }
        ++messages_;
        const auto now = static_cast<std::uint32_t>(std::time(nullptr));
        const auto sum = cache_.process(session, *m, now, [&](const ipfix::dynamic_record& r) {
            if (raw_record(r, *m, session)) return;
            const xp::decoded_record d = xp::decode_record(r);
            if (d.pen_fields == 0) {
                ++other_records_;
                if (r.templ().is_options()) print_options(*m, r);
                return;
            }
            ++records_;
            if (analysis_) analysis_->record(session, d);  // issue 14
            char meta[96] = "";
            if (o_.meta)
                std::snprintf(meta, sizeof meta, "\"odid\":%" PRIu32 ",\"template\":%u,\"sequence\":%" PRIu32,
                              m->observation_domain(), static_cast<unsigned>(r.templ().id()), m->sequence());
            if (o_.json) {
                ioam_tools::print_json(stdout, d, meta);
            } else {
                if (o_.meta) std::printf("[odid %" PRIu32 " template %u] ", m->observation_domain(), r.templ().id());
                ioam_tools::print_text(stdout, d);
            }
        });
        templates_ += sum.templates;
        skipped_sets_ += sum.skipped_sets;
        if (sum.sequence_gap) {
            ++gaps_;
            std::fprintf(stderr, "ioam-collector: sequence gap in domain %" PRIu32 ": got %" PRIu32 ", expected %" PRIu32 "\n",
                         m->observation_domain(), m->sequence(), sum.expected_sequence);
        }
        if (sum.first_error.code != ioam::errc::ok)
            std::fprintf(stderr, "ioam-collector: %zu set(s) skipped: %s at offset %zu\n", sum.skipped_sets,
                         ioam::make_error_code(sum.first_error.code).message().c_str(), sum.first_error.offset);
        std::fflush(stdout);
        return true;
    }

    // An options record (the exporter's statistics, or anyone's), field by field.
    void print_options(const ipfix::message_view& m, const ipfix::dynamic_record& r) {
        ++options_records_;
        std::string line = o_.json ? "{\"options\":{" : "options";
        char buf[64];
        bool first = true;
        r.for_each_field([&](const ipfix::field_view& f) {
            std::string name = f.info ? std::string(f.info->name) : "ie" + std::to_string(f.spec->id);
            std::string value;
            std::uint64_t u = 0;
            if (f.to_u64(u)) {
                std::snprintf(buf, sizeof buf, "%" PRIu64, u);
                value = buf;
            } else if (f.type() == ipfix::data_type::dateTimeMilliseconds) {
                std::snprintf(buf, sizeof buf, "%" PRIu64, f.as<ipfix::data_type::dateTimeMilliseconds>().milliseconds);
                value = buf;
            } else {
                if (o_.json) value = "\"";
                for (const auto b : f.bytes) {
                    std::snprintf(buf, sizeof buf, "%02x", static_cast<unsigned>(b));
                    value += buf;
                }
                if (o_.json) value += "\"";
            }
            if (o_.json) line += (first ? "\"" : ",\"") + name + "\":" + value;
            else line += " " + name + "=" + value;
            first = false;
        });
        if (o_.json) {
            std::snprintf(buf, sizeof buf, "},\"odid\":%" PRIu32 ",\"template\":%u}", m.observation_domain(),
                          static_cast<unsigned>(r.templ().id()));
            line += buf;
        }
        std::printf("%s\n", line.c_str());
    }

    void end_session(std::uint64_t session) { cache_.end_session(session); }

    // A rawexport record: its option decoded with the IOAM decoders, one line
    // per node as for PEN 10383 records. False when r is not one.
    bool raw_record(const ipfix::dynamic_record& r, const ipfix::message_view& m, std::uint64_t session) {
        namespace rx = xp::rawexport;
        const rx::raw_record raw = rx::decode_record(r);
        if (raw.raw_fields == 0 || !raw.option_type) return false;
        auto o = rx::decode_option(*raw.option_type, raw.data);
        if (!o) {
            ++raw_errors_;
            std::fprintf(stderr, "ioam-collector: rawexport option does not decode at offset %zu of %zu octets: %s\n",
                         o.offset(), raw.data.size(), o.error_code().message().c_str());
            return true;
        }
        char ctx[160];
        std::snprintf(ctx, sizeof ctx, "\"format\":\"rawexport\",\"observation_time_ns\":%" PRIu64
                      ",\"report_flags\":%u,\"encapsulation\":%u",
                      raw.observation_time_ns.value_or(0), static_cast<unsigned>(raw.report_flags.value_or(0)),
                      static_cast<unsigned>(raw.encapsulation.value_or(0)));
        char meta[96] = "";
        if (o_.meta)
            std::snprintf(meta, sizeof meta, ",\"odid\":%" PRIu32 ",\"template\":%u,\"sequence\":%" PRIu32,
                          m.observation_domain(), static_cast<unsigned>(r.templ().id()), m.sequence());
        bool any = false;
        rx::for_each_node(*o, [&](const xp::decoded_record& d) {
            any = true;
            ++records_;
            if (analysis_) analysis_->record(session, d);  // issue 14
            if (o_.json) {
                const std::string prefix = std::string(ctx) + meta;
                ioam_tools::print_json(stdout, d, prefix.c_str());
            } else {
                std::printf("[rawexport time %" PRIu64 " flags 0x%02x encap %u", raw.observation_time_ns.value_or(0),
                            static_cast<unsigned>(raw.report_flags.value_or(0)),
                            static_cast<unsigned>(raw.encapsulation.value_or(0)));
                if (o_.meta) std::printf(" odid %" PRIu32 " template %u", m.observation_domain(), r.templ().id());
                std::printf("] ");
                ioam_tools::print_text(stdout, d);
            }
        });
        if (!any) ++other_records_;  // POT and E2E options: nothing to print per node
        return true;
    }

    void expire() { cache_.expire(static_cast<std::uint32_t>(std::time(nullptr))); }
    [[nodiscard]] bool done() const { return o_.count > 0 && records_ >= o_.count; }
    [[nodiscard]] bool clean() const { return bad_messages_ == 0 && skipped_sets_ == 0 && raw_errors_ == 0; }

    void print_stats() const {
        std::fprintf(stderr,
                     "ioam-collector stats: messages=%" PRIu64 " templates=%" PRIu64 " records=%" PRIu64
                     " other_records=%" PRIu64 " options_records=%" PRIu64 " skipped_sets=%" PRIu64
                     " sequence_gaps=%" PRIu64 " bad_messages=%" PRIu64 " raw_errors=%" PRIu64 " connections=%" PRIu64 "\n",
                     messages_, templates_, records_, other_records_, options_records_, skipped_sets_, gaps_,
                     bad_messages_, raw_errors_, connections_);
    }

private:
    static ipfix::ie_registry make_registry() {
        ipfix::ie_registry r{xp::pen10383::registry()};
        r.add(xp::rawexport::registry());
        r.add(ipfix::iana_registry);
        return r;
    }
    const options& o_;
    ipfix::template_cache cache_;
    std::uint64_t messages_ = 0, templates_ = 0, records_ = 0, other_records_ = 0, skipped_sets_ = 0, gaps_ = 0,
                  bad_messages_ = 0, options_records_ = 0, raw_errors_ = 0;

public:
    std::uint64_t connections_ = 0;
    ioam_collector::analysis* analysis_ = nullptr;  // issue 14
};

int read_file(collector& c, const std::string& path, std::uint64_t session) {
    std::FILE* f = path == "-" ? stdin : std::fopen(path.c_str(), "rb");
    if (!f) {
        std::fprintf(stderr, "ioam-collector: %s: %s\n", path.c_str(), std::strerror(errno));
        return exit_open;
    }
    std::vector<std::byte> data;
    std::array<std::byte, 65536> chunk{};
    for (std::size_t n; (n = std::fread(chunk.data(), 1, chunk.size(), f)) > 0;)
        data.insert(data.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(n));
    if (f != stdin) std::fclose(f);
    std::size_t pos = 0;
    // RFC 5655: a file is a sequence of whole messages.
    while (pos < data.size() && !c.done()) {
        const ioam::bytes_view rest = ioam::bytes_view(data).subspan(pos);
        auto len = ipfix::peek_message_length(rest);
        if (!len || *len > rest.size()) {
            std::fprintf(stderr, "ioam-collector: %s: bad or truncated message at offset %zu\n", path.c_str(), pos);
            return exit_decode;
        }
        if (!c.message(session, rest.first(*len), pos)) return exit_decode;
        pos += *len;
    }
    return exit_ok;
}

// Binds a UDP or TCP socket to "[ADDR:]PORT" (no address: all, IPv6 and IPv4).
int open_listener(const std::string& spec, int type, const char* opt, int& fd) {
    std::string host, port = spec;
    if (const auto colon = spec.rfind(':'); colon != std::string::npos) {
        host = spec.substr(0, colon);
        port = spec.substr(colon + 1);
        if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    }
    addrinfo hints{};
    hints.ai_family = host.empty() ? AF_INET6 : AF_UNSPEC;
    hints.ai_socktype = type;
    hints.ai_flags = AI_PASSIVE;
    addrinfo* res = nullptr;
    if (const int rc = getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints, &res); rc != 0) {
        std::fprintf(stderr, "ioam-collector: %s %s: %s\n", opt, spec.c_str(), gai_strerror(rc));
        return exit_usage;
    }
    fd = socket(res->ai_family, type | SOCK_CLOEXEC, 0);
    const int off = 0, on = 1, big = 8 << 20;
    if (fd >= 0 && res->ai_family == AF_INET6) (void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
    if (fd >= 0) (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
    if (fd >= 0 && type == SOCK_STREAM) (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (fd < 0 || bind(fd, res->ai_addr, res->ai_addrlen) != 0 || (type == SOCK_STREAM && listen(fd, 16) != 0)) {
        std::fprintf(stderr, "ioam-collector: %s %s: %s\n", opt, spec.c_str(), std::strerror(errno));
        freeaddrinfo(res);
        if (fd >= 0) close(fd);
        fd = -1;
        return exit_open;
    }
    freeaddrinfo(res);
    std::fprintf(stderr, "ioam-collector: listening on %s %s\n", type == SOCK_STREAM ? "TCP" : "UDP", spec.c_str());
    return exit_ok;
}

std::string peer_name(const sockaddr_storage& from, socklen_t len) {
    char h[NI_MAXHOST] = "", s[NI_MAXSERV] = "";
    getnameinfo(reinterpret_cast<const sockaddr*>(&from), len, h, sizeof h, s, sizeof s, NI_NUMERICHOST | NI_NUMERICSERV);
    return std::string(h) + "/" + s;
}

// One TCP connection: a byte stream of whole messages (RFC 7011 10.4.1),
// framed by their length field; its own transport session.
struct connection {
    int fd = -1;
    std::uint64_t session = 0;
    std::string peer;
    std::vector<std::byte> buf;
};

// False when the connection must close (end of stream, error, bad framing).
bool read_connection(collector& c, connection& k) {
    std::array<std::byte, 65536> tmp{};
    const ssize_t n = recv(k.fd, tmp.data(), tmp.size(), MSG_DONTWAIT);
    if (n == 0) return false;
    if (n < 0) return errno == EAGAIN || errno == EINTR;
    k.buf.insert(k.buf.end(), tmp.begin(), tmp.begin() + n);
    std::size_t pos = 0;
    while (k.buf.size() - pos >= ipfix::message_header_size && !c.done()) {
        const ioam::bytes_view rest = ioam::bytes_view(k.buf).subspan(pos);
        auto len = ipfix::peek_message_length(rest);
        if (!len) {
            // Nothing to resynchronise on in a stream: close (RFC 7011 10.4.1).
            std::fprintf(stderr, "ioam-collector: TCP %s: not an IPFIX message at stream offset %zu: %s; closing\n",
                         k.peer.c_str(), pos, len.error_code().message().c_str());
            c.message(k.session, rest.first(ipfix::message_header_size));  // counted as a bad message
            return false;
        }
        if (*len > rest.size()) break;
        c.message(k.session, rest.first(*len));
        pos += *len;
    }
    k.buf.erase(k.buf.begin(), k.buf.begin() + static_cast<std::ptrdiff_t>(pos));
    return true;
}

int serve(collector& c, const options& o) {
    int udp = -1, tcp = -1;
    if (!o.listen.empty())
        if (int rc = open_listener(o.listen, SOCK_DGRAM, "--listen", udp); rc != exit_ok) return rc;
    if (!o.listen_tcp.empty())
        if (int rc = open_listener(o.listen_tcp, SOCK_STREAM, "--listen-tcp", tcp); rc != exit_ok) {
            if (udp >= 0) close(udp);
            return rc;
        }
    std::map<std::string, std::uint64_t> sessions;  // UDP exporter address -> transport session
    std::vector<std::unique_ptr<connection>> conns;
    std::uint64_t next_tcp_session = std::uint64_t{1} << 32;
    std::array<std::byte, 65536> buf{};
    std::time_t last = std::time(nullptr);
    std::vector<pollfd> fds;
    while (!g_stop && !c.done()) {
        fds.clear();
        fds.push_back(pollfd{udp, POLLIN, 0});
        fds.push_back(pollfd{tcp, POLLIN, 0});
        for (const auto& k : conns) fds.push_back(pollfd{k->fd, POLLIN, 0});
        const int pr = poll(fds.data(), fds.size(), 500);
        c.expire();
        if (c.analysis_) c.analysis_->tick();  // issue 14
        if (pr <= 0) {
            if (o.idle_exit > 0 && std::time(nullptr) - last >= static_cast<std::time_t>(o.idle_exit)) break;
            continue;
        }
        last = std::time(nullptr);
        if (fds[0].revents & POLLIN) {
            sockaddr_storage from{};
            socklen_t fl = sizeof from;
            const ssize_t n = recvfrom(udp, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &fl);
            if (n >= 0) {
                const auto [it, fresh] = sessions.emplace(peer_name(from, fl), sessions.size() + 1);
                c.message(it->second, ioam::bytes_view(buf.data(), static_cast<std::size_t>(n)));
            }
        }
        for (std::size_t i = 0; i < conns.size(); ++i) {
            connection& k = *conns[i];
            if (!(fds[2 + i].revents & (POLLIN | POLLERR | POLLHUP))) continue;
            if (read_connection(c, k)) continue;
            if (!k.buf.empty())
                std::fprintf(stderr, "ioam-collector: TCP %s: %zu octets of an incomplete message at the end\n",
                             k.peer.c_str(), k.buf.size());
            std::fprintf(stderr, "ioam-collector: TCP %s: connection closed\n", k.peer.c_str());
            c.end_session(k.session);
            close(k.fd);
            k.fd = -1;
        }
        std::erase_if(conns, [](const auto& k) { return k->fd < 0; });
        if (fds[1].revents & POLLIN) {
            sockaddr_storage from{};
            socklen_t fl = sizeof from;
            const int fd = accept4(tcp, reinterpret_cast<sockaddr*>(&from), &fl, SOCK_CLOEXEC);
            if (fd >= 0) {
                auto k = std::make_unique<connection>();
                k->fd = fd;
                k->session = next_tcp_session++;
                k->peer = peer_name(from, fl);
                ++c.connections_;
                std::fprintf(stderr, "ioam-collector: TCP %s: connected\n", k->peer.c_str());
                conns.push_back(std::move(k));
            }
        }
    }
    for (const auto& k : conns) {
        // Whatever is still queued in the socket is read before exit.
        while (!c.done() && read_connection(c, *k)) {
            pollfd p{k->fd, POLLIN, 0};
            if (poll(&p, 1, 0) <= 0) break;
        }
        close(k->fd);
    }
    if (udp >= 0) close(udp);
    if (tcp >= 0) close(tcp);
    return exit_ok;
}

void on_signal(int) { g_stop = 1; }

}  // namespace

int main(int argc, char** argv) {
    options o;
    enum : int { o_meta = 256, o_count, o_idle, o_lifetime };
    static const option longopts[] = {
        {"listen", required_argument, nullptr, 'l'},   {"json", no_argument, nullptr, 'j'},
        {"listen-tcp", required_argument, nullptr, 't'},
        {"meta", no_argument, nullptr, o_meta},        {"count", required_argument, nullptr, o_count},
        {"idle-exit", required_argument, nullptr, o_idle},
        {"template-lifetime", required_argument, nullptr, o_lifetime},
        {"help", no_argument, nullptr, 'h'},           {"version", no_argument, nullptr, 'V'},
        {nullptr, 0, nullptr, 0},
    };
    const auto number = [](const char* s, unsigned long long& v) {
        char* end = nullptr;
        errno = 0;
        v = std::strtoull(s, &end, 10);
        return errno == 0 && *s && !*end && s[0] != '-';
    };
    // issue 14: the analysis module's options after ours.
    std::vector<option> all_opts(std::begin(longopts), std::end(longopts) - 1);
    ioam_collector::add_options(all_opts);
    all_opts.push_back(option{nullptr, 0, nullptr, 0});
    for (int ch; (ch = getopt_long(argc, argv, "l:t:jhV", all_opts.data(), nullptr)) != -1;) {
        unsigned long long v = 0;
        switch (ch) {
        case 'l': o.listen = optarg; break;
        case 't': o.listen_tcp = optarg; break;
        case 'j': o.json = true; break;
        case o_meta: o.meta = true; break;
        case o_count:
            if (!number(optarg, v)) { usage(stderr); return exit_usage; }
            o.count = v;
            break;
        case o_idle:
            if (!number(optarg, v) || v > 86400) { usage(stderr); return exit_usage; }
            o.idle_exit = static_cast<unsigned>(v);
            break;
        case o_lifetime:
            if (!number(optarg, v) || v > 0xffffffffULL) { usage(stderr); return exit_usage; }
            o.lifetime = static_cast<unsigned>(v);
            break;
        case 'h': usage(stdout); return exit_ok;
        case 'V': std::printf("ioam-collector %s\n", IOAM_VERSION); return exit_ok;
        default:
            if (bool ok = true; ioam_collector::parse_option(o.analysis, ch, optarg, ok) && ok) break;  // issue 14
            usage(stderr);
            return exit_usage;
        }
    }
    for (int i = optind; i < argc; ++i) o.files.emplace_back(argv[i]);
    if ((o.listen.empty() && o.listen_tcp.empty()) == o.files.empty()) {
        std::fprintf(stderr, "ioam-collector: give either --listen/--listen-tcp or files (see --help)\n");
        return exit_usage;
    }
    struct sigaction sa{};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);

    static collector c(o);
    // issue 14: the analysis module, when one of its outputs is asked for.
    std::unique_ptr<ioam_collector::analysis> analysis;
    if (o.analysis.enabled()) {
        analysis = std::make_unique<ioam_collector::analysis>(o.analysis);
        if (!analysis->start()) return exit_open;
        c.analysis_ = analysis.get();
    }
    int rc = exit_ok;
    if (!o.files.empty()) {
        std::uint64_t session = 1;
        for (const auto& f : o.files)
            if (int r = read_file(c, f, session++); r != exit_ok && rc == exit_ok) rc = r;
    } else {
        rc = serve(c, o);
    }
    if (analysis) analysis->finish();  // issue 14
    std::fflush(stdout);
    c.print_stats();
    if (rc == exit_ok && !c.clean()) rc = exit_decode;
    return rc;
}
