#pragma once
// Records of sessions and two-factor login: refresh tokens (as hashes), TOTP secrets, recovery codes and the
// agency's two-factor policy. Times are Unix milliseconds passed in by the caller.
#include <cstdint>
#include <string>

namespace haven::storage {

/// One refresh token of a chain ("family") begun by one login. Only the SHA-256 (hex) of the token is stored.
struct RefreshToken {
    std::string token_hash;
    std::string family_id;
    int64_t user_id = 0;
    int64_t created_at_ms = 0;
    int64_t expires_at_ms = 0;
};

/// What presenting a refresh token did.
enum class RefreshSpend {
    kSpent,    // it was live: now spent (the caller issues the next token of the family)
    kReused,   // it was already spent: the whole family is now revoked
    kRevoked,  // its family was revoked (logout, reuse): nothing changed
    kExpired,  // past its lifetime: nothing changed
    kUnknown,  // no such token
};

struct RefreshSpendResult {
    RefreshSpend outcome = RefreshSpend::kUnknown;
    std::string family_id;      // empty for kUnknown
    int64_t user_id = 0;        // 0 for kUnknown
    int64_t created_at_ms = 0;  // when the presented token was issued (kSpent)
};

/// A user's TOTP secret (base32) and whether it has been confirmed with a code.
struct TotpRecord {
    int64_t user_id = 0;
    std::string secret;
    bool enabled = false;
    int64_t last_step = 0;  // the newest 30-second step accepted (one code is good once)
};

}  // namespace haven::storage
