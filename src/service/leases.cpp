#include "service/leases.hpp"

namespace haven::service {

core::Result<int64_t> ResolveLease(storage::Store& store, int64_t agency_id, const core::LeaseKey& key,
                                   const std::string& field) {
    if (key.id) {
        auto lease = store.FindLease(agency_id, *key.id);
        if (!lease) return core::Fail(lease.error());
        return lease->id;
    }
    auto lease = store.FindLeaseByExternalId(agency_id, key.external_id);
    if (lease) return lease->id;
    if (lease.error().code != core::ErrorCode::kNotFound) return core::Fail(lease.error());
    return core::Fail(core::Error::Validation(
        field, "no lease has externalId '" + key.external_id + "'; create it first with PUT /api/v1/leases/by-external/" +
                   key.external_id + " (or POST /api/v1/leases with an externalId)"));
}

}  // namespace haven::service
