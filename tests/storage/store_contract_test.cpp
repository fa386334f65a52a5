// One contract suite for every Store backend: SQLite always (a temp file per test), PostgreSQL when
// HAVEN_TEST_POSTGRES_URL is set (a fresh schema per test). Without the variable the PostgreSQL
// instantiation is not registered at all, so the test count says what actually ran.
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "fresh_store.hpp"
#include "storage/sql_store.hpp"
#include "storage/store.hpp"

namespace haven::storage {
namespace {

using core::ErrorCode;
using core::TxKind;
using core::TxStatus;
using test::PgExec;
using test::PostgresUrl;
using test::UniqueSuffix;
using test::WithSearchPath;

bool IsIso8601Utc(const std::string& s) {
    static const std::regex kIso(R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$)");
    return std::regex_match(s, kIso);
}

class StoreContract : public test::FreshStoreTest {
  protected:
    void SetUp() override {
        FreshStoreTest::SetUp();
        if (HasFatalFailure()) return;
        auto lease = store_->InsertLease(MakeLease(agency_a_, "254708374149"));
        ASSERT_TRUE(lease) << lease.error().message;
        lease_a_ = lease->id;
    }

    static core::Lease MakeLease(int64_t agency_id, const std::string& phone) {
        core::Lease l;
        l.agency_id = agency_id;
        l.tenant_name = "Jane Wanjiku";
        l.phone_number = phone;
        l.unit = "B4";
        l.monthly_rent = 25000;
        l.account_reference = "B4-RENT";
        return l;
    }

    core::StkTransaction MakeStk(std::optional<int64_t> lease_id, int64_t amount = 1000,
                                 const std::string& phone = "254708374149") {
        core::StkTransaction t;
        t.agency_id = agency_a_;
        t.lease_id = lease_id;
        t.phone_number = phone;
        t.amount = amount;
        t.account_reference = "B4-RENT";
        t.transaction_desc = "Rent";
        return t;
    }

    /// Inserts a PENDING transaction that Daraja accepted with `checkout_id`.
    core::StkTransaction InsertAccepted(const std::string& checkout_id, std::optional<int64_t> lease_id) {
        auto tx = store_->InsertStk(MakeStk(lease_id));
        EXPECT_TRUE(tx) << tx.error().message;
        auto set = store_->SetStkDarajaIds(tx->id, "MR-" + checkout_id, checkout_id);
        EXPECT_TRUE(set) << set.error().message;
        return *set;
    }

    static StkOutcome Success(const std::string& receipt, std::optional<int64_t> paid = std::nullopt) {
        StkOutcome o;
        o.status = TxStatus::kSuccess;
        o.result_code = 0;
        o.result_desc = "The service request is processed successfully.";
        o.mpesa_receipt_number = receipt;
        o.transaction_date = "20261128071630";
        o.paid_amount = paid;
        return o;
    }

    static StkOutcome Failure() {
        StkOutcome o;
        o.status = TxStatus::kFailed;
        o.result_code = 1032;
        o.result_desc = "Request cancelled by user";
        return o;
    }

