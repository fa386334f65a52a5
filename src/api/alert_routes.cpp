// Alerts: GET /api/v1/alerts, the agency's open alerts (money that stopped flowing; workers/alerts) for the
// dashboard's banner. Each is a needs-review item too, so it is also resolved on the Needs review page.
#include "api/guard.hpp"
#include "api/respond.hpp"
#include "api/routes.hpp"

namespace haven::api {

using nlohmann::json;

namespace {

net::Response List(const Caller& caller, ApiContext& ctx) {
    auto items = ctx.store.LatestAlerts(caller.agency_id, true);
    if (!items) return ErrorResponse(items.error());
    json list = json::array();
    for (const auto& item : *items) {
        list.push_back({{"id", item.id},
                        {"code", item.reason_code.substr(std::string_view("alert_").size())},
                        {"message", item.reason},
                        {"openedAt", item.created_at}});
    }
    return Ok(std::move(list));
}

}  // namespace

void RegisterAlertRoutes(net::Router& router, ApiContext& ctx) {
    router.Add("GET", "/api/v1/alerts",
               Authed(ctx, kSignedIn, [&ctx](net::Request&, const Caller& c) { return List(c, ctx); }));
}

}  // namespace haven::api
