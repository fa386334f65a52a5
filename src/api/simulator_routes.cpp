// Simulator mode only: the virtual phone's view of the built-in simulator's control API, proxied
// through the gateway so the browser stays on one origin (CSP connect-src 'self').
// GET /api/v1/simulator/stk/pending, POST /api/v1/simulator/stk/{checkoutRequestId}/resolve,
// GET /api/v1/simulator/sms (the SMS the simulated Africa's Talking received: receipts on the virtual phone)
//
// Scoped like production: the simulator knows nothing of agencies, so the proxy shows and answers
// only the prompts whose CheckoutRequestID belongs to one of the caller's agency's STK transactions.
// Another agency's prompt is absent from the list and a 404 to resolve; viewers read but do not act.
#include <set>

#include "api/accepts.hpp"
#include "api/guard.hpp"
#include "api/respond.hpp"
#include "api/routes.hpp"

namespace haven::api {

using core::ErrorCode;
using core::Role;
using nlohmann::json;

namespace {

constexpr const char* kNoPrompt = "no pending prompt with this id";

core::Result<json> Forward(ApiContext& ctx, const std::string& method, const std::string& path,
                           const std::string& body) {
    if (ctx.settings.simulator_url.empty()) {
        return core::Fail(ErrorCode::kNotFound, "the virtual phone exists only when MPESA_ENVIRONMENT=simulator");
    }
    net::ClientRequest out;
    out.method = method;
    out.url = ctx.settings.simulator_url + path;
    out.body = body;
    if (!body.empty()) out.headers["Content-Type"] = "application/json";
    out.timeout = std::chrono::milliseconds(5000);
    auto res = ctx.http.Send(out);
    if (!res) return core::Fail(res.error());
    json parsed = json::parse(res->body, nullptr, false);
    if (res->status >= 400) {
        std::string message = parsed.is_object() ? parsed.value("errorMessage", parsed.value("message", "")) : "";
        return core::Fail(res->status == 404 ? ErrorCode::kNotFound : ErrorCode::kValidation,
                          message.empty() ? "the simulator refused: HTTP " + std::to_string(res->status) : message);
    }
    return parsed.is_discarded() ? json(nullptr) : parsed;
}

bool SafeId(const std::string& id) {
    if (id.empty() || id.size() > 64) return false;
    for (unsigned char c : id) {
        if (!std::isalnum(c) && c != '_' && c != '-') return false;
    }
    return true;
}

/// Whether the prompt is one of this agency's STK pushes; a storage failure is an error, not a "no".
core::Result<bool> OwnPrompt(ApiContext& ctx, int64_t agency_id, const std::string& checkout_id) {
    auto tx = ctx.store.FindStkByCheckoutId(agency_id, checkout_id);
    if (tx) return true;
    if (tx.error().code == ErrorCode::kNotFound) return false;
    return core::Fail(tx.error());
}

net::Response Pending(const Caller& caller, ApiContext& ctx) {
    auto all = Forward(ctx, "GET", "/sim/v1/stk/pending", "");
    if (!all) return ErrorResponse(all.error());
    json prompts = json::array();
    if (all->is_object() && (*all)["prompts"].is_array()) {
        for (auto& prompt : (*all)["prompts"]) {
            if (!prompt.is_object() || !prompt["checkoutRequestId"].is_string()) continue;
            auto own = OwnPrompt(ctx, caller.agency_id, prompt["checkoutRequestId"].get<std::string>());
            if (!own) return ErrorResponse(own.error());
            // The phone number stays: it is the caller's own tenant's, and the virtual phone shows it.
            if (*own) prompts.push_back(std::move(prompt));
        }
    }
    return Ok({{"prompts", std::move(prompts)}});
}

net::Response Resolve(net::Request& req, const Caller& caller, ApiContext& ctx) {
    const std::string id = req.Param("checkoutRequestId");
    if (!SafeId(id)) return ErrorResponse(ErrorCode::kNotFound, kNoPrompt);
    auto body = ParseJsonBody(req);
    if (!body) return ErrorResponse(body.error());
    auto own = OwnPrompt(ctx, caller.agency_id, id);
    if (!own) return ErrorResponse(own.error());
    if (!*own) return ErrorResponse(ErrorCode::kNotFound, kNoPrompt);
    auto answer = Forward(ctx, "POST", "/sim/v1/stk/" + id + "/resolve", body->dump());
    if (!answer) return ErrorResponse(answer.error());
    return Ok(std::move(*answer));
}

/// The SMS the simulator received for the phone numbers of the caller's agency's leases (oldest first); another
/// agency's tenants' messages are left out, as its prompts are.
net::Response Sms(const Caller& caller, ApiContext& ctx) {
    auto leases = ctx.store.ListLeases(caller.agency_id);
    if (!leases) return ErrorResponse(leases.error());
    std::set<std::string> phones;
    for (const auto& lease : *leases) phones.insert(lease.phone_number);
    auto all = Forward(ctx, "GET", "/sim/v1/sms", "");
    if (!all) return ErrorResponse(all.error());
    json messages = json::array();
    if (all->is_object() && (*all)["messages"].is_array()) {
        for (auto& sms : (*all)["messages"]) {
            if (!sms.is_object() || !sms["phoneNumber"].is_string()) continue;
            if (phones.count(sms["phoneNumber"].get<std::string>()) == 0) continue;
            messages.push_back({{"messageId", sms.value("messageId", "")},
                                {"phoneNumber", sms["phoneNumber"]},
                                {"from", sms.value("from", "")},
                                {"message", sms.value("message", "")},
                                {"receivedAt", sms.value("receivedAt", "")}});
        }
    }
    return Ok({{"messages", std::move(messages)}});
}

}  // namespace

void RegisterSimulatorRoutes(net::Router& router, ApiContext& ctx) {
    router.Add("GET", "/api/v1/simulator/stk/pending",
               Authed(ctx, kSignedIn, [&ctx](net::Request&, const Caller& caller) { return Pending(caller, ctx); }));
    router.Add("GET", "/api/v1/simulator/sms",
               Authed(ctx, kSignedIn, [&ctx](net::Request&, const Caller& caller) { return Sms(caller, ctx); }));
    const Guard answers_prompts{{Role::kAdmin, Role::kManager},
                                "a viewer may watch the virtual phone but not answer prompts"};
    router.Add("POST", "/api/v1/simulator/stk/{checkoutRequestId}/resolve",
               Accepts(kJsonBody, Authed(ctx, answers_prompts, [&ctx](net::Request& req, const Caller& caller) {
                           return Resolve(req, caller, ctx);
                       })));
}

}  // namespace haven::api
