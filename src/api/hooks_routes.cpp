// C2B registration and settings (REFERENCE §9.1): GET/PATCH /api/v1/c2b/settings and POST /api/v1/c2b/register.
// The URLs Daraja is given are the neutral /hooks/daraja/<secret>/c2b/... ones (daraja_inbound.hpp); every answer
// shows them with the secret masked.
#include <spdlog/spdlog.h>

#include "api/accepts.hpp"
#include "api/answer_later.hpp"
#include "api/dto.hpp"
#include "api/guard.hpp"
#include "api/respond.hpp"
#include "api/routes.hpp"
#include "api/validator.hpp"
#include "core/daraja_url.hpp"
#include "service/c2b_register.hpp"

namespace haven::api {

using core::ErrorCode;
using core::Role;
using nlohmann::json;

namespace {

const Guard kAdmins{{Role::kAdmin}, "only an agency admin may do this"};

service::C2bRegisterDeps DepsFor(ApiContext& ctx) {
    return {ctx.store,
            ctx.daraja,
            ctx.settings.public_base_url,
            ctx.settings.callback_secret,
            ctx.settings.shortcode,
            ctx.settings.c2b_defaults};
}

/// Registration goes out on the agency's own account (its Daraja app and token) when it has one.
core::Result<service::C2bRegisterDeps> DepsFor(ApiContext& ctx, int64_t agency_id) {
    auto client = ctx.DarajaFor(agency_id);
    if (!client) return core::Fail(client.error());
    service::C2bRegisterDeps deps{ctx.store,
                                  **client,
                                  ctx.settings.public_base_url,
                                  ctx.settings.callback_secret,
                                  ctx.settings.shortcode,
                                  ctx.settings.c2b_defaults,
                                  *client};
    return deps;
}

json LastRegistration(const storage::C2bSettings& s) {
    if (s.registered_at.empty()) return nullptr;
    json urls = json::parse(s.registered_urls, nullptr, false);
    if (!urls.is_object()) urls = json::object();
    auto text = [&](const char* key) { return urls.contains(key) ? urls[key] : json(nullptr); };
    return {{"registeredAt", Instant(s.registered_at)},
            {"shortcode", text("shortcode")},
            {"version", text("version")},
            {"responseType", text("responseType")},
            {"confirmationUrl", text("confirmation")},
            {"validationUrl", text("validation")}};
}

json SettingsJson(const ApiContext& ctx, const storage::C2bSettings& s, const std::string& shortcode) {
    const auto urls = service::C2bUrlsFor(ctx.settings.public_base_url, ctx.settings.callback_secret);
    auto word = core::FindForbiddenUrlWord(urls.confirmation);
    return {{"version", s.version},
            {"responseType", s.response_type},
            {"validation", s.validation},
            {"rejectUnknown", s.reject_unknown},
            {"shortcode", shortcode},
            {"confirmationUrl", urls.shown_confirmation},
            {"validationUrl", urls.shown_validation},
            {"forbiddenWord", word ? json(std::string(*word)) : json(nullptr)},
            {"lastRegistration", LastRegistration(s)}};
}

net::Response GetSettings(const Caller& caller, ApiContext& ctx) {
    auto target = service::C2bTargetFor(DepsFor(ctx), caller.agency_id);
    if (!target) return ErrorResponse(target.error());
    return Ok(SettingsJson(ctx, target->settings, target->shortcode));
}

net::Response PatchSettings(net::Request& req, const Caller& caller, ApiContext& ctx) {
    auto body = ParseJsonBody(req);
    if (!body) return ErrorResponse(body.error());
    auto target = service::C2bTargetFor(DepsFor(ctx), caller.agency_id);
    if (!target) return ErrorResponse(target.error());
    const storage::C2bSettings before = target->settings;
    storage::C2bSettings after = before;
    Validator v;
    for (const auto& item : body->items()) {
        const std::string& name = item.key();
        if (name != "version" && name != "responseType" && name != "validation" && name != "rejectUnknown") {
            v.Add(name, "unknown field: the settings are version, responseType, validation, rejectUnknown");
        }
    }
    if (body->contains("version")) {
        const json& value = (*body)["version"];
        if (value.is_number_integer() && (value.get<int64_t>() == 1 || value.get<int64_t>() == 2)) {
            after.version = static_cast<int>(value.get<int64_t>());
        } else {
            v.Add("version", "version must be 1 or 2 (the C2B API product of your Daraja app)");
        }
    }
    if (body->contains("responseType")) {
        const json& value = (*body)["responseType"];
        if (value.is_string() && (value == "Completed" || value == "Cancelled")) {
            after.response_type = value.get<std::string>();
        } else {
            v.Add("responseType", "responseType must be Completed or Cancelled");
        }
    }
    for (auto [name, flag] :
         {std::pair{"validation", &after.validation}, std::pair{"rejectUnknown", &after.reject_unknown}}) {
        if (!body->contains(name)) continue;
        const json& value = (*body)[name];
        if (value.is_boolean()) {
            *flag = value.get<bool>();
        } else {
            v.Add(name, std::string(name) + " must be true or false");
        }
    }
    if (!v.ok()) return ErrorResponse(v.Finish());
    auto saved = ctx.store.UpdateC2bSettings(caller.agency_id, after, caller.email);
    if (!saved) return ErrorResponse(saved.error());
    auto plain = [](const storage::C2bSettings& s) {
        return json{{"version", s.version},
                    {"responseType", s.response_type},
                    {"validation", s.validation},
                    {"rejectUnknown", s.reject_unknown}};
    };
    Audit(ctx, req, caller, "c2b.settings", "agency:" + std::to_string(caller.agency_id), "success",
          {{"before", plain(before)}, {"after", plain(*saved)}});
    return Ok(SettingsJson(ctx, *saved, target->shortcode));
}

json RegistrationJson(const service::C2bRegistration& r) {
    return {{"shortcode", r.shortcode},
            {"version", r.version},
            {"responseType", r.response_type},
            {"confirmationUrl", r.confirmation_url},
            {"validationUrl", r.validation_url},
            {"registeredAt", Instant(r.registered_at)},
            {"responseDescription", r.response_description}};
}

void Register(const Caller& caller, ApiContext& ctx, net::Reply reply) {
    auto deps = DepsFor(ctx, caller.agency_id);
    if (!deps) return reply(ErrorResponse(deps.error()));
    service::RegisterC2bAsync(*deps, caller.agency_id, caller.email,
                              [reply = std::move(reply)](core::Result<service::C2bRegistration> out) {
                                  if (!out) return reply(ErrorResponse(out.error()));
                                  reply(Ok(RegistrationJson(*out)));
                              });
}

}  // namespace

void RegisterHooksRoutes(net::Router& router, ApiContext& ctx) {
    router.Add("GET", "/api/v1/c2b/settings",
               Authed(ctx, kSignedIn, [&ctx](net::Request&, const Caller& c) { return GetSettings(c, ctx); }));
    // Audited inside the handler: the row carries the settings before and after.
    router.Add("PATCH", "/api/v1/c2b/settings",
               Accepts(kJsonBody, Authed(ctx, kAdmins, [&ctx](net::Request& req, const Caller& c) {
                           return PatchSettings(req, c, ctx);
                       })));
    // Takes no body; waits on Daraja like the other calls to it (bounded by DARAJA_MAX_IN_FLIGHT).
    router.AddAsync(
        "POST", "/api/v1/c2b/register",
        CallsDaraja(ctx, Audited(ctx, "c2b.register",
                                 AuthedAsync(ctx, kAdmins, [&ctx](net::Request&, const Caller& c, net::Reply reply) {
                                     Register(c, ctx, std::move(reply));
                                 }))));
}

}  // namespace haven::api
