#include "cluster_harness.hpp"

#include <signal.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <thread>

namespace haven::cluster {

std::filesystem::path g_binary;

namespace {

constexpr const char* kPassword = "cluster-test-password-42";
constexpr const char* kEmail = "cluster@haven.test";
// The secrets every node shares (a cluster's nodes must: a token from one is checked by another, a callback URL
// one node signs is verified by the node Daraja happens to reach, and data one encrypts another decrypts).
constexpr const char* kJwtSecret = "cluster-test-jwt-secret-0123456789abcdef0123456789";
constexpr const char* kCallbackSecret = "cluster-test-callback-secret-0123456789";
constexpr const char* kMasterKey = "4f1c2e3d5a6b7c8d9e0f11223344556677889900aabbccddeeff001122334455";

}  // namespace

Http::Http() {
    runtime_.Start();
    client_ = std::make_unique<net::HttpClient>(runtime_);
}

Http::~Http() {
    client_.reset();
    runtime_.Stop();
}

Reply Http::Send(const std::string& method, const std::string& url, const json& body,
                 const std::map<std::string, std::string>& headers, std::chrono::milliseconds timeout) {
    net::ClientRequest req;
    req.method = method;
    req.url = url;
    req.timeout = timeout;
    for (const auto& [k, v] : headers) req.headers[k] = v;
    if (!body.is_null()) {
        req.body = body.dump();
        req.headers["Content-Type"] = "application/json";
    }
    auto res = client_->Send(req);
    if (!res) return {0, nullptr, res.error().message, {}};
    return {res->status, json::parse(res->body, nullptr, false), "", res->headers};
}

Pg::Pg(const std::string& url) : conn_(PQconnectdb(url.c_str())) {
    PQsetNoticeProcessor(
        conn_, [](void*, const char*) {}, nullptr);
}

Pg::~Pg() { PQfinish(conn_); }

PgRows Pg::Query(const std::string& sql) {
    PgRows out;
    if (PQstatus(conn_) != CONNECTION_OK) PQreset(conn_);
    PGresult* res = PQexec(conn_, sql.c_str());
    const auto status = PQresultStatus(res);
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
        out.error = PQresultErrorMessage(res);
    } else {
        for (int r = 0; r < PQntuples(res); ++r) {
            std::vector<std::optional<std::string>> row;
            for (int c = 0; c < PQnfields(res); ++c) {
                if (PQgetisnull(res, r, c))
                    row.emplace_back(std::nullopt);
                else
                    row.emplace_back(PQgetvalue(res, r, c));
            }
            out.rows.push_back(std::move(row));
        }
    }
    PQclear(res);
    return out;
}

int64_t Pg::Count(const std::string& sql) {
    auto r = Query(sql);
    if (!r.error.empty() || r.rows.empty() || !r.rows[0][0]) return -1;
    return std::stoll(*r.rows[0][0]);
}

