// Each agency its own paybill (issue 12), for the agency's admins:
//   GET    /api/v1/agency/mpesa-account  the account the agency's requests go out on (secrets: only whether set)
//   PUT    /api/v1/agency/mpesa-account  stores the agency's own account; a secret left out keeps the stored one
//   DELETE /api/v1/agency/mpesa-account  back to the global MPESA_* account
// Changes are audited as mpesa_account.update with the numbers and the names of the secrets changed, never a secret.
#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "api/accepts.hpp"
#include "api/dto.hpp"
#include "api/guard.hpp"
#include "api/respond.hpp"
#include "api/routes.hpp"
#include "api/validator.hpp"
#include "service/accounts.hpp"

namespace haven::api {

using core::ErrorCode;
using core::Role;
using nlohmann::json;

namespace {

const Guard kAdmins{{Role::kAdmin}, "only an agency admin may see or change the agency's M-Pesa account"};

constexpr const char* kSecrets[] = {"consumerKey", "consumerSecret", "passkey", "initiatorSecret"};

json Text(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }

/// Whether a secret is set, and for the consumer key and passkey their last 4 characters (enough to tell two
/// apart, never enough to use one). The others are passwords: only whether they are set.
json SecretState(const service::AccountGlobals& globals, const std::string& sealed, bool show_last4) {
    json out = {{"set", !sealed.empty()}};
    if (!show_last4) return out;
    out["last4"] = nullptr;
    if (!sealed.empty() && globals.box) {
        if (auto plain = globals.box->Open(sealed); plain && plain->size() >= 8) {
            out["last4"] = plain->substr(plain->size() - 4);
        }
    }
    return out;
}

json AccountJson(const ApiContext& ctx, const std::optional<storage::MpesaAccount>& a) {
    const bool own = a.has_value();
    const storage::MpesaAccount none;
    const storage::MpesaAccount& r = own ? *a : none;
    return {{"own", own},
            {"canStore", ctx.accounts.box.has_value()},
            {"shortcode", own ? json(r.shortcode) : json(ctx.settings.shortcode)},
            {"tillNumber", Text(r.till_number)},
            {"transactionType", own ? json(r.transaction_type) : json(nullptr)},
            {"b2cShortcode", Text(r.b2c_shortcode)},
            {"initiatorName", Text(r.initiator_name)},
            {"initiatorSecretKind", own ? json(r.initiator_secret_kind) : json(nullptr)},
            {"consumerKey", SecretState(ctx.accounts, r.consumer_key_sealed, true)},
            {"consumerSecret", SecretState(ctx.accounts, r.consumer_secret_sealed, false)},
            {"passkey", SecretState(ctx.accounts, r.passkey_sealed, true)},
            {"initiatorSecret", SecretState(ctx.accounts, r.initiator_secret_sealed, false)},
            {"updatedAt", own ? Instant(r.updated_at) : json(nullptr)},
            {"updatedBy", Text(r.updated_by)}};
}

/// The audit detail: the numbers as stored and which secrets this request replaced. Never a secret.
json AuditDetail(const storage::MpesaAccount& a, const json& body) {
    json changed = json::array();
    for (const char* name : kSecrets) {
        if (body.contains(name) && !body[name].is_null()) changed.push_back(name);
    }
    return {{"shortcode", a.shortcode},
            {"tillNumber", Text(a.till_number)},
            {"transactionType", a.transaction_type},
            {"b2cShortcode", Text(a.b2c_shortcode)},
            {"initiatorName", Text(a.initiator_name)},
            {"secretsChanged", changed}};
}

net::Response Get(const Caller& caller, ApiContext& ctx) {
    auto found = ctx.store.FindMpesaAccount(caller.agency_id);
    if (!found && found.error().code != ErrorCode::kNotFound) return ErrorResponse(found.error());
    return Ok(AccountJson(ctx, found ? std::optional(*found) : std::nullopt));
}

net::Response Put(net::Request& req, const Caller& caller, ApiContext& ctx) {
    auto body = ParseJsonBody(req);
    if (!body) return ErrorResponse(body.error());
    Validator v;
    service::AccountUpdate u;
    static const std::vector<std::string> kFields = {
        "shortcode",           "tillNumber",  "transactionType", "b2cShortcode", "initiatorName",
        "initiatorSecretKind", "consumerKey", "consumerSecret",  "passkey",      "initiatorSecret"};
    for (const auto& item : body->items()) {
        if (std::find(kFields.begin(), kFields.end(), item.key()) == kFields.end()) {
            v.Add(item.key(), "unknown field: " + item.key());
        } else if (!item.value().is_null() && !item.value().is_string()) {
            v.Add(item.key(), item.key() + " must be a string (or null)");
        }
    }
    if (!v.ok()) return ErrorResponse(v.Finish());
    auto text = [&](const char* name) -> std::string {
        return body->contains(name) && (*body)[name].is_string() ? (*body)[name].get<std::string>() : "";
    };
    auto secret = [&](const char* name) -> std::optional<std::string> {
        if (!body->contains(name) || (*body)[name].is_null()) return std::nullopt;
        return (*body)[name].get<std::string>();
    };
    u.shortcode = text("shortcode");
    u.till_number = text("tillNumber");
    if (auto t = text("transactionType"); !t.empty()) u.transaction_type = t;
    u.b2c_shortcode = text("b2cShortcode");
    u.initiator_name = text("initiatorName");
    if (auto k = text("initiatorSecretKind"); !k.empty()) u.initiator_secret_kind = k;
    u.consumer_key = secret("consumerKey");
    u.consumer_secret = secret("consumerSecret");
    u.passkey = secret("passkey");
    u.initiator_secret = secret("initiatorSecret");
    auto saved = service::SaveAccount(ctx.store, ctx.accounts, caller.agency_id, u, caller.email);
    if (!saved) return ErrorResponse(saved.error());
    Audit(ctx, req, caller, "mpesa_account.update", "agency:" + std::to_string(caller.agency_id), "success",
          AuditDetail(*saved, *body));
    return Ok(AccountJson(ctx, *saved));
}

net::Response Delete(net::Request& req, const Caller& caller, ApiContext& ctx) {
    auto cleared = ctx.store.ClearMpesaAccount(caller.agency_id, caller.email);
    if (!cleared) return ErrorResponse(cleared.error());
    if (*cleared) {
        Audit(ctx, req, caller, "mpesa_account.update", "agency:" + std::to_string(caller.agency_id), "success",
              {{"own", false}});
    }
    return Ok(AccountJson(ctx, std::nullopt));
}

}  // namespace

void RegisterAccountRoutes(net::Router& router, ApiContext& ctx) {
    router.Add("GET", "/api/v1/agency/mpesa-account",
               Authed(ctx, kAdmins, [&ctx](net::Request&, const Caller& c) { return Get(c, ctx); }));
    // Audited inside the handlers (the detail names what changed); refusals here.
    router.Add("PUT", "/api/v1/agency/mpesa-account",
               Accepts(kJsonBody, AuditedRefusals(ctx, "mpesa_account.update",
                                                  Authed(ctx, kAdmins, [&ctx](net::Request& req, const Caller& c) {
                                                      return Put(req, c, ctx);
                                                  }))));
    router.Add("DELETE", "/api/v1/agency/mpesa-account",
               AuditedRefusals(
                   ctx, "mpesa_account.update",
                   Authed(ctx, kAdmins, [&ctx](net::Request& req, const Caller& c) { return Delete(req, c, ctx); })));
}

}  // namespace haven::api
