// `haven-mpesa backup FILE` against the real binary: an online copy of the SQLite database taken while the gateway
// settles a burst of callbacks passes PRAGMA integrity_check, holds every payment acknowledged before the backup
// began (and each settled push with exactly its one payment: a consistent snapshot), and serves as a database for
// `haven-mpesa serve`. Then the refusals: an existing file without --force, the live database itself, PostgreSQL.
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "../crash/process.hpp"
#include "../crash/seed.hpp"
#include "net/http_client.hpp"
#include "net/runtime.hpp"
#include "storage/store.hpp"

namespace haven::ops {
namespace {

using crash::ChildProcess;
using crash::FreeLoopbackPort;
using crash::RunToCompletion;
using crash::Tail;
using crash::TempDir;
using nlohmann::json;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

fs::path g_binary;
constexpr const char* kSecret = "backup-test-callback-secret-0123456789";
constexpr int64_t kAmount = 1500;

std::string CheckoutId(int i) { return "ws_CO_BAK_" + std::to_string(i); }
std::string Receipt(int i) { return "TLB" + std::to_string(1000000 + i); }

json CallbackBody(int i) {
    return {{"Body",
             {{"stkCallback",
               {{"MerchantRequestID", "MR-" + CheckoutId(i)},
                {"CheckoutRequestID", CheckoutId(i)},
                {"ResultCode", 0},
                {"ResultDesc", "The service request is processed successfully."},
                {"CallbackMetadata",
                 {{"Item",
                   {{{"Name", "Amount"}, {"Value", kAmount}},
                    {{"Name", "MpesaReceiptNumber"}, {"Value", Receipt(i)}},
                    {{"Name", "TransactionDate"}, {"Value", 20261201101500}},
                    {{"Name", "PhoneNumber"}, {"Value", 254708374149}}}}}}}}}}};
}

std::string ReadFile(const fs::path& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

/// A read-only connection of the test's own to a database file.
class Db {
  public:
    explicit Db(const fs::path& path) {
        if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
            ADD_FAILURE() << "cannot open " << path << ": " << sqlite3_errmsg(db_);
        }
        sqlite3_busy_timeout(db_, 5000);
    }
    ~Db() { sqlite3_close(db_); }
    /// Column 0 of every row, as text.
    std::vector<std::string> Column(const std::string& sql, const std::string& bind = "") {
        std::vector<std::string> out;
        sqlite3_stmt* s = nullptr;
        if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &s, nullptr) != SQLITE_OK) {
            ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db_);
            return out;
        }
        if (!bind.empty()) sqlite3_bind_text(s, 1, bind.c_str(), -1, SQLITE_TRANSIENT);
        while (sqlite3_step(s) == SQLITE_ROW) {
            auto* text = sqlite3_column_text(s, 0);
            out.emplace_back(text ? reinterpret_cast<const char*>(text) : "");
        }
        sqlite3_finalize(s);
        return out;
    }
    std::string One(const std::string& sql, const std::string& bind = "") {
        auto rows = Column(sql, bind);
        return rows.empty() ? "" : rows.front();
    }

  private:
    sqlite3* db_ = nullptr;
};

class Backup : public ::testing::Test {
  protected:
    void SetUp() override {
        runtime_.Start();
        db_path_ = dir_.path() / "haven.db";
    }
    void TearDown() override {
        client_.reset();
        runtime_.Stop();
    }

    std::vector<std::string> Env(const fs::path& db, int port) const {
        const std::string url = "http://127.0.0.1:" + std::to_string(port);
        return {
            "PATH=/usr/local/bin:/usr/bin:/bin",
            "MPESA_ENVIRONMENT=sandbox",
            "MPESA_BASE_URL=http://127.0.0.1:9",  // never called: the test plays Daraja's callbacks
            "MPESA_CONSUMER_KEY=backup-key",
            "MPESA_CONSUMER_SECRET=backup-secret",
            "MPESA_SHORTCODE=174379",
            "MPESA_PASSKEY=bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919",
            "MPESA_CALLBACK_URL=" + url + "/api/v1/mpesa/callback",
            std::string("MPESA_CALLBACK_SECRET=") + kSecret,
            "JWT_SECRET=backup-test-jwt-secret-0123456789abcdef0123456789",
            "DATABASE_URL=sqlite:" + db.string(),
            "HOST=127.0.0.1",
            "PORT=" + std::to_string(port),
            "RATE_LIMIT_PER_SECOND=0",
            "RECONCILE_INTERVAL_SECONDS=3600",  // the pushes stay PENDING until their callbacks
            "RECONCILE_AFTER_SECONDS=3600",
        };
    }

