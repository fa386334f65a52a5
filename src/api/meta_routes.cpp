// GET /api/v1/config, GET /api/v1/health, GET /api/v1/openapi.json
#include "api/respond.hpp"
#include "api/routes.hpp"

namespace haven::api {

extern const char* const kOpenApiJson;  // generated from openapi.json at build time

const nlohmann::json& OpenApiDocument() {
    static const nlohmann::json doc = nlohmann::json::parse(kOpenApiJson);
    return doc;
}

void RegisterMetaRoutes(net::Router& router, ApiContext& ctx) {
    router.Add("GET", "/api/v1/config", [&ctx](net::Request&) {
        return Ok({{"environment", ctx.settings.environment},
                   {"shortcode", ctx.settings.shortcode},
                   {"simulator", !ctx.settings.simulator_url.empty()}});
    });
    router.Add("GET", "/api/v1/health", [&ctx](net::Request&) {
        auto db = ctx.store.FindAgency(0);
        const bool db_ok = db || db.error().code == core::ErrorCode::kNotFound;
        if (!db_ok) return ErrorResponse(core::ErrorCode::kInternal, "database unreachable");
        return Ok({{"status", "ok"}, {"database", "ok"}});
    });
    router.Add("GET", "/api/v1/openapi.json",
               [](net::Request&) { return net::Response::Json(200, OpenApiDocument()); });
}

void RegisterAllRoutes(net::Router& router, ApiContext& ctx) {
    RegisterAuthRoutes(router, ctx);
    RegisterLeaseRoutes(router, ctx);
    RegisterStkRoutes(router, ctx);
    RegisterTransactionRoutes(router, ctx);
    RegisterB2cRoutes(router, ctx);
    RegisterBalanceRoutes(router, ctx);
    RegisterPayRoutes(router, ctx);
    RegisterSimulatorRoutes(router, ctx);
    RegisterMetaRoutes(router, ctx);
    RegisterReviewRoutes(router, ctx);
    RegisterAuditRoutes(router, ctx);
    RegisterPrivacyRoutes(router, ctx);
    RegisterSessionRoutes(router, ctx);
    RegisterApprovalRoutes(router, ctx);
    RegisterApiKeyRoutes(router, ctx);
    RegisterRentRollRoutes(router, ctx);
    RegisterUserRoutes(router, ctx);
    RegisterHooksRoutes(router, ctx);
    RegisterAccountRoutes(router, ctx);
    RegisterC2bRoutes(router, ctx);
    RegisterReconciliationRoutes(router, ctx);
    RegisterAnalyticsRoutes(router, ctx);
    RegisterAlertRoutes(router, ctx);
    RegisterWebhookRoutes(router, ctx);
    RegisterHealthRoutes(router, ctx);
}

}  // namespace haven::api
