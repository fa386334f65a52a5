// What GET /metrics reads from the database at a scrape: the reconciler's and the outbox's backlog by the claim's
// due rule, open needs-review items, and the pool's connections. Both backends (PostgreSQL when
// HAVEN_TEST_POSTGRES_URL is set).
#include <gtest/gtest.h>

#include <string>

#include "fresh_store.hpp"
#include "storage/store.hpp"

namespace haven::storage {
namespace {

constexpr const char* kFar = "2999-01-01T00:00:00Z";

class MetricsStore : public test::FreshStoreTest {
  protected:
    core::StkTransaction Stk(const std::string& created_at = "") {
        core::StkTransaction tx;
        tx.agency_id = agency_a_;
        tx.phone_number = "254708374149";
        tx.amount = 1000;
        tx.account_reference = "A-1";
        tx.transaction_desc = "Rent";
        tx.created_at = created_at;
        auto inserted = store_->InsertStk(tx, std::nullopt);
        EXPECT_TRUE(inserted) << inserted.error().message;
        return *inserted;
    }
    Store::BacklogCounts Backlog(const std::string& now, const std::string& first_due_before) {
        auto counts = store_->CountBacklog(now, first_due_before);
        EXPECT_TRUE(counts) << counts.error().message;
        return counts ? *counts : Store::BacklogCounts{};
    }
};

TEST_P(MetricsStore, AnEmptyDatabaseHasNoBacklog) {
    const auto c = Backlog(kFar, kFar);
    EXPECT_EQ(c.stk_due, 0);
    EXPECT_EQ(c.transfers_due, 0);
    EXPECT_EQ(c.review_open, 0);
    EXPECT_EQ(c.outbox_events, 0);
    EXPECT_EQ(c.outbox_messages, 0);
}

TEST_P(MetricsStore, TheReconcilerBacklogCountsPendingRowsByTheClaimsDueRule) {
    auto old = Stk("2026-11-01T00:00:00Z");
    Stk("2026-11-02T00:00:00Z");
    Stk("2026-11-09T12:00:00Z");  // younger than the first delay: not due yet
    const std::string now = "2026-11-10T00:00:00Z";
    EXPECT_EQ(Backlog(now, "2026-11-09T00:00:00Z").stk_due, 2);
    // Counting claims nothing: the reconciler still finds every due row. A claimed row still counts (it waits to
    // be settled); one whose next attempt is later does not.
    auto claimed = store_->ClaimDueStk(Claim{"p1", now, "2026-11-09T00:00:00Z", "2026-11-10T00:01:00Z", 50});
    ASSERT_TRUE(claimed);
    EXPECT_EQ(claimed->size(), 2u);
    EXPECT_EQ(Backlog(now, "2026-11-09T00:00:00Z").stk_due, 2);
    ASSERT_TRUE(store_->RecordAttempt(WorkQueue::kStk, old.id, "p1", "no answer", "2026-11-10T00:05:00Z"));
    EXPECT_EQ(Backlog(now, "2026-11-09T00:00:00Z").stk_due, 1);
    EXPECT_EQ(Backlog("2026-11-10T00:05:00Z", "2026-11-09T00:00:00Z").stk_due, 2);
}

TEST_P(MetricsStore, OpenReviewItemsAndOutboxRowsAreCounted) {
    auto tx = Stk();
    ASSERT_TRUE(store_->SetStkDarajaIds(tx.id, "mr-1", "ws_CO_metrics_1"));
    ReviewItem item{.agency_id = agency_a_,
                    .transaction_id = tx.id,
                    .reason_code = "unsettled",
                    .reason = "M-Pesa has not settled this request after 24 h"};
    ASSERT_TRUE(store_->OpenReview(item));
    const auto before = Backlog(kFar, kFar);
    StkOutcome success;
    success.status = core::TxStatus::kSuccess;
    success.result_code = 0;
    success.result_desc = "ok";
    success.mpesa_receipt_number = "RCP0000001";
    success.paid_amount = 1000;
    ASSERT_TRUE(store_->ApplyStkOutcome("ws_CO_metrics_1", success));  // writes its payment.succeeded event
    const auto c = Backlog(kFar, kFar);
    EXPECT_EQ(c.review_open, 1);
    EXPECT_EQ(c.outbox_events - before.outbox_events, 1);
    EXPECT_EQ(c.stk_due, 0);  // settled
}

TEST_P(MetricsStore, PoolUseIsWithinItsMaximumAndNothingIsHeldBetweenCalls) {
    ASSERT_TRUE(store_->CountBacklog(kFar, kFar));
    const auto use = store_->DatabasePoolUse();
    EXPECT_GE(use.max, 1);
    EXPECT_EQ(use.in_use, 0);
    EXPECT_GE(use.idle, 1);
    EXPECT_LE(use.in_use + use.idle, use.max);
}

INSTANTIATE_TEST_SUITE_P(Backends, MetricsStore, ::testing::ValuesIn(test::Backends()));

}  // namespace
}  // namespace haven::storage