    /// `count` PENDING pushes Daraja accepted, ws_CO_BAK_0 ..., all written in one unit of work.
    void SeedPendingPushes(int count) {
        crash::SeedPendingPushes(db_path_, "Backup Agency", "B4", kAmount, count, CheckoutId);
    }

    int Get(int port, const std::string& path) {
        net::ClientRequest req;
        req.method = "GET";
        req.url = "http://127.0.0.1:" + std::to_string(port) + path;
        req.timeout = 2s;
        auto res = client_->Send(req);
        return res ? res->status : 0;
    }

    std::unique_ptr<ChildProcess> StartGateway(const fs::path& db, int port, const std::string& log_name) {
        auto log = dir_.path() / log_name;
        auto gw = std::make_unique<ChildProcess>(std::vector<std::string>{g_binary.string(), "serve"}, Env(db, port),
                                                 dir_.path(), log);
        const auto until = Clock::now() + 20s;
        while (Clock::now() < until && gw->Running()) {
            if (Get(port, "/api/v1/health") == 200) return gw;
            std::this_thread::sleep_for(20ms);
        }
        ADD_FAILURE() << "the gateway did not start\n" << Tail(log, 30);
        return nullptr;
    }

    /// Runs `haven-mpesa backup ARGS...` with DATABASE_URL=`database_url`; exit code, output in `output`.
    int RunBackup(const std::vector<std::string>& args, const std::string& database_url, std::string& output) {
        std::vector<std::string> argv{g_binary.string(), "backup"};
        argv.insert(argv.end(), args.begin(), args.end());
        const auto log = dir_.path() / ("backup-" + std::to_string(++backups_) + ".log");
        int code = RunToCompletion(argv, {"PATH=/usr/bin:/bin", "DATABASE_URL=" + database_url}, dir_.path(), log, 60s);
        output = ReadFile(log);
        return code;
    }

    TempDir dir_;
    net::Runtime runtime_{4};
    std::unique_ptr<net::HttpClient> client_ = std::make_unique<net::HttpClient>(runtime_);
    fs::path db_path_;
    int backups_ = 0;
};

