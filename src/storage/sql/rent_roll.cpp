// The rent roll's sums (core/rent_roll.hpp says what they mean): one aggregate query over the agency's payments and
// the successful refunds and reversals of them, split at the month's start, and one for each lease's last payment.
// Completion times are ISO-8601 UTC text of one width, so they compare as text on both backends.
#include "storage/sql/sql_store_internal.hpp"

namespace haven::storage {

Result<std::map<int64_t, Store::LeaseRentSums>> SqlStore::SumRentRoll(int64_t agency_id, const std::string& month_start,
                                                                      const std::string& month_end) {
    // kind p: a payment (by paid_at); kind r: a successful refund or reversal of one (by its completed_at).
    auto sums = RunRead(
        "SELECT lease_id, kind, SUM(CASE WHEN t < ? THEN amount ELSE 0 END), "
        "SUM(CASE WHEN t >= ? THEN amount ELSE 0 END) FROM ("
        "SELECT lease_id, 'p' AS kind, paid_at AS t, amount FROM payments WHERE agency_id = ? AND paid_at < ? "
        "UNION ALL "
        "SELECT p.lease_id, 'r' AS kind, tr.completed_at AS t, tr.amount FROM transfers tr "
        "JOIN payments p ON p.transaction_id = tr.original_transaction_id "
        "WHERE tr.agency_id = ? AND tr.status = 'SUCCESS' AND tr.completed_at < ? AND p.agency_id = ?"
        ") x GROUP BY lease_id, kind",
        {month_start, month_start, agency_id, month_end, agency_id, month_end, agency_id});
    if (!sums) return Fail(sums.error());
    std::map<int64_t, LeaseRentSums> out;
    for (const SqlRow& row : sums->rows) {
        RowReader r(row);
        const int64_t lease_id = r.Int();
        const std::string kind = r.Text();
        const int64_t before = r.Int();
        const int64_t within = r.Int();
        LeaseRentSums& sum = out[lease_id];
        sum.lease_id = lease_id;
        if (kind == "p") {
            sum.money.paid_before = before;
            sum.money.paid_within = within;
        } else {
            sum.money.refunded_before = before;
            sum.money.refunded_within = within;
        }
    }
    // Each lease's latest payment before the month's end; two at the same second: the later row.
    auto last = RunRead(
        "SELECT p.lease_id, p.id, p.paid_at, p.amount, p.source FROM payments p JOIN ("
        "SELECT lease_id, MAX(paid_at) AS last_at FROM payments WHERE agency_id = ? AND paid_at < ? GROUP BY lease_id"
        ") m ON p.lease_id = m.lease_id AND p.paid_at = m.last_at WHERE p.agency_id = ? ORDER BY p.id",
        {agency_id, month_end, agency_id});
    if (!last) return Fail(last.error());
    for (const SqlRow& row : last->rows) {
        RowReader r(row);
        const int64_t lease_id = r.Int();
        r.Int();  // id: rows come in id order, so the last one read wins
        LeaseRentSums& sum = out[lease_id];
        sum.lease_id = lease_id;
        sum.last_paid_at = r.Text();
        sum.last_amount = r.Int();
        sum.last_source = r.Text();
    }
    return out;
}

}  // namespace haven::storage
