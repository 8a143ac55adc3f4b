// An export session (ioam/export/session.hpp) of kernel events behind one
// interface, whatever its layout: programs pick the layout at run time
// (--format), and each layout's session code is instantiated once, here,
// not once per program part that holds a session.
#pragma once

#include "ioam/export/event_input.hpp"
#include "ioam/export/session.hpp"
#include "ioam/export/stats.hpp"
#include "ioam/netlink/event.hpp"

#include <cstdint>
#include <memory>
#include <string_view>

namespace ioam_tools {

class event_session {
public:
    using input = ioam::netlink::event;
    virtual ~event_session() = default;
    virtual ioam::result<void> add(const input& ev, std::uint64_t observed_ns) = 0;
    virtual void tick(ioam::exporting::session_clock now) = 0;
    virtual void flush() = 0;
    virtual void refresh_templates() = 0;
    virtual std::uint32_t restart() = 0;
    virtual ioam::result<void> add_stats(const ioam::exporting::exporter_stats& v) = 0;
    [[nodiscard]] virtual std::uint64_t next_deadline() const = 0;
    [[nodiscard]] virtual bool pending() const = 0;
    [[nodiscard]] virtual const ioam::exporting::session_counters& counters() const = 0;
    [[nodiscard]] virtual const ioam::exporting::event_counts& counts() const = 0;
};

/// A session of the layout named `layout` (ioam/export/layouts.hpp) into
/// `sink`; nullptr when no layout has that name.
std::unique_ptr<event_session> make_event_session(std::string_view layout, ioam::exporting::sink_ref sink,
                                                  const ioam::exporting::session_options& opt,
                                                  const ioam::exporting::event_options& events);

}  // namespace ioam_tools
