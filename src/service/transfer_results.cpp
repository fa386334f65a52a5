#include "service/transfer_results.hpp"

#include <spdlog/spdlog.h>

#include "core/amount.hpp"
#include "service/initiator_steps.hpp"
#include "service/status_query.hpp"

namespace haven::service {

using core::ErrorCode;
using core::TxStatus;
using nlohmann::json;

Result<ResultOutcome> ApplyTransferResult(core::TxKind kind, const json& body, const std::string& request_id,
                                          B2cDeps deps) {
    const std::string name = detail::Name(kind);
    auto notice = detail::ParseNotice(deps.store, body);
    if (!notice) return tl::unexpected(notice.error());
    auto found = detail::FindByNotice(deps.store, *notice);
    if (!found) {
        if (found.error().code != ErrorCode::kNotFound) return tl::unexpected(found.error());
        return detail::Unmatched(deps.store, name, *notice, body);
    }
    if (found->kind != kind) return detail::Unmatched(deps.store, name, *notice, body);
    detail::Event(deps.store, found->id, "result", body);
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
        std::string receipt = kind == core::TxKind::kB2c ? notice->Param("TransactionReceipt") : "";
        outcome.mpesa_receipt_number = receipt.empty() ? notice->transaction_id : receipt;
    }
    auto settled = detail::Settle(deps.store, *found, outcome, "daraja", request_id);
    if (settled && settled->applied && sent && *sent != found->amount) {
        // Recorded as M-Pesa reports it (the money moved), flagged for a person.
        const std::string reason = "M-Pesa reports KES " + std::to_string(*sent) + " sent for a " + found->type +
                                   " of KES " + std::to_string(found->amount);
        auto opened = deps.store.OpenReview({.agency_id = found->agency_id,
                                             .transaction_id = found->id,
                                             .reason_code = "amount_mismatch",
                                             .reason = reason});
        if (!opened) {
            spdlog::error("review item for {} {} not opened: {}", name, found->id, opened.error().message);
        }
        detail::Audit(deps.store, found->agency_id, std::nullopt, "daraja", name + ".amount_mismatch",
                      detail::Target(kind, found->id), request_id, "flagged: " + reason);
    }
    return settled;
}

Result<ResultOutcome> ApplyTransferTimeout(core::TxKind kind, const json& body, const std::string& request_id,
                                           B2cDeps deps) {
    const std::string name = detail::Name(kind);
    auto notice = detail::ParseNotice(deps.store, body);
    if (!notice) return tl::unexpected(notice.error());
    auto found = detail::FindByNotice(deps.store, *notice);
    if (!found) {
        if (found.error().code != ErrorCode::kNotFound) return tl::unexpected(found.error());
        return detail::Unmatched(deps.store, name + ".timeout", *notice, body);
    }
    // Not a failure: M-Pesa may still have paid. The row stays PENDING until a status query says.
    detail::Event(deps.store, found->id, "timeout", body);
    detail::Audit(deps.store, found->agency_id, std::nullopt, "daraja", name + ".timeout",
                  detail::Target(kind, found->id), request_id, "success: PENDING (queue timeout; status query sent)");
    if (found->status == TxStatus::kPending) {
        // Daraja's notice is acknowledged without waiting for Daraja to take the query.
        QueryTransactionStatusAsync(found->agency_id, found->id, std::nullopt, deps,
                                    [name, id = found->id](Result<storage::StatusQuery> query) {
                                        if (!query) {
                                            spdlog::warn("status query for {} {} not sent: {}", name, id,
                                                         query.error().message);
                                        }
                                    });
    }
    return ResultOutcome{true, false};
}

}  // namespace haven::service
