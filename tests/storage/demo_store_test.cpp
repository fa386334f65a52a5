// The demo block on both backends: the seed marker is written once per agency, and back-dating a seeded push moves
// its creation, completion and payment times (what the rent roll and reconciliation read) into the past.
#include <gtest/gtest.h>

#include "fresh_store.hpp"
#include "storage/store.hpp"

namespace haven::storage::test {
namespace {

class DemoStoreTest : public FreshStoreTest {};

TEST_P(DemoStoreTest, TheMarkerIsWrittenOncePerAgency) {
    auto none = store_->FindDemoSeed(agency_a_);
    ASSERT_TRUE(none) << none.error().message;
    EXPECT_FALSE(none->has_value());
    Store::DemoSeed seed{agency_a_, "2026-12-02T05:00:00Z", 170, ""};
    auto first = store_->InsertDemoSeed(seed);
    ASSERT_TRUE(first) << first.error().message;
    EXPECT_EQ(first->transactions, 170);
    auto again = store_->InsertDemoSeed(seed);
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, core::ErrorCode::kConflict);
    auto found = store_->FindDemoSeed(agency_a_);
    ASSERT_TRUE(found && found->has_value());
    EXPECT_EQ((*found)->history_until, "2026-12-02T05:00:00Z");
    auto other = store_->FindDemoSeed(agency_b_);
    ASSERT_TRUE(other);
    EXPECT_FALSE(other->has_value());
}

TEST_P(DemoStoreTest, BackdatingAPaidPushMovesItsRowAndItsPayment) {
    core::Lease lease;
    lease.agency_id = agency_a_;
    lease.tenant_name = "Grace Wanjiku";
    lease.phone_number = "254712345678";
    lease.unit = "A1";
    lease.monthly_rent = 12000;
    lease.account_reference = "A1";
    auto l = store_->InsertLease(lease);
    ASSERT_TRUE(l) << l.error().message;
    core::StkTransaction tx;
    tx.agency_id = agency_a_;
    tx.lease_id = l->id;
    tx.phone_number = lease.phone_number;
    tx.amount = 12000;
    tx.account_reference = "A1";
    tx.transaction_desc = "Rent";
    auto inserted = store_->InsertStk(tx);
    ASSERT_TRUE(inserted) << inserted.error().message;
    ASSERT_TRUE(store_->SetStkDarajaIds(inserted->id, "29115-1-1", "ws_CO_demo_1"));
    StkOutcome outcome;
    outcome.status = core::TxStatus::kSuccess;
    outcome.mpesa_receipt_number = "TG12ABCD34";
    outcome.transaction_date = "20260703101530";
    outcome.paid_amount = 12000;
    ASSERT_TRUE(store_->ApplyStkOutcome("ws_CO_demo_1", outcome));

    ASSERT_TRUE(store_->BackdateDemoTransaction(inserted->id, "2026-07-03T07:15:02Z", "2026-07-03T07:15:30Z"));
    ASSERT_TRUE(store_->BackdateDemoLease(l->id, "2026-06-20T08:00:00Z"));
    auto after = store_->FindStk(agency_a_, inserted->id);
    ASSERT_TRUE(after);
    EXPECT_EQ(after->created_at, "2026-07-03T07:15:02Z");
    EXPECT_EQ(after->completed_at, "2026-07-03T07:15:30Z");
    EXPECT_EQ(after->updated_at, "2026-07-03T07:15:30Z");
    auto payments = store_->ListPayments(agency_a_, l->id);
    ASSERT_TRUE(payments);
    ASSERT_EQ(payments->size(), 1u);
    EXPECT_EQ(payments->front().paid_at, "2026-07-03T07:15:30Z");
    auto records = store_->ListReceiptRecordsCompleted(agency_a_, "2026-07-01T00:00:00Z", "2026-07-31T00:00:00Z");
    ASSERT_TRUE(records);
    ASSERT_EQ(records->size(), 1u);
    EXPECT_EQ(records->front().receipt, "TG12ABCD34");
    auto leased = store_->FindLease(agency_a_, l->id);
    ASSERT_TRUE(leased);
    EXPECT_EQ(leased->created_at, "2026-06-20T08:00:00Z");
}

INSTANTIATE_TEST_SUITE_P(Backends, DemoStoreTest, ::testing::ValuesIn(Backends()));

}  // namespace
}  // namespace haven::storage::test
