#include "analysis.hpp"

#include "metrics.hpp"

#include "ioam/analysis/aggregate.hpp"
#include "ioam/analysis/records.hpp"
#include "ioam/analysis/rfc9951_layout.hpp"
#include "ioam/export/session.hpp"
#include "ioam/ipfix/message.hpp"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <chrono>
#include <cinttypes>
#include <cstdlib>
#include <cstring>
#include <map>
#include <tuple>
#include <unordered_map>

namespace ioam_collector {

namespace an = ioam::analysis;

namespace {

enum : int { o_correlate = 600, o_no_packet_lines, o_interval, o_window, o_wait, o_max_flows, o_max_delay,
             o_ts_format, o_metrics, o_max_series, o_upstream, o_ids, o_upstream_domain };

bool number(const char* s, unsigned long long max, unsigned long long& v) {
    char* end = nullptr;
    errno = 0;
    v = std::strtoull(s, &end, 10);
    return errno == 0 && *s && !*end && s[0] != '-' && v <= max;
}

std::int64_t steady_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
std::uint64_t wall_ms() {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

const char* kind_name(an::packet_kind k) { return k == an::packet_kind::dex ? "dex" : "trace"; }
const char* outcome_name(an::outcome o) {
    switch (o) {
    case an::outcome::delivered: return "delivered";
    case an::outcome::lost: return "lost";
    case an::outcome::path_change: return "path_change";
    }
    return "?";
}
const char* delay_name(an::delay_state d) {
    switch (d) {
    case an::delay_state::ok: return "ok";
    case an::delay_state::missing: return "missing";
    case an::delay_state::negative: return "negative";
    case an::delay_state::implausible: return "implausible";
    }
    return "?";
}

void appendf(std::string& s, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
void appendf(std::string& s, const char* fmt, ...) {
    va_list ap, again;
    va_start(ap, fmt);
    va_copy(again, ap);
    char buf[256];
    const int n = std::vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n > 0 && static_cast<std::size_t>(n) < sizeof buf) {
        s.append(buf, static_cast<std::size_t>(n));
    } else if (n > 0) {
        const std::size_t at = s.size();
        s.resize(at + static_cast<std::size_t>(n) + 1);
        std::vsnprintf(s.data() + at, static_cast<std::size_t>(n) + 1, fmt, again);
        s.resize(at + static_cast<std::size_t>(n));
    }
    va_end(again);
}

// Prometheus histogram buckets for per-hop delay, in seconds.
constexpr std::array<double, 14> buckets = {0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.0075, 0.01,
                                            0.0125, 0.015, 0.02, 0.05, 0.1, 0.5, 1.0};

struct hop_series {
    std::array<std::uint64_t, buckets.size()> bucket{};
    double sum_s = 0;
    std::uint64_t count = 0, packets = 0, lost = 0, negative = 0, implausible = 0;
};

// The upstream socket as the export session's message sink.
struct udp_sink {
    int fd = -1;
    bool send(ioam::bytes_view m, std::uint32_t) { return ::send(fd, m.data(), m.size(), 0) >= 0; }
    [[nodiscard]] ioam::ipfix::transport transport() const { return ioam::ipfix::transport::udp; }
};
using upstream_session = ioam::exporting::session<an::rfc9951_layout, udp_sink, 4>;

ioam::exporting::session_clock clock_now() {
    return {static_cast<std::uint64_t>(steady_ns() / 1'000'000), static_cast<std::uint32_t>(wall_ms() / 1000)};
}

// (namespace, from, to); `other` (0xffffffff namespace) collects the series past the bound.
using hop_key = std::tuple<std::uint32_t, std::uint64_t, std::uint64_t>;
constexpr std::uint32_t other_ns = 0xffffffffu;

}  // namespace

const char* const usage_text =
    "Analysis (docs/analysis.md): correlation of DEX records and trace events into packets\n"
    "      --correlate FILE         JSON lines per packet and per interval ('-': stdout)\n"
    "      --no-packet-lines        only the per-interval lines\n"
    "      --interval SEC           aggregation interval (10)\n"
    "      --window N               open packets at most; the oldest is evicted (65536)\n"
    "      --wait-ms MS             how long a packet waits for its next nodes' exports (1000)\n"
    "      --max-flows N            flows with a known path at most (65536)\n"
    "      --max-delay-ms MS        larger per-hop delays are counted as implausible (10000)\n"
    "      --timestamp-format F     posix (Linux, microseconds; default), ptp or ntp\n"
    "      --metrics ADDR:PORT      Prometheus endpoint (GET /metrics)\n"
    "      --metrics-max-series N   hop label sets at most; the rest go to from=\"other\" (256)\n"
    "      --upstream ADDR:PORT     RFC 9951 path-delay records per flow and interval, IPFIX over UDP\n"
    "      --rfc9951-ids M,N,X,S    element ids of pathDelay{Mean,Min,Max,Sum}DeltaMicroseconds\n"
    "                               (530,531,532,533)\n"
    "      --upstream-domain N      observation domain of the upstream records (1)\n";

void add_options(std::vector<option>& opts) {
    static const option ours[] = {
        {"correlate", required_argument, nullptr, o_correlate},
        {"no-packet-lines", no_argument, nullptr, o_no_packet_lines},
        {"interval", required_argument, nullptr, o_interval},
        {"window", required_argument, nullptr, o_window},
        {"wait-ms", required_argument, nullptr, o_wait},
        {"max-flows", required_argument, nullptr, o_max_flows},
        {"max-delay-ms", required_argument, nullptr, o_max_delay},
        {"timestamp-format", required_argument, nullptr, o_ts_format},
        {"metrics", required_argument, nullptr, o_metrics},
        {"metrics-max-series", required_argument, nullptr, o_max_series},
        {"upstream", required_argument, nullptr, o_upstream},
        {"rfc9951-ids", required_argument, nullptr, o_ids},
        {"upstream-domain", required_argument, nullptr, o_upstream_domain},
    };
    opts.insert(opts.end(), std::begin(ours), std::end(ours));
}

bool parse_option(analysis_settings& s, int code, const char* arg, bool& ok) {
    unsigned long long v = 0;
    switch (code) {
    case o_correlate: s.out = arg; return true;
    case o_no_packet_lines: s.packet_lines = false; return true;
    case o_interval: ok = number(arg, 86400, v) && v > 0; s.interval = static_cast<unsigned>(v); return true;
    case o_window: ok = number(arg, 1u << 26, v) && v > 0; s.correlator.window = v; return true;
    case o_wait: ok = number(arg, 3'600'000, v); s.correlator.wait_ns = static_cast<std::int64_t>(v) * 1'000'000; return true;
    case o_max_flows: ok = number(arg, 1u << 26, v); s.correlator.max_flows = v; return true;
    case o_max_delay:
        ok = number(arg, 3'600'000, v);
        s.correlator.max_delay_ns = static_cast<std::int64_t>(v) * 1'000'000;
        return true;
    case o_ts_format:
        if (std::strcmp(arg, "posix") == 0) s.timestamps = an::timestamp_format::posix_us;
        else if (std::strcmp(arg, "ptp") == 0) s.timestamps = an::timestamp_format::ptp_ns;
        else if (std::strcmp(arg, "ntp") == 0) s.timestamps = an::timestamp_format::ntp;
        else ok = false;
        return true;
    case o_metrics: s.metrics = arg; return true;
    case o_max_series: ok = number(arg, 1u << 20, v) && v > 0; s.max_series = v; return true;
    case o_upstream: s.upstream = arg; return true;
    case o_ids: {
        unsigned a = 0, b = 0, c = 0, d = 0;
        char tail = 0;
        ok = std::sscanf(arg, "%u,%u,%u,%u%c", &a, &b, &c, &d, &tail) == 4 && a < 32768 && b < 32768 && c < 32768 &&
             d < 32768;
        s.ids = {static_cast<std::uint16_t>(a), static_cast<std::uint16_t>(b), static_cast<std::uint16_t>(c),
                 static_cast<std::uint16_t>(d)};
        return true;
    }
    case o_upstream_domain: ok = number(arg, 0xffffffffULL, v); s.upstream_domain = static_cast<std::uint32_t>(v); return true;
    default: return false;
    }
}

struct analysis::impl {
    const analysis_settings& s;
    an::correlator corr;
    an::interval_aggregator agg;
    std::FILE* out = nullptr;
    std::unique_ptr<metrics_server> metrics;
    udp_sink upstream_sink;
    std::unique_ptr<upstream_session> upstream;  // the export session (large: on the heap)
    std::int64_t next_interval = 0, last_tick = 0;
    std::uint64_t interval_start_ms = 0;
    // Trace events arrive as one record per node, index 0 (the reporting node) first.
    struct pending_trace {
        std::uint32_t event_id = 0;
        std::uint16_t ns = 0;
        unsigned count = 0, filled = 0;
        std::array<an::hop, an::max_hops> hops{};
    };
    std::unordered_map<std::uint64_t, pending_trace> pending;
    std::uint64_t trace_partial = 0, trace_too_long = 0, trace_empty = 0;
    // Cumulative metrics.
    std::map<hop_key, hop_series> hops;
    std::map<std::pair<std::uint32_t, std::uint64_t>, std::uint64_t> node_packets;
    std::map<std::pair<std::uint32_t, int>, std::uint64_t> ns_packets;  // (namespace, outcome)
    std::uint64_t series_overflow = 0;

