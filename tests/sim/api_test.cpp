// The simulator over real loopback sockets: Daraja surface, faults, control API, HTTPS.
#include "harness.hpp"

namespace haven::sim::test {
namespace {

constexpr const char* kPush = "/mpesa/stkpush/v1/processrequest";
constexpr const char* kQuery = "/mpesa/stkpushquery/v1/query";

Json Callback(const Json& body) { return body["Body"]["stkCallback"]; }

// ---- OAuth ----

TEST_F(SimTest, OauthIssuesStringExpiry) {
    StartSim();
    auto r = Send("GET", "/oauth/v1/generate?grant_type=client_credentials", "",
                  {{"Authorization", "Basic " + Base64Encode("k:s")}});
    ASSERT_EQ(r.status, 200) << r.text;
    ExpectSameShape(Fixture("oauth.response.json"), r.body);
    EXPECT_EQ(r.body["expires_in"], "3599");
    EXPECT_EQ(r.body["access_token"].get<std::string>().size(), 28u);
}

TEST_F(SimTest, OauthBadGrantType) {
    StartSim();
    auto r =
        Send("GET", "/oauth/v1/generate?grant_type=password", "", {{"Authorization", "Basic " + Base64Encode("k:s")}});
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.body["errorCode"], "400.008.02");
    ExpectSameShape(Fixture("oauth.error.invalid-grant-type.json"), r.body);
}

TEST_F(SimTest, OauthBadBasicAuth) {
    auto options = FastOptions();
    options.consumer_key = "key";
    options.consumer_secret = "secret";
    StartSim(options);
    for (const std::string& header :
         {std::string("Basic ") + Base64Encode("key:wrong"), std::string("Bearer x"), std::string("Basic !!!")}) {
        auto r = Send("GET", "/oauth/v1/generate?grant_type=client_credentials", "", {{"Authorization", header}});
        EXPECT_EQ(r.status, 400) << header;
        EXPECT_EQ(r.body["errorCode"], "400.008.01");
        EXPECT_EQ(r.body["errorMessage"], "Invalid Authentication passed");
    }
    auto ok = Send("GET", "/oauth/v1/generate?grant_type=client_credentials", "",
                   {{"Authorization", "Basic " + Base64Encode("key:secret")}});
    EXPECT_EQ(ok.status, 200);
}

TEST_F(SimTest, UnknownTokenAndMissingHeader) {
    StartSim();
    auto r = Post(kPush, StkRequest(), "nottherighttoken");
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(r.body["errorCode"], "404.001.03");
    EXPECT_EQ(r.body["errorMessage"], "Invalid Access Token");
    auto missing = Send("POST", kPush, StkRequest().dump(), {{"Content-Type", "application/json"}});
    EXPECT_EQ(missing.status, 404);
    EXPECT_EQ(missing.body["errorCode"], "404.001.04");
}

TEST_F(SimTest, NewTokenInvalidatesOldWhenConfigured) {
    auto options = FastOptions();
    options.invalidate_old_tokens = true;
    StartSim(options);
    std::string first = Token();
    token_.clear();
    std::string second = Token();
    EXPECT_NE(first, second);
    EXPECT_EQ(Post(kPush, StkRequest(), first).body["errorCode"], "404.001.03");
    EXPECT_EQ(Post(kPush, StkRequest(), second).status, 200);
}

TEST_F(SimTest, UnknownPathAndWrongMethodUseDarajaEnvelope) {
    StartSim();
    auto r = Post("/mpesa/nothing/v1/here", Json::object());
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(r.body["errorCode"], "404.001.01");
    EXPECT_EQ(r.body["errorMessage"], "Resource not found");
    auto m = Send("GET", kPush, "", {{"Authorization", "Bearer " + Token()}});
    EXPECT_EQ(m.status, 405);
    EXPECT_EQ(m.body["errorCode"], "405.001");
    EXPECT_EQ(m.body["errorMessage"], "GET Method Not Allowed");
}

// ---- STK push ----

TEST_F(SimTest, StkPushAcceptedAndCallbackHasFixtureShape) {
    StartSim();
    auto r = Post(kPush, StkRequest(5));
    ASSERT_EQ(r.status, 200) << r.text;
    ExpectSameShape(Fixture("stkpush.response.json"), r.body);
    EXPECT_EQ(r.body["ResponseCode"], "0");
    EXPECT_EQ(r.body["CustomerMessage"], "Success. Request accepted for processing");
    auto cbs = receiver_->WaitFor("/stk");
    ASSERT_EQ(cbs.size(), 1u);
    Json expected = Fixture("stkpush.callback.success.json");
    Json cb = Callback(cbs[0]);
    EXPECT_EQ(cb["ResultCode"], 0);
    EXPECT_TRUE(cb["ResultCode"].is_number());
    EXPECT_EQ(cb["CheckoutRequestID"], r.body["CheckoutRequestID"]);
    EXPECT_EQ(cb["MerchantRequestID"], r.body["MerchantRequestID"]);
    ExpectSameItems(Callback(expected)["CallbackMetadata"]["Item"], cb["CallbackMetadata"]["Item"], "Name");
    for (const auto& item : cb["CallbackMetadata"]["Item"]) {
        if (item["Name"] == "Amount") {
            EXPECT_EQ(item["Value"], 5);
        }
        if (item["Name"] == "PhoneNumber") {
            EXPECT_EQ(item["Value"], 254708374149LL);
        }
        if (item["Name"] == "Balance") {
            EXPECT_FALSE(item.contains("Value"));
        }
    }
}

TEST_F(SimTest, StkPushAcceptsStringsAndWhitespace) {
    StartSim();
    Json body = StkRequest();
    body["BusinessShortCode"] = "174379";
    body["Amount"] = "1";
    body["PartyA"] = "254708374149";
    body["PartyB"] = " 174379";
    body["PhoneNumber"] = "254708374149";
    body["TransactionType"] = " CustomerPayBillOnline ";
    body.erase("TransactionDesc");
    auto r = Post(kPush, body);
    EXPECT_EQ(r.status, 200) << r.text;
}

TEST_F(SimTest, StkPushWrongPasswordIsWrongCredentials) {
    StartSim();
    Json body = StkRequest();
    body["Password"] = Base64Encode("174379wrongpasskey" + body["Timestamp"].get<std::string>());
    auto r = Post(kPush, body);
    EXPECT_EQ(r.status, 500);
    EXPECT_EQ(r.body["errorCode"], "500.001.1001");
    EXPECT_EQ(r.body["errorMessage"], "Wrong credentials");
    ExpectSameShape(Fixture("stkpush.error.wrong-credentials.json"), r.body);
}

TEST_F(SimTest, StkPushUnknownShortcodeIsMerchantDoesNotExist) {
    StartSim();
    Json body = StkRequest();
    body["BusinessShortCode"] = 600000;
    auto r = Post(kPush, body);
    EXPECT_EQ(r.status, 500);
    EXPECT_EQ(r.body["errorMessage"], "Merchant does not exist");
}

struct BadField {
    const char* field;
    Json value;
    const char* message;
};

TEST_F(SimTest, StkPushFieldErrors) {
    StartSim();
    std::vector<BadField> cases = {
        {"Timestamp", "2025-06-14", "Bad Request - Invalid Timestamp"},
        {"PhoneNumber", "0708374149", "Bad Request - Invalid PhoneNumber"},
        {"PhoneNumber", "+254708374149", "Bad Request - Invalid PhoneNumber"},
        {"Amount", 1.5, "Bad Request - Invalid Amount"},
        {"Amount", "10.00", "Bad Request - Invalid Amount"},
        {"Amount", 0, "Bad Request - Invalid Amount"},
        {"CallBackURL", "not a url", "Bad Request - Invalid CallBackURL"},
        {"BusinessShortCode", nullptr, "Bad Request - Invalid BusinessShortCode"},
        {"TransactionType", "Paybill", "Bad Request - Invalid TransactionType"},
    };
    for (const auto& c : cases) {
        Json body = StkRequest();
        body[c.field] = c.value;
        auto r = Post(kPush, body);
        EXPECT_EQ(r.status, 400) << c.field;
        EXPECT_EQ(r.body["errorCode"], "400.002.02") << c.field;
        EXPECT_EQ(r.body["errorMessage"], c.message) << c.field;
        ExpectSameShape(Fixture("stkpush.error.invalid-amount.json"), r.body);
    }
    EXPECT_EQ(receiver_->Count("/stk"), 0u);
}

TEST_F(SimTest, MalformedJsonIsInvalidPayload) {
    StartSim();
    for (const std::string& text : {std::string("{\"BusinessShortCode\": 174379,"), std::string("[1,2]"),
                                    std::string(""), std::string("\xff\xfe")}) {
        auto r =
            Send("POST", kPush, text, {{"Authorization", "Bearer " + Token()}, {"Content-Type", "application/json"}});
        EXPECT_EQ(r.status, 400);
        EXPECT_EQ(r.body["errorCode"], "400.002.05");
        EXPECT_EQ(r.body["errorMessage"], "Invalid Request Payload");
    }
}

TEST_F(SimTest, NonJsonContentTypeIsInvalidFirstField) {
    StartSim();
    auto r = Send("POST", kPush, StkRequest().dump(),
                  {{"Authorization", "Bearer " + Token()}, {"Content-Type", "application/x-www-form-urlencoded"}});
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.body["errorMessage"], "Bad Request - Invalid BusinessShortCode");
}

