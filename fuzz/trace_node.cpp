// Trace node views for run-time trace types: the first three octets are the
// trace type, the fourth picks the type policy, the rest is node data
// (trace_shape, node_list, node_view, every value, opaque snapshots). Nodes
// round-trip through encode_node, and the whole list through
// encode_incremental and decode_trace.
#include "trace_common.hpp"

namespace {
using namespace ioam;
using namespace ioam::trace;
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto buf = fuzz::copy_exact(data, size);
    if (buf.size() < 4) return 0;
    const std::uint32_t type = load_be24(buf.data());
    const type_policy policy = (std::to_integer<unsigned>(buf[3]) & 1) ? type_policy::lenient : type_policy::strict;
    auto shape = make_shape(type, policy, 0);
    if (!shape) {
        fuzz::check_error(shape.error(), size);
        return 0;
    }
    FUZZ_CHECK(*shape == shape_of(type));
    auto list = node_list::decode(*shape, bytes_view(buf).subspan(4), 4);
    if (!list) {
        fuzz::check_error(list.error(), size);
        return 0;
    }
    const auto nodes = fuzz::read_nodes(*list);
    // The same nodes as an incremental trace: decodes to the same octets.
    if (shape->node_len > 0x1f) return 0;  // NodeLen has 5 bits: such a type has no trace header
    const trace_header h{0x1234, shape->node_len, 0, 0, shape->type, 0};
    std::vector<std::byte> out(trace_header_size + list->bytes().size());
    auto n = encode_incremental(h, nodes, out);
    FUZZ_CHECK(n.has_value() && *n == out.size());
    auto back = decode_trace(option_type::incremental_trace, out, policy);
    FUZZ_CHECK(back.has_value());
    FUZZ_CHECK(back->header == h);
    FUZZ_CHECK(back->nodes.size() == list->size());
    FUZZ_CHECK(std::equal(back->filled.begin(), back->filled.end(), list->bytes().begin(), list->bytes().end()));
    return 0;
}
