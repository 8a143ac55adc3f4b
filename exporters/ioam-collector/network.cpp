#include "network.hpp"
#include "udp_queue.hpp"

#ifdef IOAM_COLLECTOR_TLS
#include "tls.hpp"
#endif

#include <linux/sock_diag.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <list>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace ioam_collector {

namespace {

constexpr int exit_ok = 0, exit_usage = 2, exit_open = 4;

using clock = std::chrono::steady_clock;
std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(clock::now().time_since_epoch()).count();
}

std::string address_name(const sockaddr_storage& a, socklen_t len) {
    char h[NI_MAXHOST] = "?", p[NI_MAXSERV] = "?";
    getnameinfo(reinterpret_cast<const sockaddr*>(&a), len, h, sizeof h, p, sizeof p, NI_NUMERICHOST | NI_NUMERICSERV);
    return std::string(h) + "/" + p;
}

// Binds a UDP or TCP socket to "[ADDR:]PORT" (no address: all, IPv6 and IPv4).
int open_listener(const std::string& spec, int type, const char* opt, const char* kind, int rcvbuf, int& fd,
                  int* rcvbuf_got) {
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
    fd = socket(res->ai_family, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    const int off = 0, on = 1;
    if (fd >= 0 && res->ai_family == AF_INET6) (void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
    if (fd >= 0 && type == SOCK_DGRAM && rcvbuf > 0) {
        // As the exporter sizes its netlink buffer: forced when privileged.
        if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) != 0)
            (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
        socklen_t l = sizeof *rcvbuf_got;
        (void)getsockopt(fd, SOL_SOCKET, SO_RCVBUF, rcvbuf_got, &l);
    }
    if (fd >= 0 && type == SOCK_STREAM) (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (fd < 0 || bind(fd, res->ai_addr, res->ai_addrlen) != 0 || (type == SOCK_STREAM && listen(fd, 64) != 0)) {
        std::fprintf(stderr, "ioam-collector: %s %s: %s\n", opt, spec.c_str(), std::strerror(errno));
        freeaddrinfo(res);
        if (fd >= 0) close(fd);
        fd = -1;
        return exit_open;
    }
    freeaddrinfo(res);
    std::fprintf(stderr, "ioam-collector: listening on %s %s\n", kind, spec.c_str());
    return exit_ok;
}

// The kernel's count of datagrams dropped at the socket (SO_MEMINFO).
bool socket_drops(int fd, std::uint64_t& out) {
    std::array<std::uint32_t, SK_MEMINFO_VARS> mem{};
    socklen_t len = sizeof mem;
    if (getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mem.data(), &len) != 0 ||
        len < (SK_MEMINFO_DROPS + 1) * sizeof(std::uint32_t))
        return false;
    out = mem[SK_MEMINFO_DROPS];
    return true;
}

// UDP transport sessions: one per exporter address and port (address only
// with the seed's quirks: it opens a new socket per message). The cache
// frees sessions by itself (its caps, idle expiry) and says so through
// forget(); the least recently heard beyond the cap (exporters whose
// messages never parsed, say) are dropped here.
class udp_sessions {
public:
    udp_sessions(collector& c, transport_stats& st, std::size_t cap) : c_(c), st_(st), cap_(cap) {}

    std::uint64_t lookup(const sockaddr_storage& a, bool address_only) {
        std::string key(reinterpret_cast<const char*>(&a), sizeof(sockaddr_in6));
        if (address_only) {
            if (a.ss_family == AF_INET6) key.replace(offsetof(sockaddr_in6, sin6_port), 2, 2, '\0');
            else key.replace(offsetof(sockaddr_in, sin_port), 2, 2, '\0');
        }
        if (auto it = index_.find(key); it != index_.end()) {
            lru_.splice(lru_.begin(), lru_, it->second);
            return it->second->id;
        }
        if (index_.size() >= cap_) {
            ++st_.udp_sessions_dropped;
            const std::uint64_t id = lru_.back().id;
            forget(id);
            c_.end_session(id);
        }
        lru_.push_front(entry{key, next_id_++});
        index_.emplace(std::move(key), lru_.begin());
        by_id_.emplace(lru_.front().id, lru_.begin());
        ++st_.udp_sessions;
        return lru_.front().id;
    }

    void forget(std::uint64_t id) {
        auto it = by_id_.find(id);
        if (it == by_id_.end()) return;
        index_.erase(it->second->key);
        lru_.erase(it->second);
        by_id_.erase(it);
    }
    [[nodiscard]] std::size_t size() const noexcept { return index_.size(); }

private:
    struct entry {
        std::string key;
        std::uint64_t id;
    };
    collector& c_;
    transport_stats& st_;
    std::size_t cap_;
    std::list<entry> lru_;
    std::unordered_map<std::string, std::list<entry>::iterator> index_;
    std::unordered_map<std::uint64_t, std::list<entry>::iterator> by_id_;
    std::uint64_t next_id_ = 1;
};

// One TCP or TLS connection: a byte stream of whole messages (RFC 7011
// 10.4.1) framed by their length field; its own transport session. Only an
// incomplete message is kept (at most 64 KiB).
struct connection {
    int fd = -1;
#ifdef IOAM_COLLECTOR_TLS
    std::unique_ptr<ioam_tools::tls::session> tls;
#endif
    bool is_tls = false;
    std::uint64_t session = 0;
    std::string peer, subject;
    std::vector<std::byte> partial;
    std::int64_t last_rx = 0;
    std::int64_t stall_since = 0;  ///< an incomplete message or handshake since; 0: none
    bool closing = false;
};

class server {
public:
    server(collector& c, const options& o, transport_stats& st)
        : c_(c), o_(o), st_(st), udp_sessions_(c, st, o.max_sessions), udp_queue_(o.udp_queue) {
        c_.on_session_end([this](std::uint64_t id) { udp_sessions_.forget(id); });
    }

    ~server() {
        for (auto& k : conns_) close_connection(*k, nullptr);
        for (int fd : {udp_, tcp_, tls_})
            if (fd >= 0) close(fd);
    }

    int open() {
        if (!o_.listen.empty() && !udp_queue_.valid()) {
            std::fprintf(stderr, "ioam-collector: --udp-queue %zu: %s\n", o_.udp_queue, std::strerror(errno));
            return exit_open;
        }
        if (!o_.listen.empty())
            if (int rc = open_listener(o_.listen, SOCK_DGRAM, "--listen", "UDP", o_.rcvbuf, udp_, &st_.rcvbuf); rc != exit_ok)
                return rc;
        if (!o_.listen_tcp.empty())
            if (int rc = open_listener(o_.listen_tcp, SOCK_STREAM, "--listen-tcp", "TCP", 0, tcp_, nullptr); rc != exit_ok)
                return rc;
        if (!o_.listen_tls.empty()) {
#ifdef IOAM_COLLECTOR_TLS
            std::string err;
            tls_ctx_ = ioam_tools::tls::context::make(ioam_tools::tls::side::server,
                                                      {o_.tls_cert, o_.tls_key, o_.tls_ca, {}}, err);
            if (!tls_ctx_) {
                std::fprintf(stderr, "ioam-collector: --listen-tls: %s\n", err.c_str());
                return exit_open;
            }
            if (int rc = open_listener(o_.listen_tls, SOCK_STREAM, "--listen-tls", "TLS", 0, tls_, nullptr); rc != exit_ok)
                return rc;
#else
            std::fprintf(stderr, "ioam-collector: --listen-tls: built without OpenSSL\n");
            return exit_usage;
#endif
        }
        if (udp_ >= 0) st_.socket_drops_known = socket_drops(udp_, drops_base_);
        return exit_ok;
    }

    int run(const volatile std::sig_atomic_t& stop, volatile std::sig_atomic_t& dump_request,
            const std::function<void()>& dump) {
        std::int64_t last_input = now_ms();
        std::vector<pollfd> fds;
        while (!stop && !c_.done()) {
            if (dump_request) {
                dump_request = 0;
                refresh();
                dump();
            }
            const std::int64_t before = now_ms();
            const bool listen_ok = before >= backoff_until_;
            fds.clear();
            fds.push_back(pollfd{udp_, POLLIN, 0});
            fds.push_back(pollfd{listen_ok ? tcp_ : -1, POLLIN, 0});
            fds.push_back(pollfd{listen_ok ? tls_ : -1, POLLIN, 0});
            bool buffered = !udp_queue_.empty();
            for (const auto& k : conns_) {
                short ev = POLLIN;
#ifdef IOAM_COLLECTOR_TLS
                if (k->tls) {
                    ev = k->tls->events();
                    buffered = buffered || k->tls->pending();
                }
#endif
                fds.push_back(pollfd{k->fd, ev, 0});
            }
            int timeout = buffered ? 0 : 250;
            std::fflush(stdout);  // what this round printed, before waiting (a reader waits for lines)
            if (!listen_ok) timeout = std::min<std::int64_t>(timeout, backoff_until_ - before);
            const int pr = poll(fds.data(), fds.size(), timeout);
            if (pr < 0 && errno != EINTR) {
                std::fprintf(stderr, "ioam-collector: poll: %s\n", std::strerror(errno));
                return exit_open;
            }
            const std::int64_t now = now_ms();
            c_.expire();
            c_.analysis_tick();  // issue 14
            if (pr > 0 || buffered) last_input = now;
            if (pr <= 0 && !buffered) {
                timeouts(now);
                if (o_.idle_exit > 0 && now - last_input >= std::int64_t{o_.idle_exit} * 1000) break;
                continue;
            }
            if (fds[0].revents & POLLIN) read_udp();
            decode_udp();
            for (std::size_t i = 0; i < conns_.size() && !c_.done(); ++i) {
                connection& k = *conns_[i];
                bool ready = fds[3 + i].revents != 0;
#ifdef IOAM_COLLECTOR_TLS
                ready = ready || (k.tls && k.tls->pending());
#endif
                if (ready && !service(k, now)) k.closing = true;
            }
            if (fds[1].revents & POLLIN) accept_from(tcp_, false, now);
            if (fds[2].revents & POLLIN) accept_from(tls_, true, now);
            timeouts(now);
        }
        // What the UDP queue holds is decoded before exit (it left the
        // socket: nothing would count it), and whatever plain TCP peers still
        // have queued is read.
        while (!udp_queue_.empty() && !c_.done()) decode_udp();
        for (auto& k : conns_)
            if (!k->closing && !k->is_tls) service(*k, now_ms());
        refresh();
        return exit_ok;
    }

private:
    void refresh() {
        st_.udp_sessions_now = udp_sessions_.size();
        if (udp_ >= 0) {
            st_.udp_queue = udp_queue_.capacity();
            st_.udp_queue_peak = udp_queue_.peak_bytes();
            st_.udp_queue_peak_messages = udp_queue_.peak_count();
        }
        std::uint64_t d = 0;
        if (udp_ >= 0 && st_.socket_drops_known && socket_drops(udp_, d)) st_.socket_drops = d - drops_base_;
    }

    // Moves what the socket holds into the queue, as far as it has room:
    // a full queue leaves the rest in the socket (and its drops to the kernel's count).
    void read_udp() {
        for (int i = 0; i < 4096; ++i) {
            std::byte* p = udp_queue_.reserve();
            if (!p) return;
            sockaddr_storage from{};
            socklen_t fl = sizeof from;
            const ssize_t n =
                recvfrom(udp_, p, udp_queue::max_datagram, MSG_TRUNC, reinterpret_cast<sockaddr*>(&from), &fl);
            if (n < 0) return;
            if (static_cast<std::size_t>(n) > udp_queue::max_datagram) {
                ++st_.udp_truncated;
                continue;
            }
            udp_queue_.commit(from, fl, static_cast<std::size_t>(n));
        }
    }

    // A bounded batch per round, so streams are served in turn.
    void decode_udp() {
        for (int i = 0; i < 256 && !udp_queue_.empty() && !c_.done(); ++i) {
            const udp_queue::item it = udp_queue_.front();
            c_.message(udp_sessions_.lookup(it.from, o_.quirks_go), it.data);
            udp_queue_.pop();
        }
    }

    void accept_from(int lfd, bool tls, std::int64_t now) {
        for (int i = 0; i < 16; ++i) {
            int err = 0;
            auto k = std::make_unique<connection>();
#ifdef IOAM_COLLECTOR_TLS
            if (tls) {
                k->tls = ioam_tools::tls::session::accept(*tls_ctx_, lfd, err);
                if (k->tls) {
                    k->fd = k->tls->fd();
                    k->peer = k->tls->peer();
                }
            }
#endif
            if (!tls) {
                sockaddr_storage from{};
                socklen_t fl = sizeof from;
                k->fd = accept4(lfd, reinterpret_cast<sockaddr*>(&from), &fl, SOCK_NONBLOCK | SOCK_CLOEXEC);
                err = errno;
                if (k->fd >= 0) k->peer = address_name(from, fl);
            }
            if (k->fd < 0) {
                if (err == EAGAIN || err == EWOULDBLOCK || err == EINTR || err == ECONNABORTED) return;
                // Out of descriptors (or memory): stop polling the listeners
                // for a second instead of spinning on the pending connection.
                ++st_.accept_failures;
                conn_log_("accept: %s; not accepting for 1 s", std::strerror(err));
                backoff_until_ = now + 1000;
                return;
            }
            const char* kind = tls ? "TLS" : "TCP";
            if (conns_.size() >= o_.max_connections) {
                ++st_.refused_connections;
                conn_log_("%s %s: refused, %zu connections open (--max-connections)", kind, k->peer.c_str(),
                          conns_.size());
                close_connection(*k, nullptr);
                continue;
            }
            k->is_tls = tls;
            k->session = next_session_++;
            c_.open_stream(k->session);
            k->last_rx = now;
            k->stall_since = tls ? now : 0;  // the handshake must complete within the stall timeout
            ++st_.connections;
            if (!tls) conn_log_("TCP %s: connected", k->peer.c_str());
            conns_.push_back(std::move(k));
        }
    }

    // Reads what the connection has; false when it must close.
    bool service(connection& k, std::int64_t now) {
#ifdef IOAM_COLLECTOR_TLS
        if (k.tls && !k.tls->established()) {
            const auto s = k.tls->progress();
            if (s == ioam_tools::tls::status::again) return true;
            if (s != ioam_tools::tls::status::ok) {
                ++st_.tls_refused;
                tls_log_("TLS %s: refused: %s", k.peer.c_str(), k.tls->error().c_str());
                return false;
            }
            k.subject = k.tls->peer_subject();
            k.stall_since = 0;
            k.last_rx = now;
            if (auto* p = st_.tls_peer(k.subject)) ++p->connections;
            conn_log_("TLS %s: connected, peer \"%s\", %s", k.peer.c_str(), k.subject.c_str(),
                      k.tls->describe().c_str());
        }
#endif
        for (int i = 0; i < 16 && !c_.done(); ++i) {
            std::size_t n = 0;
#ifdef IOAM_COLLECTOR_TLS
            if (k.tls) {
                const auto s = k.tls->read(scratch_.data(), scratch_.size(), n);
                if (s == ioam_tools::tls::status::again) return true;
                if (s == ioam_tools::tls::status::closed) return end_of_stream(k);
                if (s == ioam_tools::tls::status::failed) {
                    conn_log_("TLS %s: %s; closing", k.peer.c_str(), k.tls->error().c_str());
                    return false;
                }
            }
#endif
            if (!k.is_tls) {
                const ssize_t r = recv(k.fd, scratch_.data(), scratch_.size(), MSG_DONTWAIT);
                if (r == 0) return end_of_stream(k);
                if (r < 0) {
                    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return true;
                    conn_log_("TCP %s: %s; closing", k.peer.c_str(), std::strerror(errno));
                    return false;
                }
                n = static_cast<std::size_t>(r);
            }
            k.last_rx = now;
            if (!feed(k, ioam::bytes_view(scratch_.data(), n), now)) return false;
        }
        return true;
    }

    bool end_of_stream(connection& k) {
        if (!k.partial.empty())
            conn_log_("%s %s: %zu octets of an incomplete message at the end", k.is_tls ? "TLS" : "TCP",
                      k.peer.c_str(), k.partial.size());
        return false;
    }

    // Frames messages out of newly read octets; false on bad framing.
    bool feed(connection& k, ioam::bytes_view in, std::int64_t now) {
        namespace ipfix = ioam::ipfix;
        while (!in.empty() && !c_.done()) {
            if (k.partial.empty()) {
                if (in.size() >= ipfix::message_header_size) {
                    auto len = ipfix::peek_message_length(in);
                    if (!len) return bad_framing(k, len.error_code().message().c_str());
                    if (*len <= in.size()) {
                        deliver(k, in.first(*len));
                        in = in.subspan(*len);
                        continue;
                    }
                }
                if (in.size() >= ipfix::message_header_size) k.partial.reserve(*ipfix::peek_message_length(in));
                k.partial.assign(in.begin(), in.end());
                k.stall_since = now;
                return true;
            }
            // Complete the kept message: its header first, then the rest.
            if (k.partial.size() < ipfix::message_header_size) {
                const std::size_t take = std::min(ipfix::message_header_size - k.partial.size(), in.size());
                k.partial.insert(k.partial.end(), in.begin(), in.begin() + static_cast<std::ptrdiff_t>(take));
                in = in.subspan(take);
                if (k.partial.size() < ipfix::message_header_size) break;
            }
            auto len = ipfix::peek_message_length(k.partial);
            if (!len) return bad_framing(k, len.error_code().message().c_str());
            // Room for exactly the message: growth by doubling could hold
            // twice its length per connection.
            if (k.partial.capacity() < *len) k.partial.reserve(*len);
            const std::size_t take = std::min(*len - k.partial.size(), in.size());
            k.partial.insert(k.partial.end(), in.begin(), in.begin() + static_cast<std::ptrdiff_t>(take));
            in = in.subspan(take);
            if (k.partial.size() < *len) break;
            deliver(k, k.partial);
            k.partial.clear();
            if (k.partial.capacity() > 4096) k.partial.shrink_to_fit();
            k.stall_since = 0;
        }
        return true;
    }

    void deliver(connection& k, ioam::bytes_view m) {
        c_.open_stream(k.session);  // again if a cap evicted it meanwhile: a hash lookup
        c_.message(k.session, m);
        if (!k.subject.empty())
            if (auto* p = st_.tls_peer(k.subject)) {
                ++p->messages;
                p->records += c_.last_records();
            }
    }

    bool bad_framing(connection& k, const char* why) {
        // Nothing to resynchronise on in a stream: close (RFC 7011 10.4.1).
        ++st_.framing_errors;
        conn_log_("%s %s: not an IPFIX message (%s); closing", k.is_tls ? "TLS" : "TCP", k.peer.c_str(), why);
        return false;
    }

    // Idle and stalled connections, and the closed ones, leave.
    void timeouts(std::int64_t now) {
        for (auto& k : conns_) {
            if (k->closing) continue;
            if (k->stall_since && o_.stall_timeout && now - k->stall_since >= std::int64_t{o_.stall_timeout} * 1000) {
                ++st_.stalled_closed;
                conn_log_("%s %s: %s incomplete for %u s (--stall-timeout); closing", k->is_tls ? "TLS" : "TCP",
                          k->peer.c_str(), k->partial.empty() ? "TLS handshake" : "message", o_.stall_timeout);
                k->closing = true;
            } else if (o_.idle_timeout && now - k->last_rx >= std::int64_t{o_.idle_timeout} * 1000) {
                ++st_.idle_closed;
                conn_log_("%s %s: idle for %u s (--idle-timeout); closing", k->is_tls ? "TLS" : "TCP",
                          k->peer.c_str(), o_.idle_timeout);
                k->closing = true;
            }
        }
        for (auto& k : conns_)
            if (k->closing) close_connection(*k, &c_);
        std::erase_if(conns_, [](const auto& k) { return k->fd < 0; });
    }

    void close_connection(connection& k, collector* c) {
        if (c && k.session) {
            c->end_session(k.session);
            conn_log_("%s %s: connection closed", k.is_tls ? "TLS" : "TCP", k.peer.c_str());
        }
#ifdef IOAM_COLLECTOR_TLS
        if (k.tls) {
            k.tls->close();
            k.fd = -1;
            return;
        }
#endif
        if (k.fd >= 0) close(k.fd);
        k.fd = -1;
    }

    collector& c_;
    const options& o_;
    transport_stats& st_;
    udp_sessions udp_sessions_;
    udp_queue udp_queue_;
    int udp_ = -1, tcp_ = -1, tls_ = -1;
#ifdef IOAM_COLLECTOR_TLS
    std::unique_ptr<ioam_tools::tls::context> tls_ctx_;
#endif
    std::vector<std::unique_ptr<connection>> conns_;
    std::uint64_t next_session_ = std::uint64_t{1} << 32;
    std::int64_t backoff_until_ = 0;
    std::uint64_t drops_base_ = 0;
    std::array<std::byte, 65536> scratch_{};
    log_limit conn_log_{"connection"}, tls_log_{"TLS refusal", 20};
};

}  // namespace

int serve(collector& c, const options& o, transport_stats& st, const volatile std::sig_atomic_t& stop,
          volatile std::sig_atomic_t& dump_request, const std::function<void()>& dump) {
    // JSON lines in writes of up to 128 KiB that end whole messages (and
    // before each wait), not a write per message or per 4 KiB: a reader of
    // the file sees whole lines (on /dev/null the CPU cost is the same).
    static char out_buf[256 << 10];
    std::setvbuf(stdout, out_buf, _IOFBF, sizeof out_buf);
    c.flush_at(128 << 10);
    server s(c, o, st);
    if (int rc = s.open(); rc != exit_ok) return rc;
    return s.run(stop, dump_request, dump);
}

}  // namespace ioam_collector
