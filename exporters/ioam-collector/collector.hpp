// The collector's decoding side: one IPFIX message of a transport session
// through the template cache, each record printed as text or a JSON line,
// and every count the statistics report. Transports (network.cpp) and files
// (main.cpp) hand it whole messages.
#pragma once

#include "log_limit.hpp"
#include "print.hpp"
#include "quirks.hpp"

#include "ioam/export/decode.hpp"
#include "ioam/export/pen10383.hpp"
#include "ioam/export/rawexport.hpp"
#include "ioam/ipfix/iana.hpp"
#include "ioam/ipfix/message.hpp"
#include "ioam/ipfix/template_cache.hpp"

#include <algorithm>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <stdio_ext.h>  // __fpending (glibc)
#include <ctime>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "analysis.hpp"  // issue 14: correlation, metrics, RFC 9951 (analysis.cpp)

namespace ioam_collector {

namespace ipfix = ioam::ipfix;

struct options {
    std::string listen, listen_tcp, listen_tls;
    std::string tls_cert, tls_key, tls_ca;
    std::vector<std::string> files;
    bool json = false, meta = false, quirks_go = false;
    std::uint64_t count = 0;
    unsigned idle_exit = 0;
    unsigned lifetime = 1800;
    unsigned idle_timeout = 600;   ///< TCP/TLS: close after this long without a byte
    unsigned stall_timeout = 30;   ///< TCP/TLS: close when a message or handshake is incomplete this long
    unsigned max_connections = 256;
    unsigned max_sessions = 4096;  ///< transport sessions (UDP exporters, connections, files) in the cache
    /// Octets of templates cached in all (LRU eviction beyond). With every
    /// other cap reached too (256 connections holding 64 KiB messages, a full
    /// 16 MiB UDP queue) 12 MiB keeps the collector under 64 MB.
    std::size_t template_bytes = 12 << 20;
    int rcvbuf = 32 << 20;
    std::size_t udp_queue = 16 << 20;  ///< octets of received datagrams held while decoding lags
    analysis_settings analysis;  // issue 14
};

/// Transport-side counts (network.cpp fills them; printed with the rest).
struct transport_stats {
    std::uint64_t connections = 0, refused_connections = 0, accept_failures = 0, idle_closed = 0,
                  stalled_closed = 0, framing_errors = 0, tls_refused = 0, udp_sessions = 0,
                  udp_sessions_dropped = 0, udp_truncated = 0;
    std::size_t udp_sessions_now = 0;
    std::uint64_t socket_drops = 0;
    bool socket_drops_known = false;
    int rcvbuf = 0;
    std::size_t udp_queue = 0, udp_queue_peak = 0, udp_queue_peak_messages = 0;
    /// Per certificate subject of TLS peers: connections, messages (bounded).
    struct peer {
        std::uint64_t connections = 0, messages = 0, records = 0;
    };
    std::map<std::string, peer> tls_peers;
    std::uint64_t tls_peers_untracked = 0;
    static constexpr std::size_t max_tls_peers = 256;
    peer* tls_peer(const std::string& subject) {
        if (auto it = tls_peers.find(subject); it != tls_peers.end()) return &it->second;
        if (tls_peers.size() >= max_tls_peers) {
            ++tls_peers_untracked;
            return nullptr;
        }
        return &tls_peers[subject];
    }
};

class collector {
public:
    explicit collector(const options& o)
        : o_(o), cache_(make_registry(), cache_options(o)) {}

    /// Decodes one message of a session; false when it does not parse.
    /// `base`: its offset in a file, for error messages.
    bool message(std::uint64_t session, ioam::bytes_view bytes, std::size_t base = 0) {
        auto m = ipfix::parse_message(bytes, base);
        if (!m) {
            ++bad_messages_;
            bad_log_("message does not parse at offset %zu: %s", m.offset(), m.error_code().message().c_str());
            return false;
        }
        message(session, *m);
        return true;
    }

