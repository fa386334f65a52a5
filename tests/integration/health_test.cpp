// The load balancer's probes over loopback against a real gateway: GET /healthz (alive) and GET /readyz (the database
// answers, takes writes, is migrated), on SQLite and, when HAVEN_TEST_POSTGRES_URL is set, on PostgreSQL.
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "fresh_store.hpp"
#include "gateway_fixture.hpp"

namespace haven::testing {
namespace {

using storage::test::Backends;
using storage::test::PgExec;
using storage::test::PostgresUrl;
using storage::test::UniqueSuffix;
using storage::test::WithSearchPath;

class Health : public GatewayTest, public ::testing::WithParamInterface<std::string> {
  protected:
    void SetUp() override {
        // Every log line the gateway writes while the test runs, to show which ones the probes leave.
        log_ = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(4096);
        spdlog::default_logger()->sinks().push_back(log_);
        std::string url;
        if (GetParam() == "postgres") {
            schema_ = "haven_health_" + UniqueSuffix();
            ASSERT_EQ(PgExec(PostgresUrl(), "CREATE SCHEMA " + schema_), "");
            url = WithSearchPath(PostgresUrl(), schema_);
        }
        StartGateway([&](app::Config& c) {
            if (!url.empty()) c.database_url = url;
            // A rate limit a few requests exhaust: the probes must never meet it.
            c.rate_limit_per_second = 0.1;
            c.rate_limit_burst = 3;
        });
    }
    void TearDown() override {
        GatewayTest::TearDown();
        auto& sinks = spdlog::default_logger()->sinks();
        sinks.erase(std::remove(sinks.begin(), sinks.end(), log_), sinks.end());
        if (!schema_.empty()) EXPECT_EQ(PgExec(PostgresUrl(), "DROP SCHEMA " + schema_ + " CASCADE"), "");
    }

    /// Runs `sql` on the gateway's own database, from outside the gateway.
    void OnDatabase(const std::string& sql) {
        if (GetParam() == "postgres") {
            ASSERT_EQ(PgExec(WithSearchPath(PostgresUrl(), schema_), sql), "");
            return;
        }
        sqlite3* db = nullptr;
        ASSERT_EQ(sqlite3_open((dir_ / "haven.db").string().c_str(), &db), SQLITE_OK);
        sqlite3_busy_timeout(db, 5000);
        char* err = nullptr;
        const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
        const std::string message = err ? err : "";
        sqlite3_free(err);
        sqlite3_close(db);
        ASSERT_EQ(rc, SQLITE_OK) << message;
    }

    std::vector<std::string> LogLinesWith(const std::string& part) {
        std::vector<std::string> out;
        for (const auto& line : log_->last_formatted()) {
            if (line.find(part) != std::string::npos) out.push_back(line);
        }
        return out;
    }

    std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> log_;
    std::string schema_;
};

TEST_P(Health, HealthzSaysAliveWithoutALogin) {
    auto r = Api("GET", "/healthz");
    ASSERT_EQ(r.status, 200) << r.body.dump();
    EXPECT_EQ(r.body, (json{{"success", true}, {"data", {{"status", "alive"}}}}));
}

TEST_P(Health, ReadyzNamesTheDatabaseItChecked) {
    auto r = Api("GET", "/readyz");
    ASSERT_EQ(r.status, 200) << r.body.dump();
    EXPECT_EQ(r.body, (json{{"success", true}, {"data", {{"status", "ready"}, {"database", GetParam()}}}}));
}

TEST_P(Health, ReadyzIsUnavailableWhileAMigrationIsMissing) {
    // The newest migration looks unapplied (as while another node still migrates): this node must not get traffic.
    OnDatabase(
        "UPDATE schema_migrations SET version = -version WHERE version = (SELECT MAX(version) FROM "
        "schema_migrations)");
    auto r = Api("GET", "/readyz");
    EXPECT_EQ(r.status, 503) << r.body.dump();
    EXPECT_EQ(r.body["success"], false);
    EXPECT_EQ(r.body["error"]["code"], "UNAVAILABLE");
    EXPECT_NE(r.body["error"]["message"].get<std::string>().find("migration"), std::string::npos) << r.body.dump();
    EXPECT_EQ(r.headers.count("Retry-After") ? r.headers.at("Retry-After") : "", "2");
    EXPECT_EQ(Api("GET", "/healthz").status, 200) << "alive all the same";

    OnDatabase("UPDATE schema_migrations SET version = -version WHERE version < 0");
    EXPECT_EQ(Api("GET", "/readyz").status, 200);
}

TEST_P(Health, ProbesNeverMeetTheRateLimit) {
    for (int i = 0; i < 20; ++i) {
        ASSERT_EQ(Api("GET", "/readyz").status, 200) << "probe " << i;
        ASSERT_EQ(Api("GET", "/healthz").status, 200) << "probe " << i;
    }
    // The same client is limited everywhere else.
    int limited = 0;
    for (int i = 0; i < 6; ++i) limited += Api("GET", "/api/v1/config").status == 429;
    EXPECT_GT(limited, 0);
}

TEST_P(Health, ProbesLeaveNoAccessLogLineAtInfo) {
    spdlog::level::level_enum before = spdlog::get_level();
    spdlog::set_level(spdlog::level::info);
    for (int i = 0; i < 3; ++i) {
        ASSERT_EQ(Api("GET", "/readyz").status, 200);
        ASSERT_EQ(Api("GET", "/healthz").status, 200);
    }
    ASSERT_EQ(Api("GET", "/api/v1/config").status, 200);
    // The access line of the last request is written after its answer: wait for it.
    EXPECT_TRUE(Eventually([&] { return !LogLinesWith("GET /api/v1/config").empty(); }));
    spdlog::set_level(before);
    EXPECT_EQ(LogLinesWith("/readyz"), std::vector<std::string>{});
    EXPECT_EQ(LogLinesWith("/healthz"), std::vector<std::string>{});
}

INSTANTIATE_TEST_SUITE_P(Backends, Health, ::testing::ValuesIn(Backends()),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

}  // namespace
}  // namespace haven::testing
