// Trust under faults, end to end: callbacks are checked before they move money, pushes that never got
// Daraja's answer end somewhere visible, and an idempotency key never stays locked.
#include <openssl/evp.h>
#include <spdlog/fmt/fmt.h>

#include "core/time.hpp"
#include "gateway_fixture.hpp"

namespace haven::testing {
namespace {

class Trust : public GatewayTest {
  protected:
    /// An STK callback as Daraja sends it, with the given metadata items (success when code is 0).
    static json Callback(const std::string& checkout_id, const json& result_code, const json& items) {
        json cb = {{"MerchantRequestID", "29115-34620561-1"},
                   {"CheckoutRequestID", checkout_id},
                   {"ResultCode", result_code},
                   {"ResultDesc", "The service request is processed successfully."}};
        if (!items.is_null()) cb["CallbackMetadata"] = {{"Item", items}};
        return {{"Body", {{"stkCallback", cb}}}};
    }

    static json Paid(const json& amount, const std::string& receipt, const json& phone = 254708374149LL) {
        return json::array({{{"Name", "Amount"}, {"Value", amount}},
                            {{"Name", "MpesaReceiptNumber"}, {"Value", receipt}},
                            {{"Name", "TransactionDate"}, {"Value", 20261128071630LL}},
                            {{"Name", "PhoneNumber"}, {"Value", phone}}});
    }

    Reply PostCallback(const json& body) {
        return Api("POST", "/api/v1/mpesa/callback?secret=" + gateway_->config().callback_secret, body);
    }

    /// A push whose callback the simulator never sends: PENDING with its CheckoutRequestID.
    json ManualPush(const std::string& token, int64_t amount, std::optional<int64_t> lease_id = std::nullopt,
                    const std::string& phone = "0708374149") {
        SimRule(amount, {{"manual", true}});
        json body = StkBody(amount, lease_id);
        body["phoneNumber"] = phone;  // M-Pesa holds one prompt per phone at a time
        auto push = Api("POST", "/api/v1/mpesa/stk-push", body, token);
        EXPECT_EQ(push.status, 200) << push.body.dump();
        return push.body["data"];
    }

    json Transaction(const std::string& token, int64_t id) {
        return Api("GET", "/api/v1/mpesa/transactions/" + std::to_string(id), nullptr, token).body["data"];
    }

