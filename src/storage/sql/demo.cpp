// The demo's seeded history (migration 023): its marker, and the calls that move the rows it wrote into the past.
#include "storage/sql/sql_store_internal.hpp"

namespace haven::storage {

namespace {

constexpr const char* kSeedCols = "agency_id, history_until, transactions, created_at";

Store::DemoSeed ReadDemoSeed(const SqlRow& row) {
    RowReader r(row);
    Store::DemoSeed s;
    s.agency_id = r.Int();
    s.history_until = r.Text();
    s.transactions = r.Int();
    s.created_at = r.Text();
    return s;
}

}  // namespace

Result<std::optional<Store::DemoSeed>> SqlStore::FindDemoSeed(int64_t agency_id) {
    auto found =
        One<DemoSeed>(RunRead(Cat({"SELECT ", kSeedCols, " FROM demo_seeds WHERE agency_id = ?"}), {agency_id}),
                      ReadDemoSeed, "demo seed");
    if (found) return std::optional<DemoSeed>(std::move(*found));
    if (found.error().code == ErrorCode::kNotFound) return std::optional<DemoSeed>();
    return Fail(found.error());
}

Result<Store::DemoSeed> SqlStore::InsertDemoSeed(const DemoSeed& seed) {
    return One<DemoSeed>(
        Run(Cat({"INSERT INTO demo_seeds (agency_id, history_until, transactions, created_at) VALUES (?, ?, ?, ?) "
                 "RETURNING ",
                 kSeedCols}),
            {seed.agency_id, seed.history_until, seed.transactions, NowIso8601()}),
        ReadDemoSeed, "demo seed");
}

Result<void> SqlStore::BackdateDemoTransaction(int64_t transaction_id, const std::string& created_at,
                                               const std::string& completed_at) {
    // The id belongs to one kind; the statements for the other kinds match no row.
    const std::string updated_at = completed_at.empty() ? created_at : completed_at;
    return InTransaction<void>([&](SqlConnection& c) -> Result<void> {
        const Statement statements[] = {
            {"UPDATE transaction_ids SET created_at = ? WHERE id = ?", {created_at, transaction_id}},
            {"UPDATE stk_transactions SET created_at = ?, updated_at = ?, "
             "completed_at = CASE WHEN completed_at IS NULL THEN NULL ELSE ? END WHERE id = ?",
             {created_at, updated_at, updated_at, transaction_id}},
            {"UPDATE stk_events SET created_at = ? WHERE transaction_id = ?", {updated_at, transaction_id}},
            {"UPDATE transfers SET created_at = ?, updated_at = ?, "
             "completed_at = CASE WHEN completed_at IS NULL THEN NULL ELSE ? END WHERE id = ?",
             {created_at, updated_at, updated_at, transaction_id}},
            {"UPDATE transfer_events SET created_at = ? WHERE transfer_id = ?", {updated_at, transaction_id}},
            {"UPDATE c2b_payments SET created_at = ?, updated_at = ? WHERE id = ?",
             {updated_at, updated_at, transaction_id}},
            {"UPDATE payments SET paid_at = ? WHERE transaction_id = ?", {updated_at, transaction_id}},
            {"UPDATE review_items SET created_at = ? WHERE transaction_id = ?", {updated_at, transaction_id}},
        };
        for (const Statement& s : statements) {
            if (auto r = Done(c.Run(s.sql, s.params)); !r) return r;
        }
        return {};
    });
}

Result<void> SqlStore::BackdateDemoLease(int64_t lease_id, const std::string& created_at) {
    return Done(Run("UPDATE leases SET created_at = ? WHERE id = ?", {created_at, lease_id}));
}

}  // namespace haven::storage
