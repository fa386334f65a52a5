// GET /api/v1/mpesa/transactions (filters + cursor paging), GET /api/v1/mpesa/transactions/{id} (with timeline)
#include "api/dto.hpp"
#include "api/respond.hpp"
#include "api/routes.hpp"
#include "api/validator.hpp"
#include "core/phone.hpp"
#include "core/state.hpp"
#include "core/text.hpp"
#include "core/time.hpp"

namespace haven::api {

using core::ErrorCode;
using nlohmann::json;

namespace {

constexpr int kDefaultLimit = 50;
constexpr int kMaxLimit = 200;

/// "2026-11-01" or a full ISO-8601 time -> the store's "YYYY-MM-DDTHH:MM:SSZ" form.
std::optional<std::string> IsoBound(const std::string& raw, bool end_of_day) {
    auto t = core::ParseIsoUtc(raw);
    if (!t) return std::nullopt;
    if (end_of_day && raw.size() == 10) *t += std::chrono::hours(24);  // "to" a date includes that whole day
    return core::IsoUtc(*t);
}

net::Response List(net::Request& req, ApiContext& ctx) {
    auto claims = Authenticate(req, ctx);
    if (!claims) return ErrorResponse(claims.error());
    storage::StkFilter filter;
    filter.agency_id = claims->agency_id;
    filter.limit = kDefaultLimit;
    Validator v;
    if (auto raw = req.Query("status")) {
        filter.status = core::ParseTxStatus(*raw);
        if (!filter.status) v.Add("status", "status must be PENDING, SUCCESS or FAILED");
    }
    bool empty_kind = false;
    if (auto raw = req.Query("kind")) {
        if (*raw == "b2c" || *raw == "reversal") empty_kind = true;
        else if (*raw != "stk") v.Add("kind", "kind must be stk, b2c or reversal");
    }
    if (auto raw = req.Query("leaseId")) {
        filter.lease_id = core::ParseId(*raw);
        if (!filter.lease_id) v.Add("leaseId", "leaseId must be a positive integer");
    }
    if (auto raw = req.Query("phoneNumber")) {
        if (auto phone = v.Take(core::NormalizePhone(*raw))) filter.phone_number = *phone;
    }
    if (auto raw = req.Query("from")) {
        filter.from = IsoBound(*raw, false);
        if (!filter.from) v.Add("from", "from must be a date (2026-11-01) or an ISO-8601 time");
    }
    if (auto raw = req.Query("to")) {
        filter.to = IsoBound(*raw, true);
        if (!filter.to) v.Add("to", "to must be a date (2026-11-30) or an ISO-8601 time");
    }
    if (auto raw = req.Query("limit")) {
        auto n = core::ParseId(*raw);
        if (!n || *n > kMaxLimit) v.Add("limit", "limit must be between 1 and 200");
        else filter.limit = static_cast<int>(*n);
    }
    if (auto raw = req.Query("cursor")) {
        filter.before_id = core::ParseId(*raw);
        if (!filter.before_id) v.Add("cursor", "cursor must be the nextCursor of a previous page");
    }
    if (!v.ok()) return ErrorResponse(v.Finish());
    json items = json::array();
    json next = nullptr;
    if (!empty_kind) {
        auto rows = ctx.store.ListStk(filter);
        if (!rows) return ErrorResponse(rows.error());
        for (const auto& tx : *rows) items.push_back(TransactionJson(tx));
        if (static_cast<int>(rows->size()) == filter.limit) next = std::to_string(rows->back().id);
    }
    return Ok({{"items", items}, {"nextCursor", next}});
}

net::Response Detail(net::Request& req, ApiContext& ctx) {
    auto claims = Authenticate(req, ctx);
    if (!claims) return ErrorResponse(claims.error());
    auto id = core::ParseId(req.Param("id"));
    if (!id) return ErrorResponse(ErrorCode::kNotFound, "no transaction with this id");
    auto tx = ctx.store.FindStk(claims->agency_id, *id);
    if (!tx) {
        if (tx.error().code == ErrorCode::kNotFound) return ErrorResponse(ErrorCode::kNotFound, "no transaction with this id");
        return ErrorResponse(tx.error());
    }
    auto events = ctx.store.ListStkEvents(tx->id);
    if (!events) return ErrorResponse(events.error());
    json out = TransactionJson(*tx);
    json timeline = json::array();
    for (const auto& e : *events) {
        json payload = json::parse(e.payload, nullptr, false);
        timeline.push_back({{"kind", e.kind}, {"payload", payload.is_discarded() ? json(e.payload) : payload},
                            {"createdAt", e.created_at}});
    }
    out["timeline"] = timeline;
    return Ok(out);
}

}  // namespace

void RegisterTransactionRoutes(net::Router& router, ApiContext& ctx) {
    router.Add("GET", "/api/v1/mpesa/transactions", [&ctx](net::Request& req) { return List(req, ctx); });
    router.Add("GET", "/api/v1/mpesa/transactions/{id}", [&ctx](net::Request& req) { return Detail(req, ctx); });
}

}  // namespace haven::api
