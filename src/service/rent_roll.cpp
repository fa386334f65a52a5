#include "service/rent_roll.hpp"

namespace haven::service {

core::Result<RentRoll> BuildRentRoll(storage::Store& store, int64_t agency_id, core::YearMonth month,
                                     std::string_view today) {
    auto leases = store.ListLeases(agency_id);
    if (!leases) return core::Fail(leases.error());
    auto sums = store.SumRentRoll(agency_id, core::NairobiMonthStartUtc(month),
                                  core::NairobiMonthStartUtc(core::NextMonth(month)));
    if (!sums) return core::Fail(sums.error());
    RentRoll roll;
    roll.month = month;
    roll.today = std::string(today);
    for (auto s : {core::RentStatus::kPaid, core::RentStatus::kPartial, core::RentStatus::kUnpaid,
                   core::RentStatus::kOverpaid}) {
        roll.totals.by_status[s] = 0;
    }
    for (core::Lease& lease : *leases) {
        // Only the leases that owe rent in the month: started by its end and not ended before it began.
        if (!core::AccruesIn(lease, month)) continue;
        RentRollRow row;
        auto found = sums->find(lease.id);
        const storage::Store::LeaseRentSums none;
        const auto& sum = found == sums->end() ? none : found->second;
        row.line = core::ComputeRentLine(lease, month, sum.money, today);
        row.last_paid_at = sum.last_paid_at;
        row.last_amount = sum.last_amount;
        row.last_source = sum.last_source;
        row.lease = std::move(lease);
        RentRollTotals& t = roll.totals;
        ++t.leases;
        t.brought_forward += row.line.brought_forward;
        t.due += row.line.due;
        t.paid += row.line.paid;
        if (row.line.balance > 0) t.arrears += row.line.balance;
        if (row.line.balance < 0) t.credit -= row.line.balance;
        if (row.line.late) ++t.late;
        ++t.by_status[row.line.status];
        roll.rows.push_back(std::move(row));
    }
    return roll;
}

}  // namespace haven::service
