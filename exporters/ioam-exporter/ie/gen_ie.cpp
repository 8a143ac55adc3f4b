// Writes the IE definition files collectors need for both layouts, from the
// tables in include/ioam/export/pen10383.hpp and rawexport.hpp:
//   gen_ie xml                  libfixbuf / ipfixDump registry XML (ipfixDump --element-file)
//   gen_ie iespec               python-ipfix iespec lines (ipfix.ie.for_spec)
//   gen_ie nfacctd-pen10383     pmacct aggregate_primitives for the PEN 10383 layout
//   gen_ie nfacctd-rawexport    pmacct aggregate_primitives for the rawexport layout
// The files in this folder are its output; a test checks they are current.
#include "ioam/export/pen10383.hpp"
#include "ioam/export/rawexport.hpp"

#include <cstdio>
#include <cstring>
#include <span>
#include <string>
#include <string_view>

namespace {

namespace p = ioam::exporting::pen10383;
namespace rx = ioam::exporting::rawexport;
using ioam::ipfix::data_semantics;
using ioam::ipfix::data_type;

// What each element holds; the only place these sentences live.
constexpr std::string_view description[] = {
    "IOAM-Namespace-ID of the data (RFC 9197 4.3).",
    "Hop limit of the packet at the node, from the Hop_Lim and node_id field (RFC 9197 4.4.2.1).",
    "Node identifier, 24 bits, reduced-size big-endian (RFC 9197 4.4.2.1).",
    "Ingress interface identifier, 16 bits (RFC 9197 4.4.2.2).",
    "Egress interface identifier, 16 bits (RFC 9197 4.4.2.2); 0xffff when unavailable.",
    "Timestamp seconds, format set by the IOAM namespace (RFC 9197 4.4.2.3).",
    "Timestamp fraction, format set by the IOAM namespace (RFC 9197 4.4.2.4); microseconds on Linux.",
    "Namespace-specific data, 4 octets (RFC 9197 4.4.2.6).",
    "Queue depth (RFC 9197 4.4.2.7).",
    "Wide node identifier, 56 bits, reduced-size big-endian (RFC 9197 4.4.2.9).",
    "Wide ingress interface identifier, 32 bits (RFC 9197 4.4.2.10).",
    "Wide egress interface identifier, 32 bits (RFC 9197 4.4.2.10).",
    "Namespace-specific data, 8 octets (RFC 9197 4.4.2.11).",
    "Opaque state snapshot schema ID, 24 bits; 0xffffff means no schema (RFC 9197 4.4.2.12).",
    "Opaque state snapshot data (RFC 9197 4.4.2.12).",
    "IOAM DEX flow ID (RFC 9326 3.2).",
    "IOAM DEX sequence number (RFC 9326 3.2).",
    "Transit delay, trace-type bit 4 (RFC 9197 4.4.2.5).",
    "Checksum complement, trace-type bit 7 (RFC 9197 4.4.2.8).",
    "Buffer occupancy, trace-type bit 11 (RFC 9197 4.4.2.12).",
    "Hop limit from the wide field (bit 8) when the 4-octet field (bit 0) is present too.",
    "IOAM-Trace-Type, 24 bits, bit 0 most significant (RFC 9197 4.4.1).",
    "Position of the node in the trace: 0 is the node that emitted the event (the most recent).",
    "Number of nodes in the event's trace data; 0 for a trace without node data (overflow).",
    "Exporter's counter of IOAM events: the records of one event share it.",
    "IOAM Option-Type of the event: 0 Pre-allocated Trace, 4 Direct Export (RFC 9197 7.1).",
    "IOAM events (Pre-allocated Trace and Direct Export) the kernel of the exporter's network namespace sent to its "
    "listeners since the exporter started (IOAM6_CMD_GET_EVENT_STATS); statistics record only.",
    "IOAM events the kernel of the exporter's network namespace did not send because of its event rate limit "
    "(net.ipv6.ioam6_event_rate) since the exporter started; statistics record only.",
};
static_assert(std::size(description) == p::elements.size(), "ioam: one description per PEN 10383 element");

// The rawexport elements, after draft-spiegel-ippm-ioam-rawexport-07 (ids TBD there).
constexpr std::string_view raw_description[] = {
    "Why the IOAM data was exported (draft-spiegel-ippm-ioam-rawexport-07); 0 from ioam-exporter: the kernel gives no reason.",
    "How the IOAM data was carried: 1 IPv6 options (RFC 9486); 0 unknown.",
    "The IOAM Pre-allocated Trace Option as the node saw it, from its Namespace-ID: trace header and node data "
    "(RFC 9197 4.4). ioam-exporter rebuilds it from the kernel's event: RemainingLen 0, free space left out.",
    "The IOAM Incremental Trace Option, from its Namespace-ID (RFC 9197 4.4).",
    "The IOAM Edge-to-Edge Option, from its Namespace-ID (RFC 9197 4.6).",
    "The IOAM Proof of Transit Option, from its Namespace-ID (RFC 9197 4.5).",
    "The IOAM Direct Export Option from its Namespace-ID (RFC 9326 3.2), then the data the node collected as one "
    "trace node of its trace type (RFC 9197 4.4.2).",
};
static_assert(std::size(raw_description) == rx::elements.size(), "ioam: one description per rawexport element");

std::string_view describe(const ioam::ipfix::ie_info& e) {
    return e.id >= rx::id::first ? raw_description[e.id - rx::id::first] : description[e.id];
}

// Every element of both layouts, seed layout first.
template <class F>
void for_each_element(F&& f) {
    for (const auto& e : p::elements) f(e);
    for (const auto& e : rx::elements) f(e);
}

const char* type_name(data_type t) {
    switch (t) {
    case data_type::unsigned8: return "unsigned8";
    case data_type::unsigned16: return "unsigned16";
    case data_type::unsigned32: return "unsigned32";
    case data_type::unsigned64: return "unsigned64";
    case data_type::octetArray: return "octetArray";
    default: return "octetArray";
    }
}

const char* semantics_name(data_semantics s) {
    switch (s) {
    case data_semantics::quantity: return "quantity";
    case data_semantics::identifier: return "identifier";
    case data_semantics::totalCounter: return "totalCounter";
    case data_semantics::flags: return "flags";
    default: return "default";
    }
}

void xml() {
    std::printf("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                "<!-- IOAM information elements under PEN 10383 (ioam-exporter; ids 0-16 as the seed Go\n"
                "     exporter numbered them, 64-70 the rawexport layout), libfixbuf's XML registry format:\n"
                "     ipfixDump --element-file, fbInfoModelReadXMLFile(). Generated by gen_ie from\n"
                "     include/ioam/export/pen10383.hpp and rawexport.hpp. -->\n"
                "<registry id=\"ioam_ipfix\" xmlns=\"http://www.iana.org/assignments\" xmlns:cert=\"http://www.cert.org/ipfix\">\n"
                "  <title>IOAM IPFIX Elements (PEN 10383)</title>\n"
                "  <registry id=\"ioam-information-elements\">\n"
                "    <title>IOAM Enterprise IPFIX Elements (PEN 10383)</title>\n");
    for_each_element([](const auto& e) {
        std::printf("    <record>\n      <name>%.*s</name>\n      <dataType>%s</dataType>\n"
                    "      <dataTypeSemantics>%s</dataTypeSemantics>\n"
                    "      <cert:enterpriseId>%u</cert:enterpriseId>\n      <elementId>%u</elementId>\n",
                    static_cast<int>(e.name.size()), e.name.data(), type_name(e.type), semantics_name(e.semantics),
                    static_cast<unsigned>(e.enterprise), static_cast<unsigned>(e.id));
        if (!e.units.empty()) std::printf("      <units>%.*s</units>\n", static_cast<int>(e.units.size()), e.units.data());
        std::printf("      <status>current</status>\n      <description><paragraph>%.*s</paragraph></description>\n"
                    "    </record>\n",
                    static_cast<int>(describe(e).size()), describe(e).data());
    });
    std::printf("  </registry>\n</registry>\n");
}

void iespec() {
    for_each_element([](const auto& e) {
        std::printf("%.*s(%u/%u)<%s>[%u]\n", static_cast<int>(e.name.size()), e.name.data(),
                    static_cast<unsigned>(e.enterprise), static_cast<unsigned>(e.id), type_name(e.type),
                    static_cast<unsigned>(e.length));
    });
}

// ioamNodeIdWide -> ioam_node_id_wide, ioamPOTData -> ioam_pot_data (pmacct primitive names).
std::string snake(std::string_view camel) {
    const auto upper = [](char c) { return c >= 'A' && c <= 'Z'; };
    const auto lower = [](char c) { return c >= 'a' && c <= 'z'; };
    std::string out;
    for (std::size_t i = 0; i < camel.size(); ++i) {
        const char c = camel[i];
        if (!upper(c)) {
            out += c;
            continue;
        }
        const bool next_lower = i + 1 < camel.size() && lower(camel[i + 1]);
        if (i > 0 && (lower(camel[i - 1]) || next_lower)) out += '_';
        out += static_cast<char>(c - 'A' + 'a');
    }
    return out;
}

// One primitive: pmacct reads integers of 1, 2, 4 or 8 octets (u_int, hex);
// the reduced-size 3- and 7-octet fields and octetArrays are 'raw' (hex).
void primitive(std::string_view name, unsigned pen, unsigned id, unsigned length, bool integer) {
    if (id == 0) {  // pmacct 1.7.7 rejects it: "Invalid NetFlow v9/IPFIX field type"
        std::printf("! %.*s (%u/0): nfacctd cannot read element id 0\n", static_cast<int>(name.size()), name.data(), pen);
        return;
    }
    const bool whole = length == 1 || length == 2 || length == 4 || length == 8;
    std::printf("name=%s\tfield_type=", snake(name).c_str());
    if (pen) std::printf("%u:", pen);
    if (length == ioam::ipfix::variable_length) std::printf("%u\tlen=vlen\tsemantics=raw\n", id);
    else std::printf("%u\tlen=%u\tsemantics=%s\n", id, length, integer && whole ? "u_int" : "raw");
}

void nfacctd(bool raw) {
    std::printf("! pmacct aggregate_primitives for ioam-exporter's %s layout (nfacctd, IPFIX).\n"
                "! Use: aggregate_primitives: <this file> and name the primitives in 'aggregate'.\n"
                "! u_int: decimal; raw: hex octets (reduced-size integers and octetArrays).\n"
                "! Generated by gen_ie from include/ioam/export/%s.\n",
                raw ? "rawexport (--format rawexport)" : "PEN 10383 (default)", raw ? "rawexport.hpp" : "pen10383.hpp");
    if (raw) {
        for (const auto& e : rx::elements)
            primitive(e.name, e.enterprise, e.id, e.length, e.type != ioam::ipfix::data_type::octetArray);
        std::printf("! IANA observationTimeNanoseconds: NTP format (seconds since 1900, then a binary fraction), hex\n");
        primitive("observationTimeNanoseconds", 0, rx::observation_time_nanoseconds, 8, false);
        return;
    }
    for (const auto& e : p::elements)
        primitive(e.name, e.enterprise, e.id, e.length == ioam::ipfix::variable_length ? e.length : p::wire_length(e.id),
                  e.type != ioam::ipfix::data_type::octetArray);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc == 2 && std::strcmp(argv[1], "xml") == 0) xml();
    else if (argc == 2 && std::strcmp(argv[1], "iespec") == 0) iespec();
    else if (argc == 2 && std::strcmp(argv[1], "nfacctd-pen10383") == 0) nfacctd(false);
    else if (argc == 2 && std::strcmp(argv[1], "nfacctd-rawexport") == 0) nfacctd(true);
    else {
        std::fprintf(stderr, "usage: gen_ie xml|iespec|nfacctd-pen10383|nfacctd-rawexport\n");
        return 2;
    }
    return 0;
}
