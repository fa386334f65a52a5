#include "service/auth.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>

#include "core/hex.hpp"
#include "core/state.hpp"
#include "core/text.hpp"
#include "service/sessions.hpp"

namespace haven::service {
namespace {

using core::ErrorCode;
using core::Fail;

bool EnsureSodium() {
    static const bool ok = sodium_init() >= 0;
    return ok;
}

constexpr char kB64Alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int B64Value(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
}

std::array<unsigned char, 32> HmacSha256(std::string_view secret, std::string_view data) {
    std::array<unsigned char, 32> mac{};
    unsigned int len = 0;
    static const unsigned char kEmptyKey = 0;
    const void* key = secret.empty() ? static_cast<const void*>(&kEmptyKey) : secret.data();
    HMAC(EVP_sha256(), key, static_cast<int>(secret.size()), reinterpret_cast<const unsigned char*>(data.data()),
         data.size(), mac.data(), &len);
    return mac;
}

core::Error InvalidToken() { return core::Error::Make(ErrorCode::kUnauthenticated, "invalid token"); }

// Reads a JSON integer claim; unsigned values that do not fit int64 are rejected.
bool ReadInt(const nlohmann::json& obj, const char* key, int64_t& out) {
    auto it = obj.find(key);
    if (it == obj.end()) return false;
    if (it->is_number_unsigned()) {
        auto u = it->get<uint64_t>();
        if (u > static_cast<uint64_t>(INT64_MAX)) return false;
        out = static_cast<int64_t>(u);
        return true;
    }
    if (it->is_number_integer()) {
        out = it->get<int64_t>();
        return true;
    }
    return false;
}

}  // namespace

core::Result<std::string> HashPassword(std::string_view password) {
    if (!EnsureSodium()) return Fail(ErrorCode::kInternal, "crypto library failed to start");
    char out[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str(out, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
        return Fail(ErrorCode::kInternal, "password hashing failed");
    }
    return std::string(out);
}

bool VerifyPassword(std::string_view hash, std::string_view password) {
    if (!EnsureSodium()) return false;
    // crypto_pwhash_str_verify reads a NUL-terminated string of at most STRBYTES-1 characters.
    if (hash.empty() || hash.size() >= crypto_pwhash_STRBYTES || hash.find('\0') != std::string_view::npos) {
        return false;
    }
    std::string terminated(hash);
    return crypto_pwhash_str_verify(terminated.c_str(), password.data(), password.size()) == 0;
}

std::string Base64UrlEncode(std::string_view data) {
    std::string out;
    out.reserve((data.size() * 4 + 2) / 3);
    size_t i = 0;
    auto byte = [&](size_t k) { return static_cast<uint32_t>(static_cast<unsigned char>(data[k])); };
    for (; i + 3 <= data.size(); i += 3) {
        uint32_t n = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
        out.push_back(kB64Alphabet[(n >> 18) & 63]);
        out.push_back(kB64Alphabet[(n >> 12) & 63]);
        out.push_back(kB64Alphabet[(n >> 6) & 63]);
        out.push_back(kB64Alphabet[n & 63]);
    }
    size_t rest = data.size() - i;
    if (rest == 1) {
        uint32_t n = byte(i) << 16;
        out.push_back(kB64Alphabet[(n >> 18) & 63]);
        out.push_back(kB64Alphabet[(n >> 12) & 63]);
    } else if (rest == 2) {
        uint32_t n = (byte(i) << 16) | (byte(i + 1) << 8);
        out.push_back(kB64Alphabet[(n >> 18) & 63]);
        out.push_back(kB64Alphabet[(n >> 12) & 63]);
        out.push_back(kB64Alphabet[(n >> 6) & 63]);
    }
    return out;
}

bool Base64UrlDecode(std::string_view text, std::string& out) {
    out.clear();
    if (text.size() % 4 == 1) return false;
    out.reserve(text.size() * 3 / 4);
    uint32_t buffer = 0;
    int bits = 0;
    for (char c : text) {
        int v = B64Value(c);
        if (v < 0) return false;
        buffer = (buffer << 6) | static_cast<uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
        }
    }
    // Leftover bits (2 or 4) must be zero for a canonical encoding.
    return (buffer & ((1u << bits) - 1)) == 0;
}

std::string IssueJwt(const Claims& claims, std::string_view secret) {
    static const std::string kHeader = Base64UrlEncode(R"({"alg":"HS256","typ":"JWT"})");
    nlohmann::json payload = {
        {"sub", std::to_string(claims.user_id)},
        {"agency_id", claims.agency_id},
        {"role", std::string(core::ToString(claims.role))},
        {"email", claims.email},
        {"iat", claims.iat},
        {"exp", claims.exp},
    };
    std::string signing_input = kHeader + "." + Base64UrlEncode(payload.dump());
    auto mac = HmacSha256(secret, signing_input);
    return signing_input + "." +
           Base64UrlEncode(std::string_view(reinterpret_cast<const char*>(mac.data()), mac.size()));
}

core::Result<Claims> VerifyJwt(std::string_view token, std::string_view secret, int64_t now_unix) {
    if (secret.empty() || token.size() > 8192) return Fail(InvalidToken());
    size_t dot1 = token.find('.');
    if (dot1 == std::string_view::npos) return Fail(InvalidToken());
    size_t dot2 = token.find('.', dot1 + 1);
    if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
        return Fail(InvalidToken());
    }
    std::string_view header_b64 = token.substr(0, dot1);
    std::string_view payload_b64 = token.substr(dot1 + 1, dot2 - dot1 - 1);
    std::string_view signature_b64 = token.substr(dot2 + 1);

