#include "ioam/core/error.hpp"
#include "ioam/core/throw.hpp"

#include <gtest/gtest.h>

namespace {
using namespace ioam;

constexpr result<int> half(int v) {
    if (v % 2) return error{errc::value_out_of_range, 3};
    return v / 2;
}
static_assert(half(4).value() == 2);
static_assert(!half(3) && half(3).offset() == 3);

TEST(Error, CodesHaveCategoryAndMessages) {
    std::error_code ec = errc::truncated;
    EXPECT_EQ(ec.category().name(), std::string("ioam"));
    EXPECT_EQ(ec.message(), "truncated input");
    for (int i = 0; i <= static_cast<int>(errc::bad_message); ++i)
        EXPECT_NE(make_error_code(static_cast<errc>(i)).message(), "unknown ioam error") << i;
}

TEST(Error, ResultCarriesOffset) {
    auto r = half(7);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.code(), errc::value_out_of_range);
    EXPECT_EQ(r.offset(), 3U);
    EXPECT_EQ(r.value_or(-1), -1);
}

TEST(Error, ThrowHeaderOptIn) {
    EXPECT_EQ(value_or_throw(half(8)), 4);
    try {
        (void)value_or_throw(half(9));
        FAIL() << "expected an exception";
    } catch (const std::system_error& e) {
        EXPECT_EQ(e.code(), make_error_code(errc::value_out_of_range));
        EXPECT_NE(std::string(e.what()).find("offset 3"), std::string::npos);
    }
}
}  // namespace
