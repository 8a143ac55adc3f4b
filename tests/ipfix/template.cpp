// Tests include/ioam/ipfix/template.hpp: declarations, constexpr layout, and
// the validator shared by compile-time and run-time templates.
#include "ioam/ipfix/template.hpp"
#include "ioam/ipfix/iana.hpp"

#include <gtest/gtest.h>

namespace {
using namespace ioam;
using namespace ioam::ipfix;

using node_id = enterprise<10383, 2, data_type::unsigned32>;
using t_fixed = data_template<300, ie::octetDeltaCount, reduced<ie::packetDeltaCount, 4>, node_id,
                              ie::sourceIPv6Address>;
static_assert(t_fixed::is_fixed_size);
static_assert(t_fixed::record_size == 8 + 4 + 4 + 16);
static_assert(t_fixed::template_record_size == 4 + 4 + 4 + 8 + 4, "the enterprise field adds 4 octets");
static_assert(t_fixed::static_offsets[3] == 16);
static_assert(t_fixed::fields[2].enterprise == 10383 && t_fixed::fields[2].id == 2);
static_assert(t_fixed::index_of<ie::packetDeltaCount>() == 1, "found through the reduced<> wrapper");
static_assert(!t_fixed::contains<ie::flowId>);

using t_var = data_template<301, ie::protocolIdentifier, ie::interfaceName, ie::sourceTransportPort>;
static_assert(!t_var::is_fixed_size);
static_assert(t_var::min_record_size == 1 + 1 + 2);
static_assert(t_var::static_offsets[1] == 1 && t_var::static_offsets[2] == variable_length);

using t_opt = options_template<400, scope<ie::exportingProcessId>, ie::exportedMessageTotalCount,
                               ie::exportedFlowRecordTotalCount>;
static_assert(t_opt::is_options && t_opt::scope_count == 1 && t_opt::field_count == 3);
static_assert(t_opt::template_record_size == 6 + 3 * 4);
static_assert(std::is_same_v<t_opt::values, std::tuple<std::uint32_t, std::uint64_t, std::uint64_t>>);

TEST(Template, ValidatorRules) {
    const field_spec u16{7, 0, 2, data_type::unsigned16, true};
    const field_spec u64_3{1, 0, 3, data_type::unsigned64, true};
    const field_spec bad_u16{7, 0, 3, data_type::unsigned16, true};
    const field_spec str{82, 0, variable_length, data_type::string, true};
    const field_spec unknown{999, 0, 5, data_type::octetArray, false};
    const field_spec ent{7, 42, 2, data_type::unsigned16, true};

    const std::array ok{u16, u64_3, str, unknown, ent};
    EXPECT_EQ(validate_template(256, ok, 0, false, false).code, errc::ok)
        << "same id with another enterprise number is another IE";
    EXPECT_EQ(validate_template(255, ok, 0, false, false).code, errc::bad_template_id);
    const std::array bad{u16, bad_u16};
    const auto c = validate_template(256, bad, 0, false, true);
    EXPECT_EQ(c.code, errc::bad_field_length);
    EXPECT_EQ(c.field, 1U);
    const std::array dup{u16, u16};
    EXPECT_EQ(validate_template(256, dup, 0, false, false).code, errc::duplicate_field);
    EXPECT_EQ(validate_template(256, dup, 0, false, true).code, errc::ok) << "RFC 7011 8 allows it on the wire";
    EXPECT_EQ(validate_template(256, ok, 0, true, false).code, errc::bad_scope_count) << "empty scope";
    EXPECT_EQ(validate_template(256, ok, 6, true, false).code, errc::bad_scope_count);
    EXPECT_EQ(validate_template(256, ok, 1, true, false).code, errc::ok);
    EXPECT_EQ(validate_template(256, std::span<const field_spec>{}, 0, false, false).code, errc::bad_field_count);
    const std::array zero{field_spec{1, 0, 0, data_type::octetArray, true}};
    EXPECT_EQ(validate_template(256, zero, 0, false, false).code, errc::bad_field_length)
        << "a zero-length field could make records of zero octets";
}

TEST(Template, ValuesTupleFollowsTypes) {
    using V = t_fixed::values;
    static_assert(std::is_same_v<std::tuple_element_t<0, V>, std::uint64_t>);
    static_assert(std::is_same_v<std::tuple_element_t<3, V>, ipv6_address>);
    static_assert(std::is_same_v<field_value_t<t_var, 1>, std::string_view>);
    SUCCEED();
}
}  // namespace