    // Header first: only HS256 is ever accepted, whatever the token claims.
    std::string header_text;
    if (header_b64.empty() || !Base64UrlDecode(header_b64, header_text)) return Fail(InvalidToken());
    auto header = nlohmann::json::parse(header_text, nullptr, false);
    if (header.is_discarded() || !header.is_object()) return Fail(InvalidToken());
    auto alg = header.find("alg");
    if (alg == header.end() || !alg->is_string() || alg->get_ref<const std::string&>() != "HS256") {
        return Fail(InvalidToken());
    }
    if (auto typ = header.find("typ"); typ != header.end()) {
        if (!typ->is_string() || typ->get_ref<const std::string&>() != "JWT") return Fail(InvalidToken());
    }
    if (header.contains("crit")) return Fail(InvalidToken());

    std::string signature;
    if (!Base64UrlDecode(signature_b64, signature) || signature.size() != 32) return Fail(InvalidToken());
    auto expected = HmacSha256(secret, token.substr(0, dot2));
    if (CRYPTO_memcmp(expected.data(), signature.data(), expected.size()) != 0) return Fail(InvalidToken());

    std::string payload_text;
    if (payload_b64.empty() || !Base64UrlDecode(payload_b64, payload_text)) return Fail(InvalidToken());
    auto payload = nlohmann::json::parse(payload_text, nullptr, false);
    if (payload.is_discarded() || !payload.is_object()) return Fail(InvalidToken());

    Claims claims;
    auto sub = payload.find("sub");
    if (sub == payload.end() || !sub->is_string()) return Fail(InvalidToken());
    auto user_id = core::ParseId(sub->get_ref<const std::string&>());
    if (!user_id) return Fail(InvalidToken());
    claims.user_id = *user_id;
    if (!ReadInt(payload, "agency_id", claims.agency_id) || !ReadInt(payload, "iat", claims.iat) ||
        !ReadInt(payload, "exp", claims.exp)) {
        return Fail(InvalidToken());
    }
    auto role = payload.find("role");
    if (role == payload.end() || !role->is_string()) return Fail(InvalidToken());
    auto parsed_role = core::ParseRole(role->get_ref<const std::string&>());
    if (!parsed_role) return Fail(InvalidToken());
    claims.role = *parsed_role;
    auto email = payload.find("email");
    if (email == payload.end() || !email->is_string()) return Fail(InvalidToken());
    claims.email = email->get<std::string>();

    if (now_unix >= claims.exp) return Fail(ErrorCode::kUnauthenticated, "token expired");
    return claims;
}

