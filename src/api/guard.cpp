#include "api/guard.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "api/respond.hpp"
#include "core/time.hpp"
#include "service/api_keys.hpp"

namespace haven::api {

using core::ErrorCode;

namespace {

int64_t NowUnix() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

/// `Authorization: Bearer hmk_...`: the key's SHA-256 names one row; a revoked key is refused at once.
core::Result<Caller> ApiKeyCaller(std::string_view key, const ApiContext& ctx) {
    const core::Error refused{ErrorCode::kUnauthenticated, "this API key is not valid or has been revoked"};
    if (!service::LooksLikeApiKey(key)) return tl::unexpected(refused);
    auto row = ctx.store.FindApiKeyByHash(service::HashApiKey(key));
    if (!row) return tl::unexpected(row.error().code == ErrorCode::kNotFound ? refused : row.error());
    if (!row->revoked_at.empty()) return tl::unexpected(refused);
    Caller caller;
    caller.agency_id = row->agency_id;
    caller.role = row->role;
    caller.email = "api-key:" + row->name;
    caller.api_key_id = row->id;
    return caller;
}

/// A token from Haven's auth (HAVEN_JWT_*): its agency claim names an agency by external_id.
core::Result<Caller> HavenCaller(std::string_view token, const ApiContext& ctx) {
    auto identity = ctx.haven_jwt->Verify(token, NowUnix());
    if (!identity) return tl::unexpected(identity.error());
    auto agency = ctx.store.FindAgencyByExternalId(identity->agency_external_id);
    if (!agency) {
        if (agency.error().code != ErrorCode::kNotFound) return tl::unexpected(agency.error());
        return core::Fail(ErrorCode::kForbidden,
                          "no agency here is linked to your Haven agency; an agency admin sets its external id "
                          "(PATCH /api/v1/agency)");
    }
    Caller caller;
    caller.agency_id = agency->id;
    caller.role = identity->role;
    caller.email = "haven:" + (identity->subject.empty() ? std::string("unknown") : identity->subject);
    return caller;
}

/// Tokens issued before the user's tokens_valid_after (set when the account is disabled, its password reset by an
/// admin, or changed by the user) are refused: the other sessions end with the old password.
core::Result<void> RefuseTokenIssuedBeforeCutOff(const Caller& claims, const core::User& user) {
    if (claims.iat < user.tokens_valid_after) {
        return core::Fail(ErrorCode::kUnauthenticated, "this session has ended (the password changed): log in again");
    }
    return {};
}

/// Our own JWT, checked against the user row as it is now (one primary-key read): a disabled account is refused at
/// once, not at expiry, and role and agency come from the row, so a role change applies to the next request.
core::Result<Caller> CheckAgainstUserRow(Caller claims, const ApiContext& ctx) {
    auto user = ctx.store.FindUserById(claims.user_id);
    if (!user) {
        if (user.error().code != ErrorCode::kNotFound) return core::Fail(user.error());
        return core::Fail(ErrorCode::kUnauthenticated, "this account no longer exists: log in again");
    }
    if (!user->disabled_at.empty())
        return core::Fail(ErrorCode::kUnauthenticated, "this account is disabled: ask your agency admin");
    if (auto fresh = RefuseTokenIssuedBeforeCutOff(claims, *user); !fresh) return core::Fail(fresh.error());
    claims.agency_id = user->agency_id;
    claims.role = user->role;
    claims.email = user->email;
    return claims;
}

}  // namespace

core::Result<Caller> Authenticate(const net::Request& req, const ApiContext& ctx) {
    auto header = req.Header("Authorization");
    constexpr std::string_view kBearer = "Bearer ";
    if (!header || header->size() <= kBearer.size() || header->compare(0, kBearer.size(), kBearer) != 0) {
        return core::Fail(ErrorCode::kUnauthenticated, "log in first: send Authorization: Bearer <token>");
    }
    const std::string_view token = std::string_view(*header).substr(kBearer.size());
    // Three kinds of bearer, told apart without guessing: an API key by its prefix, then our own session token,
    // then (when configured) a token from Haven's auth.
    if (token.substr(0, service::kApiKeyPrefix.size()) == service::kApiKeyPrefix) return ApiKeyCaller(token, ctx);
    // A token that carries our signature is ours, and the user row decides about it; only a token that is not ours
    // is offered to Haven's keys.
    auto session = service::VerifyJwt(token, ctx.settings.jwt_secret, NowUnix());
    if (session) return CheckAgainstUserRow(std::move(*session), ctx);
    if (!ctx.haven_jwt) {
        return core::Fail(ErrorCode::kUnauthenticated,
                          "your session is not valid (" + session.error().message + "): log in again");
    }
    auto haven = HavenCaller(token, ctx);
    if (!haven && haven.error().code == ErrorCode::kUnauthenticated && session.error().message == "token expired") {
        return core::Fail(ErrorCode::kUnauthenticated, "your session is not valid (token expired): log in again");
    }
    return haven;
}

namespace {

/// An API key's share of requests (429 with retryAfterSeconds past it), and its last-used time, written at most once
/// a minute. Here and not in Authenticate, so the audit step's second look at the caller costs no token.
core::Result<void> CountKeyUse(const Caller& caller, const ApiContext& ctx) {
    if (caller.api_key_id == 0 || !ctx.api_key_usage) return {};
    if (const int wait = ctx.api_key_usage->Take(caller.api_key_id); wait > 0) {
        core::Error e{ErrorCode::kRateLimited,
                      "this API key has made too many requests; try again in " + std::to_string(wait) + " s"};
        e.extra = {{"retryAfterSeconds", wait}};
        return tl::unexpected(e);
    }
    if (ctx.api_key_usage->ShouldTouch(caller.api_key_id, std::chrono::steady_clock::now())) {
        auto touched = ctx.store.TouchApiKey(caller.api_key_id, core::IsoUtc(std::chrono::system_clock::now()));
        if (!touched)
            spdlog::warn("api key {}: last-used time not saved: {}", caller.api_key_id, touched.error().message);
    }
    return {};
}

net::Response Refusal(const core::Error& error) {
    net::Response res = ErrorResponse(error);
    if (error.code == ErrorCode::kRateLimited && error.extra.is_object() && error.extra.contains("retryAfterSeconds")) {
        res.headers["Retry-After"] = error.extra["retryAfterSeconds"].dump();
    }
    return res;
}

}  // namespace

core::Result<Caller> Admit(const net::Request& req, const ApiContext& ctx, const Guard& guard) {
    auto caller = Authenticate(req, ctx);
    if (!caller) return caller;
    if (auto counted = CountKeyUse(*caller, ctx); !counted) return tl::unexpected(counted.error());
    if (guard.roles.empty() || std::find(guard.roles.begin(), guard.roles.end(), caller->role) != guard.roles.end()) {
        return caller;
    }
    return core::Fail(ErrorCode::kForbidden, guard.forbidden_message.empty()
                                                 ? "your role may not do this; ask an agency admin"
                                                 : guard.forbidden_message);
}

net::Handler Authed(const ApiContext& ctx, Guard guard, AuthedHandler handler) {
    return [&ctx, guard = std::move(guard), handler = std::move(handler)](net::Request& req) {
        auto caller = Admit(req, ctx, guard);
        if (!caller) return Refusal(caller.error());
        return handler(req, *caller);
    };
}

net::AsyncHandler AuthedAsync(const ApiContext& ctx, Guard guard, AuthedAsyncHandler handler) {
    return [&ctx, guard = std::move(guard), handler = std::move(handler)](net::Request& req, net::Reply reply) {
        auto caller = Admit(req, ctx, guard);
        if (!caller) return reply(Refusal(caller.error()));
        handler(req, *caller, std::move(reply));
    };
}

}  // namespace haven::api
