#include "core/amount.hpp"

#include <gtest/gtest.h>

namespace haven::core {
namespace {

using nlohmann::json;

TEST(ParseAmount, AcceptsIntegersWithinBounds) {
    EXPECT_EQ(ParseAmount(json(1), "amount").value(), 1);
    EXPECT_EQ(ParseAmount(json(15000), "amount").value(), 15000);
    EXPECT_EQ(ParseAmount(json(250000), "amount").value(), 250000);
    EXPECT_EQ(ParseAmount(json::parse("42"), "amount").value(), 42);
}

TEST(ParseAmount, AcceptsUnsignedJsonNumbers) {
    EXPECT_EQ(ParseAmount(json(static_cast<uint64_t>(100)), "amount").value(), 100);
}

TEST(ParseAmount, HonoursCustomBounds) {
    EXPECT_EQ(ParseAmount(json(10), "amount", 10, 100).value(), 10);
    EXPECT_FALSE(ParseAmount(json(9), "amount", 10, 100).has_value());
    EXPECT_FALSE(ParseAmount(json(101), "amount", 10, 100).has_value());
}

struct BadAmount {
    const char* json_text;
    const char* rule_word;  // a word the message must contain
};

class RejectedAmount : public ::testing::TestWithParam<BadAmount> {};

TEST_P(RejectedAmount, IsAValidationErrorNamingTheRule) {
    auto result = ParseAmount(json::parse(GetParam().json_text), "amount");
    ASSERT_FALSE(result.has_value()) << GetParam().json_text << " was accepted";
    EXPECT_EQ(result.error().code, ErrorCode::kValidation);
    ASSERT_EQ(result.error().details.size(), 1u);
    EXPECT_EQ(result.error().details[0].field, "amount");
    EXPECT_NE(result.error().message.find(GetParam().rule_word), std::string::npos) << result.error().message;
}

INSTANTIATE_TEST_SUITE_P(Values, RejectedAmount,
                         ::testing::Values(BadAmount{"1.5", "decimal"}, BadAmount{"10.0", "decimal"},
                                           BadAmount{"1e3", "decimal"}, BadAmount{"\"10\"", "whole number"},
                                           BadAmount{"true", "whole number"}, BadAmount{"false", "whole number"},
                                           BadAmount{"null", "required"}, BadAmount{"[10]", "whole number"},
                                           BadAmount{"{\"v\":10}", "whole number"}, BadAmount{"-5", "at least 1"},
                                           BadAmount{"0", "at least 1"}, BadAmount{"250001", "at most 250000"},
                                           BadAmount{"18446744073709551615", "at most"},
                                           BadAmount{"-9223372036854775808", "at least"}));

TEST(ParseAmount, UsesTheGivenFieldName) {
    auto result = ParseAmount(json("10"), "monthlyRent");
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().details[0].field, "monthlyRent");
    EXPECT_EQ(result.error().message.rfind("monthlyRent ", 0), 0u);
}

}  // namespace
}  // namespace haven::core
