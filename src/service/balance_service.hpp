#pragma once
// Account balance checks: the row, then Daraja; the accounts arrive with the Result.
// Depends on interfaces only (Store, DarajaClient).
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "service/initiator.hpp"
#include "service/stk_service.hpp"

namespace haven::service {

Result<storage::BalanceCheck> RequestBalance(const Actor& actor, B2cDeps deps);
void RequestBalanceAsync(const Actor& actor, B2cDeps deps, daraja::Done<storage::BalanceCheck> done);
/// A Result posted to the balance ResultURL: the accounts it lists are stored once.
Result<ResultOutcome> ApplyBalanceResult(const nlohmann::json& body, const std::string& request_id, B2cDeps deps);
/// A balance query that timed out in M-Pesa's queue ends FAILED (it moves no money).
Result<ResultOutcome> ApplyBalanceTimeout(const nlohmann::json& body, const std::string& request_id, B2cDeps deps);

}  // namespace haven::service