TEST_F(SimTest, StrictTimestampRefusesOldTimestamps) {
    auto options = FastOptions();
    options.strict_timestamp = true;
    StartSim(options);
    Json body = StkRequest();
    body["Timestamp"] = "20200101000000";
    body["Password"] = Base64Encode("174379" + options.passkey + "20200101000000");
    EXPECT_EQ(Post(kPush, body).body["errorMessage"], "Bad Request - Invalid Timestamp");
    EXPECT_EQ(Post(kPush, StkRequest()).status, 200);
}

TEST_F(SimTest, StkQueryPendingThenFinal) {
    auto options = FastOptions();
    options.callback_delay = std::chrono::milliseconds(60000);
    StartSim(options);
    SetRules(Json::array({{{"api", "stkpush"}, {"then", {{"manual", true}}}}}));
    auto push = Post(kPush, StkRequest());
    std::string id = push.body["CheckoutRequestID"];
    auto pending = Post(kQuery, QueryRequest(id));
    EXPECT_EQ(pending.status, 500);
    EXPECT_EQ(pending.body["requestId"], id);
    EXPECT_EQ(pending.body["errorMessage"], "The transaction is being processed");
    ExpectSameShape(Fixture("stkpushquery.error.processing.json"), pending.body);
    auto resolve = Control("POST", "/sim/v1/stk/" + id + "/resolve", {{"action", "cancel"}});
    ASSERT_EQ(resolve.status, 200) << resolve.text;
    auto final = Post(kQuery, QueryRequest(id));
    ASSERT_EQ(final.status, 200) << final.text;
    ExpectSameShape(Fixture("stkpushquery.response.cancelled.json"), final.body);
    EXPECT_EQ(final.body["ResultCode"], "1032");
    EXPECT_EQ(final.body["ResponseDescription"], "The service request has been accepted successsfully");
    auto cbs = receiver_->WaitFor("/stk");
    ASSERT_EQ(cbs.size(), 1u);
    EXPECT_EQ(Callback(cbs[0])["ResultCode"], 1032);
    EXPECT_FALSE(Callback(cbs[0]).contains("CallbackMetadata"));
}

