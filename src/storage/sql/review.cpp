// Needs review: one item per subject and reason; the transaction row shows the open item's reason.
#include <nlohmann/json.hpp>

#include "storage/sql/sql_store_internal.hpp"

namespace haven::storage {

namespace {

/// The transaction tables that show an open review reason on the row itself (so lists read it for free).
const char* const kReviewedTables[] = {"stk_transactions", "transfers"};

/// Sets (or clears) the row's review_reason to its newest open item's reason.
Result<void> RefreshReviewReason(SqlConnection& c, int64_t transaction_id) {
    for (const char* table : kReviewedTables) {
        auto res = c.Run(Cat({"UPDATE ", table,
                              " SET review_reason = (SELECT reason FROM review_items WHERE transaction_id = ? "
                              "AND status = 'open' ORDER BY id DESC LIMIT 1) WHERE id = ?"}),
                         {transaction_id, transaction_id});
        if (!res) return Fail(res.error());
    }
    return {};
}

}  // namespace

Result<ReviewItem> SqlStore::OpenReview(const ReviewItem& item) {
    if (item.reason_code.empty() || item.reason.empty()) {
        return Fail(ErrorCode::kValidation, "a review item needs a reason");
    }
    return InTransaction<ReviewItem>([&](SqlConnection& c) -> Result<ReviewItem> {
        // One item per subject and reason: an open one stands, and one a person already resolved is not
        // reopened by the same finding (the reconciler keeps finding a push M-Pesa never confirmed). An item
        // about no transaction and no body (an endpoint disabled, an alert) is the agency's: only an open one
        // stands, so the same trouble coming back after a person resolved it is a new item.
        const bool agency_level = !item.transaction_id && !item.inbound_id;
        const std::string same = agency_level ? " AND COALESCE(agency_id, 0) = ? AND status = 'open'" : "";
        SqlParams same_params{item.transaction_id.value_or(0), item.inbound_id.value_or(0), item.reason_code};
        if (agency_level) same_params.emplace_back(item.agency_id.value_or(0));
        auto existing = c.Run(Cat({"SELECT ", kReviewCols,
                                   " FROM review_items WHERE COALESCE(transaction_id, 0) = ? "
                                   "AND COALESCE(inbound_id, 0) = ? AND reason_code = ?",
                                   same, " ORDER BY id DESC LIMIT 1"}),
                              same_params);
        if (!existing) return Fail(existing.error());
        if (!existing->rows.empty()) return ReadReview(existing->rows.front());
        // The partial unique index settles a race between two openers: the loser finds the winner's item.
        auto ins = c.Run(Cat({"INSERT INTO review_items (agency_id, transaction_id, inbound_id, reason_code, reason, "
                              "status, created_at) VALUES (?, ?, ?, ?, ?, 'open', ?) "
                              "ON CONFLICT DO NOTHING RETURNING ",
                              kReviewCols}),
                         {OptInt(item.agency_id), OptInt(item.transaction_id), OptInt(item.inbound_id),
                          item.reason_code, item.reason, NowIso8601()});
        if (!ins) return Fail(ins.error());
        if (ins->rows.empty()) {
            return One<ReviewItem>(c.Run(Cat({"SELECT ", kReviewCols,
                                              " FROM review_items WHERE COALESCE(transaction_id, 0) = ? "
                                              "AND COALESCE(inbound_id, 0) = ? AND reason_code = ?",
                                              same, " AND status = 'open' ORDER BY id DESC LIMIT 1"}),
                                         same_params),
                                   ReadReview, "review item");
        }
        ReviewItem opened = ReadReview(ins->rows.front());
        if (opened.transaction_id) {
            if (auto r = RefreshReviewReason(c, *opened.transaction_id); !r) return Fail(r.error());
            const std::string data = nlohmann::json{
                {"reasonCode", opened.reason_code},
                {"reason", opened.reason},
                {"transactionId",
                 *opened.transaction_id}}.dump();
            if (auto e = EmitOutboxEvent(c, opened.agency_id, "transaction.needs_review", "review", opened.id, data);
                !e) {
                return Fail(e.error());
            }
        }
        return opened;
    });
}

namespace {

/// " AND (agency_id = ? [OR agency_id IS NULL])"
void AgencyScope(std::string& sql, SqlParams& params, int64_t agency_id, bool include_unassigned) {
    sql += include_unassigned ? " AND (agency_id = ? OR agency_id IS NULL)" : " AND agency_id = ?";
    params.emplace_back(agency_id);
}

}  // namespace

Result<std::vector<ReviewItem>> SqlStore::ListReview(const ReviewFilter& filter) {
    std::string sql = Cat({"SELECT ", kReviewCols, " FROM review_items WHERE 1 = 1"});
    SqlParams params;
    AgencyScope(sql, params, filter.agency_id, filter.include_unassigned);
    AndIf(sql, params, " AND status = ?", filter.status);
    AndIf(sql, params, " AND transaction_id = ?", filter.transaction_id);
    AndIf(sql, params, " AND id < ?", filter.before_id);
    sql += " ORDER BY id DESC LIMIT ?";
    params.emplace_back(int64_t{std::clamp(filter.limit, 1, kMaxListLimit)});
    return Many<ReviewItem>(RunRead(sql, params), ReadReview);
}

Result<int64_t> SqlStore::CountOpenReview(int64_t agency_id, bool include_unassigned) {
    std::string sql = "SELECT COUNT(*) FROM review_items WHERE status = 'open'";
    SqlParams params;
    AgencyScope(sql, params, agency_id, include_unassigned);
    return One<int64_t>(RunRead(sql, params), ReadInt, "count");
}

Result<ReviewItem> SqlStore::ResolveReview(int64_t agency_id, bool include_unassigned, int64_t id,
                                           const std::string& resolution, const std::string& resolved_by) {
    return InTransaction<ReviewItem>([&](SqlConnection& c) -> Result<ReviewItem> {
        std::string scope;
        SqlParams scope_params;
        AgencyScope(scope, scope_params, agency_id, include_unassigned);
        SqlParams params{resolution, resolved_by, NowIso8601(), id};
        params.insert(params.end(), scope_params.begin(), scope_params.end());
        auto resolved = ApplyOnce<ReviewItem>(
            std::bind_front(&SqlConnection::Run, &c),
            {Cat({"UPDATE review_items SET status = 'resolved', resolution = ?, resolved_by = ?, resolved_at = ? "
                  "WHERE id = ? AND status = 'open'",
                  scope, " RETURNING ", kReviewCols}),
             params},
            {Cat({"SELECT ", kReviewCols, " FROM review_items WHERE id = ?", scope}),
             [&] {
                 SqlParams p{id};
                 p.insert(p.end(), scope_params.begin(), scope_params.end());
                 return p;
             }()},
            ReadReview, "review item");
        if (!resolved) return Fail(resolved.error());
        if (!resolved->first) return Fail(ErrorCode::kConflict, "this review item is already resolved");
        if (resolved->second.transaction_id) {
            if (auto r = RefreshReviewReason(c, *resolved->second.transaction_id); !r) return Fail(r.error());
        }
        return std::move(resolved->second);
    });
}

}  // namespace haven::storage
