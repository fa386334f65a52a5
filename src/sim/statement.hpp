#pragma once
// The simulator's ledger as the M-Pesa business portal exports it (docs: shared/daraja/statement.md): a few
// `Label:,value` lines, the table's header, one row per movement newest first, a charge row after each paid-in
// payment and B2C payment. Every completed transaction is on it, including those whose callbacks a rule dropped.
#include <optional>
#include <string>

#include "sim/ledger.hpp"
#include "sim/wire.hpp"

namespace haven::sim {

/// The fee the simulator charges the organisation for receiving `amount` through its paybill (whole shillings;
/// an invented tariff, roughly Safaricom's: 0.55%, at least 1, at most 200).
int64_t PayBillCharge(int64_t amount);

/// The statement of the Utility Account for movements completed in [from, to) (either bound optional).
std::string StatementCsv(const Ledger& ledger, const Balances& opening, const std::string& shortcode,
                         std::optional<TimePoint> from, std::optional<TimePoint> to);

}  // namespace haven::sim
