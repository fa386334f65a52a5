#pragma once
// SQLite backend in WAL mode: one writer connection guarded by a mutex plus a few lazily opened reader
// connections (PRAGMA query_only) for single read statements; prepared statements cached per SQL text.
#include <memory>
#include <string>

#include "storage/store.hpp"

namespace haven::storage {

/// Opens (creating the file and its parent directory if missing) the SQLite database at `path`;
/// ":memory:" gives a private in-memory database. Does not migrate.
Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path);

}  // namespace haven::storage
