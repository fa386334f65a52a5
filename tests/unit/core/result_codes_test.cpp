#include "core/result_codes.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace haven::core {
namespace {

// Every code of docs/daraja.md §11 (C2B codes are merchant -> M-Pesa and not described here).
const char* const kSection11Codes[] = {
    "0",    "1",    "2",    "3",    "4",    "5",    "6",    "7",    "8",    "11",         "12",      "13",
    "14",   "15",   "17",   "18",   "20",   "21",   "24",   "25",   "26",   "29",         "1001",    "1019",
    "1025", "1032", "1037", "2001", "2006", "2028", "2040", "8006", "9999", "SFC_IC0003", "R000001", "R000002"};

class Section11Code : public ::testing::TestWithParam<const char*> {};

TEST_P(Section11Code, HasSpecificTenantAndAdminDescriptions) {
    std::string code = GetParam();
    ResultInfo tenant = DescribeResultCode(code);
    ResultInfo admin = DescribeB2cResultCode(code);
    EXPECT_NE(tenant.outcome, "UNKNOWN_ERROR");
    EXPECT_NE(admin.outcome, "UNKNOWN_ERROR");
    EXPECT_FALSE(tenant.user_message.empty());
    EXPECT_FALSE(admin.user_message.empty());
    EXPECT_EQ(tenant.final_failure, code != "0");
    EXPECT_EQ(admin.final_failure, code != "0");
    // Outcome names are UPPER_SNAKE.
    for (char c : tenant.outcome) EXPECT_TRUE((c >= 'A' && c <= 'Z') || c == '_') << tenant.outcome;
    // Messages are sentences, not raw codes.
    EXPECT_EQ(tenant.user_message.back(), '.') << code;
    EXPECT_EQ(admin.user_message.back(), '.') << code;
}

INSTANTIATE_TEST_SUITE_P(All, Section11Code, ::testing::ValuesIn(kSection11Codes));

TEST(ResultCodes, KnownListMatchesSection11) {
    auto known = KnownResultCodes();
    EXPECT_EQ(known.size(), std::size(kSection11Codes));
    for (const char* code : kSection11Codes) {
        EXPECT_NE(std::find(known.begin(), known.end(), code), known.end()) << code;
    }
}

TEST(ResultCodes, StkOutcomes) {
    EXPECT_EQ(DescribeResultCode("0").outcome, "SUCCESS");
    EXPECT_FALSE(DescribeResultCode("0").final_failure);
    EXPECT_EQ(DescribeResultCode("1").outcome, "INSUFFICIENT_FUNDS");
    EXPECT_EQ(DescribeResultCode("1032").outcome, "CANCELLED");
    EXPECT_EQ(DescribeResultCode("1037").outcome, "TIMEOUT");
    EXPECT_EQ(DescribeResultCode("2001").outcome, "WRONG_PIN");
    EXPECT_EQ(DescribeResultCode("1019").outcome, "EXPIRED");
    EXPECT_EQ(DescribeResultCode("1001").outcome, "SUBSCRIBER_BUSY");
    EXPECT_EQ(DescribeResultCode("17").outcome, "RULE_LIMITED");
    EXPECT_EQ(DescribeResultCode("1025").outcome, "PUSH_FAILED");
    EXPECT_EQ(DescribeResultCode("9999").outcome, "PUSH_FAILED");
    EXPECT_EQ(DescribeResultCode("15").outcome, "DUPLICATE");
}

TEST(ResultCodes, CancelledMessageTellsTenantNothingWasTakenAndToRetry) {
    ResultInfo info = DescribeResultCode("1032");
    EXPECT_NE(info.user_message.find("cancelled"), std::string::npos);
    EXPECT_NE(info.user_message.find("No money was taken"), std::string::npos);
    EXPECT_NE(info.user_message.find("Retry"), std::string::npos);
    EXPECT_TRUE(info.final_failure);
    EXPECT_TRUE(info.retryable);
}

TEST(ResultCodes, WrongPinMentionsPin) {
    EXPECT_NE(DescribeResultCode("2001").user_message.find("PIN"), std::string::npos);
}

TEST(ResultCodes, IgnoresSurroundingWhitespace) { EXPECT_EQ(DescribeResultCode(" 1032 ").outcome, "CANCELLED"); }

TEST(ResultCodes, UnknownCodes) {
    for (const char* code : {"", "99", "01032", "1032.0", "abc", "sfc_ic0003"}) {
        ResultInfo info = DescribeResultCode(code);
        EXPECT_EQ(info.outcome, "UNKNOWN_ERROR") << code;
        EXPECT_FALSE(info.user_message.empty());
        EXPECT_TRUE(info.final_failure);
        EXPECT_EQ(DescribeB2cResultCode(code).outcome, "UNKNOWN_ERROR") << code;
    }
}

TEST(B2cResultCodes, SpeakToTheAgencyAdmin) {
    ResultInfo initiator = DescribeB2cResultCode("2001");
    EXPECT_EQ(initiator.outcome, "INITIATOR_INVALID");
    EXPECT_NE(initiator.user_message.find("initiator"), std::string::npos);
    EXPECT_FALSE(initiator.retryable);

    ResultInfo funds = DescribeB2cResultCode("1");
    EXPECT_EQ(funds.outcome, "INSUFFICIENT_FUNDS");
    EXPECT_NE(funds.user_message.find("utility account"), std::string::npos);

    EXPECT_EQ(DescribeB2cResultCode("0").outcome, "SUCCESS");
    EXPECT_FALSE(DescribeB2cResultCode("0").final_failure);
    EXPECT_EQ(DescribeB2cResultCode("R000001").outcome, "ALREADY_REVERSED");
    EXPECT_EQ(DescribeB2cResultCode("2040").outcome, "UNREGISTERED_RECIPIENT");
}

}  // namespace
}  // namespace haven::core
