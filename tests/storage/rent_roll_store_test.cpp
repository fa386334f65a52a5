// The rent roll's sums on both backends: STK and C2B payments of a lease by their completion time, the successful
// refunds and reversals of them (failed and pending ones moved no money), each lease's last payment, and nothing of
// another agency's.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>

#include "core/rent_roll.hpp"
#include "fresh_store.hpp"
#include "storage/store.hpp"

namespace haven::storage::test {
namespace {

class RentRollStoreTest : public FreshStoreTest {
  protected:
    /// Runs SQL on the test's database through a connection of its own.
    void Exec(const std::string& sql) {
        if (GetParam() == "sqlite") {
            sqlite3* db = nullptr;
            ASSERT_EQ(sqlite3_open((dir_ / "nested" / "haven.db").string().c_str(), &db), SQLITE_OK);
            sqlite3_busy_timeout(db, 5000);
            char* err = nullptr;
            const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
            EXPECT_EQ(rc, SQLITE_OK) << (err ? err : "") << "\n" << sql;
            sqlite3_free(err);
            sqlite3_close(db);
        } else {
            ASSERT_EQ(PgExec(url_, sql), "") << sql;
        }
    }

    int64_t Lease(int64_t agency_id, const std::string& unit) {
        core::Lease l;
        l.agency_id = agency_id;
        l.tenant_name = "Tenant " + unit;
        l.phone_number = "254708374149";
        l.unit = unit;
        l.monthly_rent = 10000;
        l.account_reference = unit;
        l.start_date = "2026-09-01";
        auto inserted = store_->InsertLease(l);
        EXPECT_TRUE(inserted) << inserted.error().message;
        return inserted ? inserted->id : 0;
    }

    /// A paid STK push of the lease completed at `paid_at` (transaction id `id`).
    void StkPayment(int64_t id, int64_t agency_id, int64_t lease_id, int64_t amount, const std::string& paid_at) {
        const std::string i = std::to_string(id), a = std::to_string(agency_id), l = std::to_string(lease_id),
                          amt = std::to_string(amount);
        Exec("INSERT INTO transaction_ids (id, kind) VALUES (" + i + ", 'stk');" +
             "INSERT INTO stk_transactions (id, agency_id, lease_id, phone_number, amount, account_reference, "
             "transaction_desc, status, mpesa_receipt_number, completed_at) VALUES (" +
             i + ", " + a + ", " + l + ", '254708374149', " + amt + ", 'R', 'Rent', 'SUCCESS', 'S" + i + "', '" +
             paid_at + "');" +
             "INSERT INTO payments (agency_id, lease_id, transaction_id, source, amount, mpesa_receipt_number, "
             "phone_number, paid_at) VALUES (" +
             a + ", " + l + ", " + i + ", 'stk', " + amt + ", 'S" + i + "', '254708374149', '" + paid_at + "');");
    }

    /// A paybill (C2B) payment matched to the lease, confirmed at `paid_at`.
    void C2bPayment(int64_t id, int64_t agency_id, int64_t lease_id, int64_t amount, const std::string& paid_at) {
        const std::string i = std::to_string(id), a = std::to_string(agency_id), l = std::to_string(lease_id),
                          amt = std::to_string(amount);
        Exec(
            "INSERT INTO transaction_ids (id, kind) VALUES (" + i + ", 'c2b');" +
            "INSERT INTO c2b_payments (id, agency_id, trans_id, transaction_type, business_shortcode, bill_ref_number, "
            "amount, msisdn, api_version, trans_time, completed_at, lease_id, matched_by, status) VALUES (" +
            i + ", " + a + ", 'C" + i + "', 'Pay Bill', '600000', 'B4', " + amt +
            ", '2547 ***** 149', 2, '20261101080000', '" + paid_at + "', " + l + ", 'reference', 'matched');" +
            "INSERT INTO payments (agency_id, lease_id, transaction_id, source, amount, mpesa_receipt_number, "
            "phone_number, paid_at) VALUES (" +
            a + ", " + l + ", " + i + ", 'c2b', " + amt + ", 'C" + i + "', '2547 ***** 149', '" + paid_at + "');");
    }

