// Authentication, headers, limits, the audit log, the OpenAPI document and what reaches the logs.
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <regex>
#include <sstream>

#include "gateway_fixture.hpp"
#include "service/auth.hpp"

namespace haven::testing {
namespace {

using Security = GatewayTest;

TEST_F(Security, LoginReturnsATokenAndTheUser) {
    auto r = Api("POST", "/api/v1/auth/login", {{"email", "manager@a.test"}, {"password", kPassword}});
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.body["data"]["user"]["role"], "manager");
    EXPECT_EQ(r.body["data"]["user"]["agencyName"], "Agency A");
    const std::string jwt = r.body["data"]["token"];
    EXPECT_EQ(std::count(jwt.begin(), jwt.end(), '.'), 2);
    auto wrong = Api("POST", "/api/v1/auth/login", {{"email", "manager@a.test"}, {"password", "nope-nope"}});
    EXPECT_EQ(wrong.status, 401);
    auto unknown = Api("POST", "/api/v1/auth/login", {{"email", "ghost@a.test"}, {"password", kPassword}});
    EXPECT_EQ(unknown.status, 401);
    EXPECT_EQ(unknown.body["error"]["message"], wrong.body["error"]["message"]);
}

TEST_F(Security, ProtectedRoutesNeedAValidUnexpiredHs256Token) {
    EXPECT_EQ(Api("GET", "/api/v1/leases").status, 401);
    EXPECT_EQ(Api("GET", "/api/v1/leases", nullptr, "not.a.token").status, 401);
    const auto now =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    auto user = gateway_->store().FindUserByEmail("admin@a.test");
    ASSERT_TRUE(user.has_value());
    service::Claims expired{user->id, user->agency_id, core::Role::kAdmin, user->email, now - 7200, now - 3600};
    EXPECT_EQ(Api("GET", "/api/v1/leases", nullptr, service::IssueJwt(expired, gateway_->config().jwt_secret)).status,
              401);
    service::Claims valid{user->id, user->agency_id, core::Role::kAdmin, user->email, now, now + 600};
    EXPECT_EQ(
        Api("GET", "/api/v1/leases", nullptr, service::IssueJwt(valid, "another-secret-another-secret-xx")).status,
        401);
    // alg "none" with the same claims
    std::string payload = service::IssueJwt(valid, gateway_->config().jwt_secret);
    payload = payload.substr(payload.find('.') + 1);
    payload = payload.substr(0, payload.find('.'));
    std::string none = service::Base64UrlEncode(R"({"alg":"none","typ":"JWT"})") + "." + payload + ".";
    EXPECT_EQ(Api("GET", "/api/v1/leases", nullptr, none).status, 401);
    EXPECT_EQ(Api("GET", "/api/v1/leases", nullptr, service::IssueJwt(valid, gateway_->config().jwt_secret)).status,
              200);
}

TEST_F(Security, EveryResponseHasRequestIdAndSecurityHeaders) {
    for (std::string path : {"/api/v1/config", "/api/v1/leases", "/api/v1/nope"}) {
        auto r = Api("GET", path);
        EXPECT_TRUE(r.headers.count("Request-Id")) << path;
        EXPECT_TRUE(r.headers.count("Content-Security-Policy")) << path;
        EXPECT_EQ(r.headers["X-Frame-Options"], "DENY") << path;
        EXPECT_EQ(r.headers["X-Content-Type-Options"], "nosniff") << path;
        EXPECT_TRUE(r.headers.count("Strict-Transport-Security")) << path;
        EXPECT_TRUE(r.headers.count("Referrer-Policy")) << path;
        EXPECT_FALSE(r.headers.count("X-Powered-By")) << path;
    }
    auto missing = Api("GET", "/api/v1/nope");
    EXPECT_EQ(missing.status, 404);
    EXPECT_EQ(missing.body["success"], false);
    auto wrong_verb = Api("DELETE", "/api/v1/leases");
    EXPECT_EQ(wrong_verb.status, 405);
    EXPECT_FALSE(wrong_verb.headers["Allow"].empty());
}

TEST_F(Security, OnlyListedOriginsGetCorsHeadersAndPreflight) {
    gateway_->Stop();
    StartGateway([](app::Config& c) { c.cors_allowed_origins = {"https://app.haven.example"}; });
    net::Headers preflight{{"Origin", "https://app.haven.example"},
                           {"Access-Control-Request-Method", "POST"},
                           {"Access-Control-Request-Headers", "authorization, content-type, idempotency-key"}};
    auto ok = Call("OPTIONS", gateway_->BaseUrl() + "/api/v1/mpesa/stk-push", "", preflight);
    EXPECT_EQ(ok.status, 204);
    EXPECT_EQ(ok.headers["Access-Control-Allow-Origin"], "https://app.haven.example");
    EXPECT_NE(ok.headers["Access-Control-Allow-Headers"].find("Idempotency-Key"), std::string::npos);
    auto get = Api("GET", "/api/v1/config", nullptr, "", {{"Origin", "https://app.haven.example"}});
    EXPECT_EQ(get.status, 200);
    EXPECT_EQ(get.headers["Access-Control-Allow-Origin"], "https://app.haven.example");
    EXPECT_EQ(get.headers["Vary"], "Origin");

    preflight["Origin"] = "https://evil.example";
    auto refused = Call("OPTIONS", gateway_->BaseUrl() + "/api/v1/mpesa/stk-push", "", preflight);
    EXPECT_NE(refused.status, 204);
    EXPECT_FALSE(refused.headers.count("Access-Control-Allow-Origin"));
    auto other = Api("GET", "/api/v1/config", nullptr, "", {{"Origin", "https://evil.example"}});
    EXPECT_FALSE(other.headers.count("Access-Control-Allow-Origin"));
}

TEST_F(Security, OversizedBodyIs413AndWritesNothing) {
    auto token = Login("admin@a.test");
    json body = {{"tenantName", std::string(200 * 1024, 'x')},
                 {"phoneNumber", "0712345678"},
                 {"unit", "U"},
                 {"monthlyRent", 100},
                 {"accountReference", "R"}};
    auto r = Api("POST", "/api/v1/leases", body, token);
    EXPECT_EQ(r.status, 413);
    EXPECT_EQ(Api("GET", "/api/v1/leases", nullptr, token).body["data"].size(), 0u);
}

TEST_F(Security, RateLimitAnswers429WithRetryAfter) {
    gateway_->Stop();
    StartGateway([](app::Config& c) {
        c.rate_limit_per_second = 1;
        c.rate_limit_burst = 5;
    });
    int limited = 0;
    Reply last;
    for (int i = 0; i < 20; ++i) {
        auto r = Api("GET", "/api/v1/config");
        if (r.status == 429) {
            ++limited;
            last = r;
        }
    }
    EXPECT_GT(limited, 0);
    EXPECT_FALSE(last.headers["Retry-After"].empty());
    EXPECT_EQ(last.body["error"]["code"], "RATE_LIMITED");
}

TEST_F(Security, DarajaCallbacksWithTheSecretAreNeverRateLimited) {
    gateway_->Stop();
    StartGateway([](app::Config& c) {
        c.rate_limit_per_second = 1;
        c.rate_limit_burst = 2;
    });
    const std::string secret = gateway_->config().callback_secret;
    for (int i = 0; i < 15; ++i) {
        const std::string id = "ws_CO_burst_" + std::to_string(i);
        json body = {{"Body",
                      {{"stkCallback",
                        {{"MerchantRequestID", "m"},
                         {"CheckoutRequestID", id},
                         {"ResultCode", 1032},
                         {"ResultDesc", "Request Cancelled by user."}}}}}};
        auto r = Api("POST", "/api/v1/mpesa/callback?secret=" + secret, body);
        ASSERT_EQ(r.status, 200) << i;
        EXPECT_EQ(gateway_->store().CountUnmatchedCallbacks(id).value_or(0), 1);
    }
    int limited = 0;
    for (int i = 0; i < 10; ++i)
        limited += Api("POST", "/api/v1/mpesa/callback?secret=guess", json::object()).status == 429;
    EXPECT_GT(limited, 0);  // a wrong secret gets no exemption
}

TEST_F(Security, AuthenticatedWritesAreAudited) {
    auto token = Login("admin@a.test");
    CreateLease(token);
    auto push = Api("POST", "/api/v1/mpesa/stk-push", StkBody(12), token);
    ASSERT_EQ(push.status, 200);
    WaitFinal(token, push.body["data"]["checkoutRequestId"]);
    auto& store = gateway_->store();
    EXPECT_EQ(store.CountAudit("lease.create", "success").value_or(0), 1);
    EXPECT_EQ(store.CountAudit("stk.initiate", "success").value_or(0), 1);
    EXPECT_EQ(store.CountAudit("auth.login", "success").value_or(0), 1);
    EXPECT_TRUE(Eventually([&] { return store.CountAudit("stk.status", "success").value_or(0) == 1; }));
    Api("POST", "/api/v1/mpesa/stk-push", {{"amount", 1}}, token);
    EXPECT_EQ(store.CountAudit("stk.initiate", "error: VALIDATION_ERROR").value_or(0), 1);
}

TEST_F(Security, OpenApiDescribesEveryRegisteredRoute) {
    auto r = Api("GET", "/api/v1/openapi.json");
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.body["openapi"].get<std::string>().substr(0, 2), "3.");
    const auto& paths = r.body["paths"];
    for (const auto& route : gateway_->router().Routes()) {
        std::string method = route.method;
        std::transform(method.begin(), method.end(), method.begin(), ::tolower);
        ASSERT_TRUE(paths.contains(route.pattern)) << route.pattern << " is not in openapi.json";
        EXPECT_TRUE(paths[route.pattern].contains(method)) << route.method << " " << route.pattern;
    }
}

