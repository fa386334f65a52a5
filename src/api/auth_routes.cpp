// POST /api/v1/auth/login, GET /api/v1/auth/me
#include "api/accepts.hpp"
#include "api/dto.hpp"
#include "api/guard.hpp"
#include "api/respond.hpp"
#include "api/routes.hpp"
#include "api/sessions.hpp"
#include "core/text.hpp"

namespace haven::api {

using core::ErrorCode;
using nlohmann::json;

namespace {

std::string AgencyName(const ApiContext& ctx, int64_t agency_id) {
    auto agency = ctx.store.FindAgency(agency_id);
    return agency ? agency->name : std::string{};
}

/// A refused login (kRateLimited) carries Retry-After (whole seconds): the login page shows its message as it is.
net::Response LoginError(const core::Error& error) {
    net::Response res = ErrorResponse(error);
    if (error.code == ErrorCode::kRateLimited && error.extra.is_object() && error.extra.contains("retryAfterSeconds")) {
        res.headers["Retry-After"] = error.extra["retryAfterSeconds"].dump();
    }
    return res;
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
    service::LoginInput input{*email, raw_password.get<std::string>(), req.remote_ip, req.request_id};
    service::Login(std::move(input), ctx.LoginDeps(), [reply](core::Result<service::LoginSuccess> out) {
        if (!out) return reply(LoginError(out.error()));
        reply(LoginAnswer(*out));
    });
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
