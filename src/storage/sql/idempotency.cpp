// Idempotency keys: one answer per (agency, route, key), claimed before the work and completed after it.
#include "storage/sql/sql_store_internal.hpp"

namespace haven::storage {

Result<IdempotencyRecord> SqlStore::ClaimIdempotencyKey(int64_t agency_id, const std::string& scope,
                                                        const std::string& key, const std::string& request_hash,
                                                        int64_t claim_seconds) {
    // A claim released between our INSERT and SELECT is claimed again: retry a few times.
    for (int attempt = 0; attempt < 3; ++attempt) {
        const std::string now = NowIso8601();
        auto ins =
            Run("INSERT INTO idempotency_keys (agency_id, scope, key, request_hash, created_at, claimed_until) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (agency_id, scope, key) DO NOTHING",
                {agency_id, scope, key, request_hash, now, IsoIn(claim_seconds)});
        if (!ins) return Fail(ins.error());
        if (ins->affected == 1) return IdempotencyRecord{IdempotencyState::kNew, 0, {}, std::nullopt};
        auto row =
            Run("SELECT request_hash, status, body, claimed_until, transaction_id FROM idempotency_keys "
                "WHERE agency_id = ? AND scope = ? AND key = ?",
                {agency_id, scope, key});
        if (!row) return Fail(row.error());
        if (row->rows.empty()) continue;
        RowReader r(row->rows.front());
        std::string stored_hash = r.Text();
        std::optional<int64_t> status = r.OptInt();
        std::string body = r.Text();
        std::string claimed_until = r.Text();
        std::optional<int64_t> transaction_id = r.OptInt();
        if (stored_hash != request_hash) return IdempotencyRecord{IdempotencyState::kMismatch, 0, {}, std::nullopt};
        if (status) return IdempotencyRecord{IdempotencyState::kReplay, static_cast<int>(*status), std::move(body)};
        // Unfinished. While its claim runs (keys from before claims expired count as running out now) the
        // first request may still be working: the retry waits.
        if (!claimed_until.empty() && claimed_until >= now) {
            return IdempotencyRecord{IdempotencyState::kInProgress, 0, {}, std::nullopt};
        }
        // The first request died. If it wrote its transaction, that row answers: Daraja is never asked twice.
        if (transaction_id) return IdempotencyRecord{IdempotencyState::kRecovered, 0, {}, transaction_id};
        // It died before writing anything, so nothing was sent: take the claim over (one taker wins).
        auto taken =
            Run("UPDATE idempotency_keys SET claimed_until = ? WHERE agency_id = ? AND scope = ? AND key = ? "
                "AND status IS NULL AND transaction_id IS NULL AND (claimed_until IS NULL OR claimed_until = ?)",
                {IsoIn(claim_seconds), agency_id, scope, key, OptText(claimed_until)});
        if (!taken) return Fail(taken.error());
        if (taken->affected == 1) return IdempotencyRecord{IdempotencyState::kNew, 0, {}, std::nullopt};
    }
    return Fail(ErrorCode::kInternal, "idempotency key could not be claimed");
}

Result<int64_t> SqlStore::PruneIdempotencyKeys(const std::string& older_than) {
    auto res = Run("DELETE FROM idempotency_keys WHERE created_at < ?", {older_than});
    if (!res) return Fail(res.error());
    return res->affected;
}

Result<void> SqlStore::CompleteIdempotencyKey(int64_t agency_id, const std::string& scope, const std::string& key,
                                              int status, const std::string& body) {
    auto res = Run("UPDATE idempotency_keys SET status = ?, body = ? WHERE agency_id = ? AND scope = ? AND key = ?",
                   {int64_t{status}, body, agency_id, scope, key});
    if (!res) return Fail(res.error());
    if (res->affected == 0) return Fail(ErrorCode::kNotFound, "idempotency key not found");
    return {};
}

}  // namespace haven::storage
