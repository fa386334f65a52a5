#pragma once
// Route registration, one function per resource file. A newcomer finds where a request goes here.
#include "api/context.hpp"
#include "net/router.hpp"

namespace haven::api {

void RegisterAuthRoutes(net::Router& router, ApiContext& ctx);         // auth_routes.cpp
void RegisterLeaseRoutes(net::Router& router, ApiContext& ctx);        // lease_routes.cpp
void RegisterStkRoutes(net::Router& router, ApiContext& ctx);          // stk_routes.cpp
void RegisterTransactionRoutes(net::Router& router, ApiContext& ctx);  // transaction_routes.cpp
void RegisterPayRoutes(net::Router& router, ApiContext& ctx);          // pay_routes.cpp (tenant page)
void RegisterSimulatorRoutes(net::Router& router, ApiContext& ctx);    // simulator_routes.cpp
void RegisterB2cRoutes(net::Router& router, ApiContext& ctx);          // b2c_routes.cpp: B2C, reversal, status
void RegisterBalanceRoutes(net::Router& router, ApiContext& ctx);      // balance_routes.cpp
void RegisterMetaRoutes(net::Router& router, ApiContext& ctx);         // meta_routes.cpp: config, health, openapi
void RegisterReviewRoutes(net::Router& router, ApiContext& ctx);       // review_routes.cpp: needs review
void RegisterAuditRoutes(net::Router& router, ApiContext& ctx);        // audit_routes.cpp: reading the audit log
void RegisterPrivacyRoutes(net::Router& router, ApiContext& ctx);      // privacy_routes.cpp: export, erasure
void RegisterSessionRoutes(net::Router& router, ApiContext& ctx);      // session_routes.cpp: refresh, logout, 2FA
void RegisterApprovalRoutes(net::Router& router, ApiContext& ctx);     // approval_routes.cpp: settings, approvals
void RegisterApiKeyRoutes(net::Router& router, ApiContext& ctx);       // api_key_routes.cpp: API keys, agency id
void RegisterUserRoutes(net::Router& router, ApiContext& ctx);         // user_routes.cpp: users, invites, passwords
void RegisterHooksRoutes(net::Router& router, ApiContext& ctx);        // hooks_routes.cpp: C2B settings, register
void RegisterRentRollRoutes(net::Router& router, ApiContext& ctx);     // rent_roll_routes.cpp: the month's rent roll
void RegisterAccountRoutes(net::Router& router, ApiContext& ctx);      // account_routes.cpp: the agency's own paybill
void RegisterC2bRoutes(net::Router& router, ApiContext& ctx);    // c2b_routes.cpp: confirmation, validation, unmatched
void RegisterAuthRoutes(net::Router& router, ApiContext& ctx);   // auth_routes.cpp
void RegisterLeaseRoutes(net::Router& router, ApiContext& ctx);  // lease_routes.cpp
void RegisterStkRoutes(net::Router& router, ApiContext& ctx);    // stk_routes.cpp
void RegisterTransactionRoutes(net::Router& router, ApiContext& ctx);     // transaction_routes.cpp
void RegisterPayRoutes(net::Router& router, ApiContext& ctx);             // pay_routes.cpp (tenant page)
void RegisterSimulatorRoutes(net::Router& router, ApiContext& ctx);       // simulator_routes.cpp
void RegisterB2cRoutes(net::Router& router, ApiContext& ctx);             // b2c_routes.cpp: B2C, reversal, status
void RegisterBalanceRoutes(net::Router& router, ApiContext& ctx);         // balance_routes.cpp
void RegisterMetaRoutes(net::Router& router, ApiContext& ctx);            // meta_routes.cpp: config, health, openapi
void RegisterReviewRoutes(net::Router& router, ApiContext& ctx);          // review_routes.cpp: needs review
void RegisterAuditRoutes(net::Router& router, ApiContext& ctx);           // audit_routes.cpp: reading the audit log
void RegisterPrivacyRoutes(net::Router& router, ApiContext& ctx);         // privacy_routes.cpp: export, erasure
void RegisterSessionRoutes(net::Router& router, ApiContext& ctx);         // session_routes.cpp: refresh, logout, 2FA
void RegisterApprovalRoutes(net::Router& router, ApiContext& ctx);        // approval_routes.cpp: settings, approvals
void RegisterApiKeyRoutes(net::Router& router, ApiContext& ctx);          // api_key_routes.cpp: API keys, agency id
void RegisterUserRoutes(net::Router& router, ApiContext& ctx);            // user_routes.cpp: users, invites, passwords
void RegisterReconciliationRoutes(net::Router& router, ApiContext& ctx);  // reconciliation_routes.cpp: statements
void RegisterAnalyticsRoutes(net::Router& router, ApiContext& ctx);       // analytics_routes.cpp: dashboard series
void RegisterAlertRoutes(net::Router& router, ApiContext& ctx);           // alert_routes.cpp: open alerts (banner)
void RegisterWebhookRoutes(net::Router& router, ApiContext& ctx);         // webhook_routes.cpp: endpoints, messages

void RegisterHealthRoutes(net::Router& router, ApiContext& ctx);  // health_routes.cpp: /healthz, /readyz
/// The load balancer's probes: no login, no rate limit, no access-log line at info.
inline constexpr std::string_view kHealthzPath = "/healthz";
inline constexpr std::string_view kReadyzPath = "/readyz";

/// The largest statement upload POST /api/v1/reconciliations takes (100,000 rows are about 20 MB).
inline constexpr size_t kStatementUploadBytes = size_t{32} * 1024 * 1024;
/// The body limit of a route above the server's default, or 0 (the statement upload only).
size_t RouteBodyLimit(std::string_view method, std::string_view target);

/// Everything above.
void RegisterAllRoutes(net::Router& router, ApiContext& ctx);

/// The OpenAPI 3 document served at /api/v1/openapi.json (openapi.json next to this file, compiled in).
const nlohmann::json& OpenApiDocument();

}  // namespace haven::api
