// expect: this information element is not in the record's template
#include "ioam/ipfix/iana.hpp"
#include "ioam/ipfix/record.hpp"
using namespace ioam::ipfix;
using t = data_template<256, ie::sourceTransportPort>;
std::uint64_t f(const record_view<t>& r) { return get<ie::octetDeltaCount>(r); }
