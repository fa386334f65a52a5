#include "service/b2c_service.hpp"

#include <spdlog/spdlog.h>

#include "core/amount.hpp"
#include "core/phone.hpp"
#include "core/state.hpp"
#include "daraja/callbacks.hpp"
#include "daraja/results.hpp"
#include "service/auth.hpp"

namespace haven::service {

using core::ErrorCode;
using core::TxStatus;
using nlohmann::json;

namespace {

constexpr const char* kNotFoundAtMpesa = "2032";  // status query: M-Pesa has no such transaction

void Audit(storage::Store& store, std::optional<int64_t> agency_id, std::optional<int64_t> user_id,
           const std::string& actor, const std::string& action, const std::string& target,
           const std::string& request_id, const std::string& outcome) {
    auto r = store.InsertAudit({agency_id, user_id, actor, action, target, request_id, outcome});
    if (!r) spdlog::error("audit log write failed: {}", r.error().message);
}

void Event(storage::Store& store, int64_t id, const std::string& kind, const json& payload) {
    auto r = store.AddTransferEvent(id, kind, RedactResult(payload).dump());
    if (!r) spdlog::error("timeline write failed for transaction {}: {}", id, r.error().message);
}

std::string Target(const std::string& kind, int64_t id) { return kind + ":" + std::to_string(id); }

json MaskAll(json v) {
    if (v.is_string()) return core::MaskPhonesIn(v.get<std::string>());
    if (v.is_number_integer() || v.is_number_unsigned()) {
        std::string text = v.dump();
        if (core::MaskPhonesIn(text) != text) return core::MaskPhonesIn(text);
        return v;
    }
    if (v.is_object() || v.is_array()) {
        for (auto& item : v) item = MaskAll(std::move(item));
    }
    return v;
}

ResultOutcome Unmatched(storage::Store& store, const std::string& kind, const daraja::ResultNotice& notice,
                        const json& body) {
    std::string reference = notice.conversation_id.empty() ? notice.originator_conversation_id : notice.conversation_id;
    auto kept = store.InsertUnmatchedCallback(kind, reference, RedactResult(body).dump());
    if (!kept) spdlog::error("unmatched {} result not stored: {}", kind, kept.error().message);
    spdlog::warn("{} for unknown ConversationID {} stored for review", kind, reference);
    return ResultOutcome{false, false};
}

/// Finds the row by ConversationID first, then by OriginatorConversationID.
Result<storage::Transfer> FindByNotice(storage::Store& store, const daraja::ResultNotice& notice) {
    auto found = store.FindTransferByConversationId(notice.conversation_id);
    if (found || found.error().code != ErrorCode::kNotFound) return found;
    return store.FindTransferByConversationId(notice.originator_conversation_id);
}

/// ParseResult, and when the body fails our checks, the transfer it names (if any) attached to the error.
Result<daraja::ResultNotice> ParseNotice(storage::Store& store, const json& body) {
    auto notice = daraja::ParseResult(body);
    if (notice || !body.is_object() || !body.contains("Result") || !body["Result"].is_object()) return notice;
    for (const char* id : {"ConversationID", "OriginatorConversationID"}) {
        const json& r = body["Result"];
        if (!r.contains(id)) continue;
        if (auto t = store.FindTransferByConversationId(daraja::JsonScalarText(r[id]))) {
            return core::Fail(core::AboutTransaction(notice.error(), t->id, t->agency_id));
        }
    }
    return notice;
}

/// Applies a final outcome once. A receipt another transfer already has is kConflict (kept for review);
/// a storage failure is an error, so the Result is not acknowledged and Daraja may send it again.
Result<ResultOutcome> Settle(storage::Store& store, const storage::Transfer& t, const storage::TransferOutcome& outcome,
                             const std::string& source, const std::string& request_id) {
    auto applied = store.ApplyTransferOutcome(t.id, outcome);
    if (!applied) {
        if (applied.error().code == ErrorCode::kConflict) {
            return core::Fail(core::AboutTransaction(
                core::Error::Make(ErrorCode::kConflict,
                                  "receipt " + outcome.mpesa_receipt_number + " already settles another transaction"),
                t.id, t.agency_id));
        }
        return tl::unexpected(applied.error());
    }
    if (applied->applied) {
        const auto& now = applied->transfer;
        Audit(store, now.agency_id, std::nullopt, source, std::string(core::ToString(t.kind)) + ".status",
              Target(std::string(core::ToString(t.kind)), t.id), request_id,
              std::string("success: ") + std::string(core::ToString(now.status)));
        spdlog::info("{} {} is now {} (ResultCode {})", core::ToString(t.kind), t.id, core::ToString(now.status), outcome.result_code);
        if (t.kind == core::TxKind::kReversal && now.status == TxStatus::kSuccess && t.original_transaction_id) {
            // The original's timeline says it was reversed.
            auto r = store.AddStkEvent(*t.original_transaction_id, "reversed",
                                       json{{"reversalId", t.id}, {"receipt", now.mpesa_receipt_number}}.dump());
            if (!r) spdlog::error("timeline write failed: {}", r.error().message);
        }
    }
    return ResultOutcome{true, applied->applied};
}

std::string NewOriginatorId() { return "haven-" + RandomToken(16); }

/// Store::ApplyBalanceOutcome or Store::ApplyStatusOutcome.
template <class Row>
using ApplyQuery = Result<std::pair<bool, Row>> (storage::Store::*)(const std::string&, const storage::QueryOutcome&);

/// Applies a balance or status query outcome to the row named by the notice's ConversationID, else by its
/// OriginatorConversationID.
template <class Row>
Result<std::pair<bool, Row>> ApplyByNotice(storage::Store& store, ApplyQuery<Row> apply,
                                           const daraja::ResultNotice& notice, const storage::QueryOutcome& q) {
    auto applied = (store.*apply)(notice.conversation_id, q);
    if (!applied && applied.error().code == ErrorCode::kNotFound) {
        applied = (store.*apply)(notice.originator_conversation_id, q);
    }
    return applied;
}

/// A balance or status query that sat in M-Pesa's queue too long. A query moves no money: a timeout just ends
/// it FAILED. An unknown id is kept as an unmatched `kind` callback.
template <class Row>
Result<ResultOutcome> ApplyQueryTimeout(const std::string& kind, ApplyQuery<Row> apply, const json& body,
                                        B2cDeps deps) {
    auto notice = daraja::ParseResult(body);
    if (!notice) return tl::unexpected(notice.error());
    storage::QueryOutcome q;
    q.status = TxStatus::kFailed;
    q.result_code = notice->result_code;
    q.result_desc = "timed out: " + notice->result_desc;
    auto applied = ApplyByNotice(deps.store, apply, *notice, q);
    if (!applied) {
        if (applied.error().code != ErrorCode::kNotFound) return tl::unexpected(applied.error());
        return Unmatched(deps.store, kind, *notice, body);
    }
    return ResultOutcome{true, applied->first};
}

}  // namespace

json RedactResult(const json& payload) { return MaskAll(RedactPayload(payload)); }

namespace {

/// A transfer whose PENDING row is written and which is ready to go to Daraja.
template <class Request>
struct PreparedTransfer {
    int64_t id = 0;
    Request request;
};

Result<PreparedTransfer<daraja::B2cRequest>> PrepareB2c(const B2cInput& input, const Actor& actor, B2cDeps deps) {
    auto command = CommandIdFor(input.type);
    if (!command) return core::Fail(core::Error::Validation("type", "type must be refund, payout, salary, bonus or promotion"));
    storage::Transfer row;
    row.agency_id = actor.agency_id;
    row.user_id = actor.user_id;
    row.kind = core::TxKind::kB2c;
    row.type = input.type;
    row.command_id = *command;
    row.phone_number = input.phone_number;
    row.amount = input.amount;
    row.remarks = input.remarks;
    row.occasion = input.occasion;
    row.original_transaction_id = input.original_transaction_id;
    // Our own id, stored before Daraja hears of the payment: B2C v3 refuses a duplicate, so a
    // retried request can never pay twice.
    row.originator_conversation_id = NewOriginatorId();
    auto inserted = deps.store.InsertTransfer(row, input.idempotency);
    if (!inserted) {
        if (inserted.error().code == ErrorCode::kNotFound) {
            return core::Fail(ErrorCode::kNotFound, "originalTransactionId: no payment with this id");
        }
        return tl::unexpected(inserted.error());
    }
    const int64_t id = inserted->id;
    Event(deps.store, id, "request_sent",
          {{"CommandID", *command}, {"Amount", input.amount}, {"PartyB", input.phone_number},
           {"Remarks", input.remarks}, {"OriginatorConversationID", row.originator_conversation_id}});
    daraja::B2cRequest req{row.originator_conversation_id, *command, input.amount, input.phone_number, input.remarks,
                           input.occasion, deps.urls.b2c_result, deps.urls.b2c_timeout};
    return PreparedTransfer<daraja::B2cRequest>{id, std::move(req)};
}

/// Records Daraja's answer to a prepared B2C payment or reversal.
Result<storage::Transfer> FinishTransfer(int64_t id, const std::string& originator_conversation_id,
                                         const Result<daraja::AsyncAck>& ack, B2cDeps deps) {
    if (!ack) {
        const auto& err = ack.error();
        Event(deps.store, id, "daraja_error", {{"message", err.message}, {"daraja", err.extra}});
        // Refused: nothing was paid. No answer: it may or may not be queued; it stays PENDING for a status query.
        if (err.code == ErrorCode::kUpstream) (void)deps.store.MarkTransferRejected(id, err.message);
        return tl::unexpected(err);
    }
    Event(deps.store, id, "daraja_response",
          {{"OriginatorConversationID", ack->originator_conversation_id}, {"ConversationID", ack->conversation_id},
           {"ResponseCode", ack->response_code}, {"ResponseDescription", ack->response_description}});
    // B2C: our own OriginatorConversationID (persisted before the call); a reversal: the one Daraja gave.
    const std::string& originator =
        originator_conversation_id.empty() ? ack->originator_conversation_id : originator_conversation_id;
    auto updated = deps.store.SetTransferDarajaIds(id, originator, ack->conversation_id);
    if (!updated) return tl::unexpected(updated.error());
    return *updated;
}

}  // namespace

Result<storage::Transfer> InitiateB2c(const B2cInput& input, const Actor& actor, B2cDeps deps) {
    auto prepared = PrepareB2c(input, actor, deps);
    if (!prepared) return tl::unexpected(prepared.error());
    return FinishTransfer(prepared->id, prepared->request.originator_conversation_id,
                          deps.daraja.B2cPayment(prepared->request), deps);
}

void InitiateB2cAsync(const B2cInput& input, const Actor& actor, B2cDeps deps, daraja::Done<storage::Transfer> done) {
    auto prepared = PrepareB2c(input, actor, deps);
    if (!prepared) {
        done(tl::unexpected(prepared.error()));
        return;
    }
    deps.daraja.B2cPaymentAsync(prepared->request, [id = prepared->id,
                                                    originator = prepared->request.originator_conversation_id, deps,
                                                    done = std::move(done)](Result<daraja::AsyncAck> ack) {
        done(FinishTransfer(id, originator, ack, deps));
    });
}

namespace {

Result<PreparedTransfer<daraja::ReversalRequest>> PrepareReversal(const ReversalInput& input, const Actor& actor,
                                                                  B2cDeps deps) {
    auto original = deps.store.FindStk(actor.agency_id, input.transaction_id);
    if (!original) return tl::unexpected(original.error());
    storage::Transfer row;
    row.agency_id = actor.agency_id;
    row.user_id = actor.user_id;
    row.kind = core::TxKind::kReversal;
    row.type = "reversal";
    row.command_id = "TransactionReversal";
    row.phone_number = original->phone_number;
    row.amount = input.amount.value_or(original->paid_amount.value_or(original->amount));  // what was paid
    row.remarks = input.remarks;
    row.reason = input.reason;
    row.original_transaction_id = original->id;
    auto inserted = deps.store.InsertTransfer(row, input.idempotency);  // at most once, only a successful payment
    if (!inserted) return tl::unexpected(inserted.error());
    const int64_t id = inserted->id;
    Event(deps.store, id, "request_sent",
          {{"CommandID", "TransactionReversal"}, {"TransactionID", inserted->original_receipt},
           {"Amount", row.amount}, {"Remarks", input.remarks}, {"Reason", input.reason}});
    daraja::ReversalRequest req{inserted->original_receipt, row.amount, input.remarks, input.reason,
                                deps.urls.reversal_result, deps.urls.reversal_timeout};
    return PreparedTransfer<daraja::ReversalRequest>{id, std::move(req)};
}

}  // namespace

Result<storage::Transfer> InitiateReversal(const ReversalInput& input, const Actor& actor, B2cDeps deps) {
    auto prepared = PrepareReversal(input, actor, deps);
    if (!prepared) return tl::unexpected(prepared.error());
    return FinishTransfer(prepared->id, "", deps.daraja.Reversal(prepared->request), deps);
}

void InitiateReversalAsync(const ReversalInput& input, const Actor& actor, B2cDeps deps,
                           daraja::Done<storage::Transfer> done) {
    auto prepared = PrepareReversal(input, actor, deps);
    if (!prepared) {
        done(tl::unexpected(prepared.error()));
        return;
    }
    deps.daraja.ReversalAsync(prepared->request,
                              [id = prepared->id, deps, done = std::move(done)](Result<daraja::AsyncAck> ack) {
                                  done(FinishTransfer(id, "", ack, deps));
                              });
}

Result<ResultOutcome> ApplyTransferResult(const std::string& kind, const json& body, const std::string& request_id,
                                          B2cDeps deps) {
    auto notice = ParseNotice(deps.store, body);
    if (!notice) return tl::unexpected(notice.error());
    auto found = FindByNotice(deps.store, *notice);
    if (!found) {
        if (found.error().code != ErrorCode::kNotFound) return tl::unexpected(found.error());
        return Unmatched(deps.store, kind, *notice, body);
    }
    if (core::ToString(found->kind) != kind) return Unmatched(deps.store, kind, *notice, body);
    Event(deps.store, found->id, "result", body);
    storage::TransferOutcome outcome;
    outcome.status = notice->ok() ? TxStatus::kSuccess : TxStatus::kFailed;
    outcome.result_code = notice->result_code;
    outcome.result_desc = notice->result_desc;
    // The amount M-Pesa says it sent is checked like a callback's: a malformed one changes nothing.
    std::optional<int64_t> sent;
    if (auto it = notice->params.find("TransactionAmount"); notice->ok() && it != notice->params.end()) {
        auto amount = core::ParseDarajaAmount(it->second, "TransactionAmount");
        if (!amount) return core::Fail(core::AboutTransaction(amount.error(), found->id, found->agency_id));
        sent = *amount;
    }
    if (notice->ok()) {
        std::string receipt = kind == "b2c" ? notice->Param("TransactionReceipt") : "";
        outcome.mpesa_receipt_number = receipt.empty() ? notice->transaction_id : receipt;
    }
    auto settled = Settle(deps.store, *found, outcome, "daraja", request_id);
    if (settled && settled->applied && sent && *sent != found->amount) {
        // Recorded as M-Pesa reports it (the money moved), flagged for a person.
        const std::string reason = "M-Pesa reports KES " + std::to_string(*sent) + " sent for a " + found->type +
                                   " of KES " + std::to_string(found->amount);
        auto opened = deps.store.OpenReview({.agency_id = found->agency_id, .transaction_id = found->id,
                                             .reason_code = "amount_mismatch", .reason = reason});
        if (!opened) spdlog::error("review item for {} {} not opened: {}", kind, found->id, opened.error().message);
        Audit(deps.store, found->agency_id, std::nullopt, "daraja", kind + ".amount_mismatch", Target(kind, found->id),
              request_id, "flagged: " + reason);
    }
    return settled;
}

Result<ResultOutcome> ApplyTransferTimeout(const std::string& kind, const json& body, const std::string& request_id,
                                           B2cDeps deps) {
    auto notice = ParseNotice(deps.store, body);
    if (!notice) return tl::unexpected(notice.error());
    auto found = FindByNotice(deps.store, *notice);
    if (!found) {
        if (found.error().code != ErrorCode::kNotFound) return tl::unexpected(found.error());
        return Unmatched(deps.store, kind + ".timeout", *notice, body);
    }
    // Not a failure: M-Pesa may still have paid. The row stays PENDING until a status query says.
    Event(deps.store, found->id, "timeout", body);
    Audit(deps.store, found->agency_id, std::nullopt, "daraja", kind + ".timeout", Target(kind, found->id), request_id,
          "success: PENDING (queue timeout; status query sent)");
    if (found->status == TxStatus::kPending) {
        // Daraja's notice is acknowledged without waiting for Daraja to take the query.
        QueryTransactionStatusAsync(found->agency_id, found->id, std::nullopt, deps,
                                    [kind, id = found->id](Result<storage::StatusQuery> query) {
                                        if (!query) {
                                            spdlog::warn("status query for {} {} not sent: {}", kind, id,
                                                         query.error().message);
                                        }
                                    });
    }
    return ResultOutcome{true, false};
}

namespace {

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
    if (*kind == core::TxKind::kStk) {
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
        if (req.transaction_id.empty()) {
            req.original_conversation_id =
                t->kind == core::TxKind::kB2c && !t->originator_conversation_id.empty() ? t->originator_conversation_id
                                                                            : t->conversation_id;
        }
        if (req.transaction_id.empty() && req.original_conversation_id.empty()) {
            return core::Fail(ErrorCode::kUnprocessable, "M-Pesa never acknowledged this request; nothing to query");
        }
        req.b2c_party = t->kind == core::TxKind::kB2c;
    }
    storage::StatusQuery row;
    row.agency_id = agency_id;
    row.user_id = user_id;
    row.transaction_id = transaction_id;
    row.receipt = req.transaction_id;
    auto inserted = deps.store.InsertStatusQuery(row);
    if (!inserted) return tl::unexpected(inserted.error());
    return PreparedStatusQuery{inserted->id, transaction_id, *kind != core::TxKind::kStk, std::move(req)};
}

Result<storage::StatusQuery> FinishStatusQuery(const PreparedStatusQuery& prepared,
                                               const Result<daraja::AsyncAck>& ack, B2cDeps deps) {
    const auto& req = prepared.request;
    if (prepared.transfer) {
        Event(deps.store, prepared.transaction_id, "status_query",
              {{"statusQueryId", prepared.query_id}, {"TransactionID", req.transaction_id},
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
    storage::QueryOutcome q;
    q.status = notice->ok() ? TxStatus::kSuccess : TxStatus::kFailed;
    q.result_code = notice->result_code;
    q.result_desc = notice->result_desc;
    q.detail = notice->Param("TransactionStatus");
    auto applied = ApplyByNotice(deps.store, &storage::Store::ApplyStatusOutcome, *notice, q);
    if (!applied) {
        if (applied.error().code != ErrorCode::kNotFound) return tl::unexpected(applied.error());
        return Unmatched(deps.store, "status", *notice, body);
    }
    const auto& [changed, query] = *applied;
    if (!changed || !query.transaction_id) return ResultOutcome{true, false};
    auto kind = deps.store.FindTransactionKind(query.agency_id, *query.transaction_id);
    if (!kind) return ResultOutcome{true, false};
    if (*kind == core::TxKind::kStk) {
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
    return Settle(deps.store, *t, outcome, "system", request_id);
}

Result<ResultOutcome> ApplyStatusTimeout(const json& body, const std::string& request_id, B2cDeps deps) {
    (void)request_id;
    return ApplyQueryTimeout("status.timeout", &storage::Store::ApplyStatusOutcome, body, deps);
}

namespace {

Result<storage::BalanceCheck> FinishBalance(int64_t id, const Result<daraja::AsyncAck>& ack, B2cDeps deps) {
    if (!ack) {
        storage::QueryOutcome failed;
        failed.status = TxStatus::kFailed;
        failed.result_desc = ack.error().message;
        auto ids = deps.store.SetBalanceCheckIds(id, "", "unsent-" + std::to_string(id));
        if (ids) (void)deps.store.ApplyBalanceOutcome(ids->conversation_id, failed);
        return tl::unexpected(ack.error());
    }
    return deps.store.SetBalanceCheckIds(id, ack->originator_conversation_id, ack->conversation_id);
}

Result<storage::BalanceCheck> InsertBalanceRow(const Actor& actor, B2cDeps deps) {
    storage::BalanceCheck row;
    row.agency_id = actor.agency_id;
    row.user_id = actor.user_id;
    return deps.store.InsertBalanceCheck(row);
}

daraja::BalanceRequest BalanceRequestFor(const B2cDeps& deps) {
    return {"Balance check", deps.urls.balance_result, deps.urls.balance_timeout};
}

}  // namespace

Result<storage::BalanceCheck> RequestBalance(const Actor& actor, B2cDeps deps) {
    auto inserted = InsertBalanceRow(actor, deps);
    if (!inserted) return tl::unexpected(inserted.error());
    return FinishBalance(inserted->id, deps.daraja.AccountBalance(BalanceRequestFor(deps)), deps);
}

void RequestBalanceAsync(const Actor& actor, B2cDeps deps, daraja::Done<storage::BalanceCheck> done) {
    auto inserted = InsertBalanceRow(actor, deps);
    if (!inserted) {
        done(tl::unexpected(inserted.error()));
        return;
    }
    deps.daraja.AccountBalanceAsync(BalanceRequestFor(deps),
                                    [id = inserted->id, deps, done = std::move(done)](Result<daraja::AsyncAck> ack) {
                                        done(FinishBalance(id, ack, deps));
                                    });
}

Result<ResultOutcome> ApplyBalanceResult(const json& body, const std::string& request_id, B2cDeps deps) {
    auto notice = daraja::ParseResult(body);
    if (!notice) return tl::unexpected(notice.error());
    storage::QueryOutcome q;
    q.status = notice->ok() ? TxStatus::kSuccess : TxStatus::kFailed;
    q.result_code = notice->result_code;
    q.result_desc = notice->result_desc;
    if (notice->ok()) {
        auto accounts = daraja::ParseAccountBalance(notice->Param("AccountBalance"));
        if (!accounts) {
            q.status = TxStatus::kFailed;
            q.result_desc = "the AccountBalance could not be read: " + accounts.error().message;
        } else {
            json list = json::array();
            for (const auto& a : *accounts) {
                list.push_back({{"name", a.name}, {"currency", a.currency}, {"current", a.current},
                                {"available", a.available}, {"reserved", a.reserved}, {"uncleared", a.uncleared}});
            }
            q.detail = list.dump();
        }
    }
    auto applied = ApplyByNotice(deps.store, &storage::Store::ApplyBalanceOutcome, *notice, q);
    if (!applied) {
        if (applied.error().code != ErrorCode::kNotFound) return tl::unexpected(applied.error());
        return Unmatched(deps.store, "balance", *notice, body);
    }
    if (applied->first) {
        Audit(deps.store, applied->second.agency_id, std::nullopt, "daraja", "balance.status",
              "balance:" + std::to_string(applied->second.id), request_id,
              std::string("success: ") + std::string(core::ToString(q.status)));
    }
    return ResultOutcome{true, applied->first};
}

Result<ResultOutcome> ApplyBalanceTimeout(const json& body, const std::string& request_id, B2cDeps deps) {
    (void)request_id;
    return ApplyQueryTimeout("balance.timeout", &storage::Store::ApplyBalanceOutcome, body, deps);
}

}  // namespace haven::service
