// Crash test: a burst of STK pushes and callbacks, kill -9 of the gateway at a random moment, a restart
// with short reconciler settings, then the promises a landlord relies on:
//   1. every push the client saw acknowledged (2xx before the kill) has its row;
//   2. no duplicate payments (a receipt on one transaction only, one payment per transaction);
//   3. every STK row settles (SUCCESS/FAILED, agreeing with what M-Pesa did) or is marked needs review
//      within the configured reconciler time;
//   4. no Idempotency-Key stays locked: a retry of every key used before the kill is answered (never
//      409 "still being processed" once the claim has expired) and never prompts the phone twice.
// Real processes: the Daraja simulator (`haven-mpesa simulate`, it survives the crash, as Safaricom
// would) and the gateway (`haven-mpesa serve`, sandbox mode pointed at the simulator), SQLite on disk,
// HTTP over loopback. One seed (CRASH_SEED, else the clock) picks the plan: each push's amount, its
// simulator behaviour (callback dropped, duplicated, declined, slow answer) and the kill moment. Process
// timing is not deterministic, so a replayed seed repeats the plan, not every interleaving.
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "net/http_client.hpp"
#include "net/runtime.hpp"
#include "process.hpp"

namespace haven::crash {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

std::filesystem::path g_binary;
uint64_t g_seed = 0;

// The restarted gateway's settings (issue 8): short, so the whole test stays under a minute.
constexpr int kReconcileIntervalSeconds = 1;
constexpr int kReconcileAfterSeconds = 1;
constexpr int kReconcileBackoffSeconds = 1;
constexpr int kReconcileBackoffMaxSeconds = 2;
constexpr int kStkPromptLifetimeSeconds = 3;
constexpr int kNeedsReviewAfterSeconds = 15;
constexpr int kIdempotencyClaimSeconds = 2;
// Every row must be settled or in review this long after the restart: the needs-review age plus a few
// reconciler rounds at the longest backoff.
constexpr auto kSettleDeadline = std::chrono::seconds(kNeedsReviewAfterSeconds + 15);

constexpr int kPushes = 48;
constexpr int kClientThreads = 4;
constexpr int kCallbackDelayMs = 300;
constexpr const char* kPassword = "crash-test-password-42";
constexpr const char* kEmail = "crash@haven.test";

enum class Behaviour { kNormal, kDropped, kDuplicated, kDeclined };

const char* Name(Behaviour b) {
    switch (b) {
        case Behaviour::kNormal:
            return "normal";
        case Behaviour::kDropped:
            return "callback dropped";
        case Behaviour::kDuplicated:
            return "callback duplicated";
        case Behaviour::kDeclined:
            return "declined (1032)";
    }
    return "?";
}

struct Push {
    int index = 0;
    std::string key;     // Idempotency-Key
    std::string msisdn;  // 2547..., unique per push: the simulator locks a phone per prompt
    int64_t amount = 0;
    Behaviour behaviour = Behaviour::kNormal;
    int slow_ms = 0;   // the simulator's synchronous answer is this late
    int delay_ms = 0;  // outcome and callback this long after the push
    json body;
    // The first attempt, during the burst.
    bool attempted = false;
    int status = 0;  // 0 = no answer (connection refused or cut by the kill)
    std::string error;
    int64_t transaction_id = 0;
    std::string checkout_id;
    bool acknowledged() const { return status >= 200 && status < 300; }
};

struct Reply {
    int status = 0;  // 0 = no HTTP answer
    json body;
    std::string error;
};

std::string SeedNote() {
    return "seed " + std::to_string(g_seed) + " (replay: CRASH_SEED=" + std::to_string(g_seed) + ")";
}

class Http {
  public:
    Http() { runtime_.Start(); }
    ~Http() {
        client_.reset();
        runtime_.Stop();
    }
    Reply Send(const std::string& method, const std::string& url, const json& body = nullptr,
               const std::map<std::string, std::string>& headers = {}, std::chrono::milliseconds timeout = 10s) {
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
        if (!res) return {0, nullptr, res.error().message};
        return {res->status, json::parse(res->body, nullptr, false), ""};
    }

