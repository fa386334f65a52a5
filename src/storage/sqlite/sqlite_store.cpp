#include "storage/sqlite/sqlite_store.hpp"

#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "storage/sql_store.hpp"

namespace haven::storage {

using core::ErrorCode;
using core::Fail;

namespace {

constexpr int kBusyTimeoutMs = 5000;

core::Error SqliteError(sqlite3* db, int rc, std::string_view what) {
    int ext = db ? sqlite3_extended_errcode(db) : rc;
    const char* msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    switch (ext) {
        case SQLITE_CONSTRAINT_UNIQUE:
        case SQLITE_CONSTRAINT_PRIMARYKEY:
            return core::Error::Make(ErrorCode::kConflict, "already exists");
        case SQLITE_CONSTRAINT_FOREIGNKEY:
            return core::Error::Make(ErrorCode::kNotFound, "a referenced record does not exist");
        case SQLITE_CONSTRAINT_CHECK:
        case SQLITE_CONSTRAINT_NOTNULL:
            return core::Error::Make(ErrorCode::kValidation, "value rejected by the database");
        default:
            break;
    }
    spdlog::error("sqlite: {} failed: {} (code {})", what, msg, ext);
    return core::Error::Make(ErrorCode::kInternal, "database error");
}

class SqliteConnection final : public SqlConnection {
  public:
    explicit SqliteConnection(sqlite3* db) : db_(db) {}
    ~SqliteConnection() override {
        for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
        sqlite3_close_v2(db_);
    }

    Result<SqlResult> Run(const std::string& sql, const SqlParams& params) override {
        auto stmt = Prepare(sql);
        if (!stmt) return Fail(stmt.error());
        sqlite3_stmt* s = *stmt;
        // Reset on every exit, so the cached statement holds no locks and no bound values.
        struct Reset {
            sqlite3_stmt* s;
            ~Reset() {
                sqlite3_reset(s);
                sqlite3_clear_bindings(s);
            }
        } reset{s};

        for (size_t i = 0; i < params.size(); ++i) {
            int idx = static_cast<int>(i + 1);
            int rc = std::visit(
                [&](const auto& v) -> int {
                    using V = std::decay_t<decltype(v)>;
                    if constexpr (std::is_same_v<V, std::monostate>) {
                        return sqlite3_bind_null(s, idx);
                    } else if constexpr (std::is_same_v<V, int64_t>) {
                        return sqlite3_bind_int64(s, idx, v);
                    } else {
                        return sqlite3_bind_text(s, idx, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
                    }
                },
                params[i]);
            if (rc != SQLITE_OK) return Fail(SqliteError(db_, rc, "bind"));
        }

        SqlResult out;
        const int columns = sqlite3_column_count(s);
        for (;;) {
            int rc = sqlite3_step(s);
            if (rc == SQLITE_DONE) break;
            if (rc != SQLITE_ROW) return Fail(SqliteError(db_, rc, "step"));
            SqlRow row;
            row.reserve(columns);
            for (int c = 0; c < columns; ++c) {
                if (sqlite3_column_type(s, c) == SQLITE_NULL) {
                    row.emplace_back(std::nullopt);
                } else {
                    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(s, c));
                    row.emplace_back(std::string(text, static_cast<size_t>(sqlite3_column_bytes(s, c))));
                }
            }
            out.rows.push_back(std::move(row));
        }
        out.affected = sqlite3_changes64(db_);
        return out;
    }

    Result<void> RunScript(std::string_view sql) override {
        std::string text(sql);
        char* err = nullptr;
        int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err);
        if (rc != SQLITE_OK) {
            spdlog::error("sqlite: script failed: {}", err ? err : sqlite3_errstr(rc));
            sqlite3_free(err);
            return Fail(ErrorCode::kInternal, "database error");
        }
        return {};
    }

  private:
    Result<sqlite3_stmt*> Prepare(const std::string& sql) {
        if (auto it = statements_.find(sql); it != statements_.end()) return it->second;
        sqlite3_stmt* stmt = nullptr;
        int rc = sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt,
                                    nullptr);
        if (rc != SQLITE_OK) return Fail(SqliteError(db_, rc, "prepare"));
        statements_.emplace(sql, stmt);
        return stmt;
    }

    sqlite3* db_;
    std::unordered_map<std::string, sqlite3_stmt*> statements_;
};

