// Sessions and two-factor login:
//   POST /api/v1/auth/refresh, POST /api/v1/auth/logout, POST /api/v1/auth/login/totp,
//   GET /api/v1/auth/totp, POST /api/v1/auth/totp/{setup,enable,disable},
//   GET/PATCH /api/v1/agency/security (admins: require two-factor login for admins).
#include <optional>
#include <string>

#include "api/accepts.hpp"
#include "api/dto.hpp"
#include "api/guard.hpp"
#include "api/respond.hpp"
#include "api/routes.hpp"
#include "api/sessions.hpp"
#include "service/sessions.hpp"
#include "service/totp.hpp"

namespace haven::api {

using core::ErrorCode;
using nlohmann::json;

namespace {

constexpr std::string_view kRefreshCookie = "haven_refresh";

int64_t NowUnix() { return service::NowMs() / 1000; }

std::string RefreshCookie(const std::string& token, int64_t max_age) {
    return std::string(kRefreshCookie) + "=" + token + "; Max-Age=" + std::to_string(max_age) +
           "; Path=/api/v1/auth; HttpOnly; SameSite=Strict";
}

/// The refresh token: the body's "refreshToken" (API clients) wins over the cookie (the browser).
std::string PresentedRefreshToken(const net::Request& req, const json& body) {
    if (body.is_object() && body.contains("refreshToken") && body["refreshToken"].is_string()) {
        return body["refreshToken"].get<std::string>();
    }
    auto cookies = req.Header("Cookie");
    if (!cookies) return {};
    const std::string prefix = std::string(kRefreshCookie) + "=";
    size_t pos = 0;
    while (pos < cookies->size()) {
        size_t end = cookies->find(';', pos);
        if (end == std::string::npos) end = cookies->size();
        std::string_view part(cookies->data() + pos, end - pos);
        while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
        if (part.substr(0, prefix.size()) == prefix) return std::string(part.substr(prefix.size()));
        pos = end + 1;
    }
    return {};
}

/// The body as an object; an empty body is {} (the browser's refresh may send only its cookie).
core::Result<json> BodyOrEmpty(const net::Request& req) {
    if (req.body.empty()) return json::object();
    return ParseJsonBody(req);
}

std::string TextField(const json& body, const char* name) {
    if (!body.contains(name) || !body[name].is_string()) return {};
    return body[name].get<std::string>();
}

net::Response ClearCookie(net::Response res) {
    res.headers["Set-Cookie"] = RefreshCookie("", 0);
    return res;
}

net::Response SessionAnswer(const service::SessionTokens& tokens, const core::User& user,
                            const std::string& agency_name) {
    service::LoginSuccess login;
    login.token = tokens.access_token;
    login.expires_in = tokens.expires_in;
    login.refresh_token = tokens.refresh_token;
    login.refresh_expires_in = tokens.refresh_expires_in;
    login.user = user;
    login.agency_name = agency_name;
    return LoginAnswer(login);
}

std::string AgencyName(const ApiContext& ctx, int64_t agency_id) {
    auto agency = ctx.store.FindAgency(agency_id);
    return agency ? agency->name : std::string{};
}

service::Claims ClaimsOf(const core::User& user) {
    service::Claims c;
    c.user_id = user.id;
    c.agency_id = user.agency_id;
    c.role = user.role;
    c.email = user.email;
    return c;
}

net::Response Refresh(net::Request& req, ApiContext& ctx) {
    auto body = BodyOrEmpty(req);
    if (!body) return ErrorResponse(body.error());
    auto refreshed = service::RefreshSession(ctx.store, PresentedRefreshToken(req, *body), ctx.SessionSettings());
    if (!refreshed) {
        const auto& extra = refreshed.error().extra;
        if (refreshed.error().code == ErrorCode::kUnauthenticated && extra.is_object()) {
            const std::string reason = extra.value("reason", "");
            if (reason == "reused") {
                // Someone presented a spent token: the chain is revoked, and a person may want to know.
                Audit(ctx, req, std::nullopt, "session.refresh", "user:" + std::to_string(extra.value("userId", 0)),
                      "denied: reused refresh token, chain revoked");
            }
        }
        core::Error shown = refreshed.error();
        shown.extra = nullptr;
        return ClearCookie(ErrorResponse(shown));
    }
    Audit(ctx, req, ClaimsOf(refreshed->user), "session.refresh", "user:" + std::to_string(refreshed->user.id),
          "success");
    return SessionAnswer(refreshed->tokens, refreshed->user, AgencyName(ctx, refreshed->user.agency_id));
}

net::Response Logout(net::Request& req, ApiContext& ctx) {
    auto body = BodyOrEmpty(req);
    if (!body) return ErrorResponse(body.error());
    auto ended = service::EndSession(ctx.store, PresentedRefreshToken(req, *body));
    if (!ended) return ErrorResponse(ended.error());
    std::optional<service::Claims> who;
    if (auto caller = Authenticate(req, ctx)) who = *caller;
    Audit(ctx, req, who, "session.logout", "user:" + std::to_string(*ended), *ended != 0 ? "success" : "no session");
    // Logging out twice, or with a token already gone, still ends with no session: 200 either way.
    return ClearCookie(Ok({{"loggedOut", true}}));
}

/// Who may enrol: a signed-in user, or the holder of an enrolment challenge (an admin the agency's policy stops).
core::Result<core::User> Enroller(const net::Request& req, const ApiContext& ctx, const json& body) {
    if (auto caller = Authenticate(req, ctx)) return ctx.store.FindUserById(caller->user_id);
    const std::string challenge = TextField(body, "challenge");
    if (challenge.empty()) return core::Fail(ErrorCode::kUnauthenticated, "log in first");
    auto user_id =
        service::VerifyChallenge(challenge, service::ChallengePurpose::kEnrol, ctx.settings.jwt_secret, NowUnix());
    if (!user_id) return core::Fail(user_id.error());
    return ctx.store.FindUserById(*user_id);
}

net::Response TotpStatus(const Caller& caller, ApiContext& ctx) {
    auto totp = ctx.store.FindTotp(caller.user_id);
    if (!totp && totp.error().code != ErrorCode::kNotFound) return ErrorResponse(totp.error());
    const bool enabled = totp && totp->enabled;
    auto left = enabled ? ctx.store.CountRecoveryCodes(caller.user_id) : core::Result<int64_t>(0);
    if (!left) return ErrorResponse(left.error());
    return Ok({{"enabled", enabled}, {"recoveryCodesLeft", *left}});
}

net::Response TotpSetup(net::Request& req, ApiContext& ctx) {
    auto body = BodyOrEmpty(req);
    if (!body) return ErrorResponse(body.error());
    auto user = Enroller(req, ctx, *body);
    if (!user) return ErrorResponse(user.error());
    const std::string secret = service::NewTotpSecret();
    if (auto started = ctx.store.StartTotp(user->id, secret, service::NowMs()); !started) {
        return ErrorResponse(started.error());
    }
    // The only time the secret leaves the server: the user's app needs it once.
    return Ok({{"secret", secret}, {"otpauthUri", service::OtpauthUri(secret, user->email)}});
}

net::Response TotpEnable(net::Request& req, ApiContext& ctx) {
    auto body = BodyOrEmpty(req);
    if (!body) return ErrorResponse(body.error());
    const bool by_challenge = !Authenticate(req, ctx).has_value();
    auto user = Enroller(req, ctx, *body);
    if (!user) return ErrorResponse(user.error());
    const std::string code = TextField(*body, "code");
    auto totp = ctx.store.FindTotp(user->id);
    if (!totp || totp->enabled) {
        return ErrorResponse(ErrorCode::kConflict, "start with POST /api/v1/auth/totp/setup: no set-up is waiting");
    }
    auto key = service::Base32Decode(totp->secret);
    auto step = key ? service::MatchTotp(*key, code, NowUnix()) : std::nullopt;
    if (!step) {
        Audit(ctx, req, ClaimsOf(*user), "totp.enable", "user:" + std::to_string(user->id), "denied: wrong code");
        return ErrorResponse(ErrorCode::kValidation,
                             "that code is not right: check the time on your phone and try again");
    }
    if (auto claimed = ctx.store.ClaimTotpStep(user->id, *step); !claimed) return ErrorResponse(claimed.error());
    const auto codes = service::NewRecoveryCodes();
    std::vector<std::string> hashes;
    for (const auto& c : codes) hashes.push_back(service::RecoveryCodeHash(c));
    if (auto on = ctx.store.EnableTotp(user->id, hashes); !on) return ErrorResponse(on.error());
    Audit(ctx, req, ClaimsOf(*user), "totp.enable", "user:" + std::to_string(user->id), "success");
    json data = {{"enabled", true}, {"recoveryCodes", codes}};
    if (by_challenge) {
        // Enrolled under the agency's policy: this completes the login that asked for it.
        auto tokens = service::StartSession(ctx.store, *user, ctx.SessionSettings());
        if (!tokens) return ErrorResponse(tokens.error());
        net::Response res = SessionAnswer(*tokens, *user, AgencyName(ctx, user->agency_id));
        auto answer = json::parse(res.body, nullptr, false);
        answer["data"]["enabled"] = true;
        answer["data"]["recoveryCodes"] = codes;
        res.body = answer.dump();
        return res;
    }
    return Ok(data);
}

void TotpDisable(net::Request& req, const Caller& caller, ApiContext& ctx, net::Reply reply) {
    auto body = BodyOrEmpty(req);
    if (!body) return reply(ErrorResponse(body.error()));
    auto user = ctx.store.FindUserById(caller.user_id);
    if (!user) return reply(ErrorResponse(user.error()));
    auto totp = ctx.store.FindTotp(caller.user_id);
    if (!totp || !totp->enabled) return reply(ErrorResponse(ErrorCode::kConflict, "two-factor login is not on"));
    auto finish = [&ctx, req, caller, reply](bool ok) {
        if (!ok) {
            Audit(ctx, req, caller, "totp.disable", "user:" + std::to_string(caller.user_id), "denied");
            return reply(ErrorResponse(ErrorCode::kUnauthenticated, "wrong password or code"));
        }
        if (auto off = ctx.store.DisableTotp(caller.user_id); !off) return reply(ErrorResponse(off.error()));
        Audit(ctx, req, caller, "totp.disable", "user:" + std::to_string(caller.user_id), "success");
        reply(Ok({{"enabled", false}}));
    };
    const std::string code = TextField(*body, "code");
    if (!code.empty()) {
        auto checked = service::CheckSecondFactor(ctx.store, caller.user_id, code, "", NowUnix());
        if (!checked && checked.error().code != ErrorCode::kUnauthenticated) {
            return reply(ErrorResponse(checked.error()));
        }
        return finish(checked.has_value());
    }
    const std::string password = TextField(*body, "password");
    if (password.empty() || password.size() > 1024) {
        return reply(ErrorResponse(ErrorCode::kValidation, "give your password or a code from your app"));
    }
    auto ok = std::make_shared<bool>(false);
    auto hash = user->password_hash;
    if (!ctx.hash_gate.Submit([ok, hash, password] { *ok = service::VerifyPassword(hash, password); },
                              [ok, finish] { finish(*ok); })) {
        reply(ErrorResponse(ErrorCode::kRateLimited, "the server is busy: try again in a second"));
    }
}

/// The second step of a login: the challenge from the password step and a code or a recovery code. Wrong codes
/// count in the login throttle like wrong passwords.
net::Response LoginTotp(net::Request& req, ApiContext& ctx) {
    auto body = ParseJsonBody(req);
    if (!body) return ErrorResponse(body.error());
    auto user_id = service::VerifyChallenge(TextField(*body, "challenge"), service::ChallengePurpose::kLogin,
                                            ctx.settings.jwt_secret, NowUnix());
    if (!user_id) return ErrorResponse(user_id.error());
    auto user = ctx.store.FindUserById(*user_id);
    if (!user) return ErrorResponse(ErrorCode::kUnauthenticated, "this account no longer exists");
    auto verdict = ctx.login_throttle.Check(user->email, req.remote_ip);
    if (!verdict) return ErrorResponse(verdict.error());
    if (!verdict->allowed) {
        Audit(ctx, req, ClaimsOf(*user), "auth.login", "user:" + std::to_string(user->id), "denied: throttled");
        core::Error e = core::Error::Make(ErrorCode::kRateLimited, verdict->message);
        net::Response res = ErrorResponse(e);
        res.headers["Retry-After"] = std::to_string(verdict->retry_after_seconds);
        return res;
    }
    auto checked = service::CheckSecondFactor(ctx.store, user->id, TextField(*body, "code"),
                                              TextField(*body, "recoveryCode"), NowUnix());
    if (!checked) {
        if (checked.error().code == ErrorCode::kUnauthenticated) {
            if (auto counted = ctx.login_throttle.RecordFailure(user->email, req.remote_ip); !counted) {
                return ErrorResponse(counted.error());
            }
            Audit(ctx, req, ClaimsOf(*user), "auth.login", "user:" + std::to_string(user->id),
                  "denied: wrong second factor");
        }
        return ErrorResponse(checked.error());
    }
    if (auto cleared = ctx.login_throttle.RecordSuccess(user->email, req.remote_ip); !cleared) {
        return ErrorResponse(cleared.error());
    }
    auto tokens = service::StartSession(ctx.store, *user, ctx.SessionSettings());
    if (!tokens) return ErrorResponse(tokens.error());
    Audit(ctx, req, ClaimsOf(*user), "auth.login", "user:" + std::to_string(user->id),
          TextField(*body, "recoveryCode").empty() ? "success" : "success: recovery code");
    return SessionAnswer(*tokens, *user, AgencyName(ctx, user->agency_id));
}

net::Response GetSecurity(const Caller& caller, ApiContext& ctx) {
    auto required = ctx.store.RequireAdminTwoFactor(caller.agency_id);
    if (!required) return ErrorResponse(required.error());
    return Ok({{"requireAdminTwoFactor", *required}});
}

net::Response PatchSecurity(net::Request& req, const Caller& caller, ApiContext& ctx) {
    auto body = ParseJsonBody(req);
    if (!body) return ErrorResponse(body.error());
    if (!body->contains("requireAdminTwoFactor") || !(*body)["requireAdminTwoFactor"].is_boolean()) {
        core::Error err = core::Error::Make(ErrorCode::kValidation, "requireAdminTwoFactor must be true or false");
        err.details.push_back({"requireAdminTwoFactor", "true or false"});
        return ErrorResponse(err);
    }
    const bool required = (*body)["requireAdminTwoFactor"].get<bool>();
    if (auto set = ctx.store.SetRequireAdminTwoFactor(caller.agency_id, required); !set) {
        return ErrorResponse(set.error());
    }
    return Ok({{"requireAdminTwoFactor", required}});
}

}  // namespace

net::Response LoginAnswer(const service::LoginSuccess& login) {
    if (login.two_factor_required || login.two_factor_setup_required) {
        json data = {{"challenge", login.challenge}, {"challengeExpiresIn", service::kChallengeSeconds}};
        data[login.two_factor_required ? "twoFactorRequired" : "twoFactorSetupRequired"] = true;
        return Ok(data);
    }
    net::Response res = Ok({{"token", login.token},
                            {"expiresIn", login.expires_in},
                            {"refreshToken", login.refresh_token},
                            {"refreshExpiresIn", login.refresh_expires_in},
                            {"user", UserJson(login.user, login.agency_name)}});
    res.headers["Set-Cookie"] = RefreshCookie(login.refresh_token, login.refresh_expires_in);
    return res;
}

void RegisterSessionRoutes(net::Router& router, ApiContext& ctx) {
    const Guard admins{{core::Role::kAdmin}, "only an agency admin may change the agency's security settings"};
    router.Add("POST", "/api/v1/auth/refresh",
               Accepts(kJsonBody, [&ctx](net::Request& req) { return Refresh(req, ctx); }));
    router.Add("POST", "/api/v1/auth/logout",
               Accepts(kJsonBody, [&ctx](net::Request& req) { return Logout(req, ctx); }));
    router.Add("POST", "/api/v1/auth/login/totp",
               Accepts(kJsonBody, [&ctx](net::Request& req) { return LoginTotp(req, ctx); }));
    router.Add("GET", "/api/v1/auth/totp",
               Authed(ctx, kSignedIn, [&ctx](net::Request&, const Caller& c) { return TotpStatus(c, ctx); }));
    router.Add("POST", "/api/v1/auth/totp/setup",
               Accepts(kJsonBody, [&ctx](net::Request& req) { return TotpSetup(req, ctx); }));
    router.Add("POST", "/api/v1/auth/totp/enable",
               Accepts(kJsonBody, [&ctx](net::Request& req) { return TotpEnable(req, ctx); }));
    router.AddAsync(
        "POST", "/api/v1/auth/totp/disable",
        Accepts(kJsonBody, AuthedAsync(ctx, kSignedIn, [&ctx](net::Request& req, const Caller& c, net::Reply reply) {
                    TotpDisable(req, c, ctx, std::move(reply));
                })));
    router.Add("GET", "/api/v1/agency/security",
               Authed(ctx, kSignedIn, [&ctx](net::Request&, const Caller& c) { return GetSecurity(c, ctx); }));
    router.Add("PATCH", "/api/v1/agency/security",
               Accepts(kJsonBody,
                       Audited(ctx, "agency.security", Authed(ctx, admins, [&ctx](net::Request& req, const Caller& c) {
                                   return PatchSecurity(req, c, ctx);
                               }))));
}

}  // namespace haven::api
