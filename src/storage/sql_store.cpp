#include "storage/sql_store.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <ctime>
#include <utility>

#include <spdlog/spdlog.h>

#include "core/time.hpp"
#include "storage/group_commit.hpp"
#include "storage/migrations.hpp"

namespace haven::storage {

using core::ErrorCode;
using core::Fail;

namespace {

constexpr int kMaxListLimit = 200;
/// Ids per LinkedTransferTotals statement (a page holds at most kMaxListLimit; larger asks are split).
constexpr size_t kTotalsChunk = 256;

constexpr const char* kUserCols = "id, agency_id, email, password_hash, role, created_at";
constexpr const char* kLeaseCols =
    "id, agency_id, tenant_name, phone_number, unit, monthly_rent, account_reference, external_id, created_at";
constexpr const char* kStkCols =
    "id, agency_id, lease_id, user_id, phone_number, amount, account_reference, transaction_desc, "
    "merchant_request_id, checkout_request_id, status, result_code, result_desc, mpesa_receipt_number, "
    "transaction_date, created_at, updated_at, attempts, last_error, next_attempt_at, paid_amount, review_reason, "
    "completed_at";
constexpr const char* kTransferCols =
    "id, agency_id, user_id, kind, type, command_id, phone_number, amount, remarks, occasion, reason, "
    "original_transaction_id, original_receipt, originator_conversation_id, conversation_id, status, result_code, "
    "result_desc, mpesa_receipt_number, created_at, updated_at, attempts, last_error, next_attempt_at, review_reason, "
    "completed_at";
constexpr const char* kBalanceCols =
    "id, agency_id, user_id, originator_conversation_id, conversation_id, status, result_code, result_desc, "
    "accounts, created_at, updated_at";
constexpr const char* kStatusQueryCols =
    "id, agency_id, user_id, transaction_id, receipt, originator_conversation_id, conversation_id, status, "
    "result_code, result_desc, transaction_status, created_at, updated_at";
constexpr const char* kReviewCols =
    "id, agency_id, transaction_id, inbound_id, reason_code, reason, status, resolution, resolved_by, created_at, "
    "resolved_at";
constexpr const char* kPaymentCols =
    "id, agency_id, lease_id, transaction_id, amount, mpesa_receipt_number, phone_number, paid_at";

std::string Cat(std::initializer_list<std::string_view> parts) {
    std::string out;
    for (std::string_view p : parts) out.append(p);
    return out;
}

const char* RoleText(core::Role role) {
    switch (role) {
        case core::Role::kAdmin:
            return "admin";
        case core::Role::kManager:
            return "manager";
        case core::Role::kViewer:
            return "viewer";
    }
    return "viewer";
}

core::Role RoleFromText(std::string_view text) {
    if (text == "admin") return core::Role::kAdmin;
    if (text == "manager") return core::Role::kManager;
    return core::Role::kViewer;
}

const char* StatusText(core::TxStatus status) {
    switch (status) {
        case core::TxStatus::kPending:
            return "PENDING";
        case core::TxStatus::kSuccess:
            return "SUCCESS";
        case core::TxStatus::kFailed:
            return "FAILED";
    }
    return "PENDING";
}

core::TxStatus StatusFromText(std::string_view text) {
    if (text == "SUCCESS") return core::TxStatus::kSuccess;
    if (text == "FAILED") return core::TxStatus::kFailed;
    return core::TxStatus::kPending;
}

SqlParam OptText(const std::string& s) {
    if (s.empty()) return std::monostate{};
    return s;
}

SqlParam OptInt(const std::optional<int64_t>& v) {
    if (!v) return std::monostate{};
    return *v;
}

/// Typed access to a text row.
class RowReader {
public:
    explicit RowReader(const SqlRow& row) : row_(row) {}
    std::string Text() {
        const auto& v = row_.at(i_++);
        return v ? *v : std::string();
    }
    std::optional<int64_t> OptInt() {
        const auto& v = row_.at(i_++);
        if (!v || v->empty()) return std::nullopt;
        int64_t out = 0;
        std::from_chars(v->data(), v->data() + v->size(), out);
        return out;
    }
    int64_t Int() { return OptInt().value_or(0); }
    /// attempts, last_error, next_attempt_at: the reconciler's columns, in that order.
    core::Reconciliation Reconciliation() {
        core::Reconciliation out;
        out.attempts = Int();
        out.last_error = Text();
        out.next_attempt_at = Text();
        return out;
    }

private:
    const SqlRow& row_;
    size_t i_ = 0;
};

core::Agency ReadAgency(const SqlRow& row) {
    RowReader r(row);
    core::Agency a;
    a.id = r.Int();
    a.name = r.Text();
    return a;
}

core::User ReadUser(const SqlRow& row) {
    RowReader r(row);
    core::User u;
    u.id = r.Int();
    u.agency_id = r.Int();
    u.email = r.Text();
    u.password_hash = r.Text();
    u.role = RoleFromText(r.Text());
    u.created_at = r.Text();
    return u;
}

core::Lease ReadLease(const SqlRow& row) {
    RowReader r(row);
    core::Lease l;
    l.id = r.Int();
    l.agency_id = r.Int();
    l.tenant_name = r.Text();
    l.phone_number = r.Text();
    l.unit = r.Text();
    l.monthly_rent = r.Int();
    l.account_reference = r.Text();
    l.external_id = r.Text();
    l.created_at = r.Text();
    return l;
}

core::StkTransaction ReadStk(const SqlRow& row) {
    RowReader r(row);
    core::StkTransaction t;
    t.id = r.Int();
    t.agency_id = r.Int();
    t.lease_id = r.OptInt();
    t.user_id = r.OptInt();
    t.phone_number = r.Text();
    t.amount = r.Int();
    t.account_reference = r.Text();
    t.transaction_desc = r.Text();
    t.merchant_request_id = r.Text();
    t.checkout_request_id = r.Text();
    t.status = StatusFromText(r.Text());
    t.result_code = r.OptInt();
    t.result_desc = r.Text();
    t.mpesa_receipt_number = r.Text();
    t.transaction_date = r.Text();
    t.created_at = r.Text();
    t.updated_at = r.Text();
    t.reconciliation = r.Reconciliation();
    t.paid_amount = r.OptInt();
    t.review_reason = r.Text();
    t.completed_at = r.Text();
    return t;
}

core::Payment ReadPayment(const SqlRow& row) {
    RowReader r(row);
    core::Payment p;
    p.id = r.Int();
    p.agency_id = r.Int();
    p.lease_id = r.Int();
    p.transaction_id = r.Int();
    p.amount = r.Int();
    p.mpesa_receipt_number = r.Text();
    p.phone_number = r.Text();
    p.paid_at = r.Text();
    return p;
}

Transfer ReadTransfer(const SqlRow& row) {
    RowReader r(row);
    Transfer t;
    t.id = r.Int();
    t.agency_id = r.Int();
    t.user_id = r.OptInt();
    t.kind = r.Text();
    t.type = r.Text();
    t.command_id = r.Text();
    t.phone_number = r.Text();
    t.amount = r.Int();
    t.remarks = r.Text();
    t.occasion = r.Text();
    t.reason = r.Text();
    t.original_transaction_id = r.OptInt();
    t.original_receipt = r.Text();
    t.originator_conversation_id = r.Text();
    t.conversation_id = r.Text();
    t.status = StatusFromText(r.Text());
    t.result_code = r.Text();
    t.result_desc = r.Text();
    t.mpesa_receipt_number = r.Text();
    t.created_at = r.Text();
    t.updated_at = r.Text();
    t.reconciliation = r.Reconciliation();
    t.review_reason = r.Text();
    t.completed_at = r.Text();
    return t;
}

ReviewItem ReadReview(const SqlRow& row) {
    RowReader r(row);
    ReviewItem i;
    i.id = r.Int();
    i.agency_id = r.OptInt();
    i.transaction_id = r.OptInt();
    i.inbound_id = r.OptInt();
    i.reason_code = r.Text();
    i.reason = r.Text();
    i.status = r.Text();
    i.resolution = r.Text();
    i.resolved_by = r.Text();
    i.created_at = r.Text();
    i.resolved_at = r.Text();
    return i;
}

BalanceCheck ReadBalance(const SqlRow& row) {
    RowReader r(row);
    BalanceCheck b;
    b.id = r.Int();
    b.agency_id = r.Int();
    b.user_id = r.OptInt();
    b.originator_conversation_id = r.Text();
    b.conversation_id = r.Text();
    b.status = StatusFromText(r.Text());
    b.result_code = r.Text();
    b.result_desc = r.Text();
    b.accounts = r.Text();
    if (b.accounts.empty()) b.accounts = "[]";
    b.created_at = r.Text();
    b.updated_at = r.Text();
    return b;
}

StatusQuery ReadStatusQuery(const SqlRow& row) {
    RowReader r(row);
    StatusQuery q;
    q.id = r.Int();
    q.agency_id = r.Int();
    q.user_id = r.OptInt();
    q.transaction_id = r.OptInt();
    q.receipt = r.Text();
    q.originator_conversation_id = r.Text();
    q.conversation_id = r.Text();
    q.status = StatusFromText(r.Text());
    q.result_code = r.Text();
    q.result_desc = r.Text();
    q.transaction_status = r.Text();
    q.created_at = r.Text();
    q.updated_at = r.Text();
    return q;
}

core::TxEvent ReadEvent(const SqlRow& row) {
    RowReader r(row);
    core::TxEvent e;
    e.id = r.Int();
    e.kind = r.Text();
    e.payload = r.Text();
    e.created_at = r.Text();
    return e;
}

template <class T, class Reader>
Result<T> One(Result<SqlResult> res, Reader read, const char* what) {
    if (!res) return Fail(res.error());
    if (res->rows.empty()) return Fail(ErrorCode::kNotFound, std::string(what) + " not found");
    return read(res->rows.front());
}

template <class T, class Reader>
Result<std::vector<T>> Many(Result<SqlResult> res, Reader read) {
    if (!res) return Fail(res.error());
    std::vector<T> out;
    out.reserve(res->rows.size());
    for (const SqlRow& row : res->rows) out.push_back(read(row));
    return out;
}

int64_t ReadInt(const SqlRow& row) { return RowReader(row).Int(); }

/// Ok once the statement ran; its rows are not wanted.
Result<void> Done(const Result<SqlResult>& res) {
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

template <class T, class RunFn>
Result<T> MarkRejected(RunFn&& run, const RequestTable<T>& t, int64_t id, const std::string& result_desc) {
    return ApplyOnce<T>(run,
                        {Cat({"UPDATE ", t.table, " SET status = 'FAILED', result_desc = ?, updated_at = ?, completed_at = ? "
                              "WHERE id = ? AND status = 'PENDING' RETURNING ",
                              t.cols}),
                         {OptText(result_desc), NowIso8601(), NowIso8601(), id}},
                        {Cat({"SELECT ", t.cols, " FROM ", t.table, " WHERE id = ?"}), {id}}, t.read, t.what)
        .map([](std::pair<bool, T>&& p) { return std::move(p.second); });
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

const RequestTable<core::StkTransaction> kStkTable{"stk_transactions", kStkCols, ReadStk, "transaction"};
const RequestTable<Transfer> kTransferTable{"transfers", kTransferCols, ReadTransfer, "transfer"};
const QueryTable<BalanceCheck> kBalanceTable{"balance_checks", kBalanceCols, ReadBalance, "balance check",
                                             "accounts = COALESCE(?, accounts)"};
const QueryTable<StatusQuery> kStatusQueryTable{"status_queries", kStatusQueryCols, ReadStatusQuery, "status query",
                                                "transaction_status = ?"};

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
         {std::string(StatusText(outcome.status)), OptText(outcome.result_code), OptText(outcome.result_desc),
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

std::optional<std::string> StatusParam(const std::optional<core::TxStatus>& status) {
    if (!status) return std::nullopt;
    return std::string(StatusText(*status));
}

/// The filters every list page ends with (phone, created_at and completed_at ranges, id cursor), then newest first, at most
/// the (clamped) limit.
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
std::string LikePrefix(std::string_view prefix) {
    std::string out;
    for (char c : prefix) {
        if (c == '%' || c == '_' || c == '\\') out.push_back('\\');
        out.push_back(c);
    }
    out.push_back('%');
    return out;
}

/// Links an idempotency key to the transaction row its request created (same database transaction).
Result<void> LinkIdempotencyKey(SqlConnection& c, const std::optional<IdempotencyRef>& key, int64_t transaction_id) {
    if (!key) return {};
    return Done(c.Run("UPDATE idempotency_keys SET transaction_id = ? WHERE agency_id = ? AND scope = ? AND key = ?",
                      {transaction_id, key->agency_id, key->scope, key->key}));
}

/// now + seconds as ISO-8601 UTC.
std::string IsoIn(int64_t seconds) {
    return core::IsoUtc(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
}

}  // namespace

std::string NowIso8601() {
    std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm tm{};
    gmtime_r(&now, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

namespace {

/// The unit of work a thread is running: the store it belongs to, its connection and how deeply its
/// savepoints nest. Every store call of that thread goes to that connection (the unit's writes are not
/// visible on any other connection before the commit, and SQLite's one writer connection is held).
struct CurrentUnit {
    const SqlStore* store = nullptr;
    SqlConnection* conn = nullptr;
    int depth = 0;
};
thread_local CurrentUnit t_unit;

}  // namespace

class SqlStore::Bind {
public:
    Bind(const SqlStore* store, SqlConnection& c) : saved_(t_unit) { t_unit = {store, &c, 0}; }
    ~Bind() { t_unit = saved_; }
    Bind(const Bind&) = delete;
    Bind& operator=(const Bind&) = delete;

private:
    CurrentUnit saved_;
};

SqlStore::SqlStore(std::unique_ptr<SqlDatabase> db, bool group_commit)
    : db_(std::move(db)),
      committer_(group_commit ? std::make_unique<GroupCommitter>(*db_, db_->Backend() == "postgres"
                                                                          ? GroupCommitter::kPostgresWriters
                                                                          : GroupCommitter::kSqliteWriters)
                              : nullptr),
      statement_atomic_(db_->Backend() == "sqlite") {}

SqlStore::~SqlStore() = default;

SqlConnection* SqlStore::Current() const { return t_unit.store == this ? t_unit.conn : nullptr; }

Result<SqlResult> SqlStore::Run(const std::string& sql, const SqlParams& params) {
    // In a unit, a statement gets its own savepoint on PostgreSQL: a failed statement would otherwise abort
    // the whole transaction, and the unit may go on after a refused write. SQLite undoes a failed statement
    // by itself and the transaction goes on, so there the statement runs as it is (two fewer per write).
    if (SqlConnection* c = Current(); c && statement_atomic_) return c->Run(sql, params);
    if (committer_ || Current()) {
        return InTransaction<SqlResult>([&](SqlConnection& c) { return c.Run(sql, params); });
    }
    auto conn = db_->Acquire();
    if (!conn) return Fail(conn.error());
    return (*conn)->Run(sql, params);
}

Result<SqlResult> SqlStore::RunRead(const std::string& sql, const SqlParams& params) {
    if (SqlConnection* c = Current()) return c->Run(sql, params);  // sees the unit's own writes
    auto conn = db_->AcquireReader();
    if (!conn) return Fail(conn.error());
    return (*conn)->Run(sql, params);
}

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

Result<void> SqlStore::Atomically(const UnitOfWork& fn) {
    auto done = InTransaction<bool>([&](SqlConnection&) -> Result<bool> {
        if (auto r = fn(*this); !r) return Fail(r.error());
        return true;
    });
    if (!done) return Fail(done.error());
    return {};
}

void SqlStore::AtomicallyAsync(UnitOfWork fn, std::function<void(Result<void>)> done) {
    if (!committer_ || Current()) {
        done(Atomically(fn));
        return;
    }
    committer_->SubmitAsync(
        [this, fn = std::move(fn)](SqlConnection& c) -> Result<void> {
            Bind bind(this, c);
            return fn(*this);
        },
        std::move(done));
}

void SqlStore::SetCompletionExecutor(Executor executor) {
    if (committer_) committer_->SetCompletionExecutor(std::move(executor));
}

// ---------------------------------------------------------------------------------------------- migrations

Result<int> SqlStore::Migrate() {
    auto handle = db_->Acquire();
    if (!handle) return Fail(handle.error());
    SqlConnection& c = **handle;
    if (auto locked = db_->LockForMigration(c); !locked) return Fail(locked.error());
    struct Unlock {
        SqlDatabase& db;
        SqlConnection& c;
        ~Unlock() { db.UnlockAfterMigration(c); }
    } unlock{*db_, c};

    auto created = c.RunScript(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
        "applied_at TEXT NOT NULL)");
    if (!created) return Fail(created.error());
    auto applied = c.Run("SELECT version FROM schema_migrations", {});
    if (!applied) return Fail(applied.error());
    std::vector<int64_t> done;
    for (const SqlRow& row : applied->rows) done.push_back(RowReader(row).Int());

    int count = 0;
    for (const Migration& m : MigrationsFor(db_->Backend())) {
        if (std::find(done.begin(), done.end(), m.version) != done.end()) continue;
        if (auto r = c.Run(db_->BeginStatement(), {}); !r) return Fail(r.error());
        auto script = c.RunScript(m.sql);
        Result<SqlResult> recorded = script ? c.Run("INSERT INTO schema_migrations (version, name, applied_at) "
                                                    "VALUES (?, ?, ?)",
                                                    {int64_t{m.version}, std::string(m.name), NowIso8601()})
                                            : Result<SqlResult>(Fail(script.error()));
        if (recorded) recorded = c.Run("COMMIT", {});
        if (!recorded) {
            (void)c.Run("ROLLBACK", {});
            spdlog::error("storage: migration {} failed: {}", m.name, recorded.error().message);
            return Fail(ErrorCode::kInternal, "database migration " + std::string(m.name) + " failed");
        }
        spdlog::info("storage: applied migration {}/{}", db_->Backend(), m.name);
        ++count;
    }
    return count;
}

// ---------------------------------------------------------------------------------------------- agencies, users

Result<core::Agency> SqlStore::FindOrCreateAgency(const std::string& name) {
    auto ins = Run("INSERT INTO agencies (name, created_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
                   {name, NowIso8601()});
    if (!ins) return Fail(ins.error());
    return One<core::Agency>(Run("SELECT id, name FROM agencies WHERE name = ?", {name}), ReadAgency, "agency");
}

Result<core::Agency> SqlStore::FindAgency(int64_t id) {
    return One<core::Agency>(RunRead("SELECT id, name FROM agencies WHERE id = ?", {id}), ReadAgency, "agency");
}

Result<core::User> SqlStore::InsertUser(const core::User& user) {
    auto res = Run(Cat({"INSERT INTO users (agency_id, email, password_hash, role, created_at) VALUES (?, ?, ?, ?, ?) "
                        "RETURNING ",
                        kUserCols}),
                   {user.agency_id, user.email, user.password_hash, std::string(RoleText(user.role)), NowIso8601()});
    if (!res && res.error().code == ErrorCode::kConflict) {
        return Fail(ErrorCode::kConflict, "a user with this email already exists");
    }
    return One<core::User>(std::move(res), ReadUser, "user");
}

Result<core::User> SqlStore::FindUserByEmail(const std::string& email) {
    return One<core::User>(RunRead(Cat({"SELECT ", kUserCols, " FROM users WHERE lower(email) = lower(?)"}), {email}),
                           ReadUser, "user");
}

Result<core::User> SqlStore::FindUserById(int64_t id) {
    return One<core::User>(RunRead(Cat({"SELECT ", kUserCols, " FROM users WHERE id = ?"}), {id}), ReadUser, "user");
}

Result<core::User> SqlStore::UpdateUserPassword(int64_t id, const std::string& hash, core::Role role) {
    return One<core::User>(
        Run(Cat({"UPDATE users SET password_hash = ?, role = ? WHERE id = ? RETURNING ", kUserCols}),
            {hash, std::string(RoleText(role)), id}),
        ReadUser, "user");
}

// ---------------------------------------------------------------------------------------------- leases, payments

Result<core::Lease> SqlStore::InsertLease(const core::Lease& lease) {
    auto inserted = One<core::Lease>(
        Run(Cat({"INSERT INTO leases (agency_id, tenant_name, phone_number, unit, monthly_rent, account_reference, "
                 "external_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING ",
                 kLeaseCols}),
            {lease.agency_id, lease.tenant_name, lease.phone_number, lease.unit, lease.monthly_rent,
             lease.account_reference, OptText(lease.external_id), NowIso8601()}),
        ReadLease, "lease");
    if (!inserted && inserted.error().code == ErrorCode::kConflict) {
        return Fail(ErrorCode::kConflict, "another lease of this agency already has externalId '" +
                                              lease.external_id + "'");
    }
    return inserted;
}

Result<core::Lease> SqlStore::FindLeaseByExternalId(int64_t agency_id, const std::string& external_id) {
    return One<core::Lease>(RunRead(Cat({"SELECT ", kLeaseCols, " FROM leases WHERE agency_id = ? AND external_id = ?"}),
                                    {agency_id, external_id}),
                            ReadLease, "lease");
}

Result<Store::LeaseUpsert> SqlStore::UpsertLeaseByExternalId(const core::Lease& lease) {
    if (lease.external_id.empty()) return Fail(ErrorCode::kValidation, "externalId is required");
    auto attempt = [&]() {
        return InTransaction<LeaseUpsert>([&](SqlConnection& c) -> Result<LeaseUpsert> {
            auto updated = One<core::Lease>(
                c.Run(Cat({"UPDATE leases SET tenant_name = ?, phone_number = ?, unit = ?, monthly_rent = ?, "
                           "account_reference = ? WHERE agency_id = ? AND external_id = ? RETURNING ",
                           kLeaseCols}),
                      {lease.tenant_name, lease.phone_number, lease.unit, lease.monthly_rent, lease.account_reference,
                       lease.agency_id, lease.external_id}),
                ReadLease, "lease");
            if (updated) return LeaseUpsert{*updated, false};
            if (updated.error().code != ErrorCode::kNotFound) return Fail(updated.error());
            auto inserted = One<core::Lease>(
                c.Run(Cat({"INSERT INTO leases (agency_id, tenant_name, phone_number, unit, monthly_rent, "
                           "account_reference, external_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING ",
                           kLeaseCols}),
                      {lease.agency_id, lease.tenant_name, lease.phone_number, lease.unit, lease.monthly_rent,
                       lease.account_reference, lease.external_id, NowIso8601()}),
                ReadLease, "lease");
            if (!inserted) return Fail(inserted.error());
            return LeaseUpsert{*inserted, true};
        });
    };
    auto out = attempt();
    // Two first syncs of the same lease at once: the unique index lets one insert; the other updates it.
    if (!out && out.error().code == ErrorCode::kConflict) out = attempt();
    return out;
}

Result<core::Lease> SqlStore::FindLease(int64_t agency_id, int64_t id) {
    return One<core::Lease>(
        RunRead(Cat({"SELECT ", kLeaseCols, " FROM leases WHERE agency_id = ? AND id = ?"}), {agency_id, id}),
        ReadLease, "lease");
}

Result<std::vector<core::Lease>> SqlStore::ListLeases(int64_t agency_id) {
    return Many<core::Lease>(
        RunRead(Cat({"SELECT ", kLeaseCols, " FROM leases WHERE agency_id = ? ORDER BY id"}), {agency_id}), ReadLease);
}

Result<std::vector<core::Payment>> SqlStore::ListPayments(int64_t agency_id, std::optional<int64_t> lease_id) {
    if (lease_id) {
        return Many<core::Payment>(
            RunRead(Cat({"SELECT ", kPaymentCols,
                         " FROM payments WHERE agency_id = ? AND lease_id = ? ORDER BY id DESC"}),
                    {agency_id, *lease_id}),
            ReadPayment);
    }
    return Many<core::Payment>(
        RunRead(Cat({"SELECT ", kPaymentCols, " FROM payments WHERE agency_id = ? ORDER BY id DESC"}), {agency_id}),
        ReadPayment);
}

// ---------------------------------------------------------------------------------------------- STK transactions

Result<core::StkTransaction> SqlStore::InsertStk(const core::StkTransaction& tx, const std::optional<IdempotencyRef>& key) {
    // created_at may be given (imports, tests); otherwise it is now.
    std::string created = tx.created_at.empty() ? NowIso8601() : tx.created_at;
    return InTransaction<core::StkTransaction>([&](SqlConnection& c) -> Result<core::StkTransaction> {
        // The id comes from the space shared by every kind of transaction (B2C, reversals).
        auto id = One<int64_t>(c.Run("INSERT INTO transaction_ids (kind, created_at) VALUES ('stk', ?) RETURNING id",
                                     {created}),
                               ReadInt, "transaction id");
        if (!id) return Fail(id.error());
        if (auto linked = LinkIdempotencyKey(c, key, *id); !linked) return Fail(linked.error());
        return One<core::StkTransaction>(
            c.Run(Cat({"INSERT INTO stk_transactions (id, agency_id, lease_id, user_id, phone_number, amount, "
                       "account_reference, transaction_desc, merchant_request_id, checkout_request_id, status, "
                       "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'PENDING', ?, ?) RETURNING ",
                       kStkCols}),
                  {*id, tx.agency_id, OptInt(tx.lease_id), OptInt(tx.user_id), tx.phone_number, tx.amount,
                   tx.account_reference, tx.transaction_desc, OptText(tx.merchant_request_id),
                   OptText(tx.checkout_request_id), created, created}),
            ReadStk, "transaction");
    });
}

Result<core::StkTransaction> SqlStore::SetStkDarajaIds(int64_t id, const std::string& merchant_request_id,
                                                       const std::string& checkout_request_id) {
    return One<core::StkTransaction>(
        Run(Cat({"UPDATE stk_transactions SET merchant_request_id = ?, checkout_request_id = ?, updated_at = ? "
                 "WHERE id = ? RETURNING ",
                 kStkCols}),
            {OptText(merchant_request_id), OptText(checkout_request_id), NowIso8601(), id}),
        ReadStk, "transaction");
}

Result<core::StkTransaction> SqlStore::MarkStkRejected(int64_t id, const std::string& result_desc) {
    // Already final: left untouched, returned as it is.
    return MarkRejected(Pooled(), kStkTable, id, result_desc);
}

Result<core::StkTransaction> SqlStore::FindStk(int64_t agency_id, int64_t id) {
    return One<core::StkTransaction>(
        RunRead(Cat({"SELECT ", kStkCols, " FROM stk_transactions WHERE agency_id = ? AND id = ?"}), {agency_id, id}),
        ReadStk, "transaction");
}

Result<core::StkTransaction> SqlStore::FindStkByCheckoutId(int64_t agency_id, const std::string& checkout_id) {
    return One<core::StkTransaction>(
        RunRead(Cat({"SELECT ", kStkCols, " FROM stk_transactions WHERE agency_id = ? AND checkout_request_id = ?"}),
            {agency_id, checkout_id}),
        ReadStk, "transaction");
}

Result<core::StkTransaction> SqlStore::FindStkByCheckoutIdAnyAgency(const std::string& checkout_id) {
    // On the writer, not a reader: a callback can race the commit of the ids it names (SetStkDarajaIds), and
    // queueing behind the writer's lock, as before the reader pool, keeps that window as small as it was.
    return One<core::StkTransaction>(
        Run(Cat({"SELECT ", kStkCols, " FROM stk_transactions WHERE checkout_request_id = ?"}), {checkout_id}),
        ReadStk, "transaction");
}

Result<std::vector<core::StkTransaction>> SqlStore::ListStk(const StkFilter& filter) {
    std::string sql = Cat({"SELECT ", kStkCols, " FROM stk_transactions WHERE agency_id = ?"});
    SqlParams params{filter.agency_id};
    AndIf(sql, params, " AND status = ?", StatusParam(filter.status));
    AndIf(sql, params, " AND lease_id = ?", filter.lease_id);
    FinishListQuery(sql, params, filter);
    return Many<core::StkTransaction>(RunRead(sql, params), ReadStk);
}

Result<std::vector<core::StkTransaction>> SqlStore::ListStkAwaitingIds(const std::string& phone_number,
                                                                       int64_t amount, const std::string& from,
                                                                       const std::string& to) {
    return Many<core::StkTransaction>(
        Run(Cat({"SELECT ", kStkCols,
                 " FROM stk_transactions WHERE status = 'PENDING' AND checkout_request_id IS NULL "
                 "AND phone_number = ? AND amount = ? AND created_at >= ? AND created_at < ? ORDER BY id LIMIT 10"}),
            {phone_number, amount, from, to}),
        ReadStk);
}

Result<ApplyResult> SqlStore::ApplyStkOutcome(const std::string& checkout_id, const StkOutcome& outcome) {
    if (outcome.status == core::TxStatus::kPending) {
        return Fail(ErrorCode::kValidation, "an STK outcome must be SUCCESS or FAILED");
    }
    if (checkout_id.empty()) return Fail(ErrorCode::kNotFound, "transaction not found");
    return InTransaction<ApplyResult>([&](SqlConnection& c) -> Result<ApplyResult> {
        // The conditional UPDATE is the guard: only one caller can move the row out of PENDING
        // (PostgreSQL re-checks the WHERE clause after waiting on the row lock).
        std::string now = NowIso8601();
        auto applied = ApplyOnce<core::StkTransaction>(
            std::bind_front(&SqlConnection::Run, &c),
            {Cat({"UPDATE stk_transactions SET status = ?, result_code = ?, result_desc = ?, "
                  "mpesa_receipt_number = ?, transaction_date = ?, paid_amount = ?, updated_at = ?, completed_at = ?, "
                  "claimed_by = NULL, claimed_until = NULL "
                  "WHERE checkout_request_id = ? AND status = 'PENDING' RETURNING ",
                  kStkCols}),
             {std::string(StatusText(outcome.status)), outcome.result_code, OptText(outcome.result_desc),
              OptText(outcome.mpesa_receipt_number), OptText(outcome.transaction_date),
              outcome.status == core::TxStatus::kSuccess ? OptInt(outcome.paid_amount) : SqlParam{}, now, now,
              checkout_id}},
            {Cat({"SELECT ", kStkCols, " FROM stk_transactions WHERE checkout_request_id = ?"}), {checkout_id}},
            ReadStk, "transaction");
        if (!applied) return Fail(applied.error());
        ApplyResult result;
        result.applied = applied->first;
        result.transaction = std::move(applied->second);
        if (!result.applied) return result;
        const core::StkTransaction& tx = result.transaction;
        if (outcome.status == core::TxStatus::kSuccess && tx.lease_id) {
            auto payment = One<core::Payment>(
                c.Run(Cat({"INSERT INTO payments (agency_id, lease_id, transaction_id, amount, mpesa_receipt_number, "
                           "phone_number, paid_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING ",
                           kPaymentCols}),
                      {tx.agency_id, *tx.lease_id, tx.id, tx.paid_amount.value_or(tx.amount),
                       OptText(outcome.mpesa_receipt_number), tx.phone_number, now}),
                ReadPayment, "payment");
            if (!payment) return Fail(payment.error());
            result.payment = std::move(*payment);
        }
        return result;
    });
}

// ---------------------------------------------------------------------------------------------- timeline, callbacks

Result<void> SqlStore::AddStkEvent(int64_t transaction_id, const std::string& kind, const std::string& payload) {
    return Done(Run("INSERT INTO stk_events (transaction_id, kind, payload, created_at) VALUES (?, ?, ?, ?)",
                    {transaction_id, kind, payload, NowIso8601()}));
}

Result<std::vector<core::TxEvent>> SqlStore::ListStkEvents(int64_t transaction_id) {
    return Many<core::TxEvent>(
        RunRead("SELECT id, kind, payload, created_at FROM stk_events WHERE transaction_id = ? ORDER BY id",
            {transaction_id}),
        ReadEvent);
}

Result<void> SqlStore::InsertUnmatchedCallback(const std::string& kind, const std::string& reference,
                                               const std::string& payload) {
    return Done(Run("INSERT INTO unmatched_callbacks (kind, reference, payload, received_at) VALUES (?, ?, ?, ?)",
                    {kind, reference, payload, NowIso8601()}));
}

Result<int64_t> SqlStore::CountUnmatchedCallbacks(const std::string& reference) {
    return One<int64_t>(RunRead("SELECT COUNT(*) FROM unmatched_callbacks WHERE reference = ?", {reference}),
                        ReadInt, "count");
}

Result<std::vector<std::string>> SqlStore::ListUnmatchedCallbacks(const std::string& kind,
                                                                  const std::string& reference) {
    // The writer connection: this read races a callback being stored right now and must see it.
    return Many<std::string>(
        Run("SELECT payload FROM unmatched_callbacks WHERE kind = ? AND reference = ? ORDER BY id", {kind, reference}),
        [](const SqlRow& row) { return RowReader(row).Text(); });
}

Result<void> SqlStore::DeleteUnmatchedCallbacks(const std::string& kind, const std::string& reference) {
    return Done(Run("DELETE FROM unmatched_callbacks WHERE kind = ? AND reference = ?", {kind, reference}));
}

// ---------------------------------------------------------------------------------------------- idempotency

Result<IdempotencyRecord> SqlStore::ClaimIdempotencyKey(int64_t agency_id, const std::string& scope,
                                                        const std::string& key, const std::string& request_hash,
                                                        int64_t claim_seconds) {
    // A claim released between our INSERT and SELECT is claimed again: retry a few times.
    for (int attempt = 0; attempt < 3; ++attempt) {
        const std::string now = NowIso8601();
        auto ins = Run("INSERT INTO idempotency_keys (agency_id, scope, key, request_hash, created_at, claimed_until) "
                       "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (agency_id, scope, key) DO NOTHING",
                       {agency_id, scope, key, request_hash, now, IsoIn(claim_seconds)});
        if (!ins) return Fail(ins.error());
        if (ins->affected == 1) return IdempotencyRecord{IdempotencyState::kNew, 0, {}, std::nullopt};
        auto row = Run("SELECT request_hash, status, body, claimed_until, transaction_id FROM idempotency_keys "
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
        auto taken = Run("UPDATE idempotency_keys SET claimed_until = ? WHERE agency_id = ? AND scope = ? AND key = ? "
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

Result<void> SqlStore::ReleaseIdempotencyKey(int64_t agency_id, const std::string& scope, const std::string& key) {
    // Only an unfinished claim is released; a stored answer stays.
    return Done(Run("DELETE FROM idempotency_keys WHERE agency_id = ? AND scope = ? AND key = ? AND status IS NULL",
                    {agency_id, scope, key}));
}

// ---------------------------------------------------------------------------------------------- audit

Result<void> SqlStore::InsertAudit(const core::AuditEntry& entry) {
    return Done(Run("INSERT INTO audit_log (agency_id, actor_user_id, actor, action, target, request_id, outcome, at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    {OptInt(entry.agency_id), OptInt(entry.actor_user_id), entry.actor, entry.action, entry.target,
                     entry.request_id, entry.outcome, NowIso8601()}));
}

Result<int64_t> SqlStore::CountAudit(const std::string& action, const std::string& outcome_prefix) {
    return One<int64_t>(RunRead("SELECT COUNT(*) FROM audit_log WHERE action = ? AND outcome LIKE ? ESCAPE '\\'",
                            {action, LikePrefix(outcome_prefix)}),
                        ReadInt, "count");
}

// ---------------------------------------------------------------------------------------------- transfers

Result<std::string> SqlStore::FindTransactionKind(int64_t agency_id, int64_t id) {
    auto kind = One<std::string>(RunRead("SELECT kind FROM transaction_ids WHERE id = ?", {id}),
                                 [](const SqlRow& row) { return RowReader(row).Text(); }, "transaction");
    if (!kind) return kind;
    // The agency check: another agency's transaction does not exist for the caller.
    const char* sql = *kind == "stk" ? "SELECT id FROM stk_transactions WHERE agency_id = ? AND id = ?"
                                     : "SELECT id FROM transfers WHERE agency_id = ? AND id = ?";
    auto found = RunRead(sql, {agency_id, id});
    if (!found) return Fail(found.error());
    if (found->rows.empty()) return Fail(ErrorCode::kNotFound, "transaction not found");
    return kind;
}

Result<Transfer> SqlStore::InsertTransfer(const Transfer& t, const std::optional<IdempotencyRef>& key) {
    if (t.kind != "b2c" && t.kind != "reversal") return Fail(ErrorCode::kValidation, "unknown transfer kind");
    if (t.kind == "reversal" && !t.original_transaction_id) {
        return Fail(ErrorCode::kValidation, "a reversal needs the original transaction");
    }
    const bool postgres = db_->Backend() == "postgres";
    return InTransaction<Transfer>([&](SqlConnection& c) -> Result<Transfer> {
        // SQLite: BEGIN IMMEDIATE already serialises writers. PostgreSQL: lock the original row so
        // concurrent refunds of one payment queue up behind each other and see each other's rows.
        std::string original_receipt = t.original_receipt;
        std::string phone = t.phone_number;
        if (t.original_transaction_id) {
            auto original = One<core::StkTransaction>(
                c.Run(Cat({"SELECT ", kStkCols, " FROM stk_transactions WHERE agency_id = ? AND id = ?",
                           postgres ? " FOR UPDATE" : ""}),
                      {t.agency_id, *t.original_transaction_id}),
                ReadStk, "original transaction");
            if (!original) return Fail(original.error());
            if (original->status != core::TxStatus::kSuccess) {
                return Fail(ErrorCode::kUnprocessable, t.kind == "reversal"
                                                           ? "only a successful payment can be reversed"
                                                           : "only a successful payment can be refunded");
            }
            auto used = c.Run("SELECT kind, COALESCE(SUM(amount), 0), COUNT(*) FROM transfers "
                              "WHERE original_transaction_id = ? AND status <> 'FAILED' GROUP BY kind",
                              {*t.original_transaction_id});
            if (!used) return Fail(used.error());
            int64_t refunded = 0;
            int64_t reversals = 0;
            for (const SqlRow& row : used->rows) {
                RowReader r(row);
                std::string kind = r.Text();
                int64_t sum = r.Int();
                int64_t count = r.Int();
                if (kind == "reversal") reversals += count;
                else refunded += sum;
            }
            if (reversals > 0) {
                return Fail(ErrorCode::kConflict, "this payment is already reversed (or a reversal is in progress)");
            }
            // The cap is what M-Pesa actually took, which may differ from what was asked.
            const int64_t left = original->paid_amount.value_or(original->amount) - refunded;
            if (t.amount > left) {
                return Fail(ErrorCode::kUnprocessable,
                            "the amount exceeds what is left of the payment (KES " + std::to_string(left) + ")");
            }
            if (t.kind == "reversal") {
                if (original->mpesa_receipt_number.empty()) {
                    return Fail(ErrorCode::kUnprocessable, "the payment has no M-Pesa receipt to reverse");
                }
                original_receipt = original->mpesa_receipt_number;
                phone = original->phone_number;
            }
        }
        std::string now = NowIso8601();
        auto id = One<int64_t>(c.Run("INSERT INTO transaction_ids (kind, created_at) VALUES (?, ?) RETURNING id",
                                     {t.kind, now}),
                               ReadInt, "transaction id");
        if (!id) return Fail(id.error());
        if (auto linked = LinkIdempotencyKey(c, key, *id); !linked) return Fail(linked.error());
        return One<Transfer>(
            c.Run(Cat({"INSERT INTO transfers (id, agency_id, user_id, kind, type, command_id, phone_number, amount, "
                       "remarks, occasion, reason, original_transaction_id, original_receipt, "
                       "originator_conversation_id, conversation_id, status, created_at, updated_at) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'PENDING', ?, ?) RETURNING ",
                       kTransferCols}),
                  {*id, t.agency_id, OptInt(t.user_id), t.kind, t.type, t.command_id, phone, t.amount, t.remarks,
                   OptText(t.occasion), OptText(t.reason), OptInt(t.original_transaction_id),
                   OptText(original_receipt), OptText(t.originator_conversation_id), OptText(t.conversation_id), now,
                   now}),
            ReadTransfer, "transfer");
    });
}

Result<Transfer> SqlStore::SetTransferDarajaIds(int64_t id, const std::string& originator_conversation_id,
                                                const std::string& conversation_id) {
    return One<Transfer>(
        Run(Cat({"UPDATE transfers SET originator_conversation_id = COALESCE(originator_conversation_id, ?), "
                 "conversation_id = ?, updated_at = ? WHERE id = ? RETURNING ",
                 kTransferCols}),
            {OptText(originator_conversation_id), OptText(conversation_id), NowIso8601(), id}),
        ReadTransfer, "transfer");
}

Result<Transfer> SqlStore::MarkTransferRejected(int64_t id, const std::string& result_desc) {
    return MarkRejected(Pooled(), kTransferTable, id, result_desc);
}

Result<Transfer> SqlStore::FindTransfer(int64_t agency_id, int64_t id) {
    return One<Transfer>(
        RunRead(Cat({"SELECT ", kTransferCols, " FROM transfers WHERE agency_id = ? AND id = ?"}), {agency_id, id}),
        ReadTransfer, "transaction");
}

Result<Transfer> SqlStore::FindTransferByConversationId(const std::string& conversation_id) {
    // On the writer, like FindStkByCheckoutIdAnyAgency: a Result can race SetTransferDarajaIds.
    if (conversation_id.empty()) return Fail(ErrorCode::kNotFound, "transaction not found");
    return One<Transfer>(Run(Cat({"SELECT ", kTransferCols,
                                  " FROM transfers WHERE conversation_id = ? OR originator_conversation_id = ? "
                                  "ORDER BY id LIMIT 1"}),
                             {conversation_id, conversation_id}),
                         ReadTransfer, "transaction");
}

Result<std::vector<Transfer>> SqlStore::ListTransfers(const TransferFilter& filter) {
    std::string sql = Cat({"SELECT ", kTransferCols, " FROM transfers WHERE agency_id = ?"});
    SqlParams params{filter.agency_id};
    AndIf(sql, params, " AND kind = ?", filter.kind);
    AndIf(sql, params, " AND status = ?", StatusParam(filter.status));
    FinishListQuery(sql, params, filter);
    return Many<Transfer>(RunRead(sql, params), ReadTransfer);
}

Result<std::vector<Transfer>> SqlStore::ListTransfersForOriginal(int64_t agency_id, int64_t original_id) {
    return Many<Transfer>(RunRead(Cat({"SELECT ", kTransferCols,
                                   " FROM transfers WHERE agency_id = ? AND original_transaction_id = ? ORDER BY id"}),
                              {agency_id, original_id}),
                          ReadTransfer);
}

Result<std::vector<TransferTotals>> SqlStore::LinkedTransferTotals(int64_t agency_id,
                                                                   const std::vector<int64_t>& original_ids) {
    std::vector<TransferTotals> out;
    out.reserve(original_ids.size());
    for (int64_t id : original_ids) out.push_back(TransferTotals{.original_id = id});
    // Failed transfers count for nothing, so SQL leaves them out. "+agency_id" keeps SQLite's planner (no
    // statistics) on transfers_original instead of walking every transfer of the agency. The IN list is padded to the next power of
    // two (repeating the last id), so a handful of statement texts serve every page size (SQLite caches them).
    for (size_t first = 0; first < original_ids.size(); first += kTotalsChunk) {
        const size_t n = std::min(kTotalsChunk, original_ids.size() - first);
        size_t padded = 1;
        while (padded < n) padded *= 2;
        std::string sql =
            "SELECT original_transaction_id, kind, status, COALESCE(SUM(amount), 0) FROM transfers "
            "WHERE +agency_id = ? AND status <> 'FAILED' AND original_transaction_id IN (?";
        SqlParams params{agency_id, original_ids[first]};
        for (size_t i = 1; i < padded; ++i) {
            sql += ", ?";
            params.emplace_back(original_ids[first + std::min(i, n - 1)]);
        }
        sql += ") GROUP BY original_transaction_id, kind, status";
        auto res = RunRead(sql, params);
        if (!res) return Fail(res.error());
        for (const SqlRow& row : res->rows) {
            RowReader r(row);
            const int64_t original_id = r.Int();
            const std::string kind = r.Text();
            const core::TxStatus status = StatusFromText(r.Text());
            const int64_t sum = r.Int();
            // Ids may repeat in the request: every entry for this id gets the totals.
            for (size_t i = first; i < first + n; ++i) {
                if (original_ids[i] != original_id) continue;
                if (kind == "reversal" && status == core::TxStatus::kSuccess) out[i].reversed = true;
                if (kind == "b2c") out[i].refunded += sum;
            }
        }
    }
    return out;
}

Result<TransferApplyResult> SqlStore::ApplyTransferOutcome(int64_t id, const TransferOutcome& outcome) {
    if (outcome.status == core::TxStatus::kPending) {
        return Fail(ErrorCode::kValidation, "a transfer outcome must be SUCCESS or FAILED");
    }
    auto applied = ApplyOnce<Transfer>(
        Pooled(),
        {Cat({"UPDATE transfers SET status = ?, result_code = ?, result_desc = ?, "
              "mpesa_receipt_number = ?, updated_at = ?, completed_at = ?, claimed_by = NULL, claimed_until = NULL "
              "WHERE id = ? AND status = 'PENDING' RETURNING ",
              kTransferCols}),
         {std::string(StatusText(outcome.status)), OptText(outcome.result_code), OptText(outcome.result_desc),
          OptText(outcome.mpesa_receipt_number), NowIso8601(), NowIso8601(), id}},
        {Cat({"SELECT ", kTransferCols, " FROM transfers WHERE id = ?"}), {id}}, ReadTransfer, "transaction");
    if (!applied) return Fail(applied.error());
    return TransferApplyResult{applied->first, std::move(applied->second)};
}

Result<void> SqlStore::AddTransferEvent(int64_t transfer_id, const std::string& kind, const std::string& payload) {
    return Done(Run("INSERT INTO transfer_events (transfer_id, kind, payload, created_at) VALUES (?, ?, ?, ?)",
                    {transfer_id, kind, payload, NowIso8601()}));
}

Result<std::vector<core::TxEvent>> SqlStore::ListTransferEvents(int64_t transfer_id) {
    return Many<core::TxEvent>(
        RunRead("SELECT id, kind, payload, created_at FROM transfer_events WHERE transfer_id = ? ORDER BY id",
            {transfer_id}),
        ReadEvent);
}

// ---------------------------------------------------------------------------------------------- balance checks

Result<BalanceCheck> SqlStore::InsertBalanceCheck(const BalanceCheck& check) {
    std::string now = NowIso8601();
    return One<BalanceCheck>(
        Run(Cat({"INSERT INTO balance_checks (agency_id, user_id, status, accounts, created_at, updated_at) "
                 "VALUES (?, ?, 'PENDING', '[]', ?, ?) RETURNING ",
                 kBalanceCols}),
            {check.agency_id, OptInt(check.user_id), now, now}),
        ReadBalance, "balance check");
}

Result<BalanceCheck> SqlStore::SetBalanceCheckIds(int64_t id, const std::string& originator_conversation_id,
                                                  const std::string& conversation_id) {
    return SetQueryIds(Pooled(), kBalanceTable, id, originator_conversation_id,
                       conversation_id);
}

Result<std::pair<bool, BalanceCheck>> SqlStore::ApplyBalanceOutcome(const std::string& conversation_id,
                                                                    const QueryOutcome& outcome) {
    return ApplyQueryOutcome(Pooled(), kBalanceTable, conversation_id, outcome);
}

Result<BalanceCheck> SqlStore::FindLatestBalanceCheck(int64_t agency_id, bool successful_only) {
    return One<BalanceCheck>(RunRead(Cat({"SELECT ", kBalanceCols, " FROM balance_checks WHERE agency_id = ?",
                                      successful_only ? " AND status = 'SUCCESS'" : "", " ORDER BY id DESC LIMIT 1"}),
                                 {agency_id}),
                             ReadBalance, "balance check");
}

// ---------------------------------------------------------------------------------------------- status queries

Result<StatusQuery> SqlStore::InsertStatusQuery(const StatusQuery& q) {
    std::string now = NowIso8601();
    return One<StatusQuery>(
        Run(Cat({"INSERT INTO status_queries (agency_id, user_id, transaction_id, receipt, "
                 "originator_conversation_id, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'PENDING', ?, ?) "
                 "RETURNING ",
                 kStatusQueryCols}),
            {q.agency_id, OptInt(q.user_id), OptInt(q.transaction_id), OptText(q.receipt),
             OptText(q.originator_conversation_id), now, now}),
        ReadStatusQuery, "status query");
}

Result<StatusQuery> SqlStore::SetStatusQueryIds(int64_t id, const std::string& originator_conversation_id,
                                                const std::string& conversation_id) {
    return SetQueryIds(Pooled(), kStatusQueryTable, id, originator_conversation_id,
                       conversation_id);
}

Result<std::pair<bool, StatusQuery>> SqlStore::ApplyStatusOutcome(const std::string& conversation_id,
                                                                  const QueryOutcome& outcome) {
    return ApplyQueryOutcome(Pooled(), kStatusQueryTable, conversation_id, outcome);
}

Result<StatusQuery> SqlStore::FindStatusQuery(int64_t agency_id, int64_t id) {
    return One<StatusQuery>(
        RunRead(Cat({"SELECT ", kStatusQueryCols, " FROM status_queries WHERE agency_id = ? AND id = ?"}),
            {agency_id, id}),
        ReadStatusQuery, "status query");
}

// ---------------------------------------------------------------------------------------------- inbound bodies

Result<int64_t> SqlStore::StoreInbound(const std::string& kind, const std::string& body) {
    return One<int64_t>(Run("INSERT INTO inbound_messages (kind, body, received_at) VALUES (?, ?, ?) RETURNING id",
                            {kind, body, NowIso8601()}),
                        ReadInt, "inbound message");
}

Result<void> SqlStore::SetInboundOutcome(int64_t id, const std::string& outcome) {
    return Done(Run("UPDATE inbound_messages SET outcome = ? WHERE id = ?", {outcome, id}));
}

Result<InboundMessage> SqlStore::FindInbound(int64_t id) {
    return One<InboundMessage>(RunRead("SELECT id, kind, body, outcome, received_at FROM inbound_messages WHERE id = ?",
                                       {id}),
                               [](const SqlRow& row) {
                                   RowReader r(row);
                                   InboundMessage m;
                                   m.id = r.Int();
                                   m.kind = r.Text();
                                   m.body = r.Text();
                                   m.outcome = r.Text();
                                   m.received_at = r.Text();
                                   return m;
                               },
                               "inbound message");
}

Result<std::vector<std::pair<std::string, std::string>>> SqlStore::ListUnmatchedCallbacksBetween(
    const std::string& kind, const std::string& from, const std::string& to) {
    return Many<std::pair<std::string, std::string>>(
        Run("SELECT reference, payload FROM unmatched_callbacks WHERE kind = ? AND received_at >= ? AND received_at < ? "
            "ORDER BY id LIMIT 200",
            {kind, from, to}),
        [](const SqlRow& row) {
            RowReader r(row);
            std::string reference = r.Text();
            return std::make_pair(std::move(reference), r.Text());
        });
}

// ---------------------------------------------------------------------------------------------- needs review

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
        // reopened by the same finding (the reconciler keeps finding a push M-Pesa never confirmed).
        auto existing = c.Run(Cat({"SELECT ", kReviewCols,
                                   " FROM review_items WHERE COALESCE(transaction_id, 0) = ? "
                                   "AND COALESCE(inbound_id, 0) = ? AND reason_code = ? ORDER BY id DESC LIMIT 1"}),
                              {item.transaction_id.value_or(0), item.inbound_id.value_or(0), item.reason_code});
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
            return One<ReviewItem>(
                c.Run(Cat({"SELECT ", kReviewCols,
                           " FROM review_items WHERE status = 'open' AND COALESCE(transaction_id, 0) = ? "
                           "AND COALESCE(inbound_id, 0) = ? AND reason_code = ?"}),
                      {item.transaction_id.value_or(0), item.inbound_id.value_or(0), item.reason_code}),
                ReadReview, "review item");
        }
        ReviewItem opened = ReadReview(ins->rows.front());
        if (opened.transaction_id) {
            if (auto r = RefreshReviewReason(c, *opened.transaction_id); !r) return Fail(r.error());
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

// ---------------------------------------------------------------------------------------------- background work

namespace {

/// The one claim statement: due, unclaimed (or whose claim ran out) PENDING rows, oldest due first, marked
/// as ours. PostgreSQL skips rows another process is claiming right now; SQLite has one writer at a time.
std::string ClaimSql(const char* table, const char* cols, bool postgres) {
    return Cat({"UPDATE ", table, " SET claimed_by = ?, claimed_until = ? WHERE id IN (SELECT id FROM ", table,
                " WHERE status = 'PENDING' AND (claimed_until IS NULL OR claimed_until < ?) "
                "AND ((next_attempt_at IS NULL AND created_at <= ?) OR next_attempt_at <= ?) "
                "ORDER BY COALESCE(next_attempt_at, created_at), id LIMIT ?",
                postgres ? " FOR UPDATE SKIP LOCKED" : "", ") RETURNING ", cols});
}

SqlParams ClaimParams(const Claim& claim) {
    return {claim.owner, claim.until, claim.now, claim.first_due_before, claim.now,
            int64_t{std::clamp(claim.limit, 1, kMaxListLimit)}};
}

/// Claimed rows come back in due order (RETURNING does not promise one).
template <class T>
std::vector<T> DueOrder(std::vector<T> rows) {
    std::sort(rows.begin(), rows.end(), [](const T& a, const T& b) {
        const std::string& da = a.reconciliation.next_attempt_at.empty() ? a.created_at : a.reconciliation.next_attempt_at;
        const std::string& db = b.reconciliation.next_attempt_at.empty() ? b.created_at : b.reconciliation.next_attempt_at;
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

// ---------------------------------------------------------------------------------------------- login throttling

namespace {

LoginFailures ReadLoginFailures(const SqlRow& row) {
    RowReader r(row);
    LoginFailures f;
    f.failures = r.Int();
    f.last_failure_at_ms = r.Int();
    return f;
}

}  // namespace

Result<LoginFailures> SqlStore::FindLoginFailures(const std::string& email, const std::string& address) {
    auto res = RunRead("SELECT failures, last_failure_at FROM login_failures WHERE email = ? AND address = ?",
                       {email, address});
    if (!res) return Fail(res.error());
    if (res->rows.empty()) return LoginFailures{};
    return ReadLoginFailures(res->rows.front());
}

Result<LoginFailures> SqlStore::RecordLoginFailure(const std::string& email, const std::string& address,
                                                   int64_t now_ms, int64_t forget_before_ms) {
    return InTransaction<LoginFailures>([&](SqlConnection& c) -> Result<LoginFailures> {
        // One upsert, so concurrent failures (several nodes, several threads) each count once.
        auto counted = One<LoginFailures>(
            c.Run("INSERT INTO login_failures (email, address, failures, last_failure_at) VALUES (?, ?, 1, ?) "
                  "ON CONFLICT (email, address) DO UPDATE SET "
                  "failures = CASE WHEN login_failures.last_failure_at < ? THEN 1 "
                  "ELSE login_failures.failures + 1 END, "
                  "last_failure_at = excluded.last_failure_at "
                  "RETURNING failures, last_failure_at",
                  {email, address, now_ms, forget_before_ms}),
            ReadLoginFailures, "login failures");
        if (!counted) return counted;
        auto window = c.Run("INSERT INTO login_address_failures (address, at) VALUES (?, ?)", {address, now_ms});
        if (!window) return Fail(window.error());
        return counted;
    });
}

Result<AddressLoginFailures> SqlStore::CountAddressLoginFailures(const std::string& address, int64_t since_ms) {
    return One<AddressLoginFailures>(
        RunRead("SELECT COUNT(*), MIN(at) FROM login_address_failures WHERE address = ? AND at > ?",
                {address, since_ms}),
        [](const SqlRow& row) {
            RowReader r(row);
            AddressLoginFailures a;
            a.count = r.Int();
            a.oldest_at_ms = r.Int();
            return a;
        },
        "login failures");
}

Result<void> SqlStore::ClearLoginFailures(const std::string& email, const std::string& address) {
    return Done(Run("DELETE FROM login_failures WHERE email = ? AND address = ?", {email, address}));
}

Result<int64_t> SqlStore::PruneLoginFailures(int64_t failures_before_ms, int64_t address_before_ms) {
    auto accounts = Run("DELETE FROM login_failures WHERE last_failure_at < ?", {failures_before_ms});
    if (!accounts) return Fail(accounts.error());
    auto addresses = Run("DELETE FROM login_address_failures WHERE at < ?", {address_before_ms});
    if (!addresses) return Fail(addresses.error());
    return accounts->affected + addresses->affected;
}

}  // namespace haven::storage
