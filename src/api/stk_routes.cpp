// M-Pesa Express: POST /api/v1/mpesa/stk-push, GET /api/v1/mpesa/status/{checkoutRequestId},
// GET /api/v1/mpesa/status-detailed/{checkoutRequestId}, POST /api/v1/mpesa/callback (Daraja)
#include <spdlog/spdlog.h>

#include "api/accepts.hpp"
#include "api/bodies.hpp"
#include "api/daraja_inbound.hpp"
#include "api/dto.hpp"
#include "api/idempotency.hpp"
#include "api/respond.hpp"
#include "api/routes.hpp"
#include "api/stk_push.hpp"

namespace haven::api {

using core::ErrorCode;
using core::Role;
using nlohmann::json;

net::Response StkPushResponse(const net::Request& req, ApiContext& ctx, const json& body, const service::Actor& actor,
                              std::optional<int64_t> fixed_lease_id, const std::string& scope) {
    auto read = ReadStkPushBody(body, fixed_lease_id);
    if (!read) return ErrorResponse(read.error());
    service::StkPushInput input = *read;
    return WithIdempotency(req, ctx, actor.agency_id, scope, body, [&](const auto& key) {
        input.idempotency = key;
        auto out = service::InitiateStkPush(input, actor, ctx.StkDeps());
        if (!out) return ErrorResponse(out.error());
        return Ok({{"transactionId", out->transaction.id},
                   {"merchantRequestId", out->ack.merchant_request_id},
                   {"checkoutRequestId", out->ack.checkout_request_id},
                   {"responseCode", out->ack.response_code},
                   {"responseDescription", out->ack.response_description},
                   {"customerMessage", out->ack.customer_message}});
    });
}

namespace {

net::Response StkPush(net::Request& req, ApiContext& ctx) {
    auto claims = Authenticate(req, ctx);
    if (!claims) return ErrorResponse(claims.error());
    if (auto allowed = RequireRole(*claims, {Role::kAdmin, Role::kManager}); !allowed) {
        return ErrorResponse(allowed.error());
    }
    auto body = ParseJsonBody(req);
    if (!body) return ErrorResponse(body.error());
    return StkPushResponse(req, ctx, *body, ActorFrom(*claims, req), std::nullopt, "POST /api/v1/mpesa/stk-push");
}

net::Response Status(net::Request& req, ApiContext& ctx, bool detailed) {
    auto claims = Authenticate(req, ctx);
    if (!claims) return ErrorResponse(claims.error());
    auto tx = ctx.store.FindStkByCheckoutId(claims->agency_id, req.Param("checkoutRequestId"));
    if (!tx) {
        if (tx.error().code == ErrorCode::kNotFound) {
            return ErrorResponse(ErrorCode::kNotFound, "no transaction with this CheckoutRequestID");
        }
        return ErrorResponse(tx.error());
    }
    return Ok(detailed ? DetailedStatusJson(*tx) : StatusJson(*tx));
}

net::AsyncHandler Callback(ApiContext& ctx) {
    static const net::Response kAck = net::Response::Json(200, {{"ResultCode", 0}, {"ResultDesc", "Accepted"}});
    return DarajaInbound(ctx, "callback.stk", kAck,
                         [&ctx](const json& body, const std::string& request_id) -> core::Result<std::string> {
                             auto applied = service::ApplyStkCallback(body, request_id, ctx.StkDeps());
                             if (!applied) return tl::unexpected(applied.error());
                             return !applied->matched ? "unmatched" : applied->applied ? "applied" : "duplicate";
                         });
}

}  // namespace

void RegisterStkRoutes(net::Router& router, ApiContext& ctx) {
    router.Add("POST", "/api/v1/mpesa/stk-push",
               Accepts(kJsonBody, Audited(ctx, "stk.initiate", [&ctx](net::Request& req) { return StkPush(req, ctx); })));
    router.Add("GET", "/api/v1/mpesa/status/{checkoutRequestId}",
               [&ctx](net::Request& req) { return Status(req, ctx, false); });
    router.Add("GET", "/api/v1/mpesa/status-detailed/{checkoutRequestId}",
               [&ctx](net::Request& req) { return Status(req, ctx, true); });
    // Answered after the commit, without holding a thread while it waits (ReceiveFromDaraja).
    router.AddAsync("POST", "/api/v1/mpesa/callback", Callback(ctx));
}

}  // namespace haven::api
