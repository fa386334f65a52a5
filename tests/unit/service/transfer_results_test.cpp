// Results and queue timeouts Daraja posts for B2C payments, over a real SQLite store: applied once, a timeout
// never fails a payment M-Pesa may have made, and the status query it sends settles it.
#include "service/transfer_results.hpp"

#include "service/b2c_service.hpp"
#include "service/status_query.hpp"
#include "service_fixture.hpp"

namespace haven::service::testing {
namespace {

class TransferResults : public ServiceTest {
  protected:
    storage::Transfer Paid(int64_t amount = 2500) {
        B2cInput input;
        input.phone_number = "254708374149";
        input.amount = amount;
        input.type = "payout";
        input.remarks = "deposit";
        auto paid = InitiateB2c(input, actor_, Transfers());
        EXPECT_TRUE(paid) << paid.error().message;
        return paid ? *paid : storage::Transfer{};
    }
    storage::Transfer Row(int64_t id) {
        auto row = store_->FindTransfer(actor_.agency_id, id);
        EXPECT_TRUE(row) << row.error().message;
        return row ? *row : storage::Transfer{};
    }
    static json Timeout(const storage::Transfer& t) {
        return {{"Result",
                 {{"ResultType", 1},
                  {"ResultCode", 1},
                  {"ResultDesc", "The service request has timed out."},
                  {"OriginatorConversationID", t.originator_conversation_id},
                  {"ConversationID", t.conversation_id},
                  {"TransactionID", "TFE0000000"}}}};
    }
};

TEST_F(TransferResults, SuccessIsAppliedOnceAndADuplicateChangesNothing) {
    auto paid = Paid();
    auto body = TransferResult(paid, 0, "TFE8L2M9QX", 2500);

    auto first = ApplyTransferResult(TxKind::kB2c, body, "req-1", Transfers());
    auto duplicate = ApplyTransferResult(TxKind::kB2c, body, "req-2", Transfers());
    auto late_failure = ApplyTransferResult(TxKind::kB2c, TransferResult(paid, 2001, "", 0), "req-3", Transfers());

    ASSERT_TRUE(first) << first.error().message;
    EXPECT_TRUE(first->matched);
    EXPECT_TRUE(first->applied);
    ASSERT_TRUE(duplicate) << duplicate.error().message;
    EXPECT_TRUE(duplicate->matched);
    EXPECT_FALSE(duplicate->applied);
    ASSERT_TRUE(late_failure) << late_failure.error().message;
    EXPECT_FALSE(late_failure->applied);
    auto row = Row(paid.id);
    EXPECT_EQ(row.status, TxStatus::kSuccess);  // a final state never moves back
    EXPECT_EQ(row.mpesa_receipt_number, "TFE8L2M9QX");
    EXPECT_EQ(row.result_code, "0");
    EXPECT_EQ(store_->CountAudit("b2c.status", "success").value_or(-1), 1);
}

TEST_F(TransferResults, FailureResultMarksThePayoutFailedWithMpesasReason) {
    auto paid = Paid();

    auto applied = ApplyTransferResult(TxKind::kB2c, TransferResult(paid, 2001, "", 0), "req-1", Transfers());

    ASSERT_TRUE(applied) << applied.error().message;
    EXPECT_TRUE(applied->applied);
    auto row = Row(paid.id);
    EXPECT_EQ(row.status, TxStatus::kFailed);
    EXPECT_EQ(row.result_code, "2001");
    EXPECT_EQ(row.result_desc, "The balance is insufficient for the transaction.");
}

TEST_F(TransferResults, ResultForAnUnknownConversationIsKeptAndChangesNoPayout) {
    auto paid = Paid();
    storage::Transfer stranger = paid;
    stranger.originator_conversation_id = "someone-else";
    stranger.conversation_id = "AG_unknown";

    auto result = TransferResult(stranger, 0, "TFE0STRAY1", 2500);
    auto applied = ApplyTransferResult(TxKind::kB2c, result, "req-1", Transfers());

    ASSERT_TRUE(applied) << applied.error().message;
    EXPECT_FALSE(applied->matched);
    EXPECT_EQ(store_->CountUnmatchedCallbacks("AG_unknown").value_or(0), 1);
    EXPECT_EQ(Row(paid.id).status, TxStatus::kPending);
}

TEST_F(TransferResults, TimeoutLeavesThePayoutPendingAndAsksMpesaForItsStatus) {
    auto paid = Paid();

    auto timed_out = ApplyTransferTimeout(TxKind::kB2c, Timeout(paid), "req-1", Transfers());

    ASSERT_TRUE(timed_out) << timed_out.error().message;
    EXPECT_TRUE(timed_out->matched);
    EXPECT_FALSE(timed_out->applied);
    EXPECT_EQ(Row(paid.id).status, TxStatus::kPending);  // M-Pesa may still have paid
    ASSERT_EQ(daraja_.status_queries.size(), 1u);
    const auto& query = daraja_.status_queries[0];
    EXPECT_TRUE(query.transaction_id.empty());  // no receipt yet: asked by our own conversation id
    EXPECT_EQ(query.original_conversation_id, paid.originator_conversation_id);
    EXPECT_TRUE(query.b2c_party);
    EXPECT_EQ(query.result_url, "https://gw.test/status/result");
}

TEST_F(TransferResults, StatusResultAfterATimeoutSettlesThePayout) {
    auto paid = Paid();
    ASSERT_TRUE(ApplyTransferTimeout(TxKind::kB2c, Timeout(paid), "req-1", Transfers()));
    ASSERT_EQ(daraja_.status_queries.size(), 1u);
    // The fake acknowledged the query with the ids below (its second async answer).
    json status = {{"Result",
                    {{"ResultType", 0},
                     {"ResultCode", 0},
                     {"ResultDesc", "The service request is processed successfully."},
                     {"OriginatorConversationID", "ocid-2"},
                     {"ConversationID", "AG_2026_conv2"},
                     {"TransactionID", "TFE0000000"},
                     {"ResultParameters",
                      {{"ResultParameter", json::array({{{"Key", "TransactionStatus"}, {"Value", "Completed"}},
                                                        {{"Key", "ReceiptNo"}, {"Value", "TFE8L2M9QX"}}})}}}}}};

    auto applied = ApplyStatusResult(status, "req-2", Transfers());

    ASSERT_TRUE(applied) << applied.error().message;
    EXPECT_TRUE(applied->applied);
    auto row = Row(paid.id);
    EXPECT_EQ(row.status, TxStatus::kSuccess);
    EXPECT_EQ(row.mpesa_receipt_number, "TFE8L2M9QX");
}

TEST_F(TransferResults, TimeoutOfASettledPayoutSendsNoQuery) {
    auto paid = Paid();
    ASSERT_TRUE(ApplyTransferResult(TxKind::kB2c, TransferResult(paid, 0, "TFE8L2M9QX", 2500), "req-1", Transfers()));

    auto timed_out = ApplyTransferTimeout(TxKind::kB2c, Timeout(paid), "req-2", Transfers());

    ASSERT_TRUE(timed_out) << timed_out.error().message;
    EXPECT_TRUE(daraja_.status_queries.empty());
    EXPECT_EQ(Row(paid.id).status, TxStatus::kSuccess);
}

}  // namespace
}  // namespace haven::service::testing
