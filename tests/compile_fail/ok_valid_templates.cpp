// positive control: the same constructs as the failing cases, written correctly
#include "ioam/ipfix/iana.hpp"
#include "ioam/ipfix/record.hpp"
using namespace ioam::ipfix;
using t = data_template<256, ie::sourceTransportPort, reduced<ie::octetDeltaCount, 4>>;
using o = options_template<257, scope<ie::exportingProcessId>, ie::exportedFlowRecordTotalCount>;
struct two { std::uint16_t a; std::uint64_t b; };
int main() {
    std::array<std::byte, 16> buf{};
    ioam::byte_writer w(buf);
    (void)encode_record<t>(w, two{1, 2});
    auto r = decode_record<t>(w.written());
    return static_cast<int>(get<ie::octetDeltaCount>(*r)) + static_cast<int>(o::scope_count);
}