    explicit impl(const analysis_settings& st) : s(st), corr(st.correlator) {}

    template <class Map, class Key>
    typename Map::mapped_type& bounded(Map& m, const Key& k, const Key& other) {
        auto it = m.find(k);
        if (it != m.end()) return it->second;
        if (m.size() >= s.max_series) {
            ++series_overflow;
            return m[other];
        }
        return m[k];
    }

    void on_packet(const an::packet_report& r) {
        if (out && s.packet_lines) write_packet(r);
        agg.add(r);
        if (metrics) count_packet(r);
    }

    void write_packet(const an::packet_report& r) {
        std::string l = "{\"packet\":{";
        appendf(l, "\"kind\":\"%s\",\"namespace\":%u,\"flow\":%" PRIu32, kind_name(r.kind), r.namespace_id, r.flow_id);
        if (r.sequence) appendf(l, ",\"sequence\":%" PRIu32, *r.sequence);
        appendf(l, ",\"result\":\"%s\"", outcome_name(r.result));
        if (r.result == an::outcome::lost) appendf(l, ",\"lost_from\":%" PRIu64 ",\"lost_to\":%" PRIu64, r.lost_from, r.lost_to);
        l += ",\"path\":[";
        for (unsigned i = 0; i < r.hop_count; ++i) {
            const an::hop& h = r.hops[i];
            appendf(l, "%s{\"node\":%" PRIu64, i ? "," : "", h.node_id);
            if (h.hop_limit) appendf(l, ",\"hop_limit\":%u", *h.hop_limit);
            if (h.time_ns) appendf(l, ",\"time_ns\":%" PRId64, *h.time_ns);
            if (i + 1 < r.hop_count) {
                appendf(l, ",\"delay\":\"%s\"", delay_name(r.delay[i]));
                if (r.delay[i] != an::delay_state::missing) appendf(l, ",\"delay_us\":%.3f", static_cast<double>(r.delay_ns[i]) / 1e3);
            }
            l += "}";
        }
        l += "]";
        if (r.path_delay_ns) appendf(l, ",\"path_delay_us\":%.3f", static_cast<double>(*r.path_delay_ns) / 1e3);
        appendf(l, ",\"duplicates\":%u,\"missing_records\":%s,\"evicted\":%s}}\n", r.duplicates,
                r.missing_records ? "true" : "false", r.evicted ? "true" : "false");
        std::fputs(l.c_str(), out);
    }