TEST_F(SimTest, StkQueryUnknownIdAndWrongPassword) {
    StartSim();
    auto unknown = Post(kQuery, QueryRequest("ws_CO_000"));
    EXPECT_EQ(unknown.status, 400);
    EXPECT_EQ(unknown.body["errorMessage"], "Bad Request - Invalid CheckoutRequestID");
    Json body = QueryRequest("ws_CO_000");
    body["Password"] = "d3Jvbmc=";
    EXPECT_EQ(Post(kQuery, body).body["errorMessage"], "Wrong credentials");
}

TEST_F(SimTest, RuleOutcomesMatchFixtures) {
    StartSim();
    SetRules(Json::array({
        {{"api", "stkpush"}, {"when", {{"amount", 1032}}}, {"then", {{"resultCode", "1032"}}}},
        {{"api", "stkpush"}, {"when", {{"amount", 1037}}}, {"then", {{"resultCode", "1037"}}}},
        {{"api", "stkpush"}, {"when", {{"amount", 2}}}, {"then", {{"resultCode", "1"}}}},
        {{"api", "stkpush"}, {"when", {{"amount", 2001}}}, {"then", {{"resultCode", "2001"}}}},
    }));
    std::vector<std::pair<int, std::string>> cases = {{1032, "stkpush.callback.cancelled.json"},
                                                      {1037, "stkpush.callback.timeout.json"},
                                                      {2, "stkpush.callback.insufficient-funds.json"},
                                                      {2001, "stkpush.callback.wrong-pin.json"}};
    for (size_t i = 0; i < cases.size(); ++i) {
        auto r = Post(kPush, StkRequest(cases[i].first));
        ASSERT_EQ(r.status, 200) << r.text;
        auto cbs = receiver_->WaitFor("/stk", i + 1);
        ASSERT_EQ(cbs.size(), i + 1);
        Json expected = Fixture(cases[i].second);
        ExpectSameShape(expected, cbs[i]);
        EXPECT_EQ(Callback(cbs[i])["ResultCode"], Callback(expected)["ResultCode"]);
        EXPECT_EQ(Callback(cbs[i])["ResultDesc"], Callback(expected)["ResultDesc"]);
        auto q = Post(kQuery, QueryRequest(r.body["CheckoutRequestID"]));
        EXPECT_EQ(q.body["ResultCode"], std::to_string(Callback(expected)["ResultCode"].get<int>()));
    }
}

TEST_F(SimTest, DuplicateCallbacksAreDeliveredTwice) {
    StartSim();
    SetRules(Json::array({{{"api", "stkpush"}, {"then", {{"callbacks", 2}}}}}));
    Post(kPush, StkRequest());
    auto cbs = receiver_->WaitFor("/stk", 2);
    ASSERT_EQ(cbs.size(), 2u);
    EXPECT_EQ(cbs[0], cbs[1]);
}

TEST_F(SimTest, NoCallbackWhenRuleSaysZero) {
    StartSim();
    SetRules(Json::array({{{"api", "stkpush"}, {"when", {{"amount", 7}}}, {"then", {{"callbacks", 0}}}}}));
    auto silent = Post(kPush, StkRequest(7));
    // A later push's callback proves the first one's moment has passed without a delivery.
    Post(kPush, StkRequest(8, "254711000002"));
    receiver_->WaitFor("/stk", 1);
    ASSERT_TRUE(WaitUntil([&] { return Post(kQuery, QueryRequest(silent.body["CheckoutRequestID"])).status == 200; }));
    EXPECT_EQ(receiver_->Count("/stk"), 1u);
    EXPECT_EQ(Callback(receiver_->Bodies("/stk")[0])["CallbackMetadata"]["Item"][0]["Value"], 8);
}

TEST_F(SimTest, OutOfOrderCallbackArrivesBeforeAck) {
    StartSim();
    SetRules(Json::array({{{"api", "stkpush"}, {"then", {{"outOfOrder", true}}}}}));
    auto r = Post(kPush, StkRequest());
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(receiver_->Count("/stk"), 1u);  // already there when the ack returned
}

TEST_F(SimTest, SubscriberLockedWhilePromptOpen) {
    StartSim();
    SetRules(Json::array({{{"api", "stkpush"}, {"when", {{"amount", 9}}}, {"then", {{"manual", true}}}}}));
    auto first = Post(kPush, StkRequest(9));
    ASSERT_EQ(first.status, 200);
    auto second = Post(kPush, StkRequest(10));
    EXPECT_EQ(second.status, 500);
    EXPECT_EQ(second.body["errorMessage"],
              "Unable to lock subscriber, a transaction is already in process for the current subscriber");
    ExpectSameShape(Fixture("stkpush.error.subscriber-locked.json"), second.body);
    EXPECT_EQ(Post(kPush, StkRequest(10, "254711000003")).status, 200);  // another phone is free
    Control("POST", "/sim/v1/stk/" + first.body["CheckoutRequestID"].get<std::string>() + "/resolve",
            {{"action", "accept"}, {"pin", "1234"}});
    EXPECT_EQ(Post(kPush, StkRequest(10)).status, 200);
}

