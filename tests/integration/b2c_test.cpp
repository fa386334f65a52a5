// B2C payouts and refunds, reversals, transaction status and account balance, end to end against the
// built-in simulator over loopback (SQLite).
#include <atomic>
#include <thread>
#include <vector>

#include "gateway_fixture.hpp"

namespace haven::testing {
namespace {

class B2cTest : public GatewayTest {
  protected:
    /// A simulator rule for the given Daraja API ("b2c", "reversal", "balance", "status", "stkpush").
    void Rule(const std::string& api, const json& when, const json& then) {
        json rule = {{"api", api}, {"then", then}};
        if (!when.is_null()) rule["when"] = when;
        auto r = Sim("POST", "/sim/v1/rules", {{"rules", json::array({rule})}, {"replace", false}});
        ASSERT_EQ(r.status, 200) << r.body.dump();
    }

    /// A paid STK push of `amount`; returns its transaction id.
    int64_t PaidStk(const std::string& token, int64_t amount) {
        auto r = Api("POST", "/api/v1/mpesa/stk-push", StkBody(amount), token);
        EXPECT_EQ(r.status, 200) << r.body.dump();
        auto final = WaitFinal(token, r.body["data"].value("checkoutRequestId", ""));
        EXPECT_EQ(final["status"], "SUCCESS") << final.dump();
        return r.body["data"].value("transactionId", int64_t{0});
    }

    /// A payout or reversal: these require an Idempotency-Key, so each call gets a new one unless
    /// `headers` names it (a retry of the same attempt).
    Reply Money(const std::string& path, const json& body, const std::string& token, net::Headers headers = {}) {
        if (!headers.count("Idempotency-Key")) headers["Idempotency-Key"] = "b2c-test-" + std::to_string(++keys_);
        return Api("POST", path, body, token, headers);
    }

    json Payout(int64_t amount, const std::string& type = "payout") {
        return {{"phoneNumber", "0708374149"}, {"amount", amount}, {"type", type}, {"remarks", "Caretaker pay"}};
    }

    json Tx(const std::string& token, int64_t id) {
        return Api("GET", "/api/v1/mpesa/transactions/" + std::to_string(id), nullptr, token).body["data"];
    }

    /// Polls the transaction until it leaves PENDING.
    json WaitTx(const std::string& token, int64_t id) {
        json data;
        Eventually([&] {
            data = Tx(token, id);
            return data.is_object() && data.value("status", "") != "PENDING";
        });
        return data;
    }

    static int CountEvents(const json& tx, const std::string& kind) {
        int n = 0;
        for (const auto& e : tx["timeline"]) n += e.value("kind", "") == kind;
        return n;
    }

