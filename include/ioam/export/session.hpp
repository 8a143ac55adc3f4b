// The export session: the one path from inputs (kernel events, flows, ...)
// to finished IPFIX messages (RFC 7011), for one transport session. Every
// program, test, fuzzer and benchmark drives this object, so what they check
// and measure is what runs.
//
//   input, receive time --add()--> layout.encode (layout.hpp) --> records
//     --> template table: an id per shape (first-seen order, or the layout's
//         own, names_template_ids); a template goes out before its
//         first record, again after refresh; an id reused for a new shape is
//         withdrawn first over streams and files (RFC 7011 8.1)
//     --> message_writer (ipfix/message.hpp): fills up to the capacity
//     --> sink.send(message, records) when full, after flush_ms, on flush()
//   clock --tick()--> flush timer; template refresh over datagrams (8.4)
//   statistics --add_stats()--> options record (stats.hpp), then flush
//
// No I/O and no allocation: the sink does the I/O; the message buffer and
// the template table are members (a session is large: give it static or
// heap storage). Layouts write records in place into the message.
#pragma once

#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "ioam/core/buffer.hpp"
#include "ioam/core/error.hpp"
#include "ioam/export/layout.hpp"
#include "ioam/export/stats.hpp"
#include "ioam/ipfix/message.hpp"

namespace ioam::exporting {

/// Where a session's messages go. send() takes one whole message and the
/// number of data records in it; it returns false when the message was not
/// delivered (counted). transport() decides template handling: datagram
/// (udp) refreshes templates on a timer and never withdraws; stream (tcp,
/// sctp) and file withdraw an id before reusing it.
template <class S>
concept message_sink = requires(S& s, const S& cs, bytes_view message, std::uint32_t records) {
    { s.send(message, records) } -> std::convertible_to<bool>;
    { cs.transport() } -> std::same_as<ipfix::transport>;
};

/// Any message_sink behind one type (a function pointer and the sink), so
/// that a program with several kinds of output instantiates one session per
/// layout, not one per layout and output. Borrows the sink.
class sink_ref {
public:
    template <message_sink S>
        requires(!std::is_same_v<std::remove_cv_t<S>, sink_ref>)  // copies are copies, not references to a copy
    constexpr explicit sink_ref(S& s) noexcept
        : sink_(&s), send_([](void* p, bytes_view m, std::uint32_t n) { return static_cast<bool>(static_cast<S*>(p)->send(m, n)); }),
          over_(s.transport()) {}
    bool send(bytes_view m, std::uint32_t records) { return send_(sink_, m, records); }
    [[nodiscard]] constexpr ipfix::transport transport() const noexcept { return over_; }

private:
    void* sink_;
    bool (*send_)(void*, bytes_view, std::uint32_t);
    ipfix::transport over_;
};

struct session_options {
    std::size_t capacity = 1472;              ///< largest message (path MTU less IP and UDP)
    std::uint32_t observation_domain = 1;
    std::uint8_t set_alignment = 0;           ///< pad sets to this many octets (0: none)
    /// Template ids are this one and up; a first id below 256 (reserved,
    /// RFC 7011 3.4.1) counts as 256, ids past 65535 go on at 256, and the
    /// statistics templates' 4000 and 4001 (stats.hpp) are skipped.
    std::uint16_t first_template_id = 256;
    std::uint64_t flush_ms = 50;              ///< a partly filled message waits at most this long (tick)
    std::uint64_t refresh_ms = 600000;        ///< datagram transports: templates again this often (0: never)
};

/// What a session did. Layout-specific counts live in the layout.
struct session_counters {
    std::uint64_t inputs = 0;          ///< inputs accepted (encoded)
    std::uint64_t malformed = 0;       ///< inputs the layout rejected: skipped
    std::uint64_t records = 0;         ///< data records written
    std::uint64_t too_big = 0;         ///< records larger than an empty message: dropped
    std::uint64_t templates = 0;       ///< template records written (refreshes included)
    std::uint64_t evictions = 0;       ///< template ids reused for a new shape (table full)
    std::uint64_t withdrawals = 0;     ///< of those, withdrawn first (not over UDP)
    std::uint64_t messages = 0;        ///< messages the sink took
    std::uint64_t octets = 0;
    std::uint64_t messages_not_sent = 0;  ///< messages the sink failed to deliver
    std::uint64_t octets_not_sent = 0;
    std::uint64_t records_not_sent = 0;   ///< data records in those
};

/// A session's view of time: a monotonic clock for timers and the wall
/// clock for messages' export time (RFC 7011 3.1).
struct session_clock {
    std::uint64_t monotonic_ms = 0;
    std::uint32_t unix_seconds = 0;
};

/// Template ids for shapes: first-seen order, least recently used slot reused
/// when full. Tracks which templates went out since the last refresh.
template <class Shape, std::size_t Capacity>
class template_table {
    static constexpr std::size_t ids = 65536 - 256 - 2;  // 256-65535 (RFC 7011 3.4.1) but 4000 and 4001
    static_assert(Capacity >= 1 && Capacity <= ids,
                  "ioam: a template table holds 1 to 65278 templates (ids 256-65535, RFC 7011 3.4.1, "
                  "less the statistics templates' 4000 and 4001)");

public:
    struct entry {
        Shape shape{};
        std::uint16_t id = 0;
        std::uint16_t min_record_size = 0;
        std::uint64_t last_used = 0;
        std::uint64_t sent_epoch = 0;
        bool used = false;
    };
    enum class found : std::uint8_t { known, added, evicted };

