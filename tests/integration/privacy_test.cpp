// Personal data (Kenya's Data Protection Act) through the real gateway and simulator: an admin exports what is held
// about a number, erases it (the database no longer holds the number or the name anywhere, while the money records
// and every total stay the same), a pending push blocks erasure, and the retention sweep removes old raw bodies.
#include <sqlite3.h>

#include <map>

#include "gateway_fixture.hpp"

namespace haven::testing {
namespace {

constexpr const char* kPhone = "0708374149";
constexpr const char* kStored = "254708374149";
constexpr const char* kLast9 = "708374149";
constexpr const char* kTenant = "Wanjiku Kamau";

/// Reads the gateway's SQLite file directly (a second connection; WAL lets it read while the gateway runs).
class Db {
  public:
    explicit Db(const std::filesystem::path& file) {
        EXPECT_EQ(sqlite3_open_v2(file.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
        sqlite3_busy_timeout(db_, 5000);
    }
    ~Db() { sqlite3_close(db_); }
    Db(const Db&) = delete;
    Db& operator=(const Db&) = delete;

    std::vector<std::vector<std::string>> Rows(const std::string& sql) {
        std::vector<std::vector<std::string>> out;
        sqlite3_stmt* st = nullptr;
        EXPECT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr), SQLITE_OK) << sqlite3_errmsg(db_);
        while (st && sqlite3_step(st) == SQLITE_ROW) {
            std::vector<std::string> row;
            for (int i = 0; i < sqlite3_column_count(st); ++i) {
                const auto* text = sqlite3_column_text(st, i);
                row.emplace_back(text ? reinterpret_cast<const char*>(text) : "");
            }
            out.push_back(std::move(row));
        }
        sqlite3_finalize(st);
        return out;
    }

    void Exec(const std::string& sql) {
        char* err = nullptr;
        EXPECT_EQ(sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
        sqlite3_free(err);
    }

    /// "table.column: value" for every stored value containing `needle`, in every table.
    std::vector<std::string> Find(const std::string& needle) {
        std::vector<std::string> hits;
        for (const auto& t : Rows("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")) {
            sqlite3_stmt* st = nullptr;
            if (sqlite3_prepare_v2(db_, ("SELECT * FROM " + t[0]).c_str(), -1, &st, nullptr) != SQLITE_OK) continue;
            while (sqlite3_step(st) == SQLITE_ROW) {
                for (int i = 0; i < sqlite3_column_count(st); ++i) {
                    const auto* text = sqlite3_column_text(st, i);
                    std::string value = text ? reinterpret_cast<const char*>(text) : "";
                    if (value.find(needle) != std::string::npos) {
                        hits.push_back(t[0] + "." + sqlite3_column_name(st, i) + ": " + value.substr(0, 200));
                    }
                }
            }
            sqlite3_finalize(st);
        }
        return hits;
    }

  private:
    sqlite3* db_ = nullptr;
};

class PrivacyTest : public GatewayTest {
  protected:
    std::filesystem::path DbFile() const { return dir_ / "haven.db"; }

    /// Pays `amount` from `phone` against the lease through the simulator; returns the final status.
    json Pay(const std::string& token, const std::string& phone, int64_t lease_id, int64_t amount,
             const std::string& key) {
        json body = StkBody(amount, lease_id);
        body["phoneNumber"] = phone;
        auto r = Api("POST", "/api/v1/mpesa/stk-push", body, token, {{"Idempotency-Key", key}});
        EXPECT_EQ(r.status, 200) << r.body.dump();
        return WaitFinal(token, r.body["data"].value("checkoutRequestId", ""));
    }

