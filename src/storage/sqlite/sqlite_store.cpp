#include "storage/sqlite/sqlite_store.hpp"

#include <filesystem>
#include <mutex>
#include <type_traits>
#include <unordered_map>
#include <utility>

#include <spdlog/spdlog.h>
#include <sqlite3.h>

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

class SqliteDatabase final : public SqlDatabase {
public:
    explicit SqliteDatabase(std::unique_ptr<SqliteConnection> conn) : conn_(std::move(conn)) {}

    std::string_view Backend() const override { return "sqlite"; }
    // IMMEDIATE takes the write lock up front, so two processes never deadlock upgrading a read lock.
    std::string BeginStatement() const override { return "BEGIN IMMEDIATE"; }

    Result<ConnectionHandle> Acquire() override {
        mutex_.lock();
        return ConnectionHandle(conn_.get(), [this](SqlConnection*) { mutex_.unlock(); });
    }

private:
    std::mutex mutex_;
    std::unique_ptr<SqliteConnection> conn_;
};

}  // namespace

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path) {
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
    sqlite3* db = nullptr;
    int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             nullptr);
    if (rc != SQLITE_OK) {
        spdlog::error("sqlite: cannot open {}: {}", path, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        sqlite3_close_v2(db);
        return Fail(ErrorCode::kInternal, "cannot open the SQLite database " + path);
    }
    auto conn = std::make_unique<SqliteConnection>(db);
    sqlite3_busy_timeout(db, kBusyTimeoutMs);
    sqlite3_extended_result_codes(db, 1);
    for (const char* pragma : {"PRAGMA journal_mode = WAL", "PRAGMA synchronous = NORMAL", "PRAGMA foreign_keys = ON",
                               "PRAGMA case_sensitive_like = ON"}) {
        if (auto r = conn->RunScript(pragma); !r) return Fail(r.error());
    }
    return std::make_unique<SqlStore>(std::make_unique<SqliteDatabase>(std::move(conn)));
}

}  // namespace haven::storage
