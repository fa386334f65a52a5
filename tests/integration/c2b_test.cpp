// C2B end to end over loopback: a real gateway and a Daraja simulator. The gateway's confirmation and validation URLs
// are registered with the simulator's C2B register API (with an OAuth token, as the gateway's Daraja client would),
// then payments are made with the simulator's C2B simulate API. The simulator here is one of the test's own, so its
// C2B options (external validation) can be set; money going out (refunds) goes to the gateway's built-in one.
#include <map>
#include <memory>
#include <string>

#include "gateway_fixture.hpp"
#include "net/runtime.hpp"
#include "sim/simulator.hpp"

namespace haven::testing {
namespace {

constexpr const char* kPayer = "254708374149";

class C2bFlow : public GatewayTest {
  protected:
    void SetUp() override {}  // each test starts the gateway with the settings it needs
    void TearDown() override {
        if (sim_) sim_->Stop();
        sim_runtime_.Stop();
        GatewayTest::TearDown();
    }

    /// The gateway (C2B validation settings as given) and a simulator whose external validation is on or off.
    void Start(bool validation, bool reject_unknown) {
        StartGateway([&](app::Config& c) {
            c.c2b.validation = validation;
            c.c2b.reject_unknown = reject_unknown;
        });
        sim::SimulatorOptions options;
        options.host = "127.0.0.1";
        options.port = 0;
        options.callback_delay = std::chrono::milliseconds(20);
        options.reject_keywords_in_c2b_urls = false;  // the seed paths say "mpesa"; the neutral hook paths come later
        options.c2b_external_validation = validation;
        options.c2b_validation_timeout = std::chrono::milliseconds(5000);
        sim_runtime_.Start();
        sim_ = std::make_unique<sim::Simulator>(sim_runtime_, options);
        sim_->Start();
        admin_ = Login("admin@a.test");
    }

    Reply C2bSim(const std::string& path, const json& body) {
        if (token_.empty()) {
            net::Headers basic{{"Authorization", "Basic aGF2ZW46aGF2ZW4="}};  // haven:haven
            auto t = Call("GET", sim_->BaseUrl() + "/oauth/v1/generate?grant_type=client_credentials", "", basic);
            EXPECT_EQ(t.status, 200) << t.body.dump();
            token_ = t.body.value("access_token", "");
        }
        return Call("POST", sim_->BaseUrl() + path, body.dump(), {{"Authorization", "Bearer " + token_}});
    }

    /// Registers the gateway's URLs for its shortcode (v1 or v2), as `haven-mpesa c2b register` would.
    void Register(int version) {
        const std::string secret = "?secret=" + gateway_->config().callback_secret;
        auto r = C2bSim("/mpesa/c2b/v" + std::to_string(version) + "/registerurl",
                        {{"ShortCode", gateway_->config().shortcode},
                         {"ResponseType", "Completed"},
                         {"ConfirmationURL", gateway_->BaseUrl() + "/api/v1/mpesa/c2b/confirmation" + secret},
                         {"ValidationURL", gateway_->BaseUrl() + "/api/v1/mpesa/c2b/validation" + secret}});
        ASSERT_EQ(r.status, 200) << r.body.dump();
    }

    void Pay(int version, const std::string& account, int64_t amount, const std::string& phone = kPayer,
             const std::string& command = "CustomerPayBillOnline") {
        auto r =
            C2bSim("/mpesa/c2b/v" + std::to_string(version) + "/simulate", {{"ShortCode", gateway_->config().shortcode},
                                                                            {"CommandID", command},
                                                                            {"Amount", amount},
                                                                            {"Msisdn", phone},
                                                                            {"BillRefNumber", account}});
        ASSERT_EQ(r.status, 200) << r.body.dump();
    }

    json SimCallbacks(const std::string& kind) {
        auto r = Call("GET", sim_->BaseUrl() + "/sim/v1/callbacks", "");
        json out = json::array();
        for (const auto& c : r.body["callbacks"])
            if (c.value("kind", "") == kind) out.push_back(c);
        return out;
    }

