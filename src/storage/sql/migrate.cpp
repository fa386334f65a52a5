// Migrations: migrations/<backend>/NNN_name.sql, each applied once in its own transaction.
#include <spdlog/spdlog.h>

#include <string_view>

#include "storage/migrations.hpp"
#include "storage/sql/sql_store_internal.hpp"

namespace haven::storage {

/// Fills leases.account_key and phone_hash where they are NULL (sql/c2b.cpp).
Result<int64_t> BackfillLeaseKeysOn(SqlConnection& c);

namespace {
constexpr std::string_view kForeignKeysOff = "-- haven:foreign-keys-off";
}  // namespace

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
        // A SQLite migration that rebuilds a table others reference says so on its first line: foreign keys are off
        // while it runs (SQLite's documented procedure; the pragma only works outside a transaction) and
        // foreign_key_check must find nothing before it commits.
        const bool keys_off = db_->Backend() == "sqlite" && std::string_view(m.sql).starts_with(kForeignKeysOff);
        if (keys_off) {
            if (auto r = c.RunScript("PRAGMA foreign_keys = OFF"); !r) return Fail(r.error());
        }
        struct KeysBackOn {
            SqlConnection& c;
            bool on;
            ~KeysBackOn() {
                if (on) (void)c.RunScript("PRAGMA foreign_keys = ON");
            }
        } keys_back_on{c, keys_off};
        if (auto r = c.Run(db_->BeginStatement(), {}); !r) return Fail(r.error());
        auto script = c.RunScript(m.sql);
        if (script && keys_off) {
            auto dangling = c.Run("PRAGMA foreign_key_check", {});
            if (!dangling) {
                script = Fail(dangling.error());
            } else if (!dangling->rows.empty()) {
                script = Fail(ErrorCode::kInternal, "foreign_key_check found rows without their parent");
            }
        }
        Result<SqlResult> recorded = script ? c.Run(
                                                  "INSERT INTO schema_migrations (version, name, applied_at) "
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
    // Leases written before their C2B matching keys existed (or by an older binary) get them now, in one transaction.
    if (auto r = c.Run(db_->BeginStatement(), {}); !r) return Fail(r.error());
    auto filled = BackfillLeaseKeysOn(c);
    if (filled) filled = c.Run("COMMIT", {}).map([&](SqlResult&&) { return *filled; });
    if (!filled) {
        (void)c.Run("ROLLBACK", {});
        spdlog::error("storage: filling the leases' C2B keys failed: {}", filled.error().message);
        return Fail(ErrorCode::kInternal, "filling the leases' C2B keys failed");
    }
    if (*filled > 0) spdlog::info("storage: filled the C2B keys of {} leases", *filled);
    return count;
}

Result<std::string> SqlStore::CheckReady() {
    const std::string backend(db_->Backend());
    // A reader connection on SQLite (the writer's lock may be held by a batch; readiness must not queue behind it);
    // on PostgreSQL the pool's connections are the ones writes use, so the check runs on one of them.
    auto conn = backend == "sqlite" ? db_->AcquireReader() : db_->Acquire();
    if (!conn) return Fail(ErrorCode::kUnavailable, "the database cannot be reached");
    if (auto writable = db_->CheckWritable(**conn); !writable) return Fail(writable.error());
    auto latest = (*conn)->Run("SELECT MAX(version) FROM schema_migrations", {});
    if (!latest) return Fail(ErrorCode::kUnavailable, "the database cannot be read");
    const auto known = MigrationsFor(backend);
    const int64_t applied = latest->rows.empty() ? 0 : RowReader(latest->rows[0]).Int();
    if (!known.empty() && applied < known.back().version) {
        return Fail(ErrorCode::kUnavailable, "database migrations are not applied yet");
    }
    return backend;
}

}  // namespace haven::storage
