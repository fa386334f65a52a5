// Storage contract of the privacy methods (export, erasure, raw-body retention) on every backend: SQLite always,
// PostgreSQL when HAVEN_TEST_POSTGRES_URL is set (a fresh schema per test).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "fresh_store.hpp"
#include "storage/store.hpp"

namespace haven::storage {
namespace {

using core::ErrorCode;
using core::TxStatus;

constexpr const char* kPhone = "254708374149";
constexpr const char* kOther = "254711000222";
constexpr const char* kPlaceholder = "ERASED-0a1b2c3d";

class PrivacyStore : public test::FreshStoreTest {
  protected:
    core::Lease Lease(int64_t agency_id, const std::string& phone) {
        core::Lease l;
        l.agency_id = agency_id;
        l.tenant_name = "Jane Wanjiku";
        l.phone_number = phone;
        l.unit = "B4";
        l.monthly_rent = 25000;
        l.account_reference = "B4-RENT";
        auto inserted = store_->InsertLease(l);
        EXPECT_TRUE(inserted) << inserted.error().message;
        return *inserted;
    }

    /// A push Daraja accepted (CheckoutRequestID ending with the number's last 9 digits, as Daraja's do).
    core::StkTransaction Push(int64_t agency_id, const std::string& phone, std::optional<int64_t> lease_id,
                              int64_t amount, const std::string& stamp) {
        core::StkTransaction t;
        t.agency_id = agency_id;
        t.lease_id = lease_id;
        t.phone_number = phone;
        t.amount = amount;
        t.account_reference = "B4-RENT";
        t.transaction_desc = "Rent";
        auto tx = store_->InsertStk(t);
        EXPECT_TRUE(tx) << tx.error().message;
        auto set = store_->SetStkDarajaIds(tx->id, "MR-" + stamp, "ws_CO_" + stamp + phone.substr(3));
        EXPECT_TRUE(set) << set.error().message;
        return *set;
    }