/// Opens one connection to `path` with the store's pragmas; `reader` connections refuse writes.
Result<std::unique_ptr<SqliteConnection>> OpenConnection(const std::string& path, bool reader) {
    sqlite3* db = nullptr;
    int rc =
        sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
        spdlog::error("sqlite: cannot open {}: {}", path, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        sqlite3_close_v2(db);
        return Fail(ErrorCode::kInternal, "cannot open the SQLite database " + path);
    }
    auto conn = std::make_unique<SqliteConnection>(db);
    sqlite3_busy_timeout(db, kBusyTimeoutMs);
    sqlite3_extended_result_codes(db, 1);
    // journal_mode is a property of the file: the writer sets WAL before any reader opens.
    // synchronous = FULL: every commit syncs the WAL before it returns, so nothing is acknowledged
    // that a power loss could take back (NORMAL syncs only at checkpoints).
    std::vector<const char*> pragmas{"PRAGMA foreign_keys = ON", "PRAGMA case_sensitive_like = ON"};
    if (reader) {
        pragmas.push_back("PRAGMA query_only = 1");
    } else {
        pragmas.insert(pragmas.begin(), {"PRAGMA journal_mode = WAL", "PRAGMA synchronous = FULL"});
    }
    for (const char* pragma : pragmas) {
        if (auto r = conn->RunScript(pragma); !r) return Fail(r.error());
    }
    return conn;
}

/// One writer connection behind a mutex (SQLite allows one writer at a time anyway) and, for a file
/// database, up to kMaxReaders reader connections opened on first need: in WAL mode readers run
/// concurrently with each other and with the writer, each seeing the last committed state.
class SqliteDatabase final : public SqlDatabase {
  public:
    SqliteDatabase(std::unique_ptr<SqliteConnection> writer, std::string path, bool in_memory)
        : writer_(std::move(writer)), path_(std::move(path)), readers_enabled_(!in_memory) {}

    std::string_view Backend() const override { return "sqlite"; }
    // IMMEDIATE takes the write lock up front, so two processes never deadlock upgrading a read lock.
    std::string BeginStatement() const override { return "BEGIN IMMEDIATE"; }

    Result<ConnectionHandle> Acquire() override {
        writer_mutex_.lock();
        writer_busy_ = true;
        return ConnectionHandle(writer_.get(), [this](SqlConnection*) {
            writer_busy_ = false;
            writer_mutex_.unlock();
        });
    }

    Store::PoolUse Use() override {
        std::lock_guard lock(readers_mutex_);
        const auto idle = static_cast<int64_t>(idle_readers_.size());
        const auto writer = writer_busy_.load() ? 1 : 0;
        return {static_cast<int64_t>(open_readers_) - idle + writer, idle + 1 - writer,
                1 + (readers_enabled_ ? static_cast<int64_t>(kMaxReaders) : 0)};
    }

    Result<ConnectionHandle> AcquireReader() override {
        // A private in-memory database exists only on the writer's connection.
        if (!readers_enabled_) return Acquire();
        std::unique_ptr<SqliteConnection> conn;
        {
            std::unique_lock lock(readers_mutex_);
            readers_cv_.wait(lock, [&] { return !idle_readers_.empty() || open_readers_ < kMaxReaders; });
            if (!idle_readers_.empty()) {
                conn = std::move(idle_readers_.back());
                idle_readers_.pop_back();
            } else {
                ++open_readers_;
            }
        }
        if (!conn) {
            auto opened = OpenConnection(path_, true);
            if (!opened) {
                std::lock_guard lock(readers_mutex_);
                --open_readers_;
                readers_cv_.notify_one();
                return Fail(opened.error());
            }
            conn = std::move(*opened);
        }
        return ConnectionHandle(conn.release(), [this](SqlConnection* c) {
            std::lock_guard lock(readers_mutex_);
            idle_readers_.emplace_back(static_cast<SqliteConnection*>(c));
            readers_cv_.notify_one();
        });
    }

  private:
    static constexpr size_t kMaxReaders = 4;

    std::mutex writer_mutex_;
    std::atomic<bool> writer_busy_{false};  // held by a caller now (/metrics)
    std::unique_ptr<SqliteConnection> writer_;
    const std::string path_;
    const bool readers_enabled_;
    std::mutex readers_mutex_;
    std::condition_variable readers_cv_;
    std::vector<std::unique_ptr<SqliteConnection>> idle_readers_;
    size_t open_readers_ = 0;  // reader connections in existence (idle or in use)
};

}  // namespace

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path, bool group_commit) {
    if (path.empty()) return Fail(core::Error::Validation("DATABASE_URL", "sqlite: needs a file path"));
    const bool in_memory = path == ":memory:";
    if (!in_memory) {
        std::filesystem::path parent = std::filesystem::path(path).parent_path();
        std::error_code ec;
        if (!parent.empty()) std::filesystem::create_directories(parent, ec);
        if (ec) {
            spdlog::error("sqlite: cannot create directory {}: {}", parent.string(), ec.message());
            return Fail(ErrorCode::kInternal, "cannot create the database directory " + parent.string());
        }
    }
    auto writer = OpenConnection(path, false);
    if (!writer) return Fail(writer.error());
    return std::make_unique<SqlStore>(std::make_unique<SqliteDatabase>(std::move(*writer), path, in_memory),
                                      group_commit);
}

}  // namespace haven::storage
