#include "service/status_query.hpp"

#include "core/state.hpp"
#include "service/initiator_steps.hpp"

namespace haven::service {

using core::ErrorCode;
using core::TxKind;
using core::TxStatus;
using detail::Event;
using nlohmann::json;

namespace {

constexpr const char* kNotFoundAtMpesa = "2032";  // status query: M-Pesa has no such transaction

/// A status query whose row is written and which is ready to go to Daraja.
struct PreparedStatusQuery {
    int64_t query_id = 0;
    int64_t transaction_id = 0;
    bool transfer = false;  // a B2C payment or reversal (its timeline records the query)
    daraja::StatusRequest request;
};

Result<PreparedStatusQuery> PrepareStatusQuery(int64_t agency_id, int64_t transaction_id,
                                               std::optional<int64_t> user_id, B2cDeps deps) {
    auto kind = deps.store.FindTransactionKind(agency_id, transaction_id);
    if (!kind) return tl::unexpected(kind.error());
    daraja::StatusRequest req;
    req.remarks = "Status check";
    req.occasion = "tx-" + std::to_string(transaction_id);
    req.result_url = deps.urls.status_result;
    req.timeout_url = deps.urls.status_timeout;
    if (*kind == TxKind::kStk) {
        auto stk = deps.store.FindStk(agency_id, transaction_id);
        if (!stk) return tl::unexpected(stk.error());
        if (stk->mpesa_receipt_number.empty()) {
            return core::Fail(ErrorCode::kUnprocessable,
                              "this payment has no M-Pesa receipt yet; its STK status is queried automatically");
        }
        req.transaction_id = stk->mpesa_receipt_number;
        req.b2c_party = false;
    } else {
        auto t = deps.store.FindTransfer(agency_id, transaction_id);
        if (!t) return tl::unexpected(t.error());
        req.transaction_id = t->mpesa_receipt_number;
        const bool b2c = t->kind == TxKind::kB2c;
        if (req.transaction_id.empty()) {
            // B2C: our own OriginatorConversationID, known even when Daraja's answer never came.
            req.original_conversation_id =
                b2c && !t->originator_conversation_id.empty() ? t->originator_conversation_id : t->conversation_id;
        }
        if (req.transaction_id.empty() && req.original_conversation_id.empty()) {
            return core::Fail(ErrorCode::kUnprocessable, "M-Pesa never acknowledged this request; nothing to query");
        }
        req.b2c_party = b2c;
    }
    storage::StatusQuery row;
    row.agency_id = agency_id;
    row.user_id = user_id;
    row.transaction_id = transaction_id;
    row.receipt = req.transaction_id;
    auto inserted = deps.store.InsertStatusQuery(row);
    if (!inserted) return tl::unexpected(inserted.error());
    return PreparedStatusQuery{inserted->id, transaction_id, *kind != TxKind::kStk, std::move(req)};
}

Result<storage::StatusQuery> FinishStatusQuery(const PreparedStatusQuery& prepared, const Result<daraja::AsyncAck>& ack,
                                               B2cDeps deps) {
    const auto& req = prepared.request;
    if (prepared.transfer) {
        Event(deps.store, prepared.transaction_id, "status_query",
              {{"statusQueryId", prepared.query_id},
               {"TransactionID", req.transaction_id},
               {"OriginalConversationID", req.original_conversation_id},
               {"accepted", ack.has_value()}});
    }
    if (!ack) {
        // Never sent (or refused): the query row is closed, the transaction is untouched.
        const std::string ref = "unsent-" + std::to_string(prepared.query_id);
        storage::QueryOutcome failed;
        failed.result_desc = ack.error().message;
        if (deps.store.SetStatusQueryIds(prepared.query_id, "", ref)) (void)deps.store.ApplyStatusOutcome(ref, failed);
        return tl::unexpected(ack.error());
    }
    auto updated =
        deps.store.SetStatusQueryIds(prepared.query_id, ack->originator_conversation_id, ack->conversation_id);
    if (!updated) return tl::unexpected(updated.error());
    return *updated;
}

}  // namespace

Result<storage::StatusQuery> QueryTransactionStatus(int64_t agency_id, int64_t transaction_id,
                                                    std::optional<int64_t> user_id, B2cDeps deps) {
    auto prepared = PrepareStatusQuery(agency_id, transaction_id, user_id, deps);
    if (!prepared) return tl::unexpected(prepared.error());
    return FinishStatusQuery(*prepared, deps.daraja.TransactionStatus(prepared->request), deps);
}

void QueryTransactionStatusAsync(int64_t agency_id, int64_t transaction_id, std::optional<int64_t> user_id,
                                 B2cDeps deps, daraja::Done<storage::StatusQuery> done) {
    auto prepared = PrepareStatusQuery(agency_id, transaction_id, user_id, deps);
    if (!prepared) {
        done(tl::unexpected(prepared.error()));
        return;
    }
    deps.daraja.TransactionStatusAsync(
        prepared->request, [prepared = *prepared, deps, done = std::move(done)](Result<daraja::AsyncAck> ack) {
            done(FinishStatusQuery(prepared, ack, deps));
        });
}

Result<ResultOutcome> ApplyStatusResult(const json& body, const std::string& request_id, B2cDeps deps) {
    auto notice = daraja::ParseResult(body);
    if (!notice) return tl::unexpected(notice.error());
    storage::QueryOutcome q = detail::QueryOutcomeOf(*notice);
    q.detail = notice->Param("TransactionStatus");
    auto applied = detail::ApplyByNotice(deps.store, &storage::Store::ApplyStatusOutcome, *notice, q);
    if (!applied) {
        if (applied.error().code != ErrorCode::kNotFound) return tl::unexpected(applied.error());
        return detail::Unmatched(deps.store, "status", *notice, body);
    }
    const auto& [changed, query] = *applied;
    if (!changed || !query.transaction_id) return ResultOutcome{true, false};
    auto kind = deps.store.FindTransactionKind(query.agency_id, *query.transaction_id);
    if (!kind) return ResultOutcome{true, false};
    if (*kind == TxKind::kStk) {
        (void)deps.store.AddStkEvent(*query.transaction_id, "query", RedactResult(body).dump());
        return ResultOutcome{true, false};
    }
    auto t = deps.store.FindTransfer(query.agency_id, *query.transaction_id);
    if (!t) return tl::unexpected(t.error());
    Event(deps.store, t->id, "status_result", body);
    if (t->status != TxStatus::kPending) return ResultOutcome{true, false};
    storage::TransferOutcome outcome;
    outcome.result_code = notice->result_code;
    const std::string& status = q.detail;
    if (notice->ok() && (status == "Completed" || status == "Reversed")) {
        outcome.status = TxStatus::kSuccess;
        outcome.result_code = "0";
        outcome.result_desc = "Completed (confirmed by a transaction status query)";
        outcome.mpesa_receipt_number = notice->Param("ReceiptNo");
    } else if (notice->ok() && (status == "Failed" || status == "Cancelled" || status == "Declined")) {
        outcome.status = TxStatus::kFailed;
        outcome.result_desc = status + " (transaction status query)";
    } else if (notice->result_code == kNotFoundAtMpesa) {
        // M-Pesa itself says it has no such transaction: it was never executed, nothing was paid.
        outcome.status = TxStatus::kFailed;
        outcome.result_desc = "M-Pesa has no record of this transaction: " + notice->result_desc;
    } else {
        return ResultOutcome{true, false};  // no definite answer: stays PENDING
    }
    return detail::Settle(deps.store, *t, outcome, "system", request_id);
}

Result<ResultOutcome> ApplyStatusTimeout(const json& body, const std::string& request_id, B2cDeps deps) {
    (void)request_id;
    return detail::ApplyQueryTimeout("status.timeout", &storage::Store::ApplyStatusOutcome, body, deps);
}

}  // namespace haven::service