    int64_t lease_a_ = 0;
};

TEST_P(StoreContract, MigrateTwiceIsNoOp) {
    auto again = store_->Migrate();
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_EQ(*again, 0);

    // A second process opening the same database finds everything applied too.
    store_.reset();
    auto reopened = MakeStore(url_);
    ASSERT_TRUE(reopened) << reopened.error().message;
    auto third = (*reopened)->Migrate();
    ASSERT_TRUE(third);
    EXPECT_EQ(*third, 0);
    auto lease = (*reopened)->FindLease(agency_a_, lease_a_);
    EXPECT_TRUE(lease) << "data survives reopening";
}

TEST_P(StoreContract, AgenciesAreFoundOrCreatedByName) {
    auto again = store_->FindOrCreateAgency("Agency A");
    ASSERT_TRUE(again);
    EXPECT_EQ(again->id, agency_a_);
    auto found = store_->FindAgency(agency_b_);
    ASSERT_TRUE(found);
    EXPECT_EQ(found->name, "Agency B");
    auto missing = store_->FindAgency(987654);
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

TEST_P(StoreContract, UserEmailConflictIsConflict) {
    core::User u;
    u.agency_id = agency_a_;
    u.email = "admin@example.com";
    u.password_hash = "$argon2id$v=19$hash";
    u.role = core::Role::kAdmin;
    auto inserted = store_->InsertUser(u);
    ASSERT_TRUE(inserted) << inserted.error().message;
    EXPECT_GT(inserted->id, 0);
    EXPECT_EQ(inserted->role, core::Role::kAdmin);
    EXPECT_TRUE(IsIso8601Utc(inserted->created_at)) << inserted->created_at;

    u.email = "Admin@Example.com";  // the same address in other case
    u.agency_id = agency_b_;
    auto dup = store_->InsertUser(u);
    ASSERT_FALSE(dup);
    EXPECT_EQ(dup.error().code, ErrorCode::kConflict);

    auto by_email = store_->FindUserByEmail("ADMIN@example.com");
    ASSERT_TRUE(by_email);
    EXPECT_EQ(by_email->id, inserted->id);
    EXPECT_EQ(by_email->password_hash, "$argon2id$v=19$hash");

    auto by_id = store_->FindUserById(inserted->id);
    ASSERT_TRUE(by_id);
    EXPECT_EQ(by_id->email, "admin@example.com");
    EXPECT_EQ(by_id->role, core::Role::kAdmin);

    EXPECT_EQ(store_->FindUserByEmail("nobody@example.com").error().code, ErrorCode::kNotFound);
    EXPECT_EQ(store_->FindUserById(999999).error().code, ErrorCode::kNotFound);
}

TEST_P(StoreContract, AnotherAgencysRecordsAreNotFound) {
    auto lease = store_->FindLease(agency_a_, lease_a_);
    ASSERT_TRUE(lease);
    EXPECT_EQ(lease->monthly_rent, 25000);
    EXPECT_EQ(store_->FindLease(agency_b_, lease_a_).error().code, ErrorCode::kNotFound);

    auto tx = InsertAccepted("ws_CO_scope", lease_a_);
    EXPECT_TRUE(store_->FindStk(agency_a_, tx.id));
    EXPECT_EQ(store_->FindStk(agency_b_, tx.id).error().code, ErrorCode::kNotFound);
    EXPECT_TRUE(store_->FindStkByCheckoutId(agency_a_, "ws_CO_scope"));
    EXPECT_EQ(store_->FindStkByCheckoutId(agency_b_, "ws_CO_scope").error().code, ErrorCode::kNotFound);
    EXPECT_TRUE(store_->FindStkByCheckoutIdAnyAgency("ws_CO_scope"));

    ASSERT_TRUE(store_->ApplyStkOutcome("ws_CO_scope", Success("RKT1")));
    EXPECT_EQ(store_->ListPayments(agency_a_, std::nullopt)->size(), 1u);
    EXPECT_TRUE(store_->ListPayments(agency_b_, std::nullopt)->empty());
    EXPECT_TRUE(store_->ListPayments(agency_b_, lease_a_)->empty());
    EXPECT_EQ(store_->ListLeases(agency_a_)->size(), 1u);
    EXPECT_TRUE(store_->ListLeases(agency_b_)->empty());
    StkFilter filter;
    filter.agency_id = agency_b_;
    EXPECT_TRUE(store_->ListStk(filter)->empty());
}

TEST_P(StoreContract, StkLifecycleFields) {
    auto tx = store_->InsertStk(MakeStk(lease_a_, 1500));
    ASSERT_TRUE(tx) << tx.error().message;
    EXPECT_EQ(tx->status, TxStatus::kPending);
    EXPECT_TRUE(tx->checkout_request_id.empty());
    EXPECT_FALSE(tx->result_code);
    EXPECT_EQ(tx->lease_id, lease_a_);
    EXPECT_FALSE(tx->user_id);
    EXPECT_TRUE(IsIso8601Utc(tx->created_at)) << tx->created_at;
    EXPECT_TRUE(IsIso8601Utc(tx->updated_at)) << tx->updated_at;

    // Two rows still waiting for Daraja may both have no CheckoutRequestID.
    auto other = store_->InsertStk(MakeStk(std::nullopt));
    ASSERT_TRUE(other) << other.error().message;

    auto set = store_->SetStkDarajaIds(tx->id, "29115-34620561-1", "ws_CO_191220191020363925");
    ASSERT_TRUE(set);
    EXPECT_EQ(set->merchant_request_id, "29115-34620561-1");
    EXPECT_EQ(set->checkout_request_id, "ws_CO_191220191020363925");
    auto dup = store_->SetStkDarajaIds(other->id, "x", "ws_CO_191220191020363925");
    ASSERT_FALSE(dup);
    EXPECT_EQ(dup.error().code, ErrorCode::kConflict);
    EXPECT_EQ(store_->SetStkDarajaIds(999999, "x", "y").error().code, ErrorCode::kNotFound);

    auto rejected = store_->MarkStkRejected(other->id, "Invalid PhoneNumber");
    ASSERT_TRUE(rejected);
    EXPECT_EQ(rejected->status, TxStatus::kFailed);
    EXPECT_EQ(rejected->result_desc, "Invalid PhoneNumber");
    auto rejected_again = store_->MarkStkRejected(other->id, "something else");
    ASSERT_TRUE(rejected_again);
    EXPECT_EQ(rejected_again->result_desc, "Invalid PhoneNumber") << "a final row is not rewritten";
    EXPECT_EQ(store_->MarkStkRejected(999999, "x").error().code, ErrorCode::kNotFound);
}

TEST_P(StoreContract, SuccessCreatesExactlyOnePayment) {
    auto tx = InsertAccepted("ws_CO_ok", lease_a_);
    auto applied = store_->ApplyStkOutcome("ws_CO_ok", Success("NLJ7RT61SV"));
    ASSERT_TRUE(applied) << applied.error().message;
    EXPECT_TRUE(applied->applied);
    EXPECT_EQ(applied->transaction.status, TxStatus::kSuccess);
    EXPECT_EQ(applied->transaction.result_code, 0);
    EXPECT_EQ(applied->transaction.mpesa_receipt_number, "NLJ7RT61SV");
    EXPECT_EQ(applied->transaction.transaction_date, "20261128071630");
    ASSERT_TRUE(applied->payment);
    EXPECT_EQ(applied->payment->transaction_id, tx.id);
    EXPECT_EQ(applied->payment->lease_id, lease_a_);
    EXPECT_EQ(applied->payment->agency_id, agency_a_);
    EXPECT_EQ(applied->payment->amount, 1000) << "the transaction amount when M-Pesa gives none";
    EXPECT_EQ(applied->payment->mpesa_receipt_number, "NLJ7RT61SV");
    EXPECT_EQ(applied->payment->phone_number, "254708374149");
    EXPECT_TRUE(IsIso8601Utc(applied->payment->paid_at));

    auto payments = store_->ListPayments(agency_a_, lease_a_);
    ASSERT_TRUE(payments);
    ASSERT_EQ(payments->size(), 1u);
    EXPECT_EQ((*payments)[0].id, applied->payment->id);
}

TEST_P(StoreContract, PaidAmountFromCallbackIsUsed) {
    InsertAccepted("ws_CO_paid", lease_a_);
    auto applied = store_->ApplyStkOutcome("ws_CO_paid", Success("RKT2", 999));
    ASSERT_TRUE(applied && applied->payment);
    EXPECT_EQ(applied->payment->amount, 999);
}

TEST_P(StoreContract, DuplicateApplyChangesNothing) {
    InsertAccepted("ws_CO_dup", lease_a_);
    auto first = store_->ApplyStkOutcome("ws_CO_dup", Success("FIRST1"));
    ASSERT_TRUE(first && first->applied);
    auto second = store_->ApplyStkOutcome("ws_CO_dup", Success("SECOND2", 5));
    ASSERT_TRUE(second) << second.error().message;
    EXPECT_FALSE(second->applied);
    EXPECT_FALSE(second->payment);
    EXPECT_EQ(second->transaction.mpesa_receipt_number, "FIRST1");
    EXPECT_EQ(second->transaction.updated_at, first->transaction.updated_at);
    auto payments = store_->ListPayments(agency_a_, std::nullopt);
    ASSERT_EQ(payments->size(), 1u);
    EXPECT_EQ((*payments)[0].amount, 1000);
}

TEST_P(StoreContract, FailedAfterSuccessDoesNotMoveBack) {
    InsertAccepted("ws_CO_late", lease_a_);
    ASSERT_TRUE(store_->ApplyStkOutcome("ws_CO_late", Success("OK123")));
    auto late = store_->ApplyStkOutcome("ws_CO_late", Failure());
    ASSERT_TRUE(late);
    EXPECT_FALSE(late->applied);
    EXPECT_EQ(late->transaction.status, TxStatus::kSuccess);
    EXPECT_EQ(late->transaction.result_code, 0);
    EXPECT_EQ(store_->FindStkByCheckoutIdAnyAgency("ws_CO_late")->status, TxStatus::kSuccess);
}

TEST_P(StoreContract, LeaseExternalIdsOfAPageComeFromOneLookup) {
    core::Lease synced = MakeLease(agency_a_, "254711000020");
    synced.external_id = "lease-id-here";
    auto created = store_->UpsertLeaseByExternalId(synced);
    ASSERT_TRUE(created) << created.error().message;
    core::Lease theirs = MakeLease(agency_b_, "254711000021");
    theirs.external_id = "theirs-1";
    auto other = store_->UpsertLeaseByExternalId(theirs);
    ASSERT_TRUE(other) << other.error().message;
    // A page names leases many times, some without an external id, another agency's and unknown ones.
    std::vector<int64_t> ids = {created->lease.id, lease_a_, created->lease.id, other->lease.id, 999999};
    for (int i = 0; i < 300; ++i) ids.push_back(lease_a_);  // more than one chunk of the IN list
    ids.push_back(created->lease.id);
    auto found = store_->LeaseExternalIds(agency_a_, ids);
    ASSERT_TRUE(found) << found.error().message;
    ASSERT_EQ(found->size(), 1u);
    EXPECT_EQ(found->at(created->lease.id), "lease-id-here");
    auto none = store_->LeaseExternalIds(agency_a_, {});
    ASSERT_TRUE(none);
    EXPECT_TRUE(none->empty());
}

TEST_P(StoreContract, LeasesSyncByExternalIdOncePerAgency) {
    core::Lease lease = MakeLease(agency_a_, "254711000010");
    lease.external_id = "6571b2c9e4b0a1f2c3d4e5f6";
    auto created = store_->UpsertLeaseByExternalId(lease);
    ASSERT_TRUE(created) << created.error().message;
    EXPECT_TRUE(created->created);
    EXPECT_EQ(created->lease.external_id, lease.external_id);

    lease.monthly_rent = 27500;
    lease.unit = "B7";
    auto updated = store_->UpsertLeaseByExternalId(lease);
    ASSERT_TRUE(updated) << updated.error().message;
    EXPECT_FALSE(updated->created);
    EXPECT_EQ(updated->lease.id, created->lease.id);
    EXPECT_EQ(updated->lease.monthly_rent, 27500);
    EXPECT_EQ(updated->lease.unit, "B7");

    auto found = store_->FindLeaseByExternalId(agency_a_, lease.external_id);
    ASSERT_TRUE(found);
    EXPECT_EQ(found->id, created->lease.id);
    // Another agency may use the same external id for its own lease; it never sees agency A's.
    EXPECT_EQ(store_->FindLeaseByExternalId(agency_b_, lease.external_id).error().code, core::ErrorCode::kNotFound);
    core::Lease other = MakeLease(agency_b_, "254711000011");
    other.external_id = lease.external_id;
    auto theirs = store_->UpsertLeaseByExternalId(other);
    ASSERT_TRUE(theirs);
    EXPECT_TRUE(theirs->created);
    EXPECT_NE(theirs->lease.id, created->lease.id);
    // A plain create with an external id the agency already uses is a conflict, not a second lease.
    auto duplicate = store_->InsertLease(lease);
    ASSERT_FALSE(duplicate);
    EXPECT_EQ(duplicate.error().code, core::ErrorCode::kConflict);
    auto leases = store_->ListLeases(agency_a_);
    ASSERT_TRUE(leases);
    EXPECT_EQ(leases->size(), 2u);  // the fixture's lease and the synced one
}

TEST_P(StoreContract, FailureAndLeaselessSuccessCreateNoPayment) {
    InsertAccepted("ws_CO_fail", lease_a_);
    auto failed = store_->ApplyStkOutcome("ws_CO_fail", Failure());
    ASSERT_TRUE(failed);
    EXPECT_TRUE(failed->applied);
    EXPECT_EQ(failed->transaction.status, TxStatus::kFailed);
    EXPECT_EQ(failed->transaction.result_code, 1032);
    EXPECT_EQ(failed->transaction.result_desc, "Request cancelled by user");
    EXPECT_FALSE(failed->payment);

    InsertAccepted("ws_CO_nolease", std::nullopt);
    auto ok = store_->ApplyStkOutcome("ws_CO_nolease", Success("NOLEASE1"));
    ASSERT_TRUE(ok);
    EXPECT_TRUE(ok->applied);
    EXPECT_FALSE(ok->payment);
    EXPECT_TRUE(store_->ListPayments(agency_a_, std::nullopt)->empty());

    auto unknown = store_->ApplyStkOutcome("ws_CO_nobody", Success("X"));
    ASSERT_FALSE(unknown);
    EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound);
}

TEST_P(StoreContract, ConcurrentDuplicateCallbacksCreateOnePayment) {
    InsertAccepted("ws_CO_race", lease_a_);
    constexpr int kThreads = 20;
    std::atomic<int> applied{0};
    std::atomic<int> payments{0};
    std::atomic<int> errors{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
        threads.emplace_back([&] {
            auto r = store_->ApplyStkOutcome("ws_CO_race", Success("RACE1"));
            if (!r) {
                ++errors;
                return;
            }
            if (r->applied) ++applied;
            if (r->payment) ++payments;
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(errors.load(), 0);
    EXPECT_EQ(applied.load(), 1);
    EXPECT_EQ(payments.load(), 1);
    EXPECT_EQ(store_->ListPayments(agency_a_, lease_a_)->size(), 1u);
}

TEST_P(StoreContract, IdempotencyClaimReplayMismatchInProgress) {
    const std::string scope = "POST /api/v1/mpesa/stk-push";
    auto first = store_->ClaimIdempotencyKey(agency_a_, scope, "key-1", "hash-a");
    ASSERT_TRUE(first) << first.error().message;
    EXPECT_EQ(first->state, IdempotencyState::kNew);

    auto busy = store_->ClaimIdempotencyKey(agency_a_, scope, "key-1", "hash-a");
    ASSERT_TRUE(busy);
    EXPECT_EQ(busy->state, IdempotencyState::kInProgress);

    auto mismatch = store_->ClaimIdempotencyKey(agency_a_, scope, "key-1", "hash-b");
    ASSERT_TRUE(mismatch);
    EXPECT_EQ(mismatch->state, IdempotencyState::kMismatch);

    // Keys are per agency and per scope.
    EXPECT_EQ(store_->ClaimIdempotencyKey(agency_b_, scope, "key-1", "hash-b")->state, IdempotencyState::kNew);
    EXPECT_EQ(store_->ClaimIdempotencyKey(agency_a_, "POST /other", "key-1", "hash-b")->state, IdempotencyState::kNew);

    ASSERT_TRUE(store_->CompleteIdempotencyKey(agency_a_, scope, "key-1", 201, R"({"id":7})"));
    auto replay = store_->ClaimIdempotencyKey(agency_a_, scope, "key-1", "hash-a");
    ASSERT_TRUE(replay);
    EXPECT_EQ(replay->state, IdempotencyState::kReplay);
    EXPECT_EQ(replay->status, 201);
    EXPECT_EQ(replay->body, R"({"id":7})");
    EXPECT_EQ(store_->ClaimIdempotencyKey(agency_a_, scope, "key-1", "hash-b")->state, IdempotencyState::kMismatch);

    EXPECT_EQ(store_->CompleteIdempotencyKey(agency_a_, scope, "missing", 200, "{}").error().code,
              ErrorCode::kNotFound);
}

TEST_P(StoreContract, ConcurrentClaimsHaveOneWinner) {
    std::atomic<int> winners{0};
    std::atomic<int> errors{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 10; ++i) {
        threads.emplace_back([&] {
            auto r = store_->ClaimIdempotencyKey(agency_a_, "scope", "same", "h");
            if (!r) {
                ++errors;
            } else if (r->state == IdempotencyState::kNew) {
                ++winners;
            }
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(errors.load(), 0);
    EXPECT_EQ(winners.load(), 1);
}

TEST_P(StoreContract, ListStkFiltersAndPages) {
    auto lease_b = store_->InsertLease(MakeLease(agency_a_, "254711000002"));
    ASSERT_TRUE(lease_b);
    std::vector<int64_t> ids;
    // Seven rows: created one day apart, alternate leases, two phones.
    for (int i = 0; i < 7; ++i) {
        auto t = MakeStk(i % 2 == 0 ? lease_a_ : lease_b->id, 100 + i, i < 4 ? "254708374149" : "254711000002");
        t.created_at = "2026-11-2" + std::to_string(i) + "T10:00:00Z";
        auto inserted = store_->InsertStk(t);
        ASSERT_TRUE(inserted) << inserted.error().message;
        EXPECT_EQ(inserted->created_at, t.created_at);
        ids.push_back(inserted->id);
        ASSERT_TRUE(store_->SetStkDarajaIds(inserted->id, "MR", "ws_CO_list_" + std::to_string(i)));
    }
    ASSERT_TRUE(store_->ApplyStkOutcome("ws_CO_list_1", Success("L1")));
    ASSERT_TRUE(store_->ApplyStkOutcome("ws_CO_list_4", Failure()));

    auto ids_of = [](const std::vector<core::StkTransaction>& txs) {
        std::vector<int64_t> out;
        for (const auto& t : txs) out.push_back(t.id);
        return out;
    };

    StkFilter all;
    all.agency_id = agency_a_;
    auto listed = store_->ListStk(all);
    ASSERT_TRUE(listed) << listed.error().message;
    EXPECT_EQ(ids_of(*listed), (std::vector<int64_t>{ids[6], ids[5], ids[4], ids[3], ids[2], ids[1], ids[0]}));

    StkFilter pending = all;
    pending.status = TxStatus::kPending;
    EXPECT_EQ(ids_of(*store_->ListStk(pending)), (std::vector<int64_t>{ids[6], ids[5], ids[3], ids[2], ids[0]}));
    StkFilter success = all;
    success.status = TxStatus::kSuccess;
    EXPECT_EQ(ids_of(*store_->ListStk(success)), (std::vector<int64_t>{ids[1]}));

    StkFilter by_lease = all;
    by_lease.lease_id = lease_b->id;
    EXPECT_EQ(ids_of(*store_->ListStk(by_lease)), (std::vector<int64_t>{ids[5], ids[3], ids[1]}));

    StkFilter by_phone = all;
    by_phone.phone_number = "254711000002";
    EXPECT_EQ(ids_of(*store_->ListStk(by_phone)), (std::vector<int64_t>{ids[6], ids[5], ids[4]}));

    StkFilter window = all;
    window.from = "2026-11-22T00:00:00Z";
    window.to = "2026-11-25T10:00:00Z";  // exclusive
    EXPECT_EQ(ids_of(*store_->ListStk(window)), (std::vector<int64_t>{ids[4], ids[3], ids[2]}));

    StkFilter combined = window;
    combined.phone_number = "254708374149";
    combined.status = TxStatus::kPending;
    EXPECT_EQ(ids_of(*store_->ListStk(combined)), (std::vector<int64_t>{ids[3], ids[2]}));

    // Cursor paging: three at a time, newest first, no row twice, none missed.
    StkFilter page = all;
    page.limit = 3;
    std::vector<int64_t> seen;
    for (int guard = 0; guard < 10; ++guard) {
        auto rows = store_->ListStk(page);
        ASSERT_TRUE(rows);
        if (rows->empty()) break;
        EXPECT_LE(rows->size(), 3u);
        for (const auto& r : *rows) seen.push_back(r.id);
        page.before_id = rows->back().id;
    }
    EXPECT_EQ(seen, ids_of(*listed));

    StkFilter tiny = all;
    tiny.limit = 0;  // clamped to 1
    EXPECT_EQ(store_->ListStk(tiny)->size(), 1u);
    StkFilter huge = all;
    huge.limit = 100000;  // clamped to 200
    EXPECT_EQ(store_->ListStk(huge)->size(), 7u);
}

/// A claim made by `owner` at `now` for rows created before `first_due_before`.
Claim ClaimFor(const std::string& owner, const std::string& now, const std::string& first_due_before, int limit = 50) {
    return Claim{owner, now, first_due_before, "2099-01-01T00:00:00Z", limit};
}

std::vector<int64_t> IdsOf(const std::vector<core::StkTransaction>& rows) {
    std::vector<int64_t> out;
    for (const auto& r : rows) out.push_back(r.id);
    return out;
}

TEST_P(StoreContract, ClaimTakesDueRowsOnceUntilTheAttemptIsRecorded) {
    auto old = MakeStk(lease_a_);
    old.created_at = "2026-11-01T00:00:00Z";
    auto a = store_->InsertStk(old);
    old.created_at = "2026-11-02T00:00:00Z";
    auto b = store_->InsertStk(old);
    auto fresh = store_->InsertStk(MakeStk(lease_a_));  // created now: not due yet
    ASSERT_TRUE(a && b && fresh);
    const std::string now = "2026-11-10T00:00:00Z";
    auto claimed = store_->ClaimDueStk(ClaimFor("p1", now, "2026-11-09T00:00:00Z"));
    ASSERT_TRUE(claimed) << claimed.error().message;
    EXPECT_EQ(IdsOf(*claimed), (std::vector<int64_t>{a->id, b->id}));  // oldest due first
    // Held: another process finds nothing.
    EXPECT_TRUE(store_->ClaimDueStk(ClaimFor("p2", now, "2026-11-09T00:00:00Z"))->empty());
    // The attempt is recorded and the claim given back; the row is due again at its next attempt time.
    ASSERT_TRUE(
        store_->RecordAttempt(WorkQueue::kStk, a->id, "p1", "Invalid CheckoutRequestID", "2026-11-10T00:00:30Z"));
    auto row = store_->FindStk(agency_a_, a->id);
    EXPECT_EQ(row->reconciliation.attempts, 1);
    EXPECT_EQ(row->reconciliation.last_error, "Invalid CheckoutRequestID");
    EXPECT_EQ(row->reconciliation.next_attempt_at, "2026-11-10T00:00:30Z");
    EXPECT_TRUE(store_->ClaimDueStk(ClaimFor("p2", now, "2026-11-09T00:00:00Z"))->empty());
    EXPECT_EQ(IdsOf(*store_->ClaimDueStk(ClaimFor("p2", "2026-11-10T00:00:31Z", "2026-11-09T00:00:00Z"))),
              (std::vector<int64_t>{a->id}));
    // Only the holder records an attempt.
    ASSERT_TRUE(store_->RecordAttempt(WorkQueue::kStk, a->id, "p1", "stale", "2026-11-10T00:00:40Z"));
    EXPECT_EQ(store_->FindStk(agency_a_, a->id)->reconciliation.attempts, 1);
}

TEST_P(StoreContract, AClaimRunsOutWhenItsProcessDies) {
    auto old = MakeStk(lease_a_);
    old.created_at = "2026-11-01T00:00:00Z";
    auto a = store_->InsertStk(old);
    ASSERT_TRUE(a);
    Claim dying{"dead", "2026-11-10T00:00:00Z", "2026-11-09T00:00:00Z", "2026-11-10T00:02:00Z", 10};
    ASSERT_EQ(store_->ClaimDueStk(dying)->size(), 1u);
    EXPECT_TRUE(store_->ClaimDueStk(ClaimFor("p2", "2026-11-10T00:01:00Z", "2026-11-09T00:00:00Z"))->empty());
    EXPECT_EQ(store_->ClaimDueStk(ClaimFor("p2", "2026-11-10T00:02:01Z", "2026-11-09T00:00:00Z"))->size(), 1u);
}

// Finding 1: rows that keep failing must not starve newer ones.
TEST_P(StoreContract, FailingRowsNeverStarveNewerOnes) {
    std::vector<int64_t> failing, newer;
    auto row = MakeStk(lease_a_);
    for (int i = 0; i < 60; ++i) {
        row.created_at = i < 50 ? "2026-11-01T00:00:00Z" : "2026-11-05T00:00:00Z";
        auto tx = store_->InsertStk(row);
        ASSERT_TRUE(tx);
        (i < 50 ? failing : newer).push_back(tx->id);
    }
    const std::string first_due = "2026-11-09T00:00:00Z";
    auto first = store_->ClaimDueStk(ClaimFor("p1", "2026-11-10T00:00:00Z", first_due, 50));
    ASSERT_TRUE(first);
    EXPECT_EQ(IdsOf(*first), failing);
    for (int64_t id : failing) {
        ASSERT_TRUE(
            store_->RecordAttempt(WorkQueue::kStk, id, "p1", "Invalid CheckoutRequestID", "2026-11-10T00:00:30Z"));
    }
    auto second = store_->ClaimDueStk(ClaimFor("p1", "2026-11-10T00:00:10Z", first_due, 50));
    ASSERT_TRUE(second);
    EXPECT_EQ(IdsOf(*second), newer);
}

TEST_P(StoreContract, ConcurrentClaimersNeverShareARow) {
    auto row = MakeStk(lease_a_);
    row.created_at = "2026-11-01T00:00:00Z";
    for (int i = 0; i < 40; ++i) ASSERT_TRUE(store_->InsertStk(row));
    std::mutex mu;
    std::vector<int64_t> seen;
    std::atomic<int> errors{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int round = 0; round < 5; ++round) {
                auto got = store_->ClaimDueStk(
                    ClaimFor("p" + std::to_string(t), "2026-11-10T00:00:00Z", "2026-11-09T00:00:00Z", 3));
                if (!got) {
                    ++errors;
                    continue;
                }
                std::lock_guard lock(mu);
                for (const auto& r : *got) seen.push_back(r.id);
            }
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(errors.load(), 0);
    std::sort(seen.begin(), seen.end());
    EXPECT_EQ(std::adjacent_find(seen.begin(), seen.end()), seen.end()) << "a row was claimed twice";
    EXPECT_EQ(seen.size(), 40u);
}

// Finding 2: a receipt settles at most one transaction (a database rule).
TEST_P(StoreContract, AReceiptSettlesOneTransaction) {
    InsertAccepted("ws_CO_r1", lease_a_);
    InsertAccepted("ws_CO_r2", lease_a_);
    ASSERT_TRUE(store_->ApplyStkOutcome("ws_CO_r1", Success("NLJ7RT61SV")));
    auto second = store_->ApplyStkOutcome("ws_CO_r2", Success("NLJ7RT61SV"));
    ASSERT_FALSE(second);
    EXPECT_EQ(second.error().code, ErrorCode::kConflict);
    EXPECT_EQ(store_->FindStkByCheckoutId(agency_a_, "ws_CO_r2")->status, TxStatus::kPending);
    EXPECT_EQ(store_->ListPayments(agency_a_, lease_a_)->size(), 1u);
}

// Finding 2: refunds are capped by what M-Pesa took, not by what was asked.
TEST_P(StoreContract, RefundCapUsesTheAmountPaid) {
    auto tx = InsertAccepted("ws_CO_short", lease_a_);  // asked 1000
    auto applied = store_->ApplyStkOutcome("ws_CO_short", Success("NLJ7RT61SZ", 1));
    ASSERT_TRUE(applied);
    EXPECT_EQ(applied->transaction.paid_amount, 1);
    EXPECT_TRUE(applied->transaction.AmountMismatch());
    EXPECT_EQ(applied->payment->amount, 1);
    Transfer refund;
    refund.agency_id = agency_a_;
    refund.kind = TxKind::kB2c;
    refund.type = "refund";
    refund.command_id = "BusinessPayment";
    refund.phone_number = "254708374149";
    refund.amount = 1000;
    refund.remarks = "refund";
    refund.original_transaction_id = tx.id;
    auto refused = store_->InsertTransfer(refund);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, ErrorCode::kUnprocessable);
    refund.amount = 1;
    EXPECT_TRUE(store_->InsertTransfer(refund));
}

TEST_P(StoreContract, ReviewItemsOpenOnceShowOnTheRowAndResolveOnce) {
    auto tx = InsertAccepted("ws_CO_rev", lease_a_);
    ReviewItem item{.agency_id = agency_a_,
                    .transaction_id = tx.id,
                    .reason_code = "unsettled",
                    .reason = "M-Pesa has not settled this request after 24 h"};
    auto opened = store_->OpenReview(item);
    ASSERT_TRUE(opened) << opened.error().message;
    auto again = store_->OpenReview(item);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->id, opened->id);  // one open item per subject and reason
    EXPECT_EQ(store_->FindStk(agency_a_, tx.id)->review_reason, item.reason);
    StkFilter flagged{.agency_id = agency_a_, .needs_review = true};
    EXPECT_EQ(IdsOf(*store_->ListStk(flagged)), (std::vector<int64_t>{tx.id}));
    EXPECT_EQ(*store_->CountOpenReview(agency_a_, false), 1);
    EXPECT_EQ(*store_->CountOpenReview(agency_b_, false), 0);
    // Another agency cannot see or resolve it.
    EXPECT_TRUE(store_->ListReview({.agency_id = agency_b_})->empty());
    EXPECT_EQ(store_->ResolveReview(agency_b_, false, opened->id, "x", "b@b").error().code, ErrorCode::kNotFound);
    auto resolved = store_->ResolveReview(agency_a_, false, opened->id, "confirmed on the statement", "a@a");
    ASSERT_TRUE(resolved) << resolved.error().message;
    EXPECT_EQ(resolved->status, "resolved");
    EXPECT_EQ(resolved->resolution, "confirmed on the statement");
    EXPECT_EQ(store_->ResolveReview(agency_a_, false, opened->id, "again", "a@a").error().code, ErrorCode::kConflict);
    EXPECT_EQ(store_->FindStk(agency_a_, tx.id)->review_reason, "");
    EXPECT_TRUE(store_->ListStk(flagged)->empty());
    // The same finding again (the next reconciler pass) does not reopen what a person resolved.
    auto reopened = store_->OpenReview(item);
    ASSERT_TRUE(reopened);
    EXPECT_EQ(reopened->id, opened->id);
    EXPECT_EQ(reopened->status, "resolved");
    EXPECT_EQ(*store_->CountOpenReview(agency_a_, false), 0);
    // Another reason about the same transaction is a new item.
    EXPECT_NE(store_
                  ->OpenReview({.agency_id = agency_a_,
                                .transaction_id = tx.id,
                                .reason_code = "amount_mismatch",
                                .reason = "paid 1 of 1000"})
                  ->id,
              opened->id);
    // Unassigned items (no agency) are listed only when asked for.
    ASSERT_TRUE(store_->OpenReview({.inbound_id = 7, .reason_code = "callback_rejected", .reason = "bad body"}));
    EXPECT_EQ(*store_->CountOpenReview(agency_a_, false), 1);
    EXPECT_EQ(*store_->CountOpenReview(agency_a_, true), 2);
}

// Finding 3: an idempotency claim runs out; the retry answers from the row the first request wrote.
TEST_P(StoreContract, ExpiredIdempotencyClaimRecoversItsTransaction) {
    const std::string scope = "POST /api/v1/mpesa/stk-push";
    ASSERT_EQ(store_->ClaimIdempotencyKey(agency_a_, scope, "crash-1", "h", 1)->state, IdempotencyState::kNew);
    auto tx = store_->InsertStk(MakeStk(lease_a_), IdempotencyRef{agency_a_, scope, "crash-1"});
    ASSERT_TRUE(tx);
    ASSERT_EQ(store_->ClaimIdempotencyKey(agency_a_, scope, "crash-1", "h", 1)->state, IdempotencyState::kInProgress);
    // Nothing written under this one: after expiry it runs again, once.
    ASSERT_EQ(store_->ClaimIdempotencyKey(agency_a_, scope, "crash-2", "h", 1)->state, IdempotencyState::kNew);
    std::this_thread::sleep_for(std::chrono::milliseconds(2100));  // the claim's second-granular lifetime
    auto recovered = store_->ClaimIdempotencyKey(agency_a_, scope, "crash-1", "h", 1);
    ASSERT_TRUE(recovered);
    EXPECT_EQ(recovered->state, IdempotencyState::kRecovered);
    EXPECT_EQ(recovered->transaction_id, tx->id);
    EXPECT_EQ(store_->ClaimIdempotencyKey(agency_a_, scope, "crash-1", "other", 1)->state, IdempotencyState::kMismatch);
    EXPECT_EQ(store_->ClaimIdempotencyKey(agency_a_, scope, "crash-2", "h", 60)->state, IdempotencyState::kNew);
    EXPECT_EQ(store_->ClaimIdempotencyKey(agency_a_, scope, "crash-2", "h", 60)->state, IdempotencyState::kInProgress);
    EXPECT_EQ(*store_->PruneIdempotencyKeys("2000-01-01T00:00:00Z"), 0);
    EXPECT_EQ(*store_->PruneIdempotencyKeys("2099-01-01T00:00:00Z"), 2);
}

// A request stalled past its claim while a retry took the key over: whichever writes its row second writes
// nothing and is refused as unavailable (retry), so the key names one transaction and the phone is prompted once.
TEST_P(StoreContract, AStalledRequestCannotWriteASecondRowUnderATakenOverKey) {
    const std::string scope = "POST /api/v1/mpesa/stk-push";
    const IdempotencyRef key{agency_a_, scope, "stall-1"};
    StkFilter none;
    none.agency_id = agency_a_;
    const size_t before = store_->ListStk(none)->size();
    ASSERT_EQ(store_->ClaimIdempotencyKey(agency_a_, scope, "stall-1", "h", -5)->state, IdempotencyState::kNew);
    // The first request's claim has run out (it stalled): the retry takes the key over.
    ASSERT_EQ(store_->ClaimIdempotencyKey(agency_a_, scope, "stall-1", "h", 60)->state, IdempotencyState::kNew);
    auto retry = store_->InsertStk(MakeStk(lease_a_), key);
    ASSERT_TRUE(retry);
    auto stalled = store_->InsertStk(MakeStk(lease_a_), key);
    ASSERT_FALSE(stalled);
    EXPECT_EQ(stalled.error().code, core::ErrorCode::kUnavailable);
    StkFilter all;
    all.agency_id = agency_a_;
    EXPECT_EQ(store_->ListStk(all)->size(), before + 1);
}

TEST_P(StoreContract, InboundBodiesAreKeptAsReceived) {
    auto id = store_->StoreInbound("callback.stk", R"({"Body":{"stkCallback":{"ResultCode":"0.4"}}})");
    ASSERT_TRUE(id);
    ASSERT_TRUE(store_->SetInboundOutcome(*id, "rejected: ResultCode is not an integer"));
    auto m = store_->FindInbound(*id);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->body, R"({"Body":{"stkCallback":{"ResultCode":"0.4"}}})");
    EXPECT_EQ(m->outcome, "rejected: ResultCode is not an integer");
}

// Units of work (Store::Atomically): the inbound path stores, applies and records in one commit.
TEST_P(StoreContract, AUnitCommitsAllOfItsWritesOrNone) {
    auto tx = InsertAccepted("ws_CO_unit_all", lease_a_);
    int64_t kept = 0;
    auto ok = store_->Atomically([&](Store& s) -> Result<void> {
        auto id = s.StoreInbound("callback.stk", "{\"kept\":true}");
        if (!id) return core::Fail(id.error());
        kept = *id;
        auto found = s.FindInbound(*id);  // a read inside the unit sees the unit's own write
        if (!found) return core::Fail(found.error());
        auto applied = s.ApplyStkOutcome("ws_CO_unit_all", Success("UNIT0001"));
        if (!applied) return core::Fail(applied.error());
        return s.SetInboundOutcome(*id, "applied");
    });
    ASSERT_TRUE(ok) << ok.error().message;
    EXPECT_EQ(store_->FindInbound(kept)->outcome, "applied");
    EXPECT_EQ(store_->FindStk(agency_a_, tx.id)->status, TxStatus::kSuccess);

    auto tx2 = InsertAccepted("ws_CO_unit_none", lease_a_);
    int64_t dropped = 0;
    auto failed = store_->Atomically([&](Store& s) -> Result<void> {
        auto id = s.StoreInbound("callback.stk", "{\"kept\":false}");
        if (!id) return core::Fail(id.error());
        dropped = *id;
        if (auto r = s.ApplyStkOutcome("ws_CO_unit_none", Success("UNIT0002")); !r) return core::Fail(r.error());
        return core::Fail(ErrorCode::kInternal, "the unit gives up");
    });
    ASSERT_FALSE(failed);
    EXPECT_EQ(failed.error().message, "the unit gives up");
    EXPECT_EQ(store_->FindInbound(dropped).error().code, ErrorCode::kNotFound);
    EXPECT_EQ(store_->FindStk(agency_a_, tx2.id)->status, TxStatus::kPending);
    EXPECT_EQ(store_->ListPayments(agency_a_, lease_a_)->size(), 1u);
}

TEST_P(StoreContract, AFailedCallInsideAUnitUndoesOnlyItsOwnWrites) {
    auto tx = InsertAccepted("ws_CO_unit_inner", lease_a_);
    int64_t kept = 0;
    auto ok = store_->Atomically([&](Store& s) -> Result<void> {
        auto id = s.StoreInbound("callback.stk", "{}");
        if (!id) return core::Fail(id.error());
        kept = *id;
        // A refused statement (no such transaction) leaves the unit usable (PostgreSQL would otherwise
        // abort the whole transaction)...
        EXPECT_EQ(s.AddStkEvent(999999, "callback", "{}").error().code, ErrorCode::kNotFound);
        // ...and a nested unit that fails takes back only its own writes.
        auto inner = s.Atomically([&](Store& in) -> Result<void> {
            if (auto r = in.AddStkEvent(tx.id, "callback", "{\"undone\":true}"); !r) return r;
            if (auto r = in.ApplyStkOutcome("ws_CO_unit_inner", Success("UNIT0003")); !r) return core::Fail(r.error());
            return core::Fail(ErrorCode::kValidation, "refused after writing");
        });
        EXPECT_EQ(inner.error().code, ErrorCode::kValidation);
        if (auto r = s.AddStkEvent(tx.id, "callback", "{\"kept\":true}"); !r) return r;
        return s.SetInboundOutcome(*id, "rejected: refused after writing");
    });
    ASSERT_TRUE(ok) << ok.error().message;
    EXPECT_EQ(store_->FindInbound(kept)->outcome, "rejected: refused after writing");
    auto events = store_->ListStkEvents(tx.id);
    ASSERT_EQ(events->size(), 1u);
    EXPECT_EQ((*events)[0].payload, "{\"kept\":true}");
    EXPECT_EQ(store_->FindStk(agency_a_, tx.id)->status, TxStatus::kPending);
    EXPECT_TRUE(store_->ListPayments(agency_a_, lease_a_)->empty());
}

TEST_P(StoreContract, AsyncUnitsAnswerEachWithItsOwnOutcomeAfterTheCommit) {
    constexpr int kUnits = 24;
    std::vector<core::StkTransaction> txs;
    for (int i = 0; i < kUnits; ++i) txs.push_back(InsertAccepted("ws_CO_async_" + std::to_string(i), lease_a_));
    std::mutex m;
    std::condition_variable cv;
    int answered = 0;
    std::vector<std::optional<Result<void>>> results(kUnits);
    std::vector<std::string> not_visible;
    std::vector<std::thread> callers;
    for (int i = 0; i < kUnits; ++i) {
        callers.emplace_back([&, i] {
            store_->AtomicallyAsync(
                [&, i](Store& s) -> Result<void> {
                    auto r = s.ApplyStkOutcome("ws_CO_async_" + std::to_string(i),
                                               Success("ASYNC" + std::to_string(1000 + i)));
                    if (!r) return core::Fail(r.error());
                    if (i % 3 == 0) return core::Fail(ErrorCode::kValidation, "refused " + std::to_string(i));
                    return {};
                },
                [&, i](Result<void> r) {
                    // Answered only after the commit: another connection already sees the write.
                    auto row = store_->FindStk(agency_a_, txs[i].id);
                    const bool settled = row && row->status == TxStatus::kSuccess;
                    std::lock_guard lock(m);
                    if (r && !settled) not_visible.push_back(std::to_string(i));
                    results[i].emplace(std::move(r));
                    ++answered;
                    cv.notify_all();
                });
        });
    }
    for (auto& t : callers) t.join();
    {
        std::unique_lock lock(m);
        ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(30), [&] { return answered == kUnits; }));
    }
    EXPECT_TRUE(not_visible.empty()) << "answered before their commit: " << not_visible.size();
    for (int i = 0; i < kUnits; ++i) {
        ASSERT_TRUE(results[i]);
        auto row = store_->FindStk(agency_a_, txs[i].id);
        if (i % 3 == 0) {
            ASSERT_FALSE(*results[i]) << i;
            EXPECT_EQ(results[i]->error().message, "refused " + std::to_string(i));
            EXPECT_EQ(row->status, TxStatus::kPending) << i;
        } else {
            EXPECT_TRUE(*results[i]) << i << ": " << results[i]->error().message;
            EXPECT_EQ(row->status, TxStatus::kSuccess) << i;
            EXPECT_EQ(row->mpesa_receipt_number, "ASYNC" + std::to_string(1000 + i));
        }
    }
}

TEST_P(StoreContract, TimelineIsOrdered) {
    auto tx = InsertAccepted("ws_CO_events", lease_a_);
    ASSERT_TRUE(store_->AddStkEvent(tx.id, "request_sent", R"({"Amount":1000})"));
    ASSERT_TRUE(store_->AddStkEvent(tx.id, "daraja_response", R"({"ResponseCode":"0"})"));
    ASSERT_TRUE(store_->AddStkEvent(tx.id, "callback", R"({"ResultCode":0})"));
    auto events = store_->ListStkEvents(tx.id);
    ASSERT_TRUE(events);
    ASSERT_EQ(events->size(), 3u);
    EXPECT_EQ((*events)[0].kind, "request_sent");
    EXPECT_EQ((*events)[1].kind, "daraja_response");
    EXPECT_EQ((*events)[2].kind, "callback");
    EXPECT_EQ((*events)[2].payload, R"({"ResultCode":0})");
    EXPECT_TRUE(IsIso8601Utc((*events)[0].created_at));
    EXPECT_EQ(store_->AddStkEvent(999999, "callback", "{}").error().code, ErrorCode::kNotFound);
}

TEST_P(StoreContract, UnmatchedCallbacksAreKept) {
    ASSERT_TRUE(store_->InsertUnmatchedCallback("stk", "ws_CO_ghost", R"({"Body":{}})"));
    ASSERT_TRUE(store_->InsertUnmatchedCallback("stk", "ws_CO_ghost", R"({"Body":{}})"));
    ASSERT_TRUE(store_->InsertUnmatchedCallback("stk", "ws_CO_other", "{}"));
    EXPECT_EQ(*store_->CountUnmatchedCallbacks("ws_CO_ghost"), 2);
    EXPECT_EQ(*store_->CountUnmatchedCallbacks("ws_CO_other"), 1);
    EXPECT_EQ(*store_->CountUnmatchedCallbacks("ws_CO_none"), 0);
}

TEST_P(StoreContract, AuditInsertAndCount) {
    core::AuditEntry e;
    e.agency_id = agency_a_;
    e.actor = "admin@example.com";
    e.action = "auth.login";
    e.target = "user:1";
    e.request_id = "req-1";
    e.outcome = "success";
    ASSERT_TRUE(store_->InsertAudit(e));
    e.outcome = "denied";
    ASSERT_TRUE(store_->InsertAudit(e));
    e.outcome = "error: 100% broken";
    ASSERT_TRUE(store_->InsertAudit(e));
    core::AuditEntry system;  // no agency, no user
    system.actor = "daraja";
    system.action = "callback.stk";
    system.target = "transaction:1";
    system.request_id = "req-2";
    system.outcome = "success";
    ASSERT_TRUE(store_->InsertAudit(system));

    EXPECT_EQ(*store_->CountAudit("auth.login", ""), 3);
    EXPECT_EQ(*store_->CountAudit("auth.login", "success"), 1);
    EXPECT_EQ(*store_->CountAudit("auth.login", "error"), 1);
    EXPECT_EQ(*store_->CountAudit("auth.login", "error: 100%"), 1);
    EXPECT_EQ(*store_->CountAudit("auth.login", "error: 1_0"), 0) << "LIKE wildcards are literal";
    EXPECT_EQ(*store_->CountAudit("auth.login", "%"), 0) << "LIKE wildcards are literal";
    EXPECT_EQ(*store_->CountAudit("auth.login", "SUCCESS"), 0) << "prefix match is case-sensitive";
    EXPECT_EQ(*store_->CountAudit("callback.stk", "success"), 1);
    EXPECT_EQ(*store_->CountAudit("lease.create", ""), 0);
}

// ---------------------------------------------------------------------------------------------- transfers (B2C,
// reversals)

TEST_P(StoreContract, TransactionIdsAreSharedByEveryKind) {
    auto stk = store_->InsertStk(MakeStk(std::nullopt));
    ASSERT_TRUE(stk) << stk.error().message;
    Transfer t;
    t.agency_id = agency_a_;
    t.kind = TxKind::kB2c;
    t.type = "payout";
    t.command_id = "BusinessPayment";
    t.phone_number = "254708374149";
    t.amount = 100;
    t.remarks = "Caretaker";
    t.originator_conversation_id = "haven-1";
    auto b2c = store_->InsertTransfer(t);
    ASSERT_TRUE(b2c) << b2c.error().message;
    EXPECT_GT(b2c->id, stk->id);
    auto stk2 = store_->InsertStk(MakeStk(std::nullopt));
    ASSERT_TRUE(stk2);
    EXPECT_GT(stk2->id, b2c->id);
    EXPECT_EQ(*store_->FindTransactionKind(agency_a_, stk->id), TxKind::kStk);
    EXPECT_EQ(*store_->FindTransactionKind(agency_a_, b2c->id), TxKind::kB2c);
    EXPECT_EQ(store_->FindTransactionKind(agency_b_, b2c->id).error().code, ErrorCode::kNotFound);
    EXPECT_EQ(store_->FindTransfer(agency_b_, b2c->id).error().code, ErrorCode::kNotFound);
    EXPECT_EQ(store_->FindTransferByConversationId("haven-1")->id, b2c->id);
}

TEST_P(StoreContract, TransferOutcomeAppliesOnce) {
    Transfer t;
    t.agency_id = agency_a_;
    t.kind = TxKind::kB2c;
    t.type = "payout";
    t.command_id = "BusinessPayment";
    t.phone_number = "254708374149";
    t.amount = 100;
    t.remarks = "Caretaker";
    t.originator_conversation_id = "haven-2";
    auto b2c = store_->InsertTransfer(t);
    ASSERT_TRUE(b2c);
    auto ids = store_->SetTransferDarajaIds(b2c->id, "haven-2", "AG_1");
    ASSERT_TRUE(ids);
    EXPECT_EQ(store_->FindTransferByConversationId("AG_1")->id, b2c->id);
    TransferOutcome ok{TxStatus::kSuccess, "0", "done", "TFE8L2M9QX"};
    auto first = store_->ApplyTransferOutcome(b2c->id, ok);
    ASSERT_TRUE(first);
    EXPECT_TRUE(first->applied);
    EXPECT_EQ(first->transfer.mpesa_receipt_number, "TFE8L2M9QX");
    TransferOutcome late{TxStatus::kFailed, "2001", "late", ""};
    auto second = store_->ApplyTransferOutcome(b2c->id, late);
    ASSERT_TRUE(second);
    EXPECT_FALSE(second->applied);
    EXPECT_EQ(second->transfer.status, TxStatus::kSuccess);
    ASSERT_TRUE(store_->AddTransferEvent(b2c->id, "result", "{}"));
    EXPECT_EQ(store_->ListTransferEvents(b2c->id)->size(), 1u);
    TransferFilter f;
    f.agency_id = agency_a_;
    f.kind = TxKind::kB2c;
    EXPECT_EQ(store_->ListTransfers(f)->size(), 1u);
    f.kind = TxKind::kReversal;
    EXPECT_EQ(store_->ListTransfers(f)->size(), 0u);
}

TEST_P(StoreContract, ConcurrentRefundsNeverExceedThePayment) {
    auto paid = InsertAccepted("ws_CO_refund", std::nullopt);
    ASSERT_TRUE(store_->ApplyStkOutcome("ws_CO_refund", Success("NLJ7RT61SX")));
    std::atomic<int> accepted{0}, refused{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 20; ++i) {
        threads.emplace_back([&, i] {
            Transfer t;
            t.agency_id = agency_a_;
            t.kind = TxKind::kB2c;
            t.type = "refund";
            t.command_id = "BusinessPayment";
            t.phone_number = "254708374149";
            t.amount = 300;
            t.remarks = "Refund";
            t.original_transaction_id = paid.id;
            t.originator_conversation_id = "haven-r" + std::to_string(i);
            auto r = store_->InsertTransfer(t);
            if (r)
                ++accepted;
            else if (r.error().code == ErrorCode::kUnprocessable)
                ++refused;
        });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(accepted.load(), 3);  // 3 x 300 <= 1000 < 4 x 300
    EXPECT_EQ(refused.load(), 17);
}

TEST_P(StoreContract, ReversalOnlyOnceAndOnlyOfASuccess) {
    auto paid = InsertAccepted("ws_CO_rev", std::nullopt);
    Transfer r;
    r.agency_id = agency_a_;
    r.kind = TxKind::kReversal;
    r.type = "reversal";
    r.command_id = "TransactionReversal";
    r.phone_number = "254708374149";
    r.amount = 1000;
    r.remarks = "Wrong paybill";
    r.original_transaction_id = paid.id;
    EXPECT_EQ(store_->InsertTransfer(r).error().code, ErrorCode::kUnprocessable) << "still PENDING";
    ASSERT_TRUE(store_->ApplyStkOutcome("ws_CO_rev", Success("NLJ7RT61SY")));
    auto first = store_->InsertTransfer(r);
    ASSERT_TRUE(first) << first.error().message;
    EXPECT_EQ(first->original_receipt, "NLJ7RT61SY");
    EXPECT_EQ(store_->InsertTransfer(r).error().code, ErrorCode::kConflict);
    r.agency_id = agency_b_;
    EXPECT_EQ(store_->InsertTransfer(r).error().code, ErrorCode::kNotFound);
    EXPECT_EQ(store_->ListTransfers({.agency_id = agency_a_})->size(), 1u);
}

TEST_P(StoreContract, LinkedTransferTotalsForAPageInOneCall) {
    // refunds: 300 SUCCESS + 200 PENDING + 100 FAILED -> 500; reversal SUCCESS; reversal still PENDING; nothing.
    auto refunded = InsertAccepted("ws_CO_tot1", std::nullopt);
    auto reversed = InsertAccepted("ws_CO_tot2", std::nullopt);
    auto reversing = InsertAccepted("ws_CO_tot3", std::nullopt);
    auto untouched = InsertAccepted("ws_CO_tot4", std::nullopt);
    for (const char* id : {"ws_CO_tot1", "ws_CO_tot2", "ws_CO_tot3", "ws_CO_tot4"}) {
        ASSERT_TRUE(store_->ApplyStkOutcome(id, Success(std::string("R") + id)));
    }
    auto transfer = [&](TxKind kind, int64_t original_id, int64_t amount) {
        Transfer t;
        t.agency_id = agency_a_;
        t.kind = kind;
        t.type = kind == TxKind::kB2c ? "refund" : "reversal";
        t.command_id = kind == TxKind::kB2c ? "BusinessPayment" : "TransactionReversal";
        t.phone_number = "254708374149";
        t.amount = amount;
        t.remarks = "Refund";
        t.original_transaction_id = original_id;
        auto r = store_->InsertTransfer(t);
        EXPECT_TRUE(r) << r.error().message;
        return r ? r->id : 0;
    };
    const int64_t ok_refund = transfer(TxKind::kB2c, refunded.id, 300);
    transfer(TxKind::kB2c, refunded.id, 200);
    const int64_t failed_refund = transfer(TxKind::kB2c, refunded.id, 100);
    ASSERT_TRUE(store_->ApplyTransferOutcome(ok_refund, {TxStatus::kSuccess, "0", "done", "TFE1"}));
    ASSERT_TRUE(store_->ApplyTransferOutcome(failed_refund, {TxStatus::kFailed, "2001", "wrong", ""}));
    const int64_t reversal = transfer(TxKind::kReversal, reversed.id, 1000);
    ASSERT_TRUE(store_->ApplyTransferOutcome(reversal, {TxStatus::kSuccess, "R000000", "reversed", ""}));
    transfer(TxKind::kReversal, reversing.id, 1000);

    const std::vector<int64_t> ids{untouched.id, refunded.id, reversed.id, reversing.id, refunded.id, 999999};
    auto totals = store_->LinkedTransferTotals(agency_a_, ids);
    ASSERT_TRUE(totals) << totals.error().message;
    ASSERT_EQ(totals->size(), ids.size());
    for (size_t i = 0; i < ids.size(); ++i) EXPECT_EQ((*totals)[i].original_id, ids[i]) << "in the order given";
    EXPECT_EQ((*totals)[0].refunded, 0);
    EXPECT_FALSE((*totals)[0].reversed);
    EXPECT_EQ((*totals)[1].refunded, 500) << "the failed refund counts for nothing, the pending one counts";
    EXPECT_FALSE((*totals)[1].reversed);
    EXPECT_TRUE((*totals)[2].reversed);
    EXPECT_EQ((*totals)[2].refunded, 0) << "a reversal is not a refund";
    EXPECT_FALSE((*totals)[3].reversed) << "a reversal in progress has not reversed anything yet";
    EXPECT_EQ((*totals)[4].refunded, 500) << "a repeated id gets its totals again";
    EXPECT_EQ((*totals)[5].refunded, 0);

    auto other_agency = store_->LinkedTransferTotals(agency_b_, {refunded.id, reversed.id});
    ASSERT_TRUE(other_agency);
    EXPECT_EQ((*other_agency)[0].refunded, 0) << "another agency's money is not reported";
    EXPECT_FALSE((*other_agency)[1].reversed);
    EXPECT_TRUE(store_->LinkedTransferTotals(agency_a_, {})->empty());

    // More ids than one statement takes: split, and the totals still land on the right entries.
    std::vector<int64_t> many;
    for (int64_t i = 0; i < 600; ++i) many.push_back(1000000 + i);
    many[3] = reversed.id;
    many[300] = refunded.id;
    many[599] = refunded.id;
    auto split = store_->LinkedTransferTotals(agency_a_, many);
    ASSERT_TRUE(split) << split.error().message;
    ASSERT_EQ(split->size(), many.size());
    EXPECT_TRUE((*split)[3].reversed);
    EXPECT_EQ((*split)[300].refunded, 500);
    EXPECT_EQ((*split)[599].refunded, 500);
    int64_t others = 0;
    for (size_t i = 0; i < many.size(); ++i) {
        if (i != 3 && i != 300 && i != 599) others += (*split)[i].refunded + ((*split)[i].reversed ? 1 : 0);
    }
    EXPECT_EQ(others, 0);
}

TEST_P(StoreContract, ConcurrentReadsSeeEveryCommittedWrite) {
    // Reads may run on connections other than the writer's (SQLite's reader pool): each thread must read
    // back what it has just written, while other threads write and read at the same time.
    std::atomic<int> mismatches{0}, failures{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 20; ++i) {
        threads.emplace_back([&, i] {
            for (int round = 0; round < 5; ++round) {
                const std::string checkout = "ws_CO_rw_" + std::to_string(i) + "_" + std::to_string(round);
                auto tx = store_->InsertStk(MakeStk(std::nullopt, 100 + i));
                if (!tx) {
                    ++failures;
                    continue;
                }
                auto found = store_->FindStk(agency_a_, tx->id);
                if (!found || found->amount != 100 + i) ++mismatches;
                if (!store_->SetStkDarajaIds(tx->id, "MR-" + checkout, checkout)) ++failures;
                auto by_checkout = store_->FindStkByCheckoutIdAnyAgency(checkout);
                if (!by_checkout || by_checkout->id != tx->id) ++mismatches;
                if (!store_->ApplyStkOutcome(checkout, Success("R" + checkout))) ++failures;
                auto after = store_->FindStk(agency_a_, tx->id);
                if (!after || after->status != TxStatus::kSuccess) ++mismatches;
                StkFilter f;
                f.agency_id = agency_a_;
                f.status = TxStatus::kSuccess;
                f.limit = 1;
                auto newest = store_->ListStk(f);
                if (!newest || newest->empty() || newest->front().id < tx->id) ++mismatches;
            }
        });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(failures.load(), 0);
    EXPECT_EQ(mismatches.load(), 0);
    StkFilter all;
    all.agency_id = agency_a_;
    all.status = TxStatus::kSuccess;
    all.limit = 200;
    EXPECT_EQ(store_->ListStk(all)->size(), 100u);
}

TEST_P(StoreContract, BalanceAndStatusQueriesApplyOnce) {
    BalanceCheck b;
    b.agency_id = agency_a_;
    auto check = store_->InsertBalanceCheck(b);
    ASSERT_TRUE(check) << check.error().message;
    EXPECT_EQ(store_->FindLatestBalanceCheck(agency_a_, true).error().code, ErrorCode::kNotFound);
    ASSERT_TRUE(store_->SetBalanceCheckIds(check->id, "515-1", "AG_bal"));
    QueryOutcome ok{TxStatus::kSuccess, "0", "done", R"([{"name":"Working Account"}])"};
    auto applied = store_->ApplyBalanceOutcome("515-1", ok);
    ASSERT_TRUE(applied);
    EXPECT_TRUE(applied->first);
    EXPECT_FALSE(store_->ApplyBalanceOutcome("AG_bal", ok)->first);
    auto latest = store_->FindLatestBalanceCheck(agency_a_, true);
    ASSERT_TRUE(latest);
    EXPECT_EQ(latest->accounts, R"([{"name":"Working Account"}])");
    EXPECT_EQ(store_->FindLatestBalanceCheck(agency_b_, false).error().code, ErrorCode::kNotFound);

    StatusQuery q;
    q.agency_id = agency_a_;
    q.transaction_id = 42;
    auto query = store_->InsertStatusQuery(q);
    ASSERT_TRUE(query);
    ASSERT_TRUE(store_->SetStatusQueryIds(query->id, "1236-1", "AG_st"));
    QueryOutcome done{TxStatus::kSuccess, "0", "done", "Completed"};
    auto st = store_->ApplyStatusOutcome("AG_st", done);
    ASSERT_TRUE(st);
    EXPECT_TRUE(st->first);
    EXPECT_EQ(st->second.transaction_status, "Completed");
    EXPECT_FALSE(store_->ApplyStatusOutcome("AG_st", done)->first);
}

// ---------------------------------------------------------------------------------------------- login throttling

TEST_P(StoreContract, LoginFailuresCountPerEmailAndAddress) {
    constexpr int64_t kNow = 1'800'000'000'000;
    EXPECT_EQ(store_->FindLoginFailures("admin@a.test", "10.0.0.1")->failures, 0);
    for (int i = 1; i <= 3; ++i) {
        auto f = store_->RecordLoginFailure("admin@a.test", "10.0.0.1", kNow + i, 0);
        ASSERT_TRUE(f) << f.error().message;
        EXPECT_EQ(f->failures, i);
        EXPECT_EQ(f->last_failure_at_ms, kNow + i);
    }
    ASSERT_TRUE(store_->RecordLoginFailure("admin@a.test", "10.0.0.2", kNow, 0));
    auto one = store_->FindLoginFailures("admin@a.test", "10.0.0.1");
    ASSERT_TRUE(one) << one.error().message;
    EXPECT_EQ(one->failures, 3);
    EXPECT_EQ(one->last_failure_at_ms, kNow + 3);
    EXPECT_EQ(store_->FindLoginFailures("admin@a.test", "10.0.0.2")->failures, 1);

    ASSERT_TRUE(store_->ClearLoginFailures("admin@a.test", "10.0.0.1"));
    EXPECT_EQ(store_->FindLoginFailures("admin@a.test", "10.0.0.1")->failures, 0);
    EXPECT_EQ(store_->FindLoginFailures("admin@a.test", "10.0.0.2")->failures, 1);
    // The address's window is not cleared by a success: it counts every account.
    EXPECT_EQ(store_->CountAddressLoginFailures("10.0.0.1", 0)->count, 3);
}

TEST_P(StoreContract, LoginFailuresStartAfreshAfterAQuietPeriod) {
    constexpr int64_t kNow = 1'800'000'000'000;
    ASSERT_TRUE(store_->RecordLoginFailure("a@x.test", "10.0.0.1", kNow, 0));
    ASSERT_TRUE(store_->RecordLoginFailure("a@x.test", "10.0.0.1", kNow + 10, 0));
    // The last failure (kNow + 10) is before forget_before: this one counts as the first.
    auto f = store_->RecordLoginFailure("a@x.test", "10.0.0.1", kNow + 100, kNow + 50);
    ASSERT_TRUE(f) << f.error().message;
    EXPECT_EQ(f->failures, 1);
}

TEST_P(StoreContract, AddressLoginFailuresInAWindow) {
    constexpr int64_t kNow = 1'800'000'000'000;
    ASSERT_TRUE(store_->RecordLoginFailure("a@x.test", "10.0.0.1", kNow, 0));
    ASSERT_TRUE(store_->RecordLoginFailure("b@x.test", "10.0.0.1", kNow + 1000, 0));
    ASSERT_TRUE(store_->RecordLoginFailure("c@x.test", "10.0.0.1", kNow + 2000, 0));
    ASSERT_TRUE(store_->RecordLoginFailure("a@x.test", "10.0.0.2", kNow + 2000, 0));
    auto all = store_->CountAddressLoginFailures("10.0.0.1", kNow - 1);
    ASSERT_TRUE(all) << all.error().message;
    EXPECT_EQ(all->count, 3);
    EXPECT_EQ(all->oldest_at_ms, kNow);
    auto later = store_->CountAddressLoginFailures("10.0.0.1", kNow);  // strictly after
    EXPECT_EQ(later->count, 2);
    EXPECT_EQ(later->oldest_at_ms, kNow + 1000);
    auto none = store_->CountAddressLoginFailures("10.9.9.9", 0);
    EXPECT_EQ(none->count, 0);
    EXPECT_EQ(none->oldest_at_ms, 0);
}

TEST_P(StoreContract, PruneLoginFailuresDeletesOnlyOldRows) {
    constexpr int64_t kNow = 1'800'000'000'000;
    ASSERT_TRUE(store_->RecordLoginFailure("old@x.test", "10.0.0.1", kNow, 0));
    ASSERT_TRUE(store_->RecordLoginFailure("new@x.test", "10.0.0.1", kNow + 5000, 0));
    auto pruned = store_->PruneLoginFailures(kNow + 1, kNow + 1);
    ASSERT_TRUE(pruned) << pruned.error().message;
    EXPECT_EQ(*pruned, 2);  // the old account row and its address row
    EXPECT_EQ(store_->FindLoginFailures("old@x.test", "10.0.0.1")->failures, 0);
    EXPECT_EQ(store_->FindLoginFailures("new@x.test", "10.0.0.1")->failures, 1);
    EXPECT_EQ(store_->CountAddressLoginFailures("10.0.0.1", 0)->count, 1);
}

TEST_P(StoreContract, ConcurrentLoginFailuresEachCountOnce) {
    constexpr int64_t kNow = 1'800'000'000'000;
    constexpr int kThreads = 6;
    constexpr int kEach = 10;
    std::vector<std::thread> threads;
    std::atomic<int> errors{0};
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < kEach; ++i) {
                if (!store_->RecordLoginFailure("admin@a.test", "10.0.0.1", kNow + t * kEach + i, 0)) ++errors;
            }
        });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(errors.load(), 0);
    EXPECT_EQ(store_->FindLoginFailures("admin@a.test", "10.0.0.1")->failures, kThreads * kEach);
    EXPECT_EQ(store_->CountAddressLoginFailures("10.0.0.1", 0)->count, kThreads * kEach);
}

// ---------------------------------------------------------------------------------------------- audit (append-only)

/// Runs one statement on a connection of its own, outside the store; returns the error text or "".
std::string RawExec(const std::string& backend, const std::string& url, const std::string& sql) {
    if (backend == "postgres") return PgExec(url, sql);
    sqlite3* db = nullptr;
    std::string err;
    if (sqlite3_open(url.substr(std::string("sqlite:").size()).c_str(), &db) != SQLITE_OK) {
        err = sqlite3_errmsg(db);
    } else {
        char* msg = nullptr;
        if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &msg) != SQLITE_OK) err = msg ? msg : "failed";
        sqlite3_free(msg);
    }
    sqlite3_close(db);
    return err;
}

