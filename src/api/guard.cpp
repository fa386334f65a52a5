#include "api/guard.hpp"

#include <algorithm>
#include <chrono>

#include "api/respond.hpp"

namespace haven::api {

using core::ErrorCode;

namespace {

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
    if (!user->disabled_at.empty()) return core::Fail(ErrorCode::kUnauthenticated, "this account is disabled");
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
    const auto now =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    auto claims = service::VerifyJwt(std::string_view(*header).substr(kBearer.size()), ctx.settings.jwt_secret, now);
    if (!claims) {
        return core::Fail(ErrorCode::kUnauthenticated,
                          "your session is not valid (" + claims.error().message + "): log in again");
    }
    return CheckAgainstUserRow(std::move(*claims), ctx);
}

core::Result<Caller> Admit(const net::Request& req, const ApiContext& ctx, const Guard& guard) {
    auto caller = Authenticate(req, ctx);
    if (!caller) return caller;
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
        if (!caller) return ErrorResponse(caller.error());
        return handler(req, *caller);
    };
}

net::AsyncHandler AuthedAsync(const ApiContext& ctx, Guard guard, AuthedAsyncHandler handler) {
    return [&ctx, guard = std::move(guard), handler = std::move(handler)](net::Request& req, net::Reply reply) {
        auto caller = Admit(req, ctx, guard);
        if (!caller) return reply(ErrorResponse(caller.error()));
        handler(req, *caller, std::move(reply));
    };
}

}  // namespace haven::api
