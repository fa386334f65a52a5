// API keys for server-to-server calls (admins): POST /api/v1/api-keys {name, role} answers the key once;
// GET /api/v1/api-keys lists them (never the key); DELETE /api/v1/api-keys/{id} revokes one.
// PATCH /api/v1/agency {externalId}: the agency's id in Haven, which Haven's JWTs name (service/haven_jwt.hpp).
#include <algorithm>
#include <cctype>
#include <optional>

#include "api/accepts.hpp"
#include "api/dto.hpp"
#include "api/guard.hpp"
#include "api/respond.hpp"
#include "api/routes.hpp"
#include "core/state.hpp"
#include "core/text.hpp"
#include "service/api_keys.hpp"

namespace haven::api {

using core::ErrorCode;
using core::Role;
using nlohmann::json;

namespace {

const Guard kAdmins{{Role::kAdmin}, "only an agency admin manages API keys and the agency's settings"};

json NullIfEmpty(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }

json ApiKeyJson(const storage::ApiKey& k) {
    return {{"id", k.id},
            {"name", k.name},
            {"role", std::string(core::ToString(k.role))},
            {"prefix", k.prefix},
            {"createdAt", Instant(k.created_at)},
            {"createdBy", k.created_by},
            {"lastUsedAt", Instant(k.last_used_at)},
            {"revokedAt", Instant(k.revoked_at)}};
}

/// Keys are managed by people: a key cannot mint or revoke keys.
std::optional<net::Response> PeopleOnly(const Caller& caller) {
    if (caller.user_id != 0) return std::nullopt;
    return ErrorResponse(ErrorCode::kForbidden, "API keys are managed by a signed-in admin, not by a key or a token");
}

net::Response Create(net::Request& req, const Caller& caller, ApiContext& ctx) {
    if (auto refused = PeopleOnly(caller)) return *refused;
    auto body = ParseJsonBody(req);
    if (!body) return ErrorResponse(body.error());
    auto name = core::RequireText(*body, "name", 100);
    if (!name) return ErrorResponse(name.error());
    auto role_text = core::RequireText(*body, "role", 20);
    if (!role_text) return ErrorResponse(role_text.error());
    auto role = core::ParseRole(*role_text);
    if (!role) return ErrorResponse(core::Error::Validation("role", "role must be admin, manager or viewer"));
    const service::NewApiKey made = service::GenerateApiKey();
    storage::ApiKey row;
    row.agency_id = caller.agency_id;
    row.name = *name;
    row.role = *role;
    row.key_hash = made.hash;
    row.prefix = made.prefix;
    row.created_by = caller.email;
    auto saved = ctx.store.InsertApiKey(row);
    if (!saved) return ErrorResponse(saved.error());
    json out = ApiKeyJson(*saved);
    out["key"] = made.key;  // the only time it is shown
    return Ok(std::move(out), 201);
}

net::Response List(const Caller& caller, ApiContext& ctx) {
    auto keys = ctx.store.ListApiKeys(caller.agency_id);
    if (!keys) return ErrorResponse(keys.error());
    json items = json::array();
    for (const auto& k : *keys) items.push_back(ApiKeyJson(k));
    return Ok({{"items", std::move(items)}});
}

net::Response Revoke(net::Request& req, const Caller& caller, ApiContext& ctx) {
    if (auto refused = PeopleOnly(caller)) return *refused;
    auto id = core::ParseId(req.Param("id"));
    if (!id) return ErrorResponse(ErrorCode::kNotFound, "no API key with this id");
    auto revoked = ctx.store.RevokeApiKey(caller.agency_id, *id);
    if (!revoked) {
        if (revoked.error().code == ErrorCode::kNotFound) {
            return ErrorResponse(ErrorCode::kNotFound, "no API key with this id");
        }
        return ErrorResponse(revoked.error());
    }
    return Ok(ApiKeyJson(*revoked));
}

/// Haven's agency ids are MongoDB ObjectIds today; any short id of letters, digits, '-' and '_' is accepted.
bool ValidExternalId(const std::string& id) {
    if (id.empty() || id.size() > 64) return false;
    return std::all_of(id.begin(), id.end(), [](unsigned char c) { return std::isalnum(c) || c == '-' || c == '_'; });
}

net::Response PatchAgency(net::Request& req, const Caller& caller, ApiContext& ctx) {
    auto body = ParseJsonBody(req);
    if (!body) return ErrorResponse(body.error());
    if (!body->is_object() || !body->contains("externalId")) {
        return ErrorResponse(core::Error::Validation("externalId", "send externalId (Haven's id for this agency)"));
    }
    const json& value = (*body)["externalId"];
    std::string external_id;
    if (!value.is_null()) {
        if (!value.is_string() || !ValidExternalId(value.get<std::string>())) {
            return ErrorResponse(core::Error::Validation(
                "externalId", "externalId must be 1 to 64 letters, digits, '-' or '_' (or null to clear it)"));
        }
        external_id = value.get<std::string>();
    }
    auto agency = ctx.store.SetAgencyExternalId(caller.agency_id, external_id);
    if (!agency) return ErrorResponse(agency.error());
    return Ok({{"id", agency->id}, {"name", agency->name}, {"externalId", NullIfEmpty(agency->external_id)}});
}

}  // namespace

void RegisterApiKeyRoutes(net::Router& router, ApiContext& ctx) {
    router.Add("POST", "/api/v1/api-keys",
               Accepts(kJsonBody,
                       Audited(ctx, "apikey.create", Authed(ctx, kAdmins, [&ctx](net::Request& req, const Caller& c) {
                                   return Create(req, c, ctx);
                               }))));
    router.Add("GET", "/api/v1/api-keys",
               Authed(ctx, kAdmins, [&ctx](net::Request&, const Caller& c) { return List(c, ctx); }));
    router.Add("DELETE", "/api/v1/api-keys/{id}",
               Audited(ctx, "apikey.revoke", Authed(ctx, kAdmins, [&ctx](net::Request& req, const Caller& c) {
                           return Revoke(req, c, ctx);
                       })));
    router.Add("PATCH", "/api/v1/agency",
               Accepts(kJsonBody,
                       Audited(ctx, "agency.update", Authed(ctx, kAdmins, [&ctx](net::Request& req, const Caller& c) {
                                   return PatchAgency(req, c, ctx);
                               }))));
}

}  // namespace haven::api
