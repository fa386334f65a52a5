#include "service/sessions.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <chrono>
#include <nlohmann/json.hpp>

#include "core/hex.hpp"
#include "core/text.hpp"
#include "service/totp.hpp"

namespace haven::service {

using core::ErrorCode;

namespace {

constexpr std::string_view kChallengeDomain = "haven-mpesa two-factor challenge v1.";

int64_t NowUnix() { return NowMs() / 1000; }

std::string Sign(std::string_view secret, std::string_view payload) {
    std::string message(kChallengeDomain);
    message.append(payload);
    std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
    unsigned int len = 0;
    HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
         reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac.data(), &len);
    return std::string(reinterpret_cast<const char*>(mac.data()), len);
}

const char* PurposeName(ChallengePurpose p) { return p == ChallengePurpose::kLogin ? "login" : "enrol"; }

core::Error Refused(const std::string& reason, int64_t user_id, const std::string& message) {
    core::Error e = core::Error::Make(ErrorCode::kUnauthenticated, message);
    e.extra = {{"reason", reason}, {"userId", user_id}};
    return e;
}

/// The access token and the next refresh token of `family`.
core::Result<SessionTokens> Issue(storage::Store& store, const core::User& user, const std::string& family,
                                  const SessionSettings& settings) {
    const int64_t now_ms = NowMs();
    const int64_t now = now_ms / 1000;
    SessionTokens out;
    // A token's iat is in whole seconds: one issued in the second after a password change would otherwise fall before
    // the cut-off (tokens_valid_after is the next second), so it carries the cut-off instead.
    const int64_t issued_at = std::max<int64_t>(now, user.tokens_valid_after);
    out.access_token =
        IssueJwt(Claims{user.id, user.agency_id, user.role, user.email, issued_at, now + settings.access_ttl_seconds},
                 settings.jwt_secret);
    out.expires_in = settings.access_ttl_seconds;
    out.refresh_token = RandomToken(32);
    out.refresh_expires_in = settings.refresh_ttl_seconds;
    storage::RefreshToken row{core::Sha256Hex(out.refresh_token), family, user.id, now_ms,
                              now_ms + settings.refresh_ttl_seconds * 1000};
    if (auto stored = store.InsertRefreshToken(row); !stored) return core::Fail(stored.error());
    return out;
}

}  // namespace

int64_t NowMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

core::Result<SessionTokens> StartSession(storage::Store& store, const core::User& user,
                                         const SessionSettings& settings) {
    // Expired chains are pruned lazily: at most once a minute per process, on a login.
    static std::atomic<int64_t> next_prune_ms{0};
    const int64_t now_ms = NowMs();
    if (int64_t due = next_prune_ms.load();
        now_ms >= due && next_prune_ms.compare_exchange_strong(due, now_ms + 60000)) {
        if (auto pruned = store.PruneRefreshTokens(now_ms); !pruned) {
            spdlog::warn("pruning expired refresh tokens failed: {}", pruned.error().message);
        }
    }
    return Issue(store, user, RandomToken(16), settings);
}

core::Result<Refreshed> RefreshSession(storage::Store& store, const std::string& refresh_token,
                                       const SessionSettings& settings) {
    if (refresh_token.empty() || refresh_token.size() > 256) {
        return core::Fail(Refused("unknown", 0, "no refresh token: log in again"));
    }
    auto spent = store.SpendRefreshToken(core::Sha256Hex(refresh_token), NowMs());
    if (!spent) return core::Fail(spent.error());
    switch (spent->outcome) {
        case storage::RefreshSpend::kSpent:
            break;
        case storage::RefreshSpend::kReused:
            return core::Fail(Refused("reused", spent->user_id,
                                      "this refresh token was already used, so every session of its chain has "
                                      "ended: log in again"));
        case storage::RefreshSpend::kRevoked:
            return core::Fail(Refused("revoked", spent->user_id, "your session has ended: log in again"));
        case storage::RefreshSpend::kExpired:
            return core::Fail(Refused("expired", spent->user_id, "your session expired: log in again"));
        case storage::RefreshSpend::kUnknown:
            return core::Fail(Refused("unknown", 0, "your session is not valid: log in again"));
    }
    auto user = store.FindUserById(spent->user_id);
    if (!user) {
        if (user.error().code != ErrorCode::kNotFound) return core::Fail(user.error());
        return core::Fail(Refused("revoked", spent->user_id, "this account no longer exists: log in again"));
    }
    // A disabled account, or a chain begun before the password changed or an admin reset it, ends here.
    if (!user->disabled_at.empty()) {
        return core::Fail(Refused("revoked", spent->user_id, "this account is disabled: ask your agency admin"));
    }
    if (spent->created_at_ms < user->tokens_valid_after * 1000) {
        return core::Fail(
            Refused("revoked", spent->user_id, "this session has ended (the password changed): log in again"));
    }
    auto tokens = Issue(store, *user, spent->family_id, settings);
    if (!tokens) return core::Fail(tokens.error());
    return Refreshed{std::move(*tokens), std::move(*user)};
}

core::Result<int64_t> EndSession(storage::Store& store, const std::string& refresh_token) {
    if (refresh_token.empty() || refresh_token.size() > 256) return int64_t{0};
    return store.RevokeRefreshFamilyOf(core::Sha256Hex(refresh_token), NowMs());
}

