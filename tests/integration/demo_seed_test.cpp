// The demo's history (app/demo_seed): seeded into a real gateway (SQLite) and its built-in simulator, read back over
// loopback through the API: idempotent across restarts, a rent roll with every status, a statement that reconciles
// to exactly the two discrepancies the demo shows on purpose, and nothing left for the outbox to send.
#include "app/demo_seed.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <map>
#include <set>

#include "core/rent_roll.hpp"
#include "core/time.hpp"
#include "gateway_fixture.hpp"
#include "service/lease_changes.hpp"
#include "service/rent_roll.hpp"

namespace haven::testing {
namespace {

constexpr const char* kDemoAgency = "Demo Properties";

class DemoSeed : public GatewayTest {
  protected:
    void SetUp() override {
        GatewayTest::SetUp();
        AddUser("admin@demo.test", core::Role::kAdmin, kDemoAgency);
    }

    app::DemoSeedResult Seed() {
        auto r = app::SeedDemoHistory(gateway_->store(), gateway_->simulator(), kDemoAgency,
                                      gateway_->config().shortcode, std::chrono::system_clock::now());
        EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message);
        return r.value_or(app::DemoSeedResult{});
    }

    /// Stops the gateway and starts a new one on the same database (a second `make run`).
    void Restart() {
        const std::string url = gateway_->config().database_url;
        gateway_->Stop();
        auto config = app::LoadConfig([](const std::string&) -> std::optional<std::string> { return std::nullopt; });
        ASSERT_TRUE(config.has_value());
        config->database_url = url;
        config->port = 0;
        config->host = "127.0.0.1";
        config->reconciler.interval = std::chrono::seconds(3600);
        config->rate_limit_per_second = 0;
        config->web_root = "";
        gateway_ = std::make_unique<app::Gateway>(*config);
        auto started = gateway_->Start();
        ASSERT_TRUE(started.has_value()) << started.error().message;
    }

