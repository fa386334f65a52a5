// Leases and their payments: POST/GET /api/v1/leases, GET /api/v1/leases/{id}, PUT/GET
// /api/v1/leases/by-external/{externalId} (Haven syncs its leases by its own ids),
// GET /api/v1/leases/{id}/payments, GET /api/v1/payments; editing and ending a lease: PATCH /api/v1/leases/{id},
// POST /api/v1/leases/{id}/end, GET /api/v1/leases/{id}/history (its audit rows)
#include <algorithm>
#include <map>
#include <string_view>

#include "api/accepts.hpp"
#include "api/dto.hpp"
#include "api/guard.hpp"
#include "api/respond.hpp"
#include "api/routes.hpp"
#include "api/validator.hpp"
#include "core/amount.hpp"
#include "core/lease_key.hpp"
#include "core/phone.hpp"
#include "core/text.hpp"
#include "core/time.hpp"
#include "service/lease_changes.hpp"
#include "service/leases.hpp"
#include "service/pay_link.hpp"

namespace haven::api {

using core::ErrorCode;
using nlohmann::json;

namespace {

json LeaseWithExtras(const ApiContext& ctx, const core::Lease& lease, int64_t total_paid) {
    json out = LeaseJson(lease);
    out["paymentLink"] = "/pay.html?t=" + service::SignLeaseToken({lease.id, lease.agency_id}, ctx.settings.jwt_secret);
    out["totalPaid"] = total_paid;
    return out;
}

std::map<int64_t, int64_t> TotalsByLease(const std::vector<core::Payment>& payments) {
    std::map<int64_t, int64_t> totals;
    for (const auto& p : payments) totals[p.lease_id] += p.amount;
    return totals;
}

/// The lease fields a create or a sync sends (all required); problems go to `v`.
core::Lease ReadLeaseFields(const json& body, Validator& v, int64_t agency_id) {
    core::Lease lease;
    lease.agency_id = agency_id;
    auto tenant = v.Take(core::RequireText(body, "tenantName", 100));
    std::optional<std::string> phone;
    if (auto raw = v.Take(core::RequireText(body, "phoneNumber", 20))) phone = v.Take(core::NormalizePhone(*raw));
    auto unit = v.Take(core::RequireText(body, "unit", 50));
    auto rent = v.Take(core::ParseAmount(body.value("monthlyRent", json()), "monthlyRent", 1, 100000000));
    auto reference = v.Take(core::RequireText(body, "accountReference", 12));
    if (tenant) lease.tenant_name = *tenant;
    if (phone) lease.phone_number = *phone;
    if (unit) lease.unit = *unit;
    if (rent) lease.monthly_rent = *rent;
    if (reference) lease.account_reference = *reference;
    return lease;
}

/// A tenant's email: optional (null or "" clears it), at most 254 characters, one '@' with text on both sides, a
/// dot in the domain and no spaces. Enough to catch typing mistakes; only a message sent proves it works.
std::optional<std::string> ReadEmail(const json& body, Validator& v) {
    auto text = v.Take(core::RequireText(body, "email", 254, false));
    if (!text) return std::nullopt;
    if (text->empty()) return std::string();
    const auto at = text->find('@');
    const bool sane = at != std::string::npos && at > 0 && text->find('@', at + 1) == std::string::npos &&
                      text->find('.', at + 2) != std::string::npos && text->back() != '.' &&
                      text->find_first_of(" \t") == std::string::npos;
    if (!sane) {
        v.Add("email", "email must look like name@example.com");
        return std::nullopt;
    }
    return text;
}

/// The rent terms a create, a sync or an edit may send: dueDay (an integer 1-31; 29-31 fall on a short month's
/// last day) and startDate (a Nairobi day "YYYY-MM-DD"). Each is set only when the body has it.
void ReadRentTerms(const json& body, Validator& v, std::optional<int>& due_day, std::optional<std::string>& start) {
    if (body.contains("dueDay")) {
        const json& raw = body["dueDay"];
        if (raw.is_number_integer() && raw.get<int64_t>() >= 1 && raw.get<int64_t>() <= 31) {
            due_day = static_cast<int>(raw.get<int64_t>());
        } else {
            v.Add("dueDay", "dueDay must be a whole number from 1 to 31 (29-31 fall on a short month's last day)");
        }
    }
    if (body.contains("startDate")) {
        const json& raw = body["startDate"];
        // Only a plain date: it names the Nairobi day rent starts accruing.
        if (raw.is_string() && raw.get<std::string>().size() == 10 && core::ParseIsoUtc(raw.get<std::string>())) {
            start = raw.get<std::string>();
        } else {
            v.Add("startDate", "startDate must be a date like 2026-11-01");
        }
    }
}

void CheckExternalId(const std::string& external_id, Validator& v) {
    if (!core::ValidExternalId(external_id)) {
        v.Add("externalId",
              "externalId must be 1-64 of A-Z a-z 0-9 . _ : - with at least one non-digit (an "
              "all-digit value would read as our own lease id)");
    }
}

net::Response CreateLease(net::Request& req, const Caller& caller, ApiContext& ctx) {
    auto body = ParseJsonBody(req);
    if (!body) return ErrorResponse(body.error());

    Validator v;
    core::Lease lease = ReadLeaseFields(*body, v, caller.agency_id);
    if (body->contains("externalId") && !(*body)["externalId"].is_null()) {
        const auto& raw = (*body)["externalId"];
        if (raw.is_string()) {
            lease.external_id = raw.get<std::string>();
            CheckExternalId(lease.external_id, v);
        } else {
            v.Add("externalId", "externalId must be a string");
        }
    }
    if (body->contains("email")) {
        if (auto email = ReadEmail(*body, v)) lease.email = *email;
    }
    std::optional<int> due_day;
    std::optional<std::string> start_date;
    ReadRentTerms(*body, v, due_day, start_date);
    lease.due_day = due_day.value_or(5);
    lease.start_date = start_date.value_or(service::NairobiToday());
    if (!v.ok()) return ErrorResponse(v.Finish());
    auto inserted = ctx.store.InsertLease(lease);
    if (!inserted) return ErrorResponse(inserted.error());
    return Ok(LeaseWithExtras(ctx, *inserted, 0), 201);
}

/// PUT /api/v1/leases/by-external/{externalId}: Haven syncs its lease; created (201) or updated (200).
net::Response SyncLease(net::Request& req, const Caller& caller, ApiContext& ctx) {
    auto body = ParseJsonBody(req);
    if (!body) return ErrorResponse(body.error());
    Validator v;
    core::Lease lease = ReadLeaseFields(*body, v, caller.agency_id);
    lease.external_id = req.Param("externalId");
    CheckExternalId(lease.external_id, v);
    if (body->contains("externalId") && (*body)["externalId"] != json(lease.external_id)) {
        v.Add("externalId", "externalId in the body must match the one in the path (or be left out)");
    }
    // Left out, the due day and start date keep what the lease has (a new lease: the 5th, the day it is created).
    std::optional<int> due_day;
    std::optional<std::string> start_date;
    ReadRentTerms(*body, v, due_day, start_date);
    lease.due_day = due_day.value_or(0);
    lease.start_date = start_date.value_or("");
    // Left out (or ""), the email keeps what the lease has; PATCH clears it.
    if (body->contains("email")) {
        if (auto email = ReadEmail(*body, v)) lease.email = *email;
    }
    if (!v.ok()) return ErrorResponse(v.Finish());
    auto synced = service::SyncLease(ctx.store, ActorFrom(caller, req), lease);
    if (!synced) return ErrorResponse(synced.error());
    auto payments = ctx.store.ListPayments(caller.agency_id, synced->lease.id);
    if (!payments) return ErrorResponse(payments.error());
    return Ok(LeaseWithExtras(ctx, synced->lease, TotalsByLease(*payments)[synced->lease.id]),
              synced->created ? 201 : 200);
}

net::Response ListLeases(const net::Request& req, const Caller& caller, ApiContext& ctx) {
    // ?status=active|ended; all leases without it.
    const auto status = req.Query("status");
    if (status && *status != "active" && *status != "ended" && *status != "all") {
        return ErrorResponse(core::Error::Validation("status", "status must be active, ended or all"));
    }
    auto leases = ctx.store.ListLeases(caller.agency_id);
    if (!leases) return ErrorResponse(leases.error());
    auto payments = ctx.store.ListPayments(caller.agency_id, std::nullopt);
    if (!payments) return ErrorResponse(payments.error());
    auto totals = TotalsByLease(*payments);
    json out = json::array();
    for (const auto& lease : *leases) {
        if (status && *status != "all" && (*status == "ended") != lease.Ended()) continue;
        out.push_back(LeaseWithExtras(ctx, lease, totals[lease.id]));
    }
    return Ok(out);
}

/// The lease named in the path: our id, or (GET /api/v1/leases/by-external/{externalId}) Haven's.
core::Result<core::Lease> LeaseFromPath(const net::Request& req, ApiContext& ctx, int64_t agency_id) {
    if (req.params.count("externalId")) {
        auto lease = ctx.store.FindLeaseByExternalId(agency_id, req.Param("externalId"));
        if (!lease && lease.error().code == ErrorCode::kNotFound) {
            return core::Fail(ErrorCode::kNotFound, "no lease with this externalId");
        }
        return lease;
    }
    auto id = core::ParseId(req.Param("id"));
    if (!id) return core::Fail(ErrorCode::kNotFound, "no lease with this id");
    auto lease = ctx.store.FindLease(agency_id, *id);
    if (!lease && lease.error().code == ErrorCode::kNotFound) {
        return core::Fail(ErrorCode::kNotFound, "no lease with this id");
    }
    return lease;
}

net::Response GetLease(net::Request& req, const Caller& caller, ApiContext& ctx) {
    auto lease = LeaseFromPath(req, ctx, caller.agency_id);
    if (!lease) return ErrorResponse(lease.error());
    auto payments = ctx.store.ListPayments(caller.agency_id, lease->id);
    if (!payments) return ErrorResponse(payments.error());
    return Ok(LeaseWithExtras(ctx, *lease, TotalsByLease(*payments)[lease->id]));
}

net::Response PaymentsResponse(ApiContext& ctx, int64_t agency_id, const std::vector<core::Payment>& payments) {
    std::vector<int64_t> lease_ids;
    lease_ids.reserve(payments.size());
    for (const auto& p : payments) lease_ids.push_back(p.lease_id);
    auto external = service::LeaseExternalIds(ctx.store, agency_id, lease_ids);
    if (!external) return ErrorResponse(external.error());
    json out = json::array();
    for (const auto& p : payments) {
        auto found = external->find(p.lease_id);
        out.push_back(PaymentJson(p, found == external->end() ? "" : found->second));
    }
    return Ok(out);
}

net::Response LeasePayments(net::Request& req, const Caller& caller, ApiContext& ctx) {
    auto lease = LeaseFromPath(req, ctx, caller.agency_id);
    if (!lease) return ErrorResponse(lease.error());
    auto payments = ctx.store.ListPayments(caller.agency_id, lease->id);
    if (!payments) return ErrorResponse(payments.error());
    return PaymentsResponse(ctx, caller.agency_id, *payments);
}

net::Response ListPayments(net::Request& req, const Caller& caller, ApiContext& ctx) {
    std::optional<int64_t> lease_id;
    if (auto raw = req.Query("leaseId")) {
        auto key = core::ParseLeaseKey(*raw);
        if (!key) return ErrorResponse(key.error());
        auto resolved = service::ResolveLease(ctx.store, caller.agency_id, *key);
        if (!resolved) return ErrorResponse(resolved.error());
        lease_id = *resolved;
    }
    auto payments = ctx.store.ListPayments(caller.agency_id, lease_id);
    if (!payments) return ErrorResponse(payments.error());
    return PaymentsResponse(ctx, caller.agency_id, *payments);
}

/// The lease answer after an edit or an end, with what was paid on it.
net::Response ChangedLease(ApiContext& ctx, const core::Result<core::Lease>& lease) {
    if (!lease) return ErrorResponse(lease.error());
    auto payments = ctx.store.ListPayments(lease->agency_id, lease->id);
    if (!payments) return ErrorResponse(payments.error());
    return Ok(LeaseWithExtras(ctx, *lease, TotalsByLease(*payments)[lease->id]));
}

/// PATCH /api/v1/leases/{id}: any of the editable fields; anything else is refused (externalId is Haven's key
/// and changes only through its sync).
net::Response PatchLease(net::Request& req, const Caller& caller, ApiContext& ctx) {
    auto id = core::ParseId(req.Param("id"));
    if (!id) return ErrorResponse(ErrorCode::kNotFound, "no lease with this id");
    auto body = ParseJsonBody(req);
    if (!body) return ErrorResponse(body.error());
    static const char* const kEditable[] = {"tenantName",       "phoneNumber", "unit",   "monthlyRent",
                                            "accountReference", "email",       "dueDay", "startDate"};
    Validator v;
    for (const auto& item : body->items()) {
        const std::string& name = item.key();
        if (std::find(std::begin(kEditable), std::end(kEditable), std::string_view(name)) == std::end(kEditable)) {
            v.Add(name, name +
                            " cannot be changed; send any of tenantName, phoneNumber, unit, monthlyRent, "
                            "accountReference, email, dueDay, startDate");
        }
    }
    if (body->empty()) {
        v.Add("",
              "send at least one of tenantName, phoneNumber, unit, monthlyRent, accountReference, email, dueDay, "
              "startDate");
    }
    storage::Store::LeaseEdit edit;
    if (body->contains("tenantName")) edit.tenant_name = v.Take(core::RequireText(*body, "tenantName", 100));
    if (body->contains("phoneNumber")) {
        if (auto raw = v.Take(core::RequireText(*body, "phoneNumber", 20))) {
            edit.phone_number = v.Take(core::NormalizePhone(*raw));
        }
    }
    if (body->contains("unit")) edit.unit = v.Take(core::RequireText(*body, "unit", 50));
    if (body->contains("monthlyRent")) {
        edit.monthly_rent = v.Take(core::ParseAmount((*body)["monthlyRent"], "monthlyRent", 1, 100000000));
    }
    if (body->contains("accountReference")) {
        edit.account_reference = v.Take(core::RequireText(*body, "accountReference", 12));
    }
    if (body->contains("email")) edit.email = ReadEmail(*body, v);
    ReadRentTerms(*body, v, edit.due_day, edit.start_date);
    if (!v.ok()) return ErrorResponse(v.Finish());
    return ChangedLease(ctx, service::EditLease(ctx.store, ActorFrom(caller, req), *id, edit));
}

/// POST /api/v1/leases/{id}/end {"endDate": "2026-11-30" (a Nairobi day, today when left out), "reason": "..."}.
/// The lease stays with its payments and history; it is shown as ended and takes no new payments.
net::Response EndLease(net::Request& req, const Caller& caller, ApiContext& ctx) {
    auto id = core::ParseId(req.Param("id"));
    if (!id) return ErrorResponse(ErrorCode::kNotFound, "no lease with this id");
    auto body = ParseJsonBody(req);
    if (!body) return ErrorResponse(body.error());
    Validator v;
    for (const auto& item : body->items()) {
        const std::string& name = item.key();
        if (name != "endDate" && name != "reason") v.Add(name, name + " is not a field of ending a lease");
    }
    auto reason = v.Take(core::RequireText(*body, "reason", 500));
    const std::string today = service::NairobiToday();
    std::string end_date = today;
    if (auto raw = v.Take(core::RequireText(*body, "endDate", 10, false)); raw && !raw->empty()) {
        // Only a plain date: it names the Nairobi day the tenancy ended. ISO dates compare as text.
        if (raw->size() != 10 || !core::ParseIsoUtc(*raw)) {
            v.Add("endDate", "endDate must be a date like 2026-11-30");
        } else if (*raw > today) {
            v.Add("endDate", "endDate cannot be in the future: end the lease on or after its last day");
        } else {
            end_date = *raw;
        }
    }
    if (!v.ok()) return ErrorResponse(v.Finish());
    return ChangedLease(ctx, service::EndLease(ctx.store, ActorFrom(caller, req), *id, end_date, *reason));
}

/// GET /api/v1/leases/{id}/history: the audit rows about the lease (created, synced, edited, ended), newest first.
net::Response LeaseHistory(net::Request& req, const Caller& caller, ApiContext& ctx) {
    auto lease = LeaseFromPath(req, ctx, caller.agency_id);
    if (!lease) return ErrorResponse(lease.error());
    storage::Store::AuditFilter filter{.agency_id = caller.agency_id, .action_prefix = "lease."};
    Validator v;
    ReadPaging(req, v, filter.limit, filter.before_id);
    if (!v.ok()) return ErrorResponse(v.Finish());
    // Rows name the lease by our id; a sync names it by Haven's id (the path it came by).
    std::vector<storage::Store::AuditRecord> rows;
    for (const std::string& target :
         {"lease:" + std::to_string(lease->id), lease->external_id.empty() ? "" : "lease:" + lease->external_id}) {
        if (target.empty()) continue;
        filter.target = target;
        auto found = ctx.store.ListAudit(filter);
        if (!found) return ErrorResponse(found.error());
        rows.insert(rows.end(), found->begin(), found->end());
    }
    std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.id > b.id; });
    if (static_cast<int>(rows.size()) > filter.limit) rows.resize(filter.limit);
    json items = json::array();
    for (const auto& row : rows) items.push_back(AuditJson(row));
    json data = json::object();
    data["items"] = std::move(items);
    data["nextCursor"] =
        static_cast<int>(rows.size()) == filter.limit ? json(std::to_string(rows.back().id)) : json(nullptr);
    return Ok(std::move(data));
}

}  // namespace

