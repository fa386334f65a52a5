// Sessions (15-minute access tokens, rotating refresh tokens, logout) and two-factor login (TOTP, recovery codes,
// the agency's policy for admins), over loopback against a real gateway.
#include <chrono>
#include <string>

#include "gateway_fixture.hpp"
#include "service/auth.hpp"
#include "service/totp.hpp"

namespace haven::testing {
namespace {

int64_t NowUnix() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

class Sessions : public GatewayTest {
  protected:
    json LoginData(const std::string& email, const std::string& password = kPassword) {
        auto r = Api("POST", "/api/v1/auth/login", {{"email", email}, {"password", password}});
        EXPECT_EQ(r.status, 200) << r.body.dump();
        return r.body["data"];
    }

    Reply Refresh(const std::string& refresh_token) {
        return Api("POST", "/api/v1/auth/refresh", {{"refreshToken", refresh_token}});
    }

    /// The code an authenticator app shows now for `secret`, or one step on (a code is good once per step).
    static std::string CodeFor(const std::string& secret, int64_t steps_ahead = 0) {
        return service::TotpCode(*service::Base32Decode(secret), NowUnix() + steps_ahead * 30);
    }

    /// Enrols `token`'s user; returns {secret, recoveryCodes}.
    std::pair<std::string, json> Enrol(const std::string& token) {
        auto setup = Api("POST", "/api/v1/auth/totp/setup", json::object(), token);
        EXPECT_EQ(setup.status, 200) << setup.body.dump();
        const std::string secret = setup.body["data"].value("secret", "");
        auto enable = Api("POST", "/api/v1/auth/totp/enable", {{"code", CodeFor(secret)}}, token);
        EXPECT_EQ(enable.status, 200) << enable.body.dump();
        return {secret, enable.body["data"]["recoveryCodes"]};
    }
};

TEST_F(Sessions, AccessTokenLivesFifteenMinutesAndLoginReturnsARefreshToken) {
    auto r = Api("POST", "/api/v1/auth/login", {{"email", "admin@a.test"}, {"password", kPassword}});
    ASSERT_EQ(r.status, 200) << r.body.dump();
    EXPECT_EQ(r.body["data"]["expiresIn"], 900);
    EXPECT_EQ(r.body["data"]["refreshExpiresIn"], 43200);
    auto claims =
        service::VerifyJwt(r.body["data"]["token"].get<std::string>(), gateway_->config().jwt_secret, NowUnix());
    ASSERT_TRUE(claims.has_value());
    EXPECT_EQ(claims->exp - claims->iat, 900);
    const std::string refresh = r.body["data"]["refreshToken"];
    EXPECT_EQ(refresh.size(), 64u);  // 32 random bytes, hex
    const std::string cookie = r.headers["Set-Cookie"];
    EXPECT_NE(cookie.find("haven_refresh=" + refresh), std::string::npos) << cookie;
    EXPECT_NE(cookie.find("HttpOnly"), std::string::npos) << cookie;
    EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos) << cookie;
    EXPECT_NE(cookie.find("Path=/api/v1/auth"), std::string::npos) << cookie;
}

TEST_F(Sessions, RefreshRotatesTheToken) {
    auto login = LoginData("manager@a.test");
    auto r = Refresh(login["refreshToken"]);
    ASSERT_EQ(r.status, 200) << r.body.dump();
    EXPECT_NE(r.body["data"]["refreshToken"], login["refreshToken"]);
    EXPECT_EQ(r.body["data"]["user"]["email"], "manager@a.test");
    auto me = Api("GET", "/api/v1/auth/me", nullptr, r.body["data"]["token"]);
    EXPECT_EQ(me.status, 200) << me.body.dump();
    // The new one works once in its turn.
    EXPECT_EQ(Refresh(r.body["data"]["refreshToken"]).status, 200);
}

TEST_F(Sessions, RefreshTokenFromTheCookieWorks) {
    auto login = LoginData("viewer@a.test");
    auto r = Api("POST", "/api/v1/auth/refresh", json::object(), "",
                 {{"Cookie", "other=1; haven_refresh=" + login["refreshToken"].get<std::string>()}});
    EXPECT_EQ(r.status, 200) << r.body.dump();
}

TEST_F(Sessions, ReusingASpentRefreshTokenRevokesTheWholeChain) {
    auto login = LoginData("admin@a.test");
    auto first = Refresh(login["refreshToken"]);
    ASSERT_EQ(first.status, 200);
    const std::string newest = first.body["data"]["refreshToken"];
    auto reused = Refresh(login["refreshToken"]);
    EXPECT_EQ(reused.status, 401) << reused.body.dump();
    // The thief's replay ended the chain: the newest token, though never used, is refused too.
    auto after = Refresh(newest);
    EXPECT_EQ(after.status, 401) << after.body.dump();
    EXPECT_EQ(*gateway_->store().CountAudit("session.refresh", "denied: reused"), 1);
    // Another login (another chain) is unaffected.
    EXPECT_EQ(Refresh(LoginData("admin@a.test")["refreshToken"]).status, 200);
}

TEST_F(Sessions, LogoutRevokesTheRefreshToken) {
    auto login = LoginData("manager@a.test");
    auto out = Api("POST", "/api/v1/auth/logout", {{"refreshToken", login["refreshToken"]}}, login["token"]);
    ASSERT_EQ(out.status, 200) << out.body.dump();
    EXPECT_NE(out.headers["Set-Cookie"].find("Max-Age=0"), std::string::npos);
    EXPECT_EQ(Refresh(login["refreshToken"]).status, 401);
    EXPECT_EQ(*gateway_->store().CountAudit("session.logout", "success"), 1);
}

TEST_F(Sessions, UnknownRefreshTokenIsRefused) {
    EXPECT_EQ(Refresh(std::string(64, 'a')).status, 401);
    EXPECT_EQ(Api("POST", "/api/v1/auth/refresh", json::object()).status, 401);
}

TEST_F(Sessions, TotpLoginWithACodeComputedFromTheSecret) {
    auto [secret, recovery] = Enrol(Login("manager@a.test"));
    ASSERT_EQ(secret.size(), 32u);
    ASSERT_EQ(recovery.size(), 10u);
    EXPECT_EQ(*gateway_->store().CountAudit("totp.enable", "success"), 1);

    auto step1 = LoginData("manager@a.test");
    EXPECT_EQ(step1.value("twoFactorRequired", false), true) << step1.dump();
    EXPECT_FALSE(step1.contains("token"));
    EXPECT_FALSE(step1.contains("refreshToken"));
    // The enrolment used this step's code: the next step's is accepted (one step of drift). The code is computed
    // once, so the replay below sends the very same code even when a step boundary passes in between.
    const std::string next = CodeFor(secret, 1);
    auto done = Api("POST", "/api/v1/auth/login/totp", {{"challenge", step1["challenge"]}, {"code", next}});
    ASSERT_EQ(done.status, 200) << done.body.dump();
    EXPECT_EQ(Api("GET", "/api/v1/auth/me", nullptr, done.body["data"]["token"]).status, 200);
    // The same code again (same step) is refused: a code is good once.
    auto again = LoginData("manager@a.test");
    auto replay = Api("POST", "/api/v1/auth/login/totp", {{"challenge", again["challenge"]}, {"code", next}});
    EXPECT_EQ(replay.status, 401) << replay.body.dump();
}

TEST_F(Sessions, WrongCodeIsRefusedAndCountedByTheThrottle) {
    auto [secret, recovery] = Enrol(Login("manager@a.test"));
    auto step1 = LoginData("manager@a.test");
    std::string wrong = CodeFor(secret) == "000000" ? "111111" : "000000";
    for (int i = 0; i < 5; ++i) {
        auto r = Api("POST", "/api/v1/auth/login/totp", {{"challenge", step1["challenge"]}, {"code", wrong}});
        ASSERT_EQ(r.status, 401) << "attempt " << i + 1 << ": " << r.body.dump();
    }
    auto throttled = Api("POST", "/api/v1/auth/login/totp", {{"challenge", step1["challenge"]}, {"code", wrong}});
    EXPECT_EQ(throttled.status, 429) << throttled.body.dump();
    EXPECT_EQ(*gateway_->store().CountAudit("auth.login", "denied: wrong second factor"), 5);
}

TEST_F(Sessions, ThePasswordDoesNotResetTheCountOfWrongCodes) {
    auto [secret, recovery] = Enrol(Login("manager@a.test"));
    std::string wrong = CodeFor(secret) == "000000" ? "111111" : "000000";
    auto first = LoginData("manager@a.test");
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(Api("POST", "/api/v1/auth/login/totp", {{"challenge", first["challenge"]}, {"code", wrong}}).status,
                  401);
    }
    // Whoever guesses codes knows the password: logging in again must not give them five fresh guesses.
    auto second = LoginData("manager@a.test");
    for (int i = 0; i < 2; ++i) {
        EXPECT_EQ(Api("POST", "/api/v1/auth/login/totp", {{"challenge", second["challenge"]}, {"code", wrong}}).status,
                  401);
    }
    EXPECT_EQ(Api("POST", "/api/v1/auth/login/totp", {{"challenge", second["challenge"]}, {"code", wrong}}).status,
              429);
}

