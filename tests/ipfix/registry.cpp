// Tests include/ioam/ipfix/iana.hpp: the generated IANA IE table, its lookups
// and the per-element IE types, and checks the table against the data file
// it is generated from (include/ioam/ipfix/data/iana-ipfix.csv).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "ioam/ipfix/iana.hpp"

namespace {

using namespace ioam::ipfix;

// ---- compile-time checks ---------------------------------------------------

static_assert(information_element<ie::octetDeltaCount>);
static_assert(information_element<ie::subTemplateMultiList>);
static_assert(&ie::octetDeltaCount::info == &iana_registry[0]);
static_assert(ie::flowDirection::info.id == 61);
static_assert(ie::ipDiffServCodePoint::info.id == 195);
static_assert(ie::newConnectionDeltaCount::info.id == 278);  // IANA's name, not iespec's old one
static_assert(iana_ie<8>::info.type == data_type::ipv4Address);
static_assert(find_iana(std::uint16_t{1}) == &iana_registry[0]);
static_assert(find_iana(std::uint16_t{0}) == nullptr);
static_assert(find_iana("egressInterface")->id == 14);

// ---- known rows ------------------------------------------------------------

TEST(IanaRegistry, OctetDeltaCount) {
    const ie_info& r = ie::octetDeltaCount::info;
    EXPECT_EQ(r.id, 1);
    EXPECT_EQ(r.enterprise, 0U);
    EXPECT_EQ(r.type, data_type::unsigned64);
    EXPECT_EQ(r.semantics, data_semantics::deltaCounter);
    EXPECT_EQ(r.length, 8);
    EXPECT_EQ(r.name, "octetDeltaCount");
    EXPECT_EQ(r.units, "octets");
}

TEST(IanaRegistry, FlowTemplateElements) {
    // The fields of the eBPF flow exporter's templates (issue 2).
    EXPECT_EQ(ie::sourceIPv4Address::info.id, 8);
    EXPECT_EQ(ie::sourceIPv4Address::info.type, data_type::ipv4Address);
    EXPECT_EQ(ie::sourceIPv4Address::info.length, 4);
    EXPECT_EQ(ie::destinationIPv4Address::info.id, 12);
    EXPECT_EQ(ie::flowDirection::info.id, 61);
    EXPECT_EQ(ie::flowDirection::info.type, data_type::unsigned8);
    EXPECT_EQ(ie::flowDirection::info.semantics, data_semantics::identifier);
    EXPECT_EQ(ie::ipDiffServCodePoint::info.id, 195);
    EXPECT_EQ(ie::ipDiffServCodePoint::info.type, data_type::unsigned8);
    EXPECT_EQ(ie::tcpControlBits::info.type, data_type::unsigned16);  // RFC 7125 widened it
    EXPECT_EQ(ie::icmpTypeCodeIPv4::info.id, 32);
    EXPECT_EQ(ie::minimumTTL::info.units, "hops");
    EXPECT_EQ(ie::flowStartSysUpTime::info.id, 22);
    EXPECT_EQ(ie::flowStartSysUpTime::info.units, "milliseconds");
    EXPECT_EQ(ie::flowEndSysUpTime::info.id, 21);
    EXPECT_EQ(ie::flowId::info.id, 148);
    EXPECT_EQ(ie::flowId::info.type, data_type::unsigned64);
    EXPECT_EQ(ie::packetDeltaCount::info.units, "packets");
}

TEST(IanaRegistry, LaterAssignments) {
    EXPECT_EQ(ie::srhSegmentIPv6::info.id, 494);
    EXPECT_EQ(ie::srhSegmentIPv6::info.type, data_type::ipv6Address);
    EXPECT_EQ(ie::srhSegmentIPv6BasicList::info.semantics, data_semantics::list);
    EXPECT_EQ(ie::gtpuTEid::info.id, 507);
    EXPECT_EQ(ie::udpUnsafeExIDList::info.id, 529);
    EXPECT_EQ(ie::sourceTransportPortsLimit::info.units, "ports");
    EXPECT_EQ(ie::mibObjectValueCounter::info.semantics, data_semantics::snmpCounter);
    EXPECT_EQ(ie::mibObjectValueInteger::info.type, data_type::signed32);
}

// ---- table invariants ------------------------------------------------------

TEST(IanaRegistry, SortedUniqueIdsAndNames) {
    ASSERT_GT(iana_registry.size(), 450U);
    std::set<std::string_view> names;
    for (std::size_t i = 0; i < iana_registry.size(); ++i) {
        const ie_info& r = iana_registry[i];
        if (i > 0) {
            EXPECT_LT(iana_registry[i - 1].id, r.id) << r.name;
        }
        EXPECT_GT(r.id, 0) << "0 is reserved (RFC 7012 4)";
        EXPECT_LT(r.id, 0x8000) << r.name;
        EXPECT_EQ(r.enterprise, 0U) << r.name;
        EXPECT_FALSE(r.name.empty()) << r.id;
        EXPECT_TRUE(names.insert(r.name).second) << "duplicate name " << r.name;
    }
}

TEST(IanaRegistry, LengthsMatchTypes) {
    for (const ie_info& r : iana_registry) {
        EXPECT_EQ(r.length, natural_length(r.type)) << r.name;
        EXPECT_TRUE(valid_length(r.type, r.length)) << r.name;
    }
}

TEST(IanaRegistry, SemanticsFitTypes) {
    for (const ie_info& r : iana_registry) {
        // RFC 6313 4.1 / RFC 7012 3.2.7: list semantics exactly for the list types.
        EXPECT_EQ(is_list(r.type), r.semantics == data_semantics::list) << r.name;
        // RFC 7012 3.2.2, 3.2.3; RFC 8038: counters and gauges are unsigned integers.
        if (r.semantics == data_semantics::deltaCounter || r.semantics == data_semantics::totalCounter ||
            r.semantics == data_semantics::snmpCounter || r.semantics == data_semantics::snmpGauge) {
            EXPECT_TRUE(is_unsigned(r.type)) << r.name;
        }
        EXPECT_NE(r.semantics, data_semantics::unassigned) << r.name;
    }
}

TEST(IanaRegistry, UnitsAreIanaUnitNames) {
    // IANA "IPFIX Information Element Units" (RFC 5610 3.2); "" is none.
    const std::set<std::string_view> known{"",        "bits",         "octets",       "packets",
                                           "flows",   "seconds",      "milliseconds", "microseconds",
                                           "nanoseconds", "4-octet words", "messages", "hops",
                                           "entries", "frames",       "ports",        "inferred"};
    for (const ie_info& r : iana_registry) EXPECT_TRUE(known.count(r.units)) << r.name << ": " << r.units;
}

// ---- lookups ---------------------------------------------------------------

TEST(IanaRegistry, FindById) {
    for (const ie_info& r : iana_registry) {
        const ie_info* hit = find_iana(r.id);
        ASSERT_NE(hit, nullptr) << r.name;
        EXPECT_EQ(hit, &r);
    }
    // Every id not in the table misses, including gaps, 0 and the top of the range.
    std::size_t hits = 0;
    for (std::uint32_t id = 0; id <= 0xffff; ++id)
        if (find_iana(static_cast<std::uint16_t>(id)) != nullptr) ++hits;
    EXPECT_EQ(hits, iana_registry.size());
    EXPECT_EQ(find_iana(std::uint16_t{65}), nullptr);   // kept for NetFlow v9, no element
    EXPECT_EQ(find_iana(std::uint16_t{416}), nullptr);  // deprecated duplicate without a name
}

TEST(IanaRegistry, FindByName) {
    for (const ie_info& r : iana_registry) EXPECT_EQ(find_iana(r.name), &r) << r.name;
    EXPECT_EQ(find_iana("flowDirection")->id, 61);
    EXPECT_EQ(find_iana(std::string_view{"OctetDeltaCount"}), nullptr);  // names are case-sensitive
    EXPECT_EQ(find_iana(std::string_view{""}), nullptr);
    EXPECT_EQ(find_iana(std::string_view{"connectionCountNew"}), nullptr);  // renamed to 278's current name
}

TEST(IanaRegistry, RuntimeIdLookupAsACollectorWould) {
    // Ids as they arrive in a template record: E bit clear (RFC 7011 3.2).
    const std::vector<std::uint16_t> wire{1, 2, 4, 8, 12, 7, 11, 61, 6, 5, 10, 14, 52, 53, 22, 21, 148, 195};
    std::uint32_t fixed = 0;
    for (std::uint16_t id : wire) {
        const ie_info* r = find_iana(id);
        ASSERT_NE(r, nullptr) << id;
        fixed += r->length;
    }
    EXPECT_EQ(fixed, 8U + 8 + 1 + 4 + 4 + 2 + 2 + 1 + 2 + 1 + 4 + 4 + 1 + 1 + 4 + 4 + 8 + 1);
}

TEST(IanaRegistry, Deprecated) {
    EXPECT_TRUE(std::is_sorted(iana_deprecated.begin(), iana_deprecated.end()));
    for (std::uint16_t id : iana_deprecated) EXPECT_NE(find_iana(id), nullptr) << id;
    EXPECT_TRUE(iana_is_deprecated(ie::samplingInterval::info.id));
    EXPECT_TRUE(iana_is_deprecated(ie::tcpOptions::info.id));
    EXPECT_TRUE(iana_is_deprecated(ie::ipv6ExtensionHeaders::info.id));
    EXPECT_FALSE(iana_is_deprecated(ie::octetDeltaCount::info.id));
    EXPECT_FALSE(iana_is_deprecated(ie::samplingPacketInterval::info.id));
}

// ---- the table against its data file ---------------------------------------

std::string csv_path() {
    if (const char* root = std::getenv("IOAM_SOURCE_ROOT"))
        return std::string(root) + "/include/ioam/ipfix/data/iana-ipfix.csv";
    std::string here = __FILE__;  // .../tests/ipfix/registry.cpp
    return here.substr(0, here.rfind("tests/ipfix/")) + "include/ioam/ipfix/data/iana-ipfix.csv";
}

std::vector<std::string> split(const std::string& line) {
    std::vector<std::string> out;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ',')) out.push_back(cell);
    if (!line.empty() && line.back() == ',') out.emplace_back();
    return out;
}

