#pragma once
// API keys for server-to-server calls: "hmk_" + base64url(32 random bytes), sent as Authorization: Bearer hmk_...
// The key is shown once; only its SHA-256 is stored. A key holds 256 random bits, so a fast hash cannot be guessed
// back and every API call does not queue behind the password-hash pool.
#include <string>
#include <string_view>

namespace haven::service {

inline constexpr std::string_view kApiKeyPrefix = "hmk_";
/// Characters of the key kept in the clear (the "hmk_" and a few more), enough to tell keys apart.
inline constexpr size_t kApiKeyVisibleChars = 12;

struct NewApiKey {
    std::string key;     // the whole key: shown once, never stored
    std::string hash;    // HashApiKey(key)
    std::string prefix;  // key.substr(0, kApiKeyVisibleChars)
};

/// A fresh key from 32 bytes of libsodium randomness.
NewApiKey GenerateApiKey();

/// Lowercase hex SHA-256 of the key, the value stored and looked up.
std::string HashApiKey(std::string_view key);

/// True for text shaped like a key ("hmk_" + 43 base64url characters).
bool LooksLikeApiKey(std::string_view text);

}  // namespace haven::service
