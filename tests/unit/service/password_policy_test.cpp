// The password policy (service/password_policy.hpp) against Debian's zxcvbn: one table of passwords and verdicts.
#include "service/password_policy.hpp"

#include <gtest/gtest.h>

namespace haven::service {
namespace {

struct Case {
    const char* password;
    bool accepted;
    const char* why;
};

TEST(PasswordPolicy, TableOfPasswords) {
    const Case kCases[] = {
        {"short1!", false, "under 10 characters"},
        {"password123", false, "a common password with digits"},
        {"qwertyuiop", false, "a keyboard row (in zxcvbn's list of common passwords)"},
        {"asdfghjkl;", false, "a keyboard pattern"},
        {"Password2024!", false, "a common word, a year and a symbol"},
        {"abcdefghijk", false, "a sequence"},
        {"aaaaaaaaaaaa", false, "a repeat"},
        // Debian's zxcvbn C library finds no dictionary word in it (unlike the JavaScript one): 47 bits, score 4.
        {"Tr0ub4dor&3", true, "11 characters of mixed classes"},
        {"correct horse battery staple", true, "a passphrase of four random words"},
        {"marigold-tugboat-vesper-42", true, "random words and a number"},
    };
    for (const auto& c : kCases) {
        auto verdict = CheckPasswordPolicy(c.password, {"jane.doe@example.com"});
        EXPECT_EQ(verdict.has_value(), c.accepted) << c.password << " (" << c.why << ")";
        if (!verdict) {
            EXPECT_EQ(verdict.error().code, core::ErrorCode::kValidation);
            ASSERT_EQ(verdict.error().details.size(), 1U);
            EXPECT_EQ(verdict.error().details.front().field, "password");
            EXPECT_FALSE(verdict.error().details.front().message.empty()) << c.password;
        }
    }
}

TEST(PasswordPolicy, ScoreFollowsZxcvbnThresholds) {
    EXPECT_LE(RatePassword("password123", {}).score, 1);
    EXPECT_EQ(RatePassword("correct horse battery staple", {}).score, 4);
}

TEST(PasswordPolicy, FeedbackNamesTheWeakPart) {
    auto keyboard = CheckPasswordPolicy("asdfghjkl;", {});
    ASSERT_FALSE(keyboard);
    EXPECT_NE(keyboard.error().message.find("Keyboard patterns"), std::string::npos) << keyboard.error().message;

    auto sequence = CheckPasswordPolicy("abcdefghijk", {});
    ASSERT_FALSE(sequence);
    EXPECT_NE(sequence.error().message.find("Sequences"), std::string::npos) << sequence.error().message;
}

TEST(PasswordPolicy, TheUsersOwnEmailCountsAsADictionaryWord) {
    // Strong enough for a stranger, weak when it is mostly the user's own address.
    const char* kPassword = "wanjikukamau2024";
    EXPECT_TRUE(CheckPasswordPolicy(kPassword, {"someone@example.co.ke"}));
    auto refused = CheckPasswordPolicy(kPassword, {"wanjikukamau@example.co.ke"});
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().message.find("email or name"), std::string::npos) << refused.error().message;
}

TEST(PasswordPolicy, LengthIsCheckedFirstAndSaysSo) {
    auto verdict = CheckPasswordPolicy("Xk#9v!q", {});
    ASSERT_FALSE(verdict);
    EXPECT_NE(verdict.error().message.find("at least 10 characters"), std::string::npos);
}

}  // namespace
}  // namespace haven::service