TEST_F(Sessions, RecoveryCodeWorksOnce) {
    auto [secret, recovery] = Enrol(Login("viewer@a.test"));
    const std::string code = recovery[3];
    auto first = LoginData("viewer@a.test");
    auto r = Api("POST", "/api/v1/auth/login/totp", {{"challenge", first["challenge"]}, {"recoveryCode", code}});
    ASSERT_EQ(r.status, 200) << r.body.dump();
    auto status = Api("GET", "/api/v1/auth/totp", nullptr, r.body["data"]["token"]);
    EXPECT_EQ(status.body["data"]["recoveryCodesLeft"], 9);
    auto second = LoginData("viewer@a.test");
    auto again = Api("POST", "/api/v1/auth/login/totp", {{"challenge", second["challenge"]}, {"recoveryCode", code}});
    EXPECT_EQ(again.status, 401) << again.body.dump();
}

TEST_F(Sessions, ChallengeIsNotAnAccessToken) {
    auto [secret, recovery] = Enrol(Login("manager@a.test"));
    auto step1 = LoginData("manager@a.test");
    EXPECT_EQ(Api("GET", "/api/v1/auth/me", nullptr, step1["challenge"]).status, 401);
}

TEST_F(Sessions, SecretIsNeverReturnedAfterEnrolment) {
    const std::string token = Login("manager@a.test");
    Enrol(token);
    auto status = Api("GET", "/api/v1/auth/totp", nullptr, token);
    EXPECT_EQ(status.status, 200);
    EXPECT_EQ(status.body["data"]["enabled"], true);
    EXPECT_FALSE(status.body["data"].contains("secret"));
    // A second set-up while on is refused rather than handing out a new secret.
    EXPECT_EQ(Api("POST", "/api/v1/auth/totp/setup", json::object(), token).status, 409);
}

