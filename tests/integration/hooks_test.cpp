// Neutral Daraja-facing URLs (/hooks/daraja/<secret>/...) and C2B URL registration, end to end: a real gateway and
// its built-in simulator over loopback.
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>

#include "gateway_fixture.hpp"

namespace haven::testing {
namespace {

class Hooks : public GatewayTest {
  protected:
    std::string Secret() const { return gateway_->config().callback_secret; }
    std::string Base() const { return gateway_->BaseUrl(); }

    /// The body of the last request the simulator received on a path containing `path_part` (secrets masked).
    json LastSimRequestBody(const std::string& path_part) {
        auto r = Sim("GET", "/sim/v1/requests");
        json found;
        for (const auto& item : r.body["requests"]) {
            if (item.value("path", "").find(path_part) != std::string::npos) found = item["body"];
        }
        return found;
    }

    static json CancelCallback(const std::string& merchant, const std::string& checkout) {
        return {{"Body",
                 {{"stkCallback",
                   {{"MerchantRequestID", merchant},
                    {"CheckoutRequestID", checkout},
                    {"ResultCode", 1032},
                    {"ResultDesc", "Request Cancelled by user."}}}}}};
    }

    /// A push whose callback the simulator never sends: {checkoutRequestId, merchantRequestId}.
    std::pair<std::string, std::string> PushWithoutCallback(const std::string& token, int64_t amount) {
        SimRule(amount, {{"resultCode", "0"}, {"callbacks", 0}});
        auto push = Api("POST", "/api/v1/mpesa/stk-push", StkBody(amount), token);
        EXPECT_EQ(push.status, 200) << push.body.dump();
        return {push.body["data"].value("checkoutRequestId", ""), push.body["data"].value("merchantRequestId", "")};
    }

    std::string Status(const std::string& token, const std::string& checkout) {
        return Api("GET", "/api/v1/mpesa/status/" + checkout, nullptr, token).body["data"].value("status", "");
    }

    void SimRegisterRule(const json& then) {
        auto r = Sim("POST", "/sim/v1/rules",
                     {{"rules", json::array({{{"api", "c2bregister"}, {"then", then}}})}, {"replace", false}});
        ASSERT_EQ(r.status, 200) << r.body.dump();
    }

