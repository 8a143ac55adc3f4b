// The collector's side of RFC 7011 8 and 10: templates learnt per transport
// session, observation domain and template id, in bounded memory whatever
// arrives.
//
// - Transport rules per session (transport_kind): templates of a stream
//   session (TCP, TLS, SCTP, a file) live as long as the session, never
//   expire, and may be withdrawn (8.1); on a datagram session (UDP) they
//   expire when not refreshed within the lifetime (8.4) and withdrawals are
//   ignored and counted (8: withdrawals are not used over UDP).
// - Redefinition replaces; data for a withdrawn id is an error until the id
//   is defined again; invalid template records are counted and skipped.
// - Sequence numbers are checked per session and observation domain; gaps
//   are counted and reported without stopping decoding (RFC 7011 3.1).
// - Bounds (cache_limits): templates per session, domains per session,
//   sessions, octets per session and in all. Going over a bound evicts the
//   least recently used template, domain or session, and counts it.
// - Costs: every operation costs in proportion to its own input. Looking up
//   a session, domain or template is a hash lookup; expire() pops what has
//   expired off a queue kept in refresh order (O(expired)); a withdraw-all
//   walks only the templates of that kind in that session and domain;
//   close_session() only what that session holds.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <unordered_map>
#include <utility>

#include "ioam/core/error.hpp"
#include "ioam/ipfix/detail/intrusive_list.hpp"
#include "ioam/ipfix/dispatch.hpp"
#include "ioam/ipfix/dynamic_template.hpp"
#include "ioam/ipfix/message.hpp"

namespace ioam::ipfix {

/// How a transport session carries templates (RFC 7011 8, 10).
enum class transport_kind : std::uint8_t {
    stream,    ///< TCP, TLS, SCTP, a file: templates live with the session; withdrawals honoured
    datagram,  ///< UDP (and DTLS): templates expire after the lifetime; withdrawals ignored, counted
};

/// Caps on what the cache holds. The defaults keep a collector's template
/// state near 24 MB (octets as accounted: heap blocks, their headers and
/// hash nodes) whatever arrives, and hold 4,096 exporters of 64 templates.
struct cache_limits {
    std::size_t templates_per_session = 1024;  ///< template ids (withdrawn ones included) over all its domains
    std::size_t domains_per_session = 256;     ///< observation domains (sequence state) per session
    std::size_t sessions = 4096;
    std::size_t session_bytes = std::size_t{4} << 20;  ///< octets of one session
    std::size_t total_bytes = std::size_t{24} << 20;   ///< octets of the whole cache
};

struct cache_options {
    /// Lifetime of a datagram session's template not refreshed, in seconds;
    /// 0: never expires. RFC 6728 suggests 3 x the exporter's refresh (1800 s).
    /// A datagram session idle this long is freed too.
    std::uint32_t template_lifetime = 0;
    /// The transport of a session not opened with open_session().
    transport_kind default_transport = transport_kind::stream;
    cache_limits limits{};
};

/// What process() saw in one message.
struct message_summary {
    std::size_t templates = 0;         ///< template records learnt (or redefined)
    std::size_t withdrawals = 0;       ///< withdrawals honoured
    std::size_t withdrawals_ignored = 0;  ///< withdrawals on a datagram session
    std::size_t invalid_templates = 0;    ///< template records (or sets) rejected
    std::size_t redefinitions = 0;     ///< a template replaced by a different one
    std::size_t records = 0;           ///< data records decoded
    std::size_t skipped_sets = 0;      ///< data sets without a usable template
    bool sequence_gap = false;
    std::uint32_t expected_sequence = 0;  ///< what the sequence number should have been
    error first_error{};               ///< the first set-level problem (decoding went on)
};

/// Counters since the cache was made (the first group) and what it holds now.
struct cache_statistics {
    std::uint64_t messages = 0;
    std::uint64_t records = 0;
    std::uint64_t skipped_sets = 0;
    std::uint64_t templates_learnt = 0;       ///< template records accepted, refreshes included
    std::uint64_t redefinitions = 0;
    std::uint64_t invalid_templates = 0;
    std::uint64_t withdrawals = 0;
    std::uint64_t withdrawals_ignored = 0;    ///< on datagram sessions (RFC 7011 8)
    std::uint64_t sequence_gaps = 0;
    std::uint64_t templates_expired = 0;
    std::uint64_t templates_evicted = 0;      ///< by a cap, those of evicted domains and sessions included
    std::uint64_t domains_evicted = 0;
    std::uint64_t sessions_evicted = 0;       ///< least recently used sessions dropped by a cap
    std::uint64_t sessions_expired = 0;       ///< datagram sessions freed (last template expired, or idle)
    std::uint64_t sessions_closed = 0;
    // Now:
    std::size_t sessions = 0;
    std::size_t domains = 0;
    std::size_t templates = 0;  ///< withdrawn ids remembered included
    std::size_t bytes = 0;      ///< as accounted against cache_limits
};

class template_cache {
public:
    using session_id = std::uint64_t;

