// Durability gates of the acknowledged path (issue 9), against the real gateway binary on SQLite on disk:
//   1. a callback acknowledged with a 2xx survives a kill -9 sent the moment the 2xx arrives (the order:
//      commit, then answer);
//   2. the gateway's own syncs of its WAL, counted by a preloaded shim (wal_sync_counter.cpp): at least one
//      per callback when they come one at a time, far fewer than one per callback from 64 clients at once
//      (group commit);
//   3. in concurrent batches, refused callbacks (a fractional Amount) are kept for review while the others
//      settle: each gets its own outcome.
// Pending pushes are written with the store library before the gateway starts (one unit of work), so
// no Daraja is involved: the test plays Daraja's callbacks.
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "net/http_client.hpp"
#include "net/runtime.hpp"
#include "process.hpp"
#include "seed.hpp"
#include "storage/store.hpp"

namespace haven::crash {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

std::filesystem::path g_binary;
std::filesystem::path g_shim;
constexpr const char* kSecret = "durable-test-callback-secret-0123456789";
constexpr int64_t kAmount = 1500;

/// Daraja's callback for a push: paid with `receipt`, or (fractional) with an Amount that fails our checks.
json CallbackBody(const std::string& checkout_id, const std::string& receipt, bool fractional = false) {
    return {{"Body",
             {{"stkCallback",
               {{"MerchantRequestID", "MR-" + checkout_id},
                {"CheckoutRequestID", checkout_id},
                {"ResultCode", 0},
                {"ResultDesc", "The service request is processed successfully."},
                {"CallbackMetadata",
                 {{"Item",
                   {{{"Name", "Amount"}, {"Value", fractional ? json(1500.5) : json(kAmount)}},
                    {{"Name", "MpesaReceiptNumber"}, {"Value", receipt}},
                    {{"Name", "TransactionDate"}, {"Value", 20261201101500}},
                    {{"Name", "PhoneNumber"}, {"Value", 254708374149}}}}}}}}}}};
}

struct Row {
    std::string status;
    std::string receipt;
    int64_t open_reviews = 0;
    int64_t payments = 0;
};

class DurableGateway : public ::testing::Test {
  protected:
    void SetUp() override {
        runtime_.Start();
        port_ = FreeLoopbackPort();
        url_ = "http://127.0.0.1:" + std::to_string(port_);
        db_path_ = dir_.path() / "haven.db";
        count_file_ = dir_.path() / "wal-syncs";
    }
    void TearDown() override {
        client_.reset();
        runtime_.Stop();
    }

    std::vector<std::string> Env(bool count_syncs) const {
        std::vector<std::string> env = {
            "PATH=/usr/local/bin:/usr/bin:/bin",
            "MPESA_ENVIRONMENT=sandbox",
            "MPESA_BASE_URL=http://127.0.0.1:9",  // never called: the test plays Daraja's callbacks
            "MPESA_CONSUMER_KEY=durable-key",
            "MPESA_CONSUMER_SECRET=durable-secret",
            "MPESA_SHORTCODE=174379",
            "MPESA_PASSKEY=bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919",
            "MPESA_CALLBACK_URL=" + url_ + "/api/v1/mpesa/callback",
            std::string("MPESA_CALLBACK_SECRET=") + kSecret,
            "JWT_SECRET=durable-test-jwt-secret-0123456789abcdef0123456789",
            "DATABASE_URL=sqlite:" + db_path_.string(),
            "HOST=127.0.0.1",
            "PORT=" + std::to_string(port_),
            "RATE_LIMIT_PER_SECOND=0",
            "RECONCILE_INTERVAL_SECONDS=3600",  // no background writes while syncs are counted
            "RECONCILE_AFTER_SECONDS=3600",
            // DB_GROUP_COMMIT=0 ./durable_test ... runs the baseline (the sync gate then fails, as it should).
            std::string("DB_GROUP_COMMIT=") + (std::getenv("DB_GROUP_COMMIT") ? std::getenv("DB_GROUP_COMMIT") : "1"),
        };
        if (count_syncs) {
            env.push_back("LD_PRELOAD=" + g_shim.string());
            env.push_back("HAVEN_WAL_SYNC_COUNT_FILE=" + count_file_.string());
        }
        return env;
    }

    /// `count` PENDING pushes Daraja accepted, ws_CO_DUR_0 ..., all written in one unit of work.
    void SeedPendingPushes(int count) {
        crash::SeedPendingPushes(db_path_, "Durable Agency", "D2", kAmount, count, CheckoutId);
    }

    static std::string CheckoutId(int i) { return "ws_CO_DUR_" + std::to_string(i); }
    static std::string Receipt(int i) { return "TLD" + std::to_string(1000000 + i); }

