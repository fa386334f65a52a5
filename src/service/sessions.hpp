#pragma once
// Sessions: a short-lived access token (JWT, JWT_TTL, 15 minutes by default) and a rotating refresh token (12 hours).
// A refresh token is 32 random bytes, stored only as its SHA-256; each use spends it and hands out the next one of
// the same chain ("family"). A spent token presented again means two parties hold the chain (one of them a thief),
// so the whole family is revoked: both must log in again.
// Two-factor login: after a right password, a user with TOTP gets a short-lived signed challenge instead of a
// session, and finishes with a code (or a recovery code) at /auth/login/totp.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/models.hpp"
#include "service/auth.hpp"
#include "service/login_throttle.hpp"
#include "storage/store.hpp"

namespace haven::service {

struct SessionSettings {
    std::string jwt_secret;
    int64_t access_ttl_seconds = 900;     // JWT_TTL
    int64_t refresh_ttl_seconds = 43200;  // REFRESH_TOKEN_TTL
};

struct SessionTokens {
    std::string access_token;
    int64_t expires_in = 0;  // seconds
    std::string refresh_token;
    int64_t refresh_expires_in = 0;  // seconds
};

/// Unix milliseconds now (the wall clock).
int64_t NowMs();

/// A new session for `user`: an access token and the first refresh token of a new family. Prunes expired refresh
/// tokens now and then. Errors: the store's.
core::Result<SessionTokens> StartSession(storage::Store& store, const core::User& user,
                                         const SessionSettings& settings);

struct Refreshed {
    SessionTokens tokens;
    core::User user;
};

/// Spends `refresh_token` and issues the next access + refresh token of its family.
/// Errors: kUnauthenticated with extra {"reason": "unknown" | "expired" | "revoked" | "reused", "userId": n};
/// "reused" means this call revoked the whole family. A user who no longer exists is refused ("revoked").
core::Result<Refreshed> RefreshSession(storage::Store& store, const std::string& refresh_token,
                                       const SessionSettings& settings);

/// Revokes the family of `refresh_token`; returns its user id (0 when the token is unknown).
core::Result<int64_t> EndSession(storage::Store& store, const std::string& refresh_token);

/// What a challenge lets its holder do: finish a login with a code, or only enrol in TOTP (agency policy).
enum class ChallengePurpose { kLogin, kEnrol };

/// A signed, short-lived (5 minutes) challenge naming the user: "<base64url payload>.<base64url HMAC>". It is not a
/// JWT (its signature covers a different prefix), so it can never pass as an access token.
std::string IssueChallenge(int64_t user_id, ChallengePurpose purpose, std::string_view secret, int64_t now_unix);

/// The user id of a valid, unexpired challenge of that purpose. Errors: kUnauthenticated.
core::Result<int64_t> VerifyChallenge(std::string_view challenge, ChallengePurpose purpose, std::string_view secret,
                                      int64_t now_unix);

constexpr int64_t kChallengeSeconds = 300;
constexpr int kRecoveryCodeCount = 10;

/// Ten recovery codes like "k3f9q-2m8xd" (50 bits each).
std::vector<std::string> NewRecoveryCodes();
/// The stored form of a recovery code: SHA-256 hex of it lower-cased without spaces or dashes.
std::string RecoveryCodeHash(std::string_view code);

/// Checks a second factor for a user with TOTP on: a 6-digit code (each time step accepted once) or a recovery code
/// (each used once). Errors: kUnauthenticated "wrong code"; kValidation when neither is given; the store's.
core::Result<void> CheckSecondFactor(storage::Store& store, int64_t user_id, const std::string& code,
                                     const std::string& recovery_code, int64_t now_unix);

/// After a right password: a session, or a challenge when the user has TOTP on (two_factor_required) or is an
/// admin of an agency that requires it and has none yet (two_factor_setup_required).
core::Result<LoginSuccess> AfterPassword(storage::Store& store, const core::User& user,
                                         const SessionSettings& settings);

}  // namespace haven::service
