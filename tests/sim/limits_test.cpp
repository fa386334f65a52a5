// Daraja's account limits over real loopback sockets: the 17 "Rule limited" repeat-payment rule
// (docs/daraja.md §12.4) and API product gating, 401.003.01 (§12.6, §1.3).
#include <atomic>
#include <memory>

#include "harness.hpp"

namespace haven::sim::test {
namespace {

constexpr const char* kPush = "/mpesa/stkpush/v1/processrequest";
constexpr const char* kNoProduct =
    "Error Occurred - Invalid Access Token - Invalid API call as no apiproduct match found";

Json Callback(const Json& body) { return body["Body"]["stkCallback"]; }

size_t StkEntries(const Json& ledger) {
    size_t n = 0;
    for (const auto& e : ledger["entries"]) n += e["kind"] == "stk" ? 1 : 0;
    return n;
}

// ---- Rule limited (17) ----

TEST_F(SimTest, RuleLimitOffByDefault) {
    StartSim();
    EXPECT_FALSE(CompletedStk(7).empty());
    EXPECT_FALSE(CompletedStk(7).empty());
    auto cbs = receiver_->Bodies("/stk");
    ASSERT_EQ(cbs.size(), 2u);
    EXPECT_EQ(Callback(cbs[1])["ResultCode"], 0);
}

TEST_F(SimTest, SameAmountSameCustomerWithinWindowIsRuleLimited) {
    auto offset = std::make_shared<std::atomic<int64_t>>(0);  // seconds added to the simulator's clock
    auto options = FastOptions();
    options.rule_limit_window = std::chrono::seconds(120);
    options.clock = [offset] { return Clock::now() + std::chrono::seconds(offset->load()); };
    StartSim(options);

    ASSERT_FALSE(CompletedStk(7).empty());
    auto ledger_before = Control("GET", "/sim/v1/ledger").body;

    auto r = Post(kPush, StkRequest(7));
    ASSERT_EQ(r.status, 200) << r.text;  // accepted: the limit shows in the callback
    auto cbs = receiver_->WaitFor("/stk", 2);
    ASSERT_EQ(cbs.size(), 2u);
    Json cb = Callback(cbs[1]);
    EXPECT_EQ(cb["CheckoutRequestID"], r.body["CheckoutRequestID"]);
    EXPECT_EQ(cb["ResultCode"], 17);
    EXPECT_TRUE(cb["ResultCode"].is_number());
    EXPECT_EQ(cb["ResultDesc"], "Rule limited.");
    EXPECT_FALSE(cb.contains("CallbackMetadata"));
    auto ledger_after = Control("GET", "/sim/v1/ledger").body;
    EXPECT_EQ(ledger_after["accounts"], ledger_before["accounts"]);  // no money moved
    EXPECT_EQ(StkEntries(ledger_after), 1u);

    // Another amount, or another customer, is not limited.
    EXPECT_FALSE(CompletedStk(8).empty());
    EXPECT_FALSE(CompletedStk(7, "254708374150").empty());

    // Once the window has passed the same payment goes through again.
    offset->store(121);
    EXPECT_FALSE(CompletedStk(7).empty());
    EXPECT_EQ(StkEntries(Control("GET", "/sim/v1/ledger").body), 4u);
}

TEST_F(SimTest, RuleLimitCountsOnlySuccessfulPayments) {
    auto options = FastOptions();
    options.rule_limit_window = std::chrono::seconds(120);
    StartSim(options);
    SetRules(Json::array({{{"api", "stkpush"}, {"then", {{"resultCode", "1032"}}}, {"times", 1}}}));
    ASSERT_EQ(Post(kPush, StkRequest(9)).status, 200);
    auto first = receiver_->WaitFor("/stk", 1);
    ASSERT_EQ(first.size(), 1u);
    EXPECT_EQ(Callback(first[0])["ResultCode"], 1032);
    EXPECT_FALSE(CompletedStk(9).empty());  // the cancelled push does not count
}

TEST_F(SimTest, ScenarioRuleOutcomeWinsOverRuleLimit) {
    auto options = FastOptions();
    options.rule_limit_window = std::chrono::seconds(120);
    StartSim(options);
    ASSERT_FALSE(CompletedStk(5).empty());
    SetRules(Json::array({{{"api", "stkpush"}, {"then", {{"resultCode", "1037"}}}}}));
    ASSERT_EQ(Post(kPush, StkRequest(5)).status, 200);
    auto cbs = receiver_->WaitFor("/stk", 2);
    ASSERT_EQ(cbs.size(), 2u);
    EXPECT_EQ(Callback(cbs[1])["ResultCode"], 1037);
}

// ---- API product gating (401.003.01) ----

TEST_F(SimTest, AllProductsEnabledByDefault) {
    StartSim();
    EXPECT_EQ(Post(kPush, StkRequest()).status, 200);
    Json reg = Fixture("c2b.registerurl.request.json");
    reg["ConfirmationURL"] = receiver_->Url("/confirmation");
    reg["ValidationURL"] = receiver_->Url("/validation");
    EXPECT_EQ(Post("/mpesa/c2b/v1/registerurl", reg).status, 200);
    EXPECT_EQ(Post("/mpesa/accountbalance/v1/query", AsyncRequest("accountbalance.request.json")).status, 200);
}

TEST_F(SimTest, C2bV1RefusedWhenOnlyV2ProductEnabled) {
    auto options = FastOptions();
    options.enabled_products = {"c2b_v2"};
    StartSim(options);
    Json reg = Fixture("c2b.registerurl.request.json");
    reg["ConfirmationURL"] = receiver_->Url("/confirmation");
    reg["ValidationURL"] = receiver_->Url("/validation");

    auto v1 = Post("/mpesa/c2b/v1/registerurl", reg);
    EXPECT_EQ(v1.status, 401) << v1.text;
    ExpectSameShape(Fixture("error.no-apiproduct-match.json"), v1.body);
    EXPECT_EQ(v1.body["errorCode"], "401.003.01");
    EXPECT_EQ(v1.body["errorMessage"], kNoProduct);
    EXPECT_EQ(Post("/mpesa/c2b/v1/simulate", Fixture("c2b.simulate.request.paybill.json")).status, 401);

    auto v2 = Post("/mpesa/c2b/v2/registerurl", reg);
    EXPECT_EQ(v2.status, 200) << v2.text;
    ExpectSameShape(Fixture("c2b.registerurl.response.v2.json"), v2.body);
    EXPECT_EQ(Post("/mpesa/c2b/v2/simulate", Fixture("c2b.simulate.request.paybill.json")).status, 200);
    EXPECT_EQ(receiver_->WaitFor("/confirmation").size(), 1u);

    // The refusal is logged like any other Daraja request.
    auto requests = Control("GET", "/sim/v1/requests").body["requests"];
    bool logged = false;
    for (const auto& r : requests) logged = logged || (r["path"] == "/mpesa/c2b/v1/registerurl" && r["status"] == 401);
    EXPECT_TRUE(logged) << requests.dump();
}

TEST_F(SimTest, DisabledProductsAnswer401ToValidTokenOnly) {
    auto options = FastOptions();
    options.enabled_products = {"stk"};
    StartSim(options);
    EXPECT_EQ(Post(kPush, StkRequest()).status, 200);  // OAuth and STK still work
    struct Call {
        const char* path;
        const char* fixture;
    };
    for (const Call& call : {Call{"/mpesa/b2c/v1/paymentrequest", "b2c.request.v1.json"},
                             Call{"/mpesa/b2c/v3/paymentrequest", "b2c.request.v3.json"},
                             Call{"/mpesa/reversal/v1/request", "reversal.request.json"},
                             Call{"/mpesa/accountbalance/v1/query", "accountbalance.request.json"},
                             Call{"/mpesa/transactionstatus/v1/query", "transactionstatus.request.json"}}) {
        auto r = Post(call.path, AsyncRequest(call.fixture));
        EXPECT_EQ(r.status, 401) << call.path << " " << r.text;
        EXPECT_EQ(r.body["errorCode"], "401.003.01") << call.path;
        EXPECT_EQ(r.body["errorMessage"], kNoProduct) << call.path;
    }
    EXPECT_EQ(receiver_->Count("/result"), 0u);
    // The token is checked first: a bad one is still 404.001.03, a missing header 404.001.04.
    auto bad = Post("/mpesa/b2c/v1/paymentrequest", AsyncRequest("b2c.request.v1.json"), "nottherighttoken");
    EXPECT_EQ(bad.status, 404);
    EXPECT_EQ(bad.body["errorCode"], "404.001.03");
    auto missing = Send("POST", "/mpesa/reversal/v1/request", AsyncRequest("reversal.request.json").dump(),
                        {{"Content-Type", "application/json"}});
    EXPECT_EQ(missing.body["errorCode"], "404.001.04");

    options = FastOptions();
    options.enabled_products = {"b2c", "status"};
    sim_->Stop();
    token_.clear();
    StartSim(options);
    EXPECT_EQ(Post(kPush, StkRequest()).body["errorCode"], "401.003.01");
    EXPECT_EQ(Post("/mpesa/stkpushquery/v1/query", Json::object()).body["errorCode"], "401.003.01");
    EXPECT_EQ(Post("/mpesa/b2c/v1/paymentrequest", AsyncRequest("b2c.request.v1.json")).status, 200);
}

TEST_F(SimTest, UnknownProductStopsStart) {
    auto options = FastOptions();
    options.enabled_products = {"stk", "c2b"};
    Simulator sim(runtime_, options);
    EXPECT_THROW(sim.Start(), std::runtime_error);
}

}  // namespace
}  // namespace haven::sim::test
