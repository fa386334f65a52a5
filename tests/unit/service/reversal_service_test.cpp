// InitiateReversal with a fake Daraja over a real SQLite store: only a successful STK payment, only once.
#include "service/reversal_service.hpp"

#include "service/b2c_service.hpp"
#include "service/transfer_results.hpp"
#include "service_fixture.hpp"

namespace haven::service::testing {
namespace {

ReversalInput Reverse(int64_t transaction_id) {
    ReversalInput input;
    input.transaction_id = transaction_id;
    input.remarks = "wrong account";
    input.reason = "tenant paid twice";
    return input;
}

class Reversal : public ServiceTest {
  protected:
    size_t TransferCount() {
        auto rows = store_->ListTransfers({.agency_id = actor_.agency_id});
        EXPECT_TRUE(rows);
        return rows ? rows->size() : 0;
    }
};

TEST_F(Reversal, SuccessfulPaymentIsReversedForWhatWasPaid) {
    auto payment = Payment(1000, TxStatus::kSuccess, 950, "TLC1ABCD23");

    auto reversal = InitiateReversal(Reverse(payment.id), actor_, Transfers());

    ASSERT_TRUE(reversal) << reversal.error().message;
    ASSERT_EQ(daraja_.reversals.size(), 1u);
    EXPECT_EQ(daraja_.reversals[0].transaction_id, "TLC1ABCD23");
    EXPECT_EQ(daraja_.reversals[0].amount, 950);
    EXPECT_EQ(daraja_.reversals[0].result_url, "https://gw.test/reversal/result");
    EXPECT_EQ(reversal->kind, core::TxKind::kReversal);
    EXPECT_EQ(reversal->status, TxStatus::kPending);
    EXPECT_EQ(reversal->original_transaction_id, payment.id);
    EXPECT_EQ(reversal->conversation_id, "AG_2026_conv1");

    auto result = TransferResult(*reversal, 0, "TLD9REV001", 950);
    auto done = ApplyTransferResult(TxKind::kReversal, result, "req-r", Transfers());
    ASSERT_TRUE(done) << done.error().message;
    EXPECT_TRUE(done->applied);
    auto row = store_->FindTransfer(actor_.agency_id, reversal->id);
    ASSERT_TRUE(row);
    EXPECT_EQ(row->status, TxStatus::kSuccess);
    EXPECT_EQ(row->mpesa_receipt_number, "TLD9REV001");
    auto timeline = store_->ListStkEvents(payment.id);
    ASSERT_TRUE(timeline);
    ASSERT_FALSE(timeline->empty());
    EXPECT_EQ(timeline->back().kind, "reversed");  // the original's timeline says it was reversed
}

TEST_F(Reversal, SecondReversalOfOnePaymentIsAConflict) {
    auto payment = Payment(1000, TxStatus::kSuccess);
    ASSERT_TRUE(InitiateReversal(Reverse(payment.id), actor_, Transfers()));

    auto again = InitiateReversal(Reverse(payment.id), actor_, Transfers());

    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, ErrorCode::kConflict);
    EXPECT_EQ(daraja_.reversals.size(), 1u);
}

TEST_F(Reversal, PaymentThatDidNotSucceedIsRefused) {
    auto pending = Payment(1000, TxStatus::kPending);
    auto cancelled = Payment(1000, TxStatus::kFailed);

    for (int64_t id : {pending.id, cancelled.id}) {
        auto reversal = InitiateReversal(Reverse(id), actor_, Transfers());
        ASSERT_FALSE(reversal);
        EXPECT_EQ(reversal.error().code, ErrorCode::kUnprocessable);
        EXPECT_EQ(reversal.error().message, "only a successful payment can be reversed");
    }
    EXPECT_TRUE(daraja_.reversals.empty());
    EXPECT_EQ(TransferCount(), 0u);
}

TEST_F(Reversal, PayoutIsNotAPaymentReceivedAndCannotBeReversed) {
    B2cInput payout;
    payout.phone_number = "254708374149";
    payout.amount = 500;
    payout.type = "payout";
    payout.remarks = "deposit";
    auto paid = InitiateB2c(payout, actor_, Transfers());
    ASSERT_TRUE(paid) << paid.error().message;
    ASSERT_TRUE(ApplyTransferResult(TxKind::kB2c, TransferResult(*paid, 0, "TFE1PAY001", 500), "req-p", Transfers()));

    auto reversal = InitiateReversal(Reverse(paid->id), actor_, Transfers());

    ASSERT_FALSE(reversal);
    EXPECT_EQ(reversal.error().code, ErrorCode::kUnprocessable);
    EXPECT_EQ(reversal.error().message, "only a payment received from a customer can be reversed");
    EXPECT_TRUE(daraja_.reversals.empty());
    EXPECT_EQ(TransferCount(), 1u);
}

TEST_F(Reversal, AnotherAgencysPaymentIsNotFound) {
    auto payment = Payment(1000, TxStatus::kSuccess);
    auto other = store_->FindOrCreateAgency("Westlands Lettings");
    ASSERT_TRUE(other);
    Actor stranger = actor_;
    stranger.agency_id = other->id;

    auto reversal = InitiateReversal(Reverse(payment.id), stranger, Transfers());

    ASSERT_FALSE(reversal);
    EXPECT_EQ(reversal.error().code, ErrorCode::kNotFound);
    EXPECT_TRUE(daraja_.reversals.empty());
}

}  // namespace
}  // namespace haven::service::testing
