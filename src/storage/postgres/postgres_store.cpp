#include "storage/postgres/postgres_store.hpp"

#include <libpq-fe.h>
#include <poll.h>
#include <spdlog/spdlog.h>

#include <condition_variable>
#include <mutex>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "storage/sql_store.hpp"

namespace haven::storage {

using core::ErrorCode;
using core::Fail;

namespace {

constexpr size_t kMaxConnections = 8;
constexpr const char* kConnectTimeoutSeconds = "5";
constexpr int64_t kMigrationLockId = 0x4861'7665'6e00;  // "Haven"

/// Rewrites `?` placeholders to $1, $2, ... (our SQL never has `?` inside string literals).
std::string ToDollarParams(const std::string& sql) {
    std::string out;
    out.reserve(sql.size() + 16);
    int n = 0;
    for (char c : sql) {
        if (c == '?') {
            out += '$';
            out += std::to_string(++n);
        } else {
            out += c;
        }
    }
    return out;
}

/// The server is gone, going or takes no writes now: a connection exception (class 08), an administrator's or a
/// crash's shutdown, a server still starting (57P01-57P03), a read-only transaction (25006: a standby, or a primary
/// being demoted), too many connections (53300). The request may well succeed in a moment, on this node once it has
/// reconnected or on the new primary after a failover: kUnavailable (503 with Retry-After), not kInternal (500).
bool ServerUnavailable(std::string_view sqlstate) {
    return sqlstate.starts_with("08") || sqlstate == "57P01" || sqlstate == "57P02" || sqlstate == "57P03" ||
           sqlstate == "25006" || sqlstate == "53300";
}

struct ResultDeleter {
    void operator()(PGresult* r) const { PQclear(r); }
};
using PgResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

class PgConnection final : public SqlConnection {
  public:
    explicit PgConnection(PGconn* conn) : conn_(conn) {}
    ~PgConnection() override { PQfinish(conn_); }

    /// An idle connection has nothing to read: if its socket is readable, the server sent an error
    /// and/or closed it (restart, pg_terminate_backend, idle timeout), so it is not reused. No round trip.
    bool Healthy() {
        if (PQstatus(conn_) != CONNECTION_OK || PQtransactionStatus(conn_) != PQTRANS_IDLE) return false;
        pollfd pfd{PQsocket(conn_), POLLIN, 0};
        return pfd.fd >= 0 && ::poll(&pfd, 1, 0) == 0;
    }

    Result<SqlResult> Run(const std::string& sql, const SqlParams& params) override {
        std::vector<std::string> storage;
        storage.reserve(params.size());
        std::vector<const char*> values;
        values.reserve(params.size());
        for (const SqlParam& p : params) {
            if (std::holds_alternative<std::monostate>(p)) {
                storage.emplace_back();
                values.push_back(nullptr);
            } else if (const auto* i = std::get_if<int64_t>(&p)) {
                storage.push_back(std::to_string(*i));
                values.push_back(storage.back().c_str());
            } else {
                storage.push_back(std::get<std::string>(p));
                values.push_back(storage.back().c_str());
            }
        }
        PgResultPtr res(PQexecParams(conn_, ToDollarParams(sql).c_str(), static_cast<int>(values.size()), nullptr,
                                     values.data(), nullptr, nullptr, 0));
        auto status = PQresultStatus(res.get());
        if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) return Fail(PgError(res.get(), "query"));
        // COMMIT of a transaction the server had already aborted "succeeds" with the tag ROLLBACK: nothing was
        // written, so it must not be reported as done.
        if (sql == "COMMIT" && std::string_view(PQcmdStatus(res.get())) == "ROLLBACK") {
            spdlog::error("postgres: COMMIT rolled back an aborted transaction");
            return Fail(ErrorCode::kInternal, "database error");
        }

        SqlResult out;
        const int rows = PQntuples(res.get());
        const int cols = PQnfields(res.get());
        out.rows.reserve(rows);
        for (int r = 0; r < rows; ++r) {
            SqlRow row;
            row.reserve(cols);
            for (int c = 0; c < cols; ++c) {
                if (PQgetisnull(res.get(), r, c)) {
                    row.emplace_back(std::nullopt);
                } else {
                    row.emplace_back(
                        std::string(PQgetvalue(res.get(), r, c), static_cast<size_t>(PQgetlength(res.get(), r, c))));
                }
            }
            out.rows.push_back(std::move(row));
        }
        std::string_view tuples = PQcmdTuples(res.get());
        out.affected = tuples.empty() ? 0 : std::stoll(std::string(tuples));
        return out;
    }

    Result<void> RunScript(std::string_view sql) override {
        PgResultPtr res(PQexec(conn_, std::string(sql).c_str()));
        auto status = PQresultStatus(res.get());
        if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) return Fail(PgError(res.get(), "script"));
        return {};
    }

