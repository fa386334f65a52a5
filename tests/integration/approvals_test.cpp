// Two people for big money moves: payouts and reversals above the agency's threshold wait for a second admin
// and reach the simulator only after approval; the daily payout limit; expiry. Real gateway + simulator (SQLite).
#include <atomic>
#include <thread>
#include <vector>

#include "gateway_fixture.hpp"

namespace haven::testing {
namespace {

constexpr const char* kB2cPath = "/mpesa/b2c/";
constexpr const char* kReversalPath = "/mpesa/reversal/";

class ApprovalsTest : public GatewayTest {
  protected:
    void SetUp() override {
        GatewayTest::SetUp();
        AddUser("admin2@a.test", core::Role::kAdmin, "Agency A");
        admin_ = Login("admin@a.test");
        admin2_ = Login("admin2@a.test");
    }

    Reply Settings(const json& patch, const std::string& token = "") {
        return Api("PATCH", "/api/v1/agency/settings", patch, token.empty() ? admin_ : token);
    }

    Reply Money(const std::string& path, const json& body, const std::string& token, net::Headers headers = {}) {
        if (!headers.count("Idempotency-Key")) headers["Idempotency-Key"] = "approvals-" + std::to_string(++keys_);
        return Api("POST", path, body, token, headers);
    }

    static json Payout(int64_t amount) {
        return {{"phoneNumber", "0708374149"}, {"amount", amount}, {"type", "payout"}, {"remarks", "Contractor"}};
    }

    Reply Approve(int64_t id, const std::string& token) {
        return Api("POST", "/api/v1/approvals/" + std::to_string(id) + "/approve", nullptr, token);
    }

    json Approvals(const std::string& status) {
        auto r = Api("GET", "/api/v1/approvals?status=" + status, nullptr, admin_);
        EXPECT_EQ(r.status, 200) << r.body.dump();
        return r.body["data"]["items"];
    }

    int64_t PaidStk(int64_t amount) {
        auto r = Api("POST", "/api/v1/mpesa/stk-push", StkBody(amount), admin_);
        EXPECT_EQ(r.status, 200) << r.body.dump();
        auto final = WaitFinal(admin_, r.body["data"].value("checkoutRequestId", ""));
        EXPECT_EQ(final["status"], "SUCCESS") << final.dump();
        return r.body["data"].value("transactionId", int64_t{0});
    }

    int64_t AuditCount(const std::string& action) {
        auto n = gateway_->store().CountAudit(action, "success");
        EXPECT_TRUE(n.has_value());
        return n.value_or(-1);
    }

