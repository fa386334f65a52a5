#pragma once
// Transaction status queries: asking M-Pesa what became of a transaction (any kind), and settling a PENDING
// B2C payment or reversal from the answer. Depends on interfaces only (Store, DarajaClient).
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>

#include "core/error.hpp"
#include "service/initiator.hpp"

namespace haven::service {

/// Asks Daraja for the status of any transaction of the agency (STK by receipt; B2C and reversals by
/// receipt or conversation id). The answer comes to the status ResultURL.
Result<storage::StatusQuery> QueryTransactionStatus(int64_t agency_id, int64_t transaction_id,
                                                    std::optional<int64_t> user_id, B2cDeps deps);
void QueryTransactionStatusAsync(int64_t agency_id, int64_t transaction_id, std::optional<int64_t> user_id,
                                 B2cDeps deps, daraja::Done<storage::StatusQuery> done);
/// A Result posted to the status ResultURL: recorded, and a PENDING transfer it names is settled
/// (Completed/Reversed -> SUCCESS; M-Pesa has no such transaction (2032) -> FAILED).
Result<ResultOutcome> ApplyStatusResult(const nlohmann::json& body, const std::string& request_id, B2cDeps deps);
/// Status query timeout: recorded; the transfer stays PENDING.
Result<ResultOutcome> ApplyStatusTimeout(const nlohmann::json& body, const std::string& request_id, B2cDeps deps);

}  // namespace haven::service
