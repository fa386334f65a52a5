// Account balance: POST /api/v1/mpesa/balance (asks Daraja), GET /api/v1/mpesa/balance/latest,
// and the Daraja-facing /balance/result and /balance/timeout.
#include <spdlog/spdlog.h>

#include "api/accepts.hpp"
#include "api/answer_later.hpp"
#include "api/b2c.hpp"
#include "api/daraja_inbound.hpp"
#include "api/dto.hpp"
#include "api/guard.hpp"
#include "api/respond.hpp"
#include "api/routes.hpp"
#include "core/state.hpp"

namespace haven::api {

using core::ErrorCode;
using nlohmann::json;

namespace {

json BalanceJson(const storage::BalanceCheck& b) {
    json accounts = json::parse(b.accounts, nullptr, false);
    if (!accounts.is_array()) accounts = json::array();
    return {{"id", b.id},
            {"status", core::ToString(b.status)},
            {"checkedAt", b.status == core::TxStatus::kPending ? json(nullptr) : Instant(b.updated_at)},
            {"requestedAt", Instant(b.created_at)},
            {"resultCode", ResultCodeJson(b.result_code)},
            {"resultDescription", b.result_desc.empty() ? json(nullptr) : json(b.result_desc)},
            {"accounts", accounts}};
}

void Check(net::Request& req, const Caller& caller, ApiContext& ctx, net::Reply reply) {
    auto deps = B2cDepsFor(ctx, caller.agency_id);
    if (!deps) return reply(ErrorResponse(deps.error()));
    service::RequestBalanceAsync(ActorFrom(caller, req), *deps,
                                 [reply = std::move(reply)](core::Result<storage::BalanceCheck> out) {
                                     if (!out) return reply(ErrorResponse(out.error()));
                                     reply(Ok(BalanceJson(*out)));
                                 });
}

net::Response Latest(const Caller& caller, ApiContext& ctx) {
    auto latest = ctx.store.FindLatestBalanceCheck(caller.agency_id, true);
    if (!latest && latest.error().code == ErrorCode::kNotFound) {
        latest = ctx.store.FindLatestBalanceCheck(caller.agency_id, false);
    }
    if (!latest) {
        // Not checked yet is a normal state, not an error: data is null until the first check.
        if (latest.error().code == ErrorCode::kNotFound) return Ok(nullptr);
        return ErrorResponse(latest.error());
    }
    return Ok(BalanceJson(*latest));
}

}  // namespace

void RegisterBalanceRoutes(net::Router& router, ApiContext& ctx) {
    // POST /balance takes no body (whatever is sent is ignored), so it declares no media type.
    router.AddAsync(
        "POST", "/api/v1/mpesa/balance",
        CallsDaraja(ctx,
                    Audited(ctx, "balance.check",
                            AuthedAsync(ctx, kStaff, [&ctx](net::Request& req, const Caller& caller, net::Reply reply) {
                                Check(req, caller, ctx, std::move(reply));
                            }))));
    router.Add("GET", "/api/v1/mpesa/balance/latest",
               Authed(ctx, kSignedIn, [&ctx](net::Request&, const Caller& caller) { return Latest(caller, ctx); }));
    // Daraja's answer to a balance check and its timeout notice (daraja_inbound.hpp).
    AddDarajaRoute(router, ctx, "/api/v1/mpesa/balance/result", "result.balance", DarajaAck::kResult,
                   [&ctx](const json& body, const std::string& request_id) {
                       return service::ApplyBalanceResult(body, request_id, B2cDepsFor(ctx));
                   });
    AddDarajaRoute(router, ctx, "/api/v1/mpesa/balance/timeout", "timeout.balance", DarajaAck::kResult,
                   [&ctx](const json& body, const std::string& request_id) {
                       return service::ApplyBalanceTimeout(body, request_id, B2cDepsFor(ctx));
                   });
}

}  // namespace haven::api
