// expect: this id is not in the IANA IPFIX registry
#include "ioam/ipfix/iana.hpp"
#include "ioam/ipfix/template.hpp"
using namespace ioam::ipfix;
using t = data_template<256, iana_ie<65>>;  // 65-69 are reserved for NetFlow v9
constexpr auto n = t::field_count;
