#pragma once
// What every handler needs, wired once by app/. Handlers run on the worker pool, so they may call the store;
// routes that wait on Daraja are AsyncHandlers (answer_later.hpp) and never hold a thread while Daraja answers.
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "api/api_key_usage.hpp"
#include "core/error.hpp"
#include "core/models.hpp"
#include "daraja/client.hpp"
#include "daraja/in_flight.hpp"
#include "metrics/registry.hpp"
#include "net/http.hpp"
#include "net/http_client.hpp"
#include "net/runtime.hpp"
#include "service/accounts.hpp"
#include "service/auth.hpp"
#include "service/hash_gate.hpp"
#include "service/haven_jwt.hpp"
#include "service/login_throttle.hpp"
#include "service/sessions.hpp"
#include "service/stk_service.hpp"
#include "storage/store.hpp"

namespace haven::api {

struct ApiSettings {
    std::string environment;  // simulator | sandbox | production
    std::string shortcode;
    std::string jwt_secret;
    int64_t jwt_ttl_seconds = 900;           // JWT_TTL: access tokens
    int64_t refresh_ttl_seconds = 43200;     // REFRESH_TOKEN_TTL: refresh token chains
    std::string callback_url;                // MPESA_CALLBACK_URL, without the secret
    std::string callback_secret;             // in every Daraja URL (/hooks/daraja/<secret>/...), checked on each call
    std::string public_base_url;             // PUBLIC_BASE_URL: where Daraja reaches us (api::DarajaHookUrl)
    storage::C2bSettings c2b_defaults;       // MPESA_C2B_VERSION, ...: an agency without its own C2B settings
    std::string till_number;                 // MPESA_TILL_NUMBER: the global account's till (C2B routing)
    std::string simulator_url;               // control API of the built-in simulator ("" outside simulator mode)
    int64_t idempotency_claim_seconds = 60;  // an unfinished Idempotency-Key claim runs out after this
    int64_t invite_ttl_seconds = 72 * 3600;  // an invite or password-reset link works this long
    bool webhooks_allow_private = false;     // WEBHOOKS_ALLOW_PRIVATE: webhook URLs may name private addresses
};

struct ApiContext {
    storage::Store& store;
    daraja::DarajaClient& daraja;
    net::HttpClient& http;
    ApiSettings settings;
    service::HashGate& hash_gate;            // every password hash or check goes through it
    service::LoginThrottle& login_throttle;  // failed logins per (account, address) and per address
    daraja::InFlightLimit& daraja_limit;     // DARAJA_MAX_IN_FLIGHT: routes waiting on Daraja (CallsDaraja)
    // Non-user callers (api/guard.cpp): the per-key rate limit and last-used writes, and Haven's JWTs (null: off).
    ApiKeyUsage* api_key_usage = nullptr;
    std::shared_ptr<const service::HavenJwtVerifier> haven_jwt;
    // Each agency its own paybill (issue 12): the key its secrets are sealed with, and the client of an agency's
    // own account (one per account, built by app/ with its own token cache). Null: every agency uses `daraja`.
    service::AccountGlobals accounts;
    std::function<core::Result<std::shared_ptr<daraja::DarajaClient>>(const service::ResolvedAccount&)> account_client;
    net::Runtime* runtime = nullptr;  // timers for answers with a deadline (C2B validation); null in some tests
    // haven_daraja_callback_lag_seconds{api}: a push's row written -> its callback applied (null: not measured).
    metrics::HistogramFamily* callback_lag = nullptr;

    /// The STK CallBackURL handed to Daraja: DarajaHookUrl(*this, "callback") (secret included).
    std::string CallbackUrlWithSecret() const;
    /// The global MPESA_* account's deps (callbacks, and code that acts for no agency in particular).
    service::StkDeps StkDeps() const { return {store, daraja, CallbackUrlWithSecret()}; }
    /// The Daraja client of the agency's account: its own when it has one, else the global one (`daraja`).
    core::Result<std::shared_ptr<daraja::DarajaClient>> DarajaFor(int64_t agency_id) const;
    /// StkDeps() with the agency's client.
    core::Result<service::StkDeps> StkDepsFor(int64_t agency_id) const;
    service::LoginDeps LoginDeps() const {
        return {store,
                hash_gate,
                login_throttle,
                settings.jwt_secret,
                settings.jwt_ttl_seconds,
                settings.refresh_ttl_seconds};
    }
    service::SessionSettings SessionSettings() const {
        return {settings.jwt_secret, settings.jwt_ttl_seconds, settings.refresh_ttl_seconds};
    }
};

/// Writes an audit row; failures are logged, never thrown.
void Audit(const ApiContext& ctx, const net::Request& req, const std::optional<service::Claims>& claims,
           const std::string& action, const std::string& target, const std::string& outcome,
           const nlohmann::json& detail = nullptr);

/// Wraps an authenticated write: after the handler answers, one audit row records who (from the
/// bearer token, "anonymous" without one), the action, the target (path id or the created id) and
/// the outcome derived from the status ("success", "denied", "error: <CODE>").
net::Handler Audited(const ApiContext& ctx, std::string action, net::Handler handler);
/// The same for a route that answers later: the audit row is written when the answer is given.
net::AsyncHandler Audited(const ApiContext& ctx, std::string action, net::AsyncHandler handler);

/// Audited for a route whose handler writes its own success row (with a detail, in the same transaction as the
/// change it records): only refusals and failures (status >= 300) are recorded here.
net::Handler AuditedRefusals(const ApiContext& ctx, std::string action, net::Handler handler);

/// The audit actor of a caller: a user's email, "api-key:<name>" or "haven:<subject>".
service::Actor ActorFrom(const service::Claims& claims, const net::Request& req);

}  // namespace haven::api
