#pragma once
// The one password policy: at least kMinPasswordLength characters and a zxcvbn score of at least kMinPasswordScore
// (Debian's libzxcvbn). Used by invite accept, a user's own password change, a forced reset's link and the CLI's
// `user add`. Nothing here logs the password.
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace haven::service {

inline constexpr size_t kMinPasswordLength = 10;
inline constexpr size_t kMaxPasswordLength = 256;
inline constexpr int kMinPasswordScore = 3;

/// zxcvbn's view of a password: score 0..4 (from guesses = 2^entropy and zxcvbn's thresholds 1e3, 1e6, 1e8, 1e10),
/// and, for a weak one, a warning and suggestions built from its weakest part the way zxcvbn's feedback does.
struct PasswordStrength {
    int score = 0;
    double guesses_log10 = 0;
    std::string warning;
    std::vector<std::string> suggestions;
};

/// Rates `password`; `user_inputs` (the user's email, name) count as dictionary words.
PasswordStrength RatePassword(std::string_view password, const std::vector<std::string>& user_inputs);

/// Ok when the password meets the policy. Errors: kValidation with the reason and zxcvbn's feedback in the message
/// and in details (field `field`).
core::Result<void> CheckPasswordPolicy(std::string_view password, const std::vector<std::string>& user_inputs,
                                       const std::string& field = "password");

}  // namespace haven::service
