// The outbox part of the Store contract (STYLE P10): every state change others must hear of writes exactly one
// event in its own transaction (a duplicate writes none, a rolled-back unit leaves none); events and messages are
// claimed with the one claim statement; one subject's messages to one destination are claimed in order.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "fresh_store.hpp"
#include "storage/store.hpp"

namespace haven::storage {
namespace {

constexpr const char* kFar = "2999-01-01T00:00:00Z";

class OutboxStore : public test::FreshStoreTest {
  protected:
    /// Every PENDING event (claimed by "t" with a lease that never runs out in a test).
    std::vector<OutboxEvent> Events(const std::string& owner = "t") {
        auto claimed = store_->ClaimDueOutboxEvents(Claim{owner, kFar, kFar, kFar, 200});
        EXPECT_TRUE(claimed) << claimed.error().message;
        return claimed ? *claimed : std::vector<OutboxEvent>{};
    }

    core::StkTransaction Stk(const std::string& checkout_id) {
        core::StkTransaction tx;
        tx.agency_id = agency_a_;
        tx.phone_number = "254708374149";
        tx.amount = 1000;
        tx.account_reference = "A-1";
        tx.transaction_desc = "Rent";
        auto inserted = store_->InsertStk(tx, std::nullopt);
        EXPECT_TRUE(inserted) << inserted.error().message;
        auto ids = store_->SetStkDarajaIds(inserted->id, "mr-" + checkout_id, checkout_id);
        EXPECT_TRUE(ids);
        return *ids;
    }

    Transfer NewTransfer(core::TxKind kind) {
        Transfer t;
        t.agency_id = agency_a_;
        t.kind = kind;
        t.type = "payout";
        t.command_id = "BusinessPayment";
        t.phone_number = "254708374149";
        t.amount = 500;
        t.remarks = "payout";
        auto inserted = store_->InsertTransfer(t, std::nullopt);
        EXPECT_TRUE(inserted) << inserted.error().message;
        return *inserted;
    }

    static StkOutcome Success(const std::string& receipt) {
        StkOutcome o;
        o.status = core::TxStatus::kSuccess;
        o.result_code = 0;
        o.result_desc = "ok";
        o.mpesa_receipt_number = receipt;
        o.paid_amount = 1000;
        return o;
    }
};

TEST_P(OutboxStore, AnStkCallbackEmitsOnceAndItsDuplicateNothing) {
    auto tx = Stk("ws_CO_1");
    ASSERT_TRUE(store_->ApplyStkOutcome("ws_CO_1", Success("RCP0000001")));
    ASSERT_TRUE(store_->ApplyStkOutcome("ws_CO_1", Success("RCP0000001")));  // the duplicate callback
    auto events = Events();
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].type, "payment.succeeded");
    EXPECT_EQ(events[0].subject_kind, "stk");
    EXPECT_EQ(events[0].subject_id, tx.id);
    EXPECT_EQ(events[0].agency_id, agency_a_);
}

TEST_P(OutboxStore, AFailedPushAndASynchronousRefusalEmitPaymentFailedOnce) {
    auto cancelled = Stk("ws_CO_2");
    StkOutcome o;
    o.status = core::TxStatus::kFailed;
    o.result_code = 1032;
    o.result_desc = "Request cancelled by user";
    ASSERT_TRUE(store_->ApplyStkOutcome("ws_CO_2", o));
    auto refused = Stk("ws_CO_3");
    ASSERT_TRUE(store_->MarkStkRejected(refused.id, "Invalid phone"));
    ASSERT_TRUE(store_->MarkStkRejected(refused.id, "Invalid phone"));
    auto events = Events();
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(events[0].type, "payment.failed");
    EXPECT_EQ(events[0].subject_id, cancelled.id);
    EXPECT_EQ(events[1].type, "payment.failed");
    EXPECT_EQ(events[1].subject_id, refused.id);
}

