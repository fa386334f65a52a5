// The gateway while its PostgreSQL goes away and comes back, on a server of the test's own (scripts/pg-test-server.sh,
// halted and resumed here) or the shared one (HAVEN_TEST_POSTGRES_URL): a multi-host URL finds the writable server,
// connections the server dropped are replaced, an unreachable database answers 503 UNAVAILABLE with Retry-After (never
// 500) and /readyz says so, the gateway recovers by itself, and a write whose COMMIT fails is never acknowledged.
// Runs when HAVEN_TEST_POSTGRES_URL is set (make test always starts a server and sets it).
#include <cstdio>
#include <filesystem>
#include <string>

#include "fresh_store.hpp"
#include "gateway_fixture.hpp"

namespace haven::testing {
namespace {

using storage::test::PgExec;
using storage::test::PostgresUrl;
using storage::test::UniqueSuffix;
using storage::test::WithSearchPath;

/// Runs a command; returns its standard output (trimmed) and sets `ok`.
std::string Shell(const std::string& command, bool& ok) {
    std::string out;
    FILE* pipe = ::popen(command.c_str(), "r");
    if (pipe == nullptr) {
        ok = false;
        return out;
    }
    char buf[512];
    while (std::fgets(buf, sizeof buf, pipe) != nullptr) out += buf;
    ok = ::pclose(pipe) == 0;
    while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
    return out;
}

/// "postgres://postgres@127.0.0.1:PORT/db" -> PORT
std::string PortOf(const std::string& url) {
    const auto colon = url.rfind(':');
    return url.substr(colon + 1, url.find('/', colon) - colon - 1);
}

class Failover : public GatewayTest {
  protected:
    void SetUp() override {
        if (PostgresUrl().empty()) GTEST_SKIP() << "HAVEN_TEST_POSTGRES_URL is not set";
        app_name_ = "haven_failover_" + UniqueSuffix();
    }
    void TearDown() override {
        GatewayTest::TearDown();
        if (!own_url_.empty()) {
            bool ok = false;
            Shell(ScriptEnv() + " stop " + own_url_ + " 2>&1", ok);
            std::error_code ec;
            std::filesystem::remove_all(own_root_, ec);
        }
        if (!schema_.empty()) PgExec(PostgresUrl(), "DROP SCHEMA " + schema_ + " CASCADE");
    }

    static std::string Script() { return std::string(HAVEN_SOURCE_DIR) + "/scripts/pg-test-server.sh"; }
    std::string ScriptEnv() const { return "HAVEN_PG_ROOT=" + own_root_.string() + " " + Script(); }

    /// A PostgreSQL server of this test's own, so it can be halted; returns its URL.
    std::string StartOwnServer() {
        std::string pattern = (std::filesystem::temp_directory_path() / "haven-failover-XXXXXX").string();
        EXPECT_NE(::mkdtemp(pattern.data()), nullptr);
        own_root_ = pattern;
        std::filesystem::permissions(own_root_, std::filesystem::perms::all, std::filesystem::perm_options::add);
        bool ok = false;
        own_url_ = Shell(ScriptEnv() + " start", ok);
        EXPECT_TRUE(ok) << own_url_;
        return own_url_;
    }
    void Halt() {
        bool ok = false;
        auto out = Shell(ScriptEnv() + " halt " + own_url_ + " immediate 2>&1", ok);
        ASSERT_TRUE(ok) << out;
    }
    void Resume() {
        bool ok = false;
        auto out = Shell(ScriptEnv() + " resume " + own_url_ + " 2>&1", ok);
        ASSERT_TRUE(ok) << out;
    }

    /// A schema of its own on the shared server.
    std::string SharedSchemaUrl() {
        schema_ = "haven_fo_" + UniqueSuffix();
        EXPECT_EQ(PgExec(PostgresUrl(), "CREATE SCHEMA " + schema_), "");
        return WithSearchPath(PostgresUrl(), schema_);
    }

    std::string Named(const std::string& url) const {
        return url + (url.find('?') == std::string::npos ? "?" : "&") + "application_name=" + app_name_;
    }

    void StartOn(const std::string& url, const std::function<void(app::Config&)>& tweak = {}) {
        StartGateway([&](app::Config& c) {
            c.database_url = Named(url);
            if (tweak) tweak(c);
        });
    }

    static std::string RetryAfter(const Reply& r) {
        auto it = r.headers.find("Retry-After");
        return it == r.headers.end() ? "" : it->second;
    }

