// GET /api/v1/mpesa/transactions (filters + cursor paging), GET /api/v1/mpesa/transactions/{id} (with timeline)
#include <algorithm>

#include "api/b2c.hpp"
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

/// The STK JSON plus what happened to the money since: "reversed" and "refunded" (non-failed refunds).
json StkJson(ApiContext& ctx, const core::StkTransaction& tx) {
    json out = TransactionJson(tx);
    bool reversed = false;
    int64_t refunded = 0;
    if (tx.status == core::TxStatus::kSuccess) {
        auto linked = ctx.store.ListTransfersForOriginal(tx.agency_id, tx.id);
        if (linked) {
            for (const auto& t : *linked) {
                if (t.kind == "reversal" && t.status == core::TxStatus::kSuccess) reversed = true;
                if (t.kind == "b2c" && t.status != core::TxStatus::kFailed) refunded += t.amount;
            }
        }
    }
    out["reversed"] = reversed;
    out["refunded"] = refunded;
    return out;
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
    std::optional<std::string> kind;
    if (auto raw = req.Query("kind")) {
        if (*raw == "stk" || *raw == "b2c" || *raw == "reversal") kind = *raw;
        else v.Add("kind", "kind must be stk, b2c or reversal");
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
    // Every kind shares one id space, so merging newest-first by id keeps the cursor exact.
    std::vector<std::pair<int64_t, json>> rows;
    if (!kind || *kind == "stk") {
        auto stk = ctx.store.ListStk(filter);
        if (!stk) return ErrorResponse(stk.error());
        for (const auto& tx : *stk) rows.emplace_back(tx.id, StkJson(ctx, tx));
    }
    if ((!kind || *kind != "stk") && !filter.lease_id) {
        storage::TransferFilter tf;
        tf.agency_id = filter.agency_id;
        tf.kind = kind;
        tf.status = filter.status;
        tf.phone_number = filter.phone_number;
        tf.from = filter.from;
        tf.to = filter.to;
        tf.before_id = filter.before_id;
        tf.limit = filter.limit;
        auto transfers = ctx.store.ListTransfers(tf);
        if (!transfers) return ErrorResponse(transfers.error());
        for (const auto& t : *transfers) rows.emplace_back(t.id, TransferJson(t));
    }
    std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    if (static_cast<int>(rows.size()) > filter.limit) rows.resize(filter.limit);
    json items = json::array();
    for (auto& [id, item] : rows) items.push_back(std::move(item));
    json next = nullptr;
    if (static_cast<int>(rows.size()) == filter.limit) next = std::to_string(rows.back().first);
    return Ok({{"items", items}, {"nextCursor", next}});
}

net::Response Detail(net::Request& req, ApiContext& ctx) {
    auto claims = Authenticate(req, ctx);
    if (!claims) return ErrorResponse(claims.error());
    auto id = core::ParseId(req.Param("id"));
    if (!id) return ErrorResponse(ErrorCode::kNotFound, "no transaction with this id");
    auto kind = ctx.store.FindTransactionKind(claims->agency_id, *id);
    if (!kind) {
        if (kind.error().code == ErrorCode::kNotFound) return ErrorResponse(ErrorCode::kNotFound, "no transaction with this id");
        return ErrorResponse(kind.error());
    }
    json out;
    core::Result<std::vector<core::TxEvent>> events;
    if (*kind == "stk") {
        auto tx = ctx.store.FindStk(claims->agency_id, *id);
        if (!tx) return ErrorResponse(tx.error());
        out = StkJson(ctx, *tx);
        events = ctx.store.ListStkEvents(tx->id);
    } else {
        auto t = ctx.store.FindTransfer(claims->agency_id, *id);
        if (!t) return ErrorResponse(t.error());
        out = TransferJson(*t);
        events = ctx.store.ListTransferEvents(t->id);
    }
    if (!events) return ErrorResponse(events.error());
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
