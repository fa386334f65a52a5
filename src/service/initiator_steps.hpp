#pragma once
// Steps the initiator use cases share (internal to service/): recording what happened (audit log, timeline,
// unmatched Results), finding the row a Result names, and applying a final outcome once.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>

#include "core/error.hpp"
#include "core/models.hpp"
#include "daraja/results.hpp"
#include "service/initiator.hpp"

namespace haven::service::detail {

void Audit(storage::Store& store, std::optional<int64_t> agency_id, std::optional<int64_t> user_id,
           const std::string& actor, const std::string& action, const std::string& target,
           const std::string& request_id, const std::string& outcome);

/// One entry on a transfer's timeline (payload redacted).
void Event(storage::Store& store, int64_t id, const std::string& kind, const nlohmann::json& payload);

/// "b2c", "reversal", "stk": the kind's name in audit actions, log lines and unmatched callbacks.
std::string Name(core::TxKind kind);

/// "b2c:12": the audit log's name for a transaction.
std::string Target(core::TxKind kind, int64_t id);

/// Keeps a Result nobody asked for (kind "b2c", "status.timeout", ...) for review; it is acknowledged.
ResultOutcome Unmatched(storage::Store& store, const std::string& kind, const daraja::ResultNotice& notice,
                        const nlohmann::json& body);

/// Finds the row by ConversationID first, then by OriginatorConversationID.
Result<storage::Transfer> FindByNotice(storage::Store& store, const daraja::ResultNotice& notice);

/// ParseResult, and when the body fails our checks, the transfer it names (if any) attached to the error.
Result<daraja::ResultNotice> ParseNotice(storage::Store& store, const nlohmann::json& body);

/// Applies a final outcome once. A receipt another transfer already has is kConflict (kept for review);
/// a storage failure is an error, so the Result is not acknowledged and Daraja may send it again.
Result<ResultOutcome> Settle(storage::Store& store, const storage::Transfer& t, const storage::TransferOutcome& outcome,
                             const std::string& source, const std::string& request_id);

/// A transfer whose PENDING row is written and which is ready to go to Daraja.
template <class Request>
struct PreparedTransfer {
    int64_t id = 0;
    Request request;
};

/// Records Daraja's answer to a prepared B2C payment or reversal: refused -> FAILED, no answer -> stays
/// PENDING, accepted -> Daraja's ids stored. `originator_conversation_id` is ours for B2C, empty for a reversal.
Result<storage::Transfer> FinishTransfer(int64_t id, const std::string& originator_conversation_id,
                                         const Result<daraja::AsyncAck>& ack, B2cDeps deps);

/// A fresh OriginatorConversationID of our own ("haven-" + 16 random characters).
std::string NewOriginatorId();

/// Store::ApplyBalanceOutcome or Store::ApplyStatusOutcome.
template <class Row>
using ApplyQuery = Result<std::pair<bool, Row>> (storage::Store::*)(const std::string&, const storage::QueryOutcome&);

/// A query's final outcome as M-Pesa's Result states it (SUCCESS when ResultCode is 0), before any detail.
inline storage::QueryOutcome QueryOutcomeOf(const daraja::ResultNotice& notice) {
    storage::QueryOutcome q;
    q.status = notice.ok() ? core::TxStatus::kSuccess : core::TxStatus::kFailed;
    q.result_code = notice.result_code;
    q.result_desc = notice.result_desc;
    return q;
}

/// Applies a balance or status query outcome to the row named by the notice's ConversationID, else by its
/// OriginatorConversationID.
template <class Row>
Result<std::pair<bool, Row>> ApplyByNotice(storage::Store& store, ApplyQuery<Row> apply,
                                           const daraja::ResultNotice& notice, const storage::QueryOutcome& q) {
    auto applied = (store.*apply)(notice.conversation_id, q);
    if (!applied && applied.error().code == core::ErrorCode::kNotFound) {
        applied = (store.*apply)(notice.originator_conversation_id, q);
    }
    return applied;
}

/// A balance or status query that sat in M-Pesa's queue too long. A query moves no money: a timeout just ends
/// it FAILED. An unknown id is kept as an unmatched `kind` callback.
template <class Row>
Result<ResultOutcome> ApplyQueryTimeout(const std::string& kind, ApplyQuery<Row> apply, const nlohmann::json& body,
                                        B2cDeps deps) {
    auto notice = daraja::ParseResult(body);
    if (!notice) return tl::unexpected(notice.error());
    storage::QueryOutcome q;
    q.status = core::TxStatus::kFailed;
    q.result_code = notice->result_code;
    q.result_desc = "timed out: " + notice->result_desc;
    auto applied = ApplyByNotice(deps.store, apply, *notice, q);
    if (!applied) {
        if (applied.error().code != core::ErrorCode::kNotFound) return tl::unexpected(applied.error());
        return Unmatched(deps.store, kind, *notice, body);
    }
    return ResultOutcome{true, applied->first};
}

}  // namespace haven::service::detail