    json SimRegistrations() { return Sim("GET", "/sim/v1/c2b/registrations").body["registrations"]; }
};

TEST_F(Hooks, StkPushHandsDarajaTheNeutralCallbackUrlAndItsCallbackSettlesThePush) {
    auto token = Login("admin@a.test");
    auto push = Api("POST", "/api/v1/mpesa/stk-push", StkBody(11), token);
    ASSERT_EQ(push.status, 200) << push.body.dump();
    // What Daraja was given (the simulator's request log masks the secret).
    EXPECT_EQ(LastSimRequestBody("stkpush/v1/processrequest").value("CallBackURL", ""),
              Base() + "/hooks/daraja/****/callback");
    EXPECT_EQ(WaitFinal(token, push.body["data"]["checkoutRequestId"])["status"], "SUCCESS");
    // ... and the simulator's callback went to the neutral path and was acknowledged.
    auto callbacks = Sim("GET", "/sim/v1/callbacks").body["callbacks"];
    ASSERT_FALSE(callbacks.empty());
    EXPECT_EQ(callbacks.back().value("url", ""), Base() + "/hooks/daraja/****/callback");
    EXPECT_EQ(callbacks.back().value("status", 0), 200);
}

TEST_F(Hooks, ResultUrlsOfTheInitiatorApisAreNeutralToo) {
    auto manager = Login("manager@a.test");
    ASSERT_EQ(Api("POST", "/api/v1/mpesa/balance", json::object(), manager).status, 200);
    auto body = LastSimRequestBody("accountbalance/v1/query");
    EXPECT_EQ(body.value("ResultURL", ""), Base() + "/hooks/daraja/****/balance/result");
    EXPECT_EQ(body.value("QueueTimeOutURL", ""), Base() + "/hooks/daraja/****/balance/timeout");
    // The Result came back through the neutral path and settled the check.
    json latest;
    EXPECT_TRUE(Eventually([&] {
        latest = Api("GET", "/api/v1/mpesa/balance/latest", nullptr, manager).body["data"];
        return latest.is_object() && latest.value("status", "") == "SUCCESS";
    })) << latest.dump();
}

TEST_F(Hooks, AWrongSecretInThePathIsRefusedAndChangesNothing) {
    auto token = Login("admin@a.test");
    auto [checkout, merchant] = PushWithoutCallback(token, 41);
    ASSERT_FALSE(checkout.empty());
    const std::string wrong(Secret().size(), 'a');
    for (const std::string& secret : {wrong, std::string("x"), Secret().substr(0, Secret().size() - 1)}) {
        auto r = Api("POST", "/hooks/daraja/" + secret + "/callback", CancelCallback(merchant, checkout));
        EXPECT_EQ(r.status, 401) << secret;
        EXPECT_EQ(r.body["success"], false);
    }
    // The seed's ?secret= does not open the neutral path with a wrong path secret.
    EXPECT_EQ(Api("POST", "/hooks/daraja/" + wrong + "/callback?secret=" + Secret(), CancelCallback(merchant, checkout))
                  .status,
              401);
    EXPECT_EQ(Status(token, checkout), "PENDING");
    EXPECT_GE(gateway_->store().CountAudit("callback.stk", "denied").value_or(0), 4);
    // The right one applies it.
    auto ok = Api("POST", "/hooks/daraja/" + Secret() + "/callback", CancelCallback(merchant, checkout));
    EXPECT_EQ(ok.status, 200);
    EXPECT_EQ(ok.body, json({{"ResultCode", 0}, {"ResultDesc", "Accepted"}}));
    EXPECT_EQ(Status(token, checkout), "FAILED");
}

TEST_F(Hooks, TheSeedCallbackPathStillWorks) {
    auto token = Login("admin@a.test");
    auto [checkout, merchant] = PushWithoutCallback(token, 42);
    EXPECT_EQ(Api("POST", "/api/v1/mpesa/callback?secret=wrong", CancelCallback(merchant, checkout)).status, 401);
    auto ok = Api("POST", "/api/v1/mpesa/callback?secret=" + Secret(), CancelCallback(merchant, checkout));
    EXPECT_EQ(ok.status, 200);
    EXPECT_EQ(Status(token, checkout), "FAILED");
}

TEST_F(Hooks, EveryDarajaRouteHasItsNeutralTwin) {
    std::set<std::string> patterns;
    for (const auto& route : gateway_->router().Routes()) patterns.insert(route.method + " " + route.pattern);
    for (const char* path :
         {"callback", "b2c/result", "b2c/timeout", "reversal/result", "reversal/timeout", "balance/result",
          "balance/timeout", "transaction-status/result", "transaction-status/timeout"}) {
        EXPECT_TRUE(patterns.count(std::string("POST /api/v1/mpesa/") + path)) << path;
        EXPECT_TRUE(patterns.count(std::string("POST /hooks/daraja/{secret}/") + path)) << path;
    }
}

TEST_F(Hooks, DarajaOnTheNeutralPathIsNeverRateLimitedButAWrongSecretIs) {
    gateway_->Stop();
    StartGateway([](app::Config& c) {
        c.rate_limit_per_second = 1;
        c.rate_limit_burst = 2;
    });
    for (int i = 0; i < 12; ++i) {
        const std::string id = "ws_CO_hook_burst_" + std::to_string(i);
        auto r = Api("POST", "/hooks/daraja/" + Secret() + "/callback", CancelCallback("m", id));
        ASSERT_EQ(r.status, 200) << i;
    }
    int limited = 0;
    for (int i = 0; i < 10; ++i) {
        limited += Api("POST", "/hooks/daraja/guess/callback", CancelCallback("m", "x")).status == 429;
    }
    EXPECT_GT(limited, 0);
}

TEST_F(Hooks, NoLogLineCarriesTheSecret) {
    std::ostringstream captured;
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(captured);
    auto previous = spdlog::default_logger();
    auto logger = std::make_shared<spdlog::logger>("capture", sink);
    logger->set_level(spdlog::level::trace);
    spdlog::set_default_logger(logger);

    auto token = Login("admin@a.test");
    auto push = Api("POST", "/api/v1/mpesa/stk-push", StkBody(13), token);
    ASSERT_EQ(push.status, 200);
    WaitFinal(token, push.body["data"]["checkoutRequestId"]);
    Api("POST", "/hooks/daraja/" + Secret() + "/callback", CancelCallback("m", "ws_CO_log_1"));
    Api("POST", "/hooks/%64araja/" + Secret() + "/callback", CancelCallback("m", "ws_CO_log_2"));  // escaped prefix
    Api("POST", "/hooks/daraja/" + Secret() + "/no-such-route", json::object());
    Api("POST", "/hooks/daraja/" + Secret() + "/callback", {{"Body", "not a callback"}});
    Api("POST", "/api/v1/mpesa/callback?secret=" + Secret(), CancelCallback("m", "ws_CO_log_3"));
    Api("POST", "/api/v1/c2b/register", nullptr, token);
    spdlog::set_default_logger(previous);

    const std::string logs = captured.str();
    EXPECT_NE(logs.find("/hooks/daraja/****/callback"), std::string::npos) << "no access log line of the hook";
    auto at = logs.find(Secret());
    EXPECT_EQ(at, std::string::npos) << logs.substr(at == std::string::npos ? 0 : at - std::min<size_t>(at, 200), 400);
}

TEST_F(Hooks, RegisterSendsTheNeutralC2bUrlsAndRecordsThem) {
    auto admin = Login("admin@a.test");
    auto r = Api("POST", "/api/v1/c2b/register", nullptr, admin);
    ASSERT_EQ(r.status, 200) << r.body.dump();
    const auto& data = r.body["data"];
    EXPECT_EQ(data["shortcode"], gateway_->config().shortcode);
    EXPECT_EQ(data["version"], 2);
    EXPECT_EQ(data["responseType"], "Completed");
    EXPECT_EQ(data["confirmationUrl"], Base() + "/hooks/daraja/****/c2b/confirmation");
    EXPECT_EQ(data["validationUrl"], Base() + "/hooks/daraja/****/c2b/validation");
    // The simulator (Daraja) accepted and holds exactly these URLs for the shortcode, through the v2 API.
    EXPECT_EQ(SimRequestCount("/mpesa/c2b/v2/registerurl"), 1);
    auto regs = SimRegistrations();
    ASSERT_EQ(regs.size(), 1u) << regs.dump();
    EXPECT_EQ(regs[0]["shortcode"], gateway_->config().shortcode);
    EXPECT_EQ(regs[0]["version"], 2);
    EXPECT_EQ(regs[0]["responseType"], "Completed");
    EXPECT_EQ(regs[0]["confirmationUrl"], Base() + "/hooks/daraja/****/c2b/confirmation");
    EXPECT_EQ(regs[0]["validationUrl"], Base() + "/hooks/daraja/****/c2b/validation");
    // The settings show the last registration; it is audited.
    auto settings = Api("GET", "/api/v1/c2b/settings", nullptr, Login("viewer@a.test"));
    ASSERT_EQ(settings.status, 200);
    const auto& last = settings.body["data"]["lastRegistration"];
    ASSERT_TRUE(last.is_object()) << settings.body.dump();
    EXPECT_EQ(last["confirmationUrl"], Base() + "/hooks/daraja/****/c2b/confirmation");
    EXPECT_EQ(gateway_->store().CountAudit("c2b.register", "success").value_or(0), 1);
    // Another agency has not registered.
    auto other = Api("GET", "/api/v1/c2b/settings", nullptr, Login("admin@b.test"));
    EXPECT_TRUE(other.body["data"]["lastRegistration"].is_null());
}

/// Log lines kept in memory and searched under the sink's own lock (lines arrive from the gateway's threads).
class SearchableSink : public spdlog::sinks::base_sink<std::mutex> {
  public:
    bool Contains(const std::string& text) {
        std::lock_guard lock(mutex_);
        return lines_.find(text) != std::string::npos;
    }

  protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        lines_.append(msg.payload.data(), msg.payload.size()) += '\n';
    }
    void flush_() override {}

  private:
    std::string lines_;
};

/// Makes a logger writing to `sink` the default while it lives.
struct DefaultLogger {
    explicit DefaultLogger(std::shared_ptr<spdlog::sinks::sink> sink) : previous(spdlog::default_logger()) {
        auto logger = std::make_shared<spdlog::logger>("capture", std::move(sink));
        logger->set_level(spdlog::level::info);
        spdlog::set_default_logger(logger);
    }
    ~DefaultLogger() { spdlog::set_default_logger(previous); }
    std::shared_ptr<spdlog::logger> previous;
};

TEST_F(Hooks, APaybillPaymentInTheSimulatorIsSentToTheRegisteredNeutralConfirmationUrl) {
    auto sink = std::make_shared<SearchableSink>();
    DefaultLogger capture(sink);
    ASSERT_EQ(Api("POST", "/api/v1/c2b/register", nullptr, Login("admin@a.test")).status, 200);
    // A tenant pays the paybill: the simulator (Daraja) posts the confirmation to the URL it holds.
    auto token = Call("GET", gateway_->SimulatorUrl() + "/oauth/v1/generate?grant_type=client_credentials", "",
                      {{"Authorization", "Basic aGF2ZW4tc2ltdWxhdG9yOmhhdmVuLXNpbXVsYXRvcg=="}});  // haven-simulator x2
    ASSERT_EQ(token.status, 200) << token.body.dump();
    auto paid = Call("POST", gateway_->SimulatorUrl() + "/mpesa/c2b/v2/simulate",
                     json({{"ShortCode", gateway_->config().shortcode},
                           {"CommandID", "CustomerPayBillOnline"},
                           {"Amount", 1500},
                           {"Msisdn", "254708374149"},
                           {"BillRefNumber", "B4"}})
                         .dump(),
                     {{"Authorization", "Bearer " + token.body.value("access_token", "")}});
    ASSERT_EQ(paid.status, 200) << paid.body.dump();
    // The gateway's access log shows the confirmation arriving on the neutral path (what the gateway does with it
    // is the confirmation route's business; until that route exists it is a 404).
    EXPECT_TRUE(Eventually([&] { return sink->Contains("POST /hooks/daraja/****/c2b/confirmation"); }));
}

TEST_F(Hooks, OnlyAdminsRegisterOrChangeTheSettings) {
    for (const char* who : {"manager@a.test", "viewer@a.test"}) {
        auto token = Login(who);
        EXPECT_EQ(Api("POST", "/api/v1/c2b/register", nullptr, token).status, 403) << who;
        EXPECT_EQ(Api("PATCH", "/api/v1/c2b/settings", {{"version", 1}}, token).status, 403) << who;
    }
    EXPECT_EQ(Api("POST", "/api/v1/c2b/register").status, 401);
    EXPECT_EQ(SimRequestCount("registerurl"), 0);
    EXPECT_EQ(gateway_->store().CountAudit("c2b.register", "denied").value_or(0), 3);  // 403, 403, 401
}

TEST_F(Hooks, SettingsChooseTheVersionAndResponseTypeRegistered) {
    auto admin = Login("admin@a.test");
    auto before = Api("GET", "/api/v1/c2b/settings", nullptr, admin);
    ASSERT_EQ(before.status, 200);
    EXPECT_EQ(before.body["data"]["version"], 2);  // the install's default (MPESA_C2B_VERSION)
    EXPECT_EQ(before.body["data"]["validation"], false);
    EXPECT_EQ(before.body["data"]["confirmationUrl"], Base() + "/hooks/daraja/****/c2b/confirmation");
    EXPECT_TRUE(before.body["data"]["forbiddenWord"].is_null());

    auto bad = Api("PATCH", "/api/v1/c2b/settings", {{"version", 3}, {"responseType", "completed"}, {"x", 1}}, admin);
    EXPECT_EQ(bad.status, 400);
    EXPECT_EQ(bad.body["error"]["details"].size(), 3u) << bad.body.dump();

    auto patched = Api("PATCH", "/api/v1/c2b/settings",
                       {{"version", 1}, {"responseType", "Cancelled"}, {"validation", true}}, admin);
    ASSERT_EQ(patched.status, 200) << patched.body.dump();
    EXPECT_EQ(patched.body["data"]["version"], 1);
    EXPECT_EQ(patched.body["data"]["responseType"], "Cancelled");
    EXPECT_EQ(patched.body["data"]["validation"], true);
    EXPECT_EQ(patched.body["data"]["rejectUnknown"], false);
    EXPECT_EQ(gateway_->store().CountAudit("c2b.settings", "success").value_or(0), 1);

    ASSERT_EQ(Api("POST", "/api/v1/c2b/register", nullptr, admin).status, 200);
    EXPECT_EQ(SimRequestCount("/mpesa/c2b/v1/registerurl"), 1);
    auto regs = SimRegistrations();
    ASSERT_EQ(regs.size(), 1u);
    EXPECT_EQ(regs[0]["version"], 1);
    EXPECT_EQ(regs[0]["responseType"], "Cancelled");
}

TEST_F(Hooks, ASecondRegistrationShowsDarajasAlreadyRegisteredError) {
    auto admin = Login("admin@a.test");
    ASSERT_EQ(Api("POST", "/api/v1/c2b/register", nullptr, admin).status, 200);
    SimRegisterRule(
        {{"httpStatus", 500}, {"errorCode", "500.003.1001"}, {"errorMessage", "Urls are already registered."}});
    auto again = Api("POST", "/api/v1/c2b/register", nullptr, admin);
    EXPECT_EQ(again.status, 502) << again.body.dump();
    EXPECT_EQ(again.body["error"]["darajaErrorCode"], "500.003.1001");
    EXPECT_EQ(again.body["error"]["darajaErrorMessage"], "Urls are already registered.");
    EXPECT_NE(again.body["error"]["message"].get<std::string>().find("Urls are already registered."),
              std::string::npos);
    EXPECT_EQ(gateway_->store().CountAudit("c2b.register", "error: DARAJA_ERROR").value_or(0), 1);
}

TEST_F(Hooks, APublicBaseUrlWithAForbiddenWordIsRefusedNamingTheWord) {
    gateway_->Stop();
    StartGateway([](app::Config& c) { c.public_base_url = "http://mpesa-rent.localhost:4000"; });
    auto admin = Login("admin@a.test");
    auto settings = Api("GET", "/api/v1/c2b/settings", nullptr, admin);
    EXPECT_EQ(settings.body["data"]["forbiddenWord"], "mpesa");
    auto r = Api("POST", "/api/v1/c2b/register", nullptr, admin);
    EXPECT_EQ(r.status, 400) << r.body.dump();
    EXPECT_EQ(r.body["error"]["code"], "VALIDATION_ERROR");
    EXPECT_NE(r.body.dump().find("'mpesa'"), std::string::npos) << r.body.dump();
    EXPECT_EQ(SimRequestCount("registerurl"), 0);  // Daraja was never asked
}

}  // namespace
}  // namespace haven::testing
