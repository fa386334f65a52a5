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
    return core::Fail(core::Error::Validation(field, "no lease has externalId '" + key.external_id +
                                                         "'; create it first with PUT /api/v1/leases/by-external/" +
                                                         key.external_id +
                                                         " (or POST /api/v1/leases with an externalId)"));
}

core::Result<std::map<int64_t, std::string>> LeaseExternalIds(storage::Store& store, int64_t agency_id,
                                                              const std::vector<int64_t>& lease_ids) {
    if (lease_ids.empty()) return std::map<int64_t, std::string>();
    return store.LeaseExternalIds(agency_id, lease_ids);
}

core::Result<std::string> LeaseExternalId(storage::Store& store, int64_t agency_id, std::optional<int64_t> lease_id) {
    if (!lease_id) return std::string();
    auto ids = LeaseExternalIds(store, agency_id, {*lease_id});
    if (!ids) return core::Fail(ids.error());
    auto found = ids->find(*lease_id);
    return found == ids->end() ? std::string() : found->second;
}

}  // namespace haven::service