    /// Row counts of every table the history writes, read from the database file itself.
    std::map<std::string, int64_t> Counts() {
        std::map<std::string, int64_t> out;
        sqlite3* db = nullptr;
        EXPECT_EQ(sqlite3_open_v2((dir_ / "haven.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
        for (const char* table : {"leases", "transaction_ids", "stk_transactions", "payments", "c2b_payments",
                                  "transfers", "review_items", "demo_seeds", "outbox_events"}) {
            sqlite3_stmt* st = nullptr;
            const std::string sql = std::string("SELECT COUNT(*) FROM ") + table;
            EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr), SQLITE_OK) << table;
            if (st && sqlite3_step(st) == SQLITE_ROW) out[table] = sqlite3_column_int64(st, 0);
            sqlite3_finalize(st);
        }
        sqlite3_close(db);
        return out;
    }

    json Ledger() { return Sim("GET", "/sim/v1/ledger").body; }

    std::string Statement(const std::string& from, const std::string& to) {
        net::ClientRequest req;
        req.method = "GET";
        req.url = gateway_->SimulatorUrl() + "/sim/v1/statement.csv?from=" + from + "&to=" + to;
        auto res = client_->Send(req);
        EXPECT_TRUE(res && res->status == 200);
        return res ? res->body : "";
    }
};

TEST_F(DemoSeed, ASecondStartWritesNothingAndGivesTheSimulatorTheSameLedger) {
    const auto first = Seed();
    ASSERT_TRUE(first.seeded);
    EXPECT_EQ(first.leases, 20);
    EXPECT_GT(first.transactions, 100);
    const auto counts = Counts();
    EXPECT_EQ(counts.at("leases"), 20);
    EXPECT_EQ(counts.at("demo_seeds"), 1);
    EXPECT_EQ(counts.at("transaction_ids"), first.transactions);
    const json ledger = Ledger();
    ASSERT_EQ(ledger["entries"].size(), first.ledger_entries);

    Restart();
    const auto second = Seed();
    EXPECT_FALSE(second.seeded);
    EXPECT_EQ(second.transactions, first.transactions);
    EXPECT_EQ(second.history_until, first.history_until);
    EXPECT_EQ(Counts(), counts);
    // A fresh simulator got the very same entries (receipts, times, amounts) again.
    EXPECT_EQ(Ledger()["entries"], ledger["entries"]);
}

TEST_F(DemoSeed, EveryEntryIsInThePastAndReceiptsAgreeWithTheGateway) {
    const auto seeded = Seed();
    const std::string now = core::IsoUtc(std::chrono::system_clock::now());
    const std::string token = Login("admin@demo.test");
    std::set<std::string> ours;
    std::string cursor;
    int statuses_failed = 0;
    for (int page = 0; page < 50; ++page) {
        std::string path = "/api/v1/mpesa/transactions?limit=200";
        if (!cursor.empty()) path += "&cursor=" + cursor;
        auto r = Api("GET", path, nullptr, token);
        ASSERT_EQ(r.status, 200) << r.body.dump();
        for (const json& tx : r.body["data"]["items"]) {
            EXPECT_LT(tx.value("createdAt", ""), now) << tx.dump();
            if (tx.value("status", "") == "FAILED") ++statuses_failed;
            if (tx.contains("mpesaReceiptNumber") && tx["mpesaReceiptNumber"].is_string()) {
                ours.insert(tx["mpesaReceiptNumber"].get<std::string>());
            }
        }
        if (!r.body["data"]["nextCursor"].is_string()) break;
        cursor = r.body["data"]["nextCursor"].get<std::string>();
    }
    EXPECT_GT(statuses_failed, 10);  // the usual share of cancelled, timed-out and no-funds prompts
    for (const json& e : Ledger()["entries"]) {
        EXPECT_LT(e["time"].get<int64_t>(), std::stoll(core::DarajaTimestamp(std::chrono::system_clock::now())));
    }
    EXPECT_GT(ours.size(), 100u);
    (void)seeded;
}

TEST_F(DemoSeed, TheRentRollsOfThisMonthAndLastHavePaidPartialUnpaidAndLateLeases) {
    Seed();
    const std::string token = Login("admin@demo.test");
    const std::string today = service::NairobiToday();
    const auto month = core::MonthOfDay(today);
    ASSERT_TRUE(month);
    std::map<std::string, std::set<std::string>> statuses;  // month -> statuses seen
    std::map<std::string, int> late;
    for (const std::string& m : {core::ToString(*month), core::ToString(core::PreviousMonth(*month))}) {
        auto r = Api("GET", "/api/v1/rent-roll?month=" + m, nullptr, token);
        ASSERT_EQ(r.status, 200) << r.body.dump();
        EXPECT_EQ(r.body["data"]["items"].size(), 20u) << m;
        for (const json& row : r.body["data"]["items"]) {
            statuses[m].insert(row["status"].get<std::string>());
            if (row["late"].get<bool>()) ++late[m];
        }
    }
    const std::string current = core::ToString(*month);
    const std::string previous = core::ToString(core::PreviousMonth(*month));
    for (const char* s : {"paid", "partial", "unpaid"}) {
        EXPECT_TRUE(statuses[current].count(s)) << current << " has no " << s << " lease";
        EXPECT_TRUE(statuses[previous].count(s)) << previous << " has no " << s << " lease";
    }
    EXPECT_GT(late[previous], 0);
    // Rent due on the 1st and unpaid is late from the 2nd on.
    if (today.substr(8) != "01") {
        EXPECT_GT(late[current], 0);
    }
}

TEST_F(DemoSeed, TheSimulatorsStatementReconcilesToExactlyTheTwoIntendedFindings) {
    const auto seeded = Seed();
    const std::string token = Login("admin@demo.test");
    const std::string csv = Statement(seeded.history_from, seeded.history_until);
    auto up = Call("POST", gateway_->BaseUrl() + "/api/v1/reconciliations", csv,
                   {{"Content-Type", "text/csv"}, {"Authorization", "Bearer " + token}});
    ASSERT_EQ(up.status, 201) << up.body.dump();
    const json imported = up.body["data"]["reconciliation"];
    auto report =
        Api("GET", "/api/v1/reconciliations/" + std::to_string(imported["id"].get<int64_t>()), nullptr, token);
    ASSERT_EQ(report.status, 200);
    const json& findings = report.body["data"]["findings"];
    ASSERT_EQ(findings.size(), 2u) << findings.dump(2);
    std::map<std::string, json> by_kind;
    for (const json& f : findings) by_kind[f["kind"].get<std::string>()] = f;
    // The paybill payment whose confirmation never came: on the statement only, for unit C3.
    ASSERT_TRUE(by_kind.count("missing_in_ours")) << findings.dump(2);
    EXPECT_EQ(by_kind["missing_in_ours"]["statement"]["kind"], "payment_in");
    EXPECT_EQ(by_kind["missing_in_ours"]["statement"]["accountNo"], "C3");
    // The push left under review: the statement settles it.
    ASSERT_TRUE(by_kind.count("settled_review")) << findings.dump(2);
    const int64_t settled = by_kind["settled_review"]["transactionId"].get<int64_t>();
    auto tx = Api("GET", "/api/v1/mpesa/transactions/" + std::to_string(settled), nullptr, token);
    EXPECT_EQ(tx.body["data"]["status"], "SUCCESS") << tx.body.dump();
    EXPECT_EQ(tx.body["data"]["mpesaReceiptNumber"], by_kind["settled_review"]["receipt"]);
}

TEST_F(DemoSeed, TheSeededHistoryLeavesNoOutboxEventToSend) {
    auto& store = gateway_->store();
    auto before = store.LatestOutboxEventId();
    ASSERT_TRUE(before);
    Seed();
    auto latest = store.LatestOutboxEventId();
    ASSERT_TRUE(latest);
    // Every event the seeded changes emitted is already done: none is left pending for the fan-out.
    auto pending = store.SkipOutboxEvents(0, *latest);
    ASSERT_TRUE(pending);
    EXPECT_EQ(*pending, 0);
}

}  // namespace
}  // namespace haven::testing