    void count_packet(const an::packet_report& r) {
        ++bounded(ns_packets, std::pair<std::uint32_t, int>{r.namespace_id, static_cast<int>(r.result)},
                  std::pair<std::uint32_t, int>{other_ns, static_cast<int>(r.result)});
        for (unsigned i = 0; i < r.hop_count; ++i)
            ++bounded(node_packets, std::pair<std::uint32_t, std::uint64_t>{r.namespace_id, r.hops[i].node_id},
                      std::pair<std::uint32_t, std::uint64_t>{other_ns, 0});
        const hop_key other{other_ns, 0, 0};
        for (unsigned i = 0; i + 1 < r.hop_count; ++i) {
            hop_series& h = bounded(hops, hop_key{r.namespace_id, r.hops[i].node_id, r.hops[i + 1].node_id}, other);
            ++h.packets;
            switch (r.delay[i]) {
            case an::delay_state::ok: {
                const double d = static_cast<double>(r.delay_ns[i]) / 1e9;
                for (std::size_t b = 0; b < buckets.size(); ++b)
                    if (d <= buckets[b]) ++h.bucket[b];
                h.sum_s += d;
                ++h.count;
                break;
            }
            case an::delay_state::negative: ++h.negative; break;
            case an::delay_state::implausible: ++h.implausible; break;
            case an::delay_state::missing: break;
            }
        }
        if (r.result == an::outcome::lost) ++bounded(hops, hop_key{r.namespace_id, r.lost_from, r.lost_to}, other).lost;
    }