    std::string admin_, admin2_;
    std::atomic<int> keys_{0};
};

TEST_F(ApprovalsTest, SettingsAreReadAndChangedByAdminsOnly) {
    auto r = Api("GET", "/api/v1/agency/settings", nullptr, admin_);
    ASSERT_EQ(r.status, 200) << r.body.dump();
    EXPECT_EQ(r.body["data"]["approvalThreshold"], nullptr);
    EXPECT_EQ(r.body["data"]["dailyPayoutLimit"], nullptr);
    EXPECT_EQ(r.body["data"]["approvalExpiryMinutes"], 1440);

    auto changed = Settings({{"approvalThreshold", 10000}, {"dailyPayoutLimit", 50000}});
    ASSERT_EQ(changed.status, 200) << changed.body.dump();
    EXPECT_EQ(changed.body["data"]["approvalThreshold"], 10000);
    EXPECT_EQ(changed.body["data"]["dailyPayoutLimit"], 50000);
    EXPECT_EQ(changed.body["data"]["approvalExpiryMinutes"], 1440);
    EXPECT_EQ(AuditCount("agency.settings"), 1);

    EXPECT_EQ(Settings({{"approvalThreshold", 10.5}}).status, 400);
    EXPECT_EQ(Settings({{"threshold", 1}}).status, 400);
    EXPECT_EQ(Settings({{"approvalExpiryMinutes", 0}}).status, 400);
    EXPECT_EQ(Settings({{"approvalThreshold", 1}}, Login("manager@a.test")).status, 403);
    EXPECT_EQ(Api("GET", "/api/v1/agency/settings", nullptr, Login("viewer@a.test")).status, 403);
    // Another agency's settings are its own.
    EXPECT_EQ(Api("GET", "/api/v1/agency/settings", nullptr, Login("admin@b.test")).body["data"]["approvalThreshold"],
              nullptr);
}

TEST_F(ApprovalsTest, PayoutAboveThresholdWaitsForASecondAdminAndIsSentOnce) {
    ASSERT_EQ(Settings({{"approvalThreshold", 10000}}).status, 200);
    net::Headers key{{"Idempotency-Key", "big-payout-1"}};
    auto held = Money("/api/v1/mpesa/b2c", Payout(25000), admin_, key);
    ASSERT_EQ(held.status, 202) << held.body.dump();
    const json approval = held.body["data"]["approval"];
    EXPECT_EQ(approval["status"], "pending");
    EXPECT_EQ(approval["amount"], 25000);
    EXPECT_EQ(approval["kind"], "b2c");
    EXPECT_EQ(approval["makerEmail"], "admin@a.test");
    EXPECT_EQ(approval["phoneNumber"].get<std::string>().find("254708374149"), std::string::npos) << "full phone";
    EXPECT_TRUE(approval["expiresAt"].is_string());
    const int64_t id = approval["id"];
    EXPECT_EQ(SimRequestCount(kB2cPath), 0) << "a held payout reached Daraja";
    EXPECT_EQ(AuditCount("approval.request"), 1);

    // The same Idempotency-Key replays the same answer and holds nothing new.
    auto replay = Money("/api/v1/mpesa/b2c", Payout(25000), admin_, key);
    EXPECT_EQ(replay.status, 202);
    EXPECT_EQ(replay.body["data"]["approval"]["id"], id);
    EXPECT_EQ(Approvals("pending").size(), 1u);

    // The maker cannot approve their own request.
    auto own = Approve(id, admin_);
    EXPECT_EQ(own.status, 403) << own.body.dump();
    EXPECT_EQ(Approvals("all")[0]["mine"], true);
    // Managers are not approvers.
    EXPECT_EQ(Approve(id, Login("manager@a.test")).status, 403);
    // Another agency's admin does not see it.
    EXPECT_EQ(Approve(id, Login("admin@b.test")).status, 404);
    EXPECT_EQ(SimRequestCount(kB2cPath), 0);

    auto sent = Approve(id, admin2_);
    ASSERT_EQ(sent.status, 200) << sent.body.dump();
    EXPECT_EQ(sent.body["data"]["kind"], "b2c");
    EXPECT_EQ(sent.body["data"]["amount"], 25000);
    EXPECT_EQ(SimRequestCount(kB2cPath), 1);
    const int64_t tx_id = sent.body["data"]["transactionId"];
    json tx;
    ASSERT_TRUE(Eventually([&] {
        tx = Api("GET", "/api/v1/mpesa/transactions/" + std::to_string(tx_id), nullptr, admin_).body["data"];
        return tx.is_object() && tx.value("status", "") == "SUCCESS";
    })) << tx.dump();

    auto listed = Approvals("approved");
    ASSERT_EQ(listed.size(), 1u);
    EXPECT_EQ(listed[0]["checkerEmail"], "admin2@a.test");
    EXPECT_EQ(listed[0]["transactionId"], tx_id);
    // Approving again moves no money.
    EXPECT_EQ(Approve(id, admin2_).status, 409);
    EXPECT_EQ(SimRequestCount(kB2cPath), 1);
    EXPECT_EQ(AuditCount("approval.approve"), 1);
}

TEST_F(ApprovalsTest, PayoutAtOrBelowThresholdGoesStraightThrough) {
    ASSERT_EQ(Settings({{"approvalThreshold", 10000}}).status, 200);
    auto r = Money("/api/v1/mpesa/b2c", Payout(10000), admin_);
    ASSERT_EQ(r.status, 200) << r.body.dump();
    EXPECT_EQ(r.body["data"]["status"], "PENDING");
    EXPECT_EQ(SimRequestCount(kB2cPath), 1);
    EXPECT_EQ(Approvals("all").size(), 0u);
}

TEST_F(ApprovalsTest, ReversalAboveThresholdWaitsForApproval) {
    const int64_t paid = PaidStk(3000);
    ASSERT_EQ(Settings({{"approvalThreshold", 2000}}).status, 200);
    json body = {{"transactionId", paid}, {"remarks", "Wrong paybill"}, {"reason", "Paid twice"}};
    auto held = Money("/api/v1/mpesa/reverse", body, admin_);
    ASSERT_EQ(held.status, 202) << held.body.dump();
    EXPECT_EQ(held.body["data"]["approval"]["kind"], "reversal");
    EXPECT_EQ(held.body["data"]["approval"]["amount"], 3000);
    EXPECT_EQ(SimRequestCount(kReversalPath), 0);

    // The reversal rules still apply before anything is held: a failed or unknown payment is refused now.
    EXPECT_EQ(
        Money("/api/v1/mpesa/reverse", {{"transactionId", 999999}, {"remarks", "x"}, {"reason", "y"}}, admin_).status,
        404);

    auto sent = Approve(held.body["data"]["approval"]["id"], admin2_);
    ASSERT_EQ(sent.status, 200) << sent.body.dump();
    EXPECT_EQ(sent.body["data"]["kind"], "reversal");
    EXPECT_EQ(SimRequestCount(kReversalPath), 1);
}

TEST_F(ApprovalsTest, RejectedRequestNeverReachesDaraja) {
    ASSERT_EQ(Settings({{"approvalThreshold", 100}}).status, 200);
    auto held = Money("/api/v1/mpesa/b2c", Payout(5000), admin_);
    ASSERT_EQ(held.status, 202);
    const int64_t id = held.body["data"]["approval"]["id"];
    const std::string reject = "/api/v1/approvals/" + std::to_string(id) + "/reject";
    EXPECT_EQ(Api("POST", reject, json::object(), admin2_).status, 400) << "a rejection needs a reason";
    EXPECT_EQ(Api("POST", reject, {{"reason", "not agreed"}}, admin_).status, 403);
    auto r = Api("POST", reject, {{"reason", "Not in this month's budget"}}, admin2_);
    ASSERT_EQ(r.status, 200) << r.body.dump();
    EXPECT_EQ(r.body["data"]["status"], "rejected");
    EXPECT_EQ(r.body["data"]["reason"], "Not in this month's budget");
    EXPECT_EQ(Approve(id, admin2_).status, 409);
    EXPECT_EQ(SimRequestCount(kB2cPath), 0);
    EXPECT_EQ(AuditCount("approval.reject"), 1);
}

TEST_F(ApprovalsTest, ExpiredRequestIsSweptAndCannotBeApproved) {
    // A tenth of a minute: six seconds to wait out, in polls.
    ASSERT_EQ(Settings({{"approvalThreshold", 100}, {"approvalExpiryMinutes", 0.1}}).status, 200);
    auto held = Money("/api/v1/mpesa/b2c", Payout(5000), admin_);
    ASSERT_EQ(held.status, 202);
    const int64_t id = held.body["data"]["approval"]["id"];
    ASSERT_TRUE(Eventually(
        [&] {
            gateway_->ReconcileNow();  // the background sweep, driven now
            auto items = Approvals("expired");
            return items.size() == 1 && items[0]["id"] == id;
        },
        std::chrono::seconds(20)));
    auto late = Approve(id, admin2_);
    EXPECT_EQ(late.status, 409);
    EXPECT_NE(late.body["error"]["message"].get<std::string>().find("expired"), std::string::npos) << late.body.dump();
    EXPECT_EQ(SimRequestCount(kB2cPath), 0);
    EXPECT_EQ(AuditCount("approval.expire"), 1);
}

TEST_F(ApprovalsTest, TwoApproversAtOnceMoveTheMoneyOnce) {
    AddUser("admin3@a.test", core::Role::kAdmin, "Agency A");
    const std::string admin3 = Login("admin3@a.test");
    ASSERT_EQ(Settings({{"approvalThreshold", 100}}).status, 200);
    for (int round = 0; round < 3; ++round) {
        auto held = Money("/api/v1/mpesa/b2c", Payout(1000 + round), admin_);
        ASSERT_EQ(held.status, 202);
        const int64_t id = held.body["data"]["approval"]["id"];
        std::atomic<int> ok{0}, conflict{0};
        std::vector<std::thread> approvers;
        for (const std::string* token : {static_cast<const std::string*>(&admin2_), &admin3}) {
            approvers.emplace_back([&, token] {
                auto r = Approve(id, *token);
                if (r.status == 200) ++ok;
                if (r.status == 409) ++conflict;
            });
        }
        for (auto& t : approvers) t.join();
        EXPECT_EQ(ok.load(), 1);
        EXPECT_EQ(conflict.load(), 1);
        EXPECT_EQ(SimRequestCount(kB2cPath), round + 1);
    }
}

TEST_F(ApprovalsTest, DailyPayoutLimitRefusesTheExcessAndIsCheckedAgainOnApproval) {
    ASSERT_EQ(Settings({{"dailyPayoutLimit", 10000}, {"approvalThreshold", 5000}}).status, 200);
    ASSERT_EQ(Money("/api/v1/mpesa/b2c", Payout(4000), admin_).status, 200);
    auto held = Money("/api/v1/mpesa/b2c", Payout(5500), admin_);  // held: counts against today
    ASSERT_EQ(held.status, 202) << held.body.dump();
    auto refused = Money("/api/v1/mpesa/b2c", Payout(1000), admin_);
    EXPECT_EQ(refused.status, 422) << refused.body.dump();
    EXPECT_NE(refused.body["error"]["message"].get<std::string>().find("KES 500 remains"), std::string::npos)
        << refused.body.dump();
    EXPECT_EQ(Money("/api/v1/mpesa/b2c", Payout(500), admin_).status, 200);
    EXPECT_EQ(SimRequestCount(kB2cPath), 2);

    // Lowering the limit after the payout was held: approving it would now pass the limit.
    ASSERT_EQ(Settings({{"dailyPayoutLimit", 9000}}).status, 200);
    auto late = Approve(held.body["data"]["approval"]["id"], admin2_);
    EXPECT_EQ(late.status, 422) << late.body.dump();
    EXPECT_EQ(Approvals("pending").size(), 1u) << "a refused approval stays pending";
    EXPECT_EQ(SimRequestCount(kB2cPath), 2);
}

TEST_F(ApprovalsTest, PayoutsSentAtOnceNeverPassTheDailyLimitTogether) {
    // Ten payouts of 3,000 at once against a limit of 10,000: three fit. Each request reads the day's total before
    // it writes, so without the limit held where the payout is written several could read 0 and all be sent.
    ASSERT_EQ(Settings({{"dailyPayoutLimit", 10000}}).status, 200);
    constexpr int kPayouts = 10;
    std::atomic<int> sent{0};
    std::atomic<int> refused{0};
    std::vector<std::thread> clients;
    for (int i = 0; i < kPayouts; ++i) {
        clients.emplace_back([&] {
            auto r = Money("/api/v1/mpesa/b2c", Payout(3000), admin_);
            if (r.status == 200) {
                ++sent;
            } else {
                EXPECT_EQ(r.status, 422) << r.body.dump();
                EXPECT_EQ(r.body["success"], false);
                if (r.status == 422) ++refused;
            }
        });
    }
    for (auto& c : clients) c.join();
    EXPECT_EQ(sent.load(), 3) << "payouts sent together passed the daily limit, or payouts that fit were refused";
    EXPECT_EQ(refused.load(), kPayouts - 3);
    EXPECT_EQ(SimRequestCount(kB2cPath), 3) << "money beyond the daily limit reached Daraja";
}

}  // namespace
}  // namespace haven::testing
