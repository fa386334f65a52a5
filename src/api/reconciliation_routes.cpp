// Reconciliation against the M-Pesa statement:
//   POST /api/v1/reconciliations                     text/csv, or multipart/form-data with a `file` part (staff)
//   GET  /api/v1/reconciliations                     the agency's imports with their summaries (cursor, limit)
//   GET  /api/v1/reconciliations/{id}                the report: the import and its findings (kind, status, cursor)
//   GET  /api/v1/reconciliations/{id}/report.csv     the findings as CSV
//   POST /api/v1/reconciliations/{id}/findings/{fid}/record   record a missing Pay Bill row as a C2B payment
// The upload route takes bodies up to kStatementUploadBytes (app/gateway.cpp raises the limit for it alone).
#include <algorithm>
#include <istream>
#include <streambuf>

#include "api/accepts.hpp"
#include "api/csv.hpp"
#include "api/guard.hpp"
#include "api/respond.hpp"
#include "api/routes.hpp"
#include "api/validator.hpp"
#include "core/text.hpp"
#include "net/media_type.hpp"
#include "net/multipart.hpp"
#include "service/reconciliation.hpp"

namespace haven::api {

using core::ErrorCode;
using nlohmann::json;
using Import = storage::Store::ReconciliationImport;
using Finding = storage::Store::ReconciliationFinding;

namespace {

const BodyRule kStatementBody{{"text/csv", "multipart/form-data"}};
constexpr int kMaxFindingPage = 1000;

/// An istream over bytes we already hold (the request body), without copying them.
class ViewBuf : public std::streambuf {
  public:
    explicit ViewBuf(std::string_view bytes) {
        char* p = const_cast<char*>(bytes.data());  // read only: the get area is never written
        setg(p, p, p + bytes.size());
    }
};

json Nullable(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }

json ImportJson(const Import& i) {
    json summary = json::parse(i.summary, nullptr, false);
    if (!summary.is_object()) summary = json::object();
    return {{"id", i.id},
            {"fileName", i.file_name},
            {"fileSha256", i.file_sha256},
            {"periodFrom", Nullable(i.period_from)},
            {"periodTo", Nullable(i.period_to)},
            {"rowCount", i.row_count},
            {"findingCount", i.finding_count},
            {"summary", std::move(summary)},
            {"createdBy", i.created_by},
            {"createdAt", i.created_at}};
}

json FindingJson(const Finding& f) {
    json statement = f.statement.empty() ? json(nullptr) : json::parse(f.statement, nullptr, false);
    if (statement.is_discarded()) statement = nullptr;
    return {{"id", f.id},
            {"receipt", f.receipt},
            {"kind", f.kind},
            {"line", f.line ? json(*f.line) : json(nullptr)},
            {"statement", std::move(statement)},
            {"transactionId", f.transaction_id ? json(*f.transaction_id) : json(nullptr)},
            {"detail", f.detail},
            {"resolution", Nullable(f.resolution)},
            {"resolvedBy", Nullable(f.resolved_by)},
            {"resolvedAt", Nullable(f.resolved_at)}};
}

/// The statement's bytes: the whole body (text/csv) or the `file` part of a multipart form, and its file name.
core::Result<std::pair<std::string_view, std::string>> StatementBytes(const net::Request& req) {
    auto type = net::ParseMediaType(req.Header("Content-Type").value_or(""));
    if (type && type->Essence() == "multipart/form-data") {
        auto boundary = type->Parameter("boundary");
        if (!boundary) return core::Fail(core::Error::Validation("file", "multipart/form-data needs a boundary"));
        auto parts = net::ParseMultipart(req.body, *boundary);
        if (!parts) return core::Fail(parts.error());
        for (const auto& part : *parts) {
            if (part.name == "file") return std::make_pair(part.body, part.filename);
        }
        return core::Fail(core::Error::Validation("file", "the form has no part named file"));
    }
    return std::make_pair(std::string_view(req.body), req.Query("fileName").value_or(""));
}

net::Response ImportStatement(net::Request& req, const Caller& caller, ApiContext& ctx) {
    auto bytes = StatementBytes(req);
    if (!bytes) return ErrorResponse(bytes.error());
    if (bytes->first.empty()) return ErrorResponse(core::Error::Validation("file", "the statement file is empty"));
    ViewBuf buf(bytes->first);
    std::istream in(&buf);
    auto imported =
        service::ImportStatement(ctx.store, in,
                                 {.agency_id = caller.agency_id,
                                  .file_name = bytes->second,
                                  .actor = caller.email,
                                  .actor_user_id = caller.user_id ? std::optional(caller.user_id) : std::nullopt,
                                  .request_id = req.request_id});
    if (!imported) return ErrorResponse(imported.error());
    return Ok(json{{"created", imported->created}, {"reconciliation", ImportJson(imported->import)}},
              imported->created ? 201 : 200);
}

net::Response List(net::Request& req, const Caller& caller, ApiContext& ctx) {
    Validator v;
    int limit = 50;
    std::optional<int64_t> before;
    ReadPaging(req, v, limit, before);
    if (!v.ok()) return ErrorResponse(v.Finish());
    auto imports = ctx.store.ListReconciliationImports(caller.agency_id, before, limit);
    if (!imports) return ErrorResponse(imports.error());
    json items = json::array();
    for (const auto& i : *imports) items.push_back(ImportJson(i));
    return Ok(json{{"items", std::move(items)},
                   {"nextCursor", static_cast<int>(imports->size()) == limit ? json(std::to_string(imports->back().id))
                                                                             : json(nullptr)}});
}

/// The findings filter of a report: kind, status (open | resolved | all), cursor (after this id), limit.
core::Result<storage::Store::FindingFilter> ReadFindingFilter(const net::Request& req, int64_t agency_id,
                                                              int64_t import_id) {
    storage::Store::FindingFilter f{.agency_id = agency_id, .import_id = import_id};
    Validator v;
    if (auto kind = req.Query("kind")) {
        static const char* const kKinds[] = {"missing_in_ours", "missing_in_statement", "amount_mismatch",
                                             "status_mismatch", "settled_review"};
        if (std::find(std::begin(kKinds), std::end(kKinds), *kind) == std::end(kKinds)) {
            v.Add("kind",
                  "kind must be missing_in_ours, missing_in_statement, amount_mismatch, status_mismatch or "
                  "settled_review");
        }
        f.kind = *kind;
    }
    if (auto status = req.Query("status")) {
        if (*status == "open")
            f.open = true;
        else if (*status == "resolved")
            f.open = false;
        else if (*status != "all")
            v.Add("status", "status must be open, resolved or all");
    }
    if (auto cursor = req.Query("cursor")) {
        f.after_id = core::ParseId(*cursor);
        if (!f.after_id) v.Add("cursor", "cursor must be a positive integer");
    }
    if (auto limit = req.Query("limit")) {
        auto n = core::ParseId(*limit);
        if (!n || *n > kMaxFindingPage) {
            v.Add("limit", "limit must be between 1 and 1000");
        } else {
            f.limit = static_cast<int>(*n);
        }
    }
    if (!v.ok()) return core::Fail(v.Finish());
    return f;
}

core::Result<Import> FindImport(const net::Request& req, const Caller& caller, ApiContext& ctx) {
    auto id = core::ParseId(req.Param("id"));
    if (!id) return core::Fail(ErrorCode::kNotFound, "no reconciliation with this id");
    auto found = ctx.store.FindReconciliationImport(caller.agency_id, *id);
    if (!found && found.error().code == ErrorCode::kNotFound) {
        return core::Fail(ErrorCode::kNotFound, "no reconciliation with this id");
    }
    return found;
}

net::Response Report(net::Request& req, const Caller& caller, ApiContext& ctx) {
    auto import = FindImport(req, caller, ctx);
    if (!import) return ErrorResponse(import.error());
    auto filter = ReadFindingFilter(req, caller.agency_id, import->id);
    if (!filter) return ErrorResponse(filter.error());
    auto findings = ctx.store.ListReconciliationFindings(*filter);
    if (!findings) return ErrorResponse(findings.error());
    json list = json::array();
    for (const auto& f : *findings) list.push_back(FindingJson(f));
    return Ok(json{
        {"reconciliation", ImportJson(*import)},
        {"findings", std::move(list)},
        {"nextCursor", static_cast<int>(findings->size()) == filter->limit ? json(std::to_string(findings->back().id))
                                                                           : json(nullptr)}});
}

net::Response ReportCsv(net::Request& req, const Caller& caller, ApiContext& ctx) {
    auto import = FindImport(req, caller, ctx);
    if (!import) return ErrorResponse(import.error());
    auto filter = ReadFindingFilter(req, caller.agency_id, import->id);
    if (!filter) return ErrorResponse(filter.error());
    filter->limit = kMaxFindingPage;
    std::string out =
        "findingId,kind,receipt,line,completionTime,details,paidIn,withdrawn,accountNo,otherPartyInfo,transactionId,"
        "detail,resolution\r\n";
    for (;;) {
        auto page = ctx.store.ListReconciliationFindings(*filter);
        if (!page) return ErrorResponse(page.error());
        for (const auto& f : *page) {
            json s = f.statement.empty() ? json::object() : json::parse(f.statement, nullptr, false);
            if (!s.is_object()) s = json::object();
            const auto num = [&](const char* key) {
                return s.contains(key) && s[key].is_number_integer() ? std::to_string(s[key].get<int64_t>())
                                                                     : std::string();
            };
            const std::string cells[] = {std::to_string(f.id),
                                         f.kind,
                                         f.receipt,
                                         f.line ? std::to_string(*f.line) : "",
                                         s.value("completionTime", ""),
                                         s.value("details", ""),
                                         num("paidIn"),
                                         num("withdrawn"),
                                         s.value("accountNo", ""),
                                         s.value("otherPartyInfo", ""),
                                         f.transaction_id ? std::to_string(*f.transaction_id) : "",
                                         f.detail,
                                         f.resolution};
            bool first = true;
            for (const auto& c : cells) {
                if (!first) out += ',';
                out += CsvCell(c);
                first = false;
            }
            out += "\r\n";
        }
        if (static_cast<int>(page->size()) < filter->limit) break;
        filter->after_id = page->back().id;
    }
    net::Response res = net::Response::Text(200, std::move(out), "text/csv; charset=utf-8");
    res.headers["Content-Disposition"] =
        "attachment; filename=\"reconciliation-" + std::to_string(import->id) + ".csv\"";
    return res;
}

net::Response Record(net::Request& req, const Caller& caller, ApiContext& ctx) {
    auto import = FindImport(req, caller, ctx);
    if (!import) return ErrorResponse(import.error());
    auto fid = core::ParseId(req.Param("fid"));
    if (!fid) return ErrorResponse(ErrorCode::kNotFound, "no finding with this id");
    auto recorded = service::RecordFinding(
        ctx.store, {.agency_id = caller.agency_id, .import_id = import->id, .finding_id = *fid, .actor = caller.email});
    if (!recorded) {
        if (recorded.error().code == ErrorCode::kNotFound) {
            return ErrorResponse(ErrorCode::kNotFound, "no finding with this id");
        }
        return ErrorResponse(recorded.error());
    }
    return Ok(json{{"finding", FindingJson(recorded->finding)},
                   {"transactionId", recorded->transaction_id},
                   {"leaseId", recorded->lease_id ? json(*recorded->lease_id) : json(nullptr)}},
              201);
}

}  // namespace

void RegisterReconciliationRoutes(net::Router& router, ApiContext& ctx) {
    const auto route = [&ctx](const Guard& guard, auto fn) {
        return Authed(ctx, guard, [&ctx, fn](net::Request& req, const Caller& c) { return fn(req, c, ctx); });
    };
    router.Add("POST", "/api/v1/reconciliations",
               Accepts(kStatementBody, Audited(ctx, "reconciliation.import", route(kStaff, ImportStatement))));
    router.Add("GET", "/api/v1/reconciliations", route(kSignedIn, List));
    router.Add("GET", "/api/v1/reconciliations/{id}", route(kSignedIn, Report));
    router.Add("GET", "/api/v1/reconciliations/{id}/report.csv", route(kSignedIn, ReportCsv));
    router.Add("POST", "/api/v1/reconciliations/{id}/findings/{fid}/record",
               Audited(ctx, "reconciliation.record", route(kStaff, Record)));
}

}  // namespace haven::api

namespace haven::api {

size_t RouteBodyLimit(std::string_view method, std::string_view target) {
    const std::string_view path = target.substr(0, target.find('?'));
    return method == "POST" && path == "/api/v1/reconciliations" ? kStatementUploadBytes : 0;
}

}  // namespace haven::api