    explicit template_cache(ie_registry registry = {}, cache_options opt = {})
        : reg_(std::move(registry)), opt_(opt) {}
    template_cache(const template_cache&) = delete;
    template_cache& operator=(const template_cache&) = delete;
    template_cache(template_cache&&) = default;  // the maps' nodes, and the lists through them, move along
    template_cache& operator=(template_cache&&) = default;
    ~template_cache() = default;

    /// Starts a transport session of the given kind. A session of that id
    /// that exists with another kind is closed first (its state forgotten).
    /// Sessions not opened are made on first use with default_transport.
    void open_session(session_id s, transport_kind kind) {
        if (auto it = sessions_.find(s); it != sessions_.end()) {
            if (it->second.kind == kind) return;
            close_session(s);
        }
        (void)make_session(s, kind);
    }
    /// Forgets a transport session: its templates, domains and sequence
    /// state (e.g. a closed TCP connection, RFC 7011 10.4.2). Costs what the
    /// session holds.
    void close_session(session_id s) {
        auto it = sessions_.find(s);
        if (it == sessions_.end()) return;
        ++stats_.sessions_closed;
        drop_session(it->second, nullptr);
    }
    /// The same as close_session (the earlier name).
    void end_session(session_id s) { close_session(s); }
    /// Called with the id of each session the cache frees by itself (a cap
    /// evicted it, or a datagram session expired), so that the caller can
    /// forget what it keeps per session. Not called for close_session().
    /// A freed id used again starts a new session of default_transport: a
    /// caller that keeps using an evicted stream session should open it again
    /// (or give it a new id).
    void on_session_end(std::function<void(session_id)> fn) { on_end_ = std::move(fn); }
    [[nodiscard]] bool has_session(session_id s) const { return sessions_.contains(s); }

