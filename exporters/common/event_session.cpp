#include "event_session.hpp"

#include "ioam/export/layouts.hpp"

#include <type_traits>

namespace ioam_tools {

namespace {

namespace xp = ioam::exporting;

template <xp::record_layout L>
class session_of final : public event_session {
public:
    session_of(xp::sink_ref sink, const xp::session_options& opt, const xp::event_options& events)
        : s_(sink, opt, make_layout(events)) {}
    ioam::result<void> add(const input& ev, std::uint64_t observed_ns) override { return s_.add(ev, observed_ns); }
    void tick(xp::session_clock now) override { s_.tick(now); }
    void flush() override { s_.flush(); }
    void refresh_templates() override { s_.refresh_templates(); }
    std::uint32_t restart() override { return s_.restart(); }
    ioam::result<void> add_stats(const xp::exporter_stats& v) override { return s_.add_stats(v); }
    [[nodiscard]] std::uint64_t next_deadline() const override { return s_.next_deadline(); }
    [[nodiscard]] bool pending() const override { return s_.pending(); }
    [[nodiscard]] const xp::session_counters& counters() const override { return s_.counters(); }
    [[nodiscard]] const xp::event_counts& counts() const override { return s_.layout().counts; }

private:
    static L make_layout(const xp::event_options& events) {
        L l{};
        l.options = events;
        return l;
    }
    xp::session<L, xp::sink_ref> s_;
};

}  // namespace

std::unique_ptr<event_session> make_event_session(std::string_view layout, xp::sink_ref sink,
                                                  const xp::session_options& opt, const xp::event_options& events) {
    std::unique_ptr<event_session> s;
    xp::event_layouts::with(layout, [&]<class L>(std::type_identity<L>) {
        s = std::make_unique<session_of<L>>(sink, opt, events);
    });
    return s;
}

}  // namespace ioam_tools
