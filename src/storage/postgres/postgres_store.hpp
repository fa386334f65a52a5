#pragma once
// PostgreSQL backend over libpq: a small pool of connections, text parameters (PQexecParams).
#include <memory>
#include <string>

#include "storage/store.hpp"

namespace haven::storage {

/// Connects to `url` ("postgres://user:pass@host:5432/db", libpq URI syntax, so "?options=-csearch_path%3Dx"
/// works). Fails with kInternal when the server cannot be reached. Does not migrate. `group_commit`: writes
/// go through a few writer threads that commit them in batches (GroupCommitter); otherwise each is its own
/// transaction on the pool.
Result<std::unique_ptr<Store>> OpenPostgresStore(const std::string& url, bool group_commit);

}  // namespace haven::storage