core::AuditEntry AuditRow(int64_t agency_id, const std::string& action, const std::string& target) {
    core::AuditEntry e;
    e.agency_id = agency_id;
    e.actor = "admin@example.com";
    e.action = action;
    e.target = target;
    e.request_id = "req-" + action;
    e.outcome = "success";
    return e;
}

TEST_P(StoreContract, TheDatabaseRefusesToChangeOrDeleteAuditRows) {
    ASSERT_TRUE(store_->InsertAudit(AuditRow(agency_a_, "lease.update", "lease:1")));
    const std::string update = RawExec(GetParam(), url_, "UPDATE audit_log SET outcome = 'forged'");
    EXPECT_NE(update.find("append-only"), std::string::npos) << "UPDATE went through: " << update;
    const std::string del = RawExec(GetParam(), url_, "DELETE FROM audit_log");
    EXPECT_NE(del.find("append-only"), std::string::npos) << "DELETE went through: " << del;
    auto rows = store_->ListAudit({.agency_id = agency_a_});
    ASSERT_TRUE(rows) << rows.error().message;
    ASSERT_EQ(rows->size(), 1u);
    EXPECT_EQ(rows->front().entry.outcome, "success");
    // New rows still go in.
    EXPECT_TRUE(store_->InsertAudit(AuditRow(agency_a_, "lease.end", "lease:1")));
}