TEST_F(Sessions, DisableWithPasswordTurnsItOff) {
    const std::string token = Login("manager@a.test");
    Enrol(token);
    EXPECT_EQ(Api("POST", "/api/v1/auth/totp/disable", {{"password", "wrong-password"}}, token).status, 401);
    auto off = Api("POST", "/api/v1/auth/totp/disable", {{"password", kPassword}}, token);
    ASSERT_EQ(off.status, 200) << off.body.dump();
    EXPECT_TRUE(LoginData("manager@a.test").contains("token"));
    EXPECT_EQ(*gateway_->store().CountAudit("totp.disable", "success"), 1);
}

TEST_F(Sessions, AgencyPolicyForcesAdminsToEnrol) {
    const std::string admin = Login("admin@a.test");
    const std::string manager = Login("manager@a.test");
    EXPECT_EQ(Api("PATCH", "/api/v1/agency/security", {{"requireAdminTwoFactor", true}}, manager).status, 403);
    auto on = Api("PATCH", "/api/v1/agency/security", {{"requireAdminTwoFactor", true}}, admin);
    ASSERT_EQ(on.status, 200) << on.body.dump();
    EXPECT_EQ(*gateway_->store().CountAudit("agency.security", "success"), 1);

    auto step1 = LoginData("admin@a.test");
    EXPECT_EQ(step1.value("twoFactorSetupRequired", false), true) << step1.dump();
    EXPECT_FALSE(step1.contains("token"));
    const std::string challenge = step1["challenge"];
    // The enrolment challenge is no session and no login challenge.
    EXPECT_EQ(Api("GET", "/api/v1/leases", nullptr, challenge).status, 401);
    EXPECT_EQ(Api("POST", "/api/v1/auth/login/totp", {{"challenge", challenge}, {"code", "123456"}}).status, 401);
    // Managers are not held by the admins' policy; another agency's admin neither.
    EXPECT_TRUE(LoginData("manager@a.test").contains("token"));
    EXPECT_TRUE(LoginData("admin@b.test").contains("token"));

    auto setup = Api("POST", "/api/v1/auth/totp/setup", {{"challenge", challenge}});
    ASSERT_EQ(setup.status, 200) << setup.body.dump();
    const std::string secret = setup.body["data"]["secret"];
    auto enable = Api("POST", "/api/v1/auth/totp/enable", {{"challenge", challenge}, {"code", CodeFor(secret)}});
    ASSERT_EQ(enable.status, 200) << enable.body.dump();
    EXPECT_EQ(enable.body["data"]["recoveryCodes"].size(), 10u);
    EXPECT_EQ(Api("GET", "/api/v1/leases", nullptr, enable.body["data"]["token"]).status, 200);
    // From now on the admin logs in with a code.
    EXPECT_EQ(LoginData("admin@a.test").value("twoFactorRequired", false), true);
}

