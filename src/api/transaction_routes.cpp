// GET /api/v1/mpesa/transactions (filters + cursor paging), GET /api/v1/mpesa/transactions/{id} (with timeline)
#include "api/b2c.hpp"
#include "api/c2b.hpp"
#include "api/dto.hpp"
#include "api/guard.hpp"
#include "api/respond.hpp"
#include "api/routes.hpp"
#include "api/webhooks.hpp"
#include "core/text.hpp"
#include "service/leases.hpp"
#include "service/transactions.hpp"

namespace haven::api {

using core::ErrorCode;
using nlohmann::json;

namespace {

/// The STK JSON plus what happened to the money since: "reversed" and "refunded" (non-failed refunds).
json StkJson(const service::StkRow& row, const std::string& lease_external_id) {
    json out = TransactionJson(row.transaction, lease_external_id);
    out["reversed"] = row.totals.reversed;
    out["refunded"] = row.totals.refunded;
    return out;
}

net::Response List(net::Request& req, const Caller& caller, ApiContext& ctx) {
    service::TransactionQuery query;
    query.agency_id = caller.agency_id;
    query.status = req.Query("status");
    query.kind = req.Query("kind");
    query.lease_id = req.Query("leaseId");
    query.phone_number = req.Query("phoneNumber");
    query.from = req.Query("from");
    query.to = req.Query("to");
    query.completed_from = req.Query("completedFrom");
    query.completed_to = req.Query("completedTo");
    query.needs_review = req.Query("needsReview");
    query.limit = req.Query("limit");
    query.cursor = req.Query("cursor");
    auto page = service::ListTransactions(ctx.store, query);
    if (!page) return ErrorResponse(page.error());
    json items = json::array();
    for (const auto& row : page->items) {
        if (const auto* stk = std::get_if<service::StkRow>(&row)) {
            auto external = stk->transaction.lease_id ? page->lease_external_ids.find(*stk->transaction.lease_id)
                                                      : page->lease_external_ids.end();
            items.push_back(StkJson(*stk, external == page->lease_external_ids.end() ? "" : external->second));
        } else if (const auto* c2b = std::get_if<storage::C2bPayment>(&row)) {
            json item = C2bJson(*c2b);
            auto external =
                c2b->lease_id ? page->lease_external_ids.find(*c2b->lease_id) : page->lease_external_ids.end();
            item["leaseExternalId"] =
                external == page->lease_external_ids.end() ? json(nullptr) : json(external->second);
            items.push_back(std::move(item));
        } else {
            items.push_back(TransferJson(std::get<storage::Transfer>(row)));
        }
    }
    // Moved in, not listed in a braced initializer: that would deep-copy the whole page once more.
    json data = json::object();
    data["items"] = std::move(items);
    data["nextCursor"] = page->next_cursor ? json(std::to_string(*page->next_cursor)) : json(nullptr);
    return Ok(std::move(data));
}

net::Response Detail(net::Request& req, const Caller& caller, ApiContext& ctx) {
    auto id = core::ParseId(req.Param("id"));
    if (!id) return ErrorResponse(ErrorCode::kNotFound, "no transaction with this id");
    auto kind = ctx.store.FindTransactionKind(caller.agency_id, *id);
    if (!kind) {
        if (kind.error().code == ErrorCode::kNotFound)
            return ErrorResponse(ErrorCode::kNotFound, "no transaction with this id");
        return ErrorResponse(kind.error());
    }
    auto object = TransactionObjectJson(ctx.store, caller.agency_id, *id, *kind);
    if (!object) return ErrorResponse(object.error());
    json out = std::move(*object);
    core::Result<std::vector<core::TxEvent>> events = std::vector<core::TxEvent>{};
    if (*kind == core::TxKind::kStk) {
        events = ctx.store.ListStkEvents(*id);
    } else if (*kind != core::TxKind::kC2b) {
        events = ctx.store.ListTransferEvents(*id);
    }
    if (!events) return ErrorResponse(events.error());
    json timeline = json::array();
    for (const auto& e : *events) {
        json payload = json::parse(e.payload, nullptr, false);
        timeline.push_back({{"kind", e.kind},
                            {"payload", payload.is_discarded() ? json(e.payload) : payload},
                            {"createdAt", Instant(e.created_at)}});
    }
    out["timeline"] = timeline;
    // Every review item about it, open or resolved, with what was done.
    auto reviews = ctx.store.ListReview({.agency_id = caller.agency_id, .transaction_id = *id, .limit = 200});
    if (!reviews) return ErrorResponse(reviews.error());
    json review = json::array();
    for (const auto& item : *reviews) review.push_back(ReviewJson(item));
    out["review"] = std::move(review);
    auto notifications = NotificationsJson(ctx.store, caller.agency_id, *id);
    if (!notifications) return ErrorResponse(notifications.error());
    out["notifications"] = std::move(*notifications);
    return Ok(std::move(out));
}

}  // namespace

core::Result<json> TransactionObjectJson(storage::Store& store, int64_t agency_id, int64_t id, core::TxKind kind) {
    if (kind == core::TxKind::kStk) {
        auto tx = store.FindStk(agency_id, id);
        if (!tx) return core::Fail(tx.error());
        auto rows = service::WithTotals(store, agency_id, {*tx});
        if (!rows) return core::Fail(rows.error());
        auto external = service::LeaseExternalId(store, agency_id, tx->lease_id);
        if (!external) return core::Fail(external.error());
        return StkJson(rows->front(), *external);
    }
    if (kind == core::TxKind::kC2b) {
        auto p = store.FindC2bPayment(agency_id, id);
        if (!p) return core::Fail(p.error());
        json out = C2bJson(*p);
        auto external = service::LeaseExternalId(store, agency_id, p->lease_id);
        if (!external) return core::Fail(external.error());
        out["leaseExternalId"] = external->empty() ? json(nullptr) : json(*external);
        return out;
    }
    auto t = store.FindTransfer(agency_id, id);
    if (!t) return core::Fail(t.error());
    return TransferJson(*t);
}

void RegisterTransactionRoutes(net::Router& router, ApiContext& ctx) {
    router.Add("GET", "/api/v1/mpesa/transactions",
               Authed(ctx, kSignedIn, [&ctx](net::Request& req, const Caller& c) { return List(req, c, ctx); }));
    router.Add("GET", "/api/v1/mpesa/transactions/{id}",
               Authed(ctx, kSignedIn, [&ctx](net::Request& req, const Caller& c) { return Detail(req, c, ctx); }));
}

}  // namespace haven::api
