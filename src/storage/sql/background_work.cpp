// Claims on due background work (the lease of the reconciler's and the outbox's PENDING rows) and expiry of
// unanswered queries.
#include "storage/sql/sql_store_internal.hpp"

namespace haven::storage {

/// The one claim statement of every background queue (STK pushes, transfers, outbox events and messages): due,
/// unclaimed (or whose claim ran out) PENDING rows, oldest due first, marked as ours. PostgreSQL skips rows
/// another process is claiming right now; SQLite has one writer at a time. `also` narrows which due rows
/// qualify (" AND ..." over the candidate row, named `due`).
std::string ClaimSql(const char* table, const char* cols, bool postgres, std::string_view also) {
    return Cat({"UPDATE ", table, " SET claimed_by = ?, claimed_until = ? WHERE id IN (SELECT id FROM ", table,
                " due WHERE status = 'PENDING' AND (claimed_until IS NULL OR claimed_until < ?) "
                "AND ((next_attempt_at IS NULL AND created_at <= ?) OR next_attempt_at <= ?)",
                also, " ORDER BY COALESCE(next_attempt_at, created_at), id LIMIT ?",
                postgres ? " FOR UPDATE SKIP LOCKED" : "", ") RETURNING ", cols});
}

SqlParams ClaimParams(const Claim& claim) {
    return {claim.owner, claim.until,
            claim.now,   claim.first_due_before,
            claim.now,   int64_t{std::clamp(claim.limit, 1, kMaxListLimit)}};
}

namespace {

/// Claimed rows come back in due order (RETURNING does not promise one).
template <class T>
std::vector<T> DueOrder(std::vector<T> rows) {
    std::sort(rows.begin(), rows.end(), [](const T& a, const T& b) {
        const std::string& da =
            a.reconciliation.next_attempt_at.empty() ? a.created_at : a.reconciliation.next_attempt_at;
        const std::string& db =
            b.reconciliation.next_attempt_at.empty() ? b.created_at : b.reconciliation.next_attempt_at;
        return std::tie(da, a.id) < std::tie(db, b.id);
    });
    return rows;
}

}  // namespace

Result<std::vector<core::StkTransaction>> SqlStore::ClaimDueStk(const Claim& claim) {
    return Many<core::StkTransaction>(
               Run(ClaimSql("stk_transactions", kStkCols, db_->Backend() == "postgres"), ClaimParams(claim)), ReadStk)
        .map(DueOrder<core::StkTransaction>);
}

Result<std::vector<Transfer>> SqlStore::ClaimDueTransfers(const Claim& claim) {
    return Many<Transfer>(Run(ClaimSql("transfers", kTransferCols, db_->Backend() == "postgres"), ClaimParams(claim)),
                          ReadTransfer)
        .map(DueOrder<Transfer>);
}

Result<void> SqlStore::RecordAttempt(WorkQueue queue, int64_t id, const std::string& owner, const std::string& error,
                                     const std::string& next_attempt_at) {
    const char* table = queue == WorkQueue::kStk ? "stk_transactions" : "transfers";
    return Done(Run(Cat({"UPDATE ", table,
                         " SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?, claimed_by = NULL, "
                         "claimed_until = NULL WHERE id = ? AND claimed_by = ?"}),
                    {OptText(error), next_attempt_at, id, owner}));
}

Result<int64_t> SqlStore::ExpireUnansweredQueries(const std::string& older_than) {
    int64_t expired = 0;
    for (const char* table : {"balance_checks", "status_queries"}) {
        auto res = Run(Cat({"UPDATE ", table,
                            " SET status = 'FAILED', result_desc = 'M-Pesa never answered this request; ask again', "
                            "updated_at = ? WHERE status = 'PENDING' AND created_at < ?"}),
                       {NowIso8601(), older_than});
        if (!res) return Fail(res.error());
        expired += res->affected;
    }
    return expired;
}

}  // namespace haven::storage
