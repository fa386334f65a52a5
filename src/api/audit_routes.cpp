// The audit log, read by the agency's admins: GET /api/v1/audit (filters actor, action (exact, or a prefix ending
// in "."), target, from/to, outcome; cursor paging; format=csv or Accept: text/csv for a CSV export).
// The log is append-only: no route changes or removes a row (and the database refuses to, migration 011).
#include <string_view>

#include "api/csv.hpp"
#include "api/dto.hpp"
#include "api/guard.hpp"
#include "api/respond.hpp"
#include "api/routes.hpp"
#include "api/validator.hpp"
#include "core/time.hpp"

namespace haven::api {

using nlohmann::json;
using Filter = storage::Store::AuditFilter;
using Record = storage::Store::AuditRecord;

namespace {

/// Rows one CSV export holds at most; a larger log is exported in parts (the Next-Cursor header says where the
/// next part starts).
constexpr int64_t kMaxCsvRows = 100000;

/// "2026-11-01" (a Nairobi day: from its start, or to its end) or an ISO-8601 instant -> the stored form.
void ReadBound(const net::Request& req, const char* name, bool end_of_day, Validator& v,
               std::optional<std::string>& out) {
    auto raw = req.Query(name);
    if (!raw) return;
    auto t = core::ParseIsoUtc(*raw);
    if (!t) {
        v.Add(name, std::string(name) + " must be a date (2026-11-01) or an ISO-8601 instant (2026-11-01T09:00:00Z)");
        return;
    }
    if (raw->size() == 10) {
        *t -= core::kEatOffset;  // 00:00 in Nairobi is 21:00 UTC the day before
        if (end_of_day) *t += std::chrono::hours(24);
    }
    out = core::IsoUtc(*t);
}

/// A text query parameter; blank means absent.
std::optional<std::string> Text(const net::Request& req, const char* name) {
    auto raw = req.Query(name);
    if (!raw || raw->empty()) return std::nullopt;
    return raw;
}

core::Result<Filter> ReadFilter(const net::Request& req, int64_t agency_id) {
    Filter f{.agency_id = agency_id};
    Validator v;
    f.actor = Text(req, "actor");
    if (auto action = Text(req, "action")) {
        // "lease." names every lease action; "lease.update" exactly that one.
        if (action->back() == '.')
            f.action_prefix = action;
        else
            f.action = action;
    }
    f.target = Text(req, "target");
    if (auto outcome = Text(req, "outcome")) {
        if (*outcome != "success" && *outcome != "denied" && *outcome != "error") {
            v.Add("outcome", "outcome must be success, denied or error");
        }
        f.outcome_prefix = outcome;
    }
    ReadBound(req, "from", false, v, f.from);
    ReadBound(req, "to", true, v, f.to);
    ReadPaging(req, v, f.limit, f.before_id);
    if (!v.ok()) return core::Fail(v.Finish());
    return f;
}

void AppendCsvRow(std::string& out, const Record& r) {
    const json row = AuditJson(r);
    const std::string cells[] = {
        std::to_string(r.id), row["at"].is_string() ? row["at"].get<std::string>() : "",
        r.entry.actor,        r.entry.actor_user_id ? std::to_string(*r.entry.actor_user_id) : "",
        r.entry.action,       r.entry.target,
        r.entry.outcome,      r.entry.request_id,
        r.entry.detail};
    bool first = true;
    for (const auto& c : cells) {
        if (!first) out += ',';
        out += CsvCell(c);
        first = false;
    }
    out += "\r\n";
}

bool WantsCsv(const net::Request& req) {
    if (auto format = req.Query("format")) return *format == "csv";
    auto accept = req.Header("Accept");
    return accept && accept->find("text/csv") != std::string::npos;
}

net::Response Csv(Filter filter, ApiContext& ctx) {
    std::string out = "id,at,actor,actorUserId,action,target,outcome,requestId,detail\r\n";
    filter.limit = static_cast<int>(kMaxPageLimit);
    int64_t written = 0;
    std::optional<int64_t> next;
    // Page by page (id descending), so the export never holds more than one page of rows besides its text.
    for (;;) {
        auto page = ctx.store.ListAudit(filter);
        if (!page) return ErrorResponse(page.error());
        for (const auto& r : *page) AppendCsvRow(out, r);
        written += static_cast<int64_t>(page->size());
        if (static_cast<int>(page->size()) < filter.limit) break;
        filter.before_id = page->back().id;
        if (written >= kMaxCsvRows) {
            next = filter.before_id;
            break;
        }
    }
    net::Response res = net::Response::Text(200, std::move(out), "text/csv; charset=utf-8");
    res.headers["Content-Disposition"] = "attachment; filename=\"audit.csv\"";
    if (next) res.headers["Next-Cursor"] = std::to_string(*next);
    return res;
}

net::Response List(net::Request& req, const Caller& caller, ApiContext& ctx) {
    auto filter = ReadFilter(req, caller.agency_id);
    if (!filter) return ErrorResponse(filter.error());
    if (WantsCsv(req)) return Csv(*filter, ctx);
    auto rows = ctx.store.ListAudit(*filter);
    if (!rows) return ErrorResponse(rows.error());
    json items = json::array();
    for (const auto& r : *rows) items.push_back(AuditJson(r));
    json data = json::object();
    data["items"] = std::move(items);
    data["nextCursor"] =
        static_cast<int>(rows->size()) == filter->limit ? json(std::to_string(rows->back().id)) : json(nullptr);
    return Ok(std::move(data));
}

}  // namespace

void RegisterAuditRoutes(net::Router& router, ApiContext& ctx) {
    const Guard admins{{core::Role::kAdmin}, "only an agency admin may read the audit log"};
    router.Add("GET", "/api/v1/audit",
               Authed(ctx, admins, [&ctx](net::Request& req, const Caller& c) { return List(req, c, ctx); }));
}

}  // namespace haven::api
