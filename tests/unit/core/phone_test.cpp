#include "core/phone.hpp"

#include <gtest/gtest.h>

namespace haven::core {
namespace {

struct PhoneCase {
    const char* input;
    const char* expected;
};

class AcceptedPhone : public ::testing::TestWithParam<PhoneCase> {};

TEST_P(AcceptedPhone, NormalisesTo254Form) {
    auto result = NormalizePhone(GetParam().input);
    ASSERT_TRUE(result.has_value()) << GetParam().input << ": " << result.error().message;
    EXPECT_EQ(*result, GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(
    Forms, AcceptedPhone,
    ::testing::Values(PhoneCase{"0712345678", "254712345678"}, PhoneCase{"254712345678", "254712345678"},
                      PhoneCase{"+254712345678", "254712345678"}, PhoneCase{"0712 345 678", "254712345678"},
                      PhoneCase{"0712-345-678", "254712345678"}, PhoneCase{"712345678", "254712345678"},
                      PhoneCase{"  0712345678  ", "254712345678"}, PhoneCase{"+254 712 345 678", "254712345678"},
                      PhoneCase{"254708374149", "254708374149"}, PhoneCase{"0110345678", "254110345678"},
                      PhoneCase{"254110345678", "254110345678"}, PhoneCase{"+254110345678", "254110345678"},
                      PhoneCase{"110345678", "254110345678"}, PhoneCase{"0110 345 678", "254110345678"}));

class RejectedPhone : public ::testing::TestWithParam<const char*> {};

TEST_P(RejectedPhone, IsAValidationErrorOnPhoneNumber) {
    auto result = NormalizePhone(GetParam());
    ASSERT_FALSE(result.has_value()) << GetParam() << " was accepted as " << *result;
    EXPECT_EQ(result.error().code, ErrorCode::kValidation);
    ASSERT_EQ(result.error().details.size(), 1u);
    EXPECT_EQ(result.error().details[0].field, "phoneNumber");
    EXPECT_NE(result.error().message.find("0712345678"), std::string::npos) << "message should show accepted forms";
}

INSTANTIATE_TEST_SUITE_P(Forms, RejectedPhone,
                         ::testing::Values("", "   ", "+", "abc", "07123456789",  // 11 digits
                                           "071234567",                           // 9 digits with a leading 0
                                           "2547123456789", "25471234567", "0812345678", "0212345678", "254812345678",
                                           "812345678", "+0712345678", "+712345678", "255712345678", "+255712345678",
                                           "0712a45678", "0712--345678", "-0712345678", "0712345678-",
                                           "07 12 34 56 7 8 9", "0712.345.678", "(0712)345678", "2540712345678",
                                           "0712345678\n0712345678", "07１2345678"));

TEST(MaskPhone, KeepsFirstAndLastFour) { EXPECT_EQ(MaskPhone("254712344149"), "2547****4149"); }

TEST(MaskPhone, MasksTheMiddleOfLongerInput) { EXPECT_EQ(MaskPhone("1234567890"), "1234**7890"); }

TEST(MaskPhone, ShortInputIsFullyMasked) {
    EXPECT_EQ(MaskPhone("12345678"), "********");
    EXPECT_EQ(MaskPhone("0712"), "****");
    EXPECT_EQ(MaskPhone(""), "");
}

TEST(MaskPhonesIn, MasksMobileNumbersInsideText) {
    EXPECT_EQ(MaskPhonesIn("254708374149 - John Doe"), "2547****4149 - John Doe");
    EXPECT_EQ(MaskPhonesIn("to 254112345678."), "to 2541****5678.");
}

TEST(MaskPhonesIn, LeavesOtherDigitRunsAlone) {
    EXPECT_EQ(MaskPhonesIn("600000 paid 1000 on 20261201"), "600000 paid 1000 on 20261201");
    EXPECT_EQ(MaskPhonesIn("2547083741490"), "2547083741490") << "13 digits is not a phone number";
}

}  // namespace
}  // namespace haven::core

namespace haven::core {
namespace {

TEST(MaskDigitRuns, HidesThePhoneNumberInsideACheckoutRequestId) {
    EXPECT_EQ(MaskDigitRuns("/api/v1/mpesa/status/ws_CO_28112026093159750708374149"),
              "/api/v1/mpesa/status/ws_CO_**********************4149");
}

TEST(MaskDigitRuns, LeavesShortNumbersAlone) {
    EXPECT_EQ(MaskDigitRuns("/api/v1/leases/12345678/payments"), "/api/v1/leases/12345678/payments");
    EXPECT_EQ(MaskDigitRuns("254708374149 and 0708374149"), "********4149 and ******4149");
}

}  // namespace
}  // namespace haven::core
