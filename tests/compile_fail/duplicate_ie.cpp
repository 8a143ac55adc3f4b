// expect: an information element appears twice
#include "ioam/ipfix/iana.hpp"
#include "ioam/ipfix/template.hpp"
using namespace ioam::ipfix;
using t = data_template<256, ie::sourceTransportPort, ie::octetDeltaCount, ie::sourceTransportPort>;
constexpr auto n = t::field_count;
