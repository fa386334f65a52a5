// POST /api/v1/auth/login, GET /api/v1/auth/me
#include <chrono>

#include "api/accepts.hpp"
#include "api/dto.hpp"
#include "api/guard.hpp"
#include "api/respond.hpp"
#include "api/routes.hpp"
#include "core/text.hpp"

namespace haven::api {

using core::ErrorCode;
using nlohmann::json;

namespace {

std::string AgencyName(const ApiContext& ctx, int64_t agency_id) {
    auto agency = ctx.store.FindAgency(agency_id);
    return agency ? agency->name : std::string{};
}

/// 429 RATE_LIMITED with Retry-After (whole seconds) and a message the login page shows as it is.
net::Response TooManyRequests(const std::string& message, int64_t retry_after_seconds) {
    net::Response res = ErrorResponse(ErrorCode::kRateLimited, message);
    res.headers["Retry-After"] = std::to_string(retry_after_seconds);
    return res;
}

/// After the password check (on the hash gate's thread): the throttle's count, the audit row and the token.
net::Response FinishLogin(const net::Request& req, ApiContext& ctx, const std::string& email,
                          const core::Result<core::User>& user, bool ok) {
    if (!ok) {
        if (auto counted = ctx.login_throttle.RecordFailure(email, req.remote_ip); !counted) {
            return ErrorResponse(counted.error());
        }
        Audit(ctx, req, std::nullopt, "auth.login", "user:" + email, "denied");
        return ErrorResponse(ErrorCode::kUnauthenticated, "wrong email or password");
    }
    if (auto cleared = ctx.login_throttle.RecordSuccess(email, req.remote_ip); !cleared) {
        return ErrorResponse(cleared.error());
    }
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    service::Claims claims{user->id, user->agency_id, user->role, user->email, now, now + ctx.settings.jwt_ttl_seconds};
    Audit(ctx, req, claims, "auth.login", "user:" + std::to_string(user->id), "success");
    return Ok({{"token", service::IssueJwt(claims, ctx.settings.jwt_secret)},
               {"expiresIn", ctx.settings.jwt_ttl_seconds},
               {"user", UserJson(*user, AgencyName(ctx, user->agency_id))}});
}

void Login(net::Request& req, ApiContext& ctx, net::Reply reply) {
    auto body = ParseJsonBody(req);
    if (!body) return reply(ErrorResponse(body.error()));
    auto email = core::RequireText(*body, "email", 254);
    // The password is taken byte for byte: spaces are part of it.
    const auto& raw_password = (*body)["password"];
    const bool password_ok = raw_password.is_string() && !raw_password.get<std::string>().empty() &&
                             raw_password.get<std::string>().size() <= 1024;
    if (!email || !password_ok) {
        core::Error err = core::Error::Make(ErrorCode::kValidation, "email and password are required");
        if (!email) err.details.push_back(email.error().details.front());
        if (!password_ok) err.details.push_back({"password", "password is required"});
        return reply(ErrorResponse(err));
    }
    const std::string password = raw_password.get<std::string>();

    // Throttled: refused before the password is checked, so guessing gains nothing while it waits.
    auto verdict = ctx.login_throttle.Check(*email, req.remote_ip);
    if (!verdict) return reply(ErrorResponse(verdict.error()));
    if (!verdict->allowed) {
        Audit(ctx, req, std::nullopt, "auth.login", "user:" + *email, "denied: throttled");
        return reply(TooManyRequests(verdict->message, verdict->retry_after_seconds));
    }

    auto user = ctx.store.FindUserByEmail(*email);
    // A bounded number of argon2id checks at once, on the gate's own threads; beyond its queue, refuse now rather
    // than pile up memory (or hold worker threads that status reads and Daraja's callbacks need).
    auto check = [&req, &ctx, reply, email = *email, password, user]() {
        // Verify against a real hash even for unknown emails, so timing does not reveal which exist.
        static const std::string kDummyHash = service::HashPassword("not-a-real-password").value_or("");
        const bool ok = service::VerifyPassword(user ? user->password_hash : kDummyHash, password) && user.has_value();
        reply(FinishLogin(req, ctx, email, user, ok));
    };
    if (!ctx.hash_gate.Submit(std::move(check))) {
        reply(TooManyRequests("The server is busy checking other logins: try again in a second", 1));
    }
}

net::Response Me(const Caller& caller, ApiContext& ctx) {
    auto user = ctx.store.FindUserById(caller.user_id);
    if (!user) return ErrorResponse(ErrorCode::kUnauthenticated, "this account no longer exists: log in again");
    return Ok(UserJson(*user, AgencyName(ctx, user->agency_id)));
}

}  // namespace

void RegisterAuthRoutes(net::Router& router, ApiContext& ctx) {
    router.AddAsync("POST", "/api/v1/auth/login", Accepts(kJsonBody, [&ctx](net::Request& req, net::Reply reply) {
                        Login(req, ctx, std::move(reply));
                    }));
    router.Add("GET", "/api/v1/auth/me",
               Authed(ctx, kSignedIn, [&ctx](net::Request&, const Caller& caller) { return Me(caller, ctx); }));
}

}  // namespace haven::api
