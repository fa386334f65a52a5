// M-Pesa Express end to end: gateway <-> simulator over loopback, SQLite underneath.
#include "core/time.hpp"
#include "gateway_fixture.hpp"

namespace haven::testing {
namespace {

using StkFlow = GatewayTest;

TEST_F(StkFlow, SuccessfulPushCreatesOnePaymentOnTheLease) {
    auto token = Login("admin@a.test");
    auto lease = CreateLease(token);
    auto push = Api("POST", "/api/v1/mpesa/stk-push", StkBody(15000, lease["id"].get<int64_t>()), token);
    ASSERT_EQ(push.status, 200) << push.body.dump();
    const auto& data = push.body["data"];
    EXPECT_EQ(data["responseCode"], "0");
    EXPECT_TRUE(data["checkoutRequestId"].get<std::string>().rfind("ws_CO_", 0) == 0);
    EXPECT_FALSE(data["merchantRequestId"].get<std::string>().empty());
    EXPECT_FALSE(data["customerMessage"].get<std::string>().empty());

    auto final_state = WaitFinal(token, data["checkoutRequestId"]);
    EXPECT_EQ(final_state["status"], "SUCCESS");
    EXPECT_EQ(final_state["outcome"], "SUCCESS");
    EXPECT_EQ(final_state["resultCode"], 0);
    EXPECT_EQ(final_state["mpesaReceiptNumber"].get<std::string>().size(), 10u);
    EXPECT_FALSE(final_state["transactionDate"].is_null());

    auto payments = Api("GET", "/api/v1/leases/" + lease["id"].dump() + "/payments", nullptr, token);
    ASSERT_EQ(payments.status, 200);
    ASSERT_EQ(payments.body["data"].size(), 1u);
    EXPECT_EQ(payments.body["data"][0]["amount"], 15000);
    EXPECT_EQ(payments.body["data"][0]["mpesaReceiptNumber"], final_state["mpesaReceiptNumber"]);
    auto lease_after = Api("GET", "/api/v1/leases/" + lease["id"].dump(), nullptr, token);
    EXPECT_EQ(lease_after.body["data"]["totalPaid"], 15000);
}

TEST_F(StkFlow, StatusShowsPendingUntilTheCallbackArrives) {
    auto token = Login("manager@a.test");
    SimRule(77, {{"resultCode", "0"}, {"delayMs", 1500}});
    auto push = Api("POST", "/api/v1/mpesa/stk-push", StkBody(77), token);
    ASSERT_EQ(push.status, 200) << push.body.dump();
    auto id = push.body["data"]["checkoutRequestId"].get<std::string>();
    auto status = Api("GET", "/api/v1/mpesa/status/" + id, nullptr, token);
    ASSERT_EQ(status.status, 200);
    EXPECT_EQ(status.body["data"]["status"], "PENDING");
    EXPECT_EQ(status.body["data"]["amount"], 77);
    EXPECT_EQ(WaitFinal(token, id)["status"], "SUCCESS");
}

struct FailureCase {
    const char* code;
    const char* outcome;
};

void PrintTo(const FailureCase& c, std::ostream* os) { *os << c.code << " " << c.outcome; }

class StkFailures : public GatewayTest, public ::testing::WithParamInterface<FailureCase> {};

TEST_P(StkFailures, FailedPushEndsFailedWithMpesaWordsAndAPlainMessage) {
    auto token = Login("admin@a.test");
    auto lease = CreateLease(token);
    SimRule(500, {{"resultCode", GetParam().code}});
    auto push = Api("POST", "/api/v1/mpesa/stk-push", StkBody(500, lease["id"].get<int64_t>()), token);
    ASSERT_EQ(push.status, 200) << push.body.dump();
    auto final_state = WaitFinal(token, push.body["data"]["checkoutRequestId"]);
    EXPECT_EQ(final_state["status"], "FAILED");
    EXPECT_EQ(final_state["resultCode"], std::stoi(GetParam().code));
    EXPECT_EQ(final_state["outcome"], GetParam().outcome);
    EXPECT_FALSE(final_state["resultDescription"].get<std::string>().empty());
    EXPECT_FALSE(final_state["userMessage"].get<std::string>().empty());
    EXPECT_TRUE(final_state["mpesaReceiptNumber"].is_null());
    auto payments = Api("GET", "/api/v1/leases/" + lease["id"].dump() + "/payments", nullptr, token);
    EXPECT_EQ(payments.body["data"].size(), 0u);
}

INSTANTIATE_TEST_SUITE_P(ResultCodes, StkFailures,
                         ::testing::Values(FailureCase{"1032", "CANCELLED"}, FailureCase{"1037", "TIMEOUT"},
                                           FailureCase{"1", "INSUFFICIENT_FUNDS"}, FailureCase{"2001", "WRONG_PIN"}),
                         [](const auto& info) { return std::string(info.param.outcome); });

TEST_F(StkFlow, DuplicateAndTriplicateCallbacksChangeStateOnceAndCreateOnePayment) {
    auto token = Login("admin@a.test");
    auto lease = CreateLease(token);
    SimRule(300, {{"resultCode", "0"}, {"callbacks", 3}});
    auto push = Api("POST", "/api/v1/mpesa/stk-push", StkBody(300, lease["id"].get<int64_t>()), token);
    ASSERT_EQ(push.status, 200) << push.body.dump();
    auto id = push.body["data"]["checkoutRequestId"].get<std::string>();
    EXPECT_EQ(WaitFinal(token, id)["status"], "SUCCESS");
    // All three deliveries reach the timeline; only one payment exists.
    auto tx_id = push.body["data"]["transactionId"].dump();
    ASSERT_TRUE(Eventually([&] {
        auto detail = Api("GET", "/api/v1/mpesa/transactions/" + tx_id, nullptr, token);
        int callbacks = 0;
        for (const auto& e : detail.body["data"]["timeline"]) callbacks += e["kind"] == "callback";
        return callbacks == 3;
    }));
    auto payments = Api("GET", "/api/v1/leases/" + lease["id"].dump() + "/payments", nullptr, token);
    EXPECT_EQ(payments.body["data"].size(), 1u);
}

TEST_F(StkFlow, CallbackArrivingBeforeDarajasAnswerIsStillApplied) {
    auto token = Login("admin@a.test");
    auto lease = CreateLease(token);
    // The simulator delivers the callback before it answers the push itself.
    SimRule(321, {{"resultCode", "0"}, {"outOfOrder", true}});
    auto push = Api("POST", "/api/v1/mpesa/stk-push", StkBody(321, lease["id"].get<int64_t>()), token);
    ASSERT_EQ(push.status, 200) << push.body.dump();
    const std::string id = push.body["data"]["checkoutRequestId"];
    // No reconciliation runs in this fixture: only the early callback can settle it.
    auto final_state = WaitFinal(token, id, std::chrono::seconds(5));
    EXPECT_EQ(final_state["status"], "SUCCESS");
    EXPECT_EQ(final_state["mpesaReceiptNumber"].get<std::string>().size(), 10u);
    auto payments = Api("GET", "/api/v1/leases/" + lease["id"].dump() + "/payments", nullptr, token);
    EXPECT_EQ(payments.body["data"].size(), 1u);
    EXPECT_EQ(gateway_->store().CountUnmatchedCallbacks(id).value_or(-1), 0);
}

TEST_F(StkFlow, FinalStateNeverMovesBack) {
    auto token = Login("admin@a.test");
    auto push = Api("POST", "/api/v1/mpesa/stk-push", StkBody(20), token);
    auto id = push.body["data"]["checkoutRequestId"].get<std::string>();
    auto merchant = push.body["data"]["merchantRequestId"].get<std::string>();
    ASSERT_EQ(WaitFinal(token, id)["status"], "SUCCESS");
    // A late failure callback for the same push is acknowledged and ignored.
    json late = {{"Body",
                  {{"stkCallback",
                    {{"MerchantRequestID", merchant},
                     {"CheckoutRequestID", id},
                     {"ResultCode", 1032},
                     {"ResultDesc", "Request Cancelled by user."}}}}}};
    auto secret = gateway_->config().callback_secret;
    auto r = Api("POST", "/api/v1/mpesa/callback?secret=" + secret, late);
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, json({{"ResultCode", 0}, {"ResultDesc", "Accepted"}}));
    auto status = Api("GET", "/api/v1/mpesa/status-detailed/" + id, nullptr, token);
    EXPECT_EQ(status.body["data"]["status"], "SUCCESS");
    EXPECT_EQ(status.body["data"]["resultCode"], 0);
}

TEST_F(StkFlow, ForgedCallbackWithoutTheSecretChangesNothing) {
    auto token = Login("admin@a.test");
    auto lease = CreateLease(token);
    SimRule(40, {{"resultCode", "0"}, {"callbacks", 0}});  // the real callback never comes
    auto push = Api("POST", "/api/v1/mpesa/stk-push", StkBody(40, lease["id"].get<int64_t>()), token);
    ASSERT_EQ(push.status, 200) << push.body.dump();
    auto id = push.body["data"]["checkoutRequestId"].get<std::string>();
    json forged = {{"Body",
                    {{"stkCallback",
                      {{"MerchantRequestID", "x"},
                       {"CheckoutRequestID", id},
                       {"ResultCode", 0},
                       {"ResultDesc", "The service request is processed successfully."},
                       {"CallbackMetadata",
                        {{"Item", json::array({{{"Name", "Amount"}, {"Value", 40}},
                                               {{"Name", "MpesaReceiptNumber"}, {"Value", "UKS1FAKE00"}}})}}}}}}}};
    for (std::string query : {"", "?secret=wrong", "?secret="}) {
        auto r = Api("POST", "/api/v1/mpesa/callback" + query, forged);
        EXPECT_EQ(r.status, 401) << query;
        EXPECT_EQ(r.body["success"], false);
    }
    auto status = Api("GET", "/api/v1/mpesa/status/" + id, nullptr, token);
    EXPECT_EQ(status.body["data"]["status"], "PENDING");
    auto payments = Api("GET", "/api/v1/leases/" + lease["id"].dump() + "/payments", nullptr, token);
    EXPECT_EQ(payments.body["data"].size(), 0u);
    EXPECT_GE(gateway_->store().CountAudit("callback.stk", "denied").value_or(0), 3);
}

TEST_F(StkFlow, CallbackForUnknownCheckoutIdIsStoredAndAcknowledged) {
    json body = {{"Body",
                  {{"stkCallback",
                    {{"MerchantRequestID", "m-1"},
                     {"CheckoutRequestID", "ws_CO_unknown_42"},
                     {"ResultCode", 1032},
                     {"ResultDesc", "Request Cancelled by user."}}}}}};
    auto r = Api("POST", "/api/v1/mpesa/callback?secret=" + gateway_->config().callback_secret, body);
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body["ResultCode"], 0);
    EXPECT_EQ(gateway_->store().CountUnmatchedCallbacks("ws_CO_unknown_42").value_or(0), 1);
}

