// The analytics series on both backends, with rows on either side of Nairobi midnight (21:00 UTC): payments by
// completion time and source, STK pushes by creation time with their outcome and failure reason, B2C transfers and
// reversals by kind, type and status; and nothing of another agency's. The spans are the service's own
// (service::AnalyticsBuckets), so these tests also pin which UTC instants a Nairobi day and month cover.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>

#include "fresh_store.hpp"
#include "service/analytics.hpp"
#include "storage/store.hpp"

namespace haven::storage::test {
namespace {

using service::AnalyticsPeriod;

class AnalyticsStoreTest : public FreshStoreTest {
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

    /// An STK push of the lease sent at `created_at`: PENDING, SUCCESS (with its payment, completed a minute later:
    /// `paid_at`) or FAILED with `result_code`.
    void Push(int64_t id, int64_t agency_id, int64_t lease_id, int64_t amount, const std::string& status,
              const std::string& result_code, const std::string& created_at, const std::string& paid_at = "") {
        const std::string i = std::to_string(id), a = std::to_string(agency_id), l = std::to_string(lease_id),
                          amt = std::to_string(amount);
        const bool paid = status == "SUCCESS";
        Exec("INSERT INTO transaction_ids (id, kind) VALUES (" + i + ", 'stk');" +
             "INSERT INTO stk_transactions (id, agency_id, lease_id, phone_number, amount, account_reference, "
             "transaction_desc, status, result_code, mpesa_receipt_number, created_at, completed_at) VALUES (" +
             i + ", " + a + ", " + l + ", '254708374149', " + amt + ", 'R', 'Rent', '" + status + "', " + result_code +
             ", " + (paid ? "'S" + i + "'" : std::string("NULL")) + ", '" + created_at + "', " +
             (status == "PENDING" ? std::string("NULL") : "'" + created_at + "'") + ");");
        if (paid) {
            Exec(
                "INSERT INTO payments (agency_id, lease_id, transaction_id, source, amount, mpesa_receipt_number, "
                "phone_number, paid_at) VALUES (" +
                a + ", " + l + ", " + i + ", 'stk', " + amt + ", 'S" + i + "', '254708374149', '" +
                (paid_at.empty() ? created_at : paid_at) + "');");
        }
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

    /// A B2C transfer (kind b2c, `type`) or reversal requested at `created_at`, in `status`.
    void Transfer(int64_t id, int64_t agency_id, const std::string& kind, const std::string& type, int64_t amount,
                  const std::string& status, const std::string& created_at) {
        const std::string i = std::to_string(id);
        Exec("INSERT INTO transaction_ids (id, kind) VALUES (" + i + ", '" + kind + "');" +
             "INSERT INTO transfers (id, agency_id, kind, type, command_id, phone_number, amount, remarks, status, "
             "created_at, updated_at) VALUES (" +
             i + ", " + std::to_string(agency_id) + ", '" + kind + "', '" + type + "', 'X', '254708374149', " +
             std::to_string(amount) + ", 'r', '" + status + "', '" + created_at + "', '" + created_at + "');");
    }

    std::vector<service::AnalyticsBucket> Buckets(AnalyticsPeriod period, const std::string& today) {
        auto buckets = service::AnalyticsBuckets(period, today);
        EXPECT_TRUE(buckets);
        return buckets.value_or(std::vector<service::AnalyticsBucket>{});
    }

    static std::vector<Store::TimeSpan> Spans(const std::vector<service::AnalyticsBucket>& buckets) {
        std::vector<Store::TimeSpan> out;
        for (const auto& b : buckets) out.push_back(b.span);
        return out;
    }
};

TEST_P(AnalyticsStoreTest, NairobiDaysAndMonthsBeginAt2100Utc) {
    const auto days = Buckets(AnalyticsPeriod::kDay, "2026-11-28");
    ASSERT_EQ(days.size(), 30u);
    EXPECT_EQ(days.front().label, "2026-10-30");
    EXPECT_EQ(days.back().label, "2026-11-28");
    EXPECT_EQ(days.back().span.from, "2026-11-27T21:00:00Z");
    EXPECT_EQ(days.back().span.to, "2026-11-28T21:00:00Z");
    const auto months = Buckets(AnalyticsPeriod::kMonth, "2026-03-01");
    ASSERT_EQ(months.size(), 12u);
    EXPECT_EQ(months.front().label, "2025-04");
    EXPECT_EQ(months.front().span.from, "2025-03-31T21:00:00Z");
    EXPECT_EQ(months.back().label, "2026-03");
    EXPECT_EQ(months.back().span.from, "2026-02-28T21:00:00Z");
    EXPECT_EQ(months.back().span.to, "2026-03-31T21:00:00Z");
}

TEST_P(AnalyticsStoreTest, CollectionsCountInTheNairobiDayTheyCompletedStkAndPaybillApart) {
    const int64_t lease = Lease(agency_a_, "B4");
    const int64_t other = Lease(agency_b_, "B4");
    Push(1001, agency_a_, lease, 1000, "SUCCESS", "0", "2026-11-27T20:59:00Z", "2026-11-27T20:59:59Z");  // 27th
    Push(1002, agency_a_, lease, 300, "SUCCESS", "0", "2026-11-27T20:59:30Z", "2026-11-27T21:00:00Z");   // 28th
    C2bPayment(1003, agency_a_, lease, 500, "2026-11-28T05:00:00Z");                                     // 28th
    C2bPayment(1004, agency_a_, lease, 200, "2026-11-28T20:59:59Z");                                     // 28th
    Push(1005, agency_a_, lease, 700, "SUCCESS", "0", "2026-11-28T21:00:00Z");   // the 29th: after the series
    Push(1006, agency_b_, other, 9000, "SUCCESS", "0", "2026-11-28T08:00:00Z");  // another agency's
    const auto days = Buckets(AnalyticsPeriod::kDay, "2026-11-28");
    auto sums = store_->SumCollections(agency_a_, Spans(days));
    ASSERT_TRUE(sums) << sums.error().message;
    ASSERT_EQ(sums->size(), 30u);
    const auto& day27 = (*sums)[28];
    const auto& day28 = (*sums)[29];
    EXPECT_EQ(day27.stk_count, 1);
    EXPECT_EQ(day27.stk_amount, 1000);
    EXPECT_EQ(day27.c2b_count, 0);
    EXPECT_EQ(day28.stk_count, 1);
    EXPECT_EQ(day28.stk_amount, 300);
    EXPECT_EQ(day28.c2b_count, 2);
    EXPECT_EQ(day28.c2b_amount, 700);
    for (size_t i = 0; i < 28; ++i) EXPECT_EQ((*sums)[i].stk_count + (*sums)[i].c2b_count, 0) << days[i].label;

    // Months: the push completed at 21:00 UTC on 30 November is December's in Nairobi.
    const auto months = Buckets(AnalyticsPeriod::kMonth, "2026-12-01");
    Push(1007, agency_a_, lease, 4000, "SUCCESS", "0", "2026-11-30T20:00:00Z", "2026-11-30T21:00:00Z");
    auto monthly = store_->SumCollections(agency_a_, Spans(months));
    ASSERT_TRUE(monthly) << monthly.error().message;
    EXPECT_EQ((*monthly)[10].stk_amount, 1000 + 300 + 700);  // November
    EXPECT_EQ((*monthly)[10].c2b_amount, 700);
    EXPECT_EQ((*monthly)[11].stk_amount, 4000);  // December
    EXPECT_EQ((*monthly)[11].stk_count, 1);
}

TEST_P(AnalyticsStoreTest, StkOutcomesAndFailureReasonsPerNairobiDay) {
    const int64_t lease = Lease(agency_a_, "B4");
    const int64_t other = Lease(agency_b_, "B4");
    // 27 November in Nairobi (sent before 21:00 UTC): one success, one cancelled.
    Push(2001, agency_a_, lease, 100, "SUCCESS", "0", "2026-11-27T10:00:00Z");
    Push(2002, agency_a_, lease, 100, "FAILED", "1032", "2026-11-27T20:59:59Z");
    // 28 November: a success, each known reason once, an unknown code, Daraja's refusal (no code) and one pending.
    Push(2003, agency_a_, lease, 100, "SUCCESS", "0", "2026-11-27T21:00:00Z");
    Push(2004, agency_a_, lease, 100, "FAILED", "1032", "2026-11-28T01:00:00Z");
    Push(2005, agency_a_, lease, 100, "FAILED", "1037", "2026-11-28T02:00:00Z");
    Push(2006, agency_a_, lease, 100, "FAILED", "1", "2026-11-28T03:00:00Z");
    Push(2007, agency_a_, lease, 100, "FAILED", "2001", "2026-11-28T04:00:00Z");
    Push(2008, agency_a_, lease, 100, "FAILED", "17", "2026-11-28T05:00:00Z");
    Push(2009, agency_a_, lease, 100, "FAILED", "NULL", "2026-11-28T06:00:00Z");
    Push(2010, agency_a_, lease, 100, "PENDING", "NULL", "2026-11-28T20:59:59Z");
    Push(2011, agency_b_, other, 100, "FAILED", "1032", "2026-11-28T07:00:00Z");  // another agency's
    auto counts = store_->CountStkOutcomes(agency_a_, Spans(Buckets(AnalyticsPeriod::kDay, "2026-11-28")));
    ASSERT_TRUE(counts) << counts.error().message;
    ASSERT_EQ(counts->size(), 30u);
    const auto& day27 = (*counts)[28];
    EXPECT_EQ(day27.succeeded, 1);
    EXPECT_EQ(day27.failed, 1);
    EXPECT_EQ(day27.cancelled, 1);
    EXPECT_EQ(day27.pending, 0);
    EXPECT_EQ(service::StkSuccessRate(day27), 0.5);
    const auto& day28 = (*counts)[29];
    EXPECT_EQ(day28.succeeded, 1);
    EXPECT_EQ(day28.failed, 6);
    EXPECT_EQ(day28.pending, 1);
    EXPECT_EQ(day28.cancelled, 1);
    EXPECT_EQ(day28.timed_out, 1);
    EXPECT_EQ(day28.insufficient_funds, 1);
    EXPECT_EQ(day28.wrong_pin, 1);
    EXPECT_EQ(service::StkSuccessRate((*counts)[0]), std::nullopt);  // no push that day
}

TEST_P(AnalyticsStoreTest, TransfersByKindTypeAndStatusPerNairobiMonth) {
    Transfer(3001, agency_a_, "b2c", "refund", 500, "SUCCESS", "2026-10-31T20:59:59Z");  // October
    Transfer(3002, agency_a_, "b2c", "refund", 700, "SUCCESS", "2026-10-31T21:00:00Z");  // November
    Transfer(3003, agency_a_, "b2c", "refund", 300, "SUCCESS", "2026-11-15T09:00:00Z");
    Transfer(3004, agency_a_, "b2c", "payout", 5000, "FAILED", "2026-11-16T09:00:00Z");
    Transfer(3005, agency_a_, "reversal", "reversal", 1000, "PENDING", "2026-11-30T20:59:59Z");
    Transfer(3006, agency_b_, "b2c", "refund", 9999, "SUCCESS", "2026-11-15T09:00:00Z");  // another agency's
    auto sums = store_->SumTransfers(agency_a_, Spans(Buckets(AnalyticsPeriod::kMonth, "2026-11-30")));
    ASSERT_TRUE(sums) << sums.error().message;
    ASSERT_EQ(sums->size(), 12u);
    const auto& october = (*sums)[10];
    ASSERT_EQ(october.size(), 1u);
    EXPECT_EQ(october[0].amount, 500);
    const auto& november = (*sums)[11];
    ASSERT_EQ(november.size(), 3u);  // kind, type, status order
    EXPECT_EQ(november[0].kind, "b2c");
    EXPECT_EQ(november[0].type, "payout");
    EXPECT_EQ(november[0].status, "FAILED");
    EXPECT_EQ(november[0].amount, 5000);
    EXPECT_EQ(november[1].type, "refund");
    EXPECT_EQ(november[1].status, "SUCCESS");
    EXPECT_EQ(november[1].count, 2);
    EXPECT_EQ(november[1].amount, 1000);
    EXPECT_EQ(november[2].kind, "reversal");
    EXPECT_EQ(november[2].status, "PENDING");
    EXPECT_EQ(november[2].amount, 1000);
    EXPECT_TRUE((*sums)[0].empty());
}

INSTANTIATE_TEST_SUITE_P(Backends, AnalyticsStoreTest, ::testing::ValuesIn(Backends()));

}  // namespace
}  // namespace haven::storage::test
