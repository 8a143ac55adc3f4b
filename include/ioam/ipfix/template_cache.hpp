// The collector's side of RFC 7011 8: templates learnt per transport session,
// observation domain and template id; redefinition replaces, withdrawal is
// honoured (later data for the id is an error until it is defined again),
// templates received over UDP expire; sequence numbers are checked per
// observation domain and gaps reported without stopping decoding.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <tuple>

#include "ioam/core/error.hpp"
#include "ioam/ipfix/dispatch.hpp"
#include "ioam/ipfix/dynamic_template.hpp"
#include "ioam/ipfix/message.hpp"

namespace ioam::ipfix {

struct cache_options {
    /// Lifetime of a template not refreshed, in seconds; 0: never expires
    /// (TCP, SCTP, files). RFC 6728 suggests 3 x the exporter's refresh (1800 s).
    std::uint32_t template_lifetime = 0;
};

/// What process() saw in one message.
struct message_summary {
    std::size_t templates = 0;         ///< template records learnt (or redefined)
    std::size_t withdrawals = 0;
    std::size_t redefinitions = 0;     ///< a template replaced by a different one
    std::size_t records = 0;           ///< data records decoded
    std::size_t skipped_sets = 0;      ///< data sets without a usable template
    bool sequence_gap = false;
    std::uint32_t expected_sequence = 0;  ///< what the sequence number should have been
    error first_error{};               ///< the first set-level problem (decoding went on)
};

class template_cache {
public:
    using session_id = std::uint64_t;

    explicit template_cache(ie_registry registry = {}, cache_options opt = {})
        : reg_(std::move(registry)), opt_(opt) {}

    /// Learns the templates of one template or options template set.
    /// A malformed record stops learning that set and is returned as the error.
    result<void> learn(session_id s, std::uint32_t odid, const set_view& set, std::uint32_t now,
                       message_summary* sum = nullptr) {
        auto ts = parse_template_set(set);
        if (!ts) return ts.error();
        for (const template_record_view r : *ts) {
            if (r.is_withdrawal()) {
                withdraw(s, odid, r.id(), r.is_options());
                if (sum) ++sum->withdrawals;
                continue;
            }
            auto t = dynamic_template::from_record(r, reg_);
            if (!t) return t.error();
            entry& e = map_[key{s, odid, r.id()}];
            if (e.present && !e.withdrawn && !same_fields(e.t, *t) && sum) ++sum->redefinitions;
            e.t = std::move(*t);
            e.match_tag = nullptr;
            e.present = true;
            e.withdrawn = false;
            e.last_seen = now;
            if (sum) ++sum->templates;
        }
        return {};
    }

    /// The template for a data set id, or the reason there is none:
    /// unknown_template, or template_withdrawn after a withdrawal.
    [[nodiscard]] result<const dynamic_template*> find(session_id s, std::uint32_t odid, std::uint16_t id) const {
        auto e = find_entry(s, odid, id);
        if (!e) return e.error();
        return &(*e)->t;
    }

    /// Checks a data set against its template.
    [[nodiscard]] result<dynamic_data_set> decode(session_id s, std::uint32_t odid, const set_view& set) const {
        auto t = find(s, odid, set.id());
        if (!t) return error{t.code(), set.offset()};
        return dynamic_data_set::parse(**t, set);
    }

    /// Reads a whole message: checks the sequence number, learns templates in
    /// order, and calls on_record(dynamic_record) for each data record. A set
    /// that cannot be decoded is skipped and counted; the first such error is
    /// kept in the summary. Templates learnt here take effect for later sets
    /// of the same message (RFC 7011 8).
    ///
    /// With compile-time templates Ts (dispatch.hpp), a set whose template has
    /// the fields of one of them is read as that T: on_record then gets a
    /// record_view<T> (read with get<I>, at constant offsets) instead of a
    /// dynamic_record. Which T, if any, is worked out once per learnt template.
    template <compile_time_template... Ts, class OnRecord>
    message_summary process(session_id s, const message_view& m, std::uint32_t now, OnRecord&& on_record) {
        message_summary sum;
        const std::uint32_t odid = m.observation_domain();
        auto& seq = seq_[std::pair{s, odid}];
        if (seq.known && seq.next != m.sequence()) {
            sum.sequence_gap = true;
            sum.expected_sequence = seq.next;
            ++gaps_;
        }
        std::uint32_t records = 0;
        for (const set_view set : m.sets()) {
            if (set.is_template_set() || set.is_options_template_set()) {
                if (auto r = learn(s, odid, set, now, &sum); !r) note(sum, r.error());
                continue;
            }
            auto e = find_entry(s, odid, set.id());
            if (!e) {
                ++sum.skipped_sets;
                note(sum, error{e.code(), set.offset()});
                continue;
            }
            if constexpr (sizeof...(Ts) > 0) {
                const entry& en = **e;
                if (en.match_tag != &tag_of<Ts...>) {
                    en.match = match_template<Ts...>(en.t);
                    en.match_tag = &tag_of<Ts...>;
                }
                result<std::size_t> n = std::size_t{0};
                if (with_template<Ts...>(en.match, [&](auto t) { n = read_as<decltype(t)>(set, on_record); })) {
                    if (n) {
                        records += static_cast<std::uint32_t>(*n);
                    } else {
                        ++sum.skipped_sets;
                        note(sum, n.error());
                    }
                    continue;
                }
            }
            auto d = dynamic_data_set::parse((*e)->t, set);
            if (!d) {
                ++sum.skipped_sets;
                note(sum, d.error());
                continue;
            }
            for (const dynamic_record rec : *d) on_record(rec);
            records += static_cast<std::uint32_t>(d->size());
        }
        sum.records = records;
        seq.known = true;
        seq.next = m.sequence() + records;  // RFC 7011 3.1: modulo 2^32
        return sum;
    }