    /// Decodes one parsed message of a session (a file reader's).
    void message(std::uint64_t session, const ipfix::message_view& mv) {
        const ipfix::message_view* m = &mv;
        ++messages_;
        last_records_ = records_;
        bool seed_records = false;
        // Within a message without template sets no template changes: what
        // is worked out once per template serves all its records.
        memo_ = {};
        bool templates_fixed = true;
        for (const auto& set : m->sets())
            if (set.id() == ipfix::template_set_id || set.id() == ipfix::options_template_set_id) templates_fixed = false;
        const auto now = static_cast<std::uint32_t>(std::time(nullptr));
        const auto on_record = [&](const ipfix::dynamic_record& r) {
            const ipfix::dynamic_template& t = r.templ();
            if (!templates_fixed || memo_.t != &t) use_template(t, *m);
            if (memo_.raw && raw_record(r, *m, session)) return;
            xp::decoded_record d = xp::decode_record(r);
            if (d.pen_fields == 0) {
                ++other_records_;
                if (t.is_options()) print_options(*m, r);
                return;
            }
            std::string prefix, unreliable;
            if (o_.quirks_go && seed_shaped(d)) {
                seed_records = true;
                ++quirk_records_;
                const quirk_result q = quirks(r, d);
                quirk_swaps_ += q.swapped;
                quirk_schema_none_ += q.schema_none;
                unreliable = q.unreliable;
                if (!unreliable.empty()) prefix = "\"unreliable\":[" + unreliable + "]";
            }
            emit(session, *m, t, d, prefix, unreliable);
        };
        // Rows (template_cache::process_rows) when no record of the message
        // needs its octets: no quirks, no template set, and the data sets'
        // templates that the byte shuffles read are neither options, raw
        // nor with a snapshot.
        const bool rows = templates_fixed && !o_.quirks_go && rows_fit(session, *m);
        const auto sum = rows ? cache_.process_rows(session, *m, now,
                                                    [&](const auto& r) {
                                                        if constexpr (std::is_same_v<std::decay_t<decltype(r)>,
                                                                                     ipfix::value_rows>)
                                                            on_rows(session, *m, r);
                                                        else
                                                            on_record(r);
                                                    })
                              : cache_.process(session, *m, now, on_record);
        write_out();
        if (sum.sequence_gap) {
            if (seed_records) {
                // The seed advances its sequence number by the field count:
                // not a loss, counted apart and never logged per message.
                ++quirk_sequence_;
            } else {
                gap_log_("sequence gap in domain %" PRIu32 ": got %" PRIu32 ", expected %" PRIu32 " (%" PRIu32
                         " record(s) missing or duplicated)",
                         m->observation_domain(), m->sequence(), sum.expected_sequence,
                         m->sequence() - sum.expected_sequence);
            }
        }
        if (sum.first_error.code != ioam::errc::ok)
            set_log_("domain %" PRIu32 ": %zu data set(s) skipped, %zu invalid template record(s), first problem: "
                     "%s at offset %zu",
                     m->observation_domain(), sum.skipped_sets, sum.invalid_templates,
                     ioam::make_error_code(sum.first_error.code).message().c_str(), sum.first_error.offset);
        // JSON lines leave in large writes, each ending a message's lines
        // (a reader of the file sees whole lines); the network loop also
        // flushes before it waits. Text: every message.
        if (!o_.json || (flush_at_ > 0 && __fpending(stdout) >= flush_at_)) std::fflush(stdout);
    }

    /// JSON output: flush after a message once this many octets wait (0: only
    /// when the buffer is full, as for files). The buffer should be larger.
    void flush_at(std::size_t octets) { flush_at_ = octets; }

    /// Records decoded by the last message() (for per-peer counts).
    [[nodiscard]] std::uint64_t last_records() const noexcept { return records_ - last_records_; }

    /// A TCP or TLS connection, or a file: its templates live with it and
    /// may be withdrawn (RFC 7011 8); sessions not opened are UDP's.
    void open_stream(std::uint64_t session) { cache_.open_session(session, ipfix::transport_kind::stream); }
    void end_session(std::uint64_t session) { cache_.close_session(session); }
    /// Sessions the cache frees by itself (a cap, or a UDP session expired).
    void on_session_end(std::function<void(std::uint64_t)> fn) { cache_.on_session_end(std::move(fn)); }

    /// Template expiry; at most once a second whatever the caller's rate.
    /// issue 14: the analysis module, when one of its outputs is asked for.
    void set_analysis(analysis* a) { analysis_ = a; }
    void analysis_tick() {
        if (analysis_) analysis_->tick();
    }

