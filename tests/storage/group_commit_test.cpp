// SQLite group commit and durability: a failing request does not fail the others of its batch, and
// every acknowledged write is synced. The syncs are counted for real: this binary defines fsync and
// fdatasync, so the system libsqlite3 calls them (the executable comes first in symbol lookup); they
// count the calls made on our test database's WAL file and then call the C library's own.
#include <dlfcn.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "storage/store.hpp"

namespace {

std::atomic<int> g_wal_syncs{0};
std::atomic<bool> g_counting{false};
char g_wal_path[4096];  // the WAL file to count syncs on

void CountIfWal(int fd) {
    if (!g_counting.load()) return;
    char link[64];
    char target[4096];
    std::snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = ::readlink(link, target, sizeof target - 1);
    if (n <= 0) return;
    target[n] = '\0';
    if (std::strcmp(target, g_wal_path) == 0) g_wal_syncs.fetch_add(1);
}

}  // namespace

extern "C" int fdatasync(int fd) {
    static auto real = reinterpret_cast<int (*)(int)>(::dlsym(RTLD_NEXT, "fdatasync"));
    CountIfWal(fd);
    return real(fd);
}

extern "C" int fsync(int fd) {
    static auto real = reinterpret_cast<int (*)(int)>(::dlsym(RTLD_NEXT, "fsync"));
    CountIfWal(fd);
    return real(fd);
}

