// Alerts when money stops flowing, over loopback: a real gateway whose simulator stops calling back raises
// callbacks_missing (a needs-review item, one system.alert outbox event, shown by GET /api/v1/alerts), and the
// alert clears itself once callbacks flow again. Reads the gateway's SQLite file directly to count the events.
#include <sqlite3.h>

#include <string>
#include <vector>

#include "core/time.hpp"
#include "gateway_fixture.hpp"

namespace haven::testing {
namespace {

/// Reads the gateway's SQLite file (a second connection; WAL lets it read while the gateway runs).
std::vector<std::vector<std::string>> Rows(const std::filesystem::path& file, const std::string& sql) {
    std::vector<std::vector<std::string>> out;
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    while (st && sqlite3_step(st) == SQLITE_ROW) {
        std::vector<std::string> row;
        for (int i = 0; i < sqlite3_column_count(st); ++i) {
            const auto* text = sqlite3_column_text(st, i);
            row.emplace_back(text ? reinterpret_cast<const char*>(text) : "");
        }
        out.push_back(std::move(row));
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return out;
}

class Alerts : public GatewayTest {
  protected:
    void SetUp() override {
        StartGateway([](app::Config& c) {
            c.alerts.interval = std::chrono::milliseconds(200);
            c.alerts.callback_after = std::chrono::seconds(2);
            c.alerts.min_pushes = 3;
        });
    }

    json OpenAlerts(const std::string& token) {
        auto r = Api("GET", "/api/v1/alerts", nullptr, token);
        EXPECT_EQ(r.status, 200) << r.body.dump();
        return r.body["data"];
    }

    /// A push from its own phone (the simulator refuses a second prompt to a phone that has one open).
    Reply Push(const std::string& token, int64_t amount, int phone) {
        json body = StkBody(amount);
        body["phoneNumber"] = "07083741" + std::to_string(10 + phone);
        return Api("POST", "/api/v1/mpesa/stk-push", body, token);
    }

    std::vector<std::vector<std::string>> AlertEvents() {
        return Rows(dir_ / "haven.db",
                    "SELECT subject_kind, subject_id, data FROM outbox_events WHERE type = 'system.alert' ORDER BY id");
    }
};

TEST_F(Alerts, CallbacksThatStopRaiseOneAlertThatClearsWhenTheyFlowAgain) {
    const auto manager = Login("manager@a.test");
    const auto viewer = Login("viewer@a.test");
    SimRule(731, {{"callbacks", 0}});  // M-Pesa accepts these pushes but never reaches our callback URL
    for (int i = 0; i < 3; ++i) {
        auto push = Push(manager, 731, i);
        ASSERT_EQ(push.status, 200) << push.body.dump();
    }

    json alerts;
    ASSERT_TRUE(Eventually([&] { return (alerts = OpenAlerts(viewer)).size() == 1; }, std::chrono::seconds(20)))
        << alerts.dump();
    EXPECT_EQ(alerts[0]["code"], "callbacks_missing");
    EXPECT_NE(alerts[0]["message"].get<std::string>().find("3 payment prompts"), std::string::npos) << alerts.dump();
    const int64_t alert_id = alerts[0]["id"].get<int64_t>();

    // It is a needs-review item of the agency, about no transaction.
    auto review = Api("GET", "/api/v1/review", nullptr, viewer);
    ASSERT_EQ(review.status, 200);
    bool listed = false;
    for (const auto& item : review.body["data"]["items"]) {
        if (item["id"] != alert_id) continue;
        listed = true;
        EXPECT_EQ(item["reasonCode"], "alert_callbacks_missing");
        EXPECT_EQ(item["status"], "open");
        EXPECT_TRUE(item["transactionId"].is_null());
    }
    EXPECT_TRUE(listed) << review.body.dump();

    // Exactly one system.alert event, about this alert, however many passes see the same condition.
    EXPECT_EQ(gateway_->AlertsNow(), 0);
    EXPECT_EQ(gateway_->AlertsNow(), 0);
    auto events = AlertEvents();
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0][0], "alert");
    EXPECT_EQ(events[0][1], std::to_string(alert_id));
    auto data = json::parse(events[0][2]);
    EXPECT_EQ(data["code"], "callbacks_missing");
    EXPECT_EQ(data["message"], alerts[0]["message"]);

    // Another agency sees nothing of it.
    EXPECT_TRUE(OpenAlerts(Login("admin@b.test")).empty());

    // A callback arrives again (no rule for this amount): the alert resolves itself.
    auto push = Push(manager, 100, 9);
    ASSERT_EQ(push.status, 200) << push.body.dump();
    EXPECT_EQ(WaitFinal(manager, push.body["data"]["checkoutRequestId"].get<std::string>())["status"], "SUCCESS");
    ASSERT_TRUE(Eventually([&] { return OpenAlerts(viewer).empty(); }, std::chrono::seconds(10)));
    auto resolved = Api("GET", "/api/v1/review?status=resolved", nullptr, viewer);
    ASSERT_EQ(resolved.status, 200);
    bool cleared = false;
    for (const auto& item : resolved.body["data"]["items"]) {
        if (item["id"] != alert_id) continue;
        cleared = true;
        EXPECT_EQ(item["resolution"], "cleared");
        EXPECT_EQ(item["resolvedBy"], "system");
    }
    EXPECT_TRUE(cleared) << resolved.body.dump();
    EXPECT_EQ(AlertEvents().size(), 1u) << "clearing writes no event";
}

TEST_F(Alerts, FewerPushesThanTheMinimumAreNoAlert) {
    const auto manager = Login("manager@a.test");
    SimRule(732, {{"callbacks", 0}});
    for (int i = 0; i < 2; ++i) {
        auto push = Push(manager, 732, i);
        ASSERT_EQ(push.status, 200) << push.body.dump();
    }
    // Both pushes are past the window once the store reports them; the pass still raises nothing.
    ASSERT_TRUE(Eventually(
        [&] {
            auto evidence = gateway_->store().PushesWithoutCallback(
                core::IsoUtc(std::chrono::system_clock::now() - std::chrono::hours(1)),
                core::IsoUtc(std::chrono::system_clock::now() - std::chrono::seconds(2)));
            return evidence && evidence->size() == 1 && evidence->front().count == 2;
        },
        std::chrono::seconds(10)));
    EXPECT_EQ(gateway_->AlertsNow(), 0);
    EXPECT_TRUE(OpenAlerts(manager).empty());
    EXPECT_TRUE(AlertEvents().empty());
}

}  // namespace
}  // namespace haven::testing
