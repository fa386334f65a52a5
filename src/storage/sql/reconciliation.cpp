// Reconciliation against the M-Pesa statement: imports and their findings (migration 019), and the reads the
// comparison needs (our records by receipt, over a period, pushes under review).
#include "storage/sql/sql_store_internal.hpp"

namespace haven::storage {

namespace {

constexpr const char* kImportCols =
    "id, agency_id, file_sha256, file_name, period_from, period_to, row_count, finding_count, summary, created_by, "
    "created_at";
constexpr const char* kFindingCols =
    "id, import_id, agency_id, receipt, kind, line, statement, transaction_id, detail, resolution, resolved_by, "
    "resolved_at";
constexpr int kMaxFindingPage = 1000;
/// Receipts per lookup statement (padded to a power of two so a few statement texts serve every size).
constexpr size_t kReceiptChunk = 256;
/// Findings per INSERT statement (12 parameters each: well under SQLite's 999).
constexpr size_t kFindingChunk = 32;

Store::ReconciliationImport ReadImport(const SqlRow& row) {
    RowReader r(row);
    Store::ReconciliationImport i;
    i.id = r.Int();
    i.agency_id = r.Int();
    i.file_sha256 = r.Text();
    i.file_name = r.Text();
    i.period_from = r.Text();
    i.period_to = r.Text();
    i.row_count = r.Int();
    i.finding_count = r.Int();
    i.summary = r.Text();
    i.created_by = r.Text();
    i.created_at = r.Text();
    return i;
}

Store::ReconciliationFinding ReadFinding(const SqlRow& row) {
    RowReader r(row);
    Store::ReconciliationFinding f;
    f.id = r.Int();
    f.import_id = r.Int();
    f.agency_id = r.Int();
    f.receipt = r.Text();
    f.kind = r.Text();
    f.line = r.OptInt();
    f.statement = r.Text();
    f.transaction_id = r.OptInt();
    f.detail = r.Text();
    f.resolution = r.Text();
    f.resolved_by = r.Text();
    f.resolved_at = r.Text();
    return f;
}

Store::ReceiptRecord ReadReceiptRecord(const SqlRow& row) {
    RowReader r(row);
    Store::ReceiptRecord rec;
    rec.receipt = r.Text();
    rec.source = r.Text();
    rec.transaction_id = r.Int();
    rec.amount = r.Int();
    rec.status = r.Text();
    rec.completed_at = r.Text();
    return rec;
}

// Our three kinds of records with a receipt, as (receipt, source, id, amount, status, completed_at). Each SELECT
// ends with "WHERE agency_id = ? AND <condition>": `condition` is appended to each.
std::string ReceiptUnion(const std::string& condition_stk, const std::string& condition_c2b,
                         const std::string& condition_transfer) {
    return Cat(
        {"SELECT mpesa_receipt_number, 'stk', id, COALESCE(paid_amount, amount), status, "
         "COALESCE(completed_at, '') FROM stk_transactions WHERE agency_id = ? AND ",
         condition_stk,
         " UNION ALL SELECT trans_id, 'c2b', id, amount, 'SUCCESS', completed_at FROM c2b_payments "
         "WHERE agency_id = ? AND ",
         condition_c2b,
         " UNION ALL SELECT mpesa_receipt_number, kind, id, amount, status, COALESCE(completed_at, '') "
         "FROM transfers WHERE agency_id = ? AND ",
         condition_transfer});
}

void AppendTextList(std::string& sql, SqlParams& params, const std::vector<std::string>& values, size_t first,
                    size_t n) {
    size_t padded = 1;
    while (padded < n) padded *= 2;
    sql += "(?";
    params.emplace_back(values[first]);
    for (size_t i = 1; i < padded; ++i) {
        sql += ", ?";
        params.emplace_back(values[first + std::min(i, n - 1)]);
    }
    sql += ")";
}

}  // namespace

Result<std::vector<Store::ReceiptRecord>> SqlStore::FindReceiptRecords(int64_t agency_id,
                                                                       const std::vector<std::string>& receipts) {
    std::vector<ReceiptRecord> out;
    for (size_t first = 0; first < receipts.size(); first += kReceiptChunk) {
        const size_t n = std::min(kReceiptChunk, receipts.size() - first);
        std::string list;
        SqlParams list_params;
        AppendTextList(list, list_params, receipts, first, n);
        SqlParams params;
        for (int part = 0; part < 3; ++part) {
            params.emplace_back(agency_id);
            params.insert(params.end(), list_params.begin(), list_params.end());
        }
        auto rows = Many<ReceiptRecord>(RunRead(ReceiptUnion("mpesa_receipt_number IN " + list, "trans_id IN " + list,
                                                             "mpesa_receipt_number IN " + list),
                                                params),
                                        ReadReceiptRecord);
        if (!rows) return Fail(rows.error());
        out.insert(out.end(), std::make_move_iterator(rows->begin()), std::make_move_iterator(rows->end()));
    }
    return out;
}

Result<std::vector<Store::ReceiptRecord>> SqlStore::ListReceiptRecordsCompleted(int64_t agency_id,
                                                                                const std::string& from,
                                                                                const std::string& to) {
    const std::string window = "completed_at >= ? AND completed_at <= ?";
    const std::string success = "status = 'SUCCESS' AND mpesa_receipt_number IS NOT NULL AND " + window;
    return Many<ReceiptRecord>(RunRead(ReceiptUnion(success, window, success),
                                       {agency_id, from, to, agency_id, from, to, agency_id, from, to}),
                               ReadReceiptRecord);
}

Result<std::vector<core::StkTransaction>> SqlStore::ListStkUnderReview(int64_t agency_id, const std::string& from,
                                                                       const std::string& to) {
    return Many<core::StkTransaction>(
        RunRead(Cat({"SELECT ", kStkCols,
                     " FROM stk_transactions s WHERE agency_id = ? AND status = 'PENDING' AND created_at >= ? "
                     "AND created_at < ? AND EXISTS (SELECT 1 FROM review_items r WHERE r.transaction_id = s.id "
                     "AND r.status = 'open') ORDER BY id"}),
                {agency_id, from, to}),
        ReadStk);
}

Result<ApplyResult> SqlStore::SettleStkById(int64_t agency_id, int64_t id, const StkOutcome& outcome) {
    if (outcome.status != core::TxStatus::kSuccess) {
        return Fail(ErrorCode::kValidation, "a push is settled from a statement only as SUCCESS");
    }
    return InTransaction<ApplyResult>([&](SqlConnection& c) -> Result<ApplyResult> {
        // The same guard as ApplyStkOutcome: only a PENDING row moves, once.
        const std::string now = NowIso8601();
        auto applied = ApplyOnce<core::StkTransaction>(
            std::bind_front(&SqlConnection::Run, &c),
            {Cat({"UPDATE stk_transactions SET status = 'SUCCESS', result_code = ?, result_desc = ?, "
                  "mpesa_receipt_number = ?, transaction_date = ?, paid_amount = ?, updated_at = ?, completed_at = ?, "
                  "claimed_by = NULL, claimed_until = NULL WHERE agency_id = ? AND id = ? AND status = 'PENDING' "
                  "RETURNING ",
                  kStkCols}),
             {outcome.result_code, OptText(outcome.result_desc), OptText(outcome.mpesa_receipt_number),
              OptText(outcome.transaction_date), OptInt(outcome.paid_amount), now, now, agency_id, id}},
            {Cat({"SELECT ", kStkCols, " FROM stk_transactions WHERE agency_id = ? AND id = ?"}), {agency_id, id}},
            ReadStk, "transaction");
        if (!applied) return Fail(applied.error());
        ApplyResult result;
        result.applied = applied->first;
        result.transaction = std::move(applied->second);
        if (!result.applied) return result;
        const core::StkTransaction& tx = result.transaction;
        if (tx.lease_id) {
            auto payment = InsertStkPayment(c, tx, outcome.mpesa_receipt_number, now);
            if (!payment) return Fail(payment.error());
            result.payment = std::move(*payment);
        }
        if (auto e = EmitOutboxEvent(c, tx.agency_id, StkEventType(tx.status), "stk", tx.id); !e) {
            return Fail(e.error());
        }
        return result;
    });
}

Result<Store::ReconciliationImport> SqlStore::FindReconciliationImportBySha(int64_t agency_id,
                                                                            const std::string& file_sha256) {
    return One<ReconciliationImport>(
        Run(Cat({"SELECT ", kImportCols, " FROM reconciliation_imports WHERE agency_id = ? AND file_sha256 = ?"}),
            {agency_id, file_sha256}),
        ReadImport, "reconciliation");
}

Result<Store::ReconciliationImport> SqlStore::InsertReconciliationImport(
    const ReconciliationImport& import, const std::vector<ReconciliationFinding>& findings) {
    return InTransaction<ReconciliationImport>([&](SqlConnection& c) -> Result<ReconciliationImport> {
        auto inserted = One<ReconciliationImport>(
            c.Run(Cat({"INSERT INTO reconciliation_imports (agency_id, file_sha256, file_name, period_from, "
                       "period_to, row_count, finding_count, summary, created_by, created_at) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING ",
                       kImportCols}),
                  {import.agency_id, import.file_sha256, import.file_name, OptText(import.period_from),
                   OptText(import.period_to), import.row_count, static_cast<int64_t>(findings.size()),
                   import.summary.empty() ? std::string("{}") : import.summary, import.created_by, NowIso8601()}),
            ReadImport, "reconciliation");
        if (!inserted) {
            if (inserted.error().code == ErrorCode::kConflict) {
                return Fail(ErrorCode::kConflict, "this statement file was already imported");
            }
            return Fail(inserted.error());
        }
        for (size_t first = 0; first < findings.size(); first += kFindingChunk) {
            const size_t n = std::min(kFindingChunk, findings.size() - first);
            std::string sql =
                "INSERT INTO reconciliation_findings (import_id, agency_id, receipt, kind, line, statement, "
                "transaction_id, detail, resolution, resolved_by, resolved_at) VALUES ";
            SqlParams params;
            params.reserve(n * 11);
            for (size_t i = 0; i < n; ++i) {
                const ReconciliationFinding& f = findings[first + i];
                sql += i == 0 ? "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)" : ", (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
                params.insert(params.end(),
                              {inserted->id, import.agency_id, f.receipt, f.kind, OptInt(f.line), OptText(f.statement),
                               OptInt(f.transaction_id), f.detail, OptText(f.resolution), OptText(f.resolved_by),
                               f.resolution.empty() ? SqlParam{} : SqlParam{inserted->created_at}});
            }
            if (auto r = c.Run(sql, params); !r) return Fail(r.error());
        }
        return inserted;
    });
}

Result<Store::ReconciliationImport> SqlStore::FindReconciliationImport(int64_t agency_id, int64_t id) {
    return One<ReconciliationImport>(
        RunRead(Cat({"SELECT ", kImportCols, " FROM reconciliation_imports WHERE agency_id = ? AND id = ?"}),
                {agency_id, id}),
        ReadImport, "reconciliation");
}

Result<std::vector<Store::ReconciliationImport>> SqlStore::ListReconciliationImports(int64_t agency_id,
                                                                                     std::optional<int64_t> before_id,
                                                                                     int limit) {
    std::string sql = Cat({"SELECT ", kImportCols, " FROM reconciliation_imports WHERE agency_id = ?"});
    SqlParams params{agency_id};
    AndIf(sql, params, " AND id < ?", before_id);
    sql += " ORDER BY id DESC LIMIT ?";
    params.emplace_back(int64_t{std::clamp(limit, 1, kMaxListLimit)});
    return Many<ReconciliationImport>(RunRead(sql, params), ReadImport);
}

Result<std::vector<Store::ReconciliationFinding>> SqlStore::ListReconciliationFindings(const FindingFilter& filter) {
    std::string sql =
        Cat({"SELECT ", kFindingCols, " FROM reconciliation_findings WHERE agency_id = ? AND import_id = ?"});
    SqlParams params{filter.agency_id, filter.import_id};
    AndIf(sql, params, " AND kind = ?", filter.kind);
    if (filter.open) sql += *filter.open ? " AND resolution IS NULL" : " AND resolution IS NOT NULL";
    AndIf(sql, params, " AND id > ?", filter.after_id);
    sql += " ORDER BY id LIMIT ?";
    params.emplace_back(int64_t{std::clamp(filter.limit, 1, kMaxFindingPage)});
    return Many<ReconciliationFinding>(RunRead(sql, params), ReadFinding);
}

Result<Store::ReconciliationFinding> SqlStore::FindReconciliationFinding(int64_t agency_id, int64_t import_id,
                                                                         int64_t id) {
    return One<ReconciliationFinding>(
        RunRead(Cat({"SELECT ", kFindingCols,
                     " FROM reconciliation_findings WHERE agency_id = ? AND import_id = ? AND id = ?"}),
                {agency_id, import_id, id}),
        ReadFinding, "finding");
}

Result<Store::ReconciliationFinding> SqlStore::ResolveReconciliationFinding(int64_t agency_id, int64_t import_id,
                                                                            int64_t id, const std::string& resolution,
                                                                            const std::string& resolved_by,
                                                                            std::optional<int64_t> transaction_id) {
    return InTransaction<ReconciliationFinding>([&](SqlConnection& c) -> Result<ReconciliationFinding> {
        auto resolved = ApplyOnce<ReconciliationFinding>(
            std::bind_front(&SqlConnection::Run, &c),
            {Cat({"UPDATE reconciliation_findings SET resolution = ?, resolved_by = ?, resolved_at = ?, "
                  "transaction_id = COALESCE(?, transaction_id) "
                  "WHERE agency_id = ? AND import_id = ? AND id = ? AND resolution IS NULL RETURNING ",
                  kFindingCols}),
             {resolution, resolved_by, NowIso8601(), OptInt(transaction_id), agency_id, import_id, id}},
            {Cat({"SELECT ", kFindingCols,
                  " FROM reconciliation_findings WHERE agency_id = ? AND import_id = ? AND id = ?"}),
             {agency_id, import_id, id}},
            ReadFinding, "finding");
        if (!resolved) return Fail(resolved.error());
        if (!resolved->first) return Fail(ErrorCode::kConflict, "this finding is already resolved");
        return std::move(resolved->second);
    });
}

}  // namespace haven::storage
