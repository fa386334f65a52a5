#pragma once
// What Daraja tells us later about a B2C payment or a reversal: its Result (applied once; duplicates change
// nothing) or a queue timeout (the row stays PENDING and a transaction status query settles it).
// Depends on interfaces only (Store, DarajaClient).
#include <nlohmann/json.hpp>
#include <string>

#include "core/error.hpp"
#include "core/models.hpp"
#include "service/initiator.hpp"

namespace haven::service {

/// A Result posted to the B2C or reversal ResultURL (kind kB2c | kReversal). Unknown ids are
/// stored as unmatched callbacks and acknowledged; duplicates change nothing.
Result<ResultOutcome> ApplyTransferResult(core::TxKind kind, const nlohmann::json& body, const std::string& request_id,
                                          B2cDeps deps);
/// A queue timeout: recorded on the timeline, the row stays PENDING and a transaction status
/// query is sent to settle it.
Result<ResultOutcome> ApplyTransferTimeout(core::TxKind kind, const nlohmann::json& body, const std::string& request_id,
                                           B2cDeps deps);

}  // namespace haven::service