    void expire() {
        const auto now = static_cast<std::uint32_t>(std::time(nullptr));
        if (now == last_expire_) return;
        last_expire_ = now;
        (void)cache_.expire(now);
    }
    [[nodiscard]] bool done() const { return o_.count > 0 && records_ >= o_.count; }
    /// A file run fails when anything in it could not be used.
    [[nodiscard]] bool clean() const {
        const ipfix::cache_statistics cs = cache_.statistics();
        return bad_messages_ == 0 && cs.skipped_sets == 0 && raw_errors_ == 0 && cs.invalid_templates == 0;
    }

    void print_stats(const transport_stats* t) {
        gap_log_.flush();
        set_log_.flush();
        bad_log_.flush();
        const ipfix::cache_statistics cs = cache_.statistics();
        std::fprintf(stderr,
                     "ioam-collector stats: messages=%" PRIu64 " records=%" PRIu64 " other_records=%" PRIu64
                     " options_records=%" PRIu64 " skipped_sets=%" PRIu64 " bad_messages=%" PRIu64
                     " raw_errors=%" PRIu64 " sequence_gaps=%" PRIu64 " gap_lines_suppressed=%" PRIu64 "\n",
                     messages_, records_, other_records_, options_records_, cs.skipped_sets, bad_messages_,
                     raw_errors_, cs.sequence_gaps, gap_log_.suppressed());
        std::fprintf(stderr,
                     "ioam-collector stats: templates=%" PRIu64 " invalid_templates=%" PRIu64 " redefinitions=%" PRIu64
                     " withdrawals=%" PRIu64 " withdrawals_ignored=%" PRIu64 " templates_expired=%" PRIu64
                     " templates_evicted=%" PRIu64 " domains_evicted=%" PRIu64 " sessions_evicted=%" PRIu64
                     " sessions_expired=%" PRIu64 " sessions_closed=%" PRIu64 " sessions_now=%zu templates_now=%zu"
                     " template_bytes_now=%zu\n",
                     cs.templates_learnt, cs.invalid_templates, cs.redefinitions, cs.withdrawals,
                     cs.withdrawals_ignored, cs.templates_expired, cs.templates_evicted, cs.domains_evicted,
                     cs.sessions_evicted, cs.sessions_expired, cs.sessions_closed, cs.sessions, cs.templates, cs.bytes);
        if (o_.quirks_go)
            std::fprintf(stderr,
                         "ioam-collector stats: quirks go-ioam-exporter: records=%" PRIu64 " fields_byte_swapped=%" PRIu64
                         " schema_0_as_none=%" PRIu64 " sequence_by_field_count=%" PRIu64 "\n",
                         quirk_records_, quirk_swaps_, quirk_schema_none_, quirk_sequence_);
        if (!t) return;
        std::fprintf(stderr,
                     "ioam-collector stats: connections=%" PRIu64 " refused_connections=%" PRIu64
                     " accept_failures=%" PRIu64 " idle_closed=%" PRIu64 " stalled_closed=%" PRIu64
                     " framing_errors=%" PRIu64 " tls_refused=%" PRIu64 " udp_sessions=%" PRIu64
                     " udp_sessions_dropped=%" PRIu64 " udp_sessions_now=%zu udp_truncated=%" PRIu64,
                     t->connections, t->refused_connections, t->accept_failures, t->idle_closed, t->stalled_closed,
                     t->framing_errors, t->tls_refused, t->udp_sessions, t->udp_sessions_dropped,
                     t->udp_sessions_now, t->udp_truncated);
        if (t->rcvbuf > 0) std::fprintf(stderr, " udp_rcvbuf=%d", t->rcvbuf);
        if (t->udp_queue > 0)
            std::fprintf(stderr, " udp_queue=%zu udp_queue_peak=%zu udp_queue_peak_messages=%zu", t->udp_queue,
                         t->udp_queue_peak, t->udp_queue_peak_messages);
        if (t->socket_drops_known) std::fprintf(stderr, " udp_socket_drops=%" PRIu64, t->socket_drops);
        std::fputc('\n', stderr);
        for (const auto& [subject, p] : t->tls_peers)
            std::fprintf(stderr,
                         "ioam-collector stats: tls peer \"%s\": connections=%" PRIu64 " messages=%" PRIu64
                         " records=%" PRIu64 "\n",
                         subject.c_str(), p.connections, p.messages, p.records);
        if (t->tls_peers_untracked > 0)
            std::fprintf(stderr, "ioam-collector stats: tls peers beyond %zu not listed: %" PRIu64 " connections\n",
                         transport_stats::max_tls_peers, t->tls_peers_untracked);
    }

private:
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
        line += '\n';
        if (o_.json) out_ += line;
        else std::fputs(line.c_str(), stdout);
    }