std::string IssueChallenge(int64_t user_id, ChallengePurpose purpose, std::string_view secret, int64_t now_unix) {
    const nlohmann::json payload = {{"sub", std::to_string(user_id)},
                                    {"purpose", PurposeName(purpose)},
                                    {"exp", now_unix + kChallengeSeconds},
                                    {"nonce", RandomToken(8)}};
    const std::string body = Base64UrlEncode(payload.dump());
    return body + "." + Base64UrlEncode(Sign(secret, body));
}

core::Result<int64_t> VerifyChallenge(std::string_view challenge, ChallengePurpose purpose, std::string_view secret,
                                      int64_t now_unix) {
    auto invalid = [] {
        return core::Fail(ErrorCode::kUnauthenticated, "this sign-in step is not valid or has expired: log in again");
    };
    const auto dot = challenge.find('.');
    if (secret.empty() || challenge.size() > 1024 || dot == std::string_view::npos) return invalid();
    const std::string_view body = challenge.substr(0, dot);
    std::string signature;
    if (!Base64UrlDecode(challenge.substr(dot + 1), signature)) return invalid();
    const std::string expected = Sign(secret, body);
    if (!ConstantTimeEquals(expected, signature)) return invalid();
    std::string text;
    if (!Base64UrlDecode(body, text)) return invalid();
    auto payload = nlohmann::json::parse(text, nullptr, false);
    if (!payload.is_object() || !payload.contains("sub") || !payload["sub"].is_string() || !payload.contains("exp") ||
        !payload["exp"].is_number_integer() || payload.value("purpose", "") != PurposeName(purpose)) {
        return invalid();
    }
    if (now_unix >= payload["exp"].get<int64_t>()) return invalid();
    auto id = core::ParseId(payload["sub"].get<std::string>());
    if (!id) return invalid();
    return *id;
}

std::vector<std::string> NewRecoveryCodes() {
    static constexpr std::string_view kAlphabet = "abcdefghjkmnpqrstuvwxyz23456789";  // no 0/o, 1/l/i
    if (sodium_init() < 0) return {};
    std::vector<std::string> codes;
    for (int i = 0; i < kRecoveryCodeCount; ++i) {
        std::string code;
        for (int j = 0; j < 10; ++j) {
            if (j == 5) code += '-';
            code += kAlphabet[randombytes_uniform(static_cast<uint32_t>(kAlphabet.size()))];
        }
        codes.push_back(std::move(code));
    }
    return codes;
}

std::string RecoveryCodeHash(std::string_view code) {
    std::string normal;
    for (char ch : code) {
        if (ch == '-' || ch == ' ') continue;
        normal += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    }
    return core::Sha256Hex(normal);
}

core::Result<void> CheckSecondFactor(storage::Store& store, int64_t user_id, const std::string& code,
                                     const std::string& recovery_code, int64_t now_unix) {
    auto wrong = [] { return core::Fail(ErrorCode::kUnauthenticated, "wrong code"); };
    if (!recovery_code.empty()) {
        auto used = store.UseRecoveryCode(user_id, RecoveryCodeHash(recovery_code), now_unix * 1000);
        if (!used) return core::Fail(used.error());
        if (!*used) return wrong();
        return {};
    }
    if (code.empty()) return core::Fail(ErrorCode::kValidation, "enter the 6-digit code from your app");
    auto totp = store.FindTotp(user_id);
    if (!totp) return totp.error().code == ErrorCode::kNotFound ? wrong() : core::Fail(totp.error());
    auto key = Base32Decode(totp->secret);
    if (!key) return core::Fail(ErrorCode::kInternal, "the stored two-factor secret is unreadable");
    auto step = MatchTotp(*key, code, now_unix);
    if (!step) return wrong();
    // A code seen once (here or at enrolment) is not good again, even within its 90 seconds.
    auto claimed = store.ClaimTotpStep(user_id, *step);
    if (!claimed) return core::Fail(claimed.error());
    if (!*claimed) return wrong();
    return {};
}

core::Result<LoginSuccess> AfterPassword(storage::Store& store, const core::User& user,
                                         const SessionSettings& settings) {
    LoginSuccess out;
    out.user = user;
    auto agency = store.FindAgency(user.agency_id);
    out.agency_name = agency ? agency->name : std::string{};
    auto totp = store.FindTotp(user.id);
    if (!totp && totp.error().code != ErrorCode::kNotFound) return core::Fail(totp.error());
    if (totp && totp->enabled) {
        out.two_factor_required = true;
        out.challenge = IssueChallenge(user.id, ChallengePurpose::kLogin, settings.jwt_secret, NowUnix());
        return out;
    }
    if (user.role == core::Role::kAdmin) {
        auto required = store.RequireAdminTwoFactor(user.agency_id);
        if (!required) return core::Fail(required.error());
        if (*required) {
            out.two_factor_setup_required = true;
            out.challenge = IssueChallenge(user.id, ChallengePurpose::kEnrol, settings.jwt_secret, NowUnix());
            return out;
        }
    }
    auto tokens = StartSession(store, user, settings);
    if (!tokens) return core::Fail(tokens.error());
    out.token = tokens->access_token;
    out.expires_in = tokens->expires_in;
    out.refresh_token = tokens->refresh_token;
    out.refresh_expires_in = tokens->refresh_expires_in;
    return out;
}

}  // namespace haven::service
