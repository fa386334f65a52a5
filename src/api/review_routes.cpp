// Needs review: GET /api/v1/review (?status=open|resolved|all, transactionId, cursor, limit),
// POST /api/v1/review/{id}/resolve {"resolution": "what was done"}
#include "api/dto.hpp"
#include "api/guard.hpp"
#include "api/respond.hpp"
#include "api/routes.hpp"
#include "api/validator.hpp"
#include "core/text.hpp"

namespace haven::api {

using core::ErrorCode;
using core::Role;
using nlohmann::json;

namespace {

/// Items tied to no agency (a Daraja body for an id nobody has) are shown to admins only.
bool SeesUnassigned(const Caller& claims) { return claims.role == Role::kAdmin; }

net::Response List(net::Request& req, const Caller& caller, ApiContext& ctx) {
    storage::ReviewFilter filter{
        .agency_id = caller.agency_id, .include_unassigned = SeesUnassigned(caller), .status = "open"};
    Validator v;
    if (auto raw = req.Query("status")) {
        if (*raw == "all")
            filter.status.reset();
        else if (*raw == "open" || *raw == "resolved")
            filter.status = *raw;
        else
            v.Add("status", "status must be open, resolved or all");
    }
    if (auto raw = req.Query("transactionId")) {
        filter.transaction_id = core::ParseId(*raw);
        if (!filter.transaction_id) v.Add("transactionId", "transactionId must be a positive integer");
    }
    ReadPaging(req, v, filter.limit, filter.before_id);
    if (!v.ok()) return ErrorResponse(v.Finish());
    auto items = ctx.store.ListReview(filter);
    if (!items) return ErrorResponse(items.error());
    auto open = ctx.store.CountOpenReview(filter.agency_id, filter.include_unassigned);
    if (!open) return ErrorResponse(open.error());
    json list = json::array();
    for (const auto& item : *items) list.push_back(ReviewJson(item));
    json data = json::object();
    data["openCount"] = *open;
    data["nextCursor"] =
        static_cast<int>(items->size()) == filter.limit ? json(std::to_string(items->back().id)) : json(nullptr);
    data["items"] = std::move(list);
    return Ok(std::move(data));
}

net::Response Resolve(net::Request& req, const Caller& caller, ApiContext& ctx) {
    auto id = core::ParseId(req.Param("id"));
    if (!id) return ErrorResponse(ErrorCode::kNotFound, "no review item with this id");
    auto body = ParseJsonBody(req);
    if (!body) return ErrorResponse(body.error());
    auto resolution = core::RequireText(*body, "resolution", 500);
    if (!resolution) {
        return ErrorResponse(core::Error::Validation(
            "resolution", "resolution is required: say what was done (e.g. \"confirmed on the M-Pesa statement\")"));
    }
    auto resolved = ctx.store.ResolveReview(caller.agency_id, SeesUnassigned(caller), *id, *resolution, caller.email);
    if (!resolved) {
        if (resolved.error().code == ErrorCode::kNotFound) {
            return ErrorResponse(ErrorCode::kNotFound, "no review item with this id");
        }
        return ErrorResponse(resolved.error());
    }
    return Ok(ReviewJson(*resolved));
}

}  // namespace

void RegisterReviewRoutes(net::Router& router, ApiContext& ctx) {
    router.Add("GET", "/api/v1/review",
               Authed(ctx, kSignedIn, [&ctx](net::Request& req, const Caller& c) { return List(req, c, ctx); }));
    router.Add("POST", "/api/v1/review/{id}/resolve",
               Audited(ctx, "review.resolve", Authed(ctx, kStaff, [&ctx](net::Request& req, const Caller& c) {
                           return Resolve(req, c, ctx);
                       })));
}

}  // namespace haven::api