    static std::string labels(const hop_key& k) {
        if (std::get<0>(k) == other_ns) return "namespace=\"other\",from=\"other\",to=\"other\"";
        std::string l;
        appendf(l, "namespace=\"%" PRIu32 "\",from=\"%" PRIu64 "\",to=\"%" PRIu64 "\"", std::get<0>(k), std::get<1>(k),
                std::get<2>(k));
        return l;
    }

    std::string render() const {
        std::string t;
        const auto& st = corr.stats();
        const auto counter = [&](const char* name, const char* help, std::uint64_t v) {
            appendf(t, "# HELP %s %s\n# TYPE %s counter\n%s %" PRIu64 "\n", name, help, name, name, v);
        };
        counter("ioam_correlator_records_total", "DEX records and trace events observed.", st.records);
        counter("ioam_correlator_unkeyed_records_total", "DEX records without flow id or sequence number.", st.records_unkeyed);
        counter("ioam_correlator_late_records_total", "Records for packets already closed.", st.late_records);
        counter("ioam_correlator_evicted_packets_total", "Packets closed early because the window was full.", st.evicted);
        counter("ioam_correlator_duplicates_total", "Records of a node seen twice for one packet.", st.duplicates);
        counter("ioam_correlator_reordered_total", "Records with a lower sequence number than the node's last.", st.reordered);
        counter("ioam_correlator_missing_records_total", "Packets that reached the last node with a middle export missing.",
                st.missing_records);
        counter("ioam_correlator_trace_events_partial_total", "Trace events whose node records did not all arrive.",
                trace_partial);
        counter("ioam_metrics_series_overflow_total", "Updates that went to the label set \"other\" (--metrics-max-series).",
                series_overflow);
        appendf(t, "# HELP ioam_correlator_open_packets Packets waiting for exports.\n# TYPE ioam_correlator_open_packets gauge\n"
                   "ioam_correlator_open_packets %zu\n", corr.open_packets());
        t += "# HELP ioam_packets_total Correlated packets by outcome.\n# TYPE ioam_packets_total counter\n";
        for (const auto& [k, v] : ns_packets) {
            if (k.first == other_ns) appendf(t, "ioam_packets_total{namespace=\"other\",outcome=\"%s\"} %" PRIu64 "\n",
                                             outcome_name(static_cast<an::outcome>(k.second)), v);
            else appendf(t, "ioam_packets_total{namespace=\"%" PRIu32 "\",outcome=\"%s\"} %" PRIu64 "\n", k.first,
                         outcome_name(static_cast<an::outcome>(k.second)), v);
        }
        t += "# HELP ioam_node_packets_total Correlated packets seen at a node.\n# TYPE ioam_node_packets_total counter\n";
        for (const auto& [k, v] : node_packets) {
            if (k.first == other_ns) appendf(t, "ioam_node_packets_total{namespace=\"other\",node=\"other\"} %" PRIu64 "\n", v);
            else appendf(t, "ioam_node_packets_total{namespace=\"%" PRIu32 "\",node=\"%" PRIu64 "\"} %" PRIu64 "\n", k.first,
                         k.second, v);
        }
        t += "# HELP ioam_hop_delay_seconds Delay from node to node, from IOAM timestamps (synchronised clocks).\n"
             "# TYPE ioam_hop_delay_seconds histogram\n";
        for (const auto& [k, h] : hops) {
            const std::string l = labels(k);
            for (std::size_t b = 0; b < buckets.size(); ++b)
                appendf(t, "ioam_hop_delay_seconds_bucket{%s,le=\"%g\"} %" PRIu64 "\n", l.c_str(), buckets[b], h.bucket[b]);
            appendf(t, "ioam_hop_delay_seconds_bucket{%s,le=\"+Inf\"} %" PRIu64 "\n", l.c_str(), h.count);
            appendf(t, "ioam_hop_delay_seconds_sum{%s} %.9f\n", l.c_str(), h.sum_s);
            appendf(t, "ioam_hop_delay_seconds_count{%s} %" PRIu64 "\n", l.c_str(), h.count);
        }
        const auto per_hop = [&](const char* name, const char* help, std::uint64_t hop_series::*f) {
            appendf(t, "# HELP %s %s\n# TYPE %s counter\n", name, help, name);
            for (const auto& [k, h] : hops) appendf(t, "%s{%s} %" PRIu64 "\n", name, labels(k).c_str(), h.*f);
        };
        per_hop("ioam_hop_packets_total", "Packets seen at both ends of the hop.", &hop_series::packets);
        per_hop("ioam_hop_lost_packets_total", "Packets seen at `from`, not at `to` within the wait.", &hop_series::lost);
        per_hop("ioam_hop_negative_delays_total", "Delays below zero (clocks not synchronised).", &hop_series::negative);
        per_hop("ioam_hop_implausible_delays_total", "Delays above --max-delay-ms.", &hop_series::implausible);
        return t;
    }