    /// Ids first_id, first_id + 1, ..., kept within 256-65535 (see
    /// session_options::first_template_id): an id that wrapped below 256
    /// would make every record of its shape unsendable. 4000 and 4001 are
    /// skipped: the session's statistics record (add_stats) uses them, and a
    /// data template under the same id would replace it at the collector.
    constexpr explicit template_table(std::uint16_t first_id = 256) noexcept {
        std::uint16_t id = first_id < 256 ? 256 : first_id;
        const auto next = [](std::uint16_t i) { return static_cast<std::uint16_t>(i == 65535 ? 256 : i + 1); };
        for (auto& slot : slots_) {
            while (is_stats_template_id(id)) id = next(id);
            slot.id = id;
            id = next(id);
        }
    }

    /// The entry of a shape, added (or reusing the least recently used slot)
    /// when new. `withdraw` is set when the reused slot's old template went
    /// out since the last refresh() (a stream collector holds it).
    constexpr entry& lookup(const Shape& s, found& how, bool& withdraw) noexcept {
        how = found::known;
        withdraw = false;
        ++tick_;
        if (slots_[mru_].used && slots_[mru_].shape == s) return touch(slots_[mru_]);
        std::size_t victim = 0;
        for (std::size_t i = 0; i < Capacity; ++i) {
            entry& e = slots_[i];
            if (e.used && e.shape == s) {
                mru_ = i;
                return touch(e);
            }
            if (!e.used) {
                if (slots_[victim].used) victim = i;
            } else if (slots_[victim].used && e.last_used < slots_[victim].last_used) {
                victim = i;
            }
        }
        entry& e = slots_[victim];
        how = e.used ? found::evicted : found::added;
        withdraw = e.used && sent(e);
        e.shape = s;
        e.used = true;
        e.sent_epoch = 0;
        mru_ = victim;
        return touch(e);
    }
    [[nodiscard]] constexpr bool sent(const entry& e) const noexcept { return e.sent_epoch == epoch_; }
    constexpr void mark_sent(entry& e) noexcept { e.sent_epoch = epoch_; }
    /// Every template must go out again (refresh timer, new collector).
    constexpr void refresh() noexcept { ++epoch_; }
    template <class F>
    constexpr void for_each(F&& f) noexcept {
        for (entry& e : slots_)
            if (e.used) f(e);
    }
    [[nodiscard]] constexpr std::size_t size() const noexcept {
        std::size_t n = 0;
        for (const entry& e : slots_) n += e.used ? 1 : 0;
        return n;
    }

private:
    constexpr entry& touch(entry& e) noexcept {
        e.last_used = tick_;
        return e;
    }
    std::array<entry, Capacity> slots_{};
    std::size_t mru_ = 0;
    std::uint64_t tick_ = 0;
    std::uint64_t epoch_ = 1;
};

/// One transport session's exporter (see the top of this file). The sink
/// is held by reference and must outlive the session (a sink_ref is held by
/// value).
template <record_layout L, message_sink S, std::size_t Capacity = 256>
class session {
public:
    using layout_type = L;
    using input = typename L::input;
    using shape = typename L::shape;