  private:
    net::Runtime runtime_{4};
    std::unique_ptr<net::HttpClient> client_ = std::make_unique<net::HttpClient>(runtime_);
};

std::string Join(const std::vector<std::string>& items, size_t max = 20) {
    std::string out;
    for (size_t i = 0; i < items.size() && i < max; ++i) out += "\n    - " + items[i];
    if (items.size() > max) out += "\n    - ... and " + std::to_string(items.size() - max) + " more";
    return out;
}

/// "push 7: callback dropped, answer 600 ms late, first answer 0 (...)" for the push to this phone.
std::string Describe(const std::vector<Push>& pushes, const std::string& msisdn) {
    for (const auto& p : pushes) {
        if (p.msisdn != msisdn) continue;
        return "push " + std::to_string(p.index) + ": " + Name(p.behaviour) +
               (p.slow_ms > 0 ? ", Daraja answered " + std::to_string(p.slow_ms) + " ms late" : "") +
               ", first attempt answered " + std::to_string(p.status) + (p.error.empty() ? "" : " (" + p.error + ")");
    }
    return "no push of this test";
}

double SecondsSince(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

class CrashTest : public ::testing::Test {
  protected:
    void SetUp() override {
        sim_port_ = FreeLoopbackPort();
        do gateway_port_ = FreeLoopbackPort();
        while (gateway_port_ == sim_port_);
        sim_url_ = "http://127.0.0.1:" + std::to_string(sim_port_);
        gateway_url_ = "http://127.0.0.1:" + std::to_string(gateway_port_);
    }

    /// The gateway's environment, complete: nothing is inherited from the shell running the test.
    std::vector<std::string> GatewayEnv(bool short_settings) const {
        std::vector<std::string> env = {
            "PATH=/usr/local/bin:/usr/bin:/bin",
            "MPESA_ENVIRONMENT=sandbox",
            "MPESA_BASE_URL=" + sim_url_,
            "MPESA_CONSUMER_KEY=crash-test-key",
            "MPESA_CONSUMER_SECRET=crash-test-secret",
            "MPESA_SHORTCODE=174379",
            "MPESA_PASSKEY=bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919",
            "MPESA_CALLBACK_URL=" + gateway_url_ + "/api/v1/mpesa/callback",
            "MPESA_CALLBACK_SECRET=crash-test-callback-secret-0123456789",
            // Fixed, so the token from before the crash still works after the restart.
            "JWT_SECRET=crash-test-jwt-secret-0123456789abcdef0123456789",
            "DATABASE_URL=sqlite:" + (dir_.path() / "haven.db").string(),
            "HOST=127.0.0.1",
            "PORT=" + std::to_string(gateway_port_),
            "METRICS_LISTEN=127.0.0.1:0",  // a free port: one machine may run several of these tests
            "RATE_LIMIT_PER_SECOND=0",
            // A claim's expiry is fixed by the process that claims it, so the gateway that dies holding
            // claims has the short claim time too.
            "IDEMPOTENCY_CLAIM_SECONDS=" + std::to_string(kIdempotencyClaimSeconds),
        };
        // The first gateway keeps the reconciler's defaults, so the crash leaves its work to the restart.
        if (short_settings) {
            for (const auto& [name, value] : std::vector<std::pair<std::string, int>>{
                     {"RECONCILE_INTERVAL_SECONDS", kReconcileIntervalSeconds},
                     {"RECONCILE_AFTER_SECONDS", kReconcileAfterSeconds},
                     {"RECONCILE_BACKOFF_SECONDS", kReconcileBackoffSeconds},
                     {"RECONCILE_BACKOFF_MAX_SECONDS", kReconcileBackoffMaxSeconds},
                     {"STK_PROMPT_LIFETIME_SECONDS", kStkPromptLifetimeSeconds},
                     {"NEEDS_REVIEW_AFTER_SECONDS", kNeedsReviewAfterSeconds}}) {
                env.push_back(name + "=" + std::to_string(value));
            }
        }
        return env;
    }

    std::unique_ptr<ChildProcess> StartGateway(bool short_settings, const std::string& log_name) {
        auto log = dir_.path() / log_name;
        auto gw = std::make_unique<ChildProcess>(std::vector<std::string>{g_binary.string(), "serve"},
                                                 GatewayEnv(short_settings), dir_.path(), log);
        const auto until = Clock::now() + 20s;
        while (Clock::now() < until) {
            if (!gw->Running()) {
                ADD_FAILURE() << "the gateway exited during start-up; " << SeedNote() << "\n" << Tail(log, 30);
                return nullptr;
            }
            if (http_.Send("GET", gateway_url_ + "/api/v1/health", nullptr, {}, 1s).status == 200) return gw;
            std::this_thread::sleep_for(50ms);
        }
        ADD_FAILURE() << "the gateway did not answer /api/v1/health within 20 s; " << SeedNote() << "\n"
                      << Tail(log, 30);
        return nullptr;
    }

    std::map<std::string, std::string> Auth() const { return {{"Authorization", "Bearer " + token_}}; }

    Reply Api(const std::string& method, const std::string& path, const json& body = nullptr,
              std::map<std::string, std::string> headers = {}) {
        for (auto& [k, v] : Auth()) headers[k] = v;
        return http_.Send(method, gateway_url_ + path, body, headers);
    }

    /// Every STK row of the agency, newest first (all pages).
    std::optional<std::vector<json>> ListStkRows() {
        std::vector<json> rows;
        std::string cursor;
        for (int page = 0; page < 50; ++page) {
            auto r = Api("GET",
                         "/api/v1/mpesa/transactions?kind=stk&limit=200" + (cursor.empty() ? "" : "&cursor=" + cursor));
            if (r.status != 200) return std::nullopt;
            for (const auto& item : r.body["data"]["items"]) rows.push_back(item);
            const auto& next = r.body["data"]["nextCursor"];
            if (!next.is_string()) return rows;
            cursor = next.get<std::string>();
        }
        return rows;
    }

    /// Ids in the open needs-review list (empty when the gateway has no such list).
    std::set<int64_t> OpenReviewIds() {
        std::set<int64_t> ids;
        auto r = Api("GET", "/api/v1/review?status=open");
        if (r.status != 200) return ids;
        const json& data = r.body.contains("data") ? r.body["data"] : r.body;
        if (!data.is_object() || !data.contains("items") || !data["items"].is_array()) return ids;
        for (const auto& item : data["items"]) {
            if (item.contains("transactionId") && item["transactionId"].is_number_integer()) {
                ids.insert(item["transactionId"].get<int64_t>());
            }
        }
        return ids;
    }

    /// The simulator's STK sessions (its own record of every prompt it accepted).
    std::vector<json> SimSessions() {
        auto r = http_.Send("GET", sim_url_ + "/sim/v1/stk");
        if (r.status != 200 || !r.body.contains("transactions")) return {};
        return r.body["transactions"].get<std::vector<json>>();
    }

    /// Adds the simulator's logged STK push requests to `seen` (by log id; the log keeps only the
    /// newest 1000, so it is read before it could roll over).
    void CollectSimPushRequests(std::map<int64_t, std::string>& seen) {
        auto r = http_.Send("GET", sim_url_ + "/sim/v1/requests");
        if (r.status != 200 || !r.body.contains("requests")) return;
        for (const auto& req : r.body["requests"]) {
            if (req.value("path", "") != "/mpesa/stkpush/v1/processrequest") continue;
            const json& body = req["body"];
            std::string phone;
            if (body.is_object() && body.contains("PhoneNumber")) {
                phone = body["PhoneNumber"].is_string() ? body["PhoneNumber"].get<std::string>()
                                                        : body["PhoneNumber"].dump();
            }
            seen[req.value("id", int64_t{0})] = phone;
        }
    }

    TempDir dir_;
    Http http_;
    int sim_port_ = 0;
    int gateway_port_ = 0;
    std::string sim_url_;
    std::string gateway_url_;
    std::string token_;
};

TEST_F(CrashTest, KillDuringBurstThenRestartKeepsEveryPromise) {
    SCOPED_TRACE(SeedNote());
    std::mt19937_64 rng(g_seed);
    const auto test_start = Clock::now();

    // ---- The plan, all from the seed.
    std::vector<Push> pushes(kPushes);
    const int slow_choices[] = {0, 0, 0, 50, 200, 600};
    int counts[4] = {0, 0, 0, 0};
    for (int i = 0; i < kPushes; ++i) {
        Push& p = pushes[i];
        p.index = i;
        p.key = "crash-" + std::to_string(g_seed) + "-" + std::to_string(i);
        char local[16];
        std::snprintf(local, sizeof local, "0711%06d", i);
        p.msisdn = "254" + std::string(local + 1);
        p.amount = std::uniform_int_distribution<int64_t>(10, 9999)(rng);
        const int roll = std::uniform_int_distribution<int>(0, 99)(rng);
        p.behaviour = roll < 50   ? Behaviour::kNormal
                      : roll < 70 ? Behaviour::kDropped
                      : roll < 85 ? Behaviour::kDuplicated
                                  : Behaviour::kDeclined;
        ++counts[static_cast<int>(p.behaviour)];
        p.slow_ms = slow_choices[std::uniform_int_distribution<int>(0, 5)(rng)];
        p.delay_ms = std::uniform_int_distribution<int>(50, 2 * kCallbackDelayMs)(rng);
        p.body = {{"phoneNumber", local},
                  {"amount", p.amount},
                  {"accountReference", "CRASH" + std::to_string(i)},
                  {"transactionDesc", "Rent"}};
    }
    const int kill_after_ms = std::uniform_int_distribution<int>(100, 2500)(rng);
    std::cout << "plan: " << kPushes << " pushes from " << kClientThreads << " threads (" << counts[0] << " normal, "
              << counts[1] << " callback dropped, " << counts[2] << " duplicated, " << counts[3]
              << " declined); kill -9 of the gateway " << kill_after_ms << " ms into the burst" << std::endl;

    // ---- The simulator: its own process, so it outlives the gateway.
    auto sim_log = dir_.path() / "simulator.log";
    ChildProcess sim({g_binary.string(), "simulate", "--host", "127.0.0.1", "--port", std::to_string(sim_port_),
                      "--callback-delay-ms", std::to_string(kCallbackDelayMs)},
                     {"PATH=/usr/local/bin:/usr/bin:/bin"}, dir_.path(), sim_log);
    {
        const auto until = Clock::now() + 15s;
        bool up = false;
        while (!up && Clock::now() < until && sim.Running()) {
            up = http_.Send("GET", sim_url_ + "/sim/v1/rules", nullptr, {}, 1s).status == 200;
            if (!up) std::this_thread::sleep_for(50ms);
        }
        ASSERT_TRUE(up) << "the simulator did not start\n" << Tail(sim_log, 30);
    }
    json rules = json::array();
    for (const auto& p : pushes) {
        json then = {{"delayMs", p.delay_ms}};
        if (p.slow_ms > 0) then["slowMs"] = p.slow_ms;
        if (p.behaviour == Behaviour::kDropped) then["callbacks"] = 0;
        if (p.behaviour == Behaviour::kDuplicated) then["callbacks"] = 2 + p.index % 2;
        if (p.behaviour == Behaviour::kDeclined) then["resultCode"] = "1032";
        rules.push_back({{"api", "stkpush"}, {"when", {{"phone", p.msisdn}}}, {"then", then}});
    }
    auto set_rules = http_.Send("POST", sim_url_ + "/sim/v1/rules", {{"rules", rules}, {"replace", true}});
    ASSERT_EQ(set_rules.status, 200) << set_rules.body.dump();

    // ---- The gateway, a user, a lease (payments are recorded against a lease).
    ASSERT_EQ(RunToCompletion({g_binary.string(), "user", "add", "--email", kEmail, "--password", kPassword, "--role",
                               "admin", "--agency", "Crash Test Agency"},
                              GatewayEnv(false), dir_.path(), dir_.path() / "user-add.log", 30s),
              0)
        << Tail(dir_.path() / "user-add.log", 20);
    auto gateway = StartGateway(false, "gateway-1.log");
    ASSERT_TRUE(gateway);
    auto login = http_.Send("POST", gateway_url_ + "/api/v1/auth/login", {{"email", kEmail}, {"password", kPassword}});
    ASSERT_EQ(login.status, 200) << login.body.dump();
    token_ = login.body["data"].value("token", "");
    auto lease = Api("POST", "/api/v1/leases",
                     {{"tenantName", "Wanjiku Kamau"},
                      {"phoneNumber", "0708374149"},
                      {"unit", "C7"},
                      {"monthlyRent", 20000},
                      {"accountReference", "CRASH"}});
    ASSERT_EQ(lease.status, 201) << lease.body.dump();
    const int64_t lease_id = lease.body["data"]["id"].get<int64_t>();
    for (auto& p : pushes) p.body["leaseId"] = lease_id;

    // ---- The burst, and kill -9 somewhere in it.
    std::atomic<bool> killed{false};
    std::mutex mu;
    std::vector<std::thread> clients;
    for (int t = 0; t < kClientThreads; ++t) {
        clients.emplace_back([&, t] {
            for (int i = t; i < kPushes; i += kClientThreads) {
                if (killed.load()) return;
                Push& p = pushes[i];
                {
                    std::lock_guard lock(mu);
                    p.attempted = true;
                }
                auto r = Api("POST", "/api/v1/mpesa/stk-push", p.body, {{"Idempotency-Key", p.key}});
                std::lock_guard lock(mu);
                p.status = r.status;
                p.error = r.error;
                if (r.status >= 200 && r.status < 300) {
                    p.transaction_id = r.body["data"].value("transactionId", int64_t{0});
                    p.checkout_id = r.body["data"].value("checkoutRequestId", "");
                }
                if (r.status == 0) return;  // the gateway is gone; nothing more to send
            }
        });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(kill_after_ms));  // the one chosen, random moment
    gateway->Signal(SIGKILL);
    auto reaped = gateway->Wait(5s);
    killed = true;
    const auto kill_time = Clock::now();
    for (auto& c : clients) c.join();
    ASSERT_TRUE(reaped && WIFSIGNALED(*reaped) && WTERMSIG(*reaped) == SIGKILL)
        << "the gateway was not killed by SIGKILL (did it exit early?)\n"
        << Tail(dir_.path() / "gateway-1.log", 30);
    gateway.reset();

    int acked = 0, refused = 0, other = 0, unsent = 0;
    for (const auto& p : pushes) {
        if (!p.attempted)
            ++unsent;
        else if (p.acknowledged())
            ++acked;
        else if (p.status == 0)
            ++refused;
        else
            ++other;
    }
    std::cout << "kill -9 at " << kill_after_ms << " ms: " << acked << " pushes acknowledged, " << other
              << " answered with an error, " << refused << " cut off or refused, " << unsent << " never sent"
              << std::endl;
    ASSERT_GT(acked + other + refused, 0) << "the burst sent nothing";

    std::map<int64_t, std::string> sim_push_requests;
    CollectSimPushRequests(sim_push_requests);
    const size_t sim_sessions_at_kill = SimSessions().size();

    // ---- Restart with the short settings; the token from before the crash still works.
    gateway = StartGateway(true, "gateway-2.log");
    ASSERT_TRUE(gateway);
    const auto restart_time = Clock::now();
    std::cout << "restarted " << std::fixed << std::setprecision(1) << SecondsSince(kill_time) << " s after the kill"
              << std::endl;
    auto log_tail = [&] {
        return "\n  gateway warnings and errors after the restart (last 15):\n" +
               Tail(dir_.path() / "gateway-2.log", 15, {"[warning]", "[error]", "[critical]"});
    };

    // ---- Invariant 1: every acknowledged push has its row.
    std::vector<std::string> missing;
    for (const auto& p : pushes) {
        if (!p.acknowledged()) continue;
        auto r = Api("GET", "/api/v1/mpesa/transactions/" + std::to_string(p.transaction_id));
        if (r.status != 200) {
            missing.push_back("push " + std::to_string(p.index) + " (transaction " + std::to_string(p.transaction_id) +
                              "): GET answered " + std::to_string(r.status));
            continue;
        }
        const json& row = r.body["data"];
        if (row.value("amount", int64_t{0}) != p.amount ||
            row.value("checkoutRequestId", json()) != json(p.checkout_id)) {
            missing.push_back("push " + std::to_string(p.index) + " (transaction " + std::to_string(p.transaction_id) +
                              "): the row differs from the acknowledgement: " + row.dump());
        }
    }
    std::cout << "invariant 1 (acknowledged pushes have their row): " << (missing.empty() ? "ok" : "FAILED") << " ("
              << acked << " checked)" << std::endl;
    EXPECT_TRUE(missing.empty()) << "invariant 1: acknowledged pushes without their row; " << SeedNote()
                                 << Join(missing);

    // ---- Invariant 4: every key used before the kill is answered again, and prompts no phone twice.
    // The claims were all made before the kill, so none may still hold once the claim time has passed.
    const auto claims_expired = kill_time + std::chrono::seconds(kIdempotencyClaimSeconds) + 3s;
    std::vector<std::string> locked;
    std::vector<Reply> retry(kPushes);
    {
        std::vector<std::thread> retriers;
        for (int t = 0; t < kClientThreads; ++t) {
            retriers.emplace_back([&, t] {
                for (int i = t; i < kPushes; i += kClientThreads) {
                    const Push& p = pushes[i];
                    if (!p.attempted) continue;
                    const auto give_up = Clock::now() + 15s;
                    Reply r;
                    for (;;) {
                        r = Api("POST", "/api/v1/mpesa/stk-push", p.body, {{"Idempotency-Key", p.key}});
                        const bool in_progress =
                            r.status == 409 && r.body.dump().find("being processed") != std::string::npos;
                        const bool retry_now =
                            (r.status == 0 && Clock::now() < give_up) || (in_progress && Clock::now() < claims_expired);
                        if (!retry_now) break;
                        std::this_thread::sleep_for(100ms);
                    }
                    std::lock_guard lock(mu);
                    retry[i] = r;
                }
            });
        }
        for (auto& t : retriers) t.join();
    }
    CollectSimPushRequests(sim_push_requests);
    std::map<std::string, int> sessions_per_phone, requests_per_phone;
    auto sessions = SimSessions();
    for (const auto& s : sessions) ++sessions_per_phone[s.value("phoneNumber", "")];
    for (const auto& [id, phone] : sim_push_requests) ++requests_per_phone[phone];
    int replayed = 0;
    for (const auto& p : pushes) {
        if (!p.attempted) continue;
        const Reply& r = retry[p.index];
        const std::string who = "key " + p.key + " (push " + std::to_string(p.index) + ", first answer " +
                                std::to_string(p.status) + (p.error.empty() ? "" : " " + p.error) + ")";
        if (r.status == 0) {
            locked.push_back(who + ": the retry got no answer: " + r.error);
        } else if (r.status == 409 && r.body.dump().find("being processed") != std::string::npos) {
            locked.push_back(
                who + ": still 409 " + r.body.dump() + " " + std::to_string(static_cast<int>(SecondsSince(kill_time))) +
                " s after the kill (claims expire after " + std::to_string(kIdempotencyClaimSeconds) + " s)");
        } else if (p.acknowledged()) {
            // A key that was answered keeps its answer.
            const int64_t id = r.body.is_object() && r.body.contains("data") && r.body["data"].is_object()
                                   ? r.body["data"].value("transactionId", int64_t{0})
                                   : 0;
            if (r.status < 200 || r.status >= 300 || id != p.transaction_id) {
                locked.push_back(who + ": the retry answered " + std::to_string(r.status) + " " + r.body.dump() +
                                 " instead of transaction " + std::to_string(p.transaction_id));
            } else {
                ++replayed;
            }
        }
        const int prompts = std::max(sessions_per_phone[p.msisdn], requests_per_phone[p.msisdn]);
        if (prompts > 1) {
            locked.push_back(who + ": the phone was prompted " + std::to_string(prompts) +
                             " times (simulator: " + std::to_string(sessions_per_phone[p.msisdn]) + " sessions, " +
                             std::to_string(requests_per_phone[p.msisdn]) + " push requests)");
        }
    }
    // The harness itself: each acknowledged push must be a prompt the simulator knows, or the counts above
    // would prove nothing.
    std::map<std::string, json> session_by_checkout;
    for (const auto& s : sessions) session_by_checkout[s.value("checkoutRequestId", "")] = s;
    for (const auto& p : pushes) {
        if (!p.acknowledged()) continue;
        auto it = session_by_checkout.find(p.checkout_id);
        ASSERT_TRUE(it != session_by_checkout.end() && it->second.value("phoneNumber", "") == p.msisdn)
            << "harness: the simulator has no prompt " << p.checkout_id << " for push " << p.index;
    }
    std::cout << "invariant 4 (no key stays locked, no second prompt): " << (locked.empty() ? "ok" : "FAILED") << " ("
              << (acked + other + refused) << " keys retried, " << replayed << " replayed; simulator sessions "
              << sim_sessions_at_kill << " at the kill, " << sessions.size() << " after the retries)" << std::endl;
    EXPECT_TRUE(locked.empty()) << "invariant 4: idempotency keys locked or prompting twice; " << SeedNote()
                                << Join(locked) << log_tail();

    // ---- Invariant 3: every STK row settles or is marked needs review, within the configured time.
    std::vector<json> rows;
    std::set<int64_t> review;
    std::vector<std::string> unsettled;
    auto settled = [&](const json& row) {
        const std::string status = row.value("status", "");
        return status == "SUCCESS" || status == "FAILED" || row.value("needsReview", false) ||
               review.count(row.value("id", int64_t{0})) > 0;
    };
    for (;;) {
        auto listed = ListStkRows();
        review = OpenReviewIds();
        unsettled.clear();
        if (listed) {
            rows = std::move(*listed);
            for (const auto& row : rows) {
                if (!settled(row)) {
                    unsettled.push_back("transaction " + std::to_string(row.value("id", int64_t{0})) + " " +
                                        row.value("status", "") + ", CheckoutRequestID " +
                                        (row["checkoutRequestId"].is_string() ? "set" : "never received") +
                                        ", created " + row.value("createdAt", "") + "; " +
                                        Describe(pushes, row.value("phoneNumber", "")));
                }
            }
        } else {
            unsettled.push_back("the transaction list did not answer 200");
        }
        if (unsettled.empty() || Clock::now() - restart_time > kSettleDeadline) break;
        std::this_thread::sleep_for(250ms);
    }
    const double settle_seconds = SecondsSince(restart_time);
    std::map<std::string, int> by_state;
    for (const auto& row : rows) {
        ++by_state[row.value("needsReview", false) || review.count(row.value("id", int64_t{0}))
                       ? "NEEDS_REVIEW"
                       : row.value("status", "")];
    }
    std::string states;
    for (const auto& [k, n] : by_state) states += " " + k + "=" + std::to_string(n);
    std::cout << "invariant 3 (every row settles or needs review within " << kSettleDeadline.count()
              << " s of the restart): " << (unsettled.empty() ? "ok" : "FAILED") << " after " << std::setprecision(1)
              << settle_seconds << " s; " << rows.size() << " rows:" << states << std::endl;
    EXPECT_TRUE(unsettled.empty()) << "invariant 3: rows neither settled nor in review " << kSettleDeadline.count()
                                   << " s after the restart; " << SeedNote() << Join(unsettled) << log_tail();

    // A settled row says what M-Pesa (the simulator) did: paid rows were paid, with that amount and receipt;
    // a FAILED row was not paid (a shilling the tenant paid must never be written off).
    // Read again: a prompt still open during the retries has ended by now.
    sessions = SimSessions();
    session_by_checkout.clear();
    std::map<std::string, json> session_by_phone;
    for (const auto& s : sessions) {
        session_by_checkout[s.value("checkoutRequestId", "")] = s;
        session_by_phone[s.value("phoneNumber", "")] = s;
    }
    std::vector<std::string> wrong;
    for (const auto& row : rows) {
        const std::string status = row.value("status", "");
        const std::string checkout =
            row["checkoutRequestId"].is_string() ? row["checkoutRequestId"].get<std::string>() : "";
        json s;
        if (!checkout.empty() && session_by_checkout.count(checkout))
            s = session_by_checkout[checkout];
        else if (checkout.empty() && session_by_phone.count(row.value("phoneNumber", ""))) {
            s = session_by_phone[row.value("phoneNumber", "")];
        }
        const bool paid = s.is_object() && s.value("final", false) && s.value("resultCode", "") == "0";
        const std::string what = "transaction " + std::to_string(row.value("id", int64_t{0})) + " " + status;
        const std::string receipt =
            row["mpesaReceiptNumber"].is_string() ? row["mpesaReceiptNumber"].get<std::string>() : "";
        // A row settled by STK Query has no receipt (Daraja's query answer carries none); one that has a
        // receipt must have M-Pesa's.
        if (status == "SUCCESS" && (!paid || s.value("amount", int64_t{0}) != row.value("amount", int64_t{-1}) ||
                                    (!receipt.empty() && s.value("mpesaReceiptNumber", "") != receipt))) {
            wrong.push_back(what + " (amount " + std::to_string(row.value("amount", int64_t{0})) + ", receipt " +
                            receipt + ") but the simulator says " + (s.is_object() ? s.dump() : "no such prompt"));
        }
        if (status == "FAILED" && paid) wrong.push_back(what + " but the tenant paid: " + s.dump());
    }
    std::cout << "invariant 3b (settled rows agree with M-Pesa): " << (wrong.empty() ? "ok" : "FAILED") << std::endl;
    EXPECT_TRUE(wrong.empty()) << "invariant 3: rows settled against the evidence; " << SeedNote() << Join(wrong);

    // ---- Invariant 2: no duplicate payments, read from the database file once the gateway has stopped.
    gateway->Signal(SIGTERM);
    if (!gateway->Wait(10s)) gateway->KillAndReap();
    gateway.reset();
    std::vector<std::string> duplicates;
    size_t payments = 0;
    {
        sqlite3* db = nullptr;
        const std::string path = (dir_.path() / "haven.db").string();
        ASSERT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
        auto rows_of = [&](const char* sql, const std::string& label) {
            sqlite3_stmt* stmt = nullptr;
            if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) != SQLITE_OK) {
                duplicates.push_back(label + ": query failed: " + sqlite3_errmsg(db));
                return;
            }
            while (sqlite3_step(stmt) == SQLITE_ROW) {
                std::string line = label + ":";
                for (int c = 0; c < sqlite3_column_count(stmt); ++c) {
                    const auto* text = sqlite3_column_text(stmt, c);
                    line += std::string(" ") + sqlite3_column_name(stmt, c) + "=" +
                            (text ? reinterpret_cast<const char*>(text) : "NULL");
                }
                duplicates.push_back(line);
            }
            sqlite3_finalize(stmt);
        };
        rows_of(
            "SELECT mpesa_receipt_number, COUNT(*) AS n FROM payments WHERE mpesa_receipt_number IS NOT NULL "
            "GROUP BY mpesa_receipt_number HAVING COUNT(*) > 1",
            "one receipt on several payments");
        rows_of("SELECT transaction_id, COUNT(*) AS n FROM payments GROUP BY transaction_id HAVING COUNT(*) > 1",
                "several payments for one transaction");
        rows_of(
            "SELECT mpesa_receipt_number, COUNT(*) AS n FROM stk_transactions WHERE mpesa_receipt_number IS NOT "
            "NULL GROUP BY mpesa_receipt_number HAVING COUNT(*) > 1",
            "one receipt on several transactions");
        rows_of(
            "SELECT p.id AS payment, p.transaction_id, s.status FROM payments p JOIN stk_transactions s ON "
            "s.id = p.transaction_id WHERE s.status <> 'SUCCESS'",
            "a payment for a transaction that is not SUCCESS");
        rows_of(
            "SELECT p.id AS payment, p.amount, s.amount AS pushed FROM payments p JOIN stk_transactions s ON "
            "s.id = p.transaction_id WHERE p.amount <> s.amount",
            "a payment of another amount than the simulator was asked for (and paid)");
        rows_of(
            "SELECT s.id AS transaction_id FROM stk_transactions s WHERE s.status = 'SUCCESS' AND s.lease_id IS "
            "NOT NULL AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.transaction_id = s.id)",
            "a paid transaction without its payment");
        sqlite3_stmt* stmt = nullptr;
        if (sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM payments", -1, &stmt, nullptr) == SQLITE_OK &&
            sqlite3_step(stmt) == SQLITE_ROW) {
            payments = static_cast<size_t>(sqlite3_column_int64(stmt, 0));
        }
        sqlite3_finalize(stmt);
        sqlite3_close(db);
    }
    std::cout << "invariant 2 (no duplicate payments): " << (duplicates.empty() ? "ok" : "FAILED") << " (" << payments
              << " payments)" << std::endl;
    EXPECT_TRUE(duplicates.empty()) << "invariant 2: duplicate or inconsistent payments; " << SeedNote()
                                    << Join(duplicates);

    sim.Signal(SIGTERM);
    if (!sim.Wait(5s)) sim.KillAndReap();
    std::cout << "done in " << std::setprecision(1) << SecondsSince(test_start) << " s; " << SeedNote() << std::endl;
}

}  // namespace
}  // namespace haven::crash

int main(int argc, char** argv) {
    ::testing::InitGoogleTest(&argc, argv);
    if (argc < 2) {
        std::cerr << "usage: crash_test PATH/TO/haven-mpesa  (CRASH_SEED=N replays a run)\n";
        return 2;
    }
    haven::crash::g_binary = std::filesystem::absolute(argv[1]);
    if (const char* seed = std::getenv("CRASH_SEED"); seed && *seed) {
        haven::crash::g_seed = std::strtoull(seed, nullptr, 10);
    } else {
        haven::crash::g_seed =
            static_cast<uint64_t>(std::chrono::system_clock::now().time_since_epoch().count()) % 1000000000ULL;
    }
    std::cout << "crash test " << haven::crash::SeedNote() << std::endl;
    return RUN_ALL_TESTS();
}
