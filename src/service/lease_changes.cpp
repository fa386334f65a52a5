#include "service/lease_changes.hpp"

#include <chrono>

#include "core/phone.hpp"
#include "core/text.hpp"
#include "core/time.hpp"

namespace haven::service {

using nlohmann::json;

namespace {

/// The lease fields an edit or an end may change, as the API names them. The audit log is append-only, so erasing a
/// tenant's personal data (privacy) cannot reach it: the tenant's name, number and e-mail are kept masked here.
json AuditedFields(const core::Lease& l) {
    return {{"tenantName", core::MaskName(l.tenant_name)},
            {"phoneNumber", core::MaskPhone(l.phone_number)},
            {"unit", l.unit},
            {"monthlyRent", l.monthly_rent},
            {"accountReference", l.account_reference},
            {"email", l.email.empty() ? json(nullptr) : json(core::MaskEmail(l.email))},
            {"status", l.Ended() ? "ended" : "active"},
            {"endDate", l.end_date.empty() ? json(nullptr) : json(l.end_date)},
            {"endReason", l.end_reason.empty() ? json(nullptr) : json(l.end_reason)},
            {"dueDay", l.due_day},
            {"startDate", l.start_date.empty() ? json(nullptr) : json(l.start_date)}};
}

core::AuditEntry Row(const Actor& actor, const std::string& action, int64_t lease_id, const json& detail) {
    core::AuditEntry e;
    e.agency_id = actor.agency_id;
    e.actor_user_id = actor.user_id;
    e.actor = actor.name;
    e.action = action;
    e.target = "lease:" + std::to_string(lease_id);
    e.request_id = actor.request_id;
    e.outcome = "success";
    e.detail = detail.dump();
    return e;
}

/// Runs `change` and writes its audit row in one unit of work.
template <class Change>
core::Result<core::Lease> Audited(storage::Store& store, const Actor& actor, const std::string& action,
                                  int64_t lease_id, Change change) {
    core::Lease out;
    auto done = store.Atomically([&](storage::Store& s) -> core::Result<void> {
        auto changed = change(s);
        if (!changed) return core::Fail(changed.error());
        out = changed->after;
        return s.InsertAudit(Row(actor, action, lease_id, LeaseDiff(changed->before, changed->after)));
    });
    if (!done) {
        if (done.error().code == core::ErrorCode::kNotFound) {
            return core::Fail(core::ErrorCode::kNotFound, "no lease with this id");
        }
        return core::Fail(done.error());
    }
    return out;
}

}  // namespace

json LeaseDiff(const core::Lease& before, const core::Lease& after) {
    const json b = AuditedFields(before);
    const json a = AuditedFields(after);
    json out = {{"before", json::object()}, {"after", json::object()}};
    for (const auto& [name, value] : b.items()) {
        if (a[name] == value) continue;
        out["before"][name] = value;
        out["after"][name] = a[name];
    }
    return out;
}

core::Result<core::Lease> EditLease(storage::Store& store, const Actor& actor, int64_t lease_id,
                                    const storage::Store::LeaseEdit& edit) {
    return Audited(store, actor, "lease.update", lease_id,
                   [&](storage::Store& s) { return s.UpdateLease(actor.agency_id, lease_id, edit); });
}

core::Result<core::Lease> EndLease(storage::Store& store, const Actor& actor, int64_t lease_id,
                                   const std::string& end_date, const std::string& reason) {
    return Audited(store, actor, "lease.end", lease_id,
                   [&](storage::Store& s) { return s.EndLease(actor.agency_id, lease_id, end_date, reason); });
}

core::Result<storage::Store::LeaseUpsert> SyncLease(storage::Store& store, const Actor& actor,
                                                    const core::Lease& lease) {
    storage::Store::LeaseUpsert out;
    auto done = store.Atomically([&](storage::Store& s) -> core::Result<void> {
        auto before = s.FindLeaseByExternalId(lease.agency_id, lease.external_id);
        if (!before && before.error().code != core::ErrorCode::kNotFound) return core::Fail(before.error());
        auto synced = s.UpsertLeaseByExternalId(lease);
        if (!synced) return core::Fail(synced.error());
        out = *synced;
        json detail = before && !synced->created ? LeaseDiff(*before, synced->lease) : json(nullptr);
        core::AuditEntry row = Row(actor, "lease.sync", synced->lease.id, detail);
        if (detail.is_null()) row.detail.clear();
        return s.InsertAudit(row);
    });
    if (!done) return core::Fail(done.error());
    return out;
}

std::string NairobiToday() { return core::IsoUtc(std::chrono::system_clock::now() + core::kEatOffset).substr(0, 10); }

}  // namespace haven::service