TEST_F(Security, LogsCarryNoFullPhoneNumbersSecretsOrTokens) {
    std::ostringstream captured;
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(captured);
    auto previous = spdlog::default_logger();
    auto logger = std::make_shared<spdlog::logger>("capture", sink);
    logger->set_level(spdlog::level::trace);
    spdlog::set_default_logger(logger);

    auto token = Login("admin@a.test");
    auto lease = CreateLease(token);
    auto push = Api("POST", "/api/v1/mpesa/stk-push", StkBody(15, lease["id"].get<int64_t>()), token);
    ASSERT_EQ(push.status, 200);
    WaitFinal(token, push.body["data"]["checkoutRequestId"]);
    Api("POST", "/api/v1/mpesa/callback?secret=wrong", {{"Body", nullptr}});
    spdlog::set_default_logger(previous);

    const std::string logs = captured.str();
    EXPECT_NE(logs.find("/api/v1/mpesa/stk-push"), std::string::npos) << "no access log line was captured";
    for (const std::string secret : {"254708374149", "0708374149"}) {
        auto at = logs.find(secret);
        EXPECT_EQ(at, std::string::npos) << logs.substr(at == std::string::npos ? 0 : at - std::min<size_t>(at, 200),
                                                        400);
    }
    EXPECT_EQ(logs.find(token), std::string::npos);
    EXPECT_EQ(logs.find(gateway_->config().callback_secret), std::string::npos);
    EXPECT_EQ(logs.find(kPassword), std::string::npos);
    EXPECT_EQ(logs.find(gateway_->config().passkey), std::string::npos);
}

}  // namespace
}  // namespace haven::testing
