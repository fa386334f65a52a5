// Personal data under Kenya's Data Protection Act (admins only), docs/personal-data.md:
//   GET  /api/v1/privacy/export?phone=0712345678   everything the agency holds about the number, as JSON
//   POST /api/v1/privacy/erase {phone, reason, confirm}   names and numbers out, money records kept
// Every call, refused ones included, leaves one audit row (privacy.export / privacy.erase) naming the number masked.
#include <fmt/format.h>

#include <chrono>
#include <random>
#include <set>

#include "api/accepts.hpp"
#include "api/b2c.hpp"
#include "api/dto.hpp"
#include "api/guard.hpp"
#include "api/respond.hpp"
#include "api/routes.hpp"
#include "api/validator.hpp"
#include "core/phone.hpp"
#include "core/text.hpp"
#include "core/time.hpp"

namespace haven::api {

using core::ErrorCode;
using core::Role;
using nlohmann::json;

namespace {

const Guard kAdmins{{Role::kAdmin}, "only an agency admin may export or erase personal data"};

/// What a privacy handler answers and the audit row's target (the number masked, and what was done).
struct Answered {
    net::Response response;
    std::string target = "phone";
};

using PrivacyHandler = std::function<Answered(net::Request&, const Caller&)>;

std::string OutcomeOf(const net::Response& res) {
    if (res.status == 401 || res.status == 403) return "denied";
    if (res.status < 300) return "success";
    auto body = json::parse(res.body, nullptr, false);
    std::string code =
        body.is_object() && body.contains("error") && body["error"].is_object() ? body["error"].value("code", "") : "";
    return "error: " + (code.empty() ? std::to_string(res.status) : code);
}

/// Admins only, and audited whatever the answer (a refused attempt at someone's data is worth a row too).
net::Handler AdminAudited(ApiContext& ctx, std::string action, PrivacyHandler handler) {
    return [&ctx, action = std::move(action), handler = std::move(handler)](net::Request& req) {
        auto caller = Admit(req, ctx, kAdmins);
        if (!caller) {
            net::Response res = ErrorResponse(caller.error());
            auto who = Authenticate(req, ctx);
            Audit(ctx, req, who ? std::optional<service::Claims>(*who) : std::nullopt, action, "phone", OutcomeOf(res));
            return res;
        }
        Answered answered = handler(req, *caller);
        Audit(ctx, req, *caller, action, answered.target, OutcomeOf(answered.response));
        return std::move(answered.response);
    };
}

/// The number asked about, normalised; the error names `field`.
core::Result<std::string> PhoneOf(const std::optional<std::string>& raw, const char* field) {
    if (!raw || raw->empty()) {
        return core::Fail(core::Error::Validation(field, std::string(field) + " is required (e.g. 0712345678)"));
    }
    auto phone = core::NormalizePhone(*raw);
    if (!phone) {
        core::Error e = phone.error();
        for (auto& d : e.details) d.field = field;
        return core::Fail(std::move(e));
    }
    return phone;
}

std::string Masked(const std::string& phone) { return "phone:" + core::MaskPhone(phone); }

Answered Export(net::Request& req, const Caller& caller, ApiContext& ctx) {
    auto phone = PhoneOf(req.Query("phone"), "phone");
    if (!phone) return {ErrorResponse(phone.error())};
    const std::string target = Masked(*phone);
    auto held = ctx.store.FindPersonalData(caller.agency_id, *phone);
    if (!held) return {ErrorResponse(held.error()), target};

    std::set<int64_t> lease_ids;
    for (const auto& tx : held->transactions) {
        if (tx.lease_id) lease_ids.insert(*tx.lease_id);
    }
    for (const auto& p : held->payments) lease_ids.insert(p.lease_id);
    auto external = ctx.store.LeaseExternalIds(caller.agency_id, {lease_ids.begin(), lease_ids.end()});
    if (!external) return {ErrorResponse(external.error()), target};
    auto external_of = [&](std::optional<int64_t> id) -> std::string {
        if (!id) return "";
        auto it = external->find(*id);
        return it == external->end() ? "" : it->second;
    };

    json data = json::object();
    data["phoneNumber"] = *phone;
    data["generatedAt"] = Instant(core::IsoUtc(std::chrono::system_clock::now()));
    data["leases"] = json::array();
    for (const auto& l : held->leases) data["leases"].push_back(LeaseJson(l));
    // Each push as the transaction list shows it, with what was sent back of it since.
    std::vector<int64_t> stk_ids;
    for (const auto& tx : held->transactions) stk_ids.push_back(tx.id);
    auto totals = ctx.store.LinkedTransferTotals(caller.agency_id, stk_ids);
    if (!totals) return {ErrorResponse(totals.error()), target};
    data["transactions"] = json::array();
    for (size_t i = 0; i < held->transactions.size(); ++i) {
        const auto& tx = held->transactions[i];
        json out = TransactionJson(tx, external_of(tx.lease_id));
        out["reversed"] = i < totals->size() && (*totals)[i].reversed;
        out["refunded"] = i < totals->size() ? (*totals)[i].refunded : 0;
        data["transactions"].push_back(std::move(out));
    }
    data["payments"] = json::array();
    for (const auto& p : held->payments) data["payments"].push_back(PaymentJson(p, external_of(p.lease_id)));
    data["transfers"] = json::array();
    for (const auto& t : held->transfers) data["transfers"].push_back(TransferJson(t));
    data["reviewItems"] = json::array();
    for (const auto& item : held->review_items) data["reviewItems"].push_back(ReviewJson(item));
    return {Ok(std::move(data)), target};
}

/// "ERASED-" + 8 hex digits: the same placeholder on every row of one erasure, so they still read together.
std::string NewPlaceholder() {
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    return fmt::format("ERASED-{:08x}", static_cast<uint32_t>(rng()));
}

Answered Erase(net::Request& req, const Caller& caller, ApiContext& ctx) {
    auto body = ParseJsonBody(req);
    if (!body) return {ErrorResponse(body.error())};
    Validator v;
    std::optional<std::string> raw;
    if (body->contains("phone") && (*body)["phone"].is_string()) raw = (*body)["phone"].get<std::string>();
    auto phone = v.Take(PhoneOf(raw, "phone"));
    auto reason = v.Take(core::RequireText(*body, "reason", 500));
    std::optional<std::string> confirm;
    if (body->contains("confirm") && (*body)["confirm"].is_string()) confirm = (*body)["confirm"].get<std::string>();
    if (phone) {
        // The number typed again: normalised, so 0712 345 678 confirms 254712345678.
        bool same = false;
        if (confirm) {
            auto confirmed = core::NormalizePhone(*confirm);
            same = confirmed && *confirmed == *phone;
        }
        if (!same) v.Add("confirm", "confirm must repeat the phone number being erased");
    }
    if (!v.ok()) return {ErrorResponse(v.Finish()), phone ? Masked(*phone) : "phone"};
    const std::string target = Masked(*phone);

    const std::string placeholder = NewPlaceholder();
    auto erased = ctx.store.ErasePersonalData(caller.agency_id, *phone, placeholder);
    if (!erased) return {ErrorResponse(erased.error()), target};
    const auto& n = *erased;
    json counts = {{"leases", n.leases},
                   {"transactions", n.transactions},
                   {"payments", n.payments},
                   {"transfers", n.transfers},
                   {"events", n.events},
                   {"inboundBodies", n.inbound_bodies},
                   {"idempotencyAnswers", n.idempotency_answers},
                   {"reviewItems", n.review_items}};
    json data = {{"placeholder", placeholder},
                 {"erasedAt", Instant(core::IsoUtc(std::chrono::system_clock::now()))},
                 {"counts", counts}};
    // The audit row keeps the reason and the counts; the number only masked.
    std::string detail = target + " as " + placeholder;
    for (const auto& [kind, count] : counts.items()) detail += " " + kind + "=" + count.dump();
    detail += " reason: " + core::MaskPhonesIn(*reason);
    return {Ok(std::move(data)), detail};
}

}  // namespace

void RegisterPrivacyRoutes(net::Router& router, ApiContext& ctx) {
    router.Add("GET", "/api/v1/privacy/export",
               AdminAudited(ctx, "privacy.export",
                            [&ctx](net::Request& req, const Caller& c) { return Export(req, c, ctx); }));
    router.Add("POST", "/api/v1/privacy/erase",
               Accepts(kJsonBody, AdminAudited(ctx, "privacy.erase", [&ctx](net::Request& req, const Caller& c) {
                           return Erase(req, c, ctx);
                       })));
}

}  // namespace haven::api