TEST_F(StkFlow, AnotherAgencysTransactionAndLeaseAreNotFound) {
    auto token_a = Login("admin@a.test");
    auto token_b = Login("admin@b.test");
    auto lease = CreateLease(token_a);
    auto push = Api("POST", "/api/v1/mpesa/stk-push", StkBody(10, lease["id"].get<int64_t>()), token_a);
    ASSERT_EQ(push.status, 200);
    auto id = push.body["data"]["checkoutRequestId"].get<std::string>();
    auto tx_id = push.body["data"]["transactionId"].dump();
    EXPECT_EQ(Api("GET", "/api/v1/mpesa/status/" + id, nullptr, token_b).status, 404);
    EXPECT_EQ(Api("GET", "/api/v1/mpesa/status-detailed/" + id, nullptr, token_b).status, 404);
    EXPECT_EQ(Api("GET", "/api/v1/mpesa/transactions/" + tx_id, nullptr, token_b).status, 404);
    EXPECT_EQ(Api("GET", "/api/v1/leases/" + lease["id"].dump(), nullptr, token_b).status, 404);
    EXPECT_EQ(Api("GET", "/api/v1/leases/" + lease["id"].dump() + "/payments", nullptr, token_b).status, 404);
    EXPECT_EQ(Api("GET", "/api/v1/mpesa/transactions", nullptr, token_b).body["data"]["items"].size(), 0u);
    // Agency B cannot book a push to A's lease either.
    auto cross = Api("POST", "/api/v1/mpesa/stk-push", StkBody(10, lease["id"].get<int64_t>()), token_b);
    EXPECT_EQ(cross.status, 400);
    EXPECT_EQ(Api("GET", "/api/v1/mpesa/status/" + id, nullptr, token_a).status, 200);
}