TEST_P(OutboxStore, AStatementSettlementEmitsOnce) {
    auto tx = Stk("ws_CO_4");
    ASSERT_TRUE(store_->SettleStkById(agency_a_, tx.id, Success("RCP0000004")));
    ASSERT_TRUE(store_->SettleStkById(agency_a_, tx.id, Success("RCP0000004")));
    auto events = Events();
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].type, "payment.succeeded");
}

TEST_P(OutboxStore, TransfersEmitPayoutAndReversalEventsOnce) {
    auto payout = NewTransfer(core::TxKind::kB2c);
    TransferOutcome ok;
    ok.status = core::TxStatus::kSuccess;
    ok.result_code = "0";
    ASSERT_TRUE(store_->ApplyTransferOutcome(payout.id, ok));
    ASSERT_TRUE(store_->ApplyTransferOutcome(payout.id, ok));
    auto rejected = NewTransfer(core::TxKind::kB2c);
    ASSERT_TRUE(store_->MarkTransferRejected(rejected.id, "refused"));
    ASSERT_TRUE(store_->MarkTransferRejected(rejected.id, "refused"));
    auto events = Events();
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(events[0].type, "payout.succeeded");
    EXPECT_EQ(events[0].subject_kind, "transfer");
    EXPECT_EQ(events[0].subject_id, payout.id);
    EXPECT_EQ(events[1].type, "payout.failed");
    EXPECT_EQ(events[1].subject_id, rejected.id);
}

TEST_P(OutboxStore, AC2bPaymentEmitsOncePerTransId) {
    C2bPayment p;
    p.agency_id = agency_a_;
    p.trans_id = "TFE6H2J8KD";
    p.transaction_type = "Pay Bill";
    p.business_shortcode = "600996";
    p.amount = 2500;
    p.api_version = 2;
    p.trans_time = "20261201090000";
    p.completed_at = "2026-12-01T06:00:00Z";
    auto first = store_->InsertC2bPayment(p);
    ASSERT_TRUE(first) << first.error().message;
    ASSERT_TRUE(store_->InsertC2bPayment(p));
    auto events = Events();
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].type, "c2b.received");
    EXPECT_EQ(events[0].subject_kind, "c2b");
    EXPECT_EQ(events[0].subject_id, first->payment.id);
}

TEST_P(OutboxStore, AReviewItemNamingATransactionEmitsWhenNewlyOpened) {
    auto tx = Stk("ws_CO_5");
    ReviewItem item;
    item.agency_id = agency_a_;
    item.transaction_id = tx.id;
    item.reason_code = "never_confirmed";
    item.reason = "M-Pesa never confirmed this push";
    auto opened = store_->OpenReview(item);
    ASSERT_TRUE(opened) << opened.error().message;
    ASSERT_TRUE(store_->OpenReview(item));  // the same finding again: the same item, no event
    ReviewItem agency_level;
    agency_level.agency_id = agency_a_;
    agency_level.reason_code = "webhook_endpoint_disabled";
    agency_level.reason = "an endpoint kept failing";
    ASSERT_TRUE(store_->OpenReview(agency_level));  // names no transaction: no event
    auto events = Events();
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].type, "transaction.needs_review");
    EXPECT_EQ(events[0].subject_kind, "review");
    EXPECT_EQ(events[0].subject_id, opened->id);
    EXPECT_NE(events[0].data.find("never_confirmed"), std::string::npos);
}

TEST_P(OutboxStore, AUnitThatFailsAfterTheChangeLeavesNoEvent) {
    auto tx = Stk("ws_CO_6");
    auto unit = store_->Atomically([&](Store& s) -> core::Result<void> {
        auto applied = s.ApplyStkOutcome("ws_CO_6", Success("RCP0000006"));
        if (!applied) return core::Fail(applied.error());
        return core::Fail(core::ErrorCode::kInternal, "the unit fails after the change");
    });
    ASSERT_FALSE(unit);
    EXPECT_TRUE(Events().empty());
    EXPECT_EQ(store_->FindStk(agency_a_, tx.id)->status, core::TxStatus::kPending);
}

