// expect: template ids must be 256 or above
#include "ioam/ipfix/iana.hpp"
#include "ioam/ipfix/template.hpp"
using t = ioam::ipfix::data_template<255, ioam::ipfix::ie::sourceTransportPort>;
constexpr auto n = t::field_count;