    using sink_holder = std::conditional_t<std::is_same_v<S, sink_ref>, sink_ref, S&>;

    constexpr session(sink_holder sink, session_options opt = {}, L layout = {}) noexcept
        : sink_(sink), opt_(opt), layout_(layout), table_(opt.first_template_id),
          writer_(msg_, opt.observation_domain, 0,
                  ipfix::writer_options{opt.capacity, sink.transport(), opt.set_alignment, {}}) {}
    session(const session&) = delete;
    session& operator=(const session&) = delete;

    [[nodiscard]] constexpr const session_counters& counters() const noexcept { return c_; }
    [[nodiscard]] constexpr const session_options& options() const noexcept { return opt_; }
    [[nodiscard]] constexpr L& layout() noexcept { return layout_; }
    [[nodiscard]] constexpr const L& layout() const noexcept { return layout_; }
    [[nodiscard]] constexpr std::size_t templates_known() const noexcept { return table_.size(); }
    /// The message being filled (for tests: its sequence, its records).
    [[nodiscard]] constexpr const ipfix::message_writer& writer() const noexcept { return writer_; }
    /// A partly filled message is waiting for flush().
    [[nodiscard]] constexpr bool pending() const noexcept { return !writer_.empty(); }

    /// Encodes one input observed at `observed_ns` (UNIX nanoseconds).
    /// Errors: the layout rejected the input (counted as malformed, nothing
    /// written), or one of its records cannot fit an empty message (counted
    /// as too_big; the input's other records are written).
    constexpr result<void> add(const input& in, std::uint64_t observed_ns = 0) noexcept {
        out o{*this};
        if (auto r = layout_.encode(in, input_context{next_input_id_, observed_ns}, o); !r) {
            ++c_.malformed;
            return r;
        }
        ++next_input_id_;
        ++c_.inputs;
        if (!pending_ && !writer_.empty()) {
            pending_ = true;
            pending_since_ = now_.monotonic_ms;
        }
        return o.first_error;
    }

    /// The clock moved: sends a message that waited flush_ms, and over
    /// datagrams re-sends the templates every refresh_ms (RFC 7011 8.4).
    constexpr void tick(session_clock now) noexcept {
        if (!started_) {
            started_ = true;
            next_refresh_ = now.monotonic_ms + opt_.refresh_ms;
        }
        now_ = now;
        if (pending_ && now.monotonic_ms - pending_since_ >= opt_.flush_ms) flush();
        if (refreshes() && now.monotonic_ms >= next_refresh_) {
            next_refresh_ = now.monotonic_ms + opt_.refresh_ms;
            refresh_templates();
        }
    }
    /// When tick() next has something to do (monotonic ms; max when nothing).
    [[nodiscard]] constexpr std::uint64_t next_deadline() const noexcept {
        std::uint64_t t = std::numeric_limits<std::uint64_t>::max();
        if (pending_) t = pending_since_ + opt_.flush_ms;
        if (refreshes() && started_ && next_refresh_ < t) t = next_refresh_;
        return t;
    }

    /// Sends the partly filled message now.
    constexpr void flush() noexcept {
        pending_ = false;
        if (writer_.empty()) return;
        const std::uint32_t records = writer_.data_records();
        const bytes_view m = writer_.finish(now_.unix_seconds);
        if (sink_.send(m, records)) {
            ++c_.messages;
            c_.octets += m.size();
        } else {
            ++c_.messages_not_sent;
            c_.octets_not_sent += m.size();
            c_.records_not_sent += records;
        }
        writer_.reset();
    }

    /// Writes every known template (and the statistics template with the
    /// next statistics) again, then flushes.
    constexpr void refresh_templates() noexcept {
        table_.refresh();
        stats_templates_sent_ = 0;
        if (table_.size() == 0) return;
        table_.for_each([&](auto& e) { (void)send_template(e); });
        flush();
    }

    /// A new transport session (a new connection): sequence numbers from 0,
    /// every template before its next use. Returns the data records of the
    /// unfinished message, which is dropped (it belonged to the old session).
    constexpr std::uint32_t restart() noexcept {
        const std::uint32_t lost = writer_.data_records();
        writer_.reset(0);
        pending_ = false;
        table_.refresh();
        stats_templates_sent_ = 0;
        next_input_id_ = 1;
        return lost;
    }