    std::unique_ptr<ChildProcess> StartGateway(bool count_syncs, const std::string& log_name) {
        auto log = dir_.path() / log_name;
        auto gw = std::make_unique<ChildProcess>(std::vector<std::string>{g_binary.string(), "serve"}, Env(count_syncs),
                                                 dir_.path(), log);
        const auto until = Clock::now() + 20s;
        while (Clock::now() < until && gw->Running()) {
            if (Send("GET", "/api/v1/health", nullptr, 1s).status == 200) return gw;
            std::this_thread::sleep_for(20ms);
        }
        ADD_FAILURE() << "the gateway did not start\n" << Tail(log, 30);
        return nullptr;
    }

    struct Answer {
        int status = 0;
        json body;
    };
    Answer Send(const std::string& method, const std::string& path, const json& body = nullptr,
                std::chrono::milliseconds timeout = 10s) {
        net::ClientRequest req;
        req.method = method;
        req.url = url_ + path;
        req.timeout = timeout;
        if (!body.is_null()) {
            req.body = body.dump();
            req.headers["Content-Type"] = "application/json";
        }
        auto res = client_->Send(req);
        if (!res) return {};
        return {res->status, json::parse(res->body, nullptr, false)};
    }
    Answer Callback(const json& body) {
        return Send("POST", std::string("/api/v1/mpesa/callback?secret=") + kSecret, body);
    }

    /// Sends callbacks[i] from `clients` threads at once; answers in the same order.
    std::vector<Answer> SendConcurrently(const std::vector<json>& callbacks, int clients) {
        std::vector<Answer> answers(callbacks.size());
        std::atomic<size_t> next{0};
        std::vector<std::thread> threads;
        for (int c = 0; c < clients; ++c) {
            threads.emplace_back([&] {
                for (size_t i = next++; i < callbacks.size(); i = next++) answers[i] = Callback(callbacks[i]);
            });
        }
        for (auto& t : threads) t.join();
        return answers;
    }

    /// The WAL syncs the gateway made so far (the shim's last count).
    int64_t WalSyncs() const {
        std::ifstream in(count_file_);
        int64_t n = 0;
        in >> n;
        return n;
    }