TEST_F(SimTest, VirtualPhoneListsAndResolvesPrompts) {
    auto options = FastOptions();
    options.interactive_stk = true;
    StartSim(options);
    auto push = Post(kPush, StkRequest(25));
    std::string id = push.body["CheckoutRequestID"];
    auto pending = Control("GET", "/sim/v1/stk/pending");
    ASSERT_EQ(pending.body["prompts"].size(), 1u);
    EXPECT_EQ(pending.body["prompts"][0]["checkoutRequestId"], id);
    EXPECT_EQ(pending.body["prompts"][0]["amount"], 25);
    EXPECT_EQ(pending.body["prompts"][0]["phoneNumber"], "254708374149");
    EXPECT_EQ(Control("POST", "/sim/v1/stk/ws_CO_nope/resolve", {{"action", "accept"}}).status, 404);
    EXPECT_EQ(Control("POST", "/sim/v1/stk/" + id + "/resolve", {{"action", "dance"}}).status, 400);
    auto resolved = Control("POST", "/sim/v1/stk/" + id + "/resolve", {{"action", "wrong_pin"}});
    EXPECT_EQ(resolved.body["resultCode"], "2001");
    EXPECT_EQ(Control("POST", "/sim/v1/stk/" + id + "/resolve", {{"action", "accept"}}).status, 409);
    EXPECT_EQ(Control("GET", "/sim/v1/stk/pending").body["prompts"].size(), 0u);
    auto cbs = receiver_->WaitFor("/stk");
    EXPECT_EQ(Callback(cbs[0])["ResultCode"], 2001);
}

TEST_F(SimTest, InteractivePromptTimesOutAs1037) {
    auto options = FastOptions();
    options.interactive_stk = true;
    options.interactive_timeout = std::chrono::milliseconds(100);
    StartSim(options);
    Post(kPush, StkRequest());
    auto cbs = receiver_->WaitFor("/stk");
    ASSERT_EQ(cbs.size(), 1u);
    EXPECT_EQ(Callback(cbs[0])["ResultCode"], 1037);
}

// ---- faults ----

TEST_F(SimTest, SpikeArrestAnd503Faults) {
    StartSim();
    SetRules(Json::array({
        {{"api", "stkpush"}, {"when", {{"amount", 500}}}, {"then", {{"errorCode", "500.003.02"}}}},
        {{"api", "stkpush"}, {"when", {{"amount", 503}}}, {"then", {{"httpStatus", 503}}}},
        {{"api", "stkquery"}, {"then", {{"httpStatus", 500}, {"errorCode", "500.003.03"}}}},
    }));
    auto spike = Post(kPush, StkRequest(500));
    EXPECT_EQ(spike.status, 500);
    EXPECT_EQ(spike.body["errorMessage"], "Error Occurred: Spike Arrest Violation");
    ExpectSameShape(Fixture("error.spike-arrest.json"), spike.body);
    auto unavailable = Post(kPush, StkRequest(503));
    EXPECT_EQ(unavailable.status, 503);
    EXPECT_TRUE(unavailable.body.contains("errorCode"));
    auto quota = Post(kQuery, QueryRequest("ws_CO_1"));
    EXPECT_EQ(quota.status, 500);
    EXPECT_EQ(quota.body["errorMessage"], "Error Occurred: Quota Violation");
    EXPECT_EQ(receiver_->Count("/stk"), 0u);
}

TEST_F(SimTest, InvalidateTokenRuleFiresOnce) {
    StartSim();
    SetRules(Json::array({{{"api", "stkpush"}, {"times", 1}, {"then", {{"invalidateToken", true}}}}}));
    std::string token = Token();
    auto r = Post(kPush, StkRequest(), token);
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(r.body["errorCode"], "404.001.03");
    EXPECT_EQ(Post(kPush, StkRequest(), token).body["errorCode"], "404.001.03");  // revoked for good
    token_.clear();
    EXPECT_EQ(Post(kPush, StkRequest()).status, 200);
}

TEST_F(SimTest, CallbackRetriesWhenReceiverFails) {
    auto options = FastOptions();
    options.callback_retries = 2;
    options.callback_retry_delay = std::chrono::milliseconds(10);
    StartSim(options);
    receiver_->status = 503;
    Post(kPush, StkRequest());
    receiver_->WaitFor("/stk", 3);
    ASSERT_TRUE(WaitUntil([&] { return Control("GET", "/sim/v1/callbacks").body["callbacks"].size() == 3; }));
    auto log = Control("GET", "/sim/v1/callbacks").body["callbacks"];
    EXPECT_EQ(log[0]["attempt"], 1);
    EXPECT_EQ(log[2]["attempt"], 3);
    EXPECT_EQ(log[2]["status"], 503);
    EXPECT_TRUE(log[0]["latencyMs"].is_number());
    EXPECT_EQ(log[0]["url"], receiver_->Url("/stk"));
}

// ---- B2C ----

TEST_F(SimTest, B2cV3SuccessMovesLedgerAndEchoesId) {
    StartSim();
    auto before = Control("GET", "/sim/v1/ledger").body["accounts"]["utility"];
    Json body = AsyncRequest("b2c.request.v3.json");
    auto r = Post("/mpesa/b2c/v3/paymentrequest", body);
    ASSERT_EQ(r.status, 200) << r.text;
    ExpectSameShape(Fixture("b2c.response.v3.json"), r.body);
    EXPECT_EQ(r.body["OriginatorConversationID"], body["OriginatorConversationID"]);
    auto results = receiver_->WaitFor("/result");
    ASSERT_EQ(results.size(), 1u);
    Json expected = Fixture("b2c.result.success.json");
    ExpectSameShape(expected["Result"]["ReferenceData"], results[0]["Result"]["ReferenceData"]);
    ExpectSameItems(expected["Result"]["ResultParameters"]["ResultParameter"],
                    results[0]["Result"]["ResultParameters"]["ResultParameter"], "Key");
    EXPECT_EQ(results[0]["Result"]["ResultCode"], 0);
    EXPECT_EQ(results[0]["Result"]["OriginatorConversationID"], body["OriginatorConversationID"]);
    EXPECT_EQ(results[0]["Result"]["ConversationID"], r.body["ConversationID"]);
    auto after = Control("GET", "/sim/v1/ledger").body["accounts"]["utility"];
    EXPECT_EQ(before, "228037.00");
    EXPECT_EQ(after, "228004.60");  // 10 + 22.40 charge
}

