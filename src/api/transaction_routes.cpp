// GET /api/v1/mpesa/transactions (filters + cursor paging), GET /api/v1/mpesa/transactions/{id} (with timeline)
#include <algorithm>

#include "api/b2c.hpp"
#include "api/dto.hpp"
#include "api/respond.hpp"
#include "api/routes.hpp"
#include "api/validator.hpp"
#include "core/lease_key.hpp"
#include "core/phone.hpp"
#include "core/state.hpp"
#include "core/text.hpp"
#include "core/time.hpp"
#include "service/leases.hpp"

namespace haven::api {

using core::ErrorCode;
using nlohmann::json;

namespace {

constexpr int kDefaultLimit = 50;

/// "2026-11-01" or a full ISO-8601 time -> the store's "YYYY-MM-DDTHH:MM:SSZ" form. A bare date is a
/// Nairobi day (EAT, UTC+3), the business day of M-Pesa and of Kenyan rent.
std::optional<std::string> IsoBound(const std::string& raw, bool end_of_day) {
    auto t = core::ParseIsoUtc(raw);
    if (!t) return std::nullopt;
    if (raw.size() == 10) {
        *t -= std::chrono::hours(3);                     // 00:00 EAT is 21:00 UTC the day before
        if (end_of_day) *t += std::chrono::hours(24);    // "to" a date includes that whole day
    }
    return core::IsoUtc(*t);
}

/// The STK JSON plus what happened to the money since: "reversed" and "refunded" (non-failed refunds).
json StkJson(const core::StkTransaction& tx, const storage::TransferTotals& totals) {
    json out = TransactionJson(tx);
    out["reversed"] = totals.reversed;
    out["refunded"] = totals.refunded;
    return out;
}

/// The linked-transfer totals of every successful transaction of a page, in one store call
/// (only a successful payment can be refunded or reversed; the others have zero totals).
core::Result<std::vector<json>> StkPageJson(ApiContext& ctx, int64_t agency_id,
                                            const std::vector<core::StkTransaction>& page) {
    std::vector<int64_t> paid_ids;
    for (const auto& tx : page) {
        if (tx.status == core::TxStatus::kSuccess) paid_ids.push_back(tx.id);
    }
    std::vector<storage::TransferTotals> totals;
    if (!paid_ids.empty()) {
        auto linked = ctx.store.LinkedTransferTotals(agency_id, paid_ids);
        if (!linked) return core::Fail(linked.error());
        totals = std::move(*linked);
    }
    std::vector<json> out;
    out.reserve(page.size());
    size_t next = 0;  // totals follow paid_ids, which follow the page order
    for (const auto& tx : page) {
        storage::TransferTotals none{.original_id = tx.id};
        const bool paid = tx.status == core::TxStatus::kSuccess && next < totals.size();
        out.push_back(StkJson(tx, paid ? totals[next++] : none));
    }
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
    std::optional<core::TxKind> kind;
    if (auto raw = req.Query("kind")) {
        kind = core::ParseTxKind(*raw);
        if (!kind) v.Add("kind", "kind must be stk, b2c or reversal");
    }
    if (auto raw = req.Query("leaseId")) {
        if (auto key = v.Take(core::ParseLeaseKey(*raw))) {
            if (key->id) {
                filter.lease_id = key->id;
            } else {
                auto resolved = service::ResolveLease(ctx.store, claims->agency_id, *key);
                // An unknown external id is the caller's to fix; a database failure is ours (500).
                if (!resolved && resolved.error().code != core::ErrorCode::kValidation) {
                    return ErrorResponse(resolved.error());
                }
                filter.lease_id = v.Take(std::move(resolved));
            }
        }
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
    // "Completed today": completedFrom=2026-12-01&completedTo=2026-12-01 (Nairobi days, like from/to).
    if (auto raw = req.Query("completedFrom")) {
        filter.completed_from = IsoBound(*raw, false);
        if (!filter.completed_from) v.Add("completedFrom", "completedFrom must be a date (2026-11-01) or an ISO-8601 time");
    }
    if (auto raw = req.Query("completedTo")) {
        filter.completed_to = IsoBound(*raw, true);
        if (!filter.completed_to) v.Add("completedTo", "completedTo must be a date (2026-11-30) or an ISO-8601 time");
    }
    if (auto raw = req.Query("needsReview")) {
        if (*raw == "true") filter.needs_review = true;
        else if (*raw != "false") v.Add("needsReview", "needsReview must be true or false");
    }
    ReadPaging(req, v, filter.limit, filter.before_id);
    if (!v.ok()) return ErrorResponse(v.Finish());
    // Every kind shares one id space, so merging newest-first by id keeps the cursor exact.
    std::vector<std::pair<int64_t, json>> rows;
    if (!kind || *kind == core::TxKind::kStk) {
        auto stk = ctx.store.ListStk(filter);
        if (!stk) return ErrorResponse(stk.error());
        auto items = StkPageJson(ctx, filter.agency_id, *stk);
        if (!items) return ErrorResponse(items.error());
        for (size_t i = 0; i < stk->size(); ++i) rows.emplace_back((*stk)[i].id, std::move((*items)[i]));
    }
    if ((!kind || *kind != core::TxKind::kStk) && !filter.lease_id) {
        storage::TransferFilter tf;
        tf.agency_id = filter.agency_id;
        tf.kind = kind;
        tf.status = filter.status;
        tf.phone_number = filter.phone_number;
        tf.from = filter.from;
        tf.to = filter.to;
        tf.completed_from = filter.completed_from;
        tf.completed_to = filter.completed_to;
        tf.before_id = filter.before_id;
        tf.needs_review = filter.needs_review;
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
    // Moved in, not listed in a braced initializer: that would deep-copy the whole page once more.
    json data = json::object();
    data["items"] = std::move(items);
    data["nextCursor"] = std::move(next);
    return Ok(std::move(data));
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
    if (*kind == core::TxKind::kStk) {
        auto tx = ctx.store.FindStk(claims->agency_id, *id);
        if (!tx) return ErrorResponse(tx.error());
        auto items = StkPageJson(ctx, claims->agency_id, {*tx});
        if (!items) return ErrorResponse(items.error());
        out = std::move(items->front());
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
                            {"createdAt", Instant(e.created_at)}});
    }
    out["timeline"] = timeline;
    // Every review item about it, open or resolved, with what was done.
    auto reviews = ctx.store.ListReview({.agency_id = claims->agency_id, .transaction_id = *id, .limit = 200});
    if (!reviews) return ErrorResponse(reviews.error());
    json review = json::array();
    for (const auto& item : *reviews) review.push_back(ReviewJson(item));
    out["review"] = std::move(review);
    return Ok(std::move(out));
}

}  // namespace

void RegisterTransactionRoutes(net::Router& router, ApiContext& ctx) {
    router.Add("GET", "/api/v1/mpesa/transactions", [&ctx](net::Request& req) { return List(req, ctx); });
    router.Add("GET", "/api/v1/mpesa/transactions/{id}", [&ctx](net::Request& req) { return Detail(req, ctx); });
}

}  // namespace haven::api