    // A template that names a raw option element makes rawexport records.
    void use_template(const ipfix::dynamic_template& t, const ipfix::message_view& m) {
        memo_.t = &t;
        memo_.raw = is_raw(t);
        if (o_.meta)
            std::snprintf(memo_.meta, sizeof memo_.meta, "\"odid\":%" PRIu32 ",\"template\":%u,\"sequence\":%" PRIu32,
                          m.observation_domain(), static_cast<unsigned>(t.id()), m.sequence());
    }

    // Whether every record the message hands as rows can be printed from
    // its values alone.
    bool rows_fit(std::uint64_t session, const ipfix::message_view& m) {
        for (const auto& set : m.sets()) {
            if (!set.is_data_set()) continue;
            const auto t = cache_.find(session, m.observation_domain(), set.id());
            if (!t || !(*t)->plan().shuffled()) continue;
            if ((*t)->is_options() || is_raw(**t) || !rows_of(**t).usable()) return false;
        }
        return true;
    }
    // How the rows of t are read and printed: both depend on its fields
    // alone, so they serve every template with the same fields, whatever its
    // address (a template freed since may share one).
    const xp::row_decoder& rows_of(const ipfix::dynamic_template& t) {
        const auto fields = t.fields();
        if (!std::equal(fields.begin(), fields.end(), rows_.fields.begin(), rows_.fields.end(),
                        [](const ipfix::template_field& a, const ipfix::field_spec& b) { return a.spec() == b; })) {
            rows_.fields.assign(fields.begin(), fields.end());
            rows_.dec = xp::row_decoder(t);
            rows_.plan.reset();
        }
        return rows_.dec;
    }
    const ioam_tools::json_lines::row_plan& plan_of(const ipfix::dynamic_template& t) {
        const xp::row_decoder& dec = rows_of(t);
        if (!rows_.plan) rows_.plan.emplace(dec);
        return *rows_.plan;
    }

    void on_rows(std::uint64_t session, const ipfix::message_view& m, const ipfix::value_rows& v) {
        const ipfix::dynamic_template& t = v.templ();
        if (memo_.t != &t) use_template(t, m);
        const xp::row_decoder& dec = rows_of(t);
        if (o_.json && !analysis_) {  // straight from the values to JSON lines
            const ioam_tools::json_lines::row_plan& plan = plan_of(t);
            if (!plan.any()) {
                other_records_ += v.size();
                return;
            }
            const std::string_view prefix = o_.meta ? std::string_view(memo_.meta) : std::string_view();
            json_.append_rows(out_, plan, v, prefix);
            records_ += v.size();
            return;
        }
        const std::string none;
        for (std::size_t k = 0; k < v.size(); ++k) {
            const xp::decoded_record d = dec.decode(v[k]);
            if (d.pen_fields == 0) {
                ++other_records_;
                continue;
            }
            emit(session, m, t, d, none, none);
        }
    }

    // One IOAM record out: analysis, then JSON or text.
    void emit(std::uint64_t session, const ipfix::message_view& m, const ipfix::dynamic_template& t,
              const xp::decoded_record& d, std::string prefix, std::string unreliable) {
        ++records_;
        if (analysis_) {  // issue 14 (it may print to stdout too: what precedes goes first)
            write_out();
            analysis_->record(session, d);
        }
        if (o_.json) {
            if (o_.meta) {
                if (!prefix.empty()) prefix += ',';
                prefix += memo_.meta;
            }
            json_.append(out_, d, prefix);
        } else {
            if (o_.meta) std::printf("[odid %" PRIu32 " template %u] ", m.observation_domain(), t.id());
            if (!unreliable.empty()) {
                std::erase(unreliable, '"');
                std::printf("[unreliable: %s] ", unreliable.c_str());
            }
            ioam_tools::print_text(stdout, d);
        }
    }