    /// Adds the statistics options record (its template first when this
    /// session has not sent it since the last refresh) and flushes.
    constexpr result<void> add_stats(const exporter_stats& v) noexcept {
        auto r = add_stats_record(writer_, stats_templates_sent_, v, [this](ipfix::message_writer&) { flush(); });
        flush();
        return r;
    }

private:
    /// What the layout hands records to: one record, or n records of one
    /// shape (the template looked up once).
    struct out {
        session& s;
        result<void> first_error{};
        template <class Write>
        constexpr result<void> operator()(const shape& sh, Write&& write) noexcept {
            return each(sh, 1, [&](std::size_t, byte_writer& w) { return write(w); });
        }
        template <class Write>
        constexpr result<void> each(const shape& sh, std::size_t n, Write&& write) noexcept {
            auto r = s.put(sh, n, write);
            if (!r && first_error) first_error = r;
            return r;
        }
    };

    [[nodiscard]] constexpr bool refreshes() const noexcept {
        return opt_.refresh_ms > 0 && sink_.transport() == ipfix::transport::udp;
    }

    constexpr error fail_too_big(error e) noexcept {
        ++c_.too_big;
        return e;
    }

    /// Adds an item; when it does not fit, sends the message and tries once
    /// more in an empty one.
    template <class Add>
    constexpr result<void> with_room(Add&& add) noexcept {
        auto r = add();
        if (!r && !writer_.empty()) {
            flush();
            r = add();
        }
        return r;
    }

    template <class Entry>
    constexpr result<void> send_template(Entry& e) noexcept {
        std::array<std::byte, L::max_template_record_size> tb;
        byte_writer tw(tb);
        if (auto enc = L::encode_template(e.id, e.shape, tw); !enc) return enc;
        if (auto r = with_room([&] { return writer_.add_template_bytes(tw.written(), false); }); !r)
            return fail_too_big(r.error());
        table_.mark_sent(e);
        ++c_.templates;
        return {};
    }

    /// n records of shape `sh`, each written in place into the message by
    /// write(i, byte_writer&). Returns the first record's error.
    template <class Write>
    constexpr result<void> put(const shape& sh, std::size_t n, Write& write) noexcept {
        typename decltype(table_)::found how{};
        bool withdraw = false;
        auto& e = table_.lookup(sh, how, withdraw);
        if (how != decltype(table_)::found::known)
            e.min_record_size = static_cast<std::uint16_t>(L::min_record_size(sh));
        if (how == decltype(table_)::found::evicted) {
            ++c_.evictions;
            // Over TCP, SCTP and in files an id is withdrawn before it is
            // reused (RFC 7011 8.1), but only if this session defined it (a
            // withdrawal of an unknown template resets the session); a UDP
            // collector replaces it (8.4). The new definition goes in the
            // next message.
            if (withdraw && writer_.over() != ipfix::transport::udp) {
                if (auto r = with_room([&] { return writer_.withdraw(e.id, false); }); !r)
                    return fail_too_big(r.error());
                ++c_.withdrawals;
                flush();
            }
        }
        // A layout that names its ids: the shape's id, not the slot's (the
        // old id was withdrawn above).
        if constexpr (names_template_ids<L>)
            if (how != decltype(table_)::found::known) e.id = static_cast<std::uint16_t>(L::template_id(sh));
        if (!table_.sent(e))
            if (auto r = send_template(e); !r) return r;
        result<void> first{};
        for (std::size_t i = 0; i < n; ++i) {
            const auto put_one = [&](byte_writer& w) { return write(i, w); };
            if (auto r = with_room([&] { return writer_.add_record_with(e.id, e.min_record_size, put_one); }); !r) {
                if (first) first = fail_too_big(r.error());
                else (void)fail_too_big(r.error());
                continue;
            }
            ++c_.records;
        }
        return first;
    }

    /// A sink_ref by value (it is a reference), any other sink by reference.
    sink_holder sink_;
    session_options opt_;
    L layout_;
    template_table<shape, Capacity> table_;
    session_counters c_{};
    std::uint32_t next_input_id_ = 1;
    session_clock now_{};
    bool started_ = false;
    bool pending_ = false;
    std::uint8_t stats_templates_sent_ = 0;
    std::uint64_t pending_since_ = 0, next_refresh_ = 0;
    std::array<std::byte, ipfix::max_message_size> msg_;
    ipfix::message_writer writer_;
};

}  // namespace ioam::exporting