    std::atomic<int> keys_{0};
};

TEST_F(B2cTest, PayoutSucceedsWithOurOriginatorConversationId) {
    auto token = Login("admin@a.test");
    auto r = Money("/api/v1/mpesa/b2c", Payout(500), token);
    ASSERT_EQ(r.status, 200) << r.body.dump();
    const auto& data = r.body["data"];
    EXPECT_EQ(data["kind"], "b2c");
    EXPECT_EQ(data["commandId"], "BusinessPayment");
    EXPECT_EQ(data["status"], "PENDING");
    const std::string originator = data.value("originatorConversationId", "");
    EXPECT_FALSE(originator.empty());
    auto tx = WaitTx(token, data["id"]);
    EXPECT_EQ(tx["status"], "SUCCESS") << tx.dump();
    EXPECT_EQ(tx["resultCode"], 0);
    EXPECT_EQ(tx["mpesaReceiptNumber"].get<std::string>().size(), 10u);
    EXPECT_EQ(CountEvents(tx, "request_sent"), 1);
    EXPECT_EQ(CountEvents(tx, "daraja_response"), 1);
    EXPECT_EQ(CountEvents(tx, "result"), 1);
    EXPECT_EQ(tx["timeline"].dump().find("254708374149"), std::string::npos) << "a full phone number in the timeline";

    auto sent = Sim("GET", "/sim/v1/requests");
    bool found = false;
    for (const auto& req : sent.body.value("requests", json::array())) {
        if (req.value("path", "") != "/mpesa/b2c/v3/paymentrequest") continue;
        json body = req["body"].is_string() ? json::parse(req["body"].get<std::string>(), nullptr, false) : req["body"];
        found = body.value("OriginatorConversationID", "") == originator &&
                body.value("CommandID", "") == "BusinessPayment";
    }
    EXPECT_TRUE(found) << "the v3 request did not carry our OriginatorConversationID";

    auto list = Api("GET", "/api/v1/mpesa/transactions?kind=b2c", nullptr, token);
    ASSERT_EQ(list.status, 200);
    ASSERT_EQ(list.body["data"]["items"].size(), 1u);
    EXPECT_EQ(list.body["data"]["items"][0]["kind"], "b2c");
    EXPECT_EQ(Api("GET", "/api/v1/mpesa/transactions?kind=stk", nullptr, token).body["data"]["items"].size(), 0u);
}

TEST_F(B2cTest, SalaryAndBonusMapToTheirCommandIds) {
    auto token = Login("admin@a.test");
    EXPECT_EQ(Money("/api/v1/mpesa/b2c", Payout(100, "salary"), token).body["data"]["commandId"], "SalaryPayment");
    EXPECT_EQ(Money("/api/v1/mpesa/b2c", Payout(100, "bonus"), token).body["data"]["commandId"], "PromotionPayment");
    auto bad = Money("/api/v1/mpesa/b2c", Payout(100, "gift"), token);
    EXPECT_EQ(bad.status, 400) << bad.body.dump();
}

TEST_F(B2cTest, InsufficientFundsFails) {
    Rule("b2c", {{"amount", 777}}, {{"resultCode", "1"}});
    auto token = Login("admin@a.test");
    auto r = Money("/api/v1/mpesa/b2c", Payout(777), token);
    ASSERT_EQ(r.status, 200) << r.body.dump();
    auto tx = WaitTx(token, r.body["data"]["id"]);
    EXPECT_EQ(tx["status"], "FAILED");
    EXPECT_EQ(tx["resultCode"], 1);
}

TEST_F(B2cTest, QueueTimeoutStaysPendingThenSettledByTransactionStatus) {
    Rule("b2c", {{"amount", 321}}, {{"queueTimeout", true}});
    auto token = Login("admin@a.test");
    auto r = Money("/api/v1/mpesa/b2c", Payout(321), token);
    ASSERT_EQ(r.status, 200) << r.body.dump();
    auto tx = WaitTx(token, r.body["data"]["id"]);
    // The simulator never paid it: the gateway's own status query hears "no such transaction".
    EXPECT_EQ(tx["status"], "FAILED") << tx.dump();
    EXPECT_EQ(CountEvents(tx, "timeout"), 1);
    EXPECT_EQ(CountEvents(tx, "status_query"), 1);
    EXPECT_EQ(CountEvents(tx, "status_result"), 1);
    EXPECT_GE(SimRequestCount("/mpesa/transactionstatus/v1/query"), 1);
}

TEST_F(B2cTest, ResultThatNeverCameIsSettledByStatusQuery) {
    Rule("b2c", {{"amount", 654}}, {{"callbacks", 0}});
    auto token = Login("admin@a.test");
    auto r = Money("/api/v1/mpesa/b2c", Payout(654), token);
    ASSERT_EQ(r.status, 200) << r.body.dump();
    const int64_t id = r.body["data"]["id"];
    // Wait until the simulator booked the payment (its result is never delivered).
    const std::string originator = r.body["data"]["originatorConversationId"];
    ASSERT_TRUE(Eventually([&] {
        for (const auto& e : Sim("GET", "/sim/v1/ledger").body.value("entries", json::array())) {
            if (e.value("originatorConversationId", "") == originator) return true;
        }
        return false;
    }));
    EXPECT_EQ(Tx(token, id)["status"], "PENDING");
    auto q = Api("POST", "/api/v1/mpesa/transaction-status", {{"transactionId", id}}, Login("manager@a.test"));
    ASSERT_EQ(q.status, 200) << q.body.dump();
    auto tx = WaitTx(token, id);
    EXPECT_EQ(tx["status"], "SUCCESS") << tx.dump();
    EXPECT_EQ(tx["mpesaReceiptNumber"].get<std::string>().size(), 10u);
}

TEST_F(B2cTest, DuplicateResultChangesStateOnce) {
    Rule("b2c", {{"amount", 222}}, {{"callbacks", 2}});
    auto token = Login("admin@a.test");
    auto r = Money("/api/v1/mpesa/b2c", Payout(222), token);
    ASSERT_EQ(r.status, 200) << r.body.dump();
    const int64_t id = r.body["data"]["id"];
    ASSERT_TRUE(Eventually([&] { return CountEvents(Tx(token, id), "result") == 2; })) << Tx(token, id).dump();
    EXPECT_EQ(Tx(token, id)["status"], "SUCCESS");
    EXPECT_EQ(*gateway_->store().CountAudit("b2c.status", "success"), 1);
}

TEST_F(B2cTest, ResultShapesAreTolerated) {
    auto token = Login("admin@a.test");
    auto r = Money("/api/v1/mpesa/b2c", Payout(150), token);
    ASSERT_EQ(r.status, 200);
    const std::string originator = r.body["data"]["originatorConversationId"];
    const std::string secret = gateway_->config().callback_secret;
    // Bare-object ResultParameter, ResultCode as a string, keys in another order: applied or ignored, never 500.
    json body = {{"Result",
                  {{"TransactionID", "TFE0000000"},
                   {"ResultParameters", {{"ResultParameter", {{"Value", 150}, {"Key", "TransactionAmount"}}}}},
                   {"ResultCode", "2001"},
                   {"OriginatorConversationID", originator},
                   {"ConversationID", "AG_unknown"},
                   {"ResultDesc", "The initiator information is invalid."}}}};
    auto posted = Call("POST", gateway_->BaseUrl() + "/api/v1/mpesa/b2c/result?secret=" + secret, body.dump());
    EXPECT_EQ(posted.status, 200) << posted.body.dump();
    auto unknown = body;
    unknown["Result"]["OriginatorConversationID"] = "nobody";
    unknown["Result"]["ConversationID"] = "AG_nobody";
    EXPECT_EQ(Call("POST", gateway_->BaseUrl() + "/api/v1/mpesa/b2c/result?secret=" + secret, unknown.dump()).status,
              200);
    EXPECT_EQ(*gateway_->store().CountUnmatchedCallbacks("AG_nobody"), 1);
    EXPECT_EQ(Call("POST", gateway_->BaseUrl() + "/api/v1/mpesa/b2c/result?secret=wrong", body.dump()).status, 401);
}

TEST_F(B2cTest, RefundCapHoldsUnderTwentyConcurrentRequests) {
    auto token = Login("admin@a.test");
    const int64_t paid = PaidStk(token, 1000);
    ASSERT_GT(paid, 0);
    std::atomic<int> accepted{0}, refused{0}, other{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 20; ++i) {
        threads.emplace_back([&] {
            json body = Payout(100, "refund");
            body["originalTransactionId"] = paid;
            auto r = Money("/api/v1/mpesa/b2c", body, token);
            if (r.status == 200)
                ++accepted;
            else if (r.status == 422)
                ++refused;
            else
                ++other;
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(accepted.load(), 10);
    EXPECT_EQ(refused.load(), 10);
    EXPECT_EQ(other.load(), 0);
    auto original = Tx(token, paid);
    EXPECT_EQ(original["refunded"], 1000);
    json more = Payout(10, "refund");
    more["originalTransactionId"] = paid;
    EXPECT_EQ(Money("/api/v1/mpesa/b2c", more, token).status, 422);
}

TEST_F(B2cTest, ReversalOfSuccessfulPaymentMarksItReversedOnce) {
    auto token = Login("admin@a.test");
    const int64_t paid = PaidStk(token, 1200);
    json body = {{"transactionId", paid}, {"remarks", "Wrong paybill"}, {"reason", "Tenant paid twice"}};
    auto r = Money("/api/v1/mpesa/reverse", body, token);
    ASSERT_EQ(r.status, 200) << r.body.dump();
    EXPECT_EQ(r.body["data"]["kind"], "reversal");
    auto tx = WaitTx(token, r.body["data"]["id"]);
    EXPECT_EQ(tx["status"], "SUCCESS") << tx.dump();
    EXPECT_EQ(Tx(token, paid)["reversed"], true);
    auto again = Money("/api/v1/mpesa/reverse", body, token);
    EXPECT_EQ(again.status, 409) << again.body.dump();
    auto list = Api("GET", "/api/v1/mpesa/transactions", nullptr, token);
    ASSERT_EQ(list.body["data"]["items"].size(), 2u);
    EXPECT_EQ(list.body["data"]["items"][0]["kind"], "reversal");
    EXPECT_EQ(list.body["data"]["items"][1]["kind"], "stk");
}

TEST_F(B2cTest, ReversalOfFailedPaymentIsRefused) {
    SimRule(1032, {{"resultCode", "1032"}});
    auto token = Login("admin@a.test");
    auto r = Api("POST", "/api/v1/mpesa/stk-push", StkBody(1032), token);
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(WaitFinal(token, r.body["data"]["checkoutRequestId"])["status"], "FAILED");
    auto rev = Money("/api/v1/mpesa/reverse",
                     {{"transactionId", r.body["data"]["transactionId"]}, {"remarks", "x"}, {"reason", "y"}}, token);
    EXPECT_EQ(rev.status, 422) << rev.body.dump();
    EXPECT_EQ(SimRequestCount("/mpesa/reversal/"), 0);
}

TEST_F(B2cTest, OnlyAdminsPayOutOrReverseAndEveryAttemptIsAudited) {
    auto admin = Login("admin@a.test");
    const int64_t paid = PaidStk(admin, 900);
    for (const char* who : {"manager@a.test", "viewer@a.test"}) {
        auto token = Login(who);
        EXPECT_EQ(
            Money("/api/v1/mpesa/reverse", {{"transactionId", paid}, {"remarks", "x"}, {"reason", "y"}}, token).status,
            403);
        EXPECT_EQ(Money("/api/v1/mpesa/b2c", Payout(100), token).status, 403);
    }
    EXPECT_EQ(*gateway_->store().CountAudit("reversal.initiate", "denied"), 2);
    EXPECT_EQ(*gateway_->store().CountAudit("b2c.initiate", "denied"), 2);
    EXPECT_EQ(SimRequestCount("/mpesa/reversal/"), 0);
    EXPECT_EQ(SimRequestCount("/mpesa/b2c/"), 0);
}

TEST_F(B2cTest, IdempotencyKeyPaysOnce) {
    auto token = Login("admin@a.test");
    auto first = Money("/api/v1/mpesa/b2c", Payout(300), token, {{"Idempotency-Key", "k-300"}});
    auto second = Money("/api/v1/mpesa/b2c", Payout(300), token, {{"Idempotency-Key", "k-300"}});
    ASSERT_EQ(first.status, 200);
    EXPECT_EQ(second.status, 200);
    EXPECT_EQ(first.body["data"]["id"], second.body["data"]["id"]);
    EXPECT_EQ(SimRequestCount("/mpesa/b2c/"), 1);
}

TEST_F(B2cTest, PayoutsAndReversalsWithoutAnIdempotencyKeyAreRefused) {
    auto token = Login("admin@a.test");
    const int64_t paid = PaidStk(token, 700);  // an STK push without a key is still accepted
    ASSERT_GT(paid, 0);
    for (int i = 0; i < 5; ++i) {
        auto r = Api("POST", "/api/v1/mpesa/b2c", Payout(250), token);
        EXPECT_EQ(r.status, 400) << r.body.dump();
        EXPECT_EQ(r.body["error"]["code"], "VALIDATION_ERROR");
        const std::string message = r.body["error"].value("message", "");
        EXPECT_NE(message.find("Idempotency-Key"), std::string::npos) << message;
        EXPECT_NE(message.find("UUID"), std::string::npos) << message;
    }
    EXPECT_EQ(SimRequestCount("/mpesa/b2c/"), 0) << "a payout without a key reached M-Pesa";
    EXPECT_EQ(Api("GET", "/api/v1/mpesa/transactions?kind=b2c", nullptr, token).body["data"]["items"].size(), 0u);

    json reversal = {{"transactionId", paid}, {"remarks", "Wrong paybill"}, {"reason", "Tenant paid twice"}};
    auto rev = Api("POST", "/api/v1/mpesa/reverse", reversal, token);
    EXPECT_EQ(rev.status, 400) << rev.body.dump();
    EXPECT_NE(rev.body["error"].value("message", "").find("Idempotency-Key"), std::string::npos);
    EXPECT_EQ(SimRequestCount("/mpesa/reversal/"), 0);
    EXPECT_EQ(Tx(token, paid)["reversed"], false);
}

TEST_F(B2cTest, BalanceCheckAndLatestParsed) {
    auto viewer = Login("viewer@a.test");
    EXPECT_EQ(Api("POST", "/api/v1/mpesa/balance", json::object(), viewer).status, 403);
    auto manager = Login("manager@a.test");
    auto before = Api("GET", "/api/v1/mpesa/balance/latest", nullptr, manager);
    EXPECT_EQ(before.status, 200);
    EXPECT_TRUE(before.body["data"].is_null());  // not checked yet
    auto r = Api("POST", "/api/v1/mpesa/balance", json::object(), manager);
    ASSERT_EQ(r.status, 200) << r.body.dump();
    json latest;
    ASSERT_TRUE(Eventually([&] {
        latest = Api("GET", "/api/v1/mpesa/balance/latest", nullptr, viewer).body["data"];
        return latest.is_object() && latest.value("status", "") == "SUCCESS";
    })) << latest.dump();
    EXPECT_FALSE(latest["checkedAt"].is_null());
    ASSERT_GE(latest["accounts"].size(), 2u);
    const auto& working = latest["accounts"][0];
    EXPECT_EQ(working["name"], "Working Account");
    EXPECT_EQ(working["currency"], "KES");
    EXPECT_DOUBLE_EQ(working["current"].get<double>(), 700000.0);
    EXPECT_DOUBLE_EQ(working["available"].get<double>(), 700000.0);
    EXPECT_DOUBLE_EQ(working["reserved"].get<double>(), 0.0);
    EXPECT_DOUBLE_EQ(working["uncleared"].get<double>(), 0.0);
    // Another agency sees none of it.
    auto other = Api("GET", "/api/v1/mpesa/balance/latest", nullptr, Login("admin@b.test"));
    EXPECT_EQ(other.status, 200);
    EXPECT_TRUE(other.body["data"].is_null());
}

TEST_F(B2cTest, AnotherAgencysObjectsAre404) {
    auto a = Login("admin@a.test");
    const int64_t paid = PaidStk(a, 800);
    auto payout = Money("/api/v1/mpesa/b2c", Payout(100), a);
    ASSERT_EQ(payout.status, 200);
    const int64_t payout_id = payout.body["data"]["id"];
    auto b = Login("admin@b.test");
    EXPECT_EQ(Api("GET", "/api/v1/mpesa/transactions/" + std::to_string(payout_id), nullptr, b).status, 404);
    EXPECT_EQ(Api("GET", "/api/v1/mpesa/transactions/" + std::to_string(paid), nullptr, b).status, 404);
    EXPECT_EQ(Money("/api/v1/mpesa/reverse", {{"transactionId", paid}, {"remarks", "x"}, {"reason", "y"}}, b).status,
              404);
    json refund = Payout(100, "refund");
    refund["originalTransactionId"] = paid;
    EXPECT_EQ(Money("/api/v1/mpesa/b2c", refund, b).status, 404);
    EXPECT_EQ(Api("POST", "/api/v1/mpesa/transaction-status", {{"transactionId", payout_id}}, b).status, 404);
    EXPECT_EQ(Api("GET", "/api/v1/mpesa/transactions", nullptr, b).body["data"]["items"].size(), 0u);
}

class B2cWrongPasswordTest : public B2cTest {
  protected:
    void SetUp() override {
        StartGateway([](app::Config& c) { c.initiator_password = "not-the-password"; });
    }
};

TEST_F(B2cWrongPasswordTest, WrongInitiatorPasswordFailsWith2001) {
    auto token = Login("admin@a.test");
    auto r = Money("/api/v1/mpesa/b2c", Payout(400), token);
    ASSERT_EQ(r.status, 200) << r.body.dump();
    auto tx = WaitTx(token, r.body["data"]["id"]);
    EXPECT_EQ(tx["status"], "FAILED");
    EXPECT_EQ(tx["resultCode"], 2001);
    // The password is never stored or echoed.
    EXPECT_EQ(tx.dump().find("not-the-password"), std::string::npos);
}

}  // namespace
}  // namespace haven::testing
