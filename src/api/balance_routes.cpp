// Account balance: POST /api/v1/mpesa/balance (asks Daraja), GET /api/v1/mpesa/balance/latest,
// and the Daraja-facing /balance/result and /balance/timeout.
#include <spdlog/spdlog.h>

#include "api/accepts.hpp"
#include "api/answer_later.hpp"
#include "api/b2c.hpp"
#include "api/respond.hpp"
#include "api/routes.hpp"
#include "core/state.hpp"

namespace haven::api {

using core::ErrorCode;
using core::Role;
using nlohmann::json;

namespace {

json BalanceJson(const storage::BalanceCheck& b) {
    json accounts = json::parse(b.accounts, nullptr, false);
    if (!accounts.is_array()) accounts = json::array();
    return {{"id", b.id},
            {"status", core::ToString(b.status)},
            {"checkedAt", b.status == core::TxStatus::kPending ? json(nullptr) : json(b.updated_at)},
            {"requestedAt", b.created_at},
            {"resultCode", ResultCodeJson(b.result_code)},
            {"resultDescription", b.result_desc.empty() ? json(nullptr) : json(b.result_desc)},
            {"accounts", accounts}};
}

void Check(net::Request& req, ApiContext& ctx, net::Reply reply) {
    auto claims = Authenticate(req, ctx);
    if (!claims) return reply(ErrorResponse(claims.error()));
    if (auto allowed = RequireRole(*claims, {Role::kAdmin, Role::kManager}); !allowed) {
        return reply(ErrorResponse(allowed.error()));
    }
    service::RequestBalanceAsync(ActorFrom(*claims, req), B2cDepsFor(ctx),
                                 [reply = std::move(reply)](core::Result<storage::BalanceCheck> out) {
                                     if (!out) return reply(ErrorResponse(out.error()));
                                     reply(Ok(BalanceJson(*out)));
                                 });
}

net::Response Latest(net::Request& req, ApiContext& ctx) {
    auto claims = Authenticate(req, ctx);
    if (!claims) return ErrorResponse(claims.error());
    auto latest = ctx.store.FindLatestBalanceCheck(claims->agency_id, true);
    if (!latest && latest.error().code == ErrorCode::kNotFound) {
        latest = ctx.store.FindLatestBalanceCheck(claims->agency_id, false);
    }
    if (!latest) {
        // Not checked yet is a normal state, not an error: data is null until the first check.
        if (latest.error().code == ErrorCode::kNotFound) return Ok(nullptr);
        return ErrorResponse(latest.error());
    }
    return Ok(BalanceJson(*latest));
}

net::Handler Result(ApiContext& ctx, const char* action, bool timeout) {
    return [&ctx, action, timeout](net::Request& req) {
        auto secret = req.Query("secret");
        if (!secret || !service::ConstantTimeEquals(*secret, ctx.settings.callback_secret)) {
            Audit(ctx, req, std::nullopt, action, "daraja_result", "denied: bad secret");
            return ErrorResponse(ErrorCode::kUnauthenticated, "callback secret missing or wrong");
        }
        json body = json::parse(req.body, nullptr, false);
        if (body.is_discarded()) return ErrorResponse(ErrorCode::kBadJson, "the result body is not valid JSON");
        auto applied = timeout ? service::ApplyBalanceTimeout(body, req.request_id, B2cDepsFor(ctx))
                               : service::ApplyBalanceResult(body, req.request_id, B2cDepsFor(ctx));
        if (!applied) return ErrorResponse(applied.error());
        return net::Response::Json(200, {{"ResponseCode", "00000000"}, {"ResponseDesc", "success"}});
    };
}

}  // namespace

void RegisterBalanceRoutes(net::Router& router, ApiContext& ctx) {
    // POST /balance takes no body (whatever is sent is ignored), so it declares no media type.
    router.AddAsync("POST", "/api/v1/mpesa/balance",
                    CallsDaraja(ctx, Audited(ctx, "balance.check", [&ctx](net::Request& req, net::Reply reply) {
                                    Check(req, ctx, std::move(reply));
                                })));
    router.Add("GET", "/api/v1/mpesa/balance/latest", [&ctx](net::Request& req) { return Latest(req, ctx); });
    router.Add("POST", "/api/v1/mpesa/balance/result", Accepts(kDarajaBody, Result(ctx, "result.balance", false)));
    router.Add("POST", "/api/v1/mpesa/balance/timeout", Accepts(kDarajaBody, Result(ctx, "timeout.balance", true)));
}

}  // namespace haven::api
