// expect: illegal field length
#include "ioam/ipfix/iana.hpp"
#include "ioam/ipfix/template.hpp"
using namespace ioam::ipfix;
// RFC 7011 6.2: an ipv4Address cannot be reduced
using t = data_template<256, reduced<ie::sourceIPv4Address, 3>>;
constexpr auto n = t::field_count;
