// GET /healthz (the process serves) and GET /readyz (this node can take requests: the database answers, takes
// writes and is migrated). A load balancer polls both every second or so: they need no login, skip the rate
// limit and are logged at debug only (app/gateway.cpp).
#include "api/respond.hpp"
#include "api/routes.hpp"

namespace haven::api {

void RegisterHealthRoutes(net::Router& router, ApiContext& ctx) {
    router.Add("GET", std::string(kHealthzPath), [](net::Request&) { return Ok({{"status", "alive"}}); });
    router.Add("GET", std::string(kReadyzPath), [&ctx](net::Request&) {
        auto ready = ctx.store.CheckReady();
        // kUnavailable answers 503 with Retry-After (net/error_response.cpp); whatever else went wrong is the same
        // to a load balancer: not ready.
        if (!ready) return ErrorResponse(core::ErrorCode::kUnavailable, ready.error().message);
        return Ok({{"status", "ready"}, {"database", *ready}});
    });
}

}  // namespace haven::api