    json OpenReview(const std::string& token) {
        auto r = Api("GET", "/api/v1/review?status=open", nullptr, token);
        EXPECT_EQ(r.status, 200) << r.body.dump();
        return r.body["data"];
    }
};

// Finding 2: "Amount: 1 for a push of 1000 records a payment of 1 with no flag, and a refund of 1000 is
// then accepted against it."
TEST_F(Trust, ShortPaymentIsRecordedAsPaidFlaggedAndCapsRefunds) {
    auto token = Login("admin@a.test");
    auto lease = CreateLease(token);
    auto push = ManualPush(token, 1000, lease["id"].get<int64_t>());
    ASSERT_EQ(PostCallback(Callback(push["checkoutRequestId"], 0, Paid(1, "NLJ7RT61SV"))).status, 200);
    auto tx = Transaction(token, push["transactionId"]);
    EXPECT_EQ(tx["status"], "SUCCESS");
    EXPECT_EQ(tx["amount"], 1000);
    EXPECT_EQ(tx["paidAmount"], 1);
    EXPECT_EQ(tx["amountMismatch"], true);
    EXPECT_EQ(tx["needsReview"], true);
    ASSERT_EQ(tx["review"].size(), 1u);
    EXPECT_EQ(tx["review"][0]["reasonCode"], "amount_mismatch");
    auto payments = Api("GET", "/api/v1/leases/" + lease["id"].dump() + "/payments", nullptr, token);
    ASSERT_EQ(payments.body["data"].size(), 1u);
    EXPECT_EQ(payments.body["data"][0]["amount"], 1);
    auto refund = Api("POST", "/api/v1/mpesa/b2c",
                      {{"phoneNumber", "0708374149"},
                       {"amount", 1000},
                       {"type", "refund"},
                       {"remarks", "refund"},
                       {"originalTransactionId", push["transactionId"]}},
                      token, {{"Idempotency-Key", "refund-too-much"}});
    EXPECT_EQ(refund.status, 422) << refund.body.dump();
    EXPECT_EQ(gateway_->store().CountAudit("stk.amount_mismatch", "flagged").value_or(0), 1);
}

struct BadCallback {
    const char* name;
    json result_code;
    json amount;
};

void PrintTo(const BadCallback& c, std::ostream* os) { *os << c.name; }

class TrustBadCallbacks : public Trust, public ::testing::WithParamInterface<BadCallback> {};

// Finding 2: "Value":"1e20" stored INT64_MIN, Amount -500 was stored, "ResultCode":"0.4" became SUCCESS.
TEST_P(TrustBadCallbacks, BadCallbackIsKeptForReviewAndChangesNothing) {
    auto token = Login("admin@a.test");
    auto lease = CreateLease(token);
    auto push = ManualPush(token, 1000, lease["id"].get<int64_t>());
    const auto& c = GetParam();
    json items = c.amount.is_null() ? json(nullptr) : Paid(c.amount, "NLJ7RT61SW");
    auto r = PostCallback(Callback(push["checkoutRequestId"], c.result_code, items));
    EXPECT_EQ(r.status, 200) << "kept and acknowledged: " << r.body.dump();
    auto tx = Transaction(token, push["transactionId"]);
    EXPECT_EQ(tx["status"], "PENDING");
    EXPECT_EQ(tx["needsReview"], true);
    EXPECT_EQ(tx["review"][0]["reasonCode"], "callback_rejected");
    EXPECT_TRUE(Api("GET", "/api/v1/leases/" + lease["id"].dump() + "/payments", nullptr, token).body["data"].empty());
    auto review = OpenReview(token);
    EXPECT_EQ(review["openCount"], 1);
    EXPECT_FALSE(review["items"][0]["inboundId"].is_null());  // the body as received is kept
    // Another agency sees none of it.
    EXPECT_EQ(OpenReview(Login("admin@b.test"))["openCount"], 0);
}

INSTANTIATE_TEST_SUITE_P(Callbacks, TrustBadCallbacks,
                         ::testing::Values(BadCallback{"Exponent", 0, "1e20"}, BadCallback{"HugeNumber", 0, 1e20},
                                           BadCallback{"Negative", 0, -500}, BadCallback{"Fraction", 0, "1000.5"},
                                           BadCallback{"Zero", 0, 0},
                                           BadCallback{"FractionalResultCode", "0.4", nullptr},
                                           BadCallback{"SuccessWithoutMetadata", 0, nullptr}),
                         [](const auto& info) { return std::string(info.param.name); });

// Daraja sends 1, 1.00 or "1.00" depending on the API: all mean 1.
TEST_F(Trust, AmountWithZeroDecimalsIsAccepted) {
    auto token = Login("admin@a.test");
    auto push = ManualPush(token, 1000);
    ASSERT_EQ(PostCallback(Callback(push["checkoutRequestId"], "0", Paid("1000.00", "NLJ7RT61SX"))).status, 200);
    auto tx = Transaction(token, push["transactionId"]);
    EXPECT_EQ(tx["status"], "SUCCESS");
    EXPECT_EQ(tx["paidAmount"], 1000);
    EXPECT_EQ(tx["needsReview"], false);
}

// Finding 2: "The same MpesaReceiptNumber on two transactions creates two payments."
TEST_F(Trust, AReceiptSettlesOnlyOneTransaction) {
    auto token = Login("admin@a.test");
    auto lease = CreateLease(token);
    auto first = ManualPush(token, 1000, lease["id"].get<int64_t>());
    auto second = ManualPush(token, 1001, lease["id"].get<int64_t>(), "0711000002");
    ASSERT_EQ(PostCallback(Callback(first["checkoutRequestId"], 0, Paid(1000, "NLJ7RT61SY"))).status, 200);
    ASSERT_EQ(PostCallback(Callback(second["checkoutRequestId"], 0, Paid(1001, "NLJ7RT61SY"))).status, 200);
    EXPECT_EQ(Transaction(token, first["transactionId"])["status"], "SUCCESS");
    auto other = Transaction(token, second["transactionId"]);
    EXPECT_EQ(other["status"], "PENDING");
    EXPECT_EQ(other["review"][0]["reasonCode"], "receipt_conflict");
    EXPECT_EQ(Api("GET", "/api/v1/leases/" + lease["id"].dump() + "/payments", nullptr, token).body["data"].size(), 1u);
}

TEST_F(Trust, ResolvingAReviewItemRecordsWhatWasDone) {
    auto token = Login("admin@a.test");
    auto push = ManualPush(token, 1000);
    PostCallback(Callback(push["checkoutRequestId"], "0.4", nullptr));
    auto item = OpenReview(token)["items"][0];
    auto viewer = Api("POST", "/api/v1/review/" + item["id"].dump() + "/resolve", {{"resolution", "checked"}},
                      Login("viewer@a.test"));
    EXPECT_EQ(viewer.status, 403);
    auto missing = Api("POST", "/api/v1/review/" + item["id"].dump() + "/resolve", json::object(), token);
    EXPECT_EQ(missing.status, 400);
    auto other =
        Api("POST", "/api/v1/review/" + item["id"].dump() + "/resolve", {{"resolution", "x"}}, Login("admin@b.test"));
    EXPECT_EQ(other.status, 404);
    auto done = Api("POST", "/api/v1/review/" + item["id"].dump() + "/resolve",
                    {{"resolution", "confirmed on the M-Pesa statement"}}, token);
    ASSERT_EQ(done.status, 200) << done.body.dump();
    EXPECT_EQ(done.body["data"]["status"], "resolved");
    EXPECT_EQ(done.body["data"]["resolvedBy"], "admin@a.test");
    EXPECT_EQ(OpenReview(token)["openCount"], 0);
    EXPECT_EQ(Transaction(token, push["transactionId"])["needsReview"], false);
}

// A Result is checked like a callback: a ResultCode that is not a code changes nothing.
TEST_F(Trust, BadB2cResultIsKeptForReviewAndChangesNothing) {
    auto token = Login("admin@a.test");
    Sim("POST", "/sim/v1/rules",
        {{"rules", json::array({{{"api", "b2c"}, {"when", {{"amount", 150}}}, {"then", {{"callbacks", 0}}}}})},
         {"replace", false}});
    auto payout = Api("POST", "/api/v1/mpesa/b2c",
                      {{"phoneNumber", "0708374149"}, {"amount", 150}, {"type", "payout"}, {"remarks", "deposit"}},
                      token, {{"Idempotency-Key", "payout-150"}});
    ASSERT_EQ(payout.status, 200) << payout.body.dump();
    json result = {{"Result",
                    {{"ResultType", 0},
                     {"ResultCode", "0.4"},
                     {"ResultDesc", "odd"},
                     {"OriginatorConversationID", payout.body["data"]["originatorConversationId"]},
                     {"ConversationID", payout.body["data"]["conversationId"]},
                     {"TransactionID", "TFE0000001"}}}};
    auto r = Api("POST", "/api/v1/mpesa/b2c/result?secret=" + gateway_->config().callback_secret, result);
    EXPECT_EQ(r.status, 200) << r.body.dump();
    auto tx = Transaction(token, payout.body["data"]["transactionId"]);
    EXPECT_EQ(tx["status"], "PENDING");
    EXPECT_EQ(tx["needsReview"], true);
    EXPECT_EQ(tx["review"][0]["reasonCode"], "callback_rejected");
}

// A payout M-Pesa reports with another amount is recorded as reported, flagged and audited; a malformed one is refused.
TEST_F(Trust, PayoutResultWithAnotherAmountIsFlagged) {
    auto token = Login("admin@a.test");
    Sim("POST", "/sim/v1/rules",
        {{"rules", json::array({{{"api", "b2c"}, {"when", {{"amount", 160}}}, {"then", {{"callbacks", 0}}}}})},
         {"replace", false}});
    auto payout = [&](const std::string& key) {
        auto r = Api("POST", "/api/v1/mpesa/b2c",
                     {{"phoneNumber", "0708374149"}, {"amount", 160}, {"type", "payout"}, {"remarks", "deposit"}},
                     token, {{"Idempotency-Key", key}});
        EXPECT_EQ(r.status, 200) << r.body.dump();
        return r.body["data"];
    };
    auto result = [&](const json& data, const json& amount, const std::string& receipt) {
        json params = json::array(
            {{{"Key", "TransactionAmount"}, {"Value", amount}}, {{"Key", "TransactionReceipt"}, {"Value", receipt}}});
        json body = {{"Result",
                      {{"ResultType", 0},
                       {"ResultCode", 0},
                       {"ResultDesc", "The service request is processed successfully."},
                       {"OriginatorConversationID", data["originatorConversationId"]},
                       {"ConversationID", data["conversationId"]},
                       {"TransactionID", receipt},
                       {"ResultParameters", {{"ResultParameter", params}}}}}};
        return Api("POST", "/api/v1/mpesa/b2c/result?secret=" + gateway_->config().callback_secret, body);
    };
    auto first = payout("payout-160-a");
    ASSERT_EQ(result(first, 1600, "TFE0000002").status, 200);
    auto tx = Transaction(token, first["transactionId"]);
    EXPECT_EQ(tx["status"], "SUCCESS");
    EXPECT_EQ(tx["needsReview"], true);
    EXPECT_EQ(tx["review"][0]["reasonCode"], "amount_mismatch");
    EXPECT_EQ(gateway_->store().CountAudit("b2c.amount_mismatch", "flagged").value_or(0), 1);

    auto second = payout("payout-160-b");
    ASSERT_EQ(result(second, "16.5", "TFE0000003").status, 200);
    auto refused = Transaction(token, second["transactionId"]);
    EXPECT_EQ(refused["status"], "PENDING");
    EXPECT_EQ(refused["review"][0]["reasonCode"], "callback_rejected");

    auto third = payout("payout-160-c");
    ASSERT_EQ(result(third, "160.00", "TFE0000004").status, 200);
    auto exact = Transaction(token, third["transactionId"]);
    EXPECT_EQ(exact["status"], "SUCCESS");
    EXPECT_EQ(exact["needsReview"], false);
}

class TrustReconciler : public Trust {
  protected:
    void SetUp() override {
        StartGateway([](app::Config& c) {
            c.reconciler.first_after = std::chrono::seconds(0);
            c.reconciler.prompt_lifetime = std::chrono::seconds(1);
            c.reconciler.backoff = std::chrono::seconds(1);
        });
    }

