// InitiateB2c with a fake Daraja over a real SQLite store: payouts and refunds, and the refund cap.
#include "service/b2c_service.hpp"

#include "service_fixture.hpp"

namespace haven::service::testing {
namespace {

B2cInput Payout(int64_t amount, const std::string& type = "payout") {
    B2cInput input;
    input.phone_number = "254708374149";
    input.amount = amount;
    input.type = type;
    input.remarks = "deposit refund";
    return input;
}

B2cInput Refund(int64_t original_id, int64_t amount) {
    B2cInput input = Payout(amount, "refund");
    input.original_transaction_id = original_id;
    return input;
}

class B2c : public ServiceTest {};

TEST_F(B2c, PayoutWritesItsRowWithOurOwnIdBeforeDarajaIsCalled) {
    std::vector<storage::Transfer> seen_during_call;
    daraja_.on_call = [&] {
        auto rows = store_->ListTransfers({.agency_id = actor_.agency_id});
        ASSERT_TRUE(rows);
        seen_during_call = *rows;
    };

    auto paid = InitiateB2c(Payout(2500), actor_, Transfers());

    ASSERT_TRUE(paid) << paid.error().message;
    ASSERT_EQ(seen_during_call.size(), 1u);
    EXPECT_EQ(seen_during_call[0].status, TxStatus::kPending);
    // Our OriginatorConversationID is stored before the call: B2C v3 refuses a duplicate, so a retry cannot pay twice.
    ASSERT_FALSE(seen_during_call[0].originator_conversation_id.empty());
    ASSERT_EQ(daraja_.b2c_payments.size(), 1u);
    const auto& sent = daraja_.b2c_payments[0];
    EXPECT_EQ(sent.originator_conversation_id, seen_during_call[0].originator_conversation_id);
    EXPECT_EQ(sent.command_id, "BusinessPayment");
    EXPECT_EQ(sent.amount, 2500);
    EXPECT_EQ(sent.phone_number, "254708374149");
    EXPECT_EQ(sent.result_url, "https://gw.test/b2c/result");
    EXPECT_EQ(sent.timeout_url, "https://gw.test/b2c/timeout");
    EXPECT_EQ(paid->kind, core::TxKind::kB2c);
    EXPECT_EQ(paid->status, TxStatus::kPending);
    EXPECT_EQ(paid->conversation_id, "AG_2026_conv1");
    EXPECT_EQ(paid->originator_conversation_id, sent.originator_conversation_id);
}

TEST_F(B2c, EachTypeUsesItsCommandAndAnUnknownTypeIsRefused) {
    ASSERT_TRUE(InitiateB2c(Payout(100, "salary"), actor_, Transfers()));
    ASSERT_TRUE(InitiateB2c(Payout(100, "bonus"), actor_, Transfers()));
    auto unknown = InitiateB2c(Payout(100, "gift"), actor_, Transfers());

    ASSERT_FALSE(unknown);
    EXPECT_EQ(unknown.error().code, ErrorCode::kValidation);
    ASSERT_EQ(daraja_.b2c_payments.size(), 2u);
    EXPECT_EQ(daraja_.b2c_payments[0].command_id, "SalaryPayment");
    EXPECT_EQ(daraja_.b2c_payments[1].command_id, "PromotionPayment");
}

TEST_F(B2c, DarajaRefusalMarksThePayoutFailed) {
    daraja_.async_answers.push_back(core::Fail(DarajaRefusal("The initiator information is invalid.")));

    auto paid = InitiateB2c(Payout(2500), actor_, Transfers());

    ASSERT_FALSE(paid);
    EXPECT_EQ(paid.error().code, ErrorCode::kUpstream);
    auto rows = store_->ListTransfers({.agency_id = actor_.agency_id});
    ASSERT_TRUE(rows);
    ASSERT_EQ(rows->size(), 1u);
    EXPECT_EQ((*rows)[0].status, TxStatus::kFailed);
    EXPECT_EQ((*rows)[0].result_desc, "The initiator information is invalid.");
}

TEST_F(B2c, RefundIsCappedByWhatMpesaSaysWasPaid) {
    // Asked for 1000, M-Pesa took 800: 800 is what can go back.
    auto payment = Payment(1000, TxStatus::kSuccess, 800);
    ASSERT_EQ(payment.paid_amount, 800);

    auto too_much = InitiateB2c(Refund(payment.id, 900), actor_, Transfers());
    ASSERT_FALSE(too_much);
    EXPECT_EQ(too_much.error().code, ErrorCode::kUnprocessable);
    EXPECT_EQ(too_much.error().message, "the amount exceeds what is left of the payment (KES 800)");

    ASSERT_TRUE(InitiateB2c(Refund(payment.id, 500), actor_, Transfers()));
    auto rest = InitiateB2c(Refund(payment.id, 400), actor_, Transfers());
    ASSERT_FALSE(rest);
    EXPECT_EQ(rest.error().message, "the amount exceeds what is left of the payment (KES 300)");
    ASSERT_TRUE(InitiateB2c(Refund(payment.id, 300), actor_, Transfers()));

    EXPECT_EQ(daraja_.b2c_payments.size(), 2u);  // refused refunds never reach Daraja
}

TEST_F(B2c, RefundOfAPaymentThatDidNotSucceedIsRefused) {
    auto cancelled = Payment(1000, TxStatus::kFailed);

    auto refund = InitiateB2c(Refund(cancelled.id, 100), actor_, Transfers());

    ASSERT_FALSE(refund);
    EXPECT_EQ(refund.error().code, ErrorCode::kUnprocessable);
    EXPECT_TRUE(daraja_.b2c_payments.empty());
}

}  // namespace
}  // namespace haven::service::testing
