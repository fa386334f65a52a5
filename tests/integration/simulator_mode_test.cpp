// Simulator mode scoped like production: the virtual phone's proxy shows and resolves only the
// caller's own agency's prompts, and lets viewers read but not act.
#include "gateway_fixture.hpp"

namespace haven::testing {
namespace {

class SimulatorMode : public GatewayTest {
  protected:
    void SetUp() override {
        StartGateway([](app::Config& c) { c.simulator_interactive = true; });
    }

    /// An STK push that waits on the virtual phone; returns its CheckoutRequestID.
    std::string Prompt(const std::string& token, int64_t amount, const std::string& phone) {
        json body = StkBody(amount);
        body["phoneNumber"] = phone;
        auto r = Api("POST", "/api/v1/mpesa/stk-push", body, token);
        EXPECT_EQ(r.status, 200) << r.body.dump();
        return r.body["data"].value("checkoutRequestId", "");
    }

    std::vector<std::string> PendingIds(const std::string& token) {
        auto r = Api("GET", "/api/v1/simulator/stk/pending", nullptr, token);
        EXPECT_EQ(r.status, 200) << r.body.dump();
        std::vector<std::string> ids;
        for (const auto& p : r.body["data"]["prompts"]) ids.push_back(p.value("checkoutRequestId", ""));
        return ids;
    }

    static bool Has(const std::vector<std::string>& ids, const std::string& id) {
        return std::find(ids.begin(), ids.end(), id) != ids.end();
    }

