#pragma once
// Leases as the rest of the gateway names them (see core/lease_key.hpp for the rule).
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/lease_key.hpp"
#include "storage/store.hpp"

namespace haven::service {

/// Our id of the agency's lease named by `key`. An external id no lease has is kValidation (a caller's
/// mistake, with how to create it); our id of no lease of this agency is kNotFound.
core::Result<int64_t> ResolveLease(storage::Store& store, int64_t agency_id, const core::LeaseKey& key,
                                   const std::string& field = "leaseId");

/// Haven's id (externalId) of each of the agency's leases in `lease_ids` that has one; leases without one, and ids
/// of no lease of this agency, are left out. Answers show it as leaseExternalId beside our leaseId.
core::Result<std::map<int64_t, std::string>> LeaseExternalIds(storage::Store& store, int64_t agency_id,
                                                              const std::vector<int64_t>& lease_ids);
/// The same for one transaction's lease: "" when it has none or the lease has no external id.
core::Result<std::string> LeaseExternalId(storage::Store& store, int64_t agency_id, std::optional<int64_t> lease_id);

}  // namespace haven::service
