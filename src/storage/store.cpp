#include "storage/store.hpp"

#include <string_view>

#include "storage/postgres/postgres_store.hpp"
#include "storage/sqlite/sqlite_backup.hpp"
#include "storage/sqlite/sqlite_store.hpp"

namespace haven::storage {

Result<std::unique_ptr<Store>> MakeStore(const std::string& database_url, const StoreOptions& options) {
    std::string_view url = database_url;
    if (auto path = SqlitePathFromUrl(database_url)) return OpenSqliteStore(*path, options.group_commit);
    if (url.starts_with("postgres://") || url.starts_with("postgresql://"))
        return OpenPostgresStore(database_url, options.group_commit);
    return core::Fail(core::Error::Validation(
        "DATABASE_URL", "DATABASE_URL must start with sqlite: (e.g. sqlite:./data/haven.db) or postgres://"));
}

}  // namespace haven::storage