TEST_P(StoreContract, AuditListFiltersPagesAndKeepsAgenciesApart) {
    auto edit = AuditRow(agency_a_, "lease.update", "lease:1");
    edit.detail = R"({"before":{"unit":"B4"},"after":{"unit":"B5"}})";
    ASSERT_TRUE(store_->InsertAudit(edit));
    ASSERT_TRUE(store_->InsertAudit(AuditRow(agency_a_, "lease.end", "lease:1")));
    ASSERT_TRUE(store_->InsertAudit(AuditRow(agency_a_, "lease_x.update", "lease:2")));
    auto denied = AuditRow(agency_a_, "stk.initiate", "stk");
    denied.outcome = "denied";
    ASSERT_TRUE(store_->InsertAudit(denied));
    ASSERT_TRUE(store_->InsertAudit(AuditRow(agency_b_, "lease.update", "lease:9")));

    auto all = store_->ListAudit({.agency_id = agency_a_});
    ASSERT_TRUE(all) << all.error().message;
    ASSERT_EQ(all->size(), 4u) << "only the agency's own rows";
    EXPECT_GT((*all)[0].id, (*all)[1].id) << "newest first";
    EXPECT_TRUE(IsIso8601Utc((*all)[0].at));

    auto leases = store_->ListAudit({.agency_id = agency_a_, .action_prefix = "lease."});
    ASSERT_EQ(leases->size(), 2u) << "the prefix is literal: lease_x. does not match lease.";
    EXPECT_EQ(leases->back().entry.detail, edit.detail);
    EXPECT_EQ(store_->ListAudit({.agency_id = agency_a_, .action = "lease.end"})->size(), 1u);
    EXPECT_EQ(store_->ListAudit({.agency_id = agency_a_, .target = "lease:2"})->size(), 1u);
    EXPECT_EQ(store_->ListAudit({.agency_id = agency_a_, .outcome_prefix = "denied"})->size(), 1u);
    EXPECT_EQ(store_->ListAudit({.agency_id = agency_a_, .actor = "nobody@example.com"})->size(), 0u);
    EXPECT_EQ(store_->ListAudit({.agency_id = agency_a_, .to = "2000-01-01T00:00:00Z"})->size(), 0u);
    EXPECT_EQ(store_->ListAudit({.agency_id = agency_a_, .from = "2000-01-01T00:00:00Z"})->size(), 4u);

    auto first = store_->ListAudit({.agency_id = agency_a_, .limit = 3});
    ASSERT_EQ(first->size(), 3u);
    auto second = store_->ListAudit({.agency_id = agency_a_, .before_id = first->back().id, .limit = 3});
    ASSERT_EQ(second->size(), 1u);
    EXPECT_EQ(second->front().id, (*all)[3].id);
}

