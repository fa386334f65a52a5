#pragma once
// TOTP (RFC 6238 over RFC 4226 HOTP): HMAC-SHA-1, 30-second steps, 6 digits, what every authenticator app uses;
// and the RFC 4648 base32 its secrets are written in.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace haven::service {

constexpr int64_t kTotpStepSeconds = 30;

/// RFC 4648 base32 (A-Z 2-7) without padding.
std::string Base32Encode(std::string_view data);

/// Decodes base32: upper or lower case, spaces and '=' padding ignored. nullopt on any other character.
std::optional<std::string> Base32Decode(std::string_view text);

/// The HOTP value of `counter` (RFC 4226 dynamic truncation) as a zero-padded string of `digits` digits.
std::string HotpCode(std::string_view key, uint64_t counter, int digits = 6);

/// The TOTP code of the step holding `unix_seconds`.
std::string TotpCode(std::string_view key, int64_t unix_seconds, int digits = 6);

/// The step (unix_seconds / 30) whose code `code` is, looking at the current step and one either side (clock
/// drift); nullopt when none matches or the code is not 6 digits. Compared in constant time.
std::optional<int64_t> MatchTotp(std::string_view key, std::string_view code, int64_t unix_seconds);

/// A new secret: 20 random bytes (160 bits, RFC 4226's recommendation), base32.
std::string NewTotpSecret();

/// otpauth://totp/Haven%20M-Pesa:<account>?secret=...&issuer=Haven%20M-Pesa&algorithm=SHA1&digits=6&period=30
std::string OtpauthUri(std::string_view secret_base32, std::string_view account);

}  // namespace haven::service
