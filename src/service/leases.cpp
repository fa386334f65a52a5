#include "service/leases.hpp"

#include <set>

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
    // The store has no lookup by a list of ids: a page names few leases, so they are read one by one; a long list
    // (every payment of the agency) reads the agency's leases once instead.
    constexpr size_t kOneByOne = 20;
    const std::set<int64_t> wanted(lease_ids.begin(), lease_ids.end());
    std::map<int64_t, std::string> out;
    if (wanted.size() > kOneByOne) {
        auto leases = store.ListLeases(agency_id);
        if (!leases) return core::Fail(leases.error());
        for (const auto& lease : *leases) {
            if (!lease.external_id.empty() && wanted.count(lease.id)) out[lease.id] = lease.external_id;
        }
        return out;
    }
    for (int64_t id : wanted) {
        auto lease = store.FindLease(agency_id, id);
        if (!lease) {
            if (lease.error().code == core::ErrorCode::kNotFound) continue;
            return core::Fail(lease.error());
        }
        if (!lease->external_id.empty()) out[id] = lease->external_id;
    }
    return out;
}

core::Result<std::string> LeaseExternalId(storage::Store& store, int64_t agency_id, std::optional<int64_t> lease_id) {
    if (!lease_id) return std::string();
    auto ids = LeaseExternalIds(store, agency_id, {*lease_id});
    if (!ids) return core::Fail(ids.error());
    auto found = ids->find(*lease_id);
    return found == ids->end() ? std::string() : found->second;
}

}  // namespace haven::service
