#include "service/initiator_steps.hpp"

#include <spdlog/spdlog.h>

#include <cassert>

#include "core/phone.hpp"
#include "core/state.hpp"
#include "daraja/callbacks.hpp"
#include "service/auth.hpp"
#include "service/stk_service.hpp"

namespace haven::service {

using core::ErrorCode;
using core::TxStatus;
using nlohmann::json;

namespace {

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

}  // namespace

json RedactResult(const json& payload) { return MaskAll(RedactPayload(payload)); }

namespace detail {

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

std::string Name(core::TxKind kind) { return std::string(core::ToString(kind)); }

std::string Target(core::TxKind kind, int64_t id) { return Name(kind) + ":" + std::to_string(id); }

ResultOutcome Unmatched(storage::Store& store, const std::string& kind, const daraja::ResultNotice& notice,
                        const json& body) {
    std::string reference = notice.conversation_id.empty() ? notice.originator_conversation_id : notice.conversation_id;
    auto kept = store.InsertUnmatchedCallback(kind, reference, RedactResult(body).dump());
    if (!kept) spdlog::error("unmatched {} result not stored: {}", kind, kept.error().message);
    spdlog::warn("{} for unknown ConversationID {} stored for review", kind, reference);
    return ResultOutcome{false, false};
}

Result<storage::Transfer> FindByNotice(storage::Store& store, const daraja::ResultNotice& notice) {
    auto found = store.FindTransferByConversationId(notice.conversation_id);
    if (found || found.error().code != ErrorCode::kNotFound) return found;
    return store.FindTransferByConversationId(notice.originator_conversation_id);
}

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
        const core::TxKind kind = t.kind;
        Audit(store, now.agency_id, std::nullopt, source, Name(kind) + ".status", Target(kind, t.id), request_id,
              std::string("success: ") + std::string(core::ToString(now.status)));
        spdlog::info("{} {} is now {} (ResultCode {})", Name(kind), t.id, core::ToString(now.status),
                     outcome.result_code);
        if (kind == core::TxKind::kReversal && now.status == TxStatus::kSuccess && t.original_transaction_id) {
            // The original's timeline says it was reversed.
            auto r = store.AddStkEvent(*t.original_transaction_id, "reversed",
                                       json{{"reversalId", t.id}, {"receipt", now.mpesa_receipt_number}}.dump());
            if (!r) spdlog::error("timeline write failed: {}", r.error().message);
        }
    }
    return ResultOutcome{true, applied->applied};
}

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
          {{"OriginatorConversationID", ack->originator_conversation_id},
           {"ConversationID", ack->conversation_id},
           {"ResponseCode", ack->response_code},
           {"ResponseDescription", ack->response_description}});
    // B2C: our own OriginatorConversationID (persisted before the call); a reversal: the one Daraja gave.
    const std::string& originator =
        originator_conversation_id.empty() ? ack->originator_conversation_id : originator_conversation_id;
    auto updated = deps.store.SetTransferDarajaIds(id, originator, ack->conversation_id);
    if (!updated) return tl::unexpected(updated.error());
    return *updated;
}

std::string NewOriginatorId() { return "haven-" + RandomToken(16); }

}  // namespace detail
}  // namespace haven::service
