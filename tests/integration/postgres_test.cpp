// The same gateway on PostgreSQL: the money paths that depend on the database's guarantees.
// Runs when HAVEN_TEST_POSTGRES_URL is set (make test always starts a server and sets it).
#include <libpq-fe.h>

#include <cstdlib>
#include <random>

#include "gateway_fixture.hpp"

namespace haven::testing {
namespace {

std::string PgExec(const std::string& url, const std::string& sql) {
    PGconn* conn = PQconnectdb(url.c_str());
    PQsetNoticeProcessor(
        conn, [](void*, const char*) {}, nullptr);
    std::string err;
    if (PQstatus(conn) != CONNECTION_OK) {
        err = PQerrorMessage(conn);
    } else {
        PGresult* res = PQexec(conn, sql.c_str());
        if (PQresultStatus(res) != PGRES_COMMAND_OK) err = PQresultErrorMessage(res);
        PQclear(res);
    }
    PQfinish(conn);
    return err;
}

class OnPostgres : public GatewayTest {
  protected:
    void SetUp() override {
        const char* url = std::getenv("HAVEN_TEST_POSTGRES_URL");
        if (url == nullptr || *url == '\0') GTEST_SKIP() << "HAVEN_TEST_POSTGRES_URL is not set";
        admin_url_ = url;
        schema_ = "haven_it_" + std::to_string(std::random_device{}());
        ASSERT_EQ(PgExec(admin_url_, "CREATE SCHEMA " + schema_), "");
        const std::string db =
            admin_url_ + (admin_url_.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" + schema_;
        StartGateway([&](app::Config& c) { c.database_url = db; });
    }
    void TearDown() override {
        GatewayTest::TearDown();
        if (!schema_.empty()) PgExec(admin_url_, "DROP SCHEMA " + schema_ + " CASCADE");
    }
    std::string admin_url_;
    std::string schema_;
};

TEST_F(OnPostgres, PushCallbackPaymentAndDuplicatesOnce) {
    auto token = Login("admin@a.test");
    auto lease = CreateLease(token);
    SimRule(900, {{"resultCode", "0"}, {"callbacks", 3}});
    net::Headers key{{"Idempotency-Key", "pg-1"}};
    auto push = Api("POST", "/api/v1/mpesa/stk-push", StkBody(900, lease["id"].get<int64_t>()), token, key);
    ASSERT_EQ(push.status, 200) << push.body.dump();
    auto replay = Api("POST", "/api/v1/mpesa/stk-push", StkBody(900, lease["id"].get<int64_t>()), token, key);
    EXPECT_EQ(replay.body, push.body);
    EXPECT_EQ(WaitFinal(token, push.body["data"]["checkoutRequestId"])["status"], "SUCCESS");
    ASSERT_TRUE(Eventually([&] {
        auto detail =
            Api("GET", "/api/v1/mpesa/transactions/" + push.body["data"]["transactionId"].dump(), nullptr, token);
        int callbacks = 0;
        for (const auto& e : detail.body["data"]["timeline"]) callbacks += e["kind"] == "callback";
        return callbacks == 3;
    }));
    auto payments = Api("GET", "/api/v1/leases/" + lease["id"].dump() + "/payments", nullptr, token);
    EXPECT_EQ(payments.body["data"].size(), 1u);
    EXPECT_EQ(SimRequestCount("/mpesa/stkpush/v1/processrequest"), 1);
    EXPECT_EQ(Api("GET", "/api/v1/mpesa/transactions/" + push.body["data"]["transactionId"].dump(), nullptr,
                  Login("admin@b.test"))
                  .status,
              404);
}

TEST_F(OnPostgres, FailedPushCreatesNoPayment) {
    auto token = Login("admin@a.test");
    auto lease = CreateLease(token);
    SimRule(901, {{"resultCode", "1032"}});
    auto push = Api("POST", "/api/v1/mpesa/stk-push", StkBody(901, lease["id"].get<int64_t>()), token);
    ASSERT_EQ(push.status, 200) << push.body.dump();
    auto final_state = WaitFinal(token, push.body["data"]["checkoutRequestId"]);
    EXPECT_EQ(final_state["outcome"], "CANCELLED");
    EXPECT_EQ(Api("GET", "/api/v1/leases/" + lease["id"].dump() + "/payments", nullptr, token).body["data"].size(), 0u);
}

}  // namespace
}  // namespace haven::testing
