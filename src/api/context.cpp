#include "api/context.hpp"

#include <spdlog/spdlog.h>

#include "api/answer_later.hpp"
#include "api/daraja_inbound.hpp"
#include "api/guard.hpp"

namespace haven::api {

std::string ApiContext::CallbackUrlWithSecret() const { return DarajaHookUrl(*this, "callback"); }

core::Result<std::shared_ptr<daraja::DarajaClient>> ApiContext::DarajaFor(int64_t agency_id) const {
    // Not owned: the global client lives as long as the context.
    std::shared_ptr<daraja::DarajaClient> global(std::shared_ptr<void>(), &daraja);
    if (!account_client) return global;
    auto account = service::AccountFor(store, accounts, agency_id);
    if (!account) return tl::unexpected(account.error());
    if (!account->own) return global;
    return account_client(*account);
}

core::Result<service::StkDeps> ApiContext::StkDepsFor(int64_t agency_id) const {
    auto client = DarajaFor(agency_id);
    if (!client) return tl::unexpected(client.error());
    return service::StkDeps{store, **client, CallbackUrlWithSecret(), *client};
}

void Audit(const ApiContext& ctx, const net::Request& req, const std::optional<service::Claims>& claims,
           const std::string& action, const std::string& target, const std::string& outcome,
           const nlohmann::json& detail) {
    core::AuditEntry entry;
    if (claims) {
        entry.agency_id = claims->agency_id;
        if (claims->user_id != 0) entry.actor_user_id = claims->user_id;  // 0: an API key or a Haven token
        entry.actor = claims->email;
    } else {
        entry.actor = "anonymous";
    }
    entry.action = action;
    entry.target = target;
    entry.request_id = req.request_id;
    entry.outcome = outcome;
    if (!detail.is_null()) entry.detail = detail.dump();
    auto r = ctx.store.InsertAudit(entry);
    if (!r) spdlog::error("audit log write failed: {}", r.error().message);
}

namespace {

/// The one audit row of an answered write (see Audited).
void AuditAnswer(const ApiContext& ctx, const net::Request& req, const std::string& action, const net::Response& res) {
    auto claims = Authenticate(req, ctx);
    std::string target = action.substr(0, action.find('.'));
    for (const auto& [name, value] : req.params) {
        if (name != "token" && name != "secret") target += ":" + value;  // a pay-link token, Daraja's secret
    }
    if (req.params.empty()) {
        auto body = nlohmann::json::parse(res.body, nullptr, false);
        if (body.is_object() && body.contains("data") && body["data"].is_object()) {
            const auto& data = body["data"];
            if (data.contains("transactionId"))
                target += ":" + data["transactionId"].dump();
            else if (data.contains("id"))
                target += ":" + data["id"].dump();
        }
    }
    std::string outcome = "success";
    if (res.status == 401 || res.status == 403) {
        outcome = "denied";
    } else if (res.status >= 300) {
        auto body = nlohmann::json::parse(res.body, nullptr, false);
        std::string code = body.is_object() && body.contains("error") && body["error"].is_object()
                               ? body["error"].value("code", "")
                               : "";
        outcome = "error: " + (code.empty() ? std::to_string(res.status) : code);
    }
    Audit(ctx, req, claims ? std::optional<service::Claims>(*claims) : std::nullopt, action, target, outcome);
}

}  // namespace

net::Handler Audited(const ApiContext& ctx, std::string action, net::Handler handler) {
    return [&ctx, action = std::move(action), handler = std::move(handler)](net::Request& req) {
        net::Response res = handler(req);
        AuditAnswer(ctx, req, action, res);
        return res;
    };
}

net::Handler AuditedRefusals(const ApiContext& ctx, std::string action, net::Handler handler) {
    return [&ctx, action = std::move(action), handler = std::move(handler)](net::Request& req) {
        net::Response res = handler(req);
        if (res.status >= 300) AuditAnswer(ctx, req, action, res);
        return res;
    };
}

net::AsyncHandler Audited(const ApiContext& ctx, std::string action, net::AsyncHandler handler) {
    return [&ctx, action = std::move(action), handler = std::move(handler)](net::Request& req, net::Reply reply) {
        // `req` outlives the reply (net/http.hpp), so the audit step may read it when the answer comes.
        handler(req, Before(std::move(reply),
                            [&ctx, &req, action](net::Response& res) { AuditAnswer(ctx, req, action, res); }));
    };
}

service::Actor ActorFrom(const service::Claims& claims, const net::Request& req) {
    // Rows' user_id references users: API-key and Haven callers have none.
    return service::Actor{claims.agency_id, claims.user_id != 0 ? std::optional<int64_t>(claims.user_id) : std::nullopt,
                          claims.email, req.request_id};
}

}  // namespace haven::api