    /// Withdraws one template, or all (id 2 / 3) of a session and domain.
    void withdraw(session_id s, std::uint32_t odid, std::uint16_t id, bool options) {
        if (id == template_set_id || id == options_template_set_id) {
            for (auto& [k, e] : map_)
                if (k.session == s && k.odid == odid && e.t.is_options() == options) e.withdrawn = true;
            return;
        }
        entry& e = map_[key{s, odid, id}];
        e.withdrawn = true;
    }

    /// Drops templates not refreshed within the lifetime (UDP, RFC 7011 8.4).
    std::size_t expire(std::uint32_t now) {
        if (opt_.template_lifetime == 0) return 0;
        std::size_t n = 0;
        for (auto it = map_.begin(); it != map_.end();) {
            if (now - it->second.last_seen >= opt_.template_lifetime) {
                it = map_.erase(it);
                ++n;
            } else {
                ++it;
            }
        }
        return n;
    }
    /// Forgets a transport session (e.g. a closed TCP connection, RFC 7011 10.4.2).
    void end_session(session_id s) {
        std::erase_if(map_, [s](const auto& kv) { return kv.first.session == s; });
        std::erase_if(seq_, [s](const auto& kv) { return kv.first.first == s; });
    }

    [[nodiscard]] std::size_t size() const noexcept { return map_.size(); }
    [[nodiscard]] std::uint64_t sequence_gaps() const noexcept { return gaps_; }
    [[nodiscard]] const ie_registry& registry() const noexcept { return reg_; }

private:
    struct key {
        session_id session;
        std::uint32_t odid;
        std::uint16_t id;
        friend bool operator<(const key& a, const key& b) noexcept {
            return std::tie(a.session, a.odid, a.id) < std::tie(b.session, b.odid, b.id);
        }
    };
    struct entry {
        dynamic_template t;
        // A cache: match_template<Ts...>(t), for the Ts of process<Ts...>
        // whose tag_of is match_tag.
        mutable const void* match_tag = nullptr;
        mutable std::size_t match = 0;
        std::uint32_t last_seen = 0;
        bool present = false;
        bool withdrawn = false;
    };
    struct sequence_state {
        std::uint32_t next = 0;
        bool known = false;
    };
    template <class... Ts>
    static constexpr char tag_of = 0;  // one address per list of templates

    [[nodiscard]] result<const entry*> find_entry(session_id s, std::uint32_t odid, std::uint16_t id) const {
        auto it = map_.find(key{s, odid, id});
        if (it == map_.end()) return error{errc::unknown_template, 0};
        if (it->second.withdrawn) return error{errc::template_withdrawn, 0};
        return &it->second;
    }
    // The records of `set` as template T (its fields matched), or why not.
    template <class T, class OnRecord>
    static result<std::size_t> read_as(const set_view& set, OnRecord& on_record) {
        auto ds = parse_data_set_as<T>(set);
        if (!ds) return ds.error();
        for (const record_view<T> r : *ds) on_record(r);
        return ds->size();
    }
    static bool same_fields(const dynamic_template& a, const dynamic_template& b) noexcept {
        return a.scope_count() == b.scope_count() && std::equal(a.fields().begin(), a.fields().end(),
                                                                b.fields().begin(), b.fields().end());
    }
    static void note(message_summary& sum, const error& e) noexcept {
        if (sum.first_error.code == errc::ok) sum.first_error = e;
    }

    ie_registry reg_;
    cache_options opt_;
    std::map<key, entry> map_;
    std::map<std::pair<session_id, std::uint32_t>, sequence_state> seq_;
    std::uint64_t gaps_ = 0;
};

}  // namespace ioam::ipfix