TEST_P(OutboxStore, AClaimedEventIsNotClaimedTwiceAndFansOutOnce) {
    auto tx = Stk("ws_CO_7");
    ASSERT_TRUE(store_->ApplyStkOutcome("ws_CO_7", Success("RCP0000007")));
    auto mine = Events("worker-1");
    ASSERT_EQ(mine.size(), 1u);
    EXPECT_TRUE(Events("worker-2").empty());  // the lease holds
    OutboxMessage m;
    m.agency_id = agency_a_;
    m.channel = "webhook";
    m.subject_key = "tx:" + std::to_string(tx.id);
    m.dedupe_key = std::to_string(mine[0].id) + ":webhook:1";
    m.payload = "{}";
    auto fanned = store_->FanOutOutboxEvent(mine[0].id, "worker-1", {m, m});
    ASSERT_TRUE(fanned) << fanned.error().message;
    EXPECT_EQ(*fanned, 1);  // the dedupe key lets one in
    EXPECT_EQ(store_->FanOutOutboxEvent(mine[0].id, "worker-1", {m}).error().code, core::ErrorCode::kConflict);
    EXPECT_EQ(store_->FindOutboxEvent(mine[0].id)->status, "DONE");
}

TEST_P(OutboxStore, OneSubjectsMessagesToOneDestinationAreClaimedInOrder) {
    auto tx = Stk("ws_CO_8");
    ASSERT_TRUE(store_->ApplyStkOutcome("ws_CO_8", Success("RCP0000008")));
    ReviewItem item;
    item.agency_id = agency_a_;
    item.transaction_id = tx.id;
    item.reason_code = "amount_mismatch";
    item.reason = "paid less";
    ASSERT_TRUE(store_->OpenReview(item));
    WebhookEndpoint e;
    e.agency_id = agency_a_;
    e.url = "https://example.com/hook";
    e.secret_sealed = "sealed";
    auto endpoint = store_->InsertWebhookEndpoint(e);
    ASSERT_TRUE(endpoint) << endpoint.error().message;
    for (const auto& ev : Events()) {
        OutboxMessage m;
        m.agency_id = agency_a_;
        m.channel = "webhook";
        m.endpoint_id = endpoint->id;
        m.subject_key = "tx:" + std::to_string(tx.id);
        m.dedupe_key = std::to_string(ev.id) + ":webhook:" + std::to_string(endpoint->id);
        m.payload = "{}";
        ASSERT_TRUE(store_->FanOutOutboxEvent(ev.id, "t", {m}));
    }
    const Claim claim{"w", kFar, kFar, kFar, 200};
    auto first = store_->ClaimDueOutboxMessages(claim);
    ASSERT_TRUE(first) << first.error().message;
    ASSERT_EQ(first->size(), 1u);  // the second waits behind the first
    OutboxAttempt failed;
    failed.error = "connection refused";
    ASSERT_TRUE(store_->RecordOutboxAttempt((*first)[0].id, "w", failed, "PENDING", "2000-01-01T00:00:00Z"));
    auto again = store_->ClaimDueOutboxMessages(claim);
    ASSERT_EQ(again->size(), 1u);
    EXPECT_EQ((*again)[0].id, (*first)[0].id);  // still the first: a failure keeps the order
    OutboxAttempt ok;
    ok.ok = true;
    ok.status_code = 200;
    auto delivered = store_->RecordOutboxAttempt((*first)[0].id, "w", ok, "DELIVERED", "");
    ASSERT_TRUE(delivered);
    EXPECT_EQ(delivered->attempts, 2);
    EXPECT_FALSE(delivered->delivered_at.empty());
    auto second = store_->ClaimDueOutboxMessages(claim);
    ASSERT_EQ(second->size(), 1u);
    EXPECT_GT((*second)[0].id, (*first)[0].id);
    EXPECT_EQ(store_->ListOutboxAttempts((*first)[0].id)->size(), 2u);
    EXPECT_EQ(store_->ListSubjectMessages(agency_a_, "tx:" + std::to_string(tx.id))->size(), 2u);
}