TEST_P(StoreContract, LeaseEditsReturnBeforeAndAfterAndEndOnce) {
    Store::LeaseEdit edit;
    edit.monthly_rent = 27000;
    edit.email = "jane@example.com";
    auto changed = store_->UpdateLease(agency_a_, lease_a_, edit);
    ASSERT_TRUE(changed) << changed.error().message;
    EXPECT_EQ(changed->before.monthly_rent, 25000);
    EXPECT_EQ(changed->after.monthly_rent, 27000);
    EXPECT_EQ(changed->after.email, "jane@example.com");
    EXPECT_EQ(changed->after.unit, "B4") << "fields not named stay as they are";
    EXPECT_EQ(store_->UpdateLease(agency_b_, lease_a_, edit).error().code, ErrorCode::kNotFound);

    auto ended = store_->EndLease(agency_a_, lease_a_, "2026-11-30", "moved out");
    ASSERT_TRUE(ended) << ended.error().message;
    EXPECT_FALSE(ended->before.Ended());
    EXPECT_TRUE(ended->after.Ended());
    EXPECT_EQ(ended->after.end_date, "2026-11-30");
    EXPECT_EQ(ended->after.end_reason, "moved out");
    EXPECT_TRUE(store_->FindLease(agency_a_, lease_a_)->Ended());
    EXPECT_EQ(store_->EndLease(agency_a_, lease_a_, "2026-11-30", "again").error().code, ErrorCode::kConflict);
    EXPECT_EQ(store_->EndLease(agency_b_, lease_a_, "2026-11-30", "x").error().code, ErrorCode::kNotFound);
}

