// The rent roll's sums (core/rent_roll.hpp says what they mean), in two aggregate queries whatever the number of
// leases: the agency's payments grouped by lease (read in the order of the index payments_agency_lease_paid, which
// holds the amount too: no sort, no table reads) joined back to each lease's latest payment; and the successful
// refunds and reversals of its payments. Completion times are ISO-8601 UTC text of one width, so they compare as
// text on both backends.
#include "storage/sql/sql_store_internal.hpp"

namespace haven::storage {

Result<std::map<int64_t, Store::LeaseRentSums>> SqlStore::SumRentRoll(int64_t agency_id, const std::string& month_start,
                                                                      const std::string& month_end) {
    auto paid = RunRead(
        "SELECT s.lease_id, s.paid_before, s.paid_within, p.paid_at, p.amount, p.source FROM ("
        "SELECT lease_id, SUM(CASE WHEN paid_at < ? THEN amount ELSE 0 END) AS paid_before, "
        "SUM(CASE WHEN paid_at >= ? THEN amount ELSE 0 END) AS paid_within, MAX(paid_at) AS last_at "
        "FROM payments WHERE agency_id = ? AND paid_at < ? GROUP BY lease_id"
        ") s JOIN payments p ON p.agency_id = ? AND p.lease_id = s.lease_id AND p.paid_at = s.last_at "
        "ORDER BY p.id",
        {month_start, month_start, agency_id, month_end, agency_id});
    if (!paid) return Fail(paid.error());
    std::map<int64_t, LeaseRentSums> out;
    // Two payments of a lease in its last second: the later row (rows come in id order) is its last payment.
    for (const SqlRow& row : paid->rows) {
        RowReader r(row);
        LeaseRentSums& sum = out[r.Int()];
        sum.money.paid_before = r.Int();
        sum.money.paid_within = r.Int();
        sum.last_paid_at = r.Text();
        sum.last_amount = r.Int();
        sum.last_source = r.Text();
    }
    // A refund or reversal names the payment's transaction as its original; only SUCCESS moved money.
    auto refunded = RunRead(
        "SELECT p.lease_id, SUM(CASE WHEN tr.completed_at < ? THEN tr.amount ELSE 0 END), "
        "SUM(CASE WHEN tr.completed_at >= ? THEN tr.amount ELSE 0 END) FROM transfers tr "
        "JOIN payments p ON p.transaction_id = tr.original_transaction_id "
        "WHERE tr.agency_id = ? AND tr.status = 'SUCCESS' AND tr.completed_at < ? AND p.agency_id = ? "
        "GROUP BY p.lease_id",
        {month_start, month_start, agency_id, month_end, agency_id});
    if (!refunded) return Fail(refunded.error());
    for (const SqlRow& row : refunded->rows) {
        RowReader r(row);
        LeaseRentSums& sum = out[r.Int()];
        sum.money.refunded_before = r.Int();
        sum.money.refunded_within = r.Int();
    }
    for (auto& [lease_id, sum] : out) sum.lease_id = lease_id;
    return out;
}

}  // namespace haven::storage
