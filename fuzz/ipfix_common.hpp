// What the IPFIX harnesses share: the compile-time templates they decode
// (and that make_corpus writes), readers that touch every value of a record
// or a list, and the record round trip.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "fuzz.hpp"
#include "ioam/core/buffer.hpp"
#include "ioam/ipfix/dynamic_template.hpp"
#include "ioam/ipfix/iana.hpp"
#include "ioam/ipfix/list.hpp"
#include "ioam/ipfix/message.hpp"
#include "ioam/ipfix/record.hpp"
#include "ioam/ipfix/template_cache.hpp"

namespace fuzz {
namespace ipfix = ioam::ipfix;
namespace ie = ioam::ipfix::ie;

/// Every fixed-length data type, some reduced.
using flow_fixed = ipfix::data_template<256, ie::sourceIPv6Address, ie::destinationIPv4Address,
    ipfix::reduced<ie::octetDeltaCount, 4>, ie::packetDeltaCount, ie::protocolIdentifier, ie::sourceTransportPort,
    ipfix::reduced<ie::mibObjectValueInteger, 2>, ie::flowStartSeconds, ie::flowStartMilliseconds,
    ie::flowStartMicroseconds, ie::flowStartNanoseconds, ie::sourceMacAddress, ie::dataRecordsReliability,
    ie::absoluteError, ipfix::reduced<ie::relativeError, 4>>;
/// Variable-length fields (string, octets, the three lists) between fixed ones.
using flow_varlen = ipfix::data_template<257, ie::interfaceName, ie::octetDeltaCount, ie::applicationId,
    ie::basicList, ipfix::reduced<ie::mibObjectValueInteger, 3>, ie::subTemplateList, ie::subTemplateMultiList,
    ipfix::fixed<ie::VRFname, 8>>;
using stats = ipfix::options_template<258, ipfix::scope<ie::exportingProcessId>, ie::exportedMessageTotalCount,
    ie::samplerName>;
/// The records of the sub-template lists.
using list_element = ipfix::data_template<259, ie::ingressInterface, ie::egressInterface>;

/// Every value of a record of a compile-time template.
template <class T>
void read_record(const ipfix::record_view<T>& r) {
    use(r.bytes());
    // Fields lie in order inside the record, each after the one before.
    const std::byte* end = r.bytes().data();
    auto in_order = [&](ioam::bytes_view f) {
        FUZZ_CHECK(f.data() >= end && f.data() + f.size() <= r.bytes().data() + r.size());
        end = f.data() + f.size();
    };
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        (use(r.template field<I>()), ...);
        (use(r.template field_bytes<I>()), ...);
        (in_order(r.template field_bytes<I>()), ...);
    }(std::make_index_sequence<T::field_count>{});
}

template <class T>
std::vector<std::byte> encode_values(const typename T::values& v, bool long_varlen, std::size_t capacity) {
    std::vector<std::byte> out(capacity);
    ioam::byte_writer w(out);
    auto r = ipfix::encode_record<T>(w, v, ipfix::record_options{.long_varlen = long_varlen});
    FUZZ_CHECK(r.has_value());  // what was decoded can be encoded again
    out.resize(w.size());
    return out;
}

/// decode -> encode -> decode -> encode: both encodings are the same bytes,
/// in both variable-length prefix forms.
template <class T>
void round_trip(const ipfix::record_view<T>& r) {
    const std::size_t capacity = r.size() + 2 * T::field_count + 8;
    for (bool long_varlen : {false, true}) {
        const auto first = encode_values<T>(to_values(r), long_varlen, capacity);
        auto again = ipfix::decode_record<T>(first);
        if (!again) {  // only when the longer prefixes pushed it past a message's size
            FUZZ_CHECK(first.size() > 0xffff - 3);
            continue;
        }
        FUZZ_CHECK(again->size() == first.size());
        const auto second = encode_values<T>(to_values(*again), long_varlen, capacity);
        FUZZ_CHECK(first == second);
    }
}

/// Reads a field of run-time type T (lists: checked and walked as lists).
template <class Resolve>
void read_list(ipfix::data_type t, ioam::bytes_view b, Resolve&& find, int depth);

/// Every field of a run-time record, by index and in one walk; lists are
/// decoded, their sub-template lists resolved through `find`.
template <class Resolve>
void read_dynamic(const ipfix::dynamic_record& rec, Resolve&& find, int depth = 0) {
    use(rec.bytes());
    std::size_t i = 0;
    rec.for_each_field([&](const ipfix::field_view& f) {
        use(f.spec->id);
        use(f.bytes);
        if (f.info) use(f.info->id);
        std::uint64_t u = 0;
        if (f.to_u64(u)) use(u);
        with_type(f.type(), [&](auto t) {
            constexpr ipfix::data_type T = decltype(t)::value;
            use(f.template as<T>());
        });
        const ipfix::field_view g = rec.field(i++);
        FUZZ_CHECK(g.bytes.data() == f.bytes.data() && g.bytes.size() == f.bytes.size());
        if (depth < 4 && ipfix::is_list(f.type())) read_list(f.type(), f.bytes, find, depth + 1);
    });
    FUZZ_CHECK(i == rec.templ().fields().size());
    std::uint64_t octets = 0;
    if (rec.get<ie::octetDeltaCount>(octets)) use(octets);
}

/// A basicList's elements, as octets and as values of the element's IANA type.
inline void read_basic_list(const ipfix::basic_list_view& l) {
    use(l.semantic());
    use(l.field().id);
    std::size_t n = 0;
    for (ioam::bytes_view e : l) {
        use(e);
        ++n;
    }
    FUZZ_CHECK(n == l.size());
    if (l.field().enterprise != 0) return;
    const ipfix::ie_info* info = ipfix::find_iana(l.field().id);
    if (!info) return;
    with_type(info->type, [&](auto t) {
        constexpr ipfix::data_type T = decltype(t)::value;
        auto values = l.template as<T>();
        if (!values) return;
        std::size_t k = 0;
        for (const auto& v : *values) {
            use(v);
            ++k;
        }
        FUZZ_CHECK(k == n);
    });
}

template <class Resolve>
void read_list(ipfix::data_type t, ioam::bytes_view b, Resolve&& find, int depth) {
    if (t == ipfix::data_type::basicList) {
        if (auto l = ipfix::decode_basic_list(b)) read_basic_list(*l);
    } else if (t == ipfix::data_type::subTemplateList) {
        auto l = ipfix::decode_sub_template_list(b, find);
        if (!l) return;
        std::size_t n = 0;
        for (const ipfix::dynamic_record r : *l) {
            read_dynamic(r, find, depth);
            ++n;
        }
        FUZZ_CHECK(n == l->size());
    } else if (t == ipfix::data_type::subTemplateMultiList) {
        auto l = ipfix::decode_sub_template_multi_list(b);
        if (!l) return;
        for (const ipfix::multi_list_entry e : *l) {
            use(e.template_id());
            const ipfix::dynamic_template* dt = find(e.template_id());
            if (!dt) continue;
            auto recs = e.records(*dt);
            if (!recs) continue;
            for (const ipfix::dynamic_record r : *recs) read_dynamic(r, find, depth);
        }
    }
}

}  // namespace fuzz
