#pragma once
// Leases as the rest of the gateway names them (see core/lease_key.hpp for the rule).
#include <cstdint>

#include "core/error.hpp"
#include "core/lease_key.hpp"
#include "storage/store.hpp"

namespace haven::service {

/// Our id of the agency's lease named by `key`. An external id no lease has is kValidation (a caller's
/// mistake, with how to create it); our id of no lease of this agency is kNotFound.
core::Result<int64_t> ResolveLease(storage::Store& store, int64_t agency_id, const core::LeaseKey& key,
                                   const std::string& field = "leaseId");

}  // namespace haven::service
