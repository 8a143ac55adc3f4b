// Command-line values every program parses the same way: unsigned numbers
// and "ADDR:PORT" collector / listener addresses.
#pragma once

#include <sys/socket.h>

#include <string>

namespace ioam_tools {

/// A decimal number in 0..max ("-1", "", "12x" are refused).
bool parse_uint(const char* s, unsigned long long max, unsigned long long& out);

/// "addr:port", "[v6addr]:port" or "v6addr:port" (the last colon separates
/// the port); addr may be a name. On failure says why on stderr as
/// "PROGRAM: WHAT SPEC: reason".
bool resolve(const std::string& spec, const char* program, const char* what, sockaddr_storage& out, socklen_t& len);

/// Splits "host:port", "[v6addr]:port" or "v6addr:port" without resolving.
bool split_host_port(const std::string& spec, std::string& host, std::string& port);

}  // namespace ioam_tools
