// Leases and their payments: POST/GET /api/v1/leases, GET /api/v1/leases/{id},
// GET /api/v1/leases/{id}/payments, GET /api/v1/payments
#include <map>

#include "api/accepts.hpp"
#include "api/dto.hpp"
#include "api/respond.hpp"
#include "api/routes.hpp"
#include "api/validator.hpp"
#include "core/amount.hpp"
#include "core/phone.hpp"
#include "core/text.hpp"
#include "service/pay_link.hpp"

namespace haven::api {

using core::ErrorCode;
using core::Role;
using nlohmann::json;

namespace {

json LeaseWithExtras(const ApiContext& ctx, const core::Lease& lease, int64_t total_paid) {
    json out = LeaseJson(lease);
    out["paymentLink"] =
        "/pay.html?t=" + service::SignLeaseToken({lease.id, lease.agency_id}, ctx.settings.jwt_secret);
    out["totalPaid"] = total_paid;
    return out;
}

std::map<int64_t, int64_t> TotalsByLease(const std::vector<core::Payment>& payments) {
    std::map<int64_t, int64_t> totals;
    for (const auto& p : payments) totals[p.lease_id] += p.amount;
    return totals;
}

net::Response CreateLease(net::Request& req, ApiContext& ctx) {
    auto claims = Authenticate(req, ctx);
    if (!claims) return ErrorResponse(claims.error());
    if (auto allowed = RequireRole(*claims, {Role::kAdmin, Role::kManager}); !allowed) {
        return ErrorResponse(allowed.error());
    }
    auto body = ParseJsonBody(req);
    if (!body) return ErrorResponse(body.error());

    Validator v;
    auto tenant = v.Take(core::RequireText(*body, "tenantName", 100));
    std::optional<std::string> phone;
    if (auto raw = v.Take(core::RequireText(*body, "phoneNumber", 20))) {
        phone = v.Take(core::NormalizePhone(*raw));
    }
    auto unit = v.Take(core::RequireText(*body, "unit", 50));
    auto rent = v.Take(core::ParseAmount(body->value("monthlyRent", json()), "monthlyRent", 1, 100000000));
    auto reference = v.Take(core::RequireText(*body, "accountReference", 12));
    if (!v.ok()) return ErrorResponse(v.Finish());

    core::Lease lease;
    lease.agency_id = claims->agency_id;
    lease.tenant_name = *tenant;
    lease.phone_number = *phone;
    lease.unit = *unit;
    lease.monthly_rent = *rent;
    lease.account_reference = *reference;
    auto inserted = ctx.store.InsertLease(lease);
    if (!inserted) return ErrorResponse(inserted.error());
    return Ok(LeaseWithExtras(ctx, *inserted, 0), 201);
}

net::Response ListLeases(net::Request& req, ApiContext& ctx) {
    auto claims = Authenticate(req, ctx);
    if (!claims) return ErrorResponse(claims.error());
    auto leases = ctx.store.ListLeases(claims->agency_id);
    if (!leases) return ErrorResponse(leases.error());
    auto payments = ctx.store.ListPayments(claims->agency_id, std::nullopt);
    if (!payments) return ErrorResponse(payments.error());
    auto totals = TotalsByLease(*payments);
    json out = json::array();
    for (const auto& lease : *leases) out.push_back(LeaseWithExtras(ctx, lease, totals[lease.id]));
    return Ok(out);
}

core::Result<core::Lease> LeaseFromPath(const net::Request& req, ApiContext& ctx, int64_t agency_id) {
    auto id = core::ParseId(req.Param("id"));
    if (!id) return core::Fail(ErrorCode::kNotFound, "no lease with this id");
    auto lease = ctx.store.FindLease(agency_id, *id);
    if (!lease && lease.error().code == ErrorCode::kNotFound) {
        return core::Fail(ErrorCode::kNotFound, "no lease with this id");
    }
    return lease;
}

net::Response GetLease(net::Request& req, ApiContext& ctx) {
    auto claims = Authenticate(req, ctx);
    if (!claims) return ErrorResponse(claims.error());
    auto lease = LeaseFromPath(req, ctx, claims->agency_id);
    if (!lease) return ErrorResponse(lease.error());
    auto payments = ctx.store.ListPayments(claims->agency_id, lease->id);
    if (!payments) return ErrorResponse(payments.error());
    return Ok(LeaseWithExtras(ctx, *lease, TotalsByLease(*payments)[lease->id]));
}

net::Response PaymentsResponse(const std::vector<core::Payment>& payments) {
    json out = json::array();
    for (const auto& p : payments) out.push_back(PaymentJson(p));
    return Ok(out);
}

net::Response LeasePayments(net::Request& req, ApiContext& ctx) {
    auto claims = Authenticate(req, ctx);
    if (!claims) return ErrorResponse(claims.error());
    auto lease = LeaseFromPath(req, ctx, claims->agency_id);
    if (!lease) return ErrorResponse(lease.error());
    auto payments = ctx.store.ListPayments(claims->agency_id, lease->id);
    if (!payments) return ErrorResponse(payments.error());
    return PaymentsResponse(*payments);
}

net::Response ListPayments(net::Request& req, ApiContext& ctx) {
    auto claims = Authenticate(req, ctx);
    if (!claims) return ErrorResponse(claims.error());
    std::optional<int64_t> lease_id;
    if (auto raw = req.Query("leaseId")) {
        lease_id = core::ParseId(*raw);
        if (!lease_id) return ErrorResponse(core::Error::Validation("leaseId", "leaseId must be a positive integer"));
    }
    auto payments = ctx.store.ListPayments(claims->agency_id, lease_id);
    if (!payments) return ErrorResponse(payments.error());
    return PaymentsResponse(*payments);
}

}  // namespace

void RegisterLeaseRoutes(net::Router& router, ApiContext& ctx) {
    router.Add("POST", "/api/v1/leases",
               Accepts(kJsonBody, Audited(ctx, "lease.create",
                                          [&ctx](net::Request& req) { return CreateLease(req, ctx); })));
    router.Add("GET", "/api/v1/leases", [&ctx](net::Request& req) { return ListLeases(req, ctx); });
    router.Add("GET", "/api/v1/leases/{id}", [&ctx](net::Request& req) { return GetLease(req, ctx); });
    router.Add("GET", "/api/v1/leases/{id}/payments", [&ctx](net::Request& req) { return LeasePayments(req, ctx); });
    router.Add("GET", "/api/v1/payments", [&ctx](net::Request& req) { return ListPayments(req, ctx); });
}

}  // namespace haven::api