    void Settle(const core::StkTransaction& tx, const std::string& receipt) {
        StkOutcome o;
        o.status = TxStatus::kSuccess;
        o.result_desc = "The service request is processed successfully.";
        o.mpesa_receipt_number = receipt;
        o.transaction_date = "20261128071630";
        auto applied = store_->ApplyStkOutcome(tx.checkout_request_id, o);
        ASSERT_TRUE(applied) << applied.error().message;
        ASSERT_TRUE(applied->applied);
    }
};

TEST_P(PrivacyStore, ExportHoldsOnlyTheAgencysRecordsOfTheNumber) {
    auto lease = Lease(agency_a_, kPhone);
    Lease(agency_a_, kOther);
    Lease(agency_b_, kPhone);
    auto tx = Push(agency_a_, kPhone, lease.id, 25000, "28112026093159750");
    Settle(tx, "UKS1A2B3C4");
    Push(agency_a_, kOther, std::nullopt, 100, "28112026093159751");
    Push(agency_b_, kPhone, std::nullopt, 300, "28112026093159752");
    ASSERT_TRUE(store_->OpenReview(
        {.agency_id = agency_a_, .transaction_id = tx.id, .reason_code = "amount_mismatch", .reason = "check it"}));

    auto data = store_->FindPersonalData(agency_a_, kPhone);
    ASSERT_TRUE(data) << data.error().message;
    ASSERT_EQ(data->leases.size(), 1U);
    EXPECT_EQ(data->leases[0].id, lease.id);
    ASSERT_EQ(data->transactions.size(), 1U);
    EXPECT_EQ(data->transactions[0].id, tx.id);
    ASSERT_EQ(data->payments.size(), 1U);
    EXPECT_EQ(data->payments[0].amount, 25000);
    EXPECT_TRUE(data->transfers.empty());
    ASSERT_EQ(data->review_items.size(), 1U);
    EXPECT_EQ(data->review_items[0].transaction_id, tx.id);
}

TEST_P(PrivacyStore, ErasureRemovesNameAndNumberAndKeepsTheMoney) {
    auto lease = Lease(agency_a_, kPhone);
    auto other_lease = Lease(agency_a_, kOther);
    auto tx = Push(agency_a_, kPhone, lease.id, 25000, "28112026093159750");
    const std::string checkout_id = tx.checkout_request_id;
    auto inbound = store_->StoreInbound(
        "callback.stk", R"({"Body":{"stkCallback":{"CheckoutRequestID":")" + checkout_id +
                            R"(","CallbackMetadata":{"Item":[{"Name":"PhoneNumber","Value":254708374149}]}}}})");
    ASSERT_TRUE(inbound);
    Settle(tx, "UKS1A2B3C4");
    ASSERT_TRUE(store_->AddStkEvent(tx.id, "callback", R"({"CheckoutRequestID":")" + checkout_id + R"("})"));
    ASSERT_TRUE(store_->OpenReview({.agency_id = agency_a_,
                                    .transaction_id = tx.id,
                                    .reason_code = "amount_mismatch",
                                    .reason = "254708374149 paid less than asked"}));
    ASSERT_TRUE(store_->ClaimIdempotencyKey(agency_a_, "POST /x", "k1", "h"));
    ASSERT_TRUE(store_->CompleteIdempotencyKey(
        agency_a_, "POST /x", "k1", 200,
        R"({"phoneNumber":"254708374149","checkoutRequestId":")" + checkout_id + R"("})"));
    auto other_tx = Push(agency_a_, kOther, other_lease.id, 700, "28112026093159751");
    Settle(other_tx, "UKS9Z8Y7X6");
    auto b_tx = Push(agency_b_, kPhone, std::nullopt, 300, "28112026093159752");
    Settle(b_tx, "UKS5M5M5M5");

    auto erased = store_->ErasePersonalData(agency_a_, kPhone, kPlaceholder);
    ASSERT_TRUE(erased) << erased.error().message;
    EXPECT_EQ(erased->leases, 1);
    EXPECT_EQ(erased->transactions, 1);
    EXPECT_EQ(erased->payments, 1);
    EXPECT_EQ(erased->inbound_bodies, 1);
    EXPECT_EQ(erased->events, 1);
    EXPECT_EQ(erased->review_items, 1);
    EXPECT_EQ(erased->idempotency_answers, 1);

    auto l = store_->FindLease(agency_a_, lease.id);
    EXPECT_EQ(l->tenant_name, "Erased tenant");
    EXPECT_EQ(l->phone_number, kPlaceholder);
    auto t = store_->FindStk(agency_a_, tx.id);
    EXPECT_EQ(t->phone_number, kPlaceholder);
    EXPECT_EQ(t->amount, 25000);
    EXPECT_EQ(t->status, TxStatus::kSuccess);
    EXPECT_EQ(t->mpesa_receipt_number, "UKS1A2B3C4");
    EXPECT_EQ(t->created_at, tx.created_at);
    EXPECT_EQ(t->checkout_request_id.find("708374149"), std::string::npos) << t->checkout_request_id;
    auto payments = store_->ListPayments(agency_a_, lease.id);
    ASSERT_EQ(payments->size(), 1U);
    EXPECT_EQ((*payments)[0].amount, 25000);
    EXPECT_EQ((*payments)[0].phone_number, kPlaceholder);
    auto body = store_->FindInbound(*inbound);
    EXPECT_EQ(body->body, "");
    auto events = store_->ListStkEvents(tx.id);
    for (const auto& e : *events) EXPECT_EQ(e.payload.find("708374149"), std::string::npos);
    auto items = store_->ListReview({.agency_id = agency_a_, .status = std::nullopt});
    ASSERT_EQ(items->size(), 1U);
    EXPECT_EQ((*items)[0].reason, std::string(kPlaceholder) + " paid less than asked");
    auto replay = store_->ClaimIdempotencyKey(agency_a_, "POST /x", "k1", "h");
    ASSERT_EQ(replay->state, IdempotencyState::kReplay);
    EXPECT_EQ(replay->body.find("708374149"), std::string::npos) << replay->body;
    EXPECT_NE(replay->body.find(kPlaceholder), std::string::npos);
    EXPECT_FALSE(store_->FindPersonalData(agency_a_, kPhone)->leases.size());

    // Other numbers and other agencies keep everything; callbacks for them still match.
    EXPECT_EQ(store_->FindStk(agency_a_, other_tx.id)->phone_number, kOther);
    EXPECT_EQ(store_->FindLease(agency_a_, other_lease.id)->tenant_name, "Jane Wanjiku");
    EXPECT_EQ(store_->FindStk(agency_b_, b_tx.id)->phone_number, kPhone);
    EXPECT_EQ(store_->FindStkByCheckoutIdAnyAgency(other_tx.checkout_request_id)->id, other_tx.id);
    auto late = Push(agency_a_, kOther, std::nullopt, 50, "28112026093159753");
    Settle(late, "UKS4L4L4L4");
}