    /// A push whose row was written but whose Daraja answer never arrived (the process died in between).
    core::StkTransaction Unconfirmed(int64_t amount, std::chrono::seconds age = std::chrono::seconds(5)) {
        auto agency = gateway_->store().FindOrCreateAgency("Agency A");
        core::StkTransaction row;
        row.agency_id = agency->id;
        row.phone_number = "254708374149";
        row.amount = amount;
        row.account_reference = "A1";
        row.transaction_desc = "Rent";
        row.created_at = core::IsoUtc(std::chrono::system_clock::now() - age);
        auto tx = gateway_->store().InsertStk(row);
        EXPECT_TRUE(tx) << tx.error().message;
        return *tx;
    }
};

// Finding 1: "Rows that never got a CheckoutRequestID are never settled at all."
TEST_F(TrustReconciler, PushWithoutCheckoutIdBecomesNeedsReviewNeverFailed) {
    auto token = Login("admin@a.test");
    auto tx = Unconfirmed(1234);
    gateway_->ReconcileNow();
    auto shown = Transaction(token, tx.id);
    EXPECT_EQ(shown["status"], "PENDING");
    EXPECT_EQ(shown["needsReview"], true);
    EXPECT_EQ(shown["reviewReason"], "M-Pesa never confirmed this request");
    EXPECT_EQ(shown["reconciliation"]["attempts"], 1);
    auto flagged = Api("GET", "/api/v1/mpesa/transactions?needsReview=true", nullptr, token);
    ASSERT_EQ(flagged.body["data"]["items"].size(), 1u);
    EXPECT_EQ(flagged.body["data"]["items"][0]["id"], tx.id);
    // Once a person has resolved it, the reconciler's next passes do not reopen it.
    auto item = OpenReview(token)["items"][0];
    ASSERT_EQ(Api("POST", "/api/v1/review/" + item["id"].dump() + "/resolve",
                  {{"resolution", "no such payment on the M-Pesa statement"}}, token)
                  .status,
              200);
    ASSERT_TRUE(Eventually([&] {
        gateway_->ReconcileNow();
        return Transaction(token, tx.id)["reconciliation"]["attempts"] >= 2;
    }));
    EXPECT_EQ(OpenReview(token)["openCount"], 0);
    EXPECT_EQ(Transaction(token, tx.id)["needsReview"], false);
}

TEST_F(TrustReconciler, PushWithoutCheckoutIdIsSettledByTheOnlyFittingCallback) {
    auto token = Login("admin@a.test");
    auto tx = Unconfirmed(4321, std::chrono::seconds(0));
    // Daraja's callback arrives, within the prompt's life, for a CheckoutRequestID we never learnt: kept as unmatched.
    ASSERT_EQ(PostCallback(Callback("ws_CO_lost_answer", 0, Paid(4321, "NLJ7RT61SQ"))).status, 200);
    json shown;
    Eventually([&] {  // once the prompt's life is over
        gateway_->ReconcileNow();
        shown = Transaction(token, tx.id);
        return shown["status"] != "PENDING";
    });
    EXPECT_EQ(shown["status"], "SUCCESS");
    EXPECT_EQ(shown["checkoutRequestId"], "ws_CO_lost_answer");
    EXPECT_EQ(shown["mpesaReceiptNumber"], "NLJ7RT61SQ");
    EXPECT_EQ(shown["needsReview"], false);
}

TEST_F(TrustReconciler, TwoPushesFittingOneCallbackAreNotGuessed) {
    auto token = Login("admin@a.test");
    auto a = Unconfirmed(555);
    auto b = Unconfirmed(555);
    ASSERT_EQ(PostCallback(Callback("ws_CO_which_one", 0, Paid(555, "NLJ7RT61SP"))).status, 200);
    gateway_->ReconcileNow();
    for (const auto& tx : {a, b}) {
        auto shown = Transaction(token, tx.id);
        EXPECT_EQ(shown["status"], "PENDING");
        EXPECT_EQ(shown["reviewReason"], "M-Pesa never confirmed this request");
    }
}

TEST_F(TrustReconciler, StillUnsettledAfterTheReviewTimeNeedsReview) {
    gateway_->Stop();
    StartGateway([](app::Config& c) {
        c.reconciler.first_after = std::chrono::seconds(0);
        c.reconciler.review_after = std::chrono::seconds(1);
        c.reconciler.backoff = std::chrono::seconds(1);
    });
    auto token = Login("admin@a.test");
    auto push = ManualPush(token, 2223);  // M-Pesa answers "still being processed" while the prompt waits
    json shown;
    ASSERT_TRUE(Eventually([&] {
        gateway_->ReconcileNow();
        shown = Transaction(token, push["transactionId"]);
        return shown["needsReview"] == true;
    }));
    EXPECT_EQ(shown["status"], "PENDING");
    EXPECT_EQ(shown["review"][0]["reasonCode"], "unsettled");
    EXPECT_NE(shown["reviewReason"].get<std::string>().find("has not settled this request"), std::string::npos);
}

// Finding 1: pushes whose STK Query keeps failing back off, so newer ones are still queried.
TEST_F(TrustReconciler, AFailingQueryBacksOffAndRecordsItsError) {
    auto token = Login("admin@a.test");
    auto push = ManualPush(token, 2222);
    Sim("POST", "/sim/v1/rules",
        {{"rules", json::array({{{"api", "stkquery"},
                                 {"then",
                                  {{"httpStatus", 500},
                                   {"errorCode", "500.001.1001"},
                                   {"errorMessage", "Invalid CheckoutRequestID"}}}}})},
         {"replace", false}});
    gateway_->ReconcileNow();
    auto shown = Transaction(token, push["transactionId"]);
    EXPECT_EQ(shown["status"], "PENDING");
    EXPECT_EQ(shown["reconciliation"]["attempts"], 1);
    EXPECT_FALSE(shown["reconciliation"]["lastError"].is_null());
    // Not due again until its backoff has passed: the next pass leaves it alone.
    gateway_->ReconcileNow();
    EXPECT_EQ(Transaction(token, push["transactionId"])["reconciliation"]["attempts"], 1);
}

class TrustIdempotency : public Trust {
  protected:
    void SetUp() override {
        StartGateway([](app::Config& c) { c.idempotency_claim_seconds = 1; });
    }
};

/// The request hash the gateway stores with a key (SHA-256 of the body's canonical JSON).
std::string BodyHash(const json& body) {
    const std::string text = body.dump();
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(text.data(), text.size(), digest, &len, EVP_sha256(), nullptr);
    std::string out;
    for (unsigned i = 0; i < len; ++i) out += fmt::format("{:02x}", digest[i]);
    return out;
}

// Finding 3: "A key claimed just before kill -9 answers 409 'still being processed' forever."
TEST_F(TrustIdempotency, AClaimLeftByACrashAnswersFromItsTransactionAndNeverPromptsTwice) {
    auto token = Login("admin@a.test");
    const std::string scope = "POST /api/v1/mpesa/stk-push";
    auto agency = gateway_->store().FindOrCreateAgency("Agency A");
    // What a process killed after writing the row (before Daraja answered) leaves behind: the claim, the row.
    const json body = StkBody(3333);
    ASSERT_EQ(gateway_->store().ClaimIdempotencyKey(agency->id, scope, "crash-retry-1", BodyHash(body), 1)->state,
              storage::IdempotencyState::kNew);
    core::StkTransaction row;
    row.agency_id = agency->id;
    row.phone_number = "254708374149";
    row.amount = 3333;
    row.account_reference = "A1";
    row.transaction_desc = "Rent";
    auto tx = gateway_->store().InsertStk(row, storage::IdempotencyRef{agency->id, scope, "crash-retry-1"});
    ASSERT_TRUE(tx);
    json retry;
    ASSERT_TRUE(Eventually(
        [&] {
            auto r = Api("POST", "/api/v1/mpesa/stk-push", body, token, {{"Idempotency-Key", "crash-retry-1"}});
            retry = r.body;
            EXPECT_TRUE(r.status == 200 || r.status == 409) << r.body.dump();
            return r.status == 200;
        },
        std::chrono::seconds(8)))
        << retry.dump();
    EXPECT_EQ(retry["data"]["recovered"], true);
    EXPECT_EQ(retry["data"]["transactionId"], tx->id);
    EXPECT_EQ(retry["data"]["status"], "PENDING");
    EXPECT_EQ(SimRequestCount("/stkpush/"), 0) << "a retry must never prompt the phone";
    // A claim whose request wrote nothing runs again, once.
    const json other = StkBody(3334);
    ASSERT_EQ(gateway_->store().ClaimIdempotencyKey(agency->id, scope, "crash-retry-2", BodyHash(other), 1)->state,
              storage::IdempotencyState::kNew);
    ASSERT_TRUE(Eventually([&] {
        return Api("POST", "/api/v1/mpesa/stk-push", other, token, {{"Idempotency-Key", "crash-retry-2"}}).status ==
               200;
    }));
    EXPECT_EQ(SimRequestCount("/stkpush/"), 1);
}

}  // namespace
}  // namespace haven::testing
