// What the IOAM harnesses share: reading every value of a node, and the node
// round trip (values -> node_data -> encode_node must give the same octets).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "fuzz.hpp"
#include "ioam/trace/node.hpp"
#include "ioam/trace/option.hpp"

namespace fuzz {
namespace trace = ioam::trace;

/// Every value of a node, by each accessor, which must agree.
inline trace::node_data read_node(const trace::node_view& n) {
    trace::node_data d;
    use(n.bytes());
    std::vector<trace::field_value> walked;
    n.for_each_value([&](const trace::field_value& f) {
        use(f.value);
        use(f.unavailable);
        use(f.name);
        walked.push_back(f);
        d.set(f.id, f.value);
    });
    std::size_t i = 0;
    for (const trace::field_value f : n.values()) {
        FUZZ_CHECK(i < walked.size() && walked[i].id == f.id && walked[i].value == f.value);
        ++i;
    }
    FUZZ_CHECK(i == walked.size());
    for (const auto& info : trace::value_table) {
        const auto raw = n.raw(info.id);
        FUZZ_CHECK(raw.has_value() == n.has(info.id));
        const auto v = n.value(info.id);
        FUZZ_CHECK(v.has_value() == raw.has_value());
        if (raw) FUZZ_CHECK(v->value == *raw && v->unavailable == n.unavailable(info.id));
    }
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        ((n.template get<static_cast<trace::value_id>(I)>() ? use(*n.template get<static_cast<trace::value_id>(I)>())
                                                            : void()),
         ...);
    }(std::make_index_sequence<trace::value_count>{});
    if (auto o = n.opaque()) {
        use(o->schema_id);
        use(o->data);
        use(o->has_schema());
        d.schema_id = o->schema_id;
        d.snapshot = o->data;
    } else {
        FUZZ_CHECK(!n.shape().opaque);
    }
    return d;
}

/// A node re-encoded from its values is the same octets.
inline void node_round_trip(const trace::node_view& n, const trace::node_data& d) {
    std::vector<std::byte> out(trace::encoded_size(n.shape(), d));
    auto w = trace::encode_node(n.shape(), d, out);
    FUZZ_CHECK(w.has_value() && *w == out.size());
    FUZZ_CHECK(out.size() == n.bytes().size());
    FUZZ_CHECK(std::equal(out.begin(), out.end(), n.bytes().begin()));
}

/// Reads every node of a list; returns their values (for re-encoding).
inline std::vector<trace::node_data> read_nodes(const trace::node_list& l) {
    std::vector<trace::node_data> nodes;
    std::size_t i = 0;
    for (const trace::node_view n : l) {
        nodes.push_back(read_node(n));
        node_round_trip(n, nodes.back());
        const trace::node_view same = l[i++];
        FUZZ_CHECK(same.bytes().data() == n.bytes().data() && same.bytes().size() == n.bytes().size());
    }
    FUZZ_CHECK(i == l.size());
    return nodes;
}

}  // namespace fuzz