TEST_P(OutboxStore, DeletingAnEndpointCancelsItsPendingMessagesAndHidesIt) {
    WebhookEndpoint e;
    e.agency_id = agency_a_;
    e.url = "https://example.com/hook";
    e.event_types = {"payment.succeeded"};
    e.secret_sealed = "sealed";
    auto endpoint = store_->InsertWebhookEndpoint(e);
    ASSERT_TRUE(endpoint);
    EXPECT_EQ(endpoint->event_types, std::vector<std::string>{"payment.succeeded"});
    EXPECT_EQ(store_->FindWebhookEndpoint(agency_b_, endpoint->id).error().code, core::ErrorCode::kNotFound);
    ASSERT_TRUE(store_->DeleteWebhookEndpoint(agency_a_, endpoint->id));
    EXPECT_EQ(store_->FindWebhookEndpoint(agency_a_, endpoint->id).error().code, core::ErrorCode::kNotFound);
    EXPECT_TRUE(store_->ListWebhookEndpoints(agency_a_)->empty());
    EXPECT_FALSE(store_->FindWebhookEndpointAny(endpoint->id)->deleted_at.empty());
}

TEST_P(OutboxStore, FailuresCountUpAndASuccessClearsThem) {
    WebhookEndpoint e;
    e.agency_id = agency_a_;
    e.url = "https://example.com/hook";
    e.secret_sealed = "sealed";
    auto endpoint = store_->InsertWebhookEndpoint(e);
    ASSERT_TRUE(endpoint);
    ASSERT_TRUE(store_->RecordEndpointOutcome(endpoint->id, false, "2026-12-01T00:00:00Z"));
    auto twice = store_->RecordEndpointOutcome(endpoint->id, false, "2026-12-01T00:00:05Z");
    ASSERT_TRUE(twice);
    EXPECT_EQ(twice->consecutive_failures, 2);
    EXPECT_EQ(twice->failing_since, "2026-12-01T00:00:00Z");
    EXPECT_TRUE(*store_->DisableFailingEndpoint(endpoint->id, "kept failing", "2026-12-01T00:01:00Z"));
    EXPECT_FALSE(*store_->DisableFailingEndpoint(endpoint->id, "kept failing", "2026-12-01T00:01:00Z"));
    auto cleared = store_->RecordEndpointOutcome(endpoint->id, true, "2026-12-01T00:02:00Z");
    EXPECT_EQ(cleared->consecutive_failures, 0);
    EXPECT_EQ(cleared->failing_since, "");
    EXPECT_FALSE(cleared->enabled);
    EXPECT_EQ(cleared->disabled_reason, "kept failing");
}

TEST_P(OutboxStore, AnAgencyLevelReviewItemIsPerAgencyAndOpensAgainAfterItWasResolved) {
    ReviewItem a;
    a.agency_id = agency_a_;
    a.reason_code = "webhook_endpoint_disabled";
    a.reason = "endpoint 1 kept failing";
    ReviewItem b = a;
    b.agency_id = agency_b_;
    auto first_a = store_->OpenReview(a);
    auto first_b = store_->OpenReview(b);
    ASSERT_TRUE(first_a && first_b) << (first_a ? first_b.error().message : first_a.error().message);
    EXPECT_NE(first_a->id, first_b->id);                // each agency its own
    EXPECT_EQ(store_->OpenReview(a)->id, first_a->id);  // while open, the same item
    ASSERT_TRUE(store_->ResolveReview(agency_a_, false, first_a->id, "receiver fixed", "admin@a.test"));
    auto again = store_->OpenReview(a);
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_NE(again->id, first_a->id);  // the trouble came back: a new item
    EXPECT_EQ(again->status, "open");
}

INSTANTIATE_TEST_SUITE_P(Backends, OutboxStore, ::testing::ValuesIn(test::Backends()));

}  // namespace
}  // namespace haven::storage