TEST_F(SimTest, B2cV3DuplicateOriginatorIdRefused) {
    StartSim();
    Json body = AsyncRequest("b2c.request.v3.json");
    ASSERT_EQ(Post("/mpesa/b2c/v3/paymentrequest", body).status, 200);
    auto dup = Post("/mpesa/b2c/v3/paymentrequest", body);
    EXPECT_EQ(dup.status, 500);
    EXPECT_EQ(dup.body["errorCode"], "500.002.1001");
    EXPECT_EQ(dup.body["errorMessage"], "Duplicate OriginatorConversationID.");
}

TEST_F(SimTest, B2cWrongInitiatorPasswordIs2001) {
    StartSim();
    auto r = Post("/mpesa/b2c/v1/paymentrequest", AsyncRequest("b2c.request.v1.json", "WrongPassword1!"));
    ASSERT_EQ(r.status, 200) << r.text;
    ExpectSameShape(Fixture("b2c.response.v1.json"), r.body);
    auto results = receiver_->WaitFor("/result");
    ASSERT_EQ(results.size(), 1u);
    ExpectSameShape(Fixture("b2c.result.failed.initiator-invalid.json"), results[0]);
    EXPECT_EQ(results[0]["Result"]["ResultCode"], 2001);
    EXPECT_EQ(results[0]["Result"]["ResultDesc"], "The initiator information is invalid.");
}

TEST_F(SimTest, B2cSandboxCertificateCredentialAccepted) {
    StartSim();
    Json body = Fixture("b2c.request.v1.json");  // credential made with Safaricom's sandbox certificate
    body["ResultURL"] = receiver_->Url("/result");
    ASSERT_EQ(Post("/mpesa/b2c/v1/paymentrequest", body).status, 200);
    EXPECT_EQ(receiver_->WaitFor("/result")[0]["Result"]["ResultCode"], 0);
}

TEST_F(SimTest, B2cQueueTimeoutAndInsufficientFunds) {
    auto options = FastOptions();
    options.utility_balance_cents = 5000;
    StartSim(options);
    SetRules(Json::array({{{"api", "b2c"}, {"when", {{"amount", 11}}}, {"then", {{"queueTimeout", true}}}}}));
    Json timeout = AsyncRequest("b2c.request.v1.json");
    timeout["Amount"] = 11;
    Post("/mpesa/b2c/v1/paymentrequest", timeout);
    auto t = receiver_->WaitFor("/timeout");
    ASSERT_EQ(t.size(), 1u);
    ExpectSameShape(Fixture("b2c.timeout.json"), t[0]);
    Json big = AsyncRequest("b2c.request.v1.json");
    big["Amount"] = 100;
    Post("/mpesa/b2c/v1/paymentrequest", big);
    auto results = receiver_->WaitFor("/result");
    ASSERT_EQ(results.size(), 1u);
    ExpectSameShape(Fixture("b2c.result.failed.insufficient-funds.json"), results[0]);
    EXPECT_EQ(results[0]["Result"]["ResultCode"], 1);
}

TEST_F(SimTest, B2cFieldErrors) {
    StartSim();
    Json body = AsyncRequest("b2c.request.v1.json");
    body["PartyB"] = "0708374149";
    EXPECT_EQ(Post("/mpesa/b2c/v1/paymentrequest", body).body["errorMessage"], "Bad Request - Invalid PartyB");
    body = AsyncRequest("b2c.request.v1.json");
    body["SecurityCredential"] = "***";
    EXPECT_EQ(Post("/mpesa/b2c/v1/paymentrequest", body).body["errorMessage"],
              "Bad Request - Invalid SecurityCredential");
    body = AsyncRequest("b2c.request.v1.json");
    body.erase("InitiatorName");
    EXPECT_EQ(Post("/mpesa/b2c/v1/paymentrequest", body).body["errorMessage"], "Bad Request - Invalid InitiatorName");
}

// ---- reversal, balance, status ----

TEST_F(SimTest, ReversalOfStkReceiptSucceedsOnceThenAlreadyReversed) {
    StartSim();
    std::string receipt = CompletedStk(50);
    ASSERT_FALSE(receipt.empty());
    Json body = AsyncRequest("reversal.request.json");
    body["TransactionID"] = receipt;
    body["Amount"] = "50";
    auto r = Post("/mpesa/reversal/v1/request", body);
    ASSERT_EQ(r.status, 200) << r.text;
    ExpectSameShape(Fixture("reversal.response.json"), r.body);
    auto results = receiver_->WaitFor("/result");
    Json expected = Fixture("reversal.result.success.json");
    ExpectSameItems(expected["Result"]["ResultParameters"]["ResultParameter"],
                    results[0]["Result"]["ResultParameters"]["ResultParameter"], "Key");
    EXPECT_EQ(results[0]["Result"]["ResultCode"], 0);
    Post("/mpesa/reversal/v1/request", body);
    results = receiver_->WaitFor("/result", 2);
    EXPECT_EQ(results[1]["Result"]["ResultCode"], "R000001");
}

