// expect: an options template needs at least one scope field
#include "ioam/ipfix/iana.hpp"
#include "ioam/ipfix/template.hpp"
using namespace ioam::ipfix;
using t = options_template<256, scope<>, ie::exportedFlowRecordTotalCount>;
constexpr auto n = t::field_count;