TEST_F(StkFlow, IdempotentRetrySendsOnePromptAndReplaysTheAnswer) {
    auto token = Login("admin@a.test");
    net::Headers key{{"Idempotency-Key", "7d9f5c1e-retry-1"}};
    auto first = Api("POST", "/api/v1/mpesa/stk-push", StkBody(55), token, key);
    ASSERT_EQ(first.status, 200) << first.body.dump();
    auto second = Api("POST", "/api/v1/mpesa/stk-push", StkBody(55), token, key);
    EXPECT_EQ(second.status, 200);
    EXPECT_EQ(second.body, first.body);
    EXPECT_EQ(SimRequestCount("/mpesa/stkpush/v1/processrequest"), 1);
    auto list = Api("GET", "/api/v1/mpesa/transactions", nullptr, token);
    EXPECT_EQ(list.body["data"]["items"].size(), 1u);
    // Same key, different body: refused, nothing sent.
    auto other = Api("POST", "/api/v1/mpesa/stk-push", StkBody(56), token, key);
    EXPECT_EQ(other.status, 422);
    EXPECT_EQ(other.body["error"]["code"], "IDEMPOTENCY_KEY_REUSED");
    EXPECT_EQ(SimRequestCount("/mpesa/stkpush/v1/processrequest"), 1);
}

