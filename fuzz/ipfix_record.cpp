// decode_record<T> on raw bytes: the first octet picks the compile-time
// template, the rest is the record (and whatever follows it). Every value is
// read and the record round-trips.
#include "ipfix_common.hpp"

namespace {
using namespace ioam;
using namespace ioam::ipfix;

template <class T>
void record(bytes_view in, std::size_t size) {
    auto r = decode_record<T>(in, 1);
    if (!r) return fuzz::check_error(r.error(), size);
    FUZZ_CHECK(r->size() <= in.size());
    fuzz::read_record(*r);
    fuzz::round_trip(*r);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto buf = fuzz::copy_exact(data, size);
    if (buf.empty()) return 0;
    const bytes_view in = bytes_view(buf).subspan(1);
    switch (std::to_integer<unsigned>(buf[0]) % 4) {
    case 0: record<fuzz::flow_fixed>(in, size); break;
    case 1: record<fuzz::flow_varlen>(in, size); break;
    case 2: record<fuzz::stats>(in, size); break;
    default: record<fuzz::list_element>(in, size); break;
    }
    return 0;
}
