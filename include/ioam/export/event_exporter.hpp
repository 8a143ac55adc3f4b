// From decoded kernel events (ioam/netlink/event.hpp) to IPFIX messages
// (ioam/ipfix/message.hpp) in the PEN 10383 layout (records.hpp, the default)
// or the raw layout of draft-spiegel-ippm-ioam-rawexport-07 (rawexport.hpp): picks the
// template for each event's shape, puts the template in the message stream
// before its first record (and again after refresh()), and fills messages up
// to the writer's capacity, calling the caller's flush when one is full.
// Fixed capacity, no allocation, no I/O: the program owns the sockets.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "ioam/core/buffer.hpp"
#include "ioam/core/error.hpp"
#include "ioam/export/rawexport.hpp"
#include "ioam/export/records.hpp"
#include "ioam/ipfix/message.hpp"
#include "ioam/netlink/event.hpp"
#include "ioam/trace/node.hpp"
#include "ioam/trace/trace_type.hpp"

namespace ioam::exporting {

/// Which nodes of a trace become records.
enum class node_selection : std::uint8_t {
    /// Every node in the event's data (the default). Upstream Linux emits an
    /// event at every node that processes the option, so with one exporter
    /// per node the same hops arrive several times; but a node's event is the
    /// only place where the hops before it are seen when those nodes run no
    /// exporter, and the last hop's event holds the whole path in one place.
    all,
    /// Only node 0, the node that emitted the event (one record per event),
    /// for deployments with an exporter on every IOAM node.
    reporting_only,
};

struct exporter_options {
    node_selection nodes = node_selection::all;
    /// Template ids are this one and up; a first id below 256 (reserved,
    /// RFC 7011 3.4.1) counts as 256, and ids past 65535 go on at 256.
    std::uint16_t first_template_id = 256;
    /// Bits 12-21 (undefined) are laid out as 4-octet fields as the kernel
    /// fills them (RFC 9197 4.4.1), so a trace with them still decodes.
    trace::type_policy policy = trace::type_policy::lenient;
    /// pen10383: one record per node (or per event, see nodes); rawexport:
    /// one record per event holding the rebuilt option octets.
    record_format format = record_format::pen10383;
};

struct exporter_counters {
    std::uint64_t events = 0;          ///< events exported (trace and DEX)
    std::uint64_t trace_events = 0;
    std::uint64_t dex_events = 0;
    std::uint64_t empty_traces = 0;    ///< trace events without node data (overflow)
    std::uint64_t records = 0;         ///< data records written
    std::uint64_t templates = 0;       ///< template records written (refreshes included)
    std::uint64_t malformed = 0;       ///< events whose node data does not decode: skipped
    std::uint64_t too_big = 0;         ///< records larger than an empty message: dropped
    std::uint64_t evictions = 0;       ///< template ids reused for a new shape (table full)
    std::uint64_t withdrawals = 0;     ///< of those, withdrawn first (not over UDP)
};

/// Smallest record of a shape, whatever its format.
[[nodiscard]] constexpr std::size_t shape_min_record_size(const record_shape& s) noexcept {
    return s.format == record_format::rawexport ? rawexport::min_record_size(s) : min_record_size(s);
}

/// Template ids for record shapes: first-seen order, least recently used
/// slot reused when full. Tracks which templates went out since the last
/// refresh.
template <std::size_t Capacity>
class template_table {
    static_assert(Capacity >= 1 && Capacity <= 65535 - 256,
                  "ioam: a template table holds 1 to 65279 templates (ids 256-65535, RFC 7011 3.4.1)");

public:
    struct entry {
        record_shape shape{};
        std::uint16_t id = 0;
        std::uint16_t min_record_size = 0;
        std::uint64_t last_used = 0;
        std::uint64_t sent_epoch = 0;
        bool used = false;
    };

    /// Ids first_id, first_id + 1, ..., kept within 256-65535 (see
    /// exporter_options::first_template_id): an id that wrapped below 256
    /// would make every record of its shape unsendable.
    constexpr explicit template_table(std::uint16_t first_id = 256) noexcept {
        constexpr std::size_t ids = 65536 - 256;
        const std::size_t first = first_id < 256 ? 0 : first_id - 256U;
        for (std::size_t i = 0; i < Capacity; ++i) slots_[i].id = static_cast<std::uint16_t>(256 + (first + i) % ids);
    }

