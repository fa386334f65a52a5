// Simulator mode only: the virtual phone's view of the built-in simulator's control API, proxied
// through the gateway so the browser stays on one origin (CSP connect-src 'self').
// GET /api/v1/simulator/stk/pending, POST /api/v1/simulator/stk/{checkoutRequestId}/resolve
#include "api/respond.hpp"
#include "api/routes.hpp"

namespace haven::api {

using core::ErrorCode;
using nlohmann::json;

namespace {

net::Response Forward(net::Request& req, ApiContext& ctx, const std::string& method, const std::string& path,
                      const std::string& body) {
    auto claims = Authenticate(req, ctx);
    if (!claims) return ErrorResponse(claims.error());
    if (ctx.settings.simulator_url.empty()) {
        return ErrorResponse(ErrorCode::kNotFound, "the virtual phone exists only when MPESA_ENVIRONMENT=simulator");
    }
    net::ClientRequest out;
    out.method = method;
    out.url = ctx.settings.simulator_url + path;
    out.body = body;
    if (!body.empty()) out.headers["Content-Type"] = "application/json";
    out.timeout = std::chrono::milliseconds(5000);
    auto res = ctx.http.Send(out);
    if (!res) return ErrorResponse(res.error());
    json parsed = json::parse(res->body, nullptr, false);
    if (res->status >= 400) {
        std::string message = parsed.is_object() ? parsed.value("errorMessage", parsed.value("message", "")) : "";
        return ErrorResponse(res->status == 404 ? ErrorCode::kNotFound : ErrorCode::kValidation,
                             message.empty() ? "the simulator refused: HTTP " + std::to_string(res->status) : message);
    }
    return Ok(parsed.is_discarded() ? json(nullptr) : parsed);
}

bool SafeId(const std::string& id) {
    if (id.empty() || id.size() > 64) return false;
    for (unsigned char c : id) {
        if (!std::isalnum(c) && c != '_' && c != '-') return false;
    }
    return true;
}

}  // namespace

void RegisterSimulatorRoutes(net::Router& router, ApiContext& ctx) {
    router.Add("GET", "/api/v1/simulator/stk/pending",
               [&ctx](net::Request& req) { return Forward(req, ctx, "GET", "/sim/v1/stk/pending", ""); });
    router.Add("POST", "/api/v1/simulator/stk/{checkoutRequestId}/resolve", [&ctx](net::Request& req) {
        const std::string id = req.Param("checkoutRequestId");
        if (!SafeId(id)) return ErrorResponse(ErrorCode::kNotFound, "no pending prompt with this id");
        auto body = ParseJsonBody(req);
        if (!body) return ErrorResponse(body.error());
        return Forward(req, ctx, "POST", "/sim/v1/stk/" + id + "/resolve", body->dump());
    });
}

}  // namespace haven::api