void RegisterLeaseRoutes(net::Router& router, ApiContext& ctx) {
    // Any signed-in user reads; staff (admin, manager) create and sync.
    auto route = [&ctx](Guard guard, net::Response (*handler)(net::Request&, const Caller&, ApiContext&)) {
        return Authed(ctx, std::move(guard),
                      [&ctx, handler](net::Request& req, const Caller& caller) { return handler(req, caller, ctx); });
    };
    router.Add("POST", "/api/v1/leases", Accepts(kJsonBody, Audited(ctx, "lease.create", route(kStaff, CreateLease))));
    router.Add("PUT", "/api/v1/leases/by-external/{externalId}",
               Accepts(kJsonBody, AuditedRefusals(ctx, "lease.sync", route(kStaff, SyncLease))));
    router.Add("GET", "/api/v1/leases/by-external/{externalId}", route(kSignedIn, GetLease));
    router.Add("GET", "/api/v1/leases", Authed(ctx, kSignedIn, [&ctx](net::Request& req, const Caller& caller) {
                   return ListLeases(req, caller, ctx);
               }));
    // An edit or an end writes its own audit row, with before and after, in the change's transaction; the
    // refusals (denied, invalid, unknown lease) are recorded by AuditedRefusals.
    router.Add("PATCH", "/api/v1/leases/{id}",
               Accepts(kJsonBody, AuditedRefusals(ctx, "lease.update", route(kStaff, PatchLease))));
    router.Add("POST", "/api/v1/leases/{id}/end",
               Accepts(kJsonBody, AuditedRefusals(ctx, "lease.end", route(kStaff, EndLease))));
    router.Add("GET", "/api/v1/leases/{id}/history", route(kSignedIn, LeaseHistory));
    router.Add("GET", "/api/v1/leases/{id}", route(kSignedIn, GetLease));
    router.Add("GET", "/api/v1/leases/{id}/payments", route(kSignedIn, LeasePayments));
    router.Add("GET", "/api/v1/payments", route(kSignedIn, ListPayments));
}

}  // namespace haven::api