void ClusterTest::SetUp() {
    const char* url = std::getenv("HAVEN_TEST_POSTGRES_URL");
    // Several nodes share state only through PostgreSQL, so there is nothing to prove without it: a failure, not a
    // skip (make test always starts a server and sets the variable).
    ASSERT_TRUE(url != nullptr && *url != '\0')
        << "HAVEN_TEST_POSTGRES_URL is not set: run `make test`, or start a server with "
           "`scripts/pg-test-server.sh start` and export its URL";
    admin_url_ = url;
    schema_ = "haven_cluster_" + std::to_string(std::random_device{}() % 1000000000u);
    {
        Pg admin(admin_url_);
        auto created = admin.Query("CREATE SCHEMA " + schema_);
        ASSERT_EQ(created.error, "") << "cannot create a schema in " << admin_url_;
    }
    db_url_ =
        admin_url_ + (admin_url_.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" + schema_;
    pg_ = std::make_unique<Pg>(db_url_);
}

void ClusterTest::TearDown() {
    if (haproxy_) haproxy_->KillAndReap();
    for (auto& n : nodes_) {
        if (n->process && n->process->Running()) {
            n->process->Signal(SIGTERM);
            if (!n->process->Wait(5s)) n->process->KillAndReap();
        }
    }
    if (sim_) {
        sim_->Signal(SIGTERM);
        if (!sim_->Wait(5s)) sim_->KillAndReap();
    }
    pg_.reset();
    if (!schema_.empty()) {
        Pg admin(admin_url_);
        admin.Query("DROP SCHEMA " + schema_ + " CASCADE");
    }
}

int ClusterTest::ReservePort() {
    for (;;) {
        int port = crash::FreeLoopbackPort();
        bool used = port == sim_port_ || port == haproxy_port_;
        for (int p : reserved_ports_) used = used || p == port;
        if (!used) {
            reserved_ports_.push_back(port);
            return port;
        }
    }
}

void ClusterTest::StartSimulator(int callback_delay_ms) {
    sim_port_ = ReservePort();
    sim_url_ = "http://127.0.0.1:" + std::to_string(sim_port_);
    auto log = dir_.path() / "simulator.log";
    sim_ = std::make_unique<crash::ChildProcess>(
        std::vector<std::string>{g_binary.string(), "simulate", "--host", "127.0.0.1", "--port",
                                 std::to_string(sim_port_), "--callback-delay-ms", std::to_string(callback_delay_ms)},
        std::vector<std::string>{"PATH=/usr/local/bin:/usr/bin:/bin"}, dir_.path(), log);
    const bool up =
        Eventually([&] { return http_.Send("GET", sim_url_ + "/sim/v1/rules", nullptr, {}, 1s).status == 200; }, 15s);
    ASSERT_TRUE(up) << "the simulator did not start\n" << crash::Tail(log, 30);
}

std::vector<std::string> ClusterTest::NodeEnv(int port, const NodeOptions& options) const {
    std::vector<std::string> env = {
        "PATH=/usr/local/bin:/usr/bin:/bin",
        "MPESA_ENVIRONMENT=sandbox",
        "MPESA_BASE_URL=" + sim_url_,
        "MPESA_CONSUMER_KEY=cluster-test-key",
        "MPESA_CONSUMER_SECRET=cluster-test-secret",
        "MPESA_SHORTCODE=174379",
        "MPESA_PASSKEY=bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919",
        "MPESA_CALLBACK_SECRET=" + std::string(kCallbackSecret),
        "JWT_SECRET=" + std::string(kJwtSecret),
        "MASTER_KEY=" + std::string(kMasterKey),
        "DATABASE_URL=" + db_url_,
        "HOST=127.0.0.1",
        "PORT=" + std::to_string(port),
        "RATE_LIMIT_PER_SECOND=0",
        "TRUSTED_PROXIES=127.0.0.1",
        // The metrics listener (where a node has one) must not collide between nodes on one machine.
        "METRICS_LISTEN=off",
    };
    env.push_back("MPESA_CALLBACK_URL=" + (options.callback_url.empty()
                                               ? "http://127.0.0.1:" + std::to_string(port) + "/api/v1/mpesa/callback"
                                               : options.callback_url));
    for (const auto& e : options.extra_env) env.push_back(e);
    return env;
}

Node& ClusterTest::StartNode(const std::string& name, const NodeOptions& options, int port) {
    auto node = std::make_unique<Node>();
    node->name = name;
    node->port = port != 0 ? port : ReservePort();
    node->url = "http://127.0.0.1:" + std::to_string(node->port);
    node->log = dir_.path() / ("node-" + name + ".log");
    if (!user_added_) {
        // Every node runs the migrations on start (under PostgreSQL's advisory lock); the user needs them first.
        const int rc =
            crash::RunToCompletion({g_binary.string(), "user", "add", "--email", kEmail, "--password", kPassword,
                                    "--role", "admin", "--agency", "Cluster Test Agency"},
                                   NodeEnv(node->port, options), dir_.path(), dir_.path() / "user-add.log", 60s);
        EXPECT_EQ(rc, 0) << crash::Tail(dir_.path() / "user-add.log", 20);
        user_added_ = true;
    }
    node->process = std::make_unique<crash::ChildProcess>(std::vector<std::string>{g_binary.string(), "serve"},
                                                          NodeEnv(node->port, options), dir_.path(), node->log);
    const auto until = Clock::now() + 30s;
    bool up = false;
    while (!up && Clock::now() < until && node->process->Running()) {
        up = http_.Send("GET", node->url + kHealthPath, nullptr, {}, 1s).status == 200;
        if (!up) std::this_thread::sleep_for(50ms);
    }
    EXPECT_TRUE(up) << "node " << name << " was not ready (" << kHealthPath << ") within 30 s\n"
                    << crash::Tail(node->log, 30);
    nodes_.push_back(std::move(node));
    return *nodes_.back();
}

void ClusterTest::LoginAndCreateLease(const Node& node) {
    auto login = http_.Send("POST", node.url + "/api/v1/auth/login", {{"email", kEmail}, {"password", kPassword}});
    ASSERT_EQ(login.status, 200) << login.body.dump();
    token_ = login.body["data"].value("token", "");
    auto lease = Api(node.url, "POST", "/api/v1/leases",
                     {{"tenantName", "Wanjiku Kamau"},
                      {"phoneNumber", "0708374149"},
                      {"unit", "C7"},
                      {"monthlyRent", 20000},
                      {"accountReference", "CLUSTER"}});
    ASSERT_EQ(lease.status, 201) << lease.body.dump();
    lease_id_ = lease.body["data"]["id"].get<int64_t>();
}

void ClusterTest::ReserveHaproxyPort() {
    haproxy_port_ = ReservePort();
    haproxy_url_ = "http://127.0.0.1:" + std::to_string(haproxy_port_);
}

void ClusterTest::StartHaproxy(const std::vector<const Node*>& nodes) {
    if (haproxy_port_ == 0) ReserveHaproxyPort();
    const auto cfg = dir_.path() / "haproxy.cfg";
    {
        std::ofstream out(cfg);
        out << "global\n"
               "    maxconn 2000\n"
               "defaults\n"
               "    mode http\n"
               "    timeout connect 1s\n"
               "    timeout client 30s\n"
               "    timeout server 30s\n"
               // A connection a dead node refuses is tried again, on another node (never a request it received:
               // HAProxy does not resend a request once it went out).
               "    retries 3\n"
               "    option redispatch\n"
               "    option forwardfor\n"
               "frontend public\n"
               "    bind 127.0.0.1:"
            << haproxy_port_
            << "\n"
               "    default_backend nodes\n"
               "backend nodes\n"
               "    balance roundrobin\n"
               "    option httpchk GET "
            << kHealthPath
            << "\n"
               "    http-check expect status 200\n"
               "    default-server inter 500ms fall 2 rise 1\n";
        for (const Node* n : nodes) out << "    server " << n->name << " 127.0.0.1:" << n->port << " check\n";
    }
    auto log = dir_.path() / "haproxy.log";
    haproxy_ = std::make_unique<crash::ChildProcess>(
        std::vector<std::string>{"/usr/sbin/haproxy", "-db", "-f", cfg.string()},
        std::vector<std::string>{"PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"}, dir_.path(), log);
    const bool up = Eventually(
        [&] {
            return haproxy_->Running() && http_.Send("GET", haproxy_url_ + kHealthPath, nullptr, {}, 1s).status == 200;
        },
        15s);
    ASSERT_TRUE(up) << "HAProxy did not start (is the haproxy package installed?)\n" << crash::Tail(log, 30);
}

Reply ClusterTest::Api(const std::string& base_url, const std::string& method, const std::string& path,
                       const json& body, std::map<std::string, std::string> headers,
                       std::chrono::milliseconds timeout) {
    headers["Authorization"] = "Bearer " + token_;
    return http_.Send(method, base_url + path, body, headers, timeout);
}

json ClusterTest::PushBody(const std::string& local_phone, int64_t amount, const std::string& reference) const {
    return {{"phoneNumber", local_phone},
            {"amount", amount},
            {"accountReference", reference},
            {"transactionDesc", "Rent"},
            {"leaseId", lease_id_}};
}

void ClusterTest::SetSimRules(const json& rules) {
    auto set = http_.Send("POST", sim_url_ + "/sim/v1/rules", {{"rules", rules}, {"replace", true}});
    ASSERT_EQ(set.status, 200) << set.body.dump();
}

std::vector<json> ClusterTest::SimRequests(const std::string& path) {
    std::vector<json> out;
    auto r = http_.Send("GET", sim_url_ + "/sim/v1/requests");
    if (r.status != 200 || !r.body.contains("requests")) return out;
    for (const auto& req : r.body["requests"]) {
        if (req.value("path", "") == path) out.push_back(req);
    }
    return out;
}

std::vector<json> ClusterTest::SimSessions() {
    auto r = http_.Send("GET", sim_url_ + "/sim/v1/stk");
    if (r.status != 200 || !r.body.contains("transactions")) return {};
    return r.body["transactions"].get<std::vector<json>>();
}

std::vector<json> ClusterTest::SimCallbacks() {
    auto r = http_.Send("GET", sim_url_ + "/sim/v1/callbacks");
    if (r.status != 200 || !r.body.contains("callbacks")) return {};
    return r.body["callbacks"].get<std::vector<json>>();
}

bool ClusterTest::Eventually(const std::function<bool()>& done, std::chrono::milliseconds deadline) {
    const auto until = Clock::now() + deadline;
    for (;;) {
        if (done()) return true;
        if (Clock::now() >= until) return false;
        std::this_thread::sleep_for(100ms);
    }
}

std::string ClusterTest::Logs(size_t lines) const {
    std::string out;
    for (const auto& n : nodes_) {
        out += "\n  node " + n->name + " warnings and errors (last " + std::to_string(lines) + "):\n" +
               crash::Tail(n->log, lines, {"[warning]", "[error]", "[critical]"});
    }
    return out;
}

}  // namespace haven::cluster
