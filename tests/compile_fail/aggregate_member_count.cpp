// expect: the aggregate needs one member per template field
#include "ioam/ipfix/iana.hpp"
#include "ioam/ipfix/record.hpp"
using namespace ioam::ipfix;
using t = data_template<256, ie::sourceTransportPort, ie::octetDeltaCount>;
struct one { std::uint16_t port; };
void f(ioam::byte_writer& w) { (void)encode_record<t>(w, one{1}); }
