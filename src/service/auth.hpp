#pragma once
// Authentication: argon2id password hashes (libsodium), HS256 JWTs (OpenSSL HMAC), random tokens, and the log-in
// use case built on them.
// Password hashing is slow by design (~0.1 s, 64 MiB): call it through RunBlocking, never on the I/O thread.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "core/models.hpp"
#include "service/hash_gate.hpp"
#include "service/login_throttle.hpp"
#include "storage/store.hpp"

namespace haven::service {

/// Hashes a password with argon2id (crypto_pwhash_str, OPSLIMIT/MEMLIMIT_INTERACTIVE) into a self-describing
/// "$argon2id$v=19$m=...,t=...,p=...$salt$hash" string with a fresh random salt.
/// Errors: ErrorCode::kInternal if libsodium cannot start or runs out of memory.
core::Result<std::string> HashPassword(std::string_view password);

/// True when `password` matches `hash` (a string made by HashPassword). A malformed or empty hash gives false.
bool VerifyPassword(std::string_view hash, std::string_view password);

/// The signed-in user carried inside a JWT.
struct Claims {
    int64_t user_id = 0;                    // "sub" (as a decimal string, per RFC 7519)
    int64_t agency_id = 0;                  // "agency_id"
    core::Role role = core::Role::kViewer;  // "role": "admin" | "manager" | "viewer"
    std::string email;                      // "email"
    int64_t iat = 0;                        // issued at, Unix seconds
    int64_t exp = 0;                        // expires at, Unix seconds
    // Callers without a user row (user_id 0): an API key or a Haven JWT. `email` then holds the audit actor
    // ("api-key:<name>", "haven:<subject>").
    int64_t api_key_id = 0;  // the key's id for an API-key caller
};

/// Issues a compact JWT: base64url({"alg":"HS256","typ":"JWT"}) . base64url(claims) . base64url(HMAC-SHA256),
/// no padding. The caller sets iat/exp.
std::string IssueJwt(const Claims& claims, std::string_view secret);

/// Verifies a JWT made by IssueJwt and returns its claims. The header's "alg" must be exactly "HS256"
/// ("none", "HS512", "RS256", a missing alg are all rejected); "typ" is optional but must be "JWT" if present;
/// "crit" is not supported. The signature is compared in constant time before the payload is trusted.
/// Errors (all ErrorCode::kUnauthenticated): "token expired" when now_unix >= exp; "invalid token" for anything
/// malformed, wrongly signed, with an unsupported header or missing/mistyped claims, or an empty secret.
core::Result<Claims> VerifyJwt(std::string_view token, std::string_view secret, int64_t now_unix);

/// Returns `bytes` cryptographically random bytes (libsodium randombytes_buf) as lowercase hex (2*bytes chars).
std::string RandomToken(size_t bytes);

/// Compares two strings in time that depends only on their lengths (not on where they differ).
/// Different lengths give false.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

/// Base64url encoding without padding (RFC 4648 §5), as used by JWTs.
std::string Base64UrlEncode(std::string_view data);

/// Strict base64url decoding: the alphabet A-Z a-z 0-9 - _, no padding, no whitespace, and unused trailing
/// bits must be zero (so each value has exactly one encoding). Returns false on anything else.
bool Base64UrlDecode(std::string_view text, std::string& out);

/// What a login needs: the users, the password-hash gate, the throttle and how tokens are signed.
struct LoginDeps {
    storage::Store& store;
    HashGate& hash_gate;
    LoginThrottle& throttle;
    std::string jwt_secret;
    int64_t jwt_ttl_seconds = 900;
    int64_t refresh_ttl_seconds = 43200;
};

struct LoginInput {
    std::string email;       // as typed (the throttle lower-cases its key)
    std::string password;    // byte for byte: spaces are part of it
    std::string remote_ip;   // the throttle counts failures per (account, address) and per address
    std::string request_id;  // for the audit row
};

struct LoginSuccess {
    std::string token;       // the access token ("" while a second factor is due)
    int64_t expires_in = 0;  // seconds
    std::string refresh_token;
    int64_t refresh_expires_in = 0;  // seconds
    core::User user;
    std::string agency_name;
    bool two_factor_required = false;        // finish at /auth/login/totp with `challenge` and a code
    bool two_factor_setup_required = false;  // the agency requires TOTP for admins: enrol with `challenge`
    std::string challenge;
};

/// The log-in use case. A throttled attempt is refused before its password is checked, so guessing gains nothing
/// while it waits; the check runs on the hash gate's threads (a bounded number of argon2id hashes at once), and an
/// unknown email is checked against a real hash too, so timing does not reveal which emails exist. `done` is called
/// once: at once when refused, else from the gate's thread. Every attempt the throttle or the password decides
/// leaves one audit row ("denied: throttled", "denied", "success").
/// Errors: kRateLimited while throttled or when the gate is full, with extra {"retryAfterSeconds": n};
/// kUnauthenticated "wrong email or password"; the store's.
void Login(LoginInput input, const LoginDeps& deps, std::function<void(core::Result<LoginSuccess>)> done);

}  // namespace haven::service
