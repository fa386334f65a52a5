#include "service/balance_service.hpp"

#include "core/state.hpp"
#include "daraja/results.hpp"
#include "service/initiator_steps.hpp"

namespace haven::service {

using core::TxStatus;
using nlohmann::json;

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
    storage::QueryOutcome q = detail::QueryOutcomeOf(*notice);
    if (notice->ok()) {
        auto accounts = daraja::ParseAccountBalance(notice->Param("AccountBalance"));
        if (!accounts) {
            q.status = TxStatus::kFailed;
            q.result_desc = "the AccountBalance could not be read: " + accounts.error().message;
        } else {
            json list = json::array();
            for (const auto& a : *accounts) {
                list.push_back({{"name", a.name},
                                {"currency", a.currency},
                                {"current", a.current},
                                {"available", a.available},
                                {"reserved", a.reserved},
                                {"uncleared", a.uncleared}});
            }
            q.detail = list.dump();
        }
    }
    auto applied = detail::ApplyByNotice(deps.store, &storage::Store::ApplyBalanceOutcome, *notice, q);
    if (!applied) {
        if (applied.error().code != core::ErrorCode::kNotFound) return tl::unexpected(applied.error());
        return detail::Unmatched(deps.store, "balance", *notice, body);
    }
    if (applied->first) {
        detail::Audit(deps.store, applied->second.agency_id, std::nullopt, "daraja", "balance.status",
                      "balance:" + std::to_string(applied->second.id), request_id,
                      std::string("success: ") + std::string(core::ToString(q.status)));
    }
    return ResultOutcome{true, applied->first};
}

Result<ResultOutcome> ApplyBalanceTimeout(const json& body, const std::string& request_id, B2cDeps deps) {
    (void)request_id;
    return detail::ApplyQueryTimeout("balance.timeout", &storage::Store::ApplyBalanceOutcome, body, deps);
}

}  // namespace haven::service
