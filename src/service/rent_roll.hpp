#pragma once
// The rent roll of one month (GET /api/v1/rent-roll): every lease that owes rent in the month with what it brought
// forward, owed, paid (STK and paybill, net of refunds and reversals) and still owes, its status and its last
// payment; and the agency's totals. The rules are core/rent_roll's; the sums come from one store call.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/rent_roll.hpp"
#include "storage/store.hpp"

namespace haven::service {

struct RentRollRow {
    core::Lease lease;
    core::RentLine line;
    std::string last_paid_at;  // "" when the lease has no payment before the month's end
    int64_t last_amount = 0;
    std::string last_source;
};

struct RentRollTotals {
    int64_t leases = 0;
    int64_t brought_forward = 0;
    int64_t due = 0;
    int64_t paid = 0;     // net
    int64_t arrears = 0;  // the positive balances: what tenants still owe at the month's end
    int64_t credit = 0;   // the negative balances, as a positive amount: what tenants paid ahead
    int64_t late = 0;
    std::map<core::RentStatus, int64_t> by_status;  // every status, 0 when none
};

struct RentRoll {
    core::YearMonth month;
    std::string today;              // the Nairobi day "late" was judged on
    std::vector<RentRollRow> rows;  // lease id order
    RentRollTotals totals;          // over all rows
};

/// The agency's rent roll of `month`, judged on `today` (a Nairobi day "YYYY-MM-DD").
core::Result<RentRoll> BuildRentRoll(storage::Store& store, int64_t agency_id, core::YearMonth month,
                                     std::string_view today);

}  // namespace haven::service