    static bool is_raw(const ipfix::dynamic_template& t) {
        namespace rx = xp::rawexport;
        const auto fields = t.fields();
        return std::any_of(fields.begin(), fields.end(), [](const ipfix::template_field& f) {
            return f.enterprise == rx::pen && f.id > rx::id::encapsulation_type &&
                   f.id < rx::id::first + rx::elements.size();
        });
    }

    // The JSON lines of a message leave in one write.
    void write_out() {
        if (out_.empty()) return;
        std::fwrite(out_.data(), 1, out_.size(), stdout);
        out_.clear();
    }

    // A rawexport record: its option decoded with the IOAM decoders, one line
    // per node as for PEN 10383 records. False when r is not one.
    bool raw_record(const ipfix::dynamic_record& r, const ipfix::message_view& m, std::uint64_t session) {
        namespace rx = xp::rawexport;
        const rx::raw_record raw = rx::decode_record(r);
        if (raw.raw_fields == 0 || !raw.option_type) return false;
        auto o = rx::decode_option(*raw.option_type, raw.data);
        if (!o) {
            ++raw_errors_;
            bad_log_("rawexport option does not decode at offset %zu of %zu octets: %s", o.offset(), raw.data.size(),
                     o.error_code().message().c_str());
            return true;
        }
        char ctx[160];
        std::snprintf(ctx, sizeof ctx, "\"format\":\"rawexport\",\"observation_time_ns\":%" PRIu64
                      ",\"report_flags\":%u,\"encapsulation\":%u",
                      raw.observation_time_ns.value_or(0), static_cast<unsigned>(raw.report_flags.value_or(0)),
                      static_cast<unsigned>(raw.encapsulation.value_or(0)));
        // (use_template made memo_.meta for this record's template: it told raw_record to run)
        std::string prefix = ctx;
        if (o_.meta) (prefix += ',') += memo_.meta;
        bool any = false;
        rx::for_each_node(*o, [&](const xp::decoded_record& d) {
            any = true;
            ++records_;
            if (analysis_) {  // issue 14
                write_out();
                analysis_->record(session, d);
            }
            if (o_.json) {
                json_.append(out_, d, prefix);
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

    static ipfix::cache_options cache_options(const options& o) {
        ipfix::cache_options c;
        c.template_lifetime = o.lifetime;
        c.default_transport = ipfix::transport_kind::datagram;
        c.limits.sessions = o.max_sessions;
        c.limits.total_bytes = o.template_bytes;
        c.limits.session_bytes = std::min(c.limits.session_bytes, o.template_bytes);
        return c;
    }
    static ipfix::ie_registry make_registry() {
        ipfix::ie_registry r{xp::pen10383::registry()};
        r.add(xp::rawexport::registry());
        r.add(ipfix::iana_registry);
        return r;
    }

    const options& o_;
    ipfix::template_cache cache_;
    ioam_tools::json_lines json_;
    std::string out_;  ///< JSON lines of the message being decoded
    struct {
        const ipfix::dynamic_template* t = nullptr;
        bool raw = false;
        char meta[96] = "";  ///< --meta: the message's odid, the template, the sequence
    } memo_;
    struct {
        std::vector<ipfix::field_spec> fields;  ///< of the last template read as rows
        xp::row_decoder dec;                    ///< its elements
        std::optional<ioam_tools::json_lines::row_plan> plan;  ///< how its rows print, made when first needed
    } rows_;
    log_limit gap_log_{"sequence gap"}, set_log_{"skipped set"}, bad_log_{"bad message"};
    analysis* analysis_ = nullptr;  // issue 14
    std::uint32_t last_expire_ = 0;
    std::size_t flush_at_ = 0;
    std::uint64_t messages_ = 0, records_ = 0, other_records_ = 0, bad_messages_ = 0, options_records_ = 0,
                  raw_errors_ = 0, last_records_ = 0;
    std::uint64_t quirk_records_ = 0, quirk_swaps_ = 0, quirk_schema_none_ = 0, quirk_sequence_ = 0;
};

}  // namespace ioam_collector