TEST_F(SimTest, ReversalOfUnknownReceiptIsR000002) {
    StartSim();
    Post("/mpesa/reversal/v1/request", AsyncRequest("reversal.request.json"));
    auto results = receiver_->WaitFor("/result");
    ASSERT_EQ(results.size(), 1u);
    ExpectSameShape(Fixture("reversal.result.failed.invalid-original.json"), results[0]);
    Json bad = AsyncRequest("reversal.request.json");
    bad["TransactionID"] = "x";
    EXPECT_EQ(Post("/mpesa/reversal/v1/request", bad).body["errorMessage"], "Bad Request - Invalid TransactionID");
}

TEST_F(SimTest, AccountBalanceSuccessAndFailureShapes) {
    StartSim();
    auto r = Post("/mpesa/accountbalance/v1/query", AsyncRequest("accountbalance.request.json"));
    ASSERT_EQ(r.status, 200) << r.text;
    ExpectSameShape(Fixture("accountbalance.response.json"), r.body);
    auto ok = receiver_->WaitFor("/result");
    ExpectSameShape(Fixture("accountbalance.result.success.json"), ok[0]);
    auto params = ok[0]["Result"]["ResultParameters"]["ResultParameter"];
    EXPECT_EQ(params[0]["Value"].get<std::string>().rfind("Working Account|KES|700000.00|700000.00|0.00|0.00&", 0), 0u);
    Post("/mpesa/accountbalance/v1/query", AsyncRequest("accountbalance.request.json", "nope"));
    auto failed = receiver_->WaitFor("/result", 2);
    ExpectSameShape(Fixture("accountbalance.result.failed.json"), failed[1]);
    EXPECT_TRUE(failed[1]["Result"]["ResultParameters"]["ResultParameter"].is_object());  // one item: bare object
}

TEST_F(SimTest, TransactionStatusFindsB2cByReceiptAndOriginatorId) {
    StartSim();
    Json b2c = AsyncRequest("b2c.request.v3.json");
    Post("/mpesa/b2c/v3/paymentrequest", b2c);
    auto result = receiver_->WaitFor("/result")[0];
    std::string receipt = result["Result"]["TransactionID"];
    Json by_receipt = AsyncRequest("transactionstatus.request.json");
    by_receipt["TransactionID"] = receipt;
    auto r = Post("/mpesa/transactionstatus/v1/query", by_receipt);
    ASSERT_EQ(r.status, 200) << r.text;
    ExpectSameShape(Fixture("transactionstatus.response.json"), r.body);
    auto status = receiver_->WaitFor("/result", 2)[1];
    Json expected = Fixture("transactionstatus.result.success.json");
    ExpectSameShape(expected["Result"]["ReferenceData"], status["Result"]["ReferenceData"]);
    ExpectSameItems(expected["Result"]["ResultParameters"]["ResultParameter"],
                    status["Result"]["ResultParameters"]["ResultParameter"], "Key");
    Post("/mpesa/transactionstatus/v1/query",
         AsyncRequest("transactionstatus.request.by-originatorconversationid.json"));
    auto by_id = receiver_->WaitFor("/result", 3)[2];
    EXPECT_EQ(by_id["Result"]["ResultCode"], 0);
    bool found = false;
    for (const auto& p : by_id["Result"]["ResultParameters"]["ResultParameter"]) {
        if (p["Key"] == "ReceiptNo") found = p["Value"] == receipt;
    }
    EXPECT_TRUE(found);
}

// ---- C2B ----

TEST_F(SimTest, C2bRegisterSimulateValidateConfirm) {
    auto options = FastOptions();
    options.c2b_external_validation = true;
    StartSim(options);
    Json reg = Fixture("c2b.registerurl.request.json");
    reg["ConfirmationURL"] = receiver_->Url("/confirmation");
    reg["ValidationURL"] = receiver_->Url("/validation");
    auto r = Post("/mpesa/c2b/v1/registerurl", reg);
    ASSERT_EQ(r.status, 200) << r.text;
    ExpectSameShape(Fixture("c2b.registerurl.response.json"), r.body);
    EXPECT_TRUE(r.body.contains("OriginatorCoversationID"));
    auto sim = Post("/mpesa/c2b/v1/simulate", Fixture("c2b.simulate.request.paybill.json"));
    ASSERT_EQ(sim.status, 200) << sim.text;
    ExpectSameShape(Fixture("c2b.simulate.response.json"), sim.body);
    auto validation = receiver_->WaitFor("/validation");
    ASSERT_EQ(validation.size(), 1u);
    ExpectSameShape(Fixture("c2b.validation.request.v1.json"), validation[0]);
    EXPECT_EQ(validation[0]["OrgAccountBalance"], "");
    auto confirmation = receiver_->WaitFor("/confirmation");
    ASSERT_EQ(confirmation.size(), 1u);
    ExpectSameShape(Fixture("c2b.confirmation.request.v1.json"), confirmation[0]);
    EXPECT_EQ(confirmation[0]["MSISDN"], Sha256Hex("254708374149"));
    EXPECT_EQ(confirmation[0]["ThirdPartyTransID"], "ORDER-1");
    EXPECT_EQ(confirmation[0]["TransAmount"], "1.00");
    EXPECT_EQ(confirmation[0]["TransID"], validation[0]["TransID"]);
}