    /// The entry of a shape, added (or reusing the least recently used slot) when new.
    /// `withdraw` is set when the reused slot's old template went out since
    /// the last refresh() (a stream collector holds it).
    constexpr entry& lookup(const record_shape& s, bool& evicted, bool* withdraw = nullptr) noexcept {
        evicted = false;
        if (withdraw) *withdraw = false;
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
        evicted = e.used;
        if (withdraw) *withdraw = e.used && sent(e);
        e.shape = s;
        e.used = true;
        e.sent_epoch = 0;
        e.min_record_size = static_cast<std::uint16_t>(shape_min_record_size(s));
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

/// Largest record of any shape: context, DEX, values, a full snapshot.
inline constexpr std::size_t max_record_size = 16 + 8 + 96 + 3 + 3 + 255 * 4;

/// Turns events into records in a message_writer. `flush(writer)` must send
/// the writer's message (finish it) and reset the writer; it is called when
/// the next template or record does not fit.
template <std::size_t Capacity = 256>
class event_exporter {
public:
    constexpr explicit event_exporter(exporter_options opt = {}) noexcept : opt_(opt), table_(opt.first_template_id) {}

    [[nodiscard]] constexpr const exporter_counters& counters() const noexcept { return c_; }
    [[nodiscard]] constexpr const exporter_options& options() const noexcept { return opt_; }
    [[nodiscard]] constexpr std::size_t templates_known() const noexcept { return table_.size(); }

    /// Exports one event. Errors: the node data does not decode (counted as
    /// malformed, nothing written), or a record cannot fit an empty message
    /// (counted as too_big). The event id groups an event's records.
    template <class Flush>
    constexpr result<void> add(const netlink::event& ev, ipfix::message_writer& w, Flush&& flush) noexcept {
        auto nodes = validate(ev);
        if (!nodes) return nodes.error();
        if (opt_.format == record_format::rawexport) return add_raw(ev, *nodes, w, flush);
        const std::uint32_t event_id = next_event_id_;
        std::array<std::byte, max_record_size> buf{};
        if (ev.type == netlink::ioam6::event_type::dex) {
            const record_shape s = shape_of(ev.dex);
            record_context ctx{event_id, ev.dex.namespace_id, 0, 1, ev.dex.flow_id, ev.dex.seq_num};
            byte_writer rw(buf);
            if (auto r = encode_dex_record(s, ctx, ev.dex, rw); !r) return fail_too_big(r.error());
            count(ev, *nodes);
            return put(s, rw.written(), w, flush);
        }
        count(ev, *nodes);
        const record_shape s = shape_of(ev.trace, nodes->size());
        record_context ctx{event_id, ev.trace.namespace_id, 0, static_cast<std::uint8_t>(nodes->size()), {}, {}};
        if (nodes->empty()) {
            byte_writer rw(buf);
            if (auto r = encode_node_record(s, ctx, nullptr, rw); !r) return fail_too_big(r.error());
            return put(s, rw.written(), w, flush);
        }
        result<void> out{};
        const shape_fields fields{s};
        for (const trace::node_view n : *nodes) {
            byte_writer rw(buf);
            if (auto r = encode_node_record(s, fields, ctx, &n, rw); !r) {
                out = fail_too_big(r.error());
            } else if (auto p = put(s, rw.written(), w, flush); !p) {
                out = p;
            }
            if (opt_.nodes == node_selection::reporting_only) break;
            ++ctx.node_index;
        }
        return out;
    }

    /// Writes every known template again (RFC 7011 8.4 refresh over UDP).
    template <class Flush>
    constexpr void resend_templates(ipfix::message_writer& w, Flush&& flush) noexcept {
        table_.refresh();
        table_.for_each([&](auto& e) { (void)send_template(e, w, flush); });
    }
    /// Forget what was sent: templates go out again before their next record.
    constexpr void invalidate_templates() noexcept { table_.refresh(); }
    /// The time the next events were observed (UNIX nanoseconds): rawexport's
    /// observationTimeNanoseconds. The kernel's events carry no time.
    constexpr void set_observation_time(std::uint64_t unix_ns) noexcept { observation_time_ns_ = unix_ns; }

private:
    /// Checks what every format needs: a DEX event's trace type, a TRACE
    /// event's node data (returned; empty for DEX). Failures count as malformed.
    constexpr result<trace::node_list> validate(const netlink::event& ev) noexcept {
        if (ev.type == netlink::ioam6::event_type::dex) {
            if (auto r = trace::check_type(shape_of(ev.dex).type & ~trace::opaque_mask, opt_.policy); !r)
                return fail_malformed(r.error());
            return trace::node_list{};
        }
        if (ev.type != netlink::ioam6::event_type::trace) return fail_malformed(error{errc::bad_message, 0});
        auto nodes = ev.trace.nodes(opt_.policy);
        if (!nodes) return fail_malformed(nodes.error());
        // A real trace fits an IPv6 option (255 octets): a node count above
        // 255 cannot come from a packet.
        if (nodes->size() > 255) return fail_malformed(error{errc::value_out_of_range, ev.trace.data_offset});
        return nodes;
    }

    /// Counts an event that is being exported.
    constexpr void count(const netlink::event& ev, const trace::node_list& nodes) noexcept {
        ++next_event_id_;
        ++c_.events;
        if (ev.type == netlink::ioam6::event_type::dex) {
            ++c_.dex_events;
            return;
        }
        ++c_.trace_events;
        if (nodes.empty()) ++c_.empty_traces;
    }

    /// rawexport: one record per event, the option octets rebuilt from it.
    template <class Flush>
    constexpr result<void> add_raw(const netlink::event& ev, const trace::node_list& nodes, ipfix::message_writer& w,
                                   Flush& flush) noexcept {
        const rawexport::record_context ctx{observation_time_ns_, rawexport::report_flags_none,
                                            rawexport::encapsulation::ipv6};
        std::array<std::byte, rawexport::max_record_size> buf{};
        byte_writer rw(buf);
        const bool dex = ev.type == netlink::ioam6::event_type::dex;
        // Fails only when the node data is more than an IOAM option can hold.
        if (auto r = dex ? rawexport::encode_dex_record(ctx, ev.dex, rw) : rawexport::encode_trace_record(ctx, ev.trace, rw);
            !r)
            return fail_malformed(r.error());
        count(ev, nodes);
        return put(rawexport::shape_of(dex ? option_dex : option_preallocated_trace), rw.written(), w, flush);
    }

    constexpr error fail_malformed(error e) noexcept {
        ++c_.malformed;
        return e;
    }

    constexpr result<void> fail_too_big(error e) noexcept {
        ++c_.too_big;
        return e;
    }

    template <class Entry, class Flush>
    constexpr result<void> send_template(Entry& e, ipfix::message_writer& w, Flush& flush) noexcept {
        std::array<std::byte, max_template_record_size> tb{};
        static_assert(rawexport::max_template_record_size <= max_template_record_size,
                      "ioam: a rawexport template record must fit the template buffer");
        byte_writer tw(tb);
        const auto enc = e.shape.format == record_format::rawexport ? rawexport::encode_template_record(e.id, e.shape, tw)
                                                                    : encode_template_record(e.id, e.shape, tw);
        if (!enc) return enc;
        auto r = w.add_template_bytes(tw.written(), false);
        if (!r && !w.empty()) {
            flush(w);
            r = w.add_template_bytes(tw.written(), false);
        }
        if (!r) return fail_too_big(r.error());
        table_.mark_sent(e);
        ++c_.templates;
        return {};
    }

    template <class Flush>
    constexpr result<void> put(const record_shape& s, bytes_view rec, ipfix::message_writer& w, Flush& flush) noexcept {
        bool evicted = false, was_sent = false;
        auto& e = table_.lookup(s, evicted, &was_sent);
        if (evicted) {
            ++c_.evictions;
            // Over TCP, SCTP and in files an id is withdrawn before it is
            // reused (RFC 7011 8.1), but only if this stream defined it (a
            // withdrawal of an unknown template resets the session); a UDP
            // collector replaces it (8.4). The new definition goes in the
            // next message.
            if (was_sent && w.over() != ipfix::transport::udp) {
                auto r = w.withdraw(e.id, false);
                if (!r && !w.empty()) {
                    flush(w);
                    r = w.withdraw(e.id, false);
                }
                if (!r) return fail_too_big(r.error());
                ++c_.withdrawals;
                flush(w);
            }
        }
        if (!table_.sent(e))
            if (auto r = send_template(e, w, flush); !r) return r;
        auto r = w.add_record_bytes(e.id, rec, e.min_record_size);
        if (!r && !w.empty()) {
            flush(w);
            r = w.add_record_bytes(e.id, rec, e.min_record_size);
        }
        if (!r) return fail_too_big(r.error());
        ++c_.records;
        return {};
    }

    exporter_options opt_;
    template_table<Capacity> table_;
    exporter_counters c_{};
    std::uint32_t next_event_id_ = 1;
    std::uint64_t observation_time_ns_ = 0;
};

}  // namespace ioam::exporting