TEST_F(Backup, OnlineCopyUnderAWriteBurstHoldsEveryAcknowledgedPaymentAndServes) {
    constexpr int kPushes = 20000;  // more than the burst settles while the backup runs
    constexpr int kClients = 8;
    SeedPendingPushes(kPushes);
    const int port = FreeLoopbackPort();
    auto gateway = StartGateway(db_path_, port, "gateway.log");
    ASSERT_TRUE(gateway);
    const std::string url = "http://127.0.0.1:" + std::to_string(port);

    // The burst: callbacks settle push after push; each 2xx is stamped with the time its answer arrived.
    std::vector<std::optional<Clock::time_point>> acked(kPushes);
    std::atomic<int> next{0};
    std::atomic<int> acked_count{0};
    std::atomic<int> refused{0};
    std::atomic<bool> stop{false};
    std::vector<std::thread> clients;
    for (int c = 0; c < kClients; ++c) {
        clients.emplace_back([&] {
            for (int i = next++; i < kPushes && !stop; i = next++) {
                net::ClientRequest req;
                req.method = "POST";
                req.url = url + "/api/v1/mpesa/callback?secret=" + kSecret;
                req.timeout = 10s;
                req.body = CallbackBody(i).dump();
                req.headers["Content-Type"] = "application/json";
                auto res = client_->Send(req);
                if (res && res->status == 200) {
                    acked[i] = Clock::now();
                    ++acked_count;
                } else {
                    ++refused;
                }
            }
        });
    }
    auto stop_burst = [&] {
        stop = true;
        for (auto& t : clients) t.join();
        clients.clear();
    };
    const auto warm_until = Clock::now() + 20s;
    while (acked_count < 300 && Clock::now() < warm_until) std::this_thread::sleep_for(5ms);
    if (acked_count < 300) {
        stop_burst();
        FAIL() << "the burst did not get going: " << acked_count << " acknowledged\n"
               << Tail(dir_.path() / "gateway.log", 20);
    }

    // Small steps with a pause: the copy takes many steps while the burst goes on writing.
    const fs::path copy = dir_.path() / "backups" / "haven-copy.db";
    fs::create_directories(copy.parent_path());
    const auto backup_began = Clock::now();
    std::string output;
    const int code =
        RunBackup({copy.string(), "--step-pages", "32", "--pause-ms", "5"}, "sqlite:" + db_path_.string(), output);
    const auto backup_ended = Clock::now();
    const bool burst_still_going = next < kPushes;
    stop_burst();
    ASSERT_EQ(code, 0) << "the backup failed (-1: still running after 60 s)\n" << output;
    EXPECT_NE(output.find("quick_check ok"), std::string::npos) << output;
    EXPECT_EQ(refused.load(), 0) << "the gateway refused callbacks while the backup ran";

    std::vector<int> before, during;
    size_t after = 0;
    for (int i = 0; i < kPushes; ++i) {
        if (!acked[i]) continue;
        if (*acked[i] < backup_began) before.push_back(i);
        if (*acked[i] >= backup_began && *acked[i] < backup_ended) during.push_back(i);
        if (*acked[i] >= backup_ended) ++after;
    }
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(backup_ended - backup_began).count();
    std::cout << "backup took " << ms << " ms; " << before.size() << " payments acknowledged before it began, "
              << during.size() << " while it ran\n"
              << output;
    ASSERT_GT(during.size(), 0u) << "no write happened while the backup ran: the test proves nothing";
    // Under steady traffic the copy must end while the writes go on, not only once they stop.
    EXPECT_TRUE(burst_still_going && after > 0)
        << "the backup finished only after the burst had settled all " << kPushes << " pushes";

    Db db(copy);
    EXPECT_EQ(db.One("PRAGMA integrity_check"), "ok");
    EXPECT_EQ(db.One("PRAGMA journal_mode"), "delete") << "the copy should be one self-contained file";
    size_t missing = 0;
    for (int i : before) {
        const std::string row = db.One(
            "SELECT t.status || ' ' || COALESCE(t.mpesa_receipt_number, '') || ' ' || "
            "(SELECT COUNT(*) FROM payments p WHERE p.transaction_id = t.id) "
            "FROM stk_transactions t WHERE t.checkout_request_id = ?",
            CheckoutId(i));
        if (row != "SUCCESS " + Receipt(i) + " 1" && ++missing <= 5) {
            ADD_FAILURE() << CheckoutId(i) << " was acknowledged before the backup began, the copy has: '" << row
                          << "'";
        }
    }
    EXPECT_EQ(missing, 0u) << "of " << before.size() << " acknowledged payments";
    // A snapshot, not a mix: every settled push in the copy has its payment, every payment its settled push.
    EXPECT_EQ(db.One("SELECT COUNT(*) FROM stk_transactions t WHERE t.status = 'SUCCESS' AND "
                     "(SELECT COUNT(*) FROM payments p WHERE p.transaction_id = t.id) <> 1"),
              "0");
    EXPECT_EQ(db.One("SELECT COUNT(*) FROM payments p JOIN stk_transactions t ON t.id = p.transaction_id "
                     "WHERE t.status <> 'SUCCESS'"),
              "0");
    EXPECT_EQ(db.One("SELECT COUNT(*) FROM stk_transactions"), std::to_string(kPushes));

    // The copy is a database the gateway serves from (as after a restore).
    gateway.reset();
    const int copy_port = FreeLoopbackPort();
    auto restored = StartGateway(copy, copy_port, "restored.log");
    ASSERT_TRUE(restored) << "the gateway did not serve from the copy";
}

TEST_F(Backup, RefusesToReplaceAnExistingFileUnlessForced) {
    SeedPendingPushes(3);
    const fs::path dest = dir_.path() / "existing.db";
    std::ofstream(dest) << "yesterday's backup";
    std::string output;
    EXPECT_EQ(RunBackup({dest.string()}, "sqlite:" + db_path_.string(), output), 2) << output;
    EXPECT_NE(output.find("already exists"), std::string::npos) << output;
    EXPECT_NE(output.find("--force"), std::string::npos) << output;
    EXPECT_EQ(ReadFile(dest), "yesterday's backup") << "the existing file was touched";

    EXPECT_EQ(RunBackup({dest.string(), "--force"}, "sqlite:" + db_path_.string(), output), 0) << output;
    Db db(dest);
    EXPECT_EQ(db.One("PRAGMA integrity_check"), "ok");
    EXPECT_EQ(db.One("SELECT COUNT(*) FROM stk_transactions"), "3");
    // No temporary file is left beside it.
    for (const auto& entry : fs::directory_iterator(dir_.path())) {
        EXPECT_EQ(entry.path().filename().string().find(".partial-"), std::string::npos) << entry.path();
    }
}

