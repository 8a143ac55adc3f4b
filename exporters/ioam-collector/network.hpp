// The collector's transports: UDP (one session per exporter address, LRU
// bounded), TCP and TLS (one session per connection, RFC 7011 10.4 and 11),
// with the limits that keep a hostile peer from costing more than its own
// traffic: connection cap, idle and stall timeouts, accept back-off.
#pragma once

#include "collector.hpp"

#include <csignal>
#include <functional>

namespace ioam_collector {

/// Serves until `stop` is set, --count records or --idle-exit; calls
/// `dump` whenever `dump_request` is set (SIGUSR1). Returns an exit status.
int serve(collector& c, const options& o, transport_stats& st, const volatile std::sig_atomic_t& stop,
          volatile std::sig_atomic_t& dump_request, const std::function<void()>& dump);

}  // namespace ioam_collector