TEST_F(SimTest, C2bV2MasksMsisdnAndValidationRejectStopsConfirmation) {
    auto options = FastOptions();
    options.c2b_external_validation = true;
    StartSim(options);
    Json reg = Fixture("c2b.registerurl.request.json");
    reg["ConfirmationURL"] = receiver_->Url("/confirmation");
    reg["ValidationURL"] = receiver_->Url("/validation");
    auto r = Post("/mpesa/c2b/v2/registerurl", reg);
    ExpectSameShape(Fixture("c2b.registerurl.response.v2.json"), r.body);
    EXPECT_EQ(r.body["ResponseDescription"], "Success");
    Post("/mpesa/c2b/v2/simulate", Fixture("c2b.simulate.request.buygoods.json"));
    auto confirmation = receiver_->WaitFor("/confirmation");
    ASSERT_EQ(confirmation.size(), 1u);
    ExpectSameShape(Fixture("c2b.confirmation.request.buygoods.json"), confirmation[0]);
    EXPECT_EQ(confirmation[0]["MSISDN"], "2547 ***** 149");
    EXPECT_EQ(confirmation[0]["TransactionType"], "Buy Goods");
    receiver_->validation_reply = Fixture("c2b.validation.response.reject.json");
    Post("/mpesa/c2b/v2/simulate", Fixture("c2b.simulate.request.paybill.json"));
    receiver_->WaitFor("/validation", 2);
    // The rejected payment must not be confirmed: a third, accepted payment's confirmation arrives alone.
    receiver_->validation_reply = Fixture("c2b.validation.response.accept.json");
    Post("/mpesa/c2b/v2/simulate", Fixture("c2b.simulate.request.paybill.json"));
    auto all = receiver_->WaitFor("/confirmation", 2);
    ASSERT_EQ(all.size(), 2u);
    EXPECT_EQ(receiver_->Count("/validation"), 3u);
}

TEST_F(SimTest, C2bRegisterRefusesKeywordUrlsAndBadResponseType) {
    StartSim();
    Json reg = Fixture("c2b.registerurl.request.json");
    reg["ConfirmationURL"] = "https://example.com/mpesa/confirm";
    EXPECT_EQ(Post("/mpesa/c2b/v1/registerurl", reg).body["errorMessage"], "Bad Request - Invalid ConfirmationURL");
    reg = Fixture("c2b.registerurl.request.json");
    reg["ResponseType"] = "completed";
    EXPECT_EQ(Post("/mpesa/c2b/v1/registerurl", reg).body["errorMessage"], "Bad Request - Invalid ResponseType");
    reg["ResponseType"] = " Completed ";
    EXPECT_EQ(Post("/mpesa/c2b/v1/registerurl", reg).status, 200);
}

TEST_F(SimTest, C2bAlreadyRegisteredWhenConfigured) {
    auto options = FastOptions();
    options.c2b_reregister_error = true;
    StartSim(options);
    Json reg = Fixture("c2b.registerurl.request.json");
    EXPECT_EQ(Post("/mpesa/c2b/v1/registerurl", reg).status, 200);
    auto again = Post("/mpesa/c2b/v1/registerurl", reg);
    EXPECT_EQ(again.status, 500);
    ExpectSameShape(Fixture("c2b.registerurl.error.already-registered.json"), again.body);
    EXPECT_EQ(again.body["errorMessage"], "Urls are already registered.");
}

// ---- control API ----

TEST_F(SimTest, ControlRulesRequestsResetAndCertificate) {
    StartSim();
    auto bad = Control("POST", "/sim/v1/rules", {{"rules", {{{"api", "nope"}}}}});
    EXPECT_EQ(bad.status, 400);
    SetRules(Json::array({{{"api", "stkpush"}, {"when", {{"amount", 3}}}, {"then", {{"resultCode", "1032"}}}}}));
    Control("POST", "/sim/v1/rules", {{"rules", {{{"api", "b2c"}, {"then", {{"resultCode", "2040"}}}}}}});
    auto rules = Control("GET", "/sim/v1/rules").body["rules"];
    ASSERT_EQ(rules.size(), 2u);
    EXPECT_EQ(rules[0]["when"]["amount"], 3);
    Post(kPush, StkRequest());
    auto requests = Control("GET", "/sim/v1/requests").body["requests"];
    ASSERT_GE(requests.size(), 2u);
    EXPECT_EQ(requests.back()["path"], kPush);
    EXPECT_EQ(requests.back()["body"]["BusinessShortCode"], 174379);
    EXPECT_EQ(requests.back()["status"], 200);
    auto cert = Control("GET", "/sim/v1/certificate");
    EXPECT_EQ(cert.text, sim_->CertificatePem());
    EXPECT_NE(cert.text.find("BEGIN CERTIFICATE"), std::string::npos);
    EXPECT_EQ(Control("POST", "/sim/v1/reset").status, 200);
    EXPECT_EQ(Control("GET", "/sim/v1/rules").body["rules"].size(), 0u);
    EXPECT_EQ(Control("GET", "/sim/v1/requests").body["requests"].size(), 0u);
    EXPECT_EQ(Control("DELETE", "/sim/v1/rules").status, 200);
}

TEST_F(SimTest, ScenarioFileLoadedAtStart) {
    auto options = FastOptions();
    options.scenario_file = FixturePath("scenarios/stk-cancelled.json");
    StartSim(options);
    auto rules = Control("GET", "/sim/v1/rules").body["rules"];
    ASSERT_FALSE(rules.empty());
    EXPECT_EQ(rules[0]["api"], "stkpush");
}

TEST_F(SimTest, BadScenarioFileStopsStart) {
    auto options = FastOptions();
    options.scenario_file = FixturePath("daraja/oauth.response.json");
    Simulator sim(runtime_, options);
    EXPECT_THROW(sim.Start(), std::runtime_error);
}

