// The tenant payment page's API (no login; the signed lease token is the credential):
// GET /api/v1/pay/{token}, POST /api/v1/pay/{token}/stk-push, GET /api/v1/pay/{token}/status/{checkoutRequestId}
#include "api/accepts.hpp"
#include "api/answer_later.hpp"
#include "api/bodies.hpp"
#include "api/dto.hpp"
#include "api/respond.hpp"
#include "api/routes.hpp"
#include "api/stk_push.hpp"
#include "core/phone.hpp"
#include "service/pay_link.hpp"

namespace haven::api {

using core::ErrorCode;
using nlohmann::json;

namespace {

core::Result<core::Lease> LeaseFromToken(const net::Request& req, ApiContext& ctx) {
    auto ref = service::VerifyLeaseToken(req.Param("token"), ctx.settings.jwt_secret);
    if (!ref) return core::Fail(ErrorCode::kNotFound, "this payment link is not valid; ask your agent for a new one");
    auto lease = ctx.store.FindLease(ref->agency_id, ref->lease_id);
    if (!lease) return core::Fail(ErrorCode::kNotFound, "this payment link is not valid; ask your agent for a new one");
    return lease;
}

/// The link of an ended lease no longer takes payments (its status page still answers for a payment started before).
core::Result<core::Lease> PayableLease(const net::Request& req, ApiContext& ctx) {
    auto lease = LeaseFromToken(req, ctx);
    if (lease && lease->Ended()) {
        return core::Fail(ErrorCode::kConflict,
                          "this lease has ended, so this payment link no longer takes payments; ask your agent");
    }
    return lease;
}

std::string PhoneHint(const std::string& phone) {
    // 254712345678 -> 0712***678: enough for the tenant to recognise, useless to anyone else.
    if (phone.size() != 12) return "";
    return "0" + phone.substr(3, 3) + "***" + phone.substr(9);
}

net::Response Summary(net::Request& req, ApiContext& ctx) {
    auto lease = PayableLease(req, ctx);
    if (!lease) return ErrorResponse(lease.error());
    auto agency = ctx.store.FindAgency(lease->agency_id);
    return Ok({{"unit", lease->unit},
               {"tenantName", lease->tenant_name},
               {"amountDue", lease->monthly_rent},
               {"accountReference", lease->account_reference},
               {"agencyName", agency ? agency->name : ""},
               {"phoneHint", PhoneHint(lease->phone_number)}});
}

void Push(net::Request& req, ApiContext& ctx, net::Reply reply) {
    auto lease = PayableLease(req, ctx);
    if (!lease) return reply(ErrorResponse(lease.error()));
    auto body = ParseJsonBody(req);
    if (!body) return reply(ErrorResponse(body.error()));
    // The tenant chooses phone and amount; the lease fixes the reference and where the money is booked.
    auto read = ReadTenantStkPushBody(*body, {lease->id, lease->account_reference, lease->monthly_rent});
    service::Actor actor{lease->agency_id, std::nullopt, "tenant", req.request_id};
    StkPushResponse(req, ctx, *body, std::move(read), actor, "POST /api/v1/pay/stk-push:" + std::to_string(lease->id),
                    std::move(reply));
}

net::Response Status(net::Request& req, ApiContext& ctx) {
    auto lease = LeaseFromToken(req, ctx);
    if (!lease) return ErrorResponse(lease.error());
    auto tx = ctx.store.FindStkByCheckoutId(lease->agency_id, req.Param("checkoutRequestId"));
    if (!tx || tx->lease_id != lease->id) {
        return ErrorResponse(ErrorCode::kNotFound, "no payment with this CheckoutRequestID for this lease");
    }
    json out = DetailedStatusJson(*tx, lease->external_id);
    out["phoneNumber"] = core::MaskPhone(tx->phone_number);
    return Ok(out);
}

}  // namespace

void RegisterPayRoutes(net::Router& router, ApiContext& ctx) {
    router.Add("GET", "/api/v1/pay/{token}", [&ctx](net::Request& req) { return Summary(req, ctx); });
    router.AddAsync("POST", "/api/v1/pay/{token}/stk-push",
                    Accepts(kJsonBody, CallsDaraja(ctx, Audited(ctx, "stk.initiate.tenant",
                                                                [&ctx](net::Request& req, net::Reply reply) {
                                                                    Push(req, ctx, std::move(reply));
                                                                }))));
    router.Add("GET", "/api/v1/pay/{token}/status/{checkoutRequestId}",
               [&ctx](net::Request& req) { return Status(req, ctx); });
}

}  // namespace haven::api
