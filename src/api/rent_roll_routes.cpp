// The rent roll: GET /api/v1/rent-roll?month=YYYY-MM (staff; default the current Nairobi month) with filters status
// (paid|partial|unpaid|overpaid), late=true|false and q (tenant, unit or account reference, any case); format=csv
// or Accept: text/csv for a CSV export of the same rows. The totals always cover every lease of the month; the
// filters choose only the rows shown. Rules: core/rent_roll.hpp and docs/rent-roll.md.
#include <algorithm>
#include <cctype>
#include <string_view>

#include "api/csv.hpp"
#include "api/dto.hpp"
#include "api/guard.hpp"
#include "api/respond.hpp"
#include "api/routes.hpp"
#include "api/validator.hpp"
#include "service/lease_changes.hpp"
#include "service/rent_roll.hpp"

namespace haven::api {

using nlohmann::json;

namespace {

struct RentRollQuery {
    core::YearMonth month;
    std::optional<core::RentStatus> status;
    std::optional<bool> late;
    std::string q;  // lower case; "" matches every row
};

std::string Lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

core::Result<RentRollQuery> ReadQuery(const net::Request& req, std::string_view today) {
    RentRollQuery out;
    Validator v;
    out.month = *core::MonthOfDay(today);
    if (auto raw = req.Query("month"); raw && !raw->empty()) {
        if (auto month = core::ParseYearMonth(*raw)) {
            out.month = *month;
        } else {
            v.Add("month", "month must be a month like 2026-11");
        }
    }
    if (auto raw = req.Query("status"); raw && !raw->empty()) {
        out.status = core::ParseRentStatus(*raw);
        if (!out.status) v.Add("status", "status must be paid, partial, unpaid or overpaid");
    }
    if (auto raw = req.Query("late"); raw && !raw->empty()) {
        if (*raw == "true" || *raw == "false") {
            out.late = *raw == "true";
        } else {
            v.Add("late", "late must be true or false");
        }
    }
    if (auto raw = req.Query("q")) {
        if (raw->size() > 100) v.Add("q", "q must be at most 100 characters");
        out.q = Lower(*raw);
    }
    if (!v.ok()) return core::Fail(v.Finish());
    return out;
}

bool Shown(const service::RentRollRow& row, const RentRollQuery& query) {
    if (query.status && row.line.status != *query.status) return false;
    if (query.late && row.line.late != *query.late) return false;
    if (query.q.empty()) return true;
    for (const std::string* text : {&row.lease.tenant_name, &row.lease.unit, &row.lease.account_reference}) {
        if (Lower(*text).find(query.q) != std::string::npos) return true;
    }
    return false;
}

json RowJson(const service::RentRollRow& row) {
    const core::Lease& l = row.lease;
    json last = nullptr;
    if (!row.last_paid_at.empty()) {
        last = {{"paidAt", Instant(row.last_paid_at)}, {"amount", row.last_amount}, {"source", row.last_source}};
    }
    return {{"leaseId", l.id},
            {"tenantName", l.tenant_name},
            {"unit", l.unit},
            {"accountReference", l.account_reference},
            {"externalId", l.external_id.empty() ? json(nullptr) : json(l.external_id)},
            {"leaseStatus", l.Ended() ? "ended" : "active"},
            {"monthlyRent", l.monthly_rent},
            {"dueDay", l.due_day},
            {"dueDate", row.line.due_date},
            {"broughtForward", row.line.brought_forward},
            {"due", row.line.due},
            {"paid", row.line.paid},
            {"balance", row.line.balance},
            {"status", std::string(core::ToString(row.line.status))},
            {"late", row.line.late},
            {"lastPayment", std::move(last)}};
}

json TotalsJson(const service::RentRollTotals& t) {
    json counts = json::object();
    for (const auto& [status, n] : t.by_status) counts[std::string(core::ToString(status))] = n;
    return {{"leases", t.leases},   {"broughtForward", t.brought_forward},
            {"due", t.due},         {"paid", t.paid},
            {"arrears", t.arrears}, {"credit", t.credit},
            {"late", t.late},       {"byStatus", std::move(counts)}};
}

void AppendCsvRow(std::string& out, const service::RentRollRow& row) {
    const json r = RowJson(row);
    const json& last = r["lastPayment"];
    const std::string cells[] = {std::to_string(row.lease.id),
                                 CsvCell(row.lease.tenant_name),
                                 CsvCell(row.lease.unit),
                                 CsvCell(row.lease.account_reference),
                                 CsvCell(row.lease.external_id),
                                 std::to_string(row.lease.monthly_rent),
                                 row.line.due_date,
                                 std::to_string(row.line.brought_forward),
                                 std::to_string(row.line.due),
                                 std::to_string(row.line.paid),
                                 std::to_string(row.line.balance),
                                 std::string(core::ToString(row.line.status)),
                                 row.line.late ? "true" : "false",
                                 last.is_null() ? "" : last["paidAt"].get<std::string>(),
                                 last.is_null() ? "" : std::to_string(row.last_amount),
                                 last.is_null() ? "" : row.last_source};
    bool first = true;
    for (const auto& c : cells) {
        if (!first) out += ',';
        out += c;
        first = false;
    }
    out += "\r\n";
}

bool WantsCsv(const net::Request& req) {
    if (auto format = req.Query("format")) return *format == "csv";
    auto accept = req.Header("Accept");
    return accept && accept->find("text/csv") != std::string::npos;
}

net::Response Get(net::Request& req, const Caller& caller, ApiContext& ctx) {
    if (auto format = req.Query("format"); format && *format != "csv" && *format != "json") {
        return ErrorResponse(core::Error::Validation("format", "format must be json or csv"));
    }
    const std::string today = service::NairobiToday();
    auto query = ReadQuery(req, today);
    if (!query) return ErrorResponse(query.error());
    auto roll = service::BuildRentRoll(ctx.store, caller.agency_id, query->month, today);
    if (!roll) return ErrorResponse(roll.error());
    if (WantsCsv(req)) {
        std::string out =
            "leaseId,tenantName,unit,accountReference,externalId,monthlyRent,dueDate,broughtForward,due,paid,balance,"
            "status,late,lastPaymentAt,lastPaymentAmount,lastPaymentSource\r\n";
        for (const auto& row : roll->rows) {
            if (Shown(row, *query)) AppendCsvRow(out, row);
        }
        net::Response res = net::Response::Text(200, std::move(out), "text/csv; charset=utf-8");
        res.headers["Content-Disposition"] =
            "attachment; filename=\"rent-roll-" + core::ToString(query->month) + ".csv\"";
        return res;
    }
    json items = json::array();
    for (const auto& row : roll->rows) {
        if (Shown(row, *query)) items.push_back(RowJson(row));
    }
    return Ok(json{{"month", core::ToString(roll->month)},
                   {"today", roll->today},
                   {"totals", TotalsJson(roll->totals)},
                   {"items", std::move(items)}});
}

}  // namespace

void RegisterRentRollRoutes(net::Router& router, ApiContext& ctx) {
    router.Add("GET", "/api/v1/rent-roll",
               Authed(ctx, kStaff, [&ctx](net::Request& req, const Caller& c) { return Get(req, c, ctx); }));
}

}  // namespace haven::api
