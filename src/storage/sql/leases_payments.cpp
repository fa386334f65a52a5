// Leases (agency-scoped, optionally synced by external id) and the payments recorded against them.
#include "core/account_ref.hpp"
#include "core/hex.hpp"
#include "storage/sql/sql_store_internal.hpp"

namespace haven::storage {

namespace {

/// due_day 0 means "not given": a new lease gets the default (the 5th), a synced one keeps its own.
int64_t DueDayOrDefault(const core::Lease& lease) { return lease.due_day > 0 ? lease.due_day : 5; }

}  // namespace

Result<core::Lease> SqlStore::InsertLease(const core::Lease& lease) {
    auto inserted = One<core::Lease>(
        Run(Cat({"INSERT INTO leases (agency_id, tenant_name, phone_number, unit, monthly_rent, account_reference, "
                 "external_id, created_at, due_day, start_date, account_key, phone_hash, email) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING ",
                 kLeaseCols}),
            {lease.agency_id, lease.tenant_name, lease.phone_number, lease.unit, lease.monthly_rent,
             lease.account_reference, OptText(lease.external_id), NowIso8601(), DueDayOrDefault(lease),
             OptText(lease.start_date), core::NormalizeAccountRef(lease.account_reference),
             core::Sha256Hex(lease.phone_number), OptText(lease.email)}),
        ReadLease, "lease");
    if (!inserted && inserted.error().code == ErrorCode::kConflict) {
        return Fail(ErrorCode::kConflict,
                    "another lease of this agency already has externalId '" + lease.external_id + "'");
    }
    return inserted;
}

Result<core::Lease> SqlStore::FindLeaseByExternalId(int64_t agency_id, const std::string& external_id) {
    return One<core::Lease>(
        RunRead(Cat({"SELECT ", kLeaseCols, " FROM leases WHERE agency_id = ? AND external_id = ?"}),
                {agency_id, external_id}),
        ReadLease, "lease");
}

Result<Store::LeaseUpsert> SqlStore::UpsertLeaseByExternalId(const core::Lease& lease) {
    if (lease.external_id.empty()) return Fail(ErrorCode::kValidation, "externalId is required");
    auto attempt = [&]() {
        return InTransaction<LeaseUpsert>([&](SqlConnection& c) -> Result<LeaseUpsert> {
            auto updated = One<core::Lease>(
                c.Run(Cat({"UPDATE leases SET tenant_name = ?, phone_number = ?, unit = ?, monthly_rent = ?, "
                           "account_reference = ?, due_day = COALESCE(?, due_day), start_date = COALESCE(?, "
                           "start_date), account_key = ?, phone_hash = ?, email = COALESCE(?, email) "
                           "WHERE agency_id = ? AND external_id = ? RETURNING ",
                           kLeaseCols}),
                      {lease.tenant_name, lease.phone_number, lease.unit, lease.monthly_rent, lease.account_reference,
                       lease.due_day > 0 ? OptInt(lease.due_day) : OptInt(std::nullopt), OptText(lease.start_date),
                       core::NormalizeAccountRef(lease.account_reference), core::Sha256Hex(lease.phone_number),
                       OptText(lease.email), lease.agency_id, lease.external_id}),
                ReadLease, "lease");
            if (updated) return LeaseUpsert{*updated, false};
            if (updated.error().code != ErrorCode::kNotFound) return Fail(updated.error());
            auto inserted = One<core::Lease>(
                c.Run(Cat({"INSERT INTO leases (agency_id, tenant_name, phone_number, unit, monthly_rent, "
                           "account_reference, external_id, created_at, due_day, start_date, account_key, "
                           "phone_hash, email) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING ",
                           kLeaseCols}),
                      {lease.agency_id, lease.tenant_name, lease.phone_number, lease.unit, lease.monthly_rent,
                       lease.account_reference, lease.external_id, NowIso8601(), DueDayOrDefault(lease),
                       OptText(lease.start_date), core::NormalizeAccountRef(lease.account_reference),
                       core::Sha256Hex(lease.phone_number), OptText(lease.email)}),
                ReadLease, "lease");
            if (!inserted) return Fail(inserted.error());
            return LeaseUpsert{*inserted, true};
        });
    };
    auto out = attempt();
    // Two first syncs of the same lease at once: the unique index lets one insert; the other updates it.
    if (!out && out.error().code == ErrorCode::kConflict) out = attempt();
    return out;
}

Result<core::Lease> SqlStore::FindLease(int64_t agency_id, int64_t id) {
    return One<core::Lease>(
        RunRead(Cat({"SELECT ", kLeaseCols, " FROM leases WHERE agency_id = ? AND id = ?"}), {agency_id, id}),
        ReadLease, "lease");
}

Result<std::vector<core::Lease>> SqlStore::ListLeases(int64_t agency_id) {
    return Many<core::Lease>(
        RunRead(Cat({"SELECT ", kLeaseCols, " FROM leases WHERE agency_id = ? ORDER BY id"}), {agency_id}), ReadLease);
}

Result<std::map<int64_t, std::string>> SqlStore::LeaseExternalIds(int64_t agency_id,
                                                                  const std::vector<int64_t>& lease_ids) {
    std::map<int64_t, std::string> out;
    for (size_t first = 0; first < lease_ids.size(); first += kTotalsChunk) {
        const size_t n = std::min(kTotalsChunk, lease_ids.size() - first);
        std::string sql =
            "SELECT id, external_id FROM leases WHERE agency_id = ? AND external_id IS NOT NULL AND id IN ";
        SqlParams params{agency_id};
        AppendIdList(sql, params, lease_ids, first, n);
        auto res = RunRead(sql, params);
        if (!res) return Fail(res.error());
        for (const SqlRow& row : res->rows) {
            RowReader r(row);
            const int64_t id = r.Int();
            std::string external = r.Text();
            if (!external.empty()) out[id] = std::move(external);
        }
    }
    return out;
}

Result<std::vector<core::Payment>> SqlStore::ListPayments(int64_t agency_id, std::optional<int64_t> lease_id) {
    if (lease_id) {
        return Many<core::Payment>(
            RunRead(
                Cat({"SELECT ", kPaymentCols, " FROM payments WHERE agency_id = ? AND lease_id = ? ORDER BY id DESC"}),
                {agency_id, *lease_id}),
            ReadPayment);
    }
    return Many<core::Payment>(
        RunRead(Cat({"SELECT ", kPaymentCols, " FROM payments WHERE agency_id = ? ORDER BY id DESC"}), {agency_id}),
        ReadPayment);
}

}  // namespace haven::storage