TEST_F(Sessions, ShortJwtTtlFromTheEnvironment) {
    auto config = app::LoadConfig([](const std::string& name) -> std::optional<std::string> {
        if (name == "JWT_TTL") return "2";
        return std::nullopt;
    });
    ASSERT_TRUE(config.has_value()) << config.error().message;
    EXPECT_EQ(config->jwt_ttl_seconds, 2);
    auto bad = app::LoadConfig([](const std::string& name) -> std::optional<std::string> {
        if (name == "JWT_TTL") return "0";
        return std::nullopt;
    });
    EXPECT_FALSE(bad.has_value());
}

/// A gateway whose access tokens live one second.
class ShortSessions : public Sessions {
  protected:
    void SetUp() override {
        StartGateway([](app::Config& c) { c.jwt_ttl_seconds = 1; });
    }
};

TEST_F(ShortSessions, ExpiredAccessTokenIsRenewedByRefresh) {
    auto login = LoginData("admin@a.test");
    const std::string token = login["token"];
    ASSERT_TRUE(Eventually([&] { return Api("GET", "/api/v1/auth/me", nullptr, token).status == 401; },
                           std::chrono::seconds(5)));
    auto renewed = Refresh(login["refreshToken"]);
    ASSERT_EQ(renewed.status, 200) << renewed.body.dump();
    EXPECT_EQ(Api("GET", "/api/v1/auth/me", nullptr, renewed.body["data"]["token"]).status, 200);
}

}  // namespace
}  // namespace haven::testing
