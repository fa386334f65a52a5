#pragma once
// An online copy of a live SQLite database with SQLite's backup API (sqlite3_backup_*), made while the
// gateway keeps writing: `haven-mpesa backup FILE`.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "core/error.hpp"

namespace haven::storage {

/// The file path of a `sqlite:` DATABASE_URL ("sqlite:./data/haven.db", "sqlite:///abs/path"), or nullopt when the
/// URL names another backend.
std::optional<std::string> SqlitePathFromUrl(const std::string& database_url);

struct SqliteBackupOptions {
    int step_pages = 1024;               // pages copied per sqlite3_backup_step (4 MiB with 4 KiB pages)
    std::chrono::milliseconds pause{0};  // between steps: spreads the copy's disk reads on a busy machine
    bool overwrite = false;              // replace an existing destination file
    std::function<void(int64_t copied_pages, int64_t total_pages)> progress;  // after each step
    const std::atomic<bool>* stop = nullptr;  // checked between steps: set (by a signal handler), the copy is dropped
};

struct SqliteBackupResult {
    int64_t pages = 0;
    int64_t bytes = 0;
    int64_t steps = 0;
};

/// Copies the database at `source_path` (which must exist; it is only read) to `dest_path`. The copy is written
/// to a temporary file beside `dest_path`, checked (PRAGMA quick_check), synced, then renamed into place, so
/// `dest_path` is either absent or a whole, consistent copy. kConflict when `dest_path` exists and
/// !overwrite; kValidation when the source is missing or is not a database; kUnavailable when `stop` was set (the
/// temporary copy is removed); kInternal for I/O errors.
core::Result<SqliteBackupResult> BackupSqliteDatabase(const std::string& source_path, const std::string& dest_path,
                                                      const SqliteBackupOptions& options);

}  // namespace haven::storage