    /// The prompt is still waiting at the simulator itself (nobody answered it).
    bool StillWaiting(const std::string& id) {
        const json prompts = Sim("GET", "/sim/v1/stk/pending").body["prompts"];
        for (const auto& p : prompts) {
            if (p.value("checkoutRequestId", "") == id) return true;
        }
        return false;
    }
};

TEST_F(SimulatorMode, PendingPromptsListOnlyTheCallersAgency) {
    const auto a = Login("admin@a.test");
    const auto b = Login("admin@b.test");
    const auto mine = Prompt(a, 101, "0708374149");
    const auto theirs = Prompt(b, 102, "0711222333");
    ASSERT_TRUE(Eventually([&] { return StillWaiting(mine) && StillWaiting(theirs); }));

    auto for_a = PendingIds(a);
    EXPECT_TRUE(Has(for_a, mine));
    EXPECT_FALSE(Has(for_a, theirs)) << "agency A sees agency B's prompt";
    auto for_b = PendingIds(b);
    EXPECT_TRUE(Has(for_b, theirs));
    EXPECT_FALSE(Has(for_b, mine)) << "agency B sees agency A's prompt";

    // The virtual phone shows the number the prompt went to: the caller's own tenant's.
    auto list = Api("GET", "/api/v1/simulator/stk/pending", nullptr, a).body["data"]["prompts"];
    ASSERT_EQ(list.size(), 1u) << list.dump();
    EXPECT_EQ(list[0]["phoneNumber"], "254708374149");
    EXPECT_EQ(list.dump().find("254711222333"), std::string::npos) << "another agency's phone number leaked";
}

TEST_F(SimulatorMode, AnotherAgencysPromptCannotBeResolved) {
    const auto a = Login("admin@a.test");
    const auto b = Login("admin@b.test");
    const auto theirs = Prompt(b, 103, "0711222333");
    ASSERT_TRUE(Eventually([&] { return StillWaiting(theirs); }));

    for (const char* action : {"accept", "cancel"}) {
        auto r = Api("POST", "/api/v1/simulator/stk/" + theirs + "/resolve", {{"action", action}, {"pin", "1234"}}, a);
        EXPECT_EQ(r.status, 404) << action << ": " << r.body.dump();
        EXPECT_EQ(r.body["error"]["code"], "NOT_FOUND");
    }
    EXPECT_TRUE(StillWaiting(theirs)) << "agency A answered agency B's prompt";

    auto own = Api("POST", "/api/v1/simulator/stk/" + theirs + "/resolve", {{"action", "accept"}, {"pin", "1234"}}, b);
    EXPECT_EQ(own.status, 200) << own.body.dump();
    EXPECT_EQ(WaitFinal(b, theirs)["status"], "SUCCESS");
}

TEST_F(SimulatorMode, ViewersSeePromptsButCannotAnswerThem) {
    const auto admin = Login("admin@a.test");
    const auto viewer = Login("viewer@a.test");
    const auto id = Prompt(admin, 104, "0708374149");
    ASSERT_TRUE(Eventually([&] { return StillWaiting(id); }));

    EXPECT_TRUE(Has(PendingIds(viewer), id));
    auto r = Api("POST", "/api/v1/simulator/stk/" + id + "/resolve", {{"action", "cancel"}}, viewer);
    EXPECT_EQ(r.status, 403) << r.body.dump();
    EXPECT_EQ(r.body["error"]["code"], "FORBIDDEN");
    EXPECT_TRUE(StillWaiting(id)) << "a viewer cancelled a prompt";

    const auto manager = Login("manager@a.test");
    auto ok = Api("POST", "/api/v1/simulator/stk/" + id + "/resolve", {{"action", "cancel"}}, manager);
    EXPECT_EQ(ok.status, 200) << ok.body.dump();
    EXPECT_EQ(WaitFinal(admin, id)["outcome"], "CANCELLED");
}

TEST_F(SimulatorMode, ControlApiSendsNoWildcardCors) {
    net::Headers origin = {{"Origin", "https://evil.example"}};
    auto get = Call("GET", gateway_->SimulatorUrl() + "/sim/v1/requests", "", origin);
    EXPECT_EQ(get.status, 200);
    EXPECT_FALSE(get.headers.count("Access-Control-Allow-Origin")) << get.headers["Access-Control-Allow-Origin"];
    net::Headers preflight = {{"Origin", "https://evil.example"}, {"Access-Control-Request-Method", "POST"}};
    auto options = Call("OPTIONS", gateway_->SimulatorUrl() + "/sim/v1/stk/pending", "", preflight);
    EXPECT_FALSE(options.headers.count("Access-Control-Allow-Origin"));
}

TEST_F(SimulatorMode, ControlApiLogsCarryNoCallbackSecretOrToken) {
    const auto a = Login("admin@a.test");
    const auto id = Prompt(a, 105, "0708374149");
    auto resolved = Api("POST", "/api/v1/simulator/stk/" + id + "/resolve", {{"action", "accept"}, {"pin", "1234"}}, a);
    ASSERT_EQ(resolved.status, 200) << resolved.body.dump();
    ASSERT_EQ(WaitFinal(a, id)["status"], "SUCCESS");
    ASSERT_TRUE(Eventually([&] { return !Sim("GET", "/sim/v1/callbacks").body["callbacks"].empty(); }));

    const std::string secret = gateway_->config().callback_secret;
    ASSERT_FALSE(secret.empty());
    auto requests = Sim("GET", "/sim/v1/requests").body;
    auto callbacks = Sim("GET", "/sim/v1/callbacks").body;
    for (const json* log : {&requests, &callbacks}) {
        const std::string text = log->dump();
        EXPECT_EQ(text.find(secret), std::string::npos) << "the callback secret is in " << text.substr(0, 400);
        EXPECT_EQ(text.find("Bearer ey"), std::string::npos);
    }
    bool push_seen = false;
    for (const auto& r : requests["requests"]) {
        if (r.value("path", "") != "/mpesa/stkpush/v1/processrequest") continue;
        push_seen = true;
        const std::string auth = r["headers"].value("Authorization", r["headers"].value("authorization", ""));
        EXPECT_EQ(auth, "Bearer ****");
        EXPECT_NE(r["body"].value("CallBackURL", "").find("/hooks/daraja/****/"), std::string::npos)
            << r["body"].dump();
        EXPECT_LT(r["body"].value("Password", "").size(), 12u) << "the STK Password is logged in full";
    }
    EXPECT_TRUE(push_seen) << requests.dump();
    for (const auto& c : callbacks["callbacks"]) {
        EXPECT_NE(c.value("url", "").find("/hooks/daraja/****/"), std::string::npos) << c.dump();
    }
    for (const auto& r : requests["requests"]) {
        if (r.value("path", "").rfind("/oauth/", 0) != 0) continue;
        const std::string auth = r["headers"].value("Authorization", r["headers"].value("authorization", ""));
        EXPECT_EQ(auth, "Basic ****") << "OAuth client credentials are logged";
    }
}

}  // namespace
}  // namespace haven::testing
