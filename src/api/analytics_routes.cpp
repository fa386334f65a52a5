// The analytics dashboard's data (docs/analytics.md), for any signed-in user of the agency, always its own agency:
//   GET /api/v1/analytics/collections?period=day|month  payments per Nairobi day (30) or month (12), STK vs paybill
//   GET /api/v1/analytics/stk?period=day|month          STK pushes: success rate and why the failed ones failed
//   GET /api/v1/analytics/transfers?period=day|month    B2C transfers and reversals by type and status
//   GET /api/v1/analytics/arrears?limit=1..50           the largest arrears of this month's rent roll
// and GET /vendor/chart.js, the charting library the page draws with (see ServeChartJs).
#include <charconv>
#include <fstream>
#include <sstream>

#include "api/dto.hpp"
#include "api/guard.hpp"
#include "api/respond.hpp"
#include "api/routes.hpp"
#include "api/validator.hpp"
#include "service/analytics.hpp"
#include "service/lease_changes.hpp"

namespace haven::api {

using nlohmann::json;

namespace {

constexpr int64_t kDefaultArrears = 10;
constexpr int64_t kMaxArrears = 50;

core::Result<service::AnalyticsPeriod> ReadPeriod(const net::Request& req) {
    auto raw = req.Query("period");
    if (!raw || raw->empty()) return service::AnalyticsPeriod::kDay;
    if (auto period = service::ParseAnalyticsPeriod(*raw)) return *period;
    return core::Fail(core::Error::Validation("period", "period must be day or month"));
}

json Envelope(service::AnalyticsPeriod period, const std::string& today, json buckets, json totals) {
    return {{"period", std::string(service::ToString(period))},
            {"today", today},
            {"buckets", std::move(buckets)},
            {"totals", std::move(totals)}};
}

json BucketHead(const service::AnalyticsBucket& b) {
    return {{"label", b.label}, {"from", Instant(b.span.from)}, {"to", Instant(b.span.to)}};
}

json CountAmount(int64_t count, int64_t amount) { return {{"count", count}, {"amount", amount}}; }

json CollectionJson(const storage::Store::CollectionSums& s) {
    return {{"stk", CountAmount(s.stk_count, s.stk_amount)},
            {"c2b", CountAmount(s.c2b_count, s.c2b_amount)},
            {"total", CountAmount(s.stk_count + s.c2b_count, s.stk_amount + s.c2b_amount)}};
}

json StkJson(const storage::Store::StkOutcomeCounts& c) {
    const auto rate = service::StkSuccessRate(c);
    const int64_t known = c.cancelled + c.timed_out + c.insufficient_funds + c.wrong_pin;
    return {{"pushes", c.pending + c.succeeded + c.failed},
            {"pending", c.pending},
            {"succeeded", c.succeeded},
            {"failed", c.failed},
            {"successRate", rate ? json(*rate) : json(nullptr)},
            {"failures",
             {{"cancelled", c.cancelled},
              {"timeout", c.timed_out},
              {"insufficientFunds", c.insufficient_funds},
              {"wrongPin", c.wrong_pin},
              {"other", c.failed - known}}}};
}

json TransferGroups(const std::vector<storage::Store::TransferSums>& sums) {
    json out = json::array();
    for (const auto& s : sums) {
        out.push_back(
            {{"kind", s.kind}, {"type", s.type}, {"status", s.status}, {"count", s.count}, {"amount", s.amount}});
    }
    return out;
}

net::Response Collections(const net::Request& req, const Caller& caller, ApiContext& ctx) {
    auto period = ReadPeriod(req);
    if (!period) return ErrorResponse(period.error());
    const std::string today = service::NairobiToday();
    auto series = service::CollectionSeries(ctx.store, caller.agency_id, *period, today);
    if (!series) return ErrorResponse(series.error());
    json buckets = json::array();
    storage::Store::CollectionSums total;
    for (size_t i = 0; i < series->buckets.size(); ++i) {
        const auto& v = series->values[i];
        json b = BucketHead(series->buckets[i]);
        b.update(CollectionJson(v));
        buckets.push_back(std::move(b));
        total.stk_count += v.stk_count;
        total.stk_amount += v.stk_amount;
        total.c2b_count += v.c2b_count;
        total.c2b_amount += v.c2b_amount;
    }
    return Ok(Envelope(*period, today, std::move(buckets), CollectionJson(total)));
}

net::Response Stk(const net::Request& req, const Caller& caller, ApiContext& ctx) {
    auto period = ReadPeriod(req);
    if (!period) return ErrorResponse(period.error());
    const std::string today = service::NairobiToday();
    auto series = service::StkSeries(ctx.store, caller.agency_id, *period, today);
    if (!series) return ErrorResponse(series.error());
    json buckets = json::array();
    storage::Store::StkOutcomeCounts total;
    for (size_t i = 0; i < series->buckets.size(); ++i) {
        const auto& v = series->values[i];
        json b = BucketHead(series->buckets[i]);
        b.update(StkJson(v));
        buckets.push_back(std::move(b));
        total.pending += v.pending;
        total.succeeded += v.succeeded;
        total.failed += v.failed;
        total.cancelled += v.cancelled;
        total.timed_out += v.timed_out;
        total.insufficient_funds += v.insufficient_funds;
        total.wrong_pin += v.wrong_pin;
    }
    return Ok(Envelope(*period, today, std::move(buckets), StkJson(total)));
}

net::Response Transfers(const net::Request& req, const Caller& caller, ApiContext& ctx) {
    auto period = ReadPeriod(req);
    if (!period) return ErrorResponse(period.error());
    const std::string today = service::NairobiToday();
    auto series = service::TransferSeries(ctx.store, caller.agency_id, *period, today);
    if (!series) return ErrorResponse(series.error());
    json buckets = json::array();
    std::map<std::tuple<std::string, std::string, std::string>, storage::Store::TransferSums> total;
    for (size_t i = 0; i < series->buckets.size(); ++i) {
        const auto& groups = series->values[i];
        json b = BucketHead(series->buckets[i]);
        b["groups"] = TransferGroups(groups);
        buckets.push_back(std::move(b));
        for (const auto& g : groups) {
            auto& t = total[{g.kind, g.type, g.status}];
            t.kind = g.kind;
            t.type = g.type;
            t.status = g.status;
            t.count += g.count;
            t.amount += g.amount;
        }
    }
    std::vector<storage::Store::TransferSums> totals;
    for (auto& [key, t] : total) totals.push_back(std::move(t));
    return Ok(Envelope(*period, today, std::move(buckets), json{{"groups", TransferGroups(totals)}}));
}

net::Response Arrears(const net::Request& req, const Caller& caller, ApiContext& ctx) {
    int64_t limit = kDefaultArrears;
    if (auto raw = req.Query("limit"); raw && !raw->empty()) {
        const auto [end, ec] = std::from_chars(raw->data(), raw->data() + raw->size(), limit);
        if (ec != std::errc() || end != raw->data() + raw->size() || limit < 1 || limit > kMaxArrears) {
            return ErrorResponse(core::Error::Validation("limit", "limit must be a whole number from 1 to 50"));
        }
    }
    const std::string today = service::NairobiToday();
    auto top = service::TopArrearsOf(ctx.store, caller.agency_id, today, static_cast<size_t>(limit));
    if (!top) return ErrorResponse(top.error());
    json items = json::array();
    for (const auto& row : top->roll.rows) {
        items.push_back({{"leaseId", row.lease.id},
                         {"tenantName", row.lease.tenant_name},
                         {"unit", row.lease.unit},
                         {"accountReference", row.lease.account_reference},
                         {"dueDate", row.line.due_date},
                         {"broughtForward", row.line.brought_forward},
                         {"due", row.line.due},
                         {"paid", row.line.paid},
                         {"balance", row.line.balance},
                         {"status", std::string(core::ToString(row.line.status))},
                         {"late", row.line.late}});
    }
    return Ok(json{{"month", core::ToString(top->roll.month)},
                   {"today", top->roll.today},
                   {"leasesInArrears", top->leases_in_arrears},
                   {"totalArrears", top->roll.totals.arrears},
                   {"items", std::move(items)}});
}

// The charting library, Chart.js from Debian's libjs-chart.js (a run-time dependency in scripts/install-deps.sh),
// served from the gateway's own origin so the page's CSP (script-src 'self') holds and no CDN is involved. Read
// from the package's path rather than copied into web/: the package's security updates reach the page without a
// rebuild, `make run` and a deployed binary find it at the same path, and web/ holds only our own files (the static
// file server refuses links out of web/, so a symlink there would not do). The file is read once, on the first
// request (a worker thread), and kept in memory (200 KB).
constexpr const char* kChartJsPath = "/usr/share/javascript/chart.js/chart.min.js";

net::Response ServeChartJs() {
    static const std::optional<std::string> script = []() -> std::optional<std::string> {
        std::ifstream in(kChartJsPath, std::ios::binary);
        if (!in) return std::nullopt;
        std::ostringstream data;
        data << in.rdbuf();
        return data.str();
    }();
    if (!script) {
        return ErrorResponse(core::ErrorCode::kNotFound,
                             "chart.js is not installed on the server (Debian package libjs-chart.js)");
    }
    net::Response res = net::Response::Text(200, *script, "text/javascript; charset=utf-8");
    res.headers["Cache-Control"] = "public, max-age=3600";
    return res;
}

}  // namespace

void RegisterAnalyticsRoutes(net::Router& router, ApiContext& ctx) {
    auto route = [&](const char* path, net::Response (*fn)(const net::Request&, const Caller&, ApiContext&)) {
        router.Add("GET", path,
                   Authed(ctx, kSignedIn, [&ctx, fn](net::Request& req, const Caller& c) { return fn(req, c, ctx); }));
    };
    route("/api/v1/analytics/collections", Collections);
    route("/api/v1/analytics/stk", Stk);
    route("/api/v1/analytics/transfers", Transfers);
    route("/api/v1/analytics/arrears", Arrears);
    router.Add("GET", "/vendor/chart.js", [](net::Request&) { return ServeChartJs(); });
}

}  // namespace haven::api