TEST_F(Backup, NeverWritesOverTheLiveDatabase) {
    SeedPendingPushes(3);
    std::string output;
    EXPECT_EQ(RunBackup({db_path_.string(), "--force"}, "sqlite:" + db_path_.string(), output), 2) << output;
    EXPECT_NE(output.find("live database"), std::string::npos) << output;
    Db db(db_path_);
    EXPECT_EQ(db.One("SELECT COUNT(*) FROM stk_transactions"), "3");
}

TEST_F(Backup, AMissingDatabaseIsAnErrorNotANewEmptyFile) {
    const fs::path missing = dir_.path() / "nowhere.db";
    std::string output;
    EXPECT_EQ(RunBackup({(dir_.path() / "copy.db").string()}, "sqlite:" + missing.string(), output), 2) << output;
    EXPECT_NE(output.find("no SQLite database"), std::string::npos) << output;
    EXPECT_FALSE(fs::exists(missing));
    EXPECT_FALSE(fs::exists(dir_.path() / "copy.db"));
}

TEST_F(Backup, AnInterruptedBackupLeavesNoPartialFile) {
    SeedPendingPushes(2000);
    const fs::path dest_dir = dir_.path() / "backups";
    fs::create_directories(dest_dir);
    const fs::path dest = dest_dir / "copy.db";
    // One page per step and a pause: many seconds, time enough to interrupt it halfway, as Ctrl+C or systemctl stop.
    auto backup = std::make_unique<ChildProcess>(
        std::vector<std::string>{g_binary.string(), "backup", dest.string(), "--step-pages", "1", "--pause-ms", "20"},
        std::vector<std::string>{"PATH=/usr/bin:/bin", "DATABASE_URL=sqlite:" + db_path_.string()}, dir_.path(),
        dir_.path() / "interrupted.log");
    auto partial = [&] {
        for (const auto& entry : fs::directory_iterator(dest_dir)) {
            if (entry.path().filename().string().find(".partial-") != std::string::npos && fs::file_size(entry) > 0) {
                return true;
            }
        }
        return false;
    };
    const auto until = Clock::now() + 20s;
    while (!partial() && backup->Running() && Clock::now() < until) std::this_thread::sleep_for(10ms);
    ASSERT_TRUE(partial()) << "the backup wrote nothing\n" << ReadFile(dir_.path() / "interrupted.log");
    backup->Signal(SIGINT);
    auto status = backup->Wait(10s);
    ASSERT_TRUE(status) << "the backup did not stop on SIGINT";
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 130) << "wait status " << *status;
    EXPECT_NE(ReadFile(dir_.path() / "interrupted.log").find("interrupted"), std::string::npos);
    std::vector<std::string> left;
    for (const auto& entry : fs::directory_iterator(dest_dir)) left.push_back(entry.path().filename().string());
    EXPECT_TRUE(left.empty()) << "left behind: " << ::testing::PrintToString(left);
}

TEST_F(Backup, PostgresIsPointedToItsOwnTools) {
    std::string output;
    const fs::path dest = dir_.path() / "copy.db";
    EXPECT_EQ(RunBackup({dest.string()}, "postgres://haven@127.0.0.1:5432/haven", output), 2) << output;
    EXPECT_NE(output.find("pg_dump"), std::string::npos) << output;
    EXPECT_NE(output.find("pg_basebackup"), std::string::npos) << output;
    EXPECT_FALSE(fs::exists(dest));
}

}  // namespace
}  // namespace haven::ops

int main(int argc, char** argv) {
    ::testing::InitGoogleTest(&argc, argv);
    if (argc < 2) {
        std::cerr << "usage: backup_test PATH/TO/haven-mpesa\n";
        return 2;
    }
    haven::ops::g_binary = std::filesystem::absolute(argv[1]);
    return RUN_ALL_TESTS();
}