TEST_F(SimTest, ControlLogsMaskSecretsTokensAndCredentials) {
    StartSim();
    const std::string path_secret = "s3cr3tT0kenAbcdef12345";
    const std::string query_secret = "q9ueryS3cret77";
    Json push = StkRequest(5);
    push["CallBackURL"] = receiver_->Url("/hooks/daraja/" + path_secret + "/stk?secret=" + query_secret);
    const std::string password = push["Password"];
    ASSERT_EQ(Post(kPush, push).status, 200);
    Json payout = AsyncRequest("b2c.request.v3.json");
    payout["ResultURL"] = receiver_->Url("/result?secret=" + query_secret);
    payout["QueueTimeOutURL"] = receiver_->Url("/timeout?secret=" + query_secret);
    const std::string credential = payout["SecurityCredential"];
    ASSERT_EQ(Post("/mpesa/b2c/v3/paymentrequest", payout).status, 200);
    ASSERT_TRUE(WaitUntil([&] { return Control("GET", "/sim/v1/callbacks").body["callbacks"].size() >= 2; }));

    const auto requests = Control("GET", "/sim/v1/requests").body["requests"];
    const auto callbacks = Control("GET", "/sim/v1/callbacks").body["callbacks"];
    for (const Json* log : {&requests, &callbacks}) {
        const std::string text = log->dump();
        for (const std::string& secret :
             {path_secret, query_secret, Token(), Base64Encode("key:secret"), password, credential}) {
            EXPECT_EQ(text.find(secret), std::string::npos) << secret << " is in the log: " << text.substr(0, 600);
        }
    }
    bool push_seen = false, payout_seen = false;
    for (const auto& r : requests) {
        const std::string auth = r["headers"].value("Authorization", "");
        if (r["path"] == "/oauth/v1/generate") {
            EXPECT_EQ(auth, "Basic ****");
        }
        if (r["path"] == kPush) {
            push_seen = true;
            EXPECT_EQ(auth, "Bearer ****");
            // What a developer needs to debug stays: where the callback goes, and that a password was sent.
            EXPECT_EQ(r["body"]["CallBackURL"], receiver_->Url("/hooks/daraja/****/stk?secret=****"));
            EXPECT_EQ(r["body"]["Password"], password.substr(0, 4) + "****");
            EXPECT_EQ(r["body"]["BusinessShortCode"], 174379);
        }
        if (r["path"] == "/mpesa/b2c/v3/paymentrequest") {
            payout_seen = true;
            EXPECT_EQ(r["body"]["ResultURL"], receiver_->Url("/result?secret=****"));
            EXPECT_EQ(r["body"]["SecurityCredential"], credential.substr(0, 4) + "****");
        }
    }
    EXPECT_TRUE(push_seen && payout_seen) << requests.dump();
    for (const auto& c : callbacks) EXPECT_NE(c.value("url", "").find("secret=****"), std::string::npos) << c.dump();
}

TEST_F(SimTest, ControlApiSendsNoWildcardCors) {
    StartSim();
    auto r = Send("GET", "/sim/v1/requests", "", {{"Origin", "https://evil.example"}});
    EXPECT_EQ(r.status, 200);
    net::ClientRequest req;
    req.method = "OPTIONS";
    req.url = sim_->BaseUrl() + "/sim/v1/stk/pending";
    req.headers = {{"Origin", "https://evil.example"}, {"Access-Control-Request-Method", "POST"}};
    auto pre = client_->Send(req);
    ASSERT_TRUE(pre.has_value());
    EXPECT_FALSE(pre->headers.count("Access-Control-Allow-Origin"));
    req.method = "GET";
    req.url = sim_->BaseUrl() + "/sim/v1/requests";
    auto get = client_->Send(req);
    ASSERT_TRUE(get.has_value());
    EXPECT_FALSE(get->headers.count("Access-Control-Allow-Origin"));
    // A page elsewhere can still send a "simple" POST (text/plain, no preflight): it must change nothing.
    SetRules(Json::array({{{"api", "stkpush"}, {"then", {{"resultCode", "1032"}}}}}));
    auto reset = Send("POST", "/sim/v1/reset", "{}", {{"Content-Type", "text/plain"}});
    EXPECT_EQ(reset.status, 415) << reset.text;
    EXPECT_EQ(Control("GET", "/sim/v1/rules").body["rules"].size(), 1u) << "a text/plain POST reset the simulator";
}

TEST_F(SimTest, ListensOnLoopbackOnlyUnlessAllowed) {
    auto options = FastOptions();
    options.host = "0.0.0.0";
    EXPECT_THROW(StartSim(options), std::runtime_error);
    sim_.reset();
    options.allow_remote = true;
    StartSim(options);
    EXPECT_EQ(Control("GET", "/sim/v1/rules").status, 200);
}

// ---- HTTPS ----

TEST_F(SimTest, HttpsWithGeneratedCertificate) {
    auto options = FastOptions();
    options.tls_self_signed = true;
    StartSim(options);
    EXPECT_EQ(sim_->BaseUrl().rfind("https://127.0.0.1:", 0), 0u);
    auto r = Post(kPush, StkRequest());
    EXPECT_EQ(r.status, 200) << r.text;
    EXPECT_EQ(receiver_->WaitFor("/stk").size(), 1u);
    net::HttpClient untrusting(runtime_);
    net::ClientRequest req;
    req.url = sim_->BaseUrl() + "/sim/v1/rules";
    EXPECT_FALSE(untrusting.Send(req).has_value());  // self-signed: refused without the CA file
}

}  // namespace
}  // namespace haven::sim::test