    void write_intervals(std::uint64_t end_ms) {
        if (!out) return;
        for (const auto& [h, a] : agg.paths()) {
            std::string l = "{\"interval\":{";
            appendf(l, "\"start_ms\":%" PRIu64 ",\"end_ms\":%" PRIu64 ",\"kind\":\"%s\",\"namespace\":%u,\"flow\":%" PRIu32,
                    interval_start_ms, end_ms, kind_name(a.kind), a.namespace_id, a.flow_id);
            l += ",\"path\":[";
            for (unsigned i = 0; i < a.node_count; ++i) appendf(l, "%s%" PRIu64, i ? "," : "", a.nodes[i]);
            appendf(l, "],\"packets\":%" PRIu64 ",\"lost\":%" PRIu64, a.packets, a.lost);
            if (a.lost) appendf(l, ",\"lost_from\":%" PRIu64 ",\"lost_to\":%" PRIu64, a.nodes[a.node_count - 1], a.lost_to);
            if (a.path_delay.count)
                appendf(l, ",\"path_delay_us\":{\"count\":%" PRIu64 ",\"min\":%.3f,\"mean\":%.3f,\"max\":%.3f}", a.path_delay.count,
                        static_cast<double>(a.path_delay.min_ns) / 1e3, static_cast<double>(a.path_delay.mean_ns()) / 1e3,
                        static_cast<double>(a.path_delay.max_ns) / 1e3);
            l += ",\"hops\":[";
            for (unsigned i = 0; i + 1 < a.node_count; ++i) {
                const auto& d = a.hop_delay[i];
                appendf(l, "%s{\"from\":%" PRIu64 ",\"to\":%" PRIu64 ",\"count\":%" PRIu64, i ? "," : "", a.nodes[i],
                        a.nodes[i + 1], d.count);
                if (d.count)
                    appendf(l, ",\"min_us\":%.3f,\"mean_us\":%.3f,\"max_us\":%.3f", static_cast<double>(d.min_ns) / 1e3,
                            static_cast<double>(d.mean_ns()) / 1e3, static_cast<double>(d.max_ns) / 1e3);
                l += "}";
            }
            l += "]}}\n";
            std::fputs(l.c_str(), out);
        }
        if (agg.overflow())
            std::fprintf(out, "{\"interval_overflow\":{\"start_ms\":%" PRIu64 ",\"end_ms\":%" PRIu64 ",\"packets\":%" PRIu64 "}}\n",
                         interval_start_ms, end_ms, agg.overflow());
    }

