// `haven-mpesa backup FILE`: copies the SQLite database named by DATABASE_URL with SQLite's online backup API
// (storage/sqlite/sqlite_backup.hpp) while the gateway keeps serving. PostgreSQL has its own tools, named in
// the error.
#include "app/backup_cli.hpp"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>

#include "app/config.hpp"
#include "storage/sqlite/sqlite_backup.hpp"

namespace haven::app {
namespace {

struct BackupArgs {
    std::string file;
    std::string database_url;
    bool force = false;
    int step_pages = 1024;
    int pause_ms = 0;
};

std::atomic<bool> g_interrupted{false};

int Backup(const BackupArgs& args) {
    std::string url = args.database_url;
    if (url.empty()) url = ProcessEnv()("DATABASE_URL").value_or("sqlite:./data/haven.db");
    if (url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        std::cerr << "haven-mpesa backup: DATABASE_URL is a PostgreSQL database; back it up with PostgreSQL's own "
                     "tools:\n"
                     "  pg_dump --format=custom --file=haven.dump DBNAME   (a consistent logical copy; restore with "
                     "pg_restore)\n"
                     "  pg_basebackup with WAL archiving (archive_command)   (a physical copy with point-in-time "
                     "recovery)\n"
                     "See 'Backups' in README.md.\n";
        return 2;
    }
    auto path = storage::SqlitePathFromUrl(url);
    if (!path) {
        std::cerr << "haven-mpesa backup: DATABASE_URL must be sqlite:PATH or postgres://...\n";
        return 2;
    }
    const bool tty = ::isatty(STDERR_FILENO) != 0;
    storage::SqliteBackupOptions options;
    options.step_pages = args.step_pages;
    options.pause = std::chrono::milliseconds(args.pause_ms);
    options.overwrite = args.force;
    if (tty) {
        options.progress = [](int64_t done, int64_t total) {
            std::fprintf(stderr, "\r%lld / %lld pages", static_cast<long long>(done), static_cast<long long>(total));
            std::fflush(stderr);
        };
    }
    // Ctrl+C or `systemctl stop` between two steps: the temporary copy is removed, nothing is left half-written.
    options.stop = &g_interrupted;
    std::signal(SIGINT, [](int) { g_interrupted = true; });
    std::signal(SIGTERM, [](int) { g_interrupted = true; });
    const auto started = std::chrono::steady_clock::now();
    auto copied = storage::BackupSqliteDatabase(*path, args.file, options);
    if (tty) std::fprintf(stderr, "\n");
    if (!copied) {
        std::cerr << "haven-mpesa backup: " << copied.error().message << "\n";
        if (g_interrupted) return 130;
        return copied.error().code == core::ErrorCode::kInternal ? 1 : 2;
    }
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
    std::cout << "backed up " << *path << " to " << args.file << ": " << copied->pages << " pages, " << copied->bytes
              << " bytes in " << ms << " ms (" << copied->steps << " steps); quick_check ok\n";
    return 0;
}

}  // namespace

void AddBackupCommand(CLI::App& app) {
    auto args = std::make_shared<BackupArgs>();
    auto* backup = app.add_subcommand(
        "backup",
        "Copy the SQLite database (DATABASE_URL) to FILE while the gateway keeps running (SQLite's online backup). "
        "PostgreSQL: use pg_dump or pg_basebackup (README 'Backups')");
    backup->add_option("FILE", args->file, "Where to write the copy (refused if it exists, unless --force)")
        ->required();
    backup->add_flag("--force", args->force, "Replace FILE if it exists");
    backup->add_option("--database-url", args->database_url, "The database to copy (default: DATABASE_URL)");
    backup->add_option("--step-pages", args->step_pages, "Pages copied per step")
        ->default_val(1024)
        ->check(CLI::PositiveNumber);
    backup->add_option("--pause-ms", args->pause_ms, "Pause between steps, to spread the disk reads")
        ->default_val(0)
        ->check(CLI::NonNegativeNumber);
    backup->callback([args] {
        if (int code = Backup(*args); code != 0) throw CLI::RuntimeError(code);
    });
}

}  // namespace haven::app