    /// What the money pages show: totals and counts by state of the transaction list, the leases' totalPaid, the
    /// payments, and the dashboard's month total (SUCCESS collections).
    json Totals(const std::string& token) {
        json out;
        std::map<std::string, int64_t> count;
        std::map<std::string, int64_t> sum;
        auto list = Api("GET", "/api/v1/mpesa/transactions?limit=200", nullptr, token);
        EXPECT_EQ(list.status, 200) << list.body.dump();
        for (const auto& tx : list.body["data"]["items"]) {
            count[tx["status"].get<std::string>()] += 1;
            sum[tx["status"].get<std::string>()] += tx["amount"].get<int64_t>();
        }
        out["count"] = count;
        out["sum"] = sum;
        auto dashboard = Api("GET", "/api/v1/mpesa/transactions?status=SUCCESS&kind=stk&limit=100", nullptr, token);
        int64_t collected = 0;
        for (const auto& tx : dashboard.body["data"]["items"]) collected += tx["amount"].get<int64_t>();
        out["collected"] = collected;
        auto leases = Api("GET", "/api/v1/leases", nullptr, token);
        for (const auto& l : leases.body["data"])
            out["totalPaid"][std::to_string(l["id"].get<int64_t>())] = l["totalPaid"];
        auto payments = Api("GET", "/api/v1/payments", nullptr, token);
        int64_t paid = 0;
        for (const auto& p : payments.body["data"]) paid += p["amount"].get<int64_t>();
        out["payments"] = paid;
        out["paymentCount"] = payments.body["data"].size();
        return out;
    }
};

TEST_F(PrivacyTest, ExportShowsWhatIsHeldAboutTheNumber) {
    const std::string admin = Login("admin@a.test");
    json lease = CreateLease(admin);
    ASSERT_EQ(Pay(admin, kPhone, lease["id"], 15000, "export-1")["status"], "SUCCESS");

    auto r = Api("GET", "/api/v1/privacy/export?phone=%2B254708374149", nullptr, admin);
    ASSERT_EQ(r.status, 200) << r.body.dump();
    const json& data = r.body["data"];
    EXPECT_EQ(data["phoneNumber"], kStored);
    EXPECT_TRUE(data["generatedAt"].is_string());
    ASSERT_EQ(data["leases"].size(), 1U);
    EXPECT_EQ(data["leases"][0]["tenantName"], kTenant);
    ASSERT_EQ(data["transactions"].size(), 1U);
    EXPECT_EQ(data["transactions"][0]["amount"], 15000);
    EXPECT_EQ(data["transactions"][0]["status"], "SUCCESS");
    ASSERT_EQ(data["payments"].size(), 1U);
    EXPECT_TRUE(data["transfers"].empty());

    // Another agency's admin sees nothing of agency A; a manager may not export; both attempts are audited.
    auto other = Api("GET", "/api/v1/privacy/export?phone=0708374149", nullptr, Login("admin@b.test"));
    ASSERT_EQ(other.status, 200);
    EXPECT_TRUE(other.body["data"]["leases"].empty());
    EXPECT_TRUE(other.body["data"]["transactions"].empty());
    EXPECT_EQ(Api("GET", "/api/v1/privacy/export?phone=0708374149", nullptr, Login("manager@a.test")).status, 403);
    EXPECT_EQ(Api("GET", "/api/v1/privacy/export?phone=12", nullptr, admin).status, 400);

    Db db(DbFile());
    auto audit = db.Rows("SELECT target, outcome FROM audit_log WHERE action = 'privacy.export' ORDER BY id");
    ASSERT_EQ(audit.size(), 4U);
    EXPECT_EQ(audit[0][0], "phone:2547****4149");
    EXPECT_EQ(audit[0][1], "success");
    EXPECT_EQ(audit[2][1], "denied");
    EXPECT_TRUE(db.Rows("SELECT 1 FROM audit_log WHERE target LIKE '%708374149%'").empty()) << "audit rows mask it";
}

TEST_F(PrivacyTest, ErasureRemovesNumberAndNameEverywhereAndKeepsTheTotals) {
    const std::string admin = Login("admin@a.test");
    json lease = CreateLease(admin);
    ASSERT_EQ(Pay(admin, kPhone, lease["id"], 15000, "erase-1")["status"], "SUCCESS");
    SimRule(1032, {{"resultCode", "1032"}, {"resultDesc", "Request cancelled by user"}});
    ASSERT_EQ(Pay(admin, kPhone, lease["id"], 1032, "erase-2")["status"], "FAILED");
    // Another tenant on another number: untouched.
    auto other_lease = Api("POST", "/api/v1/leases",
                           {{"tenantName", "Otieno Ouma"},
                            {"phoneNumber", "0711000222"},
                            {"unit", "C1"},
                            {"monthlyRent", 9000},
                            {"accountReference", "C1"}},
                           admin);
    ASSERT_EQ(other_lease.status, 201);
    ASSERT_EQ(Pay(admin, "0711000222", other_lease.body["data"]["id"], 9000, "other-1")["status"], "SUCCESS");
    {
        Db db(DbFile());
        ASSERT_FALSE(db.Find(kLast9).empty());
        ASSERT_FALSE(db.Find(kTenant).empty());
    }
    const json before = Totals(admin);

    // The confirmation must repeat the number.
    auto unconfirmed = Api("POST", "/api/v1/privacy/erase",
                           {{"phone", kPhone}, {"reason", "tenant asked"}, {"confirm", "0711000222"}}, admin);
    EXPECT_EQ(unconfirmed.status, 400) << unconfirmed.body.dump();
    EXPECT_EQ(Api("POST", "/api/v1/privacy/erase", {{"phone", kPhone}, {"reason", "tenant asked"}, {"confirm", kPhone}},
                  Login("manager@a.test"))
                  .status,
              403);

    auto erased =
        Api("POST", "/api/v1/privacy/erase",
            {{"phone", kPhone}, {"reason", "tenant asked on 2026-11-30"}, {"confirm", "+254 708 374 149"}}, admin);
    ASSERT_EQ(erased.status, 200) << erased.body.dump();
    const std::string placeholder = erased.body["data"]["placeholder"];
    EXPECT_EQ(placeholder.rfind("ERASED-", 0), 0U);
    EXPECT_EQ(erased.body["data"]["counts"]["leases"], 1);
    EXPECT_EQ(erased.body["data"]["counts"]["transactions"], 2);
    EXPECT_EQ(erased.body["data"]["counts"]["payments"], 1);
    EXPECT_GE(erased.body["data"]["counts"]["inboundBodies"].get<int64_t>(), 2);
    EXPECT_EQ(erased.body["data"]["counts"]["idempotencyAnswers"], 2);

    {
        Db db(DbFile());
        EXPECT_EQ(db.Find(kLast9), std::vector<std::string>{}) << "the number (or its last 9 digits) is still held";
        EXPECT_EQ(db.Find(kTenant), std::vector<std::string>{}) << "the tenant's name is still held";
        EXPECT_FALSE(db.Find("Otieno Ouma").empty());
        EXPECT_FALSE(db.Find("711000222").empty());
        auto audit = db.Rows("SELECT target, outcome FROM audit_log WHERE action = 'privacy.erase' ORDER BY id");
        ASSERT_EQ(audit.size(), 3U);
        EXPECT_EQ(audit[2][1], "success");
        EXPECT_NE(audit[2][0].find("phone:2547****4149"), std::string::npos) << audit[2][0];
        EXPECT_NE(audit[2][0].find("transactions=2"), std::string::npos) << audit[2][0];
    }
    EXPECT_EQ(Totals(admin), before);
    auto export_after = Api("GET", "/api/v1/privacy/export?phone=0708374149", nullptr, admin);
    EXPECT_TRUE(export_after.body["data"]["leases"].empty());
    EXPECT_TRUE(export_after.body["data"]["transactions"].empty());
    auto leased = Api("GET", "/api/v1/leases/" + lease["id"].dump(), nullptr, admin);
    EXPECT_EQ(leased.body["data"]["tenantName"], "Erased tenant");
    EXPECT_EQ(leased.body["data"]["phoneNumber"], placeholder);

    // Later payments from other numbers (and from the erased number, now a new record) still match their callbacks.
    ASSERT_EQ(Pay(admin, "0711000222", other_lease.body["data"]["id"], 500, "other-2")["status"], "SUCCESS");
    ASSERT_EQ(Pay(admin, kPhone, lease["id"], 700, "erase-3")["status"], "SUCCESS");
}

TEST_F(PrivacyTest, APendingTransactionBlocksErasureUntilItSettles) {
    const std::string admin = Login("admin@a.test");
    json lease = CreateLease(admin);
    SimRule(4321, {{"callbacks", 0}});
    auto push = Api("POST", "/api/v1/mpesa/stk-push", StkBody(4321, lease["id"].get<int64_t>()), admin,
                    {{"Idempotency-Key", "pending-1"}});
    ASSERT_EQ(push.status, 200) << push.body.dump();
    const std::string checkout = push.body["data"]["checkoutRequestId"];

    auto refused =
        Api("POST", "/api/v1/privacy/erase", {{"phone", kPhone}, {"reason", "asked"}, {"confirm", kPhone}}, admin);
    EXPECT_EQ(refused.status, 409) << refused.body.dump();
    {
        Db db(DbFile());
        EXPECT_FALSE(db.Find(kTenant).empty()) << "a refused erasure changes nothing";
    }
    // The late callback still finds its row by its CheckoutRequestID.
    json callback = {{"Body",
                      {{"stkCallback",
                        {{"MerchantRequestID", push.body["data"].value("merchantRequestId", "")},
                         {"CheckoutRequestID", checkout},
                         {"ResultCode", 0},
                         {"ResultDesc", "The service request is processed successfully."},
                         {"CallbackMetadata",
                          {{"Item", json::array({{{"Name", "Amount"}, {"Value", 4321}},
                                                 {{"Name", "MpesaReceiptNumber"}, {"Value", "UKS1LATE01"}},
                                                 {{"Name", "TransactionDate"}, {"Value", 20261201093000}},
                                                 {{"Name", "PhoneNumber"}, {"Value", 254708374149}}})}}}}}}}};
    auto delivered = Api("POST", "/api/v1/mpesa/callback?secret=" + gateway_->config().callback_secret, callback);
    ASSERT_EQ(delivered.status, 200) << delivered.body.dump();
    ASSERT_EQ(WaitFinal(admin, checkout)["status"], "SUCCESS");
    EXPECT_EQ(Api("POST", "/api/v1/privacy/erase", {{"phone", kPhone}, {"reason", "asked"}, {"confirm", kPhone}}, admin)
                  .status,
              200);
}

class PrivacyRetentionTest : public PrivacyTest {
  protected:
    void SetUp() override {
        StartGateway([](app::Config& c) { c.reconciler.raw_body_retention = std::chrono::hours(24); });
    }
};

TEST_F(PrivacyRetentionTest, TheSweepRemovesRawBodiesOlderThanTheSetting) {
    const std::string admin = Login("admin@a.test");
    json lease = CreateLease(admin);
    ASSERT_EQ(Pay(admin, kPhone, lease["id"], 100, "old-1")["status"], "SUCCESS");
    ASSERT_EQ(Pay(admin, kPhone, lease["id"], 200, "new-1")["status"], "SUCCESS");
    Db db(DbFile());
    auto rows = db.Rows("SELECT id FROM inbound_messages ORDER BY id");
    ASSERT_GE(rows.size(), 2U);
    const std::string old_id = rows.front()[0];
    // Two days old, by its stored time: the sweep is driven by timestamps, not by waiting.
    db.Exec("UPDATE inbound_messages SET received_at = '2020-01-01T00:00:00Z' WHERE id = " + old_id);

    gateway_->ReconcileNow();
    EXPECT_TRUE(Eventually([&] {
        auto r = db.Rows("SELECT body, body_removed_at FROM inbound_messages WHERE id = " + old_id);
        return !r.empty() && r[0][0].empty() && !r[0][1].empty();
    }));
    auto newer = db.Rows("SELECT body FROM inbound_messages WHERE id <> " + old_id);
    for (const auto& r : newer) EXPECT_FALSE(r[0].empty()) << "a body younger than the retention is kept";
    // The money record is untouched.
    auto totals = Totals(admin);
    EXPECT_EQ(totals["payments"], 300);
}

class PrivacyKeepTest : public PrivacyTest {
  protected:
    void SetUp() override {
        StartGateway([](app::Config& c) { c.reconciler.raw_body_retention = std::chrono::hours(0); });
    }
};

TEST_F(PrivacyKeepTest, RetentionZeroKeepsRawBodies) {
    const std::string admin = Login("admin@a.test");
    json lease = CreateLease(admin);
    ASSERT_EQ(Pay(admin, kPhone, lease["id"], 100, "keep-1")["status"], "SUCCESS");
    Db db(DbFile());
    db.Exec("UPDATE inbound_messages SET received_at = '2000-01-01T00:00:00Z'");
    gateway_->ReconcileNow();
    auto rows = db.Rows("SELECT body FROM inbound_messages");
    ASSERT_FALSE(rows.empty());
    for (const auto& r : rows) EXPECT_FALSE(r[0].empty());
}

}  // namespace
}  // namespace haven::testing
