#include "service/stk_service.hpp"

#include <spdlog/spdlog.h>

#include "core/phone.hpp"
#include "core/state.hpp"
#include "core/text.hpp"
#include "core/time.hpp"
#include "daraja/callbacks.hpp"
#include "service/leases.hpp"

namespace haven::service {

using core::ErrorCode;
using core::TxStatus;
using nlohmann::json;

namespace {

/// Unmatched STK callbacks are kept under the kind's name ("stk").
const std::string kStk(core::ToString(core::TxKind::kStk));

void Audit(storage::Store& store, std::optional<int64_t> agency_id, std::optional<int64_t> user_id,
           const std::string& actor, const std::string& action, const std::string& target,
           const std::string& request_id, const std::string& outcome) {
    auto r = store.InsertAudit({agency_id, user_id, actor, action, target, request_id, outcome});
    if (!r) spdlog::error("audit log write failed: {}", r.error().message);
}

void Event(storage::Store& store, int64_t tx_id, const std::string& kind, const json& payload) {
    auto r = store.AddStkEvent(tx_id, kind, RedactPayload(payload).dump());
    if (!r) spdlog::error("timeline write failed for transaction {}: {}", tx_id, r.error().message);
}

std::string Target(int64_t id) { return "stk_transaction:" + std::to_string(id); }

}  // namespace

json RedactPayload(json payload) {
    if (payload.is_object()) {
        for (auto& [key, value] : payload.items()) {
            if (key == "PhoneNumber" || key == "PartyA" || key == "MSISDN" || key == "phoneNumber") {
                std::string text = daraja::JsonScalarText(value);
                value = core::MaskPhone(text);
            } else if (key == "Password" || key == "SecurityCredential" || key == "CallBackURL") {
                value = "[redacted]";
            } else {
                value = RedactPayload(std::move(value));
            }
        }
        // {"Name":"PhoneNumber","Value":254708374149} items of CallbackMetadata
        if (payload.contains("Name") && payload.contains("Value") && payload["Name"] == "PhoneNumber") {
            payload["Value"] = core::MaskPhone(daraja::JsonScalarText(payload["Value"]));
        }
    } else if (payload.is_array()) {
        for (auto& item : payload) item = RedactPayload(std::move(item));
    }
    return payload;
}

namespace {

/// A push whose row is written and which is ready to go to Daraja.
struct PreparedStkPush {
    int64_t id = 0;
    daraja::StkPushRequest request;
};

Result<PreparedStkPush> PrepareStkPush(const StkPushInput& given, const Actor& actor, StkDeps deps) {
    StkPushInput input = given;
    if (!input.lease_external_id.empty()) {
        auto resolved =
            ResolveLease(deps.store, actor.agency_id, core::LeaseKey{std::nullopt, input.lease_external_id});
        if (!resolved) return tl::unexpected(resolved.error());
        input.lease_id = *resolved;
    }
    if (input.lease_id) {
        auto lease = deps.store.FindLease(actor.agency_id, *input.lease_id);
        if (!lease) {
            if (lease.error().code == ErrorCode::kNotFound) {
                return core::Fail(core::Error::Validation("leaseId", "no lease with this id in your agency"));
            }
            return tl::unexpected(lease.error());
        }
        // An ended lease keeps its history but is no longer offered for payments (staff push or tenant page).
        if (lease->Ended()) {
            return core::Fail(ErrorCode::kConflict, "this lease ended on " + lease->end_date +
                                                        " and takes no new payments; collect without a leaseId "
                                                        "or on the tenant's current lease");
        }
    }
    core::StkTransaction row;
    row.agency_id = actor.agency_id;
    row.lease_id = input.lease_id;
    row.user_id = actor.user_id;
    row.phone_number = input.phone_number;
    row.amount = input.amount;
    row.account_reference = input.account_reference;
    row.transaction_desc = input.transaction_desc;
    // The row exists before Daraja hears of it: a crash after this point leaves a trace, never a phantom.
    auto inserted = deps.store.InsertStk(row, input.idempotency);
    if (!inserted) return tl::unexpected(inserted.error());
    const int64_t id = inserted->id;
    // Daraja documents 13 characters for TransactionDesc: the row keeps the whole text, Daraja gets its start.
    const std::string desc_sent = core::Utf8Prefix(input.transaction_desc, core::kDarajaTransactionDescLength);
    Event(deps.store, id, "request_sent",
          {{"PhoneNumber", input.phone_number},
           {"Amount", input.amount},
           {"AccountReference", input.account_reference},
           {"TransactionDesc", desc_sent}});

    daraja::StkPushRequest req{input.phone_number, input.amount, input.account_reference, desc_sent, deps.callback_url};
    return PreparedStkPush{id, std::move(req)};
}

/// Records Daraja's answer (or its absence) to a prepared push.
Result<StkPushOutput> FinishStkPush(const PreparedStkPush& prepared, const Result<daraja::StkPushAck>& ack,
                                    const Actor& actor, StkDeps deps) {
    const int64_t id = prepared.id;
    if (!ack) {
        const auto& err = ack.error();
        Event(deps.store, id, "daraja_error", {{"message", err.message}, {"daraja", err.extra}});
        if (err.code == ErrorCode::kUpstream) {
            // Daraja refused: no prompt reached the phone, the attempt is over.
            auto rejected = deps.store.MarkStkRejected(id, err.message);
            if (rejected) {
                Audit(deps.store, actor.agency_id, actor.user_id, actor.name, "stk.status", Target(id),
                      actor.request_id, "success: FAILED (refused by Daraja)");
            }
        }
        // Otherwise no answer came: Daraja may or may not have sent the prompt. The row stays PENDING
        // without a CheckoutRequestID; it is listed for staff and never turned into money by itself.
        return tl::unexpected(err);
    }
    Event(deps.store, id, "daraja_response",
          {{"MerchantRequestID", ack->merchant_request_id},
           {"CheckoutRequestID", ack->checkout_request_id},
           {"ResponseCode", ack->response_code},
           {"ResponseDescription", ack->response_description},
           {"CustomerMessage", ack->customer_message}});
    auto updated = deps.store.SetStkDarajaIds(id, ack->merchant_request_id, ack->checkout_request_id);
    if (!updated) return tl::unexpected(updated.error());
    // A fast callback can beat us here (it was stored as unmatched while the row had no
    // CheckoutRequestID yet): apply it now, so the push does not wait for reconciliation.
    auto early = deps.store.ListUnmatchedCallbacks(kStk, ack->checkout_request_id);
    if (early && !early->empty()) {
        for (const auto& payload : *early) {
            auto applied = ApplyStkCallback(json::parse(payload, nullptr, false), actor.request_id, deps);
            if (!applied)
                spdlog::error("early callback for transaction {} not applied: {}", id, applied.error().message);
        }
        auto current = deps.store.FindStk(actor.agency_id, id);
        if (current) updated = current;
    }
    return StkPushOutput{*updated, *ack};
}

}  // namespace

Result<StkPushOutput> InitiateStkPush(const StkPushInput& input, const Actor& actor, StkDeps deps) {
    auto prepared = PrepareStkPush(input, actor, deps);
    if (!prepared) return tl::unexpected(prepared.error());
    return FinishStkPush(*prepared, deps.daraja.StkPush(prepared->request), actor, deps);
}

void InitiateStkPushAsync(const StkPushInput& input, const Actor& actor, StkDeps deps,
                          daraja::Done<StkPushOutput> done) {
    auto prepared = PrepareStkPush(input, actor, deps);
    if (!prepared) {
        done(tl::unexpected(prepared.error()));
        return;
    }
    deps.daraja.StkPushAsync(
        prepared->request, [prepared = *prepared, actor, deps, done = std::move(done)](Result<daraja::StkPushAck> ack) {
            done(FinishStkPush(prepared, ack, actor, deps));
        });
}

namespace {

Result<CallbackOutcome> ApplyOutcome(const core::StkTransaction& pending, const storage::StkOutcome& outcome,
                                     const std::string& source, const std::string& request_id, StkDeps deps) {
    auto applied = deps.store.ApplyStkOutcome(pending.checkout_request_id, outcome);
    if (!applied) {
        if (applied.error().code == ErrorCode::kConflict) {
            // The receipt already settles another transaction (a database rule): this one changes nothing.
            return core::Fail(core::AboutTransaction(
                core::Error::Make(ErrorCode::kConflict,
                                  "receipt " + outcome.mpesa_receipt_number + " already settles another transaction"),
                pending.id, pending.agency_id));
        }
        return tl::unexpected(applied.error());
    }
    CallbackOutcome out{true, applied->applied, applied->transaction};
    const auto& tx = applied->transaction;
    if (applied->applied) {
        Audit(deps.store, tx.agency_id, std::nullopt, source, "stk.status", Target(tx.id), request_id,
              std::string("success: ") + std::string(core::ToString(tx.status)));
        if (applied->payment) {
            Audit(deps.store, tx.agency_id, std::nullopt, source, "payment.create",
                  "payment:" + std::to_string(applied->payment->id), request_id, "success");
        }
        spdlog::info("stk transaction {} is now {} (ResultCode {})", tx.id, core::ToString(tx.status),
                     outcome.result_code);
        if (tx.AmountMismatch()) {
            // Recorded as paid (the money moved), flagged for a person, and refunds are capped by it.
            const std::string reason = "M-Pesa reports KES " + std::to_string(*tx.paid_amount) +
                                       " paid for a request of KES " + std::to_string(tx.amount);
            auto opened = deps.store.OpenReview({.agency_id = tx.agency_id,
                                                 .transaction_id = tx.id,
                                                 .reason_code = "amount_mismatch",
                                                 .reason = reason});
            if (!opened) spdlog::error("review item for transaction {} not opened: {}", tx.id, opened.error().message);
            Audit(deps.store, tx.agency_id, std::nullopt, source, "stk.amount_mismatch", Target(tx.id), request_id,
                  "flagged: " + reason);
        }
    }
    return out;
}

}  // namespace

Result<CallbackOutcome> ApplyStkCallback(const json& body, const std::string& request_id, StkDeps deps) {
    auto parsed = daraja::ParseStkCallback(body);
    if (!parsed) {
        // Failed our checks: it changes nothing. Name its transaction (when it names one) for the review item.
        const json* id = body.is_object() && body.contains("Body") && body["Body"].is_object() &&
                                 body["Body"].contains("stkCallback") && body["Body"]["stkCallback"].is_object()
                             ? &body["Body"]["stkCallback"]
                             : nullptr;
        const std::string checkout_id =
            id && id->contains("CheckoutRequestID") ? daraja::JsonScalarText((*id)["CheckoutRequestID"]) : "";
        if (!checkout_id.empty()) {
            if (auto tx = deps.store.FindStkByCheckoutIdAnyAgency(checkout_id)) {
                return core::Fail(core::AboutTransaction(parsed.error(), tx->id, tx->agency_id));
            }
        }
        return tl::unexpected(parsed.error());
    }
    const auto& cb = *parsed;

    auto existing = deps.store.FindStkByCheckoutIdAnyAgency(cb.checkout_request_id);
    if (!existing) {
        if (existing.error().code != ErrorCode::kNotFound) return tl::unexpected(existing.error());
        // Unknown (or not known yet: Daraja can call back before our push has recorded its ids).
        // Keep it, then look once more: whichever of the push and this callback comes second applies it.
        // Kept as received: matching a push that never learnt its CheckoutRequestID needs the full phone number.
        auto kept = deps.store.InsertUnmatchedCallback(kStk, cb.checkout_request_id, body.dump());
        if (!kept) return tl::unexpected(kept.error());
        existing = deps.store.FindStkByCheckoutIdAnyAgency(cb.checkout_request_id);
        if (!existing) {
            spdlog::warn("stk callback for unknown CheckoutRequestID {} stored for review",
                         core::MaskDigitRuns(cb.checkout_request_id));
            return CallbackOutcome{false, false, std::nullopt};
        }
    }
    // Applied below: an early copy kept as unmatched is no longer needed.
    if (auto count = deps.store.CountUnmatchedCallbacks(cb.checkout_request_id); count && *count > 0) {
        (void)deps.store.DeleteUnmatchedCallbacks(kStk, cb.checkout_request_id);
    }
    Event(deps.store, existing->id, "callback", body);

    storage::StkOutcome outcome;
    outcome.status = cb.result_code == 0 ? TxStatus::kSuccess : TxStatus::kFailed;
    outcome.result_code = cb.result_code;
    outcome.result_desc = cb.result_desc;
    outcome.mpesa_receipt_number = cb.mpesa_receipt_number;
    outcome.transaction_date = cb.transaction_date;
    outcome.paid_amount = cb.amount;
    return ApplyOutcome(*existing, outcome, "daraja", request_id, deps);
}

Result<core::StkTransaction> SettleFromQuery(const core::StkTransaction& tx, StkDeps deps) {
    if (tx.status != TxStatus::kPending || tx.checkout_request_id.empty()) return tx;
    auto answer = deps.daraja.StkQuery(tx.checkout_request_id);
    if (!answer) return tl::unexpected(answer.error());
    if (answer->pending) return tx;
    Event(deps.store, tx.id, "query", {{"ResultCode", answer->result_code}, {"ResultDesc", answer->result_desc}});
    storage::StkOutcome outcome;
    // The query's answer is checked like a callback: "0.4" is not a success.
    auto parsed_code = daraja::ParseResultCode(json(answer->result_code));
    if (!parsed_code) return core::Fail(ErrorCode::kUpstream, "STK query answered a ResultCode that is not an integer");
    const int64_t code = *parsed_code;
    outcome.status = code == 0 ? TxStatus::kSuccess : TxStatus::kFailed;
    outcome.result_code = code;
    outcome.result_desc = answer->result_desc;
    auto applied = ApplyOutcome(tx, outcome, "system", "", deps);
    if (!applied) return tl::unexpected(applied.error());
    return *applied->transaction;
}

Result<bool> MatchUnconfirmedPush(const core::StkTransaction& tx, std::chrono::seconds lifetime, StkDeps deps) {
    if (tx.status != TxStatus::kPending || !tx.checkout_request_id.empty()) return false;
    auto created = core::ParseIsoUtc(tx.created_at);
    if (!created) return false;
    auto kept = deps.store.ListUnmatchedCallbacksBetween(kStk, tx.created_at, core::IsoUtc(*created + lifetime));
    if (!kept) return tl::unexpected(kept.error());
    std::optional<daraja::StkCallback> match;
    std::string match_payload;
    int fits = 0;
    for (const auto& [reference, payload] : *kept) {
        auto cb = daraja::ParseStkCallback(json::parse(payload, nullptr, false));
        if (!cb || cb->result_code != 0 || cb->amount != tx.amount) continue;
        auto phone = core::NormalizePhone(cb->phone_number);
        if (!phone || *phone != tx.phone_number) continue;
        ++fits;
        match = *cb;
        match_payload = payload;
    }
    if (fits != 1) return false;
    // The callback must fit no other push either: any push of this phone and amount whose prompt could
    // have produced it (created within a lifetime either side) makes the match a guess.
    auto rivals = deps.store.ListStkAwaitingIds(tx.phone_number, tx.amount, core::IsoUtc(*created - lifetime),
                                                core::IsoUtc(*created + lifetime));
    if (!rivals) return tl::unexpected(rivals.error());
    if (rivals->size() != 1) return false;
    auto ids = deps.store.SetStkDarajaIds(tx.id, match->merchant_request_id, match->checkout_request_id);
    if (!ids) return ids.error().code == ErrorCode::kConflict ? Result<bool>(false) : tl::unexpected(ids.error());
    Event(deps.store, tx.id, "matched",
          {{"CheckoutRequestID", match->checkout_request_id},
           {"reason", "the only unmatched success callback with this phone, amount and time"}});
    auto applied = ApplyStkCallback(json::parse(match_payload, nullptr, false), "", deps);
    if (!applied) return tl::unexpected(applied.error());
    return applied->applied;
}

}  // namespace haven::service
