#include "core/refund_rules.hpp"

#include <gtest/gtest.h>

namespace haven::core {
namespace {

StkTransaction Paid(int64_t amount, std::optional<int64_t> paid_amount = std::nullopt) {
    StkTransaction t;
    t.id = 7;
    t.amount = amount;
    t.paid_amount = paid_amount;
    t.status = TxStatus::kSuccess;
    t.mpesa_receipt_number = "QKX1234567";
    return t;
}

ErrorCode CodeOf(const Result<void>& r) { return r.error().code; }

TEST(RefundRules, ARefundUpToWhatWasPaidIsAllowed) {
    EXPECT_TRUE(CheckSendBack(TxKind::kB2c, Paid(1000), {}, 1000));
    EXPECT_TRUE(CheckSendBack(TxKind::kB2c, Paid(1000), {.refunded = 400}, 600));
}

TEST(RefundRules, RefundsNeverExceedWhatIsLeft) {
    auto r = CheckSendBack(TxKind::kB2c, Paid(1000), {.refunded = 400}, 601);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kUnprocessable);
    EXPECT_EQ(r.error().message, "the amount exceeds what is left of the payment (KES 600)");
}

TEST(RefundRules, TheCapIsWhatMpesaTookNotWhatWasAsked) {
    // Asked 1000, M-Pesa took 900: 900 is what can go back.
    EXPECT_EQ(CodeOf(CheckSendBack(TxKind::kB2c, Paid(1000, 900), {}, 901)), ErrorCode::kUnprocessable);
    EXPECT_TRUE(CheckSendBack(TxKind::kB2c, Paid(1000, 900), {}, 900));
    EXPECT_EQ(CodeOf(CheckSendBack(TxKind::kReversal, Paid(1000, 900), {}, 1000)), ErrorCode::kUnprocessable);
}

TEST(RefundRules, OnlyASuccessfulPaymentCanBeRefundedOrReversed) {
    for (TxStatus status : {TxStatus::kPending, TxStatus::kFailed}) {
        StkTransaction original = Paid(1000);
        original.status = status;
        auto refund = CheckSendBack(TxKind::kB2c, original, {}, 100);
        ASSERT_FALSE(refund);
        EXPECT_EQ(refund.error().code, ErrorCode::kUnprocessable);
        EXPECT_EQ(refund.error().message, "only a successful payment can be refunded");
        auto reversal = CheckSendBack(TxKind::kReversal, original, {}, 1000);
        ASSERT_FALSE(reversal);
        EXPECT_EQ(reversal.error().message, "only a successful payment can be reversed");
    }
}

TEST(RefundRules, AReversedPaymentTakesNoRefundAndNoSecondReversal) {
    EXPECT_EQ(CodeOf(CheckSendBack(TxKind::kB2c, Paid(1000), {.reversals = 1}, 1)), ErrorCode::kConflict);
    EXPECT_EQ(CodeOf(CheckSendBack(TxKind::kReversal, Paid(1000), {.reversals = 1}, 1000)), ErrorCode::kConflict);
}

TEST(RefundRules, AReversalAfterARefundCoversOnlyWhatIsLeft) {
    EXPECT_TRUE(CheckSendBack(TxKind::kReversal, Paid(1000), {.refunded = 300}, 700));
    EXPECT_EQ(CodeOf(CheckSendBack(TxKind::kReversal, Paid(1000), {.refunded = 300}, 1000)), ErrorCode::kUnprocessable);
}

TEST(RefundRules, AReversalNeedsTheReceipt) {
    StkTransaction original = Paid(1000);
    original.mpesa_receipt_number.clear();
    auto r = CheckSendBack(TxKind::kReversal, original, {}, 1000);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, "the payment has no M-Pesa receipt to reverse");
    EXPECT_TRUE(CheckSendBack(TxKind::kB2c, original, {}, 1000)) << "a refund is a new payment: no receipt needed";
}

TEST(RefundRules, AnStkPushIsNotATransfer) {
    EXPECT_EQ(CodeOf(CheckSendBack(TxKind::kStk, Paid(1000), {}, 1)), ErrorCode::kValidation);
}

}  // namespace
}  // namespace haven::core