    json LeasePayments(int64_t lease_id) {
        auto r = Api("GET", "/api/v1/leases/" + std::to_string(lease_id) + "/payments", nullptr, admin_);
        EXPECT_EQ(r.status, 200) << r.body.dump();
        const json& data = r.body["data"];
        return data.is_array() ? data : data.value("items", json::array());
    }

    json C2bTransactions() {
        auto r = Api("GET", "/api/v1/mpesa/transactions?kind=c2b", nullptr, admin_);
        EXPECT_EQ(r.status, 200) << r.body.dump();
        return r.body["data"]["items"];
    }

    json Unmatched(const std::string& token) {
        auto r = Api("GET", "/api/v1/c2b/unmatched", nullptr, token);
        EXPECT_EQ(r.status, 200) << r.body.dump();
        return r.body["data"]["items"];
    }

    /// A paybill payment of `amount` to an account no lease has, once it waits as unmatched: its refund path.
    std::string UnmatchedRefundPath(int64_t amount) {
        Start(false, false);
        Register(2);
        Pay(2, "nobody", amount);
        EXPECT_TRUE(Eventually([&] { return Unmatched(admin_).size() == 1; }));
        if (Unmatched(admin_).empty()) return "/api/v1/c2b/payments/0/refund";
        return "/api/v1/c2b/payments/" + std::to_string(Unmatched(admin_)[0]["id"].get<int64_t>()) + "/refund";
    }

    json Lease(const std::string& reference, const std::string& phone = "0708374149") {
        auto r = Api("POST", "/api/v1/leases",
                     {{"tenantName", "Wanjiku Kamau"},
                      {"phoneNumber", phone},
                      {"unit", reference},
                      {"monthlyRent", 15000},
                      {"accountReference", reference}},
                     admin_);
        EXPECT_EQ(r.status, 201) << r.body.dump();
        return r.body["data"];
    }