    /// The push's row as the database has it (read with a connection of the test's own).
    Row ReadRow(const std::string& checkout_id) const {
        Row row;
        sqlite3* db = nullptr;
        if (sqlite3_open_v2(db_path_.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
            sqlite3_close(db);
            return row;
        }
        sqlite3_busy_timeout(db, 5000);
        sqlite3_stmt* s = nullptr;
        const char* sql =
            "SELECT t.status, COALESCE(t.mpesa_receipt_number, ''), "
            "(SELECT COUNT(*) FROM review_items r WHERE r.transaction_id = t.id AND r.status = 'open'), "
            "(SELECT COUNT(*) FROM payments p WHERE p.transaction_id = t.id) "
            "FROM stk_transactions t WHERE t.checkout_request_id = ?";
        if (sqlite3_prepare_v2(db, sql, -1, &s, nullptr) == SQLITE_OK) {
            sqlite3_bind_text(s, 1, checkout_id.c_str(), -1, SQLITE_TRANSIENT);
            if (sqlite3_step(s) == SQLITE_ROW) {
                row.status = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
                row.receipt = reinterpret_cast<const char*>(sqlite3_column_text(s, 1));
                row.open_reviews = sqlite3_column_int64(s, 2);
                row.payments = sqlite3_column_int64(s, 3);
            }
        } else {
            ADD_FAILURE() << "query failed: " << sqlite3_errmsg(db);
        }
        sqlite3_finalize(s);
        sqlite3_close(db);
        return row;
    }

    TempDir dir_;
    net::Runtime runtime_{4};
    std::unique_ptr<net::HttpClient> client_ = std::make_unique<net::HttpClient>(runtime_);
    int port_ = 0;
    std::string url_;
    std::filesystem::path db_path_;
    std::filesystem::path count_file_;
};

TEST_F(DurableGateway, AnAcknowledgedCallbackSurvivesKillRightAfterItsAnswer) {
    constexpr int kRounds = 5;
    SeedPendingPushes(kRounds);
    for (int i = 0; i < kRounds; ++i) {
        auto gateway = StartGateway(false, "gateway-" + std::to_string(i) + ".log");
        ASSERT_TRUE(gateway);
        if (i > 0) {
            // The restart on the same database: the push acknowledged before the kill is settled.
            Row before = ReadRow(CheckoutId(i - 1));
            EXPECT_EQ(before.status, "SUCCESS") << "push " << i - 1 << " was acknowledged, then lost by kill -9";
            EXPECT_EQ(before.receipt, Receipt(i - 1));
            EXPECT_EQ(before.payments, 1);
        }
        ASSERT_EQ(ReadRow(CheckoutId(i)).status, "PENDING");
        auto answer = Callback(CallbackBody(CheckoutId(i), Receipt(i)));
        gateway->Signal(SIGKILL);  // the moment the 2xx is in
        ASSERT_EQ(answer.status, 200) << answer.body.dump();
        ASSERT_TRUE(gateway->Wait(10s)) << "the gateway did not die";
    }
    auto gateway = StartGateway(false, "gateway-last.log");
    ASSERT_TRUE(gateway);
    Row last = ReadRow(CheckoutId(kRounds - 1));
    EXPECT_EQ(last.status, "SUCCESS");
    EXPECT_EQ(last.receipt, Receipt(kRounds - 1));
}

TEST_F(DurableGateway, WalSyncsAreOnePerCallbackAloneAndSharedUnderConcurrency) {
    constexpr int kSequential = 40;
    constexpr int kConcurrent = 640;
    constexpr int kClients = 64;
    SeedPendingPushes(kSequential + kConcurrent);
    auto gateway = StartGateway(true, "gateway.log");
    ASSERT_TRUE(gateway);

    const int64_t at_start = WalSyncs();
    for (int i = 0; i < kSequential; ++i) {
        auto answer = Callback(CallbackBody(CheckoutId(i), Receipt(i)));
        ASSERT_EQ(answer.status, 200) << answer.body.dump();
    }
    const int64_t sequential = WalSyncs() - at_start;

    std::vector<json> bodies;
    for (int i = kSequential; i < kSequential + kConcurrent; ++i)
        bodies.push_back(CallbackBody(CheckoutId(i), Receipt(i)));
    const int64_t before_burst = WalSyncs();
    auto answers = SendConcurrently(bodies, kClients);
    const int64_t concurrent = WalSyncs() - before_burst;
    for (size_t i = 0; i < answers.size(); ++i) ASSERT_EQ(answers[i].status, 200) << i << answers[i].body.dump();

    std::cout << "WAL syncs: " << sequential << " for " << kSequential << " callbacks one at a time ("
              << static_cast<double>(sequential) / kSequential << " per callback); " << concurrent << " for "
              << kConcurrent << " callbacks from " << kClients << " clients ("
              << static_cast<double>(concurrent) / kConcurrent << " per callback)" << std::endl;
    EXPECT_GE(sequential, kSequential) << "a callback was acknowledged without its own sync";
    EXPECT_GT(concurrent, 0);
    EXPECT_LT(concurrent * 2, kConcurrent) << "concurrent callbacks did not share their syncs";
    for (int i = 0; i < kSequential + kConcurrent; i += 37) {
        Row row = ReadRow(CheckoutId(i));
        EXPECT_EQ(row.status, "SUCCESS") << i;
        EXPECT_EQ(row.receipt, Receipt(i)) << i;
    }
}

TEST_F(DurableGateway, RefusedCallbacksInABatchLeaveTheOthersSettled) {
    constexpr int kCallbacks = 256;
    SeedPendingPushes(kCallbacks);
    auto gateway = StartGateway(false, "gateway.log");
    ASSERT_TRUE(gateway);
    auto refused = [](int i) { return i % 4 == 1; };
    std::vector<json> bodies;
    for (int i = 0; i < kCallbacks; ++i) bodies.push_back(CallbackBody(CheckoutId(i), Receipt(i), refused(i)));
    auto answers = SendConcurrently(bodies, 64);
    for (int i = 0; i < kCallbacks; ++i) {
        // Both are acknowledged: a refused body is on disk, kept for review; Daraja resending cannot fix it.
        ASSERT_EQ(answers[i].status, 200) << i << answers[i].body.dump();
        EXPECT_EQ(answers[i].body.value("ResultCode", -1), 0) << i;
        Row row = ReadRow(CheckoutId(i));
        if (refused(i)) {
            EXPECT_EQ(row.status, "PENDING") << i;
            EXPECT_EQ(row.receipt, "") << i;
            EXPECT_EQ(row.open_reviews, 1) << i << ": the refused callback has no review item";
            EXPECT_EQ(row.payments, 0) << i;
        } else {
            EXPECT_EQ(row.status, "SUCCESS") << i;
            EXPECT_EQ(row.receipt, Receipt(i)) << i;
            EXPECT_EQ(row.open_reviews, 0) << i;
            EXPECT_EQ(row.payments, 1) << i;
        }
    }
}

}  // namespace
}  // namespace haven::crash

int main(int argc, char** argv) {
    ::testing::InitGoogleTest(&argc, argv);
    if (argc < 3) {
        std::cerr << "usage: durable_test PATH/TO/haven-mpesa PATH/TO/libwal_sync_counter.so\n";
        return 2;
    }
    haven::crash::g_binary = std::filesystem::absolute(argv[1]);
    haven::crash::g_shim = std::filesystem::absolute(argv[2]);
    return RUN_ALL_TESTS();
}
