// The SqlStore itself: statements on pooled or unit connections, transactions, savepoints, units of work.
#include <ctime>

#include "storage/sql/sql_store_internal.hpp"

namespace haven::storage {

thread_local CurrentUnit t_unit;

std::string NowIso8601() {
    std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm tm{};
    gmtime_r(&now, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

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

}  // namespace haven::storage
