// Storage contract of C2B payments (record once per TransID, routing, match lookups, unmatched queue, assign, refund
// link) and of the lease keys C2B matching reads, on every backend: SQLite always, PostgreSQL when
// HAVEN_TEST_POSTGRES_URL is set.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>

#include "core/hex.hpp"
#include "fresh_store.hpp"
#include "storage/store.hpp"

namespace haven::storage {
namespace {

using core::ErrorCode;

class C2bStore : public test::FreshStoreTest {
  protected:
    core::Lease Lease(int64_t agency_id, const std::string& reference, const std::string& phone) {
        core::Lease l;
        l.agency_id = agency_id;
        l.tenant_name = "Jane Wanjiku";
        l.phone_number = phone;
        l.unit = reference;
        l.monthly_rent = 25000;
        l.account_reference = reference;
        auto inserted = store_->InsertLease(l);
        EXPECT_TRUE(inserted) << inserted.error().message;
        return *inserted;
    }

    C2bPayment Payment(int64_t agency_id, const std::string& trans_id, std::optional<int64_t> lease_id) {
        C2bPayment p;
        p.agency_id = agency_id;
        p.trans_id = trans_id;
        p.transaction_type = "Pay Bill";
        p.business_shortcode = "600996";
        p.bill_ref_number = "b-4";
        p.amount = 25000;
        p.msisdn = "2547 ***** 149";
        p.payer_name = "John Doe";
        p.api_version = 2;
        p.trans_time = "20261201090000";
        p.completed_at = "2026-12-01T06:00:00Z";
        p.lease_id = lease_id;
        if (lease_id) p.matched_by = "reference";
        return p;
    }
};

TEST_P(C2bStore, LeaseWritesFillTheMatchingKeys) {
    auto lease = Lease(agency_a_, "B-04", "254708374149");
    auto by_key = store_->MatchLeaseByAccountKey(agency_a_, "B4");
    ASSERT_TRUE(by_key) << by_key.error().message;
    EXPECT_EQ(by_key->count, 1);
    EXPECT_EQ(by_key->lease_id, lease.id);
    auto by_phone = store_->MatchLeaseByPhoneHash(agency_a_, core::Sha256Hex("254708374149"));
    ASSERT_TRUE(by_phone);
    EXPECT_EQ(by_phone->lease_id, lease.id);
    // Another agency never sees it.
    EXPECT_EQ(store_->MatchLeaseByAccountKey(agency_b_, "B4")->count, 0);

    Store::LeaseEdit edit;
    edit.account_reference = "Apt 7";
    edit.phone_number = "254711000222";
    ASSERT_TRUE(store_->UpdateLease(agency_a_, lease.id, edit));
    EXPECT_EQ(store_->MatchLeaseByAccountKey(agency_a_, "B4")->count, 0);
    EXPECT_EQ(store_->MatchLeaseByAccountKey(agency_a_, "7")->lease_id, lease.id);
    EXPECT_EQ(store_->MatchLeaseByPhoneHash(agency_a_, core::Sha256Hex("254711000222"))->lease_id, lease.id);

    core::Lease synced;
    synced.agency_id = agency_a_;
    synced.tenant_name = "Otieno";
    synced.phone_number = "254722000333";
    synced.unit = "C1";
    synced.monthly_rent = 1000;
    synced.account_reference = "c-01";
    synced.external_id = "haven-lease-1";
    auto upserted = store_->UpsertLeaseByExternalId(synced);
    ASSERT_TRUE(upserted);
    EXPECT_EQ(store_->MatchLeaseByAccountKey(agency_a_, "C1")->lease_id, upserted->lease.id);
}

TEST_P(C2bStore, EndedLeasesAndDuplicateKeysDoNotMatchAlone) {
    auto first = Lease(agency_a_, "B4", "254708374149");
    Lease(agency_a_, "b-04", "254708374149");
    auto both = store_->MatchLeaseByAccountKey(agency_a_, "B4");
    EXPECT_EQ(both->count, 2);
    EXPECT_EQ(store_->MatchLeaseByPhoneHash(agency_a_, core::Sha256Hex("254708374149"))->count, 2);
    ASSERT_TRUE(store_->EndLease(agency_a_, first.id, "2026-11-30", "moved out"));
    EXPECT_EQ(store_->MatchLeaseByAccountKey(agency_a_, "B4")->count, 1);
    EXPECT_NE(store_->MatchLeaseByAccountKey(agency_a_, "B4")->lease_id, first.id);
}

TEST_P(C2bStore, AConfirmationIsRecordedOncePerTransId) {
    auto lease = Lease(agency_a_, "B4", "254708374149");
    auto first = store_->InsertC2bPayment(Payment(agency_a_, "TFE6H2J8KD", lease.id));
    ASSERT_TRUE(first) << first.error().message;
    EXPECT_TRUE(first->inserted);
    EXPECT_EQ(first->payment.status, "matched");
    ASSERT_TRUE(first->lease_payment);
    EXPECT_EQ(first->lease_payment->source, "c2b");
    EXPECT_EQ(first->lease_payment->transaction_id, first->payment.id);
    EXPECT_EQ(first->lease_payment->mpesa_receipt_number, "TFE6H2J8KD");
    EXPECT_EQ(first->lease_payment->payer_name, "John Doe");
    EXPECT_EQ(first->lease_payment->paid_at, "2026-12-01T06:00:00Z");
    auto kind = store_->FindTransactionKind(agency_a_, first->payment.id);
    ASSERT_TRUE(kind);
    EXPECT_EQ(*kind, core::TxKind::kC2b);
    EXPECT_FALSE(store_->FindTransactionKind(agency_b_, first->payment.id));

    auto again = store_->InsertC2bPayment(Payment(agency_a_, "TFE6H2J8KD", lease.id));
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_FALSE(again->inserted);
    EXPECT_EQ(again->payment.id, first->payment.id);
    EXPECT_EQ(store_->ListPayments(agency_a_, lease.id)->size(), 1u);
}

TEST_P(C2bStore, UnmatchedPaymentsAreAssignedOnce) {
    auto lease = Lease(agency_a_, "B4", "254708374149");
    auto recorded = store_->InsertC2bPayment(Payment(agency_a_, "TFE6H2J8KE", std::nullopt));
    ASSERT_TRUE(recorded);
    EXPECT_EQ(recorded->payment.status, "unmatched");
    EXPECT_FALSE(recorded->lease_payment);
    const int64_t id = recorded->payment.id;
    ReviewItem item;
    item.agency_id = agency_a_;
    item.transaction_id = id;
    item.reason_code = "c2b_unmatched";
    item.reason = "matches no lease";
    ASSERT_TRUE(store_->OpenReview(item));

    auto queue = store_->ListC2bPayments({.agency_id = agency_a_, .status = "unmatched"});
    ASSERT_TRUE(queue);
    ASSERT_EQ(queue->size(), 1u);
    EXPECT_EQ(queue->front().id, id);
    EXPECT_TRUE(store_->ListC2bPayments({.agency_id = agency_b_, .status = "unmatched"})->empty());

    EXPECT_EQ(store_->AssignC2bPayment(agency_b_, id, lease.id, "x").error().code, ErrorCode::kNotFound);
    auto assigned = store_->AssignC2bPayment(agency_a_, id, lease.id, "admin@example.com");
    ASSERT_TRUE(assigned) << assigned.error().message;
    EXPECT_EQ(assigned->payment.status, "matched");
    EXPECT_EQ(assigned->payment.matched_by, "staff");
    EXPECT_EQ(assigned->payment.lease_id, lease.id);
    ASSERT_TRUE(assigned->lease_payment);
    EXPECT_EQ(store_->ListPayments(agency_a_, lease.id)->size(), 1u);
    auto open = store_->ListReview({.agency_id = agency_a_, .transaction_id = id, .limit = 10});
    ASSERT_TRUE(open);
    ASSERT_EQ(open->size(), 1u);
    EXPECT_EQ(open->front().status, "resolved");
    EXPECT_EQ(open->front().resolved_by, "admin@example.com");

    auto twice = store_->AssignC2bPayment(agency_a_, id, lease.id, "admin@example.com");
    ASSERT_FALSE(twice);
    EXPECT_EQ(twice.error().code, ErrorCode::kConflict);
    EXPECT_EQ(store_->ListPayments(agency_a_, lease.id)->size(), 1u);
    EXPECT_EQ(store_->LinkC2bRefund(agency_a_, id, 1, "x").error().code, ErrorCode::kConflict);
}

TEST_P(C2bStore, AnEndedLeaseTakesNoAssignment) {
    auto lease = Lease(agency_a_, "B4", "254708374149");
    ASSERT_TRUE(store_->EndLease(agency_a_, lease.id, "2026-11-30", "moved out"));
    auto recorded = store_->InsertC2bPayment(Payment(agency_a_, "TFE6H2J8KF", std::nullopt));
    ASSERT_TRUE(recorded);
    auto assigned = store_->AssignC2bPayment(agency_a_, recorded->payment.id, lease.id, "x");
    ASSERT_FALSE(assigned);
    EXPECT_EQ(assigned.error().code, ErrorCode::kConflict);
    EXPECT_EQ(store_->FindC2bPayment(agency_a_, recorded->payment.id)->status, "unmatched");
}

TEST_P(C2bStore, ARefundIsLinkedOnce) {
    auto recorded = store_->InsertC2bPayment(Payment(agency_a_, "TFE6H2J8KG", std::nullopt));
    ASSERT_TRUE(recorded);
    Transfer t;
    t.agency_id = agency_a_;
    t.kind = core::TxKind::kB2c;
    t.type = "refund";
    t.command_id = "BusinessPayment";
    t.phone_number = "254708374149";
    t.amount = 25000;
    t.remarks = "refund";
    t.originator_conversation_id = "oc-c2b-1";
    auto transfer = store_->InsertTransfer(t, std::nullopt);
    ASSERT_TRUE(transfer) << transfer.error().message;
    auto linked = store_->LinkC2bRefund(agency_a_, recorded->payment.id, transfer->id, "admin@example.com");
    ASSERT_TRUE(linked) << linked.error().message;
    EXPECT_EQ(linked->status, "refunded");
    EXPECT_EQ(linked->refund_transfer_id, transfer->id);
    EXPECT_EQ(store_->LinkC2bRefund(agency_a_, recorded->payment.id, transfer->id, "x").error().code,
              ErrorCode::kConflict);
    t.kind = core::TxKind::kC2b;
    EXPECT_FALSE(store_->InsertTransfer(t, std::nullopt));
}

TEST_P(C2bStore, AShortcodeRoutesToItsAgency) {
    // No mpesa_accounts rows: the global shortcode belongs to the first agency.
    auto routed = store_->FindC2bRouteAgency("600996", "600996", "");
    ASSERT_TRUE(routed) << routed.error().message;
    EXPECT_EQ(*routed, agency_a_);
    EXPECT_EQ(*store_->FindC2bRouteAgency("123456", "600996", "123456"), agency_a_);
    EXPECT_FALSE(*store_->FindC2bRouteAgency("777777", "600996", ""));
    // An agency's own paybill routes to it; the global one still goes to the first agency without its own.
    MpesaAccount own;
    own.agency_id = agency_b_;
    own.shortcode = "555555";
    ASSERT_TRUE(store_->UpsertMpesaAccount(own));
    EXPECT_EQ(*store_->FindC2bRouteAgency("555555", "600996", ""), agency_b_);
    EXPECT_EQ(*store_->FindC2bRouteAgency("600996", "600996", ""), agency_a_);
}

TEST_P(C2bStore, LeasesWithoutKeysGetThemWhenTheStoreStarts) {
    auto lease = Lease(agency_a_, "Hse No. 12", "254708374149");
    // As an older binary left it: the keys empty.
    const std::string clear = "UPDATE leases SET account_key = NULL, phone_hash = NULL";
    if (GetParam() == "sqlite") {
        store_.reset();
        sqlite3* db = nullptr;
        ASSERT_EQ(sqlite3_open((dir_ / "nested" / "haven.db").string().c_str(), &db), SQLITE_OK);
        ASSERT_EQ(sqlite3_exec(db, clear.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
        sqlite3_close(db);
    } else {
        ASSERT_EQ(test::PgExec(url_, clear), "");
        store_.reset();
    }
    auto reopened = MakeStore(url_);
    ASSERT_TRUE(reopened);
    store_ = std::move(*reopened);
    EXPECT_EQ(store_->MatchLeaseByAccountKey(agency_a_, "12")->count, 0);
    ASSERT_TRUE(store_->Migrate());
    EXPECT_EQ(store_->MatchLeaseByAccountKey(agency_a_, "12")->lease_id, lease.id);
    EXPECT_EQ(store_->MatchLeaseByPhoneHash(agency_a_, core::Sha256Hex("254708374149"))->lease_id, lease.id);
}

INSTANTIATE_TEST_SUITE_P(Backends, C2bStore, ::testing::ValuesIn(test::Backends()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace haven::storage