  private:
    core::Error PgError(const PGresult* res, std::string_view what) {
        const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
        std::string_view sqlstate = state ? state : "";
        if (sqlstate == "23505") return core::Error::Make(ErrorCode::kConflict, "already exists");
        if (sqlstate == "23503") return core::Error::Make(ErrorCode::kNotFound, "a referenced record does not exist");
        if (sqlstate == "23514" || sqlstate == "23502") {
            return core::Error::Make(ErrorCode::kValidation, "value rejected by the database");
        }
        // The primary message only: DETAIL may quote row values.
        const char* primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
        // A connection that broke mid-statement has no SQLSTATE from the server, only libpq's status.
        if (ServerUnavailable(sqlstate) || PQstatus(conn_) == CONNECTION_BAD) {
            spdlog::warn("postgres: {} failed, the server is unavailable: [{}] {}", what, sqlstate,
                         primary ? primary : PQerrorMessage(conn_));
            return core::Error::Make(ErrorCode::kUnavailable, "the database is unavailable; try again shortly");
        }
        spdlog::error("postgres: {} failed: [{}] {}", what, sqlstate, primary ? primary : PQerrorMessage(conn_));
        return core::Error::Make(ErrorCode::kInternal, "database error");
    }

    PGconn* conn_;
};

class PgDatabase final : public SqlDatabase {
  public:
    explicit PgDatabase(std::string url) : url_(std::move(url)) {}

    std::string_view Backend() const override { return "postgres"; }
    std::string BeginStatement() const override { return "BEGIN"; }

    Result<ConnectionHandle> Acquire() override {
        std::unique_ptr<PgConnection> conn;
        {
            std::unique_lock lock(mutex_);
            cv_.wait(lock, [&] { return !idle_.empty() || open_ < kMaxConnections; });
            if (!idle_.empty()) {
                conn = std::move(idle_.back());
                idle_.pop_back();
            } else {
                ++open_;
            }
        }
        if (conn && !conn->Healthy()) conn.reset();  // the server went away: reconnect
        if (!conn) {
            auto fresh = Connect();
            if (!fresh) {
                std::lock_guard lock(mutex_);
                --open_;
                cv_.notify_one();
                return Fail(fresh.error());
            }
            conn = std::move(*fresh);
        }
        return ConnectionHandle(conn.release(), [this](SqlConnection* c) { Release(static_cast<PgConnection*>(c)); });
    }

    Result<void> LockForMigration(SqlConnection& conn) override {
        auto r = conn.Run("SELECT pg_advisory_lock(?)", {kMigrationLockId});
        if (!r) return Fail(r.error());
        return {};
    }
    void UnlockAfterMigration(SqlConnection& conn) override {
        (void)conn.Run("SELECT pg_advisory_unlock(?)", {kMigrationLockId});
    }

    Result<void> CheckWritable(SqlConnection& conn) override {
        auto r = conn.Run("SELECT pg_is_in_recovery()::text, current_setting('transaction_read_only')", {});
        if (!r || r->rows.empty()) return Fail(ErrorCode::kUnavailable, "the database cannot be reached");
        const SqlRow& row = r->rows.front();
        if (row.at(0) == "true") return Fail(ErrorCode::kUnavailable, "the database is a standby (read-only)");
        if (row.at(1) == "on") return Fail(ErrorCode::kUnavailable, "the database session is read-only");
        return {};
    }

    Result<std::unique_ptr<PgConnection>> Connect() {
        // expand_dbname = 1: "dbname" holds the whole URL; connect_timeout is added without editing it.
        const char* keys[] = {"dbname", "connect_timeout", "fallback_application_name", nullptr};
        const char* values[] = {url_.c_str(), kConnectTimeoutSeconds, "haven-mpesa", nullptr};
        PGconn* raw = PQconnectdbParams(keys, values, 1);
        auto conn = std::make_unique<PgConnection>(raw);
        if (!raw || PQstatus(raw) != CONNECTION_OK) {
            // libpq's message names host and port, never the password.
            spdlog::error("postgres: cannot connect: {}", raw ? PQerrorMessage(raw) : "out of memory");
            // Unavailable, not internal: while a failover runs no host takes the connection, and that passes.
            return Fail(ErrorCode::kUnavailable, "cannot connect to PostgreSQL (check DATABASE_URL)");
        }
        PQsetNoticeProcessor(
            raw, [](void*, const char*) {}, nullptr);
        // synchronous_commit = on for our own sessions, whatever the server's default: a commit returns
        // only once its WAL is flushed, so nothing is acknowledged before it is on disk.
        if (auto r = conn->RunScript("SET TIME ZONE 'UTC'; SET synchronous_commit = on"); !r) {
            return Fail(r.error());
        }
        return conn;
    }

    Store::PoolUse Use() override {
        std::lock_guard lock(mutex_);
        const auto idle = static_cast<int64_t>(idle_.size());
        return {static_cast<int64_t>(open_) - idle, idle, static_cast<int64_t>(kMaxConnections)};
    }

  private:
    void Release(PgConnection* raw) {
        std::unique_ptr<PgConnection> conn(raw);
        std::lock_guard lock(mutex_);
        if (conn->Healthy() && idle_.size() < kMaxConnections) {
            idle_.push_back(std::move(conn));
        } else {
            --open_;
        }
        cv_.notify_one();
    }

    std::string url_;
    std::mutex mutex_;
    std::condition_variable cv_;
    std::vector<std::unique_ptr<PgConnection>> idle_;
    size_t open_ = 0;  // connections in existence (idle or in use)
};

}  // namespace

Result<std::unique_ptr<Store>> OpenPostgresStore(const std::string& url, bool group_commit) {
    auto db = std::make_unique<PgDatabase>(url);
    // Connect once now so a wrong DATABASE_URL fails at start-up, not on the first request.
    auto first = db->Acquire();
    if (!first) return Fail(first.error());
    first->reset();
    return std::make_unique<SqlStore>(std::move(db), group_commit);
}

}  // namespace haven::storage