TEST(IanaRegistry, MatchesDataFile) {
    std::ifstream in(csv_path());
    ASSERT_TRUE(in) << "cannot open " << csv_path() << " (set IOAM_SOURCE_ROOT)";
    // IANA's type and semantics names, independent of the generator.
    const std::map<std::string, data_type> types{
        {"octetArray", data_type::octetArray}, {"unsigned8", data_type::unsigned8},
        {"unsigned16", data_type::unsigned16}, {"unsigned32", data_type::unsigned32},
        {"unsigned64", data_type::unsigned64}, {"signed8", data_type::signed8},
        {"signed16", data_type::signed16}, {"signed32", data_type::signed32},
        {"signed64", data_type::signed64}, {"float32", data_type::float32},
        {"float64", data_type::float64}, {"boolean", data_type::boolean},
        {"macAddress", data_type::macAddress}, {"string", data_type::string},
        {"dateTimeSeconds", data_type::dateTimeSeconds},
        {"dateTimeMilliseconds", data_type::dateTimeMilliseconds},
        {"dateTimeMicroseconds", data_type::dateTimeMicroseconds},
        {"dateTimeNanoseconds", data_type::dateTimeNanoseconds},
        {"ipv4Address", data_type::ipv4Address}, {"ipv6Address", data_type::ipv6Address},
        {"basicList", data_type::basicList}, {"subTemplateList", data_type::subTemplateList},
        {"subTemplateMultiList", data_type::subTemplateMultiList}};
    const std::map<std::string, data_semantics> sems{
        {"", data_semantics::default_}, {"default", data_semantics::default_},
        {"quantity", data_semantics::quantity}, {"totalCounter", data_semantics::totalCounter},
        {"deltaCounter", data_semantics::deltaCounter}, {"identifier", data_semantics::identifier},
        {"flags", data_semantics::flags}, {"list", data_semantics::list},
        {"snmpCounter", data_semantics::snmpCounter}, {"snmpGauge", data_semantics::snmpGauge}};

    std::string line;
    bool header = false;
    std::size_t rows = 0, in_table = 0, deprecated = 0;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        if (!header) {
            EXPECT_EQ(line.rfind("elementId,name,dataType,dataTypeSemantics,units,status", 0), 0U);
            header = true;
            continue;
        }
        const auto c = split(line);
        ASSERT_GE(c.size(), 6U) << line;
        ++rows;
        const auto id = static_cast<std::uint16_t>(std::stoul(c[0]));
        const ie_info* r = find_iana(id);
        const auto t = types.find(c[2]);
        if (t == types.end()) {  // a type types.hpp does not map (unsigned256): left out
            EXPECT_EQ(r, nullptr) << line;
            EXPECT_EQ(find_iana(c[1]), nullptr) << line;
            continue;
        }
        ASSERT_NE(r, nullptr) << line;
        ++in_table;
        EXPECT_EQ(r->name, c[1]) << line;
        EXPECT_EQ(r->type, t->second) << line;
        ASSERT_TRUE(sems.count(c[3])) << line;
        EXPECT_EQ(r->semantics, sems.at(c[3])) << line;
        EXPECT_EQ(r->units, c[4]) << line;
        ASSERT_TRUE(c[5] == "current" || c[5] == "deprecated") << line;
        EXPECT_EQ(iana_is_deprecated(id), c[5] == "deprecated") << line;
        if (c[5] == "deprecated") ++deprecated;
    }
    EXPECT_TRUE(header);
    EXPECT_EQ(in_table, iana_registry.size());
    EXPECT_EQ(deprecated, iana_deprecated.size());
    EXPECT_GE(rows, in_table);
}

}  // namespace