TEST_P(StoreContract, AnAuditRowWrittenInTheUnitOfAnEditGoesWithIt) {
    Store::LeaseEdit edit;
    edit.unit = "C1";
    auto failed = store_->Atomically([&](Store& s) -> Result<void> {
        if (auto r = s.UpdateLease(agency_a_, lease_a_, edit); !r) return core::Fail(r.error());
        if (auto r = s.InsertAudit(AuditRow(agency_a_, "lease.update", "lease:1")); !r) return r;
        return core::Fail(ErrorCode::kInternal, "the unit fails after both writes");
    });
    EXPECT_FALSE(failed);
    EXPECT_EQ(store_->FindLease(agency_a_, lease_a_)->unit, "B4");
    EXPECT_EQ(store_->ListAudit({.agency_id = agency_a_})->size(), 0u) << "no audit row for a change undone";
}

// --- approvals (maker-checker) ---

Approval MakeApproval(int64_t agency_id, int64_t maker, int64_t amount, const std::string& expires_at) {
    Approval a;
    a.agency_id = agency_id;
    a.kind = "b2c";
    a.maker_user_id = maker;
    a.maker_email = "maker@a.test";
    a.amount = amount;
    a.phone_number = "254708374149";
    a.type = "payout";
    a.request = R"({"amount":1})";
    a.expires_at = expires_at;
    return a;
}

