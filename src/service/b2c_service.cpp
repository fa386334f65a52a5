#include "service/b2c_service.hpp"

#include "service/initiator_steps.hpp"

namespace haven::service {

using core::ErrorCode;
using detail::PreparedTransfer;

namespace {

Result<PreparedTransfer<daraja::B2cRequest>> PrepareB2c(const B2cInput& input, const Actor& actor, B2cDeps deps) {
    auto command = CommandIdFor(input.type);
    if (!command) {
        return core::Fail(core::Error::Validation("type", "type must be refund, payout, salary, bonus or promotion"));
    }
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
    row.originator_conversation_id = detail::NewOriginatorId();
    Result<storage::Transfer> inserted = core::Fail(ErrorCode::kInternal, "not inserted");
    if (input.c2b_refund_of) {
        // The refund of an unmatched C2B payment: the row and the guarded unmatched -> refunded link commit together,
        // so a payment is refunded once however many staff press the button.
        auto unit = deps.store.Atomically([&](storage::Store& store) -> Result<void> {
            inserted = store.InsertTransfer(row, input.idempotency);
            if (!inserted) return core::Fail(inserted.error());
            auto linked = store.LinkC2bRefund(actor.agency_id, *input.c2b_refund_of, inserted->id, actor.name);
            if (!linked) return core::Fail(linked.error());
            return {};
        });
        if (!unit) inserted = core::Fail(unit.error());
    } else {
        inserted = deps.store.InsertTransfer(row, input.idempotency);
    }
    if (!inserted) {
        if (inserted.error().code == ErrorCode::kNotFound) {
            return core::Fail(ErrorCode::kNotFound, "originalTransactionId: no payment with this id");
        }
        return tl::unexpected(inserted.error());
    }
    const int64_t id = inserted->id;
    detail::Event(deps.store, id, "request_sent",
                  {{"CommandID", *command},
                   {"Amount", input.amount},
                   {"PartyB", input.phone_number},
                   {"Remarks", input.remarks},
                   {"OriginatorConversationID", row.originator_conversation_id}});
    daraja::B2cRequest req{row.originator_conversation_id,
                           *command,
                           input.amount,
                           input.phone_number,
                           input.remarks,
                           input.occasion,
                           deps.urls.b2c_result,
                           deps.urls.b2c_timeout};
    return PreparedTransfer<daraja::B2cRequest>{id, std::move(req)};
}

}  // namespace

Result<storage::Transfer> InitiateB2c(const B2cInput& input, const Actor& actor, B2cDeps deps) {
    auto prepared = PrepareB2c(input, actor, deps);
    if (!prepared) return tl::unexpected(prepared.error());
    return detail::FinishTransfer(prepared->id, prepared->request.originator_conversation_id,
                                  deps.daraja.B2cPayment(prepared->request), deps);
}

void InitiateB2cAsync(const B2cInput& input, const Actor& actor, B2cDeps deps, daraja::Done<storage::Transfer> done) {
    auto prepared = PrepareB2c(input, actor, deps);
    if (!prepared) {
        done(tl::unexpected(prepared.error()));
        return;
    }
    deps.daraja.B2cPaymentAsync(
        prepared->request,
        [id = prepared->id, originator = prepared->request.originator_conversation_id, deps, done = std::move(done)](
            Result<daraja::AsyncAck> ack) { done(detail::FinishTransfer(id, originator, ack, deps)); });
}

}  // namespace haven::service