    net::Runtime sim_runtime_{2};
    std::unique_ptr<sim::Simulator> sim_;
    std::string token_;
    std::string admin_;
};

TEST_F(C2bFlow, APaybillPaymentToB4TypedAsLowerCaseWithAHyphenLandsOnLeaseB4) {
    Start(false, false);
    auto lease = Lease("B4");
    Lease("B40");  // a neighbour whose key must not collide
    Register(2);
    Pay(2, "b-4", 15000);
    const int64_t id = lease["id"];
    ASSERT_TRUE(Eventually([&] { return LeasePayments(id).size() == 1; })) << LeasePayments(id).dump();
    json payment = LeasePayments(id).front();
    EXPECT_EQ(payment["source"], "c2b");
    EXPECT_EQ(payment["amount"], 15000);
    EXPECT_EQ(payment["payerName"], "John Doe");
    auto listed = C2bTransactions();
    ASSERT_EQ(listed.size(), 1u);
    EXPECT_EQ(listed[0]["kind"], "c2b");
    EXPECT_EQ(listed[0]["leaseId"], id);
    EXPECT_EQ(listed[0]["matchedBy"], "reference");
    EXPECT_EQ(listed[0]["accountNumber"], "b-4");
    EXPECT_EQ(listed[0]["payerPhone"], "2547 ***** 149");
    EXPECT_EQ(listed[0]["mpesaReceiptNumber"], payment["mpesaReceiptNumber"]);
    auto detail =
        Api("GET", "/api/v1/mpesa/transactions/" + std::to_string(listed[0]["id"].get<int64_t>()), nullptr, admin_);
    ASSERT_EQ(detail.status, 200) << detail.body.dump();
    EXPECT_EQ(detail.body["data"]["kind"], "c2b");
    // The confirmation was acknowledged as Daraja expects.
    auto confirmations = SimCallbacks("c2b.confirmation");
    ASSERT_EQ(confirmations.size(), 1u);
    EXPECT_EQ(confirmations[0]["response"], json({{"ResultCode", 0}, {"ResultDesc", "Accepted"}}));
    EXPECT_TRUE(Unmatched(admin_).empty());
}

TEST_F(C2bFlow, AnUnknownAccountIsRejectedAtValidationWhenTheAgencyRejectsUnknowns) {
    Start(true, true);
    auto lease = Lease("B4");
    Register(2);
    Pay(2, "ZZ-99", 700);
    ASSERT_TRUE(Eventually([&] { return SimCallbacks("c2b.validation").size() == 1; }));
    auto validation = SimCallbacks("c2b.validation")[0];
    EXPECT_EQ(validation["response"], json({{"ResultCode", "C2B00012"}, {"ResultDesc", "Rejected"}}));
    // A known account is accepted and arrives.
    Pay(2, "b4", 800);
    ASSERT_TRUE(Eventually([&] { return LeasePayments(lease["id"]).size() == 1; }));
    EXPECT_EQ(SimCallbacks("c2b.validation")[1]["response"], json({{"ResultCode", "0"}, {"ResultDesc", "Accepted"}}));
    // Nothing was stored for the rejected one.
    EXPECT_EQ(C2bTransactions().size(), 1u);
    EXPECT_EQ(SimCallbacks("c2b.confirmation").size(), 1u);
    EXPECT_TRUE(Unmatched(admin_).empty());
}

TEST_F(C2bFlow, AnUnknownAccountIsQueuedAsUnmatchedAndAManagerAssignsIt) {
    Start(false, false);
    auto lease = Lease("B4");
    Register(2);
    Pay(2, "ZZ-99", 700);
    ASSERT_TRUE(Eventually([&] { return Unmatched(admin_).size() == 1; }));
    json queued = Unmatched(admin_)[0];
    EXPECT_EQ(queued["matchStatus"], "unmatched");
    EXPECT_EQ(queued["accountNumber"], "ZZ-99");
    const std::string path = "/api/v1/c2b/payments/" + std::to_string(queued["id"].get<int64_t>());
    auto review =
        Api("GET", "/api/v1/review?transactionId=" + std::to_string(queued["id"].get<int64_t>()), nullptr, admin_);
    ASSERT_EQ(review.status, 200) << review.body.dump();
    ASSERT_EQ(review.body["data"]["items"].size(), 1u);
    EXPECT_EQ(review.body["data"]["items"][0]["reasonCode"], "c2b_unmatched");

    auto viewer = Api("POST", path + "/assign", {{"leaseId", lease["id"]}}, Login("viewer@a.test"));
    EXPECT_EQ(viewer.status, 403);
    auto other = Api("POST", path + "/assign", {{"leaseId", lease["id"]}}, Login("admin@b.test"));
    EXPECT_EQ(other.status, 404);
    auto assigned = Api("POST", path + "/assign", {{"leaseId", lease["id"]}}, Login("manager@a.test"));
    ASSERT_EQ(assigned.status, 200) << assigned.body.dump();
    EXPECT_EQ(assigned.body["data"]["matchedBy"], "staff");
    ASSERT_EQ(LeasePayments(lease["id"]).size(), 1u);
    EXPECT_EQ(LeasePayments(lease["id"])[0]["source"], "c2b");
    EXPECT_TRUE(Unmatched(admin_).empty());
    auto resolved = Api("GET", "/api/v1/review?status=resolved", nullptr, admin_);
    ASSERT_EQ(resolved.body["data"]["items"].size(), 1u);
    EXPECT_EQ(resolved.body["data"]["items"][0]["resolvedBy"], "manager@a.test");
    auto audit = Api("GET", "/api/v1/audit?action=c2b.assign", nullptr, admin_);
    ASSERT_EQ(audit.status, 200) << audit.body.dump();
    bool success = false;
    for (const auto& row : audit.body["data"]["items"]) success = success || row.value("outcome", "") == "success";
    EXPECT_TRUE(success) << audit.body.dump();

    auto again = Api("POST", path + "/assign", {{"leaseId", lease["id"]}}, admin_);
    EXPECT_EQ(again.status, 409);
    EXPECT_EQ(LeasePayments(lease["id"]).size(), 1u);
}

TEST_F(C2bFlow, ADuplicateConfirmationChangesNothing) {
    Start(false, false);
    auto lease = Lease("B4");
    Register(2);
    auto rule = Call(
        "POST", sim_->BaseUrl() + "/sim/v1/rules",
        json({{"rules",
               json::array({{{"api", "c2b"}, {"when", {{"accountReference", "B4"}}}, {"then", {{"callbacks", 2}}}}})},
              {"replace", true}})
            .dump());
    ASSERT_EQ(rule.status, 200) << rule.body.dump();
    Pay(2, "B4", 15000);
    ASSERT_TRUE(Eventually([&] { return SimCallbacks("c2b.confirmation").size() == 2; }));
    for (const auto& attempt : SimCallbacks("c2b.confirmation")) {
        EXPECT_EQ(attempt["response"], json({{"ResultCode", 0}, {"ResultDesc", "Accepted"}}));
    }
    EXPECT_EQ(LeasePayments(lease["id"]).size(), 1u);
    EXPECT_EQ(C2bTransactions().size(), 1u);
}

TEST_F(C2bFlow, AV1PaymentWithAnUnknownAccountFindsTheOneLeaseWithThePayersNumber) {
    Start(false, false);
    auto lease = Lease("B4", "0708374149");
    Lease("C7", "0711000222");
    Register(1);
    Pay(1, "rent december", 15000, kPayer);
    ASSERT_TRUE(Eventually([&] { return LeasePayments(lease["id"]).size() == 1; }));
    auto listed = C2bTransactions();
    ASSERT_EQ(listed.size(), 1u);
    EXPECT_EQ(listed[0]["matchedBy"], "phone");
    EXPECT_EQ(listed[0]["apiVersion"], 1);
    EXPECT_EQ(listed[0]["payerPhone"], nullptr);  // only a hash arrived; never shown
}

TEST_F(C2bFlow, ATillPaymentWithoutAnAccountWaitsAsUnmatched) {
    Start(false, false);
    Lease("B4");
    Register(2);
    Pay(2, "", 450, kPayer, "CustomerBuyGoodsOnline");
    ASSERT_TRUE(Eventually([&] { return Unmatched(admin_).size() == 1; }));
    json queued = Unmatched(admin_)[0];
    EXPECT_EQ(queued["transactionType"], "Buy Goods");
    EXPECT_EQ(queued["accountNumber"], "");
    EXPECT_EQ(queued["amount"], 450);
}

TEST_F(C2bFlow, AnUnmatchedPaymentIsRefundedOnlyToTheNumberThatPaid) {
    const std::string path = UnmatchedRefundPath(1200);
    const int before = SimRequestCount("/mpesa/b2c");
    auto wrong = Api("POST", path, {{"phoneNumber", "0711000222"}}, admin_);
    EXPECT_EQ(wrong.status, 400) << wrong.body.dump();
    auto manager = Api("POST", path, {{"phoneNumber", "0708374149"}}, Login("manager@a.test"));
    EXPECT_EQ(manager.status, 403);
    EXPECT_EQ(SimRequestCount("/mpesa/b2c"), before);

    auto refund = Api("POST", path, {{"phoneNumber", "0708374149"}}, admin_);
    ASSERT_EQ(refund.status, 200) << refund.body.dump();
    EXPECT_EQ(refund.body["data"]["type"], "refund");
    EXPECT_EQ(refund.body["data"]["amount"], 1200);
    EXPECT_EQ(SimRequestCount("/mpesa/b2c"), before + 1);
    auto twice = Api("POST", path, {{"phoneNumber", "0708374149"}}, admin_);
    EXPECT_EQ(twice.status, 409) << twice.body.dump();
    EXPECT_EQ(SimRequestCount("/mpesa/b2c"), before + 1);
    EXPECT_TRUE(Unmatched(admin_).empty());
    auto audit = Api("GET", "/api/v1/audit?action=c2b.refund", nullptr, admin_);
    EXPECT_GE(audit.body["data"]["items"].size(), 1u);
}

TEST_F(C2bFlow, TheRefundOfAnUnmatchedPaymentIsHeldToTheDailyPayoutLimit) {
    // A refund is money going out like any payout: the agency's daily payout limit holds it too, and a refused
    // refund leaves the payment unmatched, to be refunded once the limit allows.
    const std::string path = UnmatchedRefundPath(1200);
    const int before = SimRequestCount("/mpesa/b2c");
    ASSERT_EQ(Api("PATCH", "/api/v1/agency/settings", {{"dailyPayoutLimit", 1000}}, admin_).status, 200);
    auto refused = Api("POST", path, {{"phoneNumber", "0708374149"}}, admin_);
    EXPECT_EQ(refused.status, 422) << refused.body.dump();
    EXPECT_EQ(refused.body["success"], false);
    EXPECT_NE(refused.body["error"]["message"].get<std::string>().find("KES 1000 remains"), std::string::npos)
        << refused.body.dump();
    EXPECT_EQ(SimRequestCount("/mpesa/b2c"), before) << "a refund beyond the daily limit reached Daraja";
    EXPECT_EQ(Unmatched(admin_).size(), 1u) << "a refused refund must leave the payment unmatched";

    ASSERT_EQ(Api("PATCH", "/api/v1/agency/settings", {{"dailyPayoutLimit", 2000}}, admin_).status, 200);
    auto refund = Api("POST", path, {{"phoneNumber", "0708374149"}}, admin_);
    ASSERT_EQ(refund.status, 200) << refund.body.dump();
    EXPECT_EQ(SimRequestCount("/mpesa/b2c"), before + 1);
    EXPECT_TRUE(Unmatched(admin_).empty());
}

// The rent roll counts STK and paybill payments alike: a lease paid half by STK and half by paybill is paid, one paid
// part by paybill is partial, one with nothing is unpaid.
TEST_F(C2bFlow, TheRentRollCountsStkAndPaybillPaymentsTogether) {
    Start(false, false);
    auto both = Lease("R1");
    auto paybill_only = Lease("R2");
    auto nothing = Lease("R3");
    Register(2);
    auto push = Api("POST", "/api/v1/mpesa/stk-push", StkBody(5000, both["id"].get<int64_t>()), admin_);
    ASSERT_EQ(push.status, 200) << push.body.dump();
    ASSERT_EQ(WaitFinal(admin_, push.body["data"]["checkoutRequestId"])["status"], "SUCCESS");
    Pay(2, "r-1", 10000);
    Pay(2, "R 2", 4000);
    ASSERT_TRUE(Eventually([&] { return C2bTransactions().size() == 2; }));

    auto r = Api("GET", "/api/v1/rent-roll", nullptr, admin_);
    ASSERT_EQ(r.status, 200) << r.body.dump();
    std::map<std::string, json> rows;
    for (const auto& row : r.body["data"]["items"]) rows[row["unit"].get<std::string>()] = row;
    ASSERT_EQ(rows.count("R1"), 1u) << r.body.dump();
    EXPECT_EQ(rows["R1"]["paid"], 15000);
    EXPECT_EQ(rows["R1"]["status"], "paid");
    EXPECT_EQ(rows["R1"]["balance"], 0);
    EXPECT_EQ(rows["R1"]["lastPayment"]["source"], "c2b");
    EXPECT_EQ(rows["R2"]["paid"], 4000);
    EXPECT_EQ(rows["R2"]["status"], "partial");
    EXPECT_EQ(rows["R2"]["balance"], 11000);
    EXPECT_EQ(rows["R3"]["paid"], 0);
    EXPECT_EQ(rows["R3"]["status"], "unpaid");
    EXPECT_EQ(rows["R3"]["balance"], 15000);
    (void)paybill_only;
    (void)nothing;
}

}  // namespace
}  // namespace haven::testing