    /// Learns the templates of one template or options template set. An
    /// invalid record is counted and skipped; the first one's error is
    /// returned (after the other records were learnt).
    result<void> learn(session_id s, std::uint32_t odid, const set_view& set, std::uint32_t now,
                       message_summary* sum = nullptr) {
        advance(now);
        session& ses = use_session(s);
        message_summary local;
        return learn_set(ses, use_domain(ses, odid), set, sum ? *sum : local);
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
    /// of the same message (RFC 7011 8). `now` (seconds, any epoch) dates
    /// template refreshes for expiry; a clock that goes back counts as still.
    ///
    /// With compile-time templates Ts (dispatch.hpp), a set whose template has
    /// the fields of one of them is read as that T: on_record then gets a
    /// record_view<T> (read with get<I>, at constant offsets) instead of a
    /// dynamic_record. Which T, if any, is worked out once per learnt template.
    template <compile_time_template... Ts, class OnRecord>
    message_summary process(session_id s, const message_view& m, std::uint32_t now, OnRecord&& on_record) {
        return process_in<false, Ts...>(s, m, now, on_record);
    }

    /// Reads a whole message as process() does, but hands the records of a
    /// template that the byte shuffles read (decode_plan::shuffled: SSSE3,
    /// fixed-length unsigned fields of at most 8 octets, records of 16 or
    /// more) decoded at once: on(value_rows) for up to row_buffer_slots
    /// values at a time. Records of other templates, or on other CPUs, come
    /// as on(dynamic_record).
    template <class On>
    message_summary process_rows(session_id s, const message_view& m, std::uint32_t now, On&& on) {
        return process_in<true>(s, m, now, on);
    }
    /// Values value_rows holds at most (on the stack of process_rows).
    static constexpr std::size_t row_buffer_slots = 512;

private:
    template <bool Rows, compile_time_template... Ts, class OnRecord>
    message_summary process_in(session_id s, const message_view& m, std::uint32_t now, OnRecord& on_record) {
        message_summary sum;
        advance(now);
        ++stats_.messages;
        session& ses = use_session(s);
        domain& dom = use_domain(ses, m.observation_domain());
        if (dom.sequence_known && dom.next_sequence != m.sequence()) {
            sum.sequence_gap = true;
            sum.expected_sequence = dom.next_sequence;
            ++stats_.sequence_gaps;
        }
        std::uint32_t records = 0;
        for (const set_view set : m.sets()) {
            if (set.is_template_set() || set.is_options_template_set()) {
                if (auto r = learn_set(ses, dom, set, sum); !r) note(sum, r.error());
                continue;
            }
            auto e = memo_.e && memo_.e->dom == &dom && memo_.e->id == set.id() && !memo_.e->withdrawn
                         ? result<entry*>{memo_.e}
                         : lookup(ses.id, dom.odid, set.id(), &dom);
            if (!e) {
                ++sum.skipped_sets;
                note(sum, error{e.code(), set.offset()});
                continue;
            }
            entry& en = **e;
            memo_.e = &en;
            ses.lru.touch(en);
            if constexpr (sizeof...(Ts) > 0) {
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
            auto d = dynamic_data_set::parse(en.t, set);
            if (!d) {
                ++sum.skipped_sets;
                note(sum, d.error());
                continue;
            }
            if constexpr (Rows) {
                const decode_plan& plan = en.t.plan();
                if (plan.shuffled() && plan.row_slots() <= row_buffer_slots) {
                    alignas(16) std::uint64_t buf[row_buffer_slots];
                    const std::size_t size = en.t.min_record_size();
                    const std::size_t per = row_buffer_slots / plan.row_slots();
                    const std::byte* p = set.body().data();
                    for (std::size_t left = d->size(); left != 0;) {
                        const std::size_t k = std::min(per, left);
                        plan.decode_rows(p, size, k, buf);
                        on_record(value_rows{&en.t, buf, k});
                        p += k * size;
                        left -= k;
                    }
                    records += static_cast<std::uint32_t>(d->size());
                    continue;
                }
            }
            for (const dynamic_record rec : *d) on_record(rec);
            records += static_cast<std::uint32_t>(d->size());
        }
        sum.records = records;
        stats_.records += records;
        stats_.skipped_sets += sum.skipped_sets;
        dom.sequence_known = true;
        dom.next_sequence = m.sequence() + records;  // RFC 7011 3.1: modulo 2^32
        return sum;
    }

public:
    /// Withdraws one template, or all (id 2 / 3) data or options templates of
    /// a session and domain (RFC 7011 8.1). Ignored, and counted, on a
    /// datagram session. Costs what it withdraws.
    void withdraw(session_id s, std::uint32_t odid, std::uint16_t id, bool options) {
        session& ses = use_session(s);
        message_summary sum;
        withdraw_in(ses, use_domain(ses, odid), id, options, sum);
    }

    /// Drops the templates of datagram sessions not refreshed within the
    /// lifetime (RFC 7011 8.4), then datagram sessions left without templates
    /// or idle that long. Returns the templates dropped; costs O(dropped).
    std::size_t expire(std::uint32_t now) {
        advance(now);
        if (opt_.template_lifetime == 0) return 0;
        std::size_t n = 0;
        while (entry* e = expiry_.front()) {
            if (clock_ - e->refreshed < opt_.template_lifetime) break;
            session& ses = *e->dom->ses;
            drop_entry(*e);
            ++n;
            if (ses.templates == 0) {
                ++stats_.sessions_expired;
                drop_session(ses, &on_end_);
            }
        }
        while (session* ses = idle_.front()) {
            if (clock_ - ses->active < opt_.template_lifetime) break;
            n += ses->templates;
            ++stats_.sessions_expired;
            drop_session(*ses, &on_end_);
        }
        stats_.templates_expired += n;
        return n;
    }

    /// Template ids held (withdrawn ones remembered included).
    [[nodiscard]] std::size_t size() const noexcept { return entries_.size(); }
    [[nodiscard]] std::uint64_t sequence_gaps() const noexcept { return stats_.sequence_gaps; }
    [[nodiscard]] cache_statistics statistics() const noexcept {
        cache_statistics s = stats_;
        s.sessions = sessions_.size();
        s.domains = domains_.size();
        s.templates = entries_.size();
        s.bytes = bytes_;
        return s;
    }
    [[nodiscard]] const cache_options& options() const noexcept { return opt_; }
    [[nodiscard]] const ie_registry& registry() const noexcept { return reg_; }

private:
    struct session;
    struct domain;
    struct entry {
        dynamic_template t;
        // A cache: match_template<Ts...>(t), for the Ts of process<Ts...>
        // whose tag_of is match_tag.
        const void* match_tag = nullptr;
        std::size_t match = 0;
        domain* dom = nullptr;
        std::size_t bytes = 0;
        std::uint32_t refreshed = 0;
        std::uint16_t id = 0;
        bool options = false;
        bool withdrawn = false;
        detail::link<entry> in_domain{};  // the domain's templates of this kind
        detail::link<entry> in_lru{};     // the session's templates, least recently used first
        detail::link<entry> in_expiry{};  // datagram templates, least recently refreshed first
    };
    using entry_list_domain = detail::intrusive_list<entry, &entry::in_domain>;
    using entry_list_lru = detail::intrusive_list<entry, &entry::in_lru>;
    using entry_list_expiry = detail::intrusive_list<entry, &entry::in_expiry>;

    struct domain {
        session* ses = nullptr;
        std::uint32_t odid = 0;
        std::uint32_t next_sequence = 0;
        bool sequence_known = false;
        bool all_withdrawn = false;  // a withdraw-all was seen: unknown ids answer template_withdrawn
        entry_list_domain templates[2]{};  // data, options
        detail::link<domain> in_session{};  // the session's domains, least recently used first
    };
    using domain_list = detail::intrusive_list<domain, &domain::in_session>;

    struct session {
        session_id id = 0;
        transport_kind kind = transport_kind::stream;
        std::uint32_t active = 0;  // the clock when last used
        std::size_t templates = 0;
        std::size_t bytes = 0;
        domain_list domains{};
        entry_list_lru lru{};
        detail::link<session> in_lru{};   // all sessions, least recently used first
        detail::link<session> in_idle{};  // datagram sessions, least recently used first
    };
    using session_lru = detail::intrusive_list<session, &session::in_lru>;
    using session_idle = detail::intrusive_list<session, &session::in_idle>;

    struct entry_key {
        session_id session;
        std::uint32_t odid;
        std::uint16_t id;
        friend bool operator==(const entry_key&, const entry_key&) = default;
    };
    struct domain_key {
        session_id session;
        std::uint32_t odid;
        friend bool operator==(const domain_key&, const domain_key&) = default;
    };
    // Domain and template ids come from the wire: mixed, so that chosen ids
    // cannot pile into one bucket of the identity hash.
    static std::size_t mix(std::uint64_t x) noexcept {
        x ^= x >> 30;
        x *= 0xbf58476d1ce4e5b9ULL;
        x ^= x >> 27;
        x *= 0x94d049bb133111ebULL;
        x ^= x >> 31;
        return static_cast<std::size_t>(x);
    }
    struct key_hash {
        std::size_t operator()(const entry_key& k) const noexcept {
            return mix(k.session * 0x9e3779b97f4a7c15ULL ^ (std::uint64_t{k.odid} << 16 | k.id));
        }
        std::size_t operator()(const domain_key& k) const noexcept {
            return mix(k.session * 0x9e3779b97f4a7c15ULL ^ k.odid);
        }
        std::size_t operator()(session_id s) const noexcept { return mix(s); }
    };
    // What a hash node costs besides its value: next pointer, cached hash,
    // allocator header, and about one bucket.
    static constexpr std::size_t node_overhead = 4 * sizeof(void*);
    static constexpr std::size_t heap_block = 2 * sizeof(void*);  // allocator header per block
    static constexpr std::size_t session_bytes = sizeof(std::pair<const session_id, session>) + node_overhead;
    static constexpr std::size_t domain_bytes = sizeof(std::pair<const domain_key, domain>) + node_overhead;
    static std::size_t entry_bytes(const dynamic_template& t) noexcept {
        // the fields (decode_plan's one vector): one heap block when present
        const std::size_t blocks = t.fields().empty() ? 0 : 1;
        return sizeof(std::pair<const entry_key, entry>) + node_overhead + t.heap_bytes() + blocks * heap_block;
    }

    template <class... Ts>
    static constexpr char tag_of = 0;  // one address per list of templates

    void advance(std::uint32_t now) noexcept { clock_ = std::max(clock_, now); }

    void charge(session& ses, std::ptrdiff_t delta) noexcept {
        ses.bytes = static_cast<std::size_t>(static_cast<std::ptrdiff_t>(ses.bytes) + delta);
        bytes_ = static_cast<std::size_t>(static_cast<std::ptrdiff_t>(bytes_) + delta);
    }

    session& make_session(session_id s, transport_kind kind) {
        while (sessions_.size() >= std::max<std::size_t>(opt_.limits.sessions, 1) && lru_.front()) {
            ++stats_.sessions_evicted;
            evict_session(*lru_.front());
        }
        session& ses = sessions_.try_emplace(s).first->second;
        ses.id = s;
        ses.kind = kind;
        ses.active = clock_;
        lru_.push_back(ses);
        if (kind == transport_kind::datagram) idle_.push_back(ses);
        charge(ses, static_cast<std::ptrdiff_t>(session_bytes));
        fit_total(ses, nullptr);
        return ses;
    }
    session& use_session(session_id s) {
        session* found = memo_.s && memo_.s->id == s ? memo_.s : nullptr;
        if (!found) {
            auto it = sessions_.find(s);
            found = it != sessions_.end() ? &it->second : &make_session(s, opt_.default_transport);
            memo_.s = found;
        }
        session& ses = *found;
        ses.active = clock_;
        lru_.touch(ses);
        if (ses.kind == transport_kind::datagram) idle_.touch(ses);
        return ses;
    }
    domain& use_domain(session& ses, std::uint32_t odid) {
        if (memo_.d && memo_.d->ses == &ses && memo_.d->odid == odid) {
            ses.domains.touch(*memo_.d);
            return *memo_.d;
        }
        auto it = domains_.find(domain_key{ses.id, odid});
        if (it != domains_.end()) {
            ses.domains.touch(it->second);
            memo_.d = &it->second;
            return it->second;
        }
        while (ses.domains.size() >= std::max<std::size_t>(opt_.limits.domains_per_session, 1)) {
            ++stats_.domains_evicted;
            drop_domain(*ses.domains.front(), true);
        }
        domain& d = domains_.try_emplace(domain_key{ses.id, odid}).first->second;
        d.ses = &ses;
        d.odid = odid;
        ses.domains.push_back(d);
        charge(ses, static_cast<std::ptrdiff_t>(domain_bytes));
        fit_total(ses, nullptr);
        memo_.d = &d;
        return d;
    }

    void drop_entry(entry& e, bool evicted = false) {
        session& ses = *e.dom->ses;
        e.dom->templates[e.options].erase(e);
        ses.lru.erase(e);
        expiry_.erase(e);
        --ses.templates;
        if (evicted) ++stats_.templates_evicted;
        if (memo_.e == &e) memo_.e = nullptr;
        charge(ses, -static_cast<std::ptrdiff_t>(e.bytes));
        entries_.erase(entry_key{ses.id, e.dom->odid, e.id});
    }
    void drop_domain(domain& d, bool evicted) {
        for (auto& list : d.templates)
            while (entry* e = list.front()) drop_entry(*e, evicted);
        session& ses = *d.ses;
        if (memo_.d == &d) memo_.d = nullptr;
        ses.domains.erase(d);
        charge(ses, -static_cast<std::ptrdiff_t>(domain_bytes));
        domains_.erase(domain_key{ses.id, d.odid});
    }
    // Frees a session; tells on_end (when given and set) its id.
    void drop_session(session& ses, const std::function<void(session_id)>* on_end, bool evicted = false) {
        while (domain* d = ses.domains.front()) drop_domain(*d, evicted);
        if (memo_.s == &ses) memo_.s = nullptr;
        lru_.erase(ses);
        idle_.erase(ses);
        charge(ses, -static_cast<std::ptrdiff_t>(session_bytes));
        const session_id id = ses.id;
        sessions_.erase(id);
        if (on_end && *on_end) (*on_end)(id);
    }
    void evict_session(session& ses) { drop_session(ses, &on_end_, true); }

    // Keeps the session within its caps, then the cache within its total,
    // evicting least recently used templates of this session first, then
    // other sessions. `keep` (the template just learnt) and the session
    // itself stay.
    void fit(session& ses, const entry* keep) {
        while (ses.templates > opt_.limits.templates_per_session || ses.bytes > opt_.limits.session_bytes) {
            entry* v = ses.lru.front();
            if (!v || v == keep) break;
            drop_entry(*v, true);
        }
        fit_total(ses, keep);
    }
    void fit_total(session& ses, const entry* keep) {
        while (bytes_ > opt_.limits.total_bytes) {
            if (session* v = lru_.front(); v && v != &ses) {
                ++stats_.sessions_evicted;
                evict_session(*v);
                continue;
            }
            entry* v = ses.lru.front();
            if (!v || v == keep) break;
            drop_entry(*v, true);
        }
    }

    result<void> learn_set(session& ses, domain& dom, const set_view& set, message_summary& sum) {
        auto ts = parse_template_set(set);
        if (!ts) {
            ++sum.invalid_templates;
            ++stats_.invalid_templates;
            return ts.error();
        }
        error first{};
        for (const template_record_view r : *ts) {
            if (r.is_withdrawal()) {
                withdraw_in(ses, dom, r.id(), r.is_options(), sum);
                continue;
            }
            auto t = dynamic_template::from_record(r, reg_);
            if (!t) {
                ++sum.invalid_templates;
                ++stats_.invalid_templates;
                if (first.code == errc::ok) first = t.error();
                continue;
            }
            define(ses, dom, std::move(*t), sum);
        }
        if (first.code != errc::ok) return first;
        return {};
    }

    void define(session& ses, domain& dom, dynamic_template&& t, message_summary& sum) {
        const std::uint16_t id = t.id();
        auto [it, fresh] = entries_.try_emplace(entry_key{ses.id, dom.odid, id});
        entry& e = it->second;
        if (fresh) {
            e.dom = &dom;
            e.id = id;
            ++ses.templates;
        } else {
            if (!e.withdrawn && !same_fields(e.t, t)) {
                ++sum.redefinitions;
                ++stats_.redefinitions;
            }
            dom.templates[e.options].erase(e);
            charge(ses, -static_cast<std::ptrdiff_t>(e.bytes));
        }
        e.t = std::move(t);
        e.options = e.t.is_options();
        e.withdrawn = false;
        e.match_tag = nullptr;
        e.refreshed = clock_;
        e.bytes = entry_bytes(e.t);
        charge(ses, static_cast<std::ptrdiff_t>(e.bytes));
        dom.templates[e.options].push_back(e);
        ses.lru.touch(e);
        if (ses.kind == transport_kind::datagram) expiry_.touch(e);
        ++sum.templates;
        ++stats_.templates_learnt;
        fit(ses, &e);
    }

    void withdraw_in(session& ses, domain& dom, std::uint16_t id, bool options, message_summary& sum) {
        if (ses.kind == transport_kind::datagram) {
            ++sum.withdrawals_ignored;
            ++stats_.withdrawals_ignored;
            return;
        }
        ++sum.withdrawals;
        ++stats_.withdrawals;
        if (id == template_set_id || id == options_template_set_id) {
            while (entry* e = dom.templates[options].front()) drop_entry(*e);
            dom.all_withdrawn = true;
            return;
        }
        auto it = entries_.find(entry_key{ses.id, dom.odid, id});
        if (it == entries_.end()) return;
        // Remember the id as withdrawn; free its fields.
        entry& e = it->second;
        charge(ses, -static_cast<std::ptrdiff_t>(e.bytes));
        e.t = dynamic_template{};
        e.withdrawn = true;
        e.match_tag = nullptr;
        e.bytes = entry_bytes(e.t);
        charge(ses, static_cast<std::ptrdiff_t>(e.bytes));
    }

    [[nodiscard]] result<entry*> lookup(session_id s, std::uint32_t odid, std::uint16_t id, const domain* dom) {
        auto it = entries_.find(entry_key{s, odid, id});
        if (it == entries_.end()) {
            if (!dom) {
                auto d = domains_.find(domain_key{s, odid});
                dom = d == domains_.end() ? nullptr : &d->second;
            }
            return error{dom && dom->all_withdrawn ? errc::template_withdrawn : errc::unknown_template, 0};
        }
        if (it->second.withdrawn) return error{errc::template_withdrawn, 0};
        return &it->second;
    }
    [[nodiscard]] result<const entry*> find_entry(session_id s, std::uint32_t odid, std::uint16_t id) const {
        auto r = const_cast<template_cache*>(this)->lookup(s, odid, id, nullptr);  // lookup changes nothing
        if (!r) return r.error();
        return *r;
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
    std::unordered_map<session_id, session, key_hash> sessions_;
    std::unordered_map<domain_key, domain, key_hash> domains_;
    std::unordered_map<entry_key, entry, key_hash> entries_;
    session_lru lru_;
    session_idle idle_;
    entry_list_expiry expiry_;
    std::function<void(session_id)> on_end_;
    // The last session, domain and template used: a message's sets mostly
    // name the template of the set before. Cleared when what they point at
    // is dropped, and in a moved-from cache.
    struct memo {
        session* s = nullptr;
        domain* d = nullptr;
        entry* e = nullptr;
        memo() = default;
        memo(const memo&) = delete;
        memo& operator=(const memo&) = delete;
        memo(memo&& o) noexcept : s(std::exchange(o.s, nullptr)), d(std::exchange(o.d, nullptr)), e(std::exchange(o.e, nullptr)) {}
        memo& operator=(memo&& o) noexcept {
            s = std::exchange(o.s, nullptr);
            d = std::exchange(o.d, nullptr);
            e = std::exchange(o.e, nullptr);
            return *this;
        }
        ~memo() = default;
    } memo_;
    cache_statistics stats_;
    std::size_t bytes_ = 0;
    std::uint32_t clock_ = 0;
};

}  // namespace ioam::ipfix
