// M-Pesa Express: POST /api/v1/mpesa/stk-push, GET /api/v1/mpesa/status/{checkoutRequestId},
// GET /api/v1/mpesa/status-detailed/{checkoutRequestId}, POST /api/v1/mpesa/callback (Daraja)
#include <spdlog/spdlog.h>

#include "api/accepts.hpp"
#include "api/answer_later.hpp"
#include "api/bodies.hpp"
#include "api/daraja_inbound.hpp"
#include "api/dto.hpp"
#include "api/guard.hpp"
#include "api/idempotency.hpp"
#include "api/respond.hpp"
#include "api/routes.hpp"
#include "api/stk_push.hpp"
#include "core/time.hpp"
#include "service/leases.hpp"

namespace haven::api {

using core::ErrorCode;
using nlohmann::json;

void StkPushResponse(const net::Request& req, ApiContext& ctx, const json& body,
                     core::Result<service::StkPushInput> read, const service::Actor& actor, const std::string& scope,
                     net::Reply reply) {
    if (!read) return reply(ErrorResponse(read.error()));
    auto push = [&ctx, input = *read, actor](const auto& key, net::Reply answer) mutable {
        input.idempotency = key;
        // The push goes out on the agency's own account when it has one (its shortcode, passkey and token).
        auto deps = ctx.StkDepsFor(actor.agency_id);
        if (!deps) return answer(ErrorResponse(deps.error()));
        // The row is written before this returns; the answer comes once Daraja's is recorded.
        service::InitiateStkPushAsync(input, actor, *deps, [answer](core::Result<service::StkPushOutput> out) {
            if (!out) return answer(ErrorResponse(out.error()));
            answer(Ok({{"transactionId", out->transaction.id},
                       {"merchantRequestId", out->ack.merchant_request_id},
                       {"checkoutRequestId", out->ack.checkout_request_id},
                       {"responseCode", out->ack.response_code},
                       {"responseDescription", out->ack.response_description},
                       {"customerMessage", out->ack.customer_message}}));
        });
    };
    WithIdempotency(req, ctx, actor.agency_id, scope, body, push, std::move(reply));
}

namespace {

void StkPush(net::Request& req, const Caller& caller, ApiContext& ctx, net::Reply reply) {
    auto body = ParseJsonBody(req);
    if (!body) return reply(ErrorResponse(body.error()));
    StkPushResponse(req, ctx, *body, ReadStkPushBody(*body), ActorFrom(caller, req), "POST /api/v1/mpesa/stk-push",
                    std::move(reply));
}

net::Response Status(net::Request& req, const Caller& caller, ApiContext& ctx, bool detailed) {
    auto tx = ctx.store.FindStkByCheckoutId(caller.agency_id, req.Param("checkoutRequestId"));
    if (!tx) {
        if (tx.error().code == ErrorCode::kNotFound) {
            return ErrorResponse(ErrorCode::kNotFound, "no transaction with this CheckoutRequestID");
        }
        return ErrorResponse(tx.error());
    }
    auto external = service::LeaseExternalId(ctx.store, caller.agency_id, tx->lease_id);
    if (!external) return ErrorResponse(external.error());
    return Ok(detailed ? DetailedStatusJson(*tx, *external) : StatusJson(*tx, *external));
}

/// The time from the push (its row is written just before Daraja accepts it) to the callback that settled it, once
/// per push: a duplicate or late callback changes nothing and is not counted. created_at has whole seconds.
void ObserveCallbackLag(const ApiContext& ctx, const service::CallbackOutcome& outcome) {
    if (ctx.callback_lag == nullptr || !outcome.applied || !outcome.transaction) return;
    const auto pushed = core::ParseIsoUtc(outcome.transaction->created_at);
    if (!pushed) return;
    const double lag = std::chrono::duration<double>(std::chrono::system_clock::now() - *pushed).count();
    ctx.callback_lag->With({"stk_push"}).Observe(std::max(lag, 0.0));
}

}  // namespace

void RegisterStkRoutes(net::Router& router, ApiContext& ctx) {
    router.AddAsync(
        "POST", "/api/v1/mpesa/stk-push",
        Accepts(kJsonBody,
                CallsDaraja(ctx, Audited(ctx, "stk.initiate",
                                         AuthedAsync(ctx, kStaff,
                                                     [&ctx](net::Request& req, const Caller& caller, net::Reply reply) {
                                                         StkPush(req, caller, ctx, std::move(reply));
                                                     })))));
    router.Add("GET", "/api/v1/mpesa/status/{checkoutRequestId}",
               Authed(ctx, kSignedIn,
                      [&ctx](net::Request& req, const Caller& caller) { return Status(req, caller, ctx, false); }));
    router.Add("GET", "/api/v1/mpesa/status-detailed/{checkoutRequestId}",
               Authed(ctx, kSignedIn,
                      [&ctx](net::Request& req, const Caller& caller) { return Status(req, caller, ctx, true); }));
    AddDarajaRoute(router, ctx, "/api/v1/mpesa/callback", "callback.stk", DarajaAck::kStkCallback,
                   [&ctx](const json& body, const std::string& request_id) {
                       auto outcome = service::ApplyStkCallback(body, request_id, ctx.StkDeps());
                       if (outcome) ObserveCallbackLag(ctx, *outcome);
                       return outcome;
                   });
}

}  // namespace haven::api