    /// A push that the simulator settles, and its final state.
    std::string PushSettles(const std::string& token, int64_t lease_id, int64_t amount) {
        auto push = Api("POST", "/api/v1/mpesa/stk-push", StkBody(amount, lease_id), token,
                        {{"Idempotency-Key", "fo-" + std::to_string(amount) + "-" + UniqueSuffix()}});
        EXPECT_EQ(push.status, 200) << push.body.dump();
        if (push.status != 200) return "";
        return WaitFinal(token, push.body["data"]["checkoutRequestId"]).value("status", "");
    }

    std::string app_name_;
    std::string schema_;
    std::filesystem::path own_root_;
    std::string own_url_;
};

TEST_F(Failover, MultiHostUrlSkipsADeadHostAndAReadOnlyOne) {
    // First a port nobody listens on, then a server that takes no writes (a standby stands for it), then the primary.
    const std::string read_only = StartOwnServer();
    ASSERT_EQ(PgExec(read_only, "ALTER SYSTEM SET default_transaction_read_only = on"), "");
    ASSERT_EQ(PgExec(read_only, "SELECT pg_reload_conf()"), "");
    const std::string primary = SharedSchemaUrl();
    bool ok = false;
    const std::string dead_port = Shell(
        "python3 -c 'import socket; s=socket.socket(); s.bind((\"127.0.0.1\", 0)); "
        "print(s.getsockname()[1])'",
        ok);
    ASSERT_TRUE(ok);
    // postgres://postgres@127.0.0.1:LIVE/haven_test?options=... -> postgres://postgres@H1,H2,H3/haven_test?...
    const std::string prefix = "postgres://postgres@";
    ASSERT_EQ(primary.rfind(prefix, 0), 0u) << primary;
    const std::string after_hosts = primary.substr(primary.find('/', prefix.size()));
    const std::string multi = prefix + "127.0.0.1:" + dead_port + ",127.0.0.1:" + PortOf(read_only) +
                              ",127.0.0.1:" + PortOf(primary) + after_hosts + "&target_session_attrs=read-write";
    StartOn(multi);
    auto ready = Api("GET", "/readyz");
    ASSERT_EQ(ready.status, 200) << ready.body.dump();
    auto token = Login("admin@a.test");
    auto lease = CreateLease(token);
    EXPECT_EQ(PushSettles(token, lease["id"].get<int64_t>(), 1101), "SUCCESS");
}

TEST_F(Failover, ReadyzRefusesAServerThatTakesNoWrites) {
    const std::string url = StartOwnServer();
    StartOn(url);
    ASSERT_EQ(Api("GET", "/readyz").status, 200);
    auto token = Login("admin@a.test");  // a login writes (its audit row), so it comes first
    ASSERT_EQ(PgExec(url, "ALTER SYSTEM SET default_transaction_read_only = on"), "");
    ASSERT_EQ(PgExec(url, "SELECT pg_reload_conf()"), "");
    // The pool's connections took the setting with the reload; a fresh one has it from the start.
    ASSERT_TRUE(Eventually([&] { return Api("GET", "/readyz").status == 503; })) << Api("GET", "/readyz").body.dump();
    auto r = Api("GET", "/readyz");
    EXPECT_EQ(r.body["error"]["code"], "UNAVAILABLE");
    EXPECT_EQ(RetryAfter(r), "2");
    // A write meets the read-only server: 503 UNAVAILABLE (SQLSTATE 25006), not 500.
    auto lease = Api("POST", "/api/v1/leases",
                     {{"tenantName", "Achieng Otieno"},
                      {"phoneNumber", "0708374149"},
                      {"unit", "C1"},
                      {"monthlyRent", 12000},
                      {"accountReference", "C1"}},
                     token);
    EXPECT_EQ(lease.status, 503) << lease.body.dump();
    EXPECT_EQ(RetryAfter(lease), "2");
}

TEST_F(Failover, TerminatedConnectionsAreReplaced) {
    StartOn(SharedSchemaUrl());
    auto token = Login("admin@a.test");
    auto lease = CreateLease(token);
    for (int round = 0; round < 3; ++round) {
        // Every connection of this gateway (its pool and its workers'), as an administrator (or a failover) ends
        // them; the timeout makes each call wait until that backend has exited. The workers may open new ones
        // meanwhile: those are not ended.
        ASSERT_EQ(PgExec(PostgresUrl(),
                         "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE "
                         "application_name = '" +
                             app_name_ + "'"),
                  "");
        // The next requests find the pool's connections gone and open new ones.
        auto leases = Api("GET", "/api/v1/leases", nullptr, token);
        EXPECT_EQ(leases.status, 200) << "round " << round << ": " << leases.body.dump();
        EXPECT_EQ(Api("GET", "/readyz").status, 200) << "round " << round;
        EXPECT_EQ(PushSettles(token, lease["id"].get<int64_t>(), 1200 + round), "SUCCESS") << "round " << round;
    }
}

TEST_F(Failover, UnreachableDatabaseAnswers503ThenRecovers) {
    StartOn(StartOwnServer());
    auto token = Login("admin@a.test");
    auto lease = CreateLease(token);
    EXPECT_EQ(PushSettles(token, lease["id"].get<int64_t>(), 1301), "SUCCESS");

    Halt();
    auto ready = Api("GET", "/readyz");
    EXPECT_EQ(ready.status, 503) << ready.body.dump();
    EXPECT_EQ(ready.body["error"]["code"], "UNAVAILABLE");
    EXPECT_EQ(RetryAfter(ready), "2");
    EXPECT_EQ(Api("GET", "/healthz").status, 200) << "the process itself is alive";
    for (const auto& [method, path] : {std::pair{"GET", "/api/v1/leases"}, std::pair{"GET", "/api/v1/auth/me"}}) {
        auto r = Api(method, path, nullptr, token);
        EXPECT_EQ(r.status, 503) << path << ": " << r.body.dump();
        EXPECT_EQ(r.body["error"]["code"], "UNAVAILABLE") << path;
        EXPECT_EQ(RetryAfter(r), "2") << path;
    }
    auto login = Api("POST", "/api/v1/auth/login", {{"email", "admin@a.test"}, {"password", kPassword}});
    EXPECT_EQ(login.status, 503) << login.body.dump();
    auto push = Api("POST", "/api/v1/mpesa/stk-push", StkBody(1302, lease["id"].get<int64_t>()), token,
                    {{"Idempotency-Key", "fo-down-" + UniqueSuffix()}});
    EXPECT_EQ(push.status, 503) << push.body.dump();
    EXPECT_EQ(RetryAfter(push), "2");
    EXPECT_EQ(SimRequestCount("/mpesa/stkpush/v1/processrequest"), 1) << "no prompt without its row";

    Resume();
    EXPECT_TRUE(Eventually([&] { return Api("GET", "/readyz").status == 200; }, std::chrono::seconds(20)));
    EXPECT_EQ(Api("GET", "/api/v1/leases", nullptr, token).status, 200);
    EXPECT_EQ(PushSettles(token, lease["id"].get<int64_t>(), 1303), "SUCCESS");
}

TEST_F(Failover, AWriteWhoseCommitFailsIsNeverAcknowledged) {
    const std::string url = SharedSchemaUrl();
    StartOn(url, [](app::Config& c) { c.idempotency_claim_seconds = 1; });
    auto token = Login("admin@a.test");
    auto lease = CreateLease(token);
    // The connection dies at COMMIT (a deferred trigger ends its own backend), as when the primary goes away
    // between the statements and the commit: the push's row never commits.
    ASSERT_EQ(PgExec(url,
                     "CREATE FUNCTION die_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                     "PERFORM pg_terminate_backend(pg_backend_pid()); RETURN NULL; END $$; "
                     "CREATE CONSTRAINT TRIGGER die_at_commit AFTER INSERT ON stk_transactions "
                     "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION die_at_commit()"),
              "");
    const net::Headers key{{"Idempotency-Key", "fo-commit-" + UniqueSuffix()}};
    auto push = Api("POST", "/api/v1/mpesa/stk-push", StkBody(1401, lease["id"].get<int64_t>()), token, key);
    EXPECT_EQ(push.status, 503) << push.body.dump();
    EXPECT_EQ(RetryAfter(push), "2");
    EXPECT_EQ(SimRequestCount("/mpesa/stkpush/v1/processrequest"), 0) << "M-Pesa never heard of it";
    ASSERT_EQ(PgExec(url, "DROP TRIGGER die_at_commit ON stk_transactions"), "");
    auto list = Api("GET", "/api/v1/mpesa/transactions", nullptr, token);
    ASSERT_EQ(list.status, 200) << list.body.dump();
    EXPECT_EQ(list.body["data"]["items"].size(), 0u) << list.body.dump();
    // The client retries with the same key, as Retry-After invites: once the first attempt's claim has run out
    // (the gateway cannot know whether that commit landed) the push goes through, once.
    Reply retry;
    EXPECT_TRUE(Eventually(
        [&] {
            retry = Api("POST", "/api/v1/mpesa/stk-push", StkBody(1401, lease["id"].get<int64_t>()), token, key);
            return retry.status != 409;
        },
        std::chrono::seconds(10)));
    ASSERT_EQ(retry.status, 200) << retry.body.dump();
    EXPECT_EQ(WaitFinal(token, retry.body["data"]["checkoutRequestId"]).value("status", ""), "SUCCESS");
    EXPECT_EQ(SimRequestCount("/mpesa/stkpush/v1/processrequest"), 1);
}

}  // namespace
}  // namespace haven::testing
