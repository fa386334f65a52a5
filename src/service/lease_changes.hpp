#pragma once
// Editing and ending a lease (PATCH /api/v1/leases/{id}, POST /api/v1/leases/{id}/end). Each change and its
// audit row (with the changed fields before and after) are written in one database transaction: there is no
// change without its row and no row for a change that was undone.
#include <cstdint>
#include <string>

#include "core/error.hpp"
#include "core/models.hpp"
#include "service/stk_service.hpp"
#include "storage/store.hpp"

namespace haven::service {

/// {"before": {...}, "after": {...}} with only the fields that differ, named as the API names them. Phone
/// numbers are masked (core::MaskPhone): audit rows are kept for ever and never hold a whole phone number, so
/// erasing a tenant's personal data later has no audit row to rewrite (and the log cannot be rewritten).
nlohmann::json LeaseDiff(const core::Lease& before, const core::Lease& after);

/// Applies `edit` to the agency's lease and writes the `lease.update` audit row in the same transaction.
core::Result<core::Lease> EditLease(storage::Store& store, const Actor& actor, int64_t lease_id,
                                    const storage::Store::LeaseEdit& edit);

/// Ends the agency's lease on `end_date` (a Nairobi day, "YYYY-MM-DD") and writes the `lease.end` audit row in
/// the same transaction. kConflict when it has already ended.
core::Result<core::Lease> EndLease(storage::Store& store, const Actor& actor, int64_t lease_id,
                                   const std::string& end_date, const std::string& reason);

/// Haven's sync of its lease (PUT /api/v1/leases/by-external/{externalId}): creates or updates it and writes the
/// `lease.sync` audit row (for an update, with the changed fields before and after) in the same transaction.
/// A sync never reopens an ended lease: it updates the fields and the lease stays ended (a new tenancy is a new lease).
core::Result<storage::Store::LeaseUpsert> SyncLease(storage::Store& store, const Actor& actor,
                                                    const core::Lease& lease);

/// Today in Nairobi ("YYYY-MM-DD"), the business day of Kenyan rent.
std::string NairobiToday();

}  // namespace haven::service
