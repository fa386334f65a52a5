// SQLite's online backup API copies the database page by page in steps (sqlite3_backup_step). The copy is
// written under a temporary name and only renamed to the destination once it is whole, checked and synced.
#include "storage/sqlite/sqlite_backup.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string_view>
#include <thread>

namespace haven::storage {
namespace {

using core::ErrorCode;
using core::Fail;
namespace fs = std::filesystem;

/// Closes a connection when it goes out of scope.
struct Connection {
    sqlite3* db = nullptr;
    ~Connection() { sqlite3_close_v2(db); }
    std::string Message() const { return db ? sqlite3_errmsg(db) : "out of memory"; }
};

core::Result<void> Exec(const Connection& c, const char* sql, const std::string& what) {
    char* message = nullptr;
    int rc = sqlite3_exec(c.db, sql, nullptr, nullptr, &message);
    std::string text = message ? message : sqlite3_errstr(rc);
    sqlite3_free(message);
    if (rc != SQLITE_OK) return Fail(ErrorCode::kInternal, what + ": " + text);
    return {};
}

/// The single text value of a one-row query ("" when there is none).
core::Result<std::string> QueryText(const Connection& c, const char* sql, const std::string& what) {
    sqlite3_stmt* s = nullptr;
    int rc = sqlite3_prepare_v2(c.db, sql, -1, &s, nullptr);
    std::string value;
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(s);
        if (rc == SQLITE_ROW) {
            if (const unsigned char* text = sqlite3_column_text(s, 0)) value = reinterpret_cast<const char*>(text);
            rc = SQLITE_OK;
        } else if (rc == SQLITE_DONE) {
            rc = SQLITE_OK;
        }
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_OK) return Fail(ErrorCode::kInternal, what + ": " + c.Message());
    return value;
}

/// fsync of a file or a directory, so a rename or the bytes under it survive a power loss.
core::Result<void> SyncPath(const fs::path& path, bool directory) {
    int fd = ::open(path.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDWR) | O_CLOEXEC);
    if (fd < 0) return Fail(ErrorCode::kInternal, "cannot open " + path.string() + ": " + std::strerror(errno));
    int rc = ::fsync(fd);
    int err = errno;
    ::close(fd);
    if (rc != 0) return Fail(ErrorCode::kInternal, "cannot sync " + path.string() + ": " + std::strerror(err));
    return {};
}

/// Removes the temporary copy unless it was renamed into place.
struct TempFile {
    fs::path path;
    bool keep = false;
    ~TempFile() {
        if (keep || path.empty()) return;
        std::error_code ec;
        for (const char* suffix : {"", "-journal", "-wal", "-shm"}) fs::remove(path.string() + suffix, ec);
    }
};

}  // namespace

std::optional<std::string> SqlitePathFromUrl(const std::string& database_url) {
    std::string_view url = database_url;
    if (!url.starts_with("sqlite:")) return std::nullopt;
    std::string_view path = url.substr(7);
    // "sqlite:///abs/path" and "sqlite://rel/path" are accepted too.
    if (path.starts_with("//")) path.remove_prefix(2);
    return std::string(path);
}