constexpr const char* kFarFuture = "2999-01-01T00:00:00Z";

/// A B2C payout of `amount` for the agency, as the B2C use case writes it.
Transfer MakePayout(int64_t agency_id, int64_t amount) {
    Transfer t;
    t.agency_id = agency_id;
    t.kind = TxKind::kB2c;
    t.type = "payout";
    t.command_id = "BusinessPayment";
    t.phone_number = "254708374149";
    t.remarks = "r";
    t.amount = amount;
    return t;
}

TEST_P(StoreContract, AgencySettingsDefaultOffAndRoundTrip) {
    auto s = store_->FindAgencySettings(agency_a_);
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_FALSE(s->approval_threshold);
    EXPECT_FALSE(s->daily_payout_limit);
    EXPECT_EQ(s->approval_expiry_seconds, 86400);
    auto saved = store_->UpdateAgencySettings(agency_a_, {10000, 50000, 90});
    ASSERT_TRUE(saved) << saved.error().message;
    EXPECT_EQ(saved->approval_threshold, 10000);
    EXPECT_EQ(store_->FindAgencySettings(agency_a_)->daily_payout_limit, 50000);
    EXPECT_EQ(store_->FindAgencySettings(agency_a_)->approval_expiry_seconds, 90);
    EXPECT_FALSE(store_->FindAgencySettings(agency_b_)->approval_threshold) << "another agency's settings changed";
    EXPECT_EQ(store_->FindAgencySettings(999999).error().code, ErrorCode::kNotFound);
}

TEST_P(StoreContract, ApprovalIsDecidedOnceAndAgencyScoped) {
    auto a = store_->InsertApproval(MakeApproval(agency_a_, 1, 25000, kFarFuture));
    ASSERT_TRUE(a) << a.error().message;
    EXPECT_EQ(a->status, "pending");
    EXPECT_TRUE(IsIso8601Utc(a->created_at)) << a->created_at;
    EXPECT_EQ(store_->FindApproval(agency_b_, a->id).error().code, ErrorCode::kNotFound);
    EXPECT_EQ(
        store_->DecideApproval(agency_b_, a->id, {"approved", 3, "b@b.test", "", "2026-01-01T00:00:00Z"}).error().code,
        ErrorCode::kNotFound);
    auto first =
        store_->DecideApproval(agency_a_, a->id, {"approved", 2, "checker@a.test", "", "2026-01-01T00:00:00Z"});
    ASSERT_TRUE(first) << first.error().message;
    EXPECT_TRUE(first->first);
    EXPECT_EQ(first->second.status, "approved");
    EXPECT_EQ(first->second.checker_email, "checker@a.test");
    auto second =
        store_->DecideApproval(agency_a_, a->id, {"rejected", 3, "other@a.test", "no", "2026-01-01T00:00:00Z"});
    ASSERT_TRUE(second);
    EXPECT_FALSE(second->first);
    EXPECT_EQ(second->second.status, "approved");
    ASSERT_TRUE(store_->SetApprovalResult(a->id, 42, ""));
    EXPECT_EQ(store_->FindApproval(agency_a_, a->id)->transaction_id, 42);
    ApprovalFilter filter{.agency_id = agency_a_, .status = "approved"};
    EXPECT_EQ(store_->ListApprovals(filter)->size(), 1u);
    filter.status = "pending";
    EXPECT_EQ(store_->ListApprovals(filter)->size(), 0u);
}

TEST_P(StoreContract, ConcurrentDecisionsClaimAnApprovalOnce) {
    for (int round = 0; round < 5; ++round) {
        auto a = store_->InsertApproval(MakeApproval(agency_a_, 1, 1000, kFarFuture));
        ASSERT_TRUE(a);
        std::atomic<int> won{0}, errors{0};
        std::vector<std::thread> threads;
        for (int t = 0; t < 6; ++t) {
            threads.emplace_back([&, t] {
                auto r = store_->DecideApproval(
                    agency_a_, a->id,
                    {t % 2 ? "approved" : "rejected", 10 + t, "x@a.test", "r", "2026-01-01T00:00:00Z"});
                if (!r)
                    ++errors;
                else if (r->first)
                    ++won;
            });
        }
        for (auto& th : threads) th.join();
        EXPECT_EQ(errors.load(), 0);
        EXPECT_EQ(won.load(), 1) << "round " << round;
    }
}

TEST_P(StoreContract, ExpiredApprovalCannotBeDecidedAndIsSweptOnce) {
    auto due = store_->InsertApproval(MakeApproval(agency_a_, 1, 1000, "2026-01-01T00:00:00Z"));
    auto later = store_->InsertApproval(MakeApproval(agency_a_, 1, 1000, kFarFuture));
    ASSERT_TRUE(due && later);
    auto refused = store_->DecideApproval(agency_a_, due->id, {"approved", 2, "c@a.test", "", "2026-01-01T00:00:01Z"});
    ASSERT_TRUE(refused);
    EXPECT_FALSE(refused->first) << "an expired approval was approved";
    auto swept = store_->ExpireDueApprovals("2026-01-01T00:00:01Z", 50);
    ASSERT_TRUE(swept) << swept.error().message;
    ASSERT_EQ(swept->size(), 1u);
    EXPECT_EQ((*swept)[0].id, due->id);
    EXPECT_EQ((*swept)[0].status, "expired");
    EXPECT_EQ(store_->ExpireDueApprovals("2026-01-01T00:00:01Z", 50)->size(), 0u) << "swept twice";
    EXPECT_EQ(store_->FindApproval(agency_a_, later->id)->status, "pending");
}

TEST_P(StoreContract, ConcurrentSweepsExpireEachApprovalOnce) {
    constexpr int kRows = 40;
    for (int i = 0; i < kRows; ++i)
        ASSERT_TRUE(store_->InsertApproval(MakeApproval(agency_a_, 1, 1, "2026-01-01T00:00:00Z")));
    std::atomic<int> expired{0}, errors{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
            for (;;) {
                auto r = store_->ExpireDueApprovals("2026-06-01T00:00:00Z", 3);
                if (!r) {
                    ++errors;
                    return;
                }
                if (r->empty()) return;
                expired += static_cast<int>(r->size());
            }
        });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(errors.load(), 0);
    EXPECT_EQ(expired.load(), kRows);
}

TEST_P(StoreContract, PayoutTotalCountsTodaysPayoutsThatDidNotFailAndPendingApprovals) {
    auto ok = store_->InsertTransfer(MakePayout(agency_a_, 700));
    auto failed = store_->InsertTransfer(MakePayout(agency_a_, 300));
    ASSERT_TRUE(ok && failed);
    ASSERT_TRUE(store_->MarkTransferRejected(failed->id, "refused"));
    ASSERT_TRUE(store_->InsertApproval(MakeApproval(agency_a_, 1, 2000, kFarFuture)));
    ASSERT_TRUE(store_->InsertApproval(MakeApproval(agency_a_, 1, 5000, "2000-01-01T00:00:00Z")));  // expired
    ASSERT_TRUE(store_->InsertApproval(MakeApproval(agency_b_, 1, 9000, kFarFuture)));              // another agency
    const std::string now = NowIso8601();
    auto total = store_->PayoutTotal(agency_a_, "2000-01-01T00:00:00Z", kFarFuture, now);
    ASSERT_TRUE(total) << total.error().message;
    EXPECT_EQ(*total, 700 + 2000);
    EXPECT_EQ(*store_->PayoutTotal(agency_a_, kFarFuture, kFarFuture, now), 2000) << "no payouts in an empty day";
}

