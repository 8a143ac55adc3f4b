// The collector's analysis module (issue 14): decoded IOAM records into the
// correlator (include/ioam/analysis/), and its outputs: JSON lines per
// packet and per interval, Prometheus metrics (--metrics), RFC 9951
// path-delay records to an upstream IPFIX collector (--upstream). main.cpp
// hands it its options, one call per decoded record, one per tick and one
// at exit; everything else lives here.
#pragma once

#include "ioam/analysis/correlator.hpp"
#include "ioam/analysis/hop.hpp"
#include "ioam/analysis/rfc9951.hpp"
#include "ioam/export/decode.hpp"

#include <getopt.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

namespace ioam_collector {

struct analysis_settings {
    std::string out;             ///< --correlate FILE: JSON lines ('-': stdout); empty: module off
    bool packet_lines = true;    ///< --no-packet-lines: intervals only
    unsigned interval = 10;      ///< --interval SEC
    ioam::analysis::correlator_options correlator;
    ioam::analysis::timestamp_format timestamps = ioam::analysis::timestamp_format::posix_us;
    std::string metrics;         ///< --metrics ADDR:PORT
    std::size_t max_series = 256;  ///< --metrics-max-series: hop label sets at most
    std::string upstream;        ///< --upstream ADDR:PORT: RFC 9951 records over UDP
    ioam::analysis::rfc9951_ids ids;
    std::uint32_t upstream_domain = 1;
    [[nodiscard]] bool enabled() const { return !out.empty() || !metrics.empty() || !upstream.empty(); }
};

/// The module's long options, to append to the program's.
void add_options(std::vector<option>& opts);
/// Handles one of them; false when `code` is not ours. `ok` turns false on a bad value.
bool parse_option(analysis_settings& s, int code, const char* arg, bool& ok);
/// Its lines of --help.
extern const char* const usage_text;

class analysis {
public:
    explicit analysis(const analysis_settings& s);
    ~analysis();
    /// Opens the outputs; false (message on stderr) when one cannot be opened.
    bool start();
    /// One decoded PEN 10383 record of transport session `session`.
    void record(std::uint64_t session, const ioam::exporting::decoded_record& d);
    /// Now and then (closes packets whose wait is over, ends intervals, publishes metrics).
    void tick();
    /// At exit: closes every packet, ends the interval, prints statistics to stderr.
    void finish();
    /// The text --metrics serves (for the benchmark).
    [[nodiscard]] std::string metrics_text() const;

private:
    struct impl;
    std::unique_ptr<impl> p_;
};

}  // namespace ioam_collector