namespace haven::storage {
namespace {

using core::ErrorCode;
using core::TxStatus;

class GroupCommit : public ::testing::Test {
  protected:
    void Open(bool group_commit) {
        static std::atomic<int> counter{0};
        dir_ = std::filesystem::temp_directory_path() /
               ("haven-gc-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
        std::filesystem::create_directories(dir_);
        db_path_ = (dir_ / "haven.db").string();
        std::snprintf(g_wal_path, sizeof g_wal_path, "%s-wal", db_path_.c_str());
        auto store = MakeStore("sqlite:" + db_path_, {.group_commit = group_commit});
        ASSERT_TRUE(store) << store.error().message;
        store_ = std::move(*store);
        ASSERT_TRUE(store_->Migrate());
        auto agency = store_->FindOrCreateAgency("Agency A");
        ASSERT_TRUE(agency);
        agency_ = agency->id;
        core::Lease l;
        l.agency_id = agency_;
        l.tenant_name = "Jane Wanjiku";
        l.phone_number = "254708374149";
        l.unit = "B4";
        l.monthly_rent = 25000;
        l.account_reference = "B4-RENT";
        auto lease = store_->InsertLease(l);
        ASSERT_TRUE(lease);
        lease_ = lease->id;
    }

    void TearDown() override {
        g_counting = false;
        store_.reset();
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }

    /// A PENDING transaction Daraja accepted with `checkout_id`.
    void InsertAccepted(const std::string& checkout_id) {
        core::StkTransaction t;
        t.agency_id = agency_;
        t.lease_id = lease_;
        t.phone_number = "254708374149";
        t.amount = 1000;
        t.account_reference = "B4-RENT";
        t.transaction_desc = "Rent";
        auto tx = store_->InsertStk(t, std::nullopt);
        ASSERT_TRUE(tx) << tx.error().message;
        ASSERT_TRUE(store_->SetStkDarajaIds(tx->id, "MR-" + checkout_id, checkout_id));
    }

    static StkOutcome Paid(const std::string& receipt) {
        StkOutcome o;
        o.status = TxStatus::kSuccess;
        o.result_desc = "The service request is processed successfully.";
        o.mpesa_receipt_number = receipt;
        o.transaction_date = "20261128071630";
        return o;
    }

    /// One small committed write (an audit row), as a callback or a login makes.
    Result<void> Write(int i) {
        core::AuditEntry e;
        e.agency_id = agency_;
        e.actor = "daraja";
        e.action = "callback.stk";
        e.target = "transaction:" + std::to_string(i);
        e.outcome = "success";
        return store_->InsertAudit(e);
    }

    /// Runs `writes` audit writes from `threads` threads started together; returns the WAL syncs made.
    int ConcurrentWrites(int threads, int writes) {
        std::atomic<int> next{0};
        std::atomic<int> failed{0};
        std::atomic<int> ready{0};
        std::atomic<bool> go{false};
        g_wal_syncs = 0;
        g_counting = true;
        std::vector<std::thread> pool;
        for (int t = 0; t < threads; ++t) {
            pool.emplace_back([&] {
                ready.fetch_add(1);
                while (!go.load()) std::this_thread::yield();
                for (int i = next.fetch_add(1); i < writes; i = next.fetch_add(1)) {
                    if (!Write(i)) failed.fetch_add(1);
                }
            });
        }
        while (ready.load() < threads) std::this_thread::yield();
        go = true;
        for (auto& th : pool) th.join();
        g_counting = false;
        EXPECT_EQ(failed.load(), 0);
        EXPECT_EQ(store_->CountAudit("callback.stk", "success").value_or(-1), writes);
        return g_wal_syncs.load();
    }

    std::filesystem::path dir_;
    std::string db_path_;
    std::unique_ptr<Store> store_;
    int64_t agency_ = 0;
    int64_t lease_ = 0;
};

// 20 callbacks settle concurrently while another connection holds the write lock, so they queue up
// and commit together; one carries a receipt that already settled another payment. Exactly that one
// gets kConflict; the 19 others are settled, with their payments, once their calls return.
TEST_F(GroupCommit, OneFailingRequestDoesNotFailItsBatch) {
    Open(true);
    InsertAccepted("ws_CO_settled");
    ASSERT_TRUE(store_->ApplyStkOutcome("ws_CO_settled", Paid("RCPTDUP000")));
    constexpr int kCalls = 20;
    constexpr int kDuplicate = 7;
    for (int i = 0; i < kCalls; ++i) InsertAccepted("ws_CO_" + std::to_string(i));

    sqlite3* other = nullptr;
    ASSERT_EQ(sqlite3_open(db_path_.c_str(), &other), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);

    g_wal_syncs = 0;
    g_counting = true;
    std::vector<Result<ApplyResult>> results(kCalls, core::Fail(ErrorCode::kInternal, "not run"));
    std::atomic<int> started{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < kCalls; ++i) {
        threads.emplace_back([&, i] {
            started.fetch_add(1);
            const std::string receipt = i == kDuplicate ? "RCPTDUP000" : "RCPT" + std::to_string(100000 + i);
            results[i] = store_->ApplyStkOutcome("ws_CO_" + std::to_string(i), Paid(receipt));
        });
    }
    while (started.load() < kCalls) std::this_thread::yield();
    ASSERT_EQ(sqlite3_exec(other, "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(other);
    for (auto& t : threads) t.join();
    g_counting = false;

    for (int i = 0; i < kCalls; ++i) {
        if (i == kDuplicate) {
            ASSERT_FALSE(results[i]);
            EXPECT_EQ(results[i].error().code, ErrorCode::kConflict);
            EXPECT_EQ(store_->FindStkByCheckoutIdAnyAgency("ws_CO_" + std::to_string(i))->status, TxStatus::kPending);
        } else {
            ASSERT_TRUE(results[i]) << i << ": " << results[i].error().message;
            EXPECT_TRUE(results[i]->applied);
            EXPECT_TRUE(results[i]->payment);
            EXPECT_EQ(store_->FindStkByCheckoutIdAnyAgency("ws_CO_" + std::to_string(i))->status, TxStatus::kSuccess);
        }
    }
    EXPECT_EQ(store_->ListPayments(agency_, lease_)->size(), size_t{kCalls});  // 19 + the one settled before
    // They shared commits: far fewer WAL syncs than calls.
    EXPECT_LT(g_wal_syncs.load(), kCalls / 2);
}

// A settlement is several statements (the row, its payment); when the payment insert fails, the row
// update is undone too (its savepoint), and the writer goes on with the next request.
TEST_F(GroupCommit, AFailedRequestLeavesNothingBehind) {
    Open(true);
    InsertAccepted("ws_CO_a");
    InsertAccepted("ws_CO_b");
    ASSERT_TRUE(store_->ApplyStkOutcome("ws_CO_a", Paid("RCPTSAME01")));
    auto dup = store_->ApplyStkOutcome("ws_CO_b", Paid("RCPTSAME01"));
    ASSERT_FALSE(dup);
    EXPECT_EQ(dup.error().code, ErrorCode::kConflict);
    EXPECT_EQ(store_->FindStkByCheckoutIdAnyAgency("ws_CO_b")->status, TxStatus::kPending);
    EXPECT_EQ(store_->ListPayments(agency_, lease_)->size(), 1u);
    auto next = store_->ApplyStkOutcome("ws_CO_b", Paid("RCPTSAME02"));
    ASSERT_TRUE(next) << next.error().message;
    EXPECT_EQ(store_->ListPayments(agency_, lease_)->size(), 2u);
}

// Requests one at a time: each is synced before it returns (at least one WAL sync per commit).
TEST_F(GroupCommit, EachSequentialWriteIsSynced) {
    Open(true);
    constexpr int kWrites = 30;
    g_wal_syncs = 0;
    g_counting = true;
    for (int i = 0; i < kWrites; ++i) {
        const int before = g_wal_syncs.load();
        ASSERT_TRUE(Write(i));
        EXPECT_GE(g_wal_syncs.load(), before + 1) << "write " << i << " returned before its WAL was synced";
    }
    g_counting = false;
    std::printf("[ measured ] sequential, group commit: %d WAL syncs for %d writes\n", g_wal_syncs.load(), kWrites);
}

// 200 concurrent writes share commits: far fewer WAL syncs than writes.
TEST_F(GroupCommit, ConcurrentWritesShareSyncs) {
    Open(true);
    constexpr int kWrites = 200;
    const int syncs = ConcurrentWrites(64, kWrites);
    std::printf("[ measured ] 64 threads, group commit: %d WAL syncs for %d writes\n", syncs, kWrites);
    EXPECT_GE(syncs, 1);
    EXPECT_LT(syncs, kWrites / 2);
}

// DB_GROUP_COMMIT=0, the benchmark's baseline: every write is its own transaction and its own sync.
TEST_F(GroupCommit, WithoutBatchingEachWriteIsSynced) {
    Open(false);
    constexpr int kWrites = 200;
    const int syncs = ConcurrentWrites(64, kWrites);
    std::printf("[ measured ] 64 threads, no group commit: %d WAL syncs for %d writes\n", syncs, kWrites);
    EXPECT_GE(syncs, kWrites);
}

}  // namespace
}  // namespace haven::storage