TEST_P(StoreContract, PayoutsAtOnceNeverPassTheDailyPayoutLimitTogether) {
    // The limit is held where the payout is written: twelve payouts of 300 racing against a limit of 1,000 (and a
    // held request of 100 racing with them) leave at most 1,000 promised today, whichever order they commit in.
    AgencySettings settings;
    settings.daily_payout_limit = 1000;
    ASSERT_TRUE(store_->UpdateAgencySettings(agency_a_, settings));
    constexpr int kThreads = 12;
    std::atomic<int> paid{0};
    std::atomic<int> refused{0};
    std::atomic<int> other{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
        threads.emplace_back([&, i] {
            core::Result<void> r;
            if (i == 0) {
                auto held = store_->InsertApproval(MakeApproval(agency_a_, 1, 100, kFarFuture));
                if (!held) r = core::Fail(held.error());
            } else {
                auto sent = store_->InsertTransfer(MakePayout(agency_a_, 300));
                if (!sent) r = core::Fail(sent.error());
            }
            if (r) {
                ++paid;
            } else if (r.error().code == ErrorCode::kUnprocessable) {
                ++refused;
                EXPECT_NE(r.error().message.find("daily payout limit of KES 1000"), std::string::npos)
                    << r.error().message;
            } else {
                ++other;
                ADD_FAILURE() << r.error().message;
            }
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(other.load(), 0);
    auto total = store_->PayoutTotal(agency_a_, "2000-01-01T00:00:00Z", kFarFuture, NowIso8601());
    ASSERT_TRUE(total) << total.error().message;
    EXPECT_LE(*total, 1000) << "the limit was passed by payouts written at the same time";
    EXPECT_GE(*total, 900) << "payouts that fit were refused";
    EXPECT_EQ(paid.load() + refused.load(), kThreads);

    // Another agency's limit is its own, and no limit means none.
    EXPECT_TRUE(store_->InsertTransfer(MakePayout(agency_b_, 5000)));
}

// --- api keys ---

ApiKey MakeApiKey(int64_t agency_id, const std::string& name, const std::string& hash) {
    ApiKey k;
    k.agency_id = agency_id;
    k.name = name;
    k.role = core::Role::kManager;
    k.key_hash = hash;
    k.prefix = "hmk_abcdefgh";
    k.created_by = "admin@a.test";
    return k;
}

TEST_P(StoreContract, ApiKeysAreFoundByHashAndListedPerAgency) {
    auto a1 = store_->InsertApiKey(MakeApiKey(agency_a_, "backend", std::string(64, 'a')));
    ASSERT_TRUE(a1) << a1.error().message;
    EXPECT_TRUE(IsIso8601Utc(a1->created_at));
    EXPECT_EQ(a1->role, core::Role::kManager);
    EXPECT_TRUE(a1->last_used_at.empty());
    EXPECT_TRUE(a1->revoked_at.empty());
    ASSERT_TRUE(store_->InsertApiKey(MakeApiKey(agency_a_, "reports", std::string(64, 'b'))));
    ASSERT_TRUE(store_->InsertApiKey(MakeApiKey(agency_b_, "other", std::string(64, 'c'))));

    auto found = store_->FindApiKeyByHash(std::string(64, 'a'));
    ASSERT_TRUE(found) << found.error().message;
    EXPECT_EQ(found->id, a1->id);
    EXPECT_EQ(found->name, "backend");
    EXPECT_EQ(store_->FindApiKeyByHash(std::string(64, 'z')).error().code, ErrorCode::kNotFound);

    auto list = store_->ListApiKeys(agency_a_);
    ASSERT_TRUE(list);
    ASSERT_EQ(list->size(), 2u);
    EXPECT_EQ((*list)[0].name, "reports");  // newest first
    EXPECT_EQ((*list)[1].name, "backend");
}

TEST_P(StoreContract, ApiKeyHashIsUnique) {
    ASSERT_TRUE(store_->InsertApiKey(MakeApiKey(agency_a_, "one", std::string(64, 'd'))));
    auto dup = store_->InsertApiKey(MakeApiKey(agency_b_, "two", std::string(64, 'd')));
    ASSERT_FALSE(dup);
    EXPECT_EQ(dup.error().code, ErrorCode::kConflict);
}

TEST_P(StoreContract, RevokeApiKeyOnlyInItsAgencyAndKeepsTheFirstTime) {
    auto key = store_->InsertApiKey(MakeApiKey(agency_a_, "k", std::string(64, 'e')));
    ASSERT_TRUE(key);
    EXPECT_EQ(store_->RevokeApiKey(agency_b_, key->id).error().code, ErrorCode::kNotFound);
    auto revoked = store_->RevokeApiKey(agency_a_, key->id);
    ASSERT_TRUE(revoked) << revoked.error().message;
    EXPECT_TRUE(IsIso8601Utc(revoked->revoked_at));
    auto again = store_->RevokeApiKey(agency_a_, key->id);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->revoked_at, revoked->revoked_at);
    EXPECT_EQ(store_->FindApiKeyByHash(std::string(64, 'e'))->revoked_at, revoked->revoked_at);
}

TEST_P(StoreContract, TouchApiKeyRecordsLastUse) {
    auto key = store_->InsertApiKey(MakeApiKey(agency_a_, "k", std::string(64, 'f')));
    ASSERT_TRUE(key);
    ASSERT_TRUE(store_->TouchApiKey(key->id, "2026-12-01T10:00:00Z"));
    EXPECT_EQ(store_->FindApiKeyByHash(std::string(64, 'f'))->last_used_at, "2026-12-01T10:00:00Z");
}

TEST_P(StoreContract, AgencyExternalIdIsUniqueAndFindsTheAgency) {
    auto set = store_->SetAgencyExternalId(agency_a_, "65a1b2c3d4e5f6a7b8c9d0e1");
    ASSERT_TRUE(set) << set.error().message;
    EXPECT_EQ(set->external_id, "65a1b2c3d4e5f6a7b8c9d0e1");
    auto found = store_->FindAgencyByExternalId("65a1b2c3d4e5f6a7b8c9d0e1");
    ASSERT_TRUE(found);
    EXPECT_EQ(found->id, agency_a_);
    EXPECT_EQ(found->name, "Agency A");
    auto taken = store_->SetAgencyExternalId(agency_b_, "65a1b2c3d4e5f6a7b8c9d0e1");
    ASSERT_FALSE(taken);
    EXPECT_EQ(taken.error().code, ErrorCode::kConflict);
    // Several agencies may have none.
    ASSERT_TRUE(store_->SetAgencyExternalId(agency_a_, ""));
    ASSERT_TRUE(store_->SetAgencyExternalId(agency_b_, ""));
    EXPECT_EQ(store_->FindAgencyByExternalId("65a1b2c3d4e5f6a7b8c9d0e1").error().code, ErrorCode::kNotFound);
    EXPECT_EQ(store_->SetAgencyExternalId(999999, "x").error().code, ErrorCode::kNotFound);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreContract, ::testing::ValuesIn(test::Backends()),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

TEST(MakeStore, RejectsUnknownScheme) {
    auto store = MakeStore("mysql://localhost/haven");
    ASSERT_FALSE(store);
    EXPECT_EQ(store.error().code, ErrorCode::kValidation);
    EXPECT_NE(store.error().message.find("DATABASE_URL"), std::string::npos);
}

TEST(MakeStore, SqliteInMemoryWorks) {
    auto store = MakeStore("sqlite::memory:");
    ASSERT_TRUE(store) << store.error().message;
    auto migrated = (*store)->Migrate();
    ASSERT_TRUE(migrated) << migrated.error().message;
    EXPECT_GE(*migrated, 1);
    EXPECT_EQ(*(*store)->Migrate(), 0);
    EXPECT_TRUE((*store)->FindOrCreateAgency("Mem"));
}

TEST(MakeStore, UnreachablePostgresFailsCleanly) {
    // Port 1 on loopback: nothing listens there.
    auto store = MakeStore("postgres://haven:secret@127.0.0.1:1/haven");
    ASSERT_FALSE(store);
    // Unavailable, as while a failover runs (a request then answers 503 with Retry-After, not 500).
    EXPECT_EQ(store.error().code, ErrorCode::kUnavailable);
    EXPECT_EQ(store.error().message.find("secret"), std::string::npos);
}

/// PostgreSQL only: the server drops every pooled connection (restart, admin kill); the store reconnects
/// instead of failing the next requests. Registered only when HAVEN_TEST_POSTGRES_URL is set.
class PostgresReconnect : public ::testing::Test {
  public:
    void TestBody() override {
        const std::string schema = "haven_t_" + UniqueSuffix();
        ASSERT_EQ(PgExec(PostgresUrl(), "CREATE SCHEMA " + schema), "");
        // application_name = schema, so only this test's connections are killed.
        auto store = MakeStore(WithSearchPath(PostgresUrl(), schema) + "&application_name=" + schema);
        ASSERT_TRUE(store) << store.error().message;
        ASSERT_TRUE((*store)->Migrate());
        ASSERT_TRUE((*store)->FindOrCreateAgency("Before"));

        ASSERT_EQ(PgExec(PostgresUrl(),
                         "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                         "WHERE application_name = '" +
                             schema + "'"),
                  "");
        // pg_terminate_backend only signals: wait (with a deadline) until the backends are gone.
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (PgCount(PostgresUrl(),
                       "SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = '" + schema + "'") != 0) {
            ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "backends were not terminated";
            std::this_thread::yield();
        }

        auto after = (*store)->FindOrCreateAgency("After");
        EXPECT_TRUE(after) << after.error().message;
        auto before = (*store)->FindOrCreateAgency("Before");
        EXPECT_TRUE(before) << before.error().message;
        store->reset();
        EXPECT_EQ(PgExec(PostgresUrl(), "DROP SCHEMA " + schema + " CASCADE"), "");
    }

  private:
    static int64_t PgCount(const std::string& url, const std::string& sql) {
        PGconn* conn = PQconnectdb(url.c_str());
        int64_t n = -1;
        if (PQstatus(conn) == CONNECTION_OK) {
            PGresult* res = PQexec(conn, sql.c_str());
            if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) n = std::stoll(PQgetvalue(res, 0, 0));
            PQclear(res);
        }
        PQfinish(conn);
        return n;
    }
};

// --- sessions ---
class SessionStore : public StoreContract {
  protected:
    int64_t NewUser(const std::string& email) {
        core::User u;
        u.agency_id = agency_a_;
        u.email = email;
        u.password_hash = "$argon2id$v=19$hash";
        u.role = core::Role::kAdmin;
        auto inserted = store_->InsertUser(u);
        EXPECT_TRUE(inserted) << inserted.error().message;
        return inserted ? inserted->id : 0;
    }
    RefreshToken Token(const std::string& hash, const std::string& family, int64_t user_id, int64_t expires_at) {
        return RefreshToken{hash, family, user_id, 1000, expires_at};
    }
};

TEST_P(SessionStore, RefreshTokenIsSpentOnceAndReuseRevokesItsFamily) {
    const int64_t user = NewUser("s@example.com");
    ASSERT_TRUE(store_->InsertRefreshToken(Token("h1", "fam", user, 100000)));
    ASSERT_TRUE(store_->InsertRefreshToken(Token("other", "fam2", user, 100000)));
    auto first = store_->SpendRefreshToken("h1", 2000);
    ASSERT_TRUE(first) << first.error().message;
    EXPECT_EQ(first->outcome, RefreshSpend::kSpent);
    EXPECT_EQ(first->family_id, "fam");
    EXPECT_EQ(first->user_id, user);
    ASSERT_TRUE(store_->InsertRefreshToken(Token("h2", "fam", user, 100000)));

    auto reused = store_->SpendRefreshToken("h1", 3000);
    ASSERT_TRUE(reused);
    EXPECT_EQ(reused->outcome, RefreshSpend::kReused);
    // h2 was never used, but its family is gone.
    EXPECT_EQ(store_->SpendRefreshToken("h2", 3000)->outcome, RefreshSpend::kRevoked);
    // Another family of the same user is untouched.
    EXPECT_EQ(store_->SpendRefreshToken("other", 3000)->outcome, RefreshSpend::kSpent);
    EXPECT_EQ(store_->SpendRefreshToken("nope", 3000)->outcome, RefreshSpend::kUnknown);
}

TEST_P(SessionStore, ExpiredRefreshTokenIsNotSpentAndIsPruned) {
    const int64_t user = NewUser("e@example.com");
    ASSERT_TRUE(store_->InsertRefreshToken(Token("old", "f", user, 5000)));
    EXPECT_EQ(store_->SpendRefreshToken("old", 5000)->outcome, RefreshSpend::kExpired);
    EXPECT_EQ(*store_->PruneRefreshTokens(5001), 1);
    EXPECT_EQ(store_->SpendRefreshToken("old", 6000)->outcome, RefreshSpend::kUnknown);
}

TEST_P(SessionStore, LogoutRevokesTheFamily) {
    const int64_t user = NewUser("l@example.com");
    ASSERT_TRUE(store_->InsertRefreshToken(Token("a", "f", user, 100000)));
    EXPECT_EQ(*store_->RevokeRefreshFamilyOf("a", 2000), user);
    EXPECT_EQ(store_->SpendRefreshToken("a", 3000)->outcome, RefreshSpend::kRevoked);
    EXPECT_EQ(*store_->RevokeRefreshFamilyOf("unknown", 2000), 0);
}

TEST_P(SessionStore, ConcurrentSpendsHaveOneWinner) {
    const int64_t user = NewUser("c@example.com");
    ASSERT_TRUE(store_->InsertRefreshToken(Token("race", "f", user, 100000)));
    std::atomic<int> spent{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 4; ++i) {
        threads.emplace_back([&] {
            auto r = store_->SpendRefreshToken("race", 2000);
            if (r && r->outcome == RefreshSpend::kSpent) ++spent;
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(spent.load(), 1);
}

TEST_P(SessionStore, TotpEnrolStepsAndRecoveryCodes) {
    const int64_t user = NewUser("t@example.com");
    EXPECT_EQ(store_->FindTotp(user).error().code, ErrorCode::kNotFound);
    ASSERT_TRUE(store_->StartTotp(user, "SECRETA", 1000));
    ASSERT_TRUE(store_->StartTotp(user, "SECRETB", 1000));  // a pending secret is replaced
    EXPECT_EQ(store_->FindTotp(user)->secret, "SECRETB");
    EXPECT_FALSE(store_->FindTotp(user)->enabled);
    ASSERT_TRUE(store_->EnableTotp(user, {"r1", "r2"}));
    EXPECT_TRUE(store_->FindTotp(user)->enabled);
    EXPECT_EQ(store_->StartTotp(user, "SECRETC", 1000).error().code, ErrorCode::kConflict);
    EXPECT_EQ(store_->EnableTotp(user, {}).error().code, ErrorCode::kConflict);

    EXPECT_TRUE(*store_->ClaimTotpStep(user, 100));
    EXPECT_FALSE(*store_->ClaimTotpStep(user, 100));  // the same step twice
    EXPECT_FALSE(*store_->ClaimTotpStep(user, 99));   // an older one
    EXPECT_TRUE(*store_->ClaimTotpStep(user, 101));

    EXPECT_EQ(*store_->CountRecoveryCodes(user), 2);
    EXPECT_TRUE(*store_->UseRecoveryCode(user, "r1", 5));
    EXPECT_FALSE(*store_->UseRecoveryCode(user, "r1", 6));
    EXPECT_FALSE(*store_->UseRecoveryCode(user, "nope", 6));
    EXPECT_EQ(*store_->CountRecoveryCodes(user), 1);

    ASSERT_TRUE(store_->DisableTotp(user));
    EXPECT_EQ(store_->FindTotp(user).error().code, ErrorCode::kNotFound);
    EXPECT_EQ(*store_->CountRecoveryCodes(user), 0);
}

TEST_P(SessionStore, AgencyTwoFactorPolicy) {
    EXPECT_FALSE(*store_->RequireAdminTwoFactor(agency_a_));
    ASSERT_TRUE(store_->SetRequireAdminTwoFactor(agency_a_, true));
    EXPECT_TRUE(*store_->RequireAdminTwoFactor(agency_a_));
    EXPECT_FALSE(*store_->RequireAdminTwoFactor(agency_b_));
    ASSERT_TRUE(store_->SetRequireAdminTwoFactor(agency_a_, false));
    EXPECT_FALSE(*store_->RequireAdminTwoFactor(agency_a_));
}

INSTANTIATE_TEST_SUITE_P(Backends, SessionStore, ::testing::ValuesIn(test::Backends()),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

const bool kPostgresReconnectRegistered = [] {
    if (PostgresUrl().empty()) return false;
    ::testing::RegisterTest("PostgresStore", "ReconnectsAfterServerDropsConnections", nullptr, nullptr, __FILE__,
                            __LINE__, []() -> ::testing::Test* { return new PostgresReconnect; });
    return true;
}();

}  // namespace
}  // namespace haven::storage
