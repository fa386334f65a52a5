#pragma once
// Several gateway nodes on one PostgreSQL, as real processes: the Daraja simulator (`haven-mpesa simulate`), N
// `haven-mpesa serve` nodes sharing JWT_SECRET, MPESA_CALLBACK_SECRET and MASTER_KEY, and optionally HAProxy in
// front of them (the test writes its haproxy.cfg). Each test gets a schema of its own in the server that
// HAVEN_TEST_POSTGRES_URL names (make test starts one; without it the test fails: these proofs need PostgreSQL).
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "../crash/process.hpp"
#include "net/http_client.hpp"
#include "net/runtime.hpp"

namespace haven::cluster {

using nlohmann::json;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

extern std::filesystem::path g_binary;

/// What HAProxy asks each node: ready = its database is reachable and writable.
inline constexpr const char* kHealthPath = "/readyz";

struct Reply {
    int status = 0;  // 0 = no HTTP answer (refused, reset, timeout)
    json body;
    std::string error;
    net::Headers headers;
};

/// A blocking HTTP client that several test threads may use at once.
class Http {
  public:
    Http();
    ~Http();
    Reply Send(const std::string& method, const std::string& url, const json& body = nullptr,
               const std::map<std::string, std::string>& headers = {}, std::chrono::milliseconds timeout = 10s);

  private:
    net::Runtime runtime_{4};
    std::unique_ptr<net::HttpClient> client_;
};

/// Rows of one query (text values, NULL as nullopt), or the error.
struct PgRows {
    std::vector<std::vector<std::optional<std::string>>> rows;
    std::string error;
};

/// One libpq connection to the test's schema.
class Pg {
  public:
    explicit Pg(const std::string& url);
    ~Pg();
    Pg(const Pg&) = delete;
    Pg& operator=(const Pg&) = delete;
    PgRows Query(const std::string& sql);
    /// The first column of the first row as an integer (-1 on error or no row).
    int64_t Count(const std::string& sql);

  private:
    PGconn* conn_ = nullptr;
};

struct NodeOptions {
    std::string callback_url;            // MPESA_CALLBACK_URL (where Daraja's callbacks for its pushes go)
    std::vector<std::string> extra_env;  // NAME=value: reconciler settings and the like
};

struct Node {
    std::string name;
    int port = 0;
    std::string url;
    std::filesystem::path log;
    std::unique_ptr<crash::ChildProcess> process;
};

class ClusterTest : public ::testing::Test {
  protected:
    void SetUp() override;
    void TearDown() override;

    /// The simulator, its own process; `--callback-delay-ms` as given.
    void StartSimulator(int callback_delay_ms = 200);
    /// Starts a node (waits for it to answer) on `port` (0 = a fresh one); its name appears in failure messages and
    /// names its log file.
    Node& StartNode(const std::string& name, const NodeOptions& options, int port = 0);
    /// A port for a node that is not started yet (its URL is needed in another node's settings first).
    int ReservePort();
    /// The admin user (created once through `haven-mpesa user add`), logged in through `node`; a lease to pay.
    void LoginAndCreateLease(const Node& node);
    /// The complete environment of a node: nothing is inherited from the shell running the test.
    std::vector<std::string> NodeEnv(int port, const NodeOptions& options) const;
    /// HAProxy's port and URL, before it starts (the nodes' callback URL points at it).
    void ReserveHaproxyPort();
    /// The HAProxy in front of `nodes`: health check per node every 500 ms, a dead one out after two misses.
    void StartHaproxy(const std::vector<const Node*>& nodes);

    Reply Api(const std::string& base_url, const std::string& method, const std::string& path,
              const json& body = nullptr, std::map<std::string, std::string> headers = {},
              std::chrono::milliseconds timeout = 10s);
    json PushBody(const std::string& local_phone, int64_t amount, const std::string& reference) const;
    void SetSimRules(const json& rules);
    /// The simulator's logged requests to `path` (the whole log; it keeps the newest 1000).
    std::vector<json> SimRequests(const std::string& path);
    std::vector<json> SimSessions();
    std::vector<json> SimCallbacks();
    /// Polls `done` every 100 ms until it is true or the deadline passes; returns its last answer.
    static bool Eventually(const std::function<bool()>& done, std::chrono::milliseconds deadline);
    std::string Logs(size_t lines = 15) const;

    crash::TempDir dir_;
    Http http_;
    std::string admin_url_;  // HAVEN_TEST_POSTGRES_URL
    std::string schema_;
    std::string db_url_;  // the test's schema
    std::unique_ptr<Pg> pg_;
    int sim_port_ = 0;
    std::string sim_url_;
    std::unique_ptr<crash::ChildProcess> sim_;
    std::vector<std::unique_ptr<Node>> nodes_;
    std::vector<int> reserved_ports_;
    int haproxy_port_ = 0;
    std::string haproxy_url_;
    std::unique_ptr<crash::ChildProcess> haproxy_;
    bool user_added_ = false;
    std::string token_;
    int64_t lease_id_ = 0;
};

}  // namespace haven::cluster