core::Result<SqliteBackupResult> BackupSqliteDatabase(const std::string& source_path, const std::string& dest_path,
                                                      const SqliteBackupOptions& options) {
    std::error_code ec;
    if (source_path.empty() || source_path == ":memory:" || !fs::is_regular_file(source_path, ec)) {
        return Fail(core::Error::Validation("DATABASE_URL", "no SQLite database at " + source_path));
    }
    const fs::path dest = fs::absolute(dest_path, ec);
    if (ec || dest.filename().empty()) {
        return Fail(core::Error::Validation("FILE", "not a file path: " + dest_path));
    }
    if (fs::exists(dest, ec)) {
        // Never the live database (or its WAL) itself, even with --force.
        if (fs::equivalent(dest, source_path, ec) || fs::equivalent(dest, source_path + "-wal", ec)) {
            return Fail(core::Error::Validation("FILE", dest.string() + " is the live database itself"));
        }
        if (!options.overwrite) {
            return Fail(ErrorCode::kConflict, dest.string() + " already exists (--force replaces it)");
        }
        if (!fs::is_regular_file(dest, ec)) {
            return Fail(core::Error::Validation("FILE", dest.string() + " exists and is not a regular file"));
        }
    }
    if (!fs::is_directory(dest.parent_path(), ec)) {
        return Fail(core::Error::Validation("FILE", "no directory " + dest.parent_path().string()));
    }

    // The copy under a unique temporary name in the destination's directory (the rename stays on one file system).
    std::string pattern = (dest.parent_path() / ("." + dest.filename().string() + ".partial-XXXXXX")).string();
    int fd = ::mkstemp(pattern.data());
    if (fd < 0) {
        return Fail(ErrorCode::kInternal,
                    "cannot create a file in " + dest.parent_path().string() + ": " + std::strerror(errno));
    }
    ::close(fd);
    TempFile temp{pattern};

    Connection source;
    // Read-write without CREATE: a missing file is an error, not a new empty database; query_only refuses writes.
    int rc = sqlite3_open_v2(source_path.c_str(), &source.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) return Fail(ErrorCode::kInternal, "cannot open " + source_path + ": " + source.Message());
    sqlite3_busy_timeout(source.db, 10000);
    if (auto r = Exec(source, "PRAGMA query_only = 1", "cannot open " + source_path); !r) return Fail(r.error());
    if (auto r = QueryText(source, "SELECT count(*) FROM sqlite_schema", source_path); !r) {
        return Fail(core::Error::Validation("DATABASE_URL", source_path + " is not a SQLite database"));
    }

    Connection copy;
    rc = sqlite3_open_v2(temp.path.c_str(), &copy.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) return Fail(ErrorCode::kInternal, "cannot open " + temp.path.string() + ": " + copy.Message());

    // One read transaction around every step. Without it each step takes a fresh snapshot, and a write by another
    // process (the gateway) between two steps restarts the copy from page 1: under steady traffic a stepped backup
    // never ends. Held open, the snapshot stays the one from the start (in WAL mode writers go on meanwhile; the
    // WAL grows until the copy is done), and the copy is the database exactly as it was then.
    if (auto r = Exec(source, "BEGIN", "backup"); !r) return Fail(r.error());
    if (auto r = QueryText(source, "SELECT count(*) FROM sqlite_schema", "backup"); !r) return Fail(r.error());
    sqlite3_backup* backup = sqlite3_backup_init(copy.db, "main", source.db, "main");
    if (!backup) return Fail(ErrorCode::kInternal, "backup: " + copy.Message());
    SqliteBackupResult result;
    const int step_pages = options.step_pages > 0 ? options.step_pages : -1;
    // The read transaction keeps the source readable; a busy step could only come from the copy's side. Bounded.
    constexpr int kMaxBusyRetries = 1000;
    int busy_retries = 0;
    for (;;) {
        rc = sqlite3_backup_step(backup, step_pages);
        ++result.steps;
        if (options.progress) {
            const int64_t total = sqlite3_backup_pagecount(backup);
            options.progress(total - sqlite3_backup_remaining(backup), total);
        }
        if (rc == SQLITE_DONE) break;
        if (options.stop && options.stop->load()) {
            sqlite3_backup_finish(backup);
            return Fail(ErrorCode::kUnavailable, "interrupted: no copy written");
        }
        if (rc == SQLITE_OK) {
            if (options.pause.count() > 0) std::this_thread::sleep_for(options.pause);
            continue;
        }
        if ((rc == SQLITE_BUSY || rc == SQLITE_LOCKED) && ++busy_retries <= kMaxBusyRetries) {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
            continue;
        }
        break;
    }
    result.pages = sqlite3_backup_pagecount(backup);
    rc = sqlite3_backup_finish(backup);
    if (rc != SQLITE_OK) return Fail(ErrorCode::kInternal, "backup failed: " + std::string(sqlite3_errstr(rc)));
    if (auto r = Exec(source, "COMMIT", "backup"); !r) return Fail(r.error());

    // A self-contained file (no -wal beside it); the gateway switches it back to WAL when it serves from it.
    if (auto r = QueryText(copy, "PRAGMA journal_mode = DELETE", "the copy"); !r) return Fail(r.error());
    auto check = QueryText(copy, "PRAGMA quick_check", "checking the copy");
    if (!check) return Fail(check.error());
    if (*check != "ok") return Fail(ErrorCode::kInternal, "the copy failed its check: " + *check);
    sqlite3_close_v2(copy.db);
    copy.db = nullptr;

    if (auto r = SyncPath(temp.path, false); !r) return Fail(r.error());
    result.bytes = static_cast<int64_t>(fs::file_size(temp.path, ec));
    if (options.overwrite) {
        if (::rename(temp.path.c_str(), dest.c_str()) != 0) {
            return Fail(ErrorCode::kInternal,
                        "cannot rename the copy to " + dest.string() + ": " + std::strerror(errno));
        }
    } else {
        // link() fails if the destination appeared meanwhile: nothing is ever replaced without --force.
        if (::link(temp.path.c_str(), dest.c_str()) != 0) {
            if (errno == EEXIST)
                return Fail(ErrorCode::kConflict, dest.string() + " already exists (--force replaces it)");
            return Fail(ErrorCode::kInternal, "cannot write " + dest.string() + ": " + std::strerror(errno));
        }
        ::unlink(temp.path.c_str());
    }
    temp.keep = true;
    if (auto r = SyncPath(dest.parent_path(), true); !r) return Fail(r.error());
    return result;
}

}  // namespace haven::storage
