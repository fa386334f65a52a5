#pragma once
// Private to the SQL store: the statement helpers every record file shares (ApplyOnce, the list
// filters, the tables of one shape) and the unit-of-work machinery behind InTransaction.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "core/time.hpp"
#include "storage/group_commit.hpp"
#include "storage/sql/row_readers.hpp"
#include "storage/sql_store.hpp"

namespace haven::storage {

using core::ErrorCode;
using core::Fail;

constexpr int kMaxListLimit = 200;
/// Ids per LinkedTransferTotals statement (a page holds at most kMaxListLimit; larger asks are split).
constexpr size_t kTotalsChunk = 256;

/// Appends "(?, ?, ...)" for ids[first, first + n) to `sql` and the ids to `params`. The list is padded to the next
/// power of two (repeating the last id), so a handful of statement texts serve every page size (SQLite caches them).
inline void AppendIdList(std::string& sql, SqlParams& params, const std::vector<int64_t>& ids, size_t first, size_t n) {
    size_t padded = 1;
    while (padded < n) padded *= 2;
    sql += "(?";
    params.emplace_back(ids[first]);
    for (size_t i = 1; i < padded; ++i) {
        sql += ", ?";
        params.emplace_back(ids[first + std::min(i, n - 1)]);
    }
    sql += ")";
}

inline std::string Cat(std::initializer_list<std::string_view> parts) {
    std::string out;
    for (std::string_view p : parts) out.append(p);
    return out;
}

inline SqlParam OptText(const std::string& s) {
    if (s.empty()) return std::monostate{};
    return s;
}

inline SqlParam OptInt(const std::optional<int64_t>& v) {
    if (!v) return std::monostate{};
    return *v;
}

/// Ok once the statement ran; its rows are not wanted.
inline Result<void> Done(const Result<SqlResult>& res) {
    if (!res) return Fail(res.error());
    return {};
}

struct Statement {
    std::string sql;
    SqlParams params;
};

/// The shape of every change that may happen only once: a guarded `UPDATE ... RETURNING` whose WHERE
/// clause matches only a row still PENDING, so one caller wins (PostgreSQL re-checks the clause after
/// waiting on the row lock). When it changed nothing the row is already final: `current` reads it as it is.
/// `run` runs one statement (the pool, or the connection of a transaction).
/// Returns {true, the updated row} or {false, the row left untouched}.
template <class T, class RunFn, class Reader>
Result<std::pair<bool, T>> ApplyOnce(RunFn&& run, const Statement& update, const Statement& current, Reader read,
                                     const char* what) {
    auto updated = run(update.sql, update.params);
    if (!updated) return Fail(updated.error());
    if (!updated->rows.empty()) return std::make_pair(true, read(updated->rows.front()));
    auto row = One<T>(run(current.sql, current.params), read, what);
    if (!row) return Fail(row.error());
    return std::make_pair(false, std::move(*row));
}

/// A table whose rows end PENDING -> FAILED when the request never reached M-Pesa (STK, transfers).
template <class T>
struct RequestTable {
    const char* table;
    const char* cols;
    T (*read)(const SqlRow&);
    const char* what;
};

/// Returns {true, the row now FAILED} or {false, the row as it was (already final)}.
template <class T, class RunFn>
Result<std::pair<bool, T>> MarkRejected(RunFn&& run, const RequestTable<T>& t, int64_t id,
                                        const std::string& result_desc) {
    return ApplyOnce<T>(run,
                        {Cat({"UPDATE ", t.table,
                              " SET status = 'FAILED', result_desc = ?, updated_at = ?, completed_at = ? "
                              "WHERE id = ? AND status = 'PENDING' RETURNING ",
                              t.cols}),
                         {OptText(result_desc), NowIso8601(), NowIso8601(), id}},
                        {Cat({"SELECT ", t.cols, " FROM ", t.table, " WHERE id = ?"}), {id}}, t.read, t.what);
}

/// A balance check or a status query: tables of one shape, told apart by their columns, their reader and
/// the one column the Result fills from QueryOutcome::detail (`detail_set`).
template <class T>
struct QueryTable {
    const char* table;
    const char* cols;
    T (*read)(const SqlRow&);
    const char* what;
    const char* detail_set;
};

inline const RequestTable<core::StkTransaction> kStkTable{"stk_transactions", kStkCols, ReadStk, "transaction"};
inline const RequestTable<Transfer> kTransferTable{"transfers", kTransferCols, ReadTransfer, "transfer"};
inline const QueryTable<BalanceCheck> kBalanceTable{"balance_checks", kBalanceCols, ReadBalance, "balance check",
                                                    "accounts = COALESCE(?, accounts)"};
inline const QueryTable<StatusQuery> kStatusQueryTable{"status_queries", kStatusQueryCols, ReadStatusQuery,
                                                       "status query", "transaction_status = ?"};

/// The payment of a lease a successful STK push makes (tx.lease_id set), paid now: ApplyStkOutcome and a push
/// settled from a statement line write it the same way.
Result<core::Payment> InsertStkPayment(SqlConnection& c, const core::StkTransaction& tx, const std::string& receipt,
                                       const std::string& now);

template <class T, class RunFn>
Result<T> SetQueryIds(RunFn&& run, const QueryTable<T>& q, int64_t id, const std::string& originator_conversation_id,
                      const std::string& conversation_id) {
    return One<T>(run(Cat({"UPDATE ", q.table,
                           " SET originator_conversation_id = ?, conversation_id = ?, updated_at = ? "
                           "WHERE id = ? RETURNING ",
                           q.cols}),
                      SqlParams{OptText(originator_conversation_id), OptText(conversation_id), NowIso8601(), id}),
                  q.read, q.what);
}

/// The row is found by either id M-Pesa knows it by.
template <class T, class RunFn>
Result<std::pair<bool, T>> ApplyQueryOutcome(RunFn&& run, const QueryTable<T>& q, const std::string& conversation_id,
                                             const QueryOutcome& outcome) {
    if (conversation_id.empty()) return Fail(ErrorCode::kNotFound, std::string(q.what) + " not found");
    return ApplyOnce<T>(
        run,
        {Cat({"UPDATE ", q.table, " SET status = ?, result_code = ?, result_desc = ?, ", q.detail_set,
              ", updated_at = ? "
              "WHERE (conversation_id = ? OR originator_conversation_id = ?) AND status = 'PENDING' "
              "RETURNING ",
              q.cols}),
         {std::string(core::ToString(outcome.status)), OptText(outcome.result_code), OptText(outcome.result_desc),
          OptText(outcome.detail), NowIso8601(), conversation_id, conversation_id}},
        {Cat({"SELECT ", q.cols, " FROM ", q.table,
              " WHERE conversation_id = ? OR originator_conversation_id = ? ORDER BY id LIMIT 1"}),
         {conversation_id, conversation_id}},
        q.read, q.what);
}

/// Appends `clause` (" AND column = ?") and its value when the filter has one.
template <class V>
void AndIf(std::string& sql, SqlParams& params, const char* clause, const std::optional<V>& value) {
    if (!value) return;
    sql += clause;
    params.emplace_back(*value);
}

inline std::optional<std::string> StatusParam(const std::optional<core::TxStatus>& status) {
    if (!status) return std::nullopt;
    return std::string(core::ToString(*status));
}

/// The filters every list page ends with (phone, created_at and completed_at ranges, id cursor), then newest first, at
/// most the (clamped) limit.
template <class Filter>
void FinishListQuery(std::string& sql, SqlParams& params, const Filter& filter) {
    if (filter.needs_review) sql += " AND review_reason IS NOT NULL";
    AndIf(sql, params, " AND phone_number = ?", filter.phone_number);
    AndIf(sql, params, " AND created_at >= ?", filter.from);
    AndIf(sql, params, " AND created_at < ?", filter.to);
    AndIf(sql, params, " AND completed_at >= ?", filter.completed_from);
    AndIf(sql, params, " AND completed_at < ?", filter.completed_to);
    AndIf(sql, params, " AND id < ?", filter.before_id);
    sql += " ORDER BY id DESC LIMIT ?";
    params.emplace_back(int64_t{std::clamp(filter.limit, 1, kMaxListLimit)});
}

/// Escapes LIKE wildcards so a prefix matches literally (with ESCAPE '\').
inline std::string LikePrefix(std::string_view prefix) {
    std::string out;
    for (char c : prefix) {
        if (c == '%' || c == '_' || c == '\\') out.push_back('\\');
        out.push_back(c);
    }
    out.push_back('%');
    return out;
}

// --- outbox ---
/// Writes the outbox event a state change causes on the connection of that change (its transaction or the
/// unit's), so the event commits or rolls back with the change (STYLE P10). Every emitting site calls this one
/// helper right after its guarded update applied; a change that did nothing (a duplicate callback) emits nothing.
Result<void> EmitOutboxEvent(SqlConnection& c, std::optional<int64_t> agency_id, std::string_view type,
                             std::string_view subject_kind, int64_t subject_id, const std::string& data = "{}");
/// payment.succeeded / payment.failed for an STK push that reached `status`.
std::string_view StkEventType(core::TxStatus status);
/// payout.* (B2C, refunds included) or reversal.* for a transfer that reached `status`.
std::string_view TransferEventType(core::TxKind kind, core::TxStatus status);

/// The one claim statement of every background queue (background_work.cpp): `table` has status, attempts,
/// next_attempt_at, claimed_by, claimed_until and created_at. Params: ClaimParams(claim).
std::string ClaimSql(const char* table, const char* cols, bool postgres, std::string_view also = {});
SqlParams ClaimParams(const Claim& claim);

/// Links an idempotency key to the transaction row its request created (same database transaction).
inline Result<void> LinkIdempotencyKey(SqlConnection& c, const std::optional<IdempotencyRef>& key,
                                       int64_t transaction_id) {
    if (!key) return {};
    // Only a key that names no transaction yet: a request that stalled past its claim, while a retry took the key
    // over and wrote its own row, must not write a second one (and prompt the phone twice). It is refused as
    // unavailable, so its caller retries with the key and gets the other request's answer; the key is not completed.
    auto linked = c.Run(
        "UPDATE idempotency_keys SET transaction_id = ? WHERE agency_id = ? AND scope = ? AND key = ? "
        "AND transaction_id IS NULL",
        {transaction_id, key->agency_id, key->scope, key->key});
    if (!linked) return Fail(linked.error());
    if (linked->affected == 0) {
        return Fail(core::ErrorCode::kUnavailable,
                    "another request with this Idempotency-Key is being processed; retry with the same key");
    }
    return {};
}

/// now + seconds as ISO-8601 UTC.
inline std::string IsoIn(int64_t seconds) {
    return core::IsoUtc(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
}

/// The unit of work a thread is running: the store it belongs to, its connection and how deeply its
/// savepoints nest. Every store call of that thread goes to that connection (the unit's writes are not
/// visible on any other connection before the commit, and SQLite's one writer connection is held).
struct CurrentUnit {
    const SqlStore* store = nullptr;
    SqlConnection* conn = nullptr;
    int depth = 0;
};
extern thread_local CurrentUnit t_unit;

class SqlStore::Bind {
  public:
    Bind(const SqlStore* store, SqlConnection& c) : saved_(t_unit) { t_unit = {store, &c, 0}; }
    ~Bind() { t_unit = saved_; }
    Bind(const Bind&) = delete;
    Bind& operator=(const Bind&) = delete;

  private:
    CurrentUnit saved_;
};

template <class T, class F>
Result<T> SqlStore::InSavepoint(SqlConnection& c, F&& body) {
    const std::string name = "nested" + std::to_string(++t_unit.depth);
    struct Depth {
        ~Depth() { --t_unit.depth; }
    } depth;
    if (auto saved = c.Run("SAVEPOINT " + name, {}); !saved) return Fail(saved.error());
    Result<T> out = body(c);
    if (out) {
        if (auto released = c.Run("RELEASE " + name, {}); !released) return Fail(released.error());
        return out;
    }
    // Undo only this call's writes; if even that fails the transaction is gone and the unit fails with it.
    auto undone = c.Run("ROLLBACK TO " + name, {});
    if (undone) undone = c.Run("RELEASE " + name, {});
    if (!undone) return Fail(undone.error());
    return out;
}

/// Inside the unit of work that adds `amount` of B2C payouts (a transfer, or a held request) for the agency: the
/// agency's daily payout limit (core/payout_limit), read and held atomically with the write. kUnprocessable when
/// the payout would pass it; nothing to do when the agency has none.
Result<void> HoldDailyPayoutLimit(SqlConnection& c, bool postgres, int64_t agency_id, int64_t amount);

template <class T, class F>
Result<T> SqlStore::InTransaction(F&& body) {
    if (SqlConnection* c = Current()) return InSavepoint<T>(*c, std::forward<F>(body));
    if (committer_) {
        std::optional<Result<T>> out;
        auto unit = committer_->Submit([&](SqlConnection& c) -> Result<void> {
            Bind bind(this, c);
            out.emplace(body(c));
            if (!*out) return Fail(out->error());
            return {};
        });
        if (!unit) return Fail(unit.error());  // its own error, or its batch did not commit
        return std::move(*out);
    }
    auto conn = db_->Acquire();
    if (!conn) return Fail(conn.error());
    SqlConnection& c = **conn;
    if (auto begun = c.Run(db_->BeginStatement(), {}); !begun) return Fail(begun.error());
    std::optional<Result<T>> out;
    {
        Bind bind(this, c);
        out.emplace(body(c));
    }
    if (!*out) {
        (void)c.Run("ROLLBACK", {});
        return std::move(*out);
    }
    if (auto committed = c.Run("COMMIT", {}); !committed) {
        (void)c.Run("ROLLBACK", {});
        return Fail(committed.error());
    }
    return std::move(*out);
}

}  // namespace haven::storage