TEST_F(StkFlow, OneOAuthTokenServesManyPushes) {
    auto token = Login("admin@a.test");
    for (int i = 0; i < 3; ++i) {
        auto push = Api("POST", "/api/v1/mpesa/stk-push", StkBody(100 + i), token);
        ASSERT_EQ(push.status, 200) << push.body.dump();
        // One open prompt per phone (Daraja locks the subscriber): let each finish first.
        ASSERT_EQ(WaitFinal(token, push.body["data"]["checkoutRequestId"])["status"], "SUCCESS");
    }
    EXPECT_EQ(SimRequestCount("/oauth/v1/generate"), 1);
    EXPECT_EQ(SimRequestCount("/mpesa/stkpush/v1/processrequest"), 3);
}

TEST_F(StkFlow, DarajaRefusalIsA502WithDarajasCodeAndTheRowIsFailed) {
    auto token = Login("admin@a.test");
    SimRule(66, {{"httpStatus", 500}, {"errorCode", "500.001.1001"}, {"errorMessage", "Merchant does not exist"}});
    auto push = Api("POST", "/api/v1/mpesa/stk-push", StkBody(66), token);
    ASSERT_EQ(push.status, 502) << push.body.dump();
    EXPECT_EQ(push.body["success"], false);
    EXPECT_EQ(push.body["error"]["code"], "DARAJA_ERROR");
    EXPECT_EQ(push.body["error"]["darajaErrorCode"], "500.001.1001");
    EXPECT_NE(push.body["error"]["message"].get<std::string>().find("Merchant does not exist"), std::string::npos);
    auto list = Api("GET", "/api/v1/mpesa/transactions?status=FAILED", nullptr, token);
    ASSERT_EQ(list.body["data"]["items"].size(), 1u);
}

TEST_F(StkFlow, TransactionListFiltersAndPagesWithACursor) {
    auto token = Login("admin@a.test");
    auto lease = CreateLease(token);
    SimRule(700, {{"resultCode", "1032"}});
    std::vector<std::string> ids;
    for (int64_t amount : {701, 700, 702}) {  // SUCCESS (lease), FAILED, SUCCESS (no lease)
        auto body = StkBody(amount, amount == 701 ? std::optional<int64_t>(lease["id"].get<int64_t>()) : std::nullopt);
        auto push = Api("POST", "/api/v1/mpesa/stk-push", body, token);
        ASSERT_EQ(push.status, 200) << push.body.dump();
        WaitFinal(token, push.body["data"]["checkoutRequestId"]);
    }
    auto list = [&](const std::string& query) {
        auto r = Api("GET", "/api/v1/mpesa/transactions" + query, nullptr, token);
        EXPECT_EQ(r.status, 200) << query << " " << r.body.dump();
        return r.body["data"];
    };
    EXPECT_EQ(list("")["items"].size(), 3u);
    EXPECT_EQ(list("?status=FAILED")["items"].size(), 1u);
    EXPECT_EQ(list("?status=FAILED")["items"][0]["amount"], 700);
    EXPECT_EQ(list("?leaseId=" + lease["id"].dump())["items"].size(), 1u);
    EXPECT_EQ(list("?phoneNumber=0708374149")["items"].size(), 3u);
    EXPECT_EQ(list("?phoneNumber=0711000000")["items"].size(), 0u);
    // Bare dates are Nairobi days.
    const auto now = std::chrono::system_clock::now();
    const std::string today = core::IsoUtc(now + std::chrono::hours(3)).substr(0, 10);
    const std::string tomorrow = core::IsoUtc(now + std::chrono::hours(27)).substr(0, 10);
    const std::string yesterday = core::IsoUtc(now - std::chrono::hours(21)).substr(0, 10);
    EXPECT_EQ(list("?from=" + today + "&to=" + today)["items"].size(), 3u);
    EXPECT_EQ(list("?from=" + tomorrow)["items"].size(), 0u);
    EXPECT_EQ(list("?to=" + yesterday)["items"].size(), 0u);
    // Cursor paging: newest first, no row twice, no row missed.
    auto first = list("?limit=2");
    ASSERT_EQ(first["items"].size(), 2u);
    ASSERT_TRUE(first["nextCursor"].is_string());
    auto second = list("?limit=2&cursor=" + first["nextCursor"].get<std::string>());
    ASSERT_EQ(second["items"].size(), 1u);
    EXPECT_TRUE(second["nextCursor"].is_null());
    EXPECT_GT(first["items"][0]["id"].get<int64_t>(), first["items"][1]["id"].get<int64_t>());
    EXPECT_GT(first["items"][1]["id"].get<int64_t>(), second["items"][0]["id"].get<int64_t>());
    for (const char* bad :
         {"?status=DONE", "?limit=0", "?limit=500", "?from=yesterday", "?cursor=abc", "?kind=paybill"}) {
        EXPECT_EQ(Api("GET", std::string("/api/v1/mpesa/transactions") + bad, nullptr, token).status, 400) << bad;
    }
}

