#pragma once
// SQLite backend: one connection in WAL mode guarded by a mutex, prepared statements cached per SQL text.
#include <memory>
#include <string>

#include "storage/store.hpp"

namespace haven::storage {

/// Opens (creating the file and its parent directory if missing) the SQLite database at `path`;
/// ":memory:" gives a private in-memory database. Does not migrate.
Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path);

}  // namespace haven::storage