std::string RandomToken(size_t bytes) {
    EnsureSodium();
    std::string raw(bytes, '\0');
    if (bytes > 0) randombytes_buf(raw.data(), bytes);
    std::string out = core::ToHex(raw);
    sodium_memzero(raw.data(), raw.size());
    return out;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    if (a.empty()) return true;
    return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

namespace {

core::Error TooManyAttempts(const std::string& message, int64_t retry_after_seconds) {
    core::Error e = core::Error::Make(core::ErrorCode::kRateLimited, message);
    e.extra = {{"retryAfterSeconds", retry_after_seconds}};
    return e;
}

void AuditLogin(storage::Store& store, const LoginInput& input, const core::User* user, const std::string& target,
                const std::string& outcome) {
    core::AuditEntry entry;
    if (user != nullptr) {
        entry.agency_id = user->agency_id;
        entry.actor_user_id = user->id;
        entry.actor = user->email;
    } else {
        entry.actor = "anonymous";
    }
    entry.action = "auth.login";
    entry.target = target;
    entry.request_id = input.request_id;
    entry.outcome = outcome;
    if (auto r = store.InsertAudit(entry); !r) spdlog::error("audit log write failed: {}", r.error().message);
}

/// After the password check (on the hash gate's thread): the throttle's count, the audit row and the token.
core::Result<LoginSuccess> FinishLogin(const LoginInput& input, const LoginDeps& deps,
                                       const core::Result<core::User>& user, bool ok) {
    if (!ok) {
        if (auto counted = deps.throttle.RecordFailure(input.email, input.remote_ip); !counted) {
            return core::Fail(counted.error());
        }
        AuditLogin(deps.store, input, nullptr, "user:" + input.email, "denied");
        return core::Fail(core::ErrorCode::kUnauthenticated, "wrong email or password");
    }
    if (!user->disabled_at.empty()) {
        AuditLogin(deps.store, input, &*user, "user:" + std::to_string(user->id), "denied: disabled");
        return core::Fail(core::ErrorCode::kUnauthenticated, "this account is disabled: ask your agency admin");
    }
    auto success = AfterPassword(deps.store, *user,
                                 SessionSettings{deps.jwt_secret, deps.jwt_ttl_seconds, deps.refresh_ttl_seconds});
    if (!success) return success;
    // While a code is due the failures are kept: else the password, known to whoever guesses codes, would wipe
    // their count before every few guesses. The code step clears them once it succeeds.
    if (!success->two_factor_required) {
        if (auto cleared = deps.throttle.RecordSuccess(input.email, input.remote_ip); !cleared) {
            return core::Fail(cleared.error());
        }
    }
    // With a second factor due, the password alone is not yet a login.
    AuditLogin(deps.store, input, &*user, "user:" + std::to_string(user->id),
               success->token.empty() ? "password ok: second factor due" : "success");
    return success;
}

}  // namespace

void Login(LoginInput input, const LoginDeps& deps, std::function<void(core::Result<LoginSuccess>)> done) {
    auto verdict = deps.throttle.Check(input.email, input.remote_ip);
    if (!verdict) return done(core::Fail(verdict.error()));
    if (!verdict->allowed) {
        AuditLogin(deps.store, input, nullptr, "user:" + input.email, "denied: throttled");
        return done(core::Fail(TooManyAttempts(verdict->message, verdict->retry_after_seconds)));
    }
    auto user = deps.store.FindUserByEmail(input.email);
    // Beyond the gate's queue, refuse now rather than pile up memory (or hold worker threads that status reads and
    // Daraja's callbacks need).
    auto ok = std::make_shared<bool>(false);
    auto check = [input, user, ok]() {
        static const std::string kDummyHash = HashPassword("not-a-real-password").value_or("");
        *ok = VerifyPassword(user ? user->password_hash : kDummyHash, input.password) && user.has_value();
    };
    auto answer = [input, deps, done, user, ok]() { done(FinishLogin(input, deps, user, *ok)); };
    if (!deps.hash_gate.Submit(std::move(check), std::move(answer))) {
        done(core::Fail(TooManyAttempts("The server is busy checking other logins: try again in a second", 1)));
    }
}

}  // namespace haven::service
