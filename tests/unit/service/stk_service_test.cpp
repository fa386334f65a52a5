// InitiateStkPush with a fake Daraja over a real SQLite store: what a tenant's push leaves behind.
#include "service/stk_service.hpp"

#include "service_fixture.hpp"

namespace haven::service::testing {
namespace {

StkPushInput Rent(int64_t amount = 1500) {
    StkPushInput input;
    input.phone_number = "254708374149";
    input.amount = amount;
    input.account_reference = "A-204";
    input.transaction_desc = "Rent Payment for Apt 204";
    return input;
}

class StkPush : public ServiceTest {};

TEST_F(StkPush, RowIsWrittenBeforeDarajaIsCalledAndKeepsDarajasIds) {
    std::vector<core::StkTransaction> seen_during_call;
    daraja_.on_call = [&] {
        auto rows = store_->ListStk({.agency_id = actor_.agency_id});
        ASSERT_TRUE(rows);
        seen_during_call = *rows;
    };
    daraja_.stk_answers.push_back(daraja::StkPushAck{"29115-34620561-1", "ws_CO_191220191020363925", "0",
                                                     "Success. Request accepted for processing", "Success"});

    auto pushed = InitiateStkPush(Rent(), actor_, Stk());

    ASSERT_TRUE(pushed) << pushed.error().message;
    ASSERT_EQ(seen_during_call.size(), 1u);  // a crash during the call leaves a trace, never a phantom
    EXPECT_EQ(seen_during_call[0].status, TxStatus::kPending);
    EXPECT_EQ(seen_during_call[0].amount, 1500);
    EXPECT_TRUE(seen_during_call[0].checkout_request_id.empty());
    ASSERT_EQ(daraja_.stk_pushes.size(), 1u);
    EXPECT_EQ(daraja_.stk_pushes[0].phone_number, "254708374149");
    EXPECT_EQ(daraja_.stk_pushes[0].transaction_desc, "Rent Payment ");  // Daraja's 13 characters
    EXPECT_EQ(daraja_.stk_pushes[0].callback_url, Stk().callback_url);
    auto row = store_->FindStk(actor_.agency_id, pushed->transaction.id);
    ASSERT_TRUE(row);
    EXPECT_EQ(row->status, TxStatus::kPending);
    EXPECT_EQ(row->merchant_request_id, "29115-34620561-1");
    EXPECT_EQ(row->checkout_request_id, "ws_CO_191220191020363925");
    EXPECT_EQ(row->transaction_desc, "Rent Payment for Apt 204");  // the row keeps the whole text
}

TEST_F(StkPush, DarajaRefusalMarksTheRowFailedWithDarajasReason) {
    daraja_.stk_answers.push_back(core::Fail(DarajaRefusal("Invalid PhoneNumber")));

    auto pushed = InitiateStkPush(Rent(), actor_, Stk());

    ASSERT_FALSE(pushed);
    EXPECT_EQ(pushed.error().code, ErrorCode::kUpstream);
    auto rows = store_->ListStk({.agency_id = actor_.agency_id});
    ASSERT_TRUE(rows);
    ASSERT_EQ(rows->size(), 1u);
    EXPECT_EQ((*rows)[0].status, TxStatus::kFailed);
    EXPECT_EQ((*rows)[0].result_desc, "Invalid PhoneNumber");
}

TEST_F(StkPush, NoAnswerFromDarajaLeavesThePushPending) {
    daraja_.stk_answers.push_back(core::Fail(ErrorCode::kUpstreamUnavailable, "Daraja did not answer in time"));

    auto pushed = InitiateStkPush(Rent(), actor_, Stk());

    ASSERT_FALSE(pushed);
    EXPECT_EQ(pushed.error().code, ErrorCode::kUpstreamUnavailable);
    auto rows = store_->ListStk({.agency_id = actor_.agency_id});
    ASSERT_TRUE(rows);
    ASSERT_EQ(rows->size(), 1u);
    // The prompt may have reached the phone: not FAILED, left for reconciliation.
    EXPECT_EQ((*rows)[0].status, TxStatus::kPending);
}

TEST_F(StkPush, AsyncPushWritesTheRowBeforeDarajaAnswers) {
    daraja_.hold_async = true;
    std::optional<Result<StkPushOutput>> answer;

    InitiateStkPushAsync(Rent(), actor_, Stk(), [&](Result<StkPushOutput> out) { answer = std::move(out); });

    EXPECT_FALSE(answer);
    auto rows = store_->ListStk({.agency_id = actor_.agency_id});
    ASSERT_TRUE(rows);
    ASSERT_EQ(rows->size(), 1u);
    EXPECT_EQ((*rows)[0].status, TxStatus::kPending);

    daraja_.Release();
    ASSERT_TRUE(answer);
    ASSERT_TRUE(*answer) << (*answer).error().message;
    EXPECT_EQ((*answer)->transaction.checkout_request_id, "ws_CO_1");
}

TEST_F(StkPush, CallbackSettlesThePushOnceAndRecordsOnePayment) {
    core::Lease lease;
    lease.agency_id = actor_.agency_id;
    lease.tenant_name = "Jane Wanjiku";
    lease.phone_number = "254708374149";
    lease.unit = "204";
    lease.monthly_rent = 1500;
    lease.account_reference = "A-204";
    auto inserted = store_->InsertLease(lease);
    ASSERT_TRUE(inserted) << inserted.error().message;
    StkPushInput input = Rent();
    input.lease_id = inserted->id;
    auto pushed = InitiateStkPush(input, actor_, Stk());
    ASSERT_TRUE(pushed) << pushed.error().message;
    auto body = StkCallback(pushed->transaction.checkout_request_id, 0, 1500, "TLC1ABCD23");

    auto first = ApplyStkCallback(body, "req-cb-1", Stk());
    auto again = ApplyStkCallback(body, "req-cb-2", Stk());

    ASSERT_TRUE(first) << first.error().message;
    EXPECT_TRUE(first->applied);
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_TRUE(again->matched);
    EXPECT_FALSE(again->applied);
    auto row = store_->FindStk(actor_.agency_id, pushed->transaction.id);
    ASSERT_TRUE(row);
    EXPECT_EQ(row->status, TxStatus::kSuccess);
    EXPECT_EQ(row->mpesa_receipt_number, "TLC1ABCD23");
    auto payments = store_->ListPayments(actor_.agency_id, inserted->id);
    ASSERT_TRUE(payments);
    ASSERT_EQ(payments->size(), 1u);  // the duplicate callback pays nothing twice
    EXPECT_EQ((*payments)[0].amount, 1500);
}

}  // namespace
}  // namespace haven::service::testing