    // RFC 9951 records, one per flow (its paths merged), through the export
    // session: template id 400 before the first record and again every
    // interval (UDP, RFC 7011 8.4), as many messages as needed.
    void send_upstream(std::uint64_t end_ms) {
        if (!upstream) return;
        std::map<std::pair<std::uint16_t, std::uint32_t>, an::delay_summary> flows;
        for (const auto& [h, a] : agg.paths()) {
            if (!a.path_delay.count) continue;
            an::delay_summary& f = flows[{a.namespace_id, a.flow_id}];
            f.count += a.path_delay.count;
            f.sum_ns += a.path_delay.sum_ns;
            f.min_ns = std::min(f.min_ns, a.path_delay.min_ns);
            f.max_ns = std::max(f.max_ns, a.path_delay.max_ns);
        }
        upstream->tick(clock_now());
        for (const auto& [key, d] : flows)
            (void)upstream->add(an::path_delay_of(key.first, key.second, d, interval_start_ms, end_ms));
        upstream->flush();
    }

    void end_interval() {
        const std::uint64_t end = wall_ms();
        write_intervals(end);
        send_upstream(end);
        agg.reset();
        interval_start_ms = end;
        if (out) std::fflush(out);
    }
};

analysis::analysis(const analysis_settings& s) : p_(std::make_unique<impl>(s)) {}
analysis::~analysis() {
    if (p_->out && p_->out != stdout) std::fclose(p_->out);
    if (p_->upstream_sink.fd >= 0) close(p_->upstream_sink.fd);
}

bool analysis::start() {
    impl& p = *p_;
    if (!p.s.out.empty()) {
        p.out = p.s.out == "-" ? stdout : std::fopen(p.s.out.c_str(), "w");
        if (!p.out) {
            std::fprintf(stderr, "ioam-collector: --correlate %s: %s\n", p.s.out.c_str(), std::strerror(errno));
            return false;
        }
    }
    if (!p.s.metrics.empty()) {
        p.metrics = std::make_unique<metrics_server>();
        std::string err;
        if (!p.metrics->start(p.s.metrics, err)) {
            std::fprintf(stderr, "ioam-collector: --metrics %s: %s\n", p.s.metrics.c_str(), err.c_str());
            return false;
        }
        p.metrics->publish(p.render());
        std::fprintf(stderr, "ioam-collector: metrics on http://%s/metrics\n", p.s.metrics.c_str());
    }
    if (!p.s.upstream.empty()) {
        const auto colon = p.s.upstream.rfind(':');
        std::string host = colon == std::string::npos ? "" : p.s.upstream.substr(0, colon);
        const std::string port = colon == std::string::npos ? p.s.upstream : p.s.upstream.substr(colon + 1);
        if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
        addrinfo hints{};
        hints.ai_socktype = SOCK_DGRAM;
        addrinfo* res = nullptr;
        if (const int rc = getaddrinfo(host.empty() ? "::1" : host.c_str(), port.c_str(), &hints, &res); rc != 0) {
            std::fprintf(stderr, "ioam-collector: --upstream %s: %s\n", p.s.upstream.c_str(), gai_strerror(rc));
            return false;
        }
        p.upstream_sink.fd = socket(res->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (p.upstream_sink.fd < 0 || connect(p.upstream_sink.fd, res->ai_addr, res->ai_addrlen) != 0) {
            std::fprintf(stderr, "ioam-collector: --upstream %s: %s\n", p.s.upstream.c_str(), std::strerror(errno));
            freeaddrinfo(res);
            return false;
        }
        freeaddrinfo(res);
        ioam::exporting::session_options so;
        so.capacity = 1400;
        so.observation_domain = p.s.upstream_domain;
        so.first_template_id = 400;
        so.refresh_ms = std::uint64_t{p.s.interval} * 1000;
        p.upstream = std::make_unique<upstream_session>(p.upstream_sink, so, an::rfc9951_layout{p.s.ids});
        p.upstream->tick(clock_now());
    }
    p.interval_start_ms = wall_ms();
    p.next_interval = steady_ns() + std::int64_t{p.s.interval} * 1'000'000'000;
    return true;
}

void analysis::record(std::uint64_t session, const ioam::exporting::decoded_record& d) {
    impl& p = *p_;
    const std::int64_t now = steady_ns();
    const auto sink = [&](const an::packet_report& r) { p.on_packet(r); };
    const std::uint16_t ns = d.namespace_id.value_or(0);
    if (an::is_dex(d)) {
        p.corr.observe_dex(ns, d.flow_id, d.sequence, an::hop_of(d, p.s.timestamps), now, sink);
        return;
    }
    if (!d.node_index || !d.node_count || *d.node_count == 0) {
        ++p.trace_empty;  // an empty (overflowed) trace or a record without its place
        return;
    }
    // An event in progress per session (its records are consecutive); the
    // entry goes when the event is whole or broken, so the map stays small.
    const unsigned index = *d.node_index, count = *d.node_count;
    auto it = p.pending.find(session);
    if (index == 0) {
        if (it != p.pending.end()) {
            ++p.trace_partial;
        } else {
            if (p.pending.size() >= 65536) {  // a flood of sessions each leaving an event half done
                p.trace_partial += p.pending.size();
                p.pending.clear();
            }
            it = p.pending.emplace(session, impl::pending_trace{}).first;
        }
        it->second = impl::pending_trace{d.event_id.value_or(0), ns, count, 0, {}};
    } else if (it == p.pending.end() || it->second.event_id != d.event_id.value_or(0) || index != it->second.filled) {
        if (it != p.pending.end()) {
            ++p.trace_partial;
            p.pending.erase(it);
        }
        return;
    }
    impl::pending_trace& t = it->second;
    if (index < an::max_hops) t.hops[index] = an::hop_of(d, p.s.timestamps);
    if (++t.filled < t.count) return;
    const impl::pending_trace done = t;
    p.pending.erase(it);
    if (done.count > an::max_hops) {
        ++p.trace_too_long;
        return;
    }
    // Index 0 is the reporting (newest) node: the correlator wants oldest first.
    std::array<an::hop, an::max_hops> oldest_first{};
    for (unsigned i = 0; i < done.count; ++i) oldest_first[i] = done.hops[done.count - 1 - i];
    p.corr.observe_trace(done.ns, std::span<const an::hop>(oldest_first.data(), done.count), now, sink);
}

void analysis::tick() {
    impl& p = *p_;
    const std::int64_t now = steady_ns();
    if (now - p.last_tick < 250'000'000) return;  // the loop calls this per datagram
    p.last_tick = now;
    p.corr.tick(now, [&](const an::packet_report& r) { p.on_packet(r); });
    if (now >= p.next_interval) {
        p.end_interval();
        p.next_interval = now + std::int64_t{p.s.interval} * 1'000'000'000;
    }
    if (p.metrics) p.metrics->publish(p.render());
    if (p.out) std::fflush(p.out);
}

std::string analysis::metrics_text() const { return p_->render(); }

void analysis::finish() {
    impl& p = *p_;
    p.corr.flush([&](const an::packet_report& r) { p.on_packet(r); });
    p.end_interval();
    if (p.metrics) p.metrics->publish(p.render());
    const auto& st = p.corr.stats();
    std::fprintf(stderr,
                 "ioam-collector analysis: records=%" PRIu64 " packets=%" PRIu64 " delivered=%" PRIu64 " lost=%" PRIu64
                 " path_changes=%" PRIu64 " duplicates=%" PRIu64 " reordered=%" PRIu64 " late=%" PRIu64 " evicted=%" PRIu64
                 " unkeyed=%" PRIu64 " missing_records=%" PRIu64 " negative_delays=%" PRIu64 " implausible_delays=%" PRIu64
                 " trace_partial=%" PRIu64 " trace_empty=%" PRIu64 " trace_too_long=%" PRIu64 " flows_untracked=%" PRIu64 " series_overflow=%" PRIu64
                 " upstream_records=%" PRIu64 " upstream_errors=%" PRIu64 "\n",
                 st.records, st.packets, st.delivered, st.lost, st.path_changes, st.duplicates, st.reordered, st.late_records,
                 st.evicted, st.records_unkeyed, st.missing_records, st.negative_delays, st.implausible_delays,
                 p.trace_partial, p.trace_empty, p.trace_too_long, st.flows_untracked, p.series_overflow,
                 p.upstream ? p.upstream->counters().records : 0, p.upstream ? p.upstream->counters().messages_not_sent : 0);
}

}  // namespace ioam_collector