    /// A refund (kind b2c) or reversal of the STK transaction `original`, in `status`, completed at `completed_at`.
    void Refund(int64_t id, int64_t agency_id, int64_t original, const std::string& kind, int64_t amount,
                const std::string& status, const std::string& completed_at) {
        const std::string i = std::to_string(id);
        Exec("INSERT INTO transaction_ids (id, kind) VALUES (" + i + ", '" + kind + "');" +
             "INSERT INTO transfers (id, agency_id, kind, type, command_id, phone_number, amount, remarks, "
             "original_transaction_id, status, created_at, updated_at, completed_at) VALUES (" +
             i + ", " + std::to_string(agency_id) + ", '" + kind + "', '" + (kind == "b2c" ? "refund" : "reversal") +
             "', 'X', '254708374149', " + std::to_string(amount) + ", 'r', " + std::to_string(original) + ", '" +
             status + "', '" + completed_at + "', '" + completed_at + "', " +
             (status == "PENDING" ? std::string("NULL") : "'" + completed_at + "'") + ");");
    }

    Store::LeaseRentSums SumsFor(int64_t agency_id, core::YearMonth month, int64_t lease_id) {
        auto sums = store_->SumRentRoll(agency_id, core::NairobiMonthStartUtc(month),
                                        core::NairobiMonthStartUtc(core::NextMonth(month)));
        EXPECT_TRUE(sums) << sums.error().message;
        if (!sums) return {};
        auto found = sums->find(lease_id);
        return found == sums->end() ? Store::LeaseRentSums{} : found->second;
    }
};

constexpr core::YearMonth kNovember{2026, 11};

TEST_P(RentRollStoreTest, StkAndC2bPaymentsSplitAtTheNairobiMonthsStart) {
    const int64_t lease = Lease(agency_a_, "B4");
    StkPayment(1001, agency_a_, lease, 10000, "2026-10-03T09:00:00Z");  // October
    C2bPayment(1002, agency_a_, lease, 3000, "2026-10-31T20:59:59Z");   // 23:59:59 on 31 October in Nairobi
    C2bPayment(1003, agency_a_, lease, 4000, "2026-10-31T21:00:00Z");   // 00:00 on 1 November in Nairobi
    StkPayment(1004, agency_a_, lease, 2500, "2026-11-20T08:00:00Z");
    StkPayment(1005, agency_a_, lease, 9999, "2026-11-30T21:00:00Z");  // 1 December in Nairobi: not counted
    const auto sums = SumsFor(agency_a_, kNovember, lease);
    EXPECT_EQ(sums.money.paid_before, 13000);
    EXPECT_EQ(sums.money.paid_within, 6500);
    EXPECT_EQ(sums.money.refunded_before, 0);
    EXPECT_EQ(sums.money.refunded_within, 0);
    EXPECT_EQ(sums.last_paid_at, "2026-11-20T08:00:00Z");
    EXPECT_EQ(sums.last_amount, 2500);
    EXPECT_EQ(sums.last_source, "stk");
}

TEST_P(RentRollStoreTest, LastPaymentMayBeAPaybillOne) {
    const int64_t lease = Lease(agency_a_, "B4");
    StkPayment(1001, agency_a_, lease, 10000, "2026-11-02T09:00:00Z");
    C2bPayment(1002, agency_a_, lease, 700, "2026-11-03T09:00:00Z");
    const auto sums = SumsFor(agency_a_, kNovember, lease);
    EXPECT_EQ(sums.money.paid_within, 10700);
    EXPECT_EQ(sums.last_source, "c2b");
    EXPECT_EQ(sums.last_amount, 700);
}

TEST_P(RentRollStoreTest, SuccessfulRefundsAndReversalsCountInTheMonthTheyComplete) {
    const int64_t lease = Lease(agency_a_, "B4");
    StkPayment(1001, agency_a_, lease, 10000, "2026-10-03T09:00:00Z");
    StkPayment(1002, agency_a_, lease, 12000, "2026-10-04T09:00:00Z");
    Refund(2001, agency_a_, 1002, "b2c", 2000, "SUCCESS", "2026-10-05T09:00:00Z");        // October
    Refund(2002, agency_a_, 1001, "reversal", 10000, "SUCCESS", "2026-11-02T09:00:00Z");  // November
    Refund(2003, agency_a_, 1002, "b2c", 500, "FAILED", "2026-11-03T09:00:00Z");          // moved no money
    Refund(2004, agency_a_, 1002, "b2c", 400, "PENDING", "2026-11-04T09:00:00Z");         // not yet
    const auto sums = SumsFor(agency_a_, kNovember, lease);
    EXPECT_EQ(sums.money.paid_before, 22000);
    EXPECT_EQ(sums.money.paid_within, 0);
    EXPECT_EQ(sums.money.refunded_before, 2000);
    EXPECT_EQ(sums.money.refunded_within, 10000);
    // The whole line: Sep+Oct owed 20000, 20000 net paid; November owes 10000 and nets -10000.
    core::Lease l;
    l.monthly_rent = 10000;
    l.start_date = "2026-09-01";
    const auto line = core::ComputeRentLine(l, kNovember, sums.money, "2026-11-10");
    EXPECT_EQ(line.brought_forward, 0);
    EXPECT_EQ(line.paid, -10000);
    EXPECT_EQ(line.balance, 20000);
    EXPECT_EQ(line.status, core::RentStatus::kUnpaid);
}

TEST_P(RentRollStoreTest, AnotherAgencysPaymentsAreNotSummed) {
    const int64_t mine = Lease(agency_a_, "B4");
    const int64_t theirs = Lease(agency_b_, "C1");
    StkPayment(1001, agency_a_, mine, 10000, "2026-11-02T09:00:00Z");
    StkPayment(1002, agency_b_, theirs, 7000, "2026-11-02T09:00:00Z");
    auto sums = store_->SumRentRoll(agency_a_, core::NairobiMonthStartUtc(kNovember),
                                    core::NairobiMonthStartUtc(core::NextMonth(kNovember)));
    ASSERT_TRUE(sums) << sums.error().message;
    EXPECT_EQ(sums->size(), 1u);
    EXPECT_EQ(sums->count(theirs), 0u);
    EXPECT_EQ(sums->at(mine).money.paid_within, 10000);
}

TEST_P(RentRollStoreTest, ALeaseWithoutPaymentsHasNoSums) {
    const int64_t lease = Lease(agency_a_, "B4");
    auto sums = store_->SumRentRoll(agency_a_, core::NairobiMonthStartUtc(kNovember),
                                    core::NairobiMonthStartUtc(core::NextMonth(kNovember)));
    ASSERT_TRUE(sums);
    EXPECT_EQ(sums->count(lease), 0u);
}

TEST_P(RentRollStoreTest, ALeaseKeepsItsDueDayAndStartDate) {
    core::Lease l;
    l.agency_id = agency_a_;
    l.tenant_name = "Jane";
    l.phone_number = "254708374149";
    l.unit = "B4";
    l.monthly_rent = 10000;
    l.account_reference = "B4";
    l.due_day = 31;
    l.start_date = "2026-02-15";
    auto inserted = store_->InsertLease(l);
    ASSERT_TRUE(inserted) << inserted.error().message;
    EXPECT_EQ(inserted->due_day, 31);
    EXPECT_EQ(inserted->start_date, "2026-02-15");
    Store::LeaseEdit edit;
    edit.due_day = 1;
    edit.start_date = "2026-03-01";
    auto changed = store_->UpdateLease(agency_a_, inserted->id, edit);
    ASSERT_TRUE(changed) << changed.error().message;
    EXPECT_EQ(changed->before.due_day, 31);
    EXPECT_EQ(changed->after.due_day, 1);
    EXPECT_EQ(changed->after.start_date, "2026-03-01");
    // A sync that leaves them out keeps them; a new lease without them gets the 5th and its creation day.
    l.external_id = "haven-1";
    l.due_day = 0;
    l.start_date.clear();
    auto created = store_->UpsertLeaseByExternalId(l);
    ASSERT_TRUE(created) << created.error().message;
    EXPECT_EQ(created->lease.due_day, 5);
    EXPECT_EQ(created->lease.start_date.size(), 10u);
    Store::LeaseEdit set;
    set.due_day = 20;
    ASSERT_TRUE(store_->UpdateLease(agency_a_, created->lease.id, set));
    auto synced = store_->UpsertLeaseByExternalId(l);
    ASSERT_TRUE(synced);
    EXPECT_EQ(synced->lease.due_day, 20);
}

INSTANTIATE_TEST_SUITE_P(Backends, RentRollStoreTest, ::testing::ValuesIn(Backends()));

}  // namespace
}  // namespace haven::storage::test
