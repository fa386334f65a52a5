#pragma once
// SQLite backend in WAL mode: one writer connection guarded by a mutex plus a few lazily opened reader
// connections (PRAGMA query_only) for single read statements; prepared statements cached per SQL text.
// Durable: synchronous = FULL syncs the WAL at every commit; group commit shares one commit among
// concurrent writes.
#include <memory>
#include <string>

#include "storage/store.hpp"

namespace haven::storage {

/// Opens (creating the file and its parent directory if missing) the SQLite database at `path`;
/// ":memory:" gives a private in-memory database. Does not migrate. `group_commit`: writes go through
/// one writer thread that commits them in batches (GroupCommitter); otherwise each is its own transaction.
Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path, bool group_commit);

}  // namespace haven::storage
