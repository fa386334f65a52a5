#include "service/reversal_service.hpp"

#include "service/initiator_steps.hpp"

namespace haven::service {

using core::ErrorCode;
using detail::PreparedTransfer;

namespace {

/// The original payment, when it may be reversed: a payment received from a customer (an STK push) that
/// succeeded. Checked here first so the caller hears why; the store checks again under its lock, together with
/// "at most once".
Result<core::StkTransaction> ReversibleOriginal(int64_t agency_id, int64_t transaction_id, B2cDeps deps) {
    auto kind = deps.store.FindTransactionKind(agency_id, transaction_id);
    if (!kind) return tl::unexpected(kind.error());
    if (*kind != core::TxKind::kStk) {
        return core::Fail(ErrorCode::kUnprocessable, "only a payment received from a customer can be reversed");
    }
    auto original = deps.store.FindStk(agency_id, transaction_id);
    if (!original) return tl::unexpected(original.error());
    if (original->status != core::TxStatus::kSuccess) {
        return core::Fail(ErrorCode::kUnprocessable, "only a successful payment can be reversed");
    }
    return original;
}

/// The amount a reversal sends back: the one asked for, else what was paid.
int64_t ReversalAmount(const ReversalInput& input, const core::StkTransaction& original) {
    return input.amount.value_or(original.paid_amount.value_or(original.amount));
}

Result<PreparedTransfer<daraja::ReversalRequest>> PrepareReversal(const ReversalInput& input, const Actor& actor,
                                                                  B2cDeps deps) {
    auto original = ReversibleOriginal(actor.agency_id, input.transaction_id, deps);
    if (!original) return tl::unexpected(original.error());
    storage::Transfer row;
    row.agency_id = actor.agency_id;
    row.user_id = actor.user_id;
    row.kind = core::TxKind::kReversal;
    row.type = "reversal";  // the B2C types' column: a reversal is its own type
    row.command_id = "TransactionReversal";
    row.phone_number = original->phone_number;
    row.amount = ReversalAmount(input, *original);
    row.remarks = input.remarks;
    row.reason = input.reason;
    row.original_transaction_id = original->id;
    auto inserted = deps.store.InsertTransfer(row, input.idempotency);  // at most once, only a successful payment
    if (!inserted) return tl::unexpected(inserted.error());
    const int64_t id = inserted->id;
    detail::Event(deps.store, id, "request_sent",
                  {{"CommandID", "TransactionReversal"},
                   {"TransactionID", inserted->original_receipt},
                   {"Amount", row.amount},
                   {"Remarks", input.remarks},
                   {"Reason", input.reason}});
    daraja::ReversalRequest req{
        inserted->original_receipt, row.amount, input.remarks, input.reason, deps.urls.reversal_result,
        deps.urls.reversal_timeout};
    return PreparedTransfer<daraja::ReversalRequest>{id, std::move(req)};
}

}  // namespace

Result<ReversalPlan> PlanReversal(const ReversalInput& input, int64_t agency_id, B2cDeps deps) {
    auto original = ReversibleOriginal(agency_id, input.transaction_id, deps);
    if (!original) return tl::unexpected(original.error());
    return ReversalPlan{ReversalAmount(input, *original), original->phone_number};
}

Result<storage::Transfer> InitiateReversal(const ReversalInput& input, const Actor& actor, B2cDeps deps) {
    auto prepared = PrepareReversal(input, actor, deps);
    if (!prepared) return tl::unexpected(prepared.error());
    return detail::FinishTransfer(prepared->id, "", deps.daraja.Reversal(prepared->request), deps);
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
                                  done(detail::FinishTransfer(id, "", ack, deps));
                              });
}

}  // namespace haven::service