TEST_F(StkFlow, MissingCallbackIsSettledByStkQuery) {
    gateway_->Stop();
    StartGateway([](app::Config& c) {
        c.reconciler.first_after = std::chrono::seconds(0);
        c.reconciler.backoff = std::chrono::seconds(1);  // the first query may come before M-Pesa has an answer
    });
    auto token = Login("admin@a.test");
    auto lease = CreateLease(token);
    SimRule(88, {{"resultCode", "1032"}, {"callbacks", 0}});
    auto push = Api("POST", "/api/v1/mpesa/stk-push", StkBody(88, lease["id"].get<int64_t>()), token);
    ASSERT_EQ(push.status, 200) << push.body.dump();
    auto id = push.body["data"]["checkoutRequestId"].get<std::string>();
    ASSERT_TRUE(Eventually([&] {
        gateway_->ReconcileNow();
        return Api("GET", "/api/v1/mpesa/status/" + id, nullptr, token).body["data"]["status"] == "FAILED";
    }));
    auto detailed = Api("GET", "/api/v1/mpesa/status-detailed/" + id, nullptr, token);
    EXPECT_EQ(detailed.body["data"]["outcome"], "CANCELLED");
    EXPECT_GE(SimRequestCount("/mpesa/stkpushquery/v1/query"), 1);
}

}  // namespace
}  // namespace haven::testing

namespace haven::testing {
namespace {

TEST_F(StkFlow, ALongTransactionDescIsKeptAndDarajaGetsItsFirst13Characters) {
    auto token = Login("admin@a.test");
    auto body = StkBody(15000);
    body["transactionDesc"] = "Rent Payment for Apt 204";  // the seed's example, 24 characters
    auto push = Api("POST", "/api/v1/mpesa/stk-push", body, token);
    ASSERT_EQ(push.status, 200) << push.body.dump();
    auto tx = Api("GET", "/api/v1/mpesa/transactions/" + push.body["data"]["transactionId"].dump(), nullptr, token);
    ASSERT_EQ(tx.status, 200);
    EXPECT_EQ(tx.body["data"]["transactionDesc"], "Rent Payment for Apt 204");
    auto requests = Sim("GET", "/sim/v1/requests");
    std::string sent;
    for (const auto& r : requests.body["requests"]) {
        if (r["path"].get<std::string>().find("stkpush") != std::string::npos)
            sent = r["body"].value("TransactionDesc", "");
    }
    EXPECT_EQ(sent, "Rent Payment ");

    body["transactionDesc"] = std::string(101, 'x');
    EXPECT_EQ(Api("POST", "/api/v1/mpesa/stk-push", body, token).status, 400);
    body = StkBody(15000);
    body["accountReference"] = "Rent-Dec-2024";  // 13 characters
    auto refused = Api("POST", "/api/v1/mpesa/stk-push", body, token);
    ASSERT_EQ(refused.status, 400);
    EXPECT_NE(refused.body.dump().find("at most 12 characters"), std::string::npos) << refused.body.dump();
}

}  // namespace
}  // namespace haven::testing
