// Editing and ending a lease: the row is read under its lock and written in one transaction, so the
// before/after the caller audits is exactly what the change replaced.
#include "core/account_ref.hpp"
#include "core/hex.hpp"
#include "storage/sql/sql_store_internal.hpp"

namespace haven::storage {

namespace {

/// The lease as it is, locked until the transaction ends (PostgreSQL; SQLite's one writer already holds it).
Result<core::Lease> LockLease(SqlConnection& c, bool postgres, int64_t agency_id, int64_t id) {
    return One<core::Lease>(c.Run(Cat({"SELECT ", kLeaseCols, " FROM leases WHERE agency_id = ? AND id = ?",
                                       postgres ? " FOR UPDATE" : ""}),
                                  {agency_id, id}),
                            ReadLease, "lease");
}

}  // namespace

Result<Store::LeaseChange> SqlStore::UpdateLease(int64_t agency_id, int64_t id, const LeaseEdit& edit) {
    const bool postgres = db_->Backend() == "postgres";
    return InTransaction<LeaseChange>([&](SqlConnection& c) -> Result<LeaseChange> {
        auto before = LockLease(c, postgres, agency_id, id);
        if (!before) return Fail(before.error());
        core::Lease after = *before;
        if (edit.tenant_name) after.tenant_name = *edit.tenant_name;
        if (edit.phone_number) after.phone_number = *edit.phone_number;
        if (edit.unit) after.unit = *edit.unit;
        if (edit.monthly_rent) after.monthly_rent = *edit.monthly_rent;
        if (edit.account_reference) after.account_reference = *edit.account_reference;
        if (edit.email) after.email = *edit.email;
        if (edit.due_day) after.due_day = *edit.due_day;
        if (edit.start_date) after.start_date = *edit.start_date;
        auto updated = One<core::Lease>(
            c.Run(Cat({"UPDATE leases SET tenant_name = ?, phone_number = ?, unit = ?, monthly_rent = ?, "
                       "account_reference = ?, email = ?, due_day = ?, start_date = ?, account_key = ?, "
                       "phone_hash = ? WHERE agency_id = ? AND id = ? RETURNING ",
                       kLeaseCols}),
                  {after.tenant_name, after.phone_number, after.unit, after.monthly_rent, after.account_reference,
                   OptText(after.email), int64_t{after.due_day}, OptText(after.start_date),
                   core::NormalizeAccountRef(after.account_reference), core::Sha256Hex(after.phone_number), agency_id,
                   id}),
            ReadLease, "lease");
        if (!updated) return Fail(updated.error());
        return LeaseChange{std::move(*before), std::move(*updated)};
    });
}

Result<Store::LeaseChange> SqlStore::EndLease(int64_t agency_id, int64_t id, const std::string& end_date,
                                              const std::string& reason) {
    const bool postgres = db_->Backend() == "postgres";
    return InTransaction<LeaseChange>([&](SqlConnection& c) -> Result<LeaseChange> {
        auto before = LockLease(c, postgres, agency_id, id);
        if (!before) return Fail(before.error());
        if (before->Ended()) {
            return Fail(ErrorCode::kConflict, "this lease already ended on " + before->end_date);
        }
        auto updated = One<core::Lease>(c.Run(Cat({"UPDATE leases SET end_date = ?, ended_at = ?, end_reason = ? "
                                                   "WHERE agency_id = ? AND id = ? AND ended_at IS NULL RETURNING ",
                                                   kLeaseCols}),
                                              {end_date, NowIso8601(), OptText(reason), agency_id, id}),
                                        ReadLease, "lease");
        if (!updated) return Fail(updated.error());
        return LeaseChange{std::move(*before), std::move(*updated)};
    });
}

}  // namespace haven::storage