TEST_P(PrivacyStore, APendingTransactionBlocksErasureAndNothingChanges) {
    auto lease = Lease(agency_a_, kPhone);
    auto done = Push(agency_a_, kPhone, lease.id, 100, "28112026093159750");
    Settle(done, "UKS1A2B3C4");
    auto pending = Push(agency_a_, kPhone, lease.id, 200, "28112026093159751");

    auto erased = store_->ErasePersonalData(agency_a_, kPhone, kPlaceholder);
    ASSERT_FALSE(erased);
    EXPECT_EQ(erased.error().code, ErrorCode::kConflict);
    EXPECT_EQ(store_->FindLease(agency_a_, lease.id)->tenant_name, "Jane Wanjiku");
    EXPECT_EQ(store_->FindStk(agency_a_, done.id)->phone_number, kPhone);
    // The pending push still settles by its CheckoutRequestID.
    Settle(pending, "UKS2B2B2B2");
    EXPECT_TRUE(store_->ErasePersonalData(agency_a_, kPhone, kPlaceholder));
}

TEST_P(PrivacyStore, RetentionRemovesOnlyBodiesOlderThanTheCutOff) {
    auto old_id = store_->StoreInbound("callback.stk", R"({"PhoneNumber":254708374149})");
    ASSERT_TRUE(old_id);
    // Every body is "older" than a cut-off in the future; a cut-off in the past takes none.
    auto none = store_->PruneRawBodies("2000-01-01T00:00:00Z", 100);
    ASSERT_TRUE(none) << none.error().message;
    EXPECT_EQ(*none, 0);
    EXPECT_NE(store_->FindInbound(*old_id)->body, "");
    auto pruned = store_->PruneRawBodies("2999-01-01T00:00:00Z", 100);
    ASSERT_TRUE(pruned) << pruned.error().message;
    EXPECT_EQ(*pruned, 1);
    auto after = store_->FindInbound(*old_id);
    EXPECT_EQ(after->body, "");
    EXPECT_EQ(after->kind, "callback.stk");
    EXPECT_EQ(*store_->PruneRawBodies("2999-01-01T00:00:00Z", 100), 0);  // once
}

TEST_P(PrivacyStore, RetentionWorksInBatches) {
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(store_->StoreInbound("callback.stk", "{}"));
    EXPECT_EQ(*store_->PruneRawBodies("2999-01-01T00:00:00Z", 2), 2);
    EXPECT_EQ(*store_->PruneRawBodies("2999-01-01T00:00:00Z", 2), 2);
    EXPECT_EQ(*store_->PruneRawBodies("2999-01-01T00:00:00Z", 2), 1);
    EXPECT_EQ(*store_->PruneRawBodies("2999-01-01T00:00:00Z", 2), 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, PrivacyStore, ::testing::ValuesIn(test::Backends()),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

}  // namespace
}  // namespace haven::storage
