#pragma once
// Two people for big money moves (maker-checker). An agency sets an approval threshold, a daily payout limit
// and how long a held request waits (GET/PATCH /api/v1/agency/settings). A payout or reversal above the
// threshold reaches Daraja only once a second admin approves it (POST /api/v1/approvals/{id}/approve), through
// the same use case an immediate request runs; until then it is a pending approval, answered 202.
//
// The daily payout limit counts, per Nairobi day (EAT), the agency's B2C payouts created that day that did not
// fail (succeeded or still in flight) plus its B2C approvals still pending: money already promised counts, so
// approving a held payout can never take the day over the limit. It is checked when a payout is asked for and
// again when one is approved, for a clear early answer; the rule itself (core/payout_limit) is held by the store in
// the transaction that writes the payout or the held request, so payouts at once on any node never pass it together.
#include <nlohmann/json.hpp>

#include "api/guard.hpp"
#include "service/b2c_service.hpp"
#include "service/reversal_service.hpp"

namespace haven::api {

/// kProceed: the request goes on as an immediate one. kAnswered: it was answered here (held for approval: 202;
/// refused by the daily limit; or an error reading the settings).
enum class Gate { kProceed, kAnswered };

/// For POST /api/v1/mpesa/b2c, inside its Idempotency-Key (so a retry replays the 202). `body` is the request
/// as received; it is what an approval replays. `reply` is moved from only when the answer is kAnswered.
Gate GateB2c(ApiContext& ctx, const net::Request& req, const Caller& caller, const service::B2cInput& input,
             const nlohmann::json& body, net::Reply& reply);
/// For POST /api/v1/mpesa/reverse: the reversal rules are checked first (a refused reversal is refused now, not
/// after a second admin looked at it), and the amount weighed is what the reversal would send back.
Gate GateReversal(ApiContext& ctx, const net::Request& req, const Caller& caller, const service::ReversalInput& input,
                  const nlohmann::json& body, net::Reply& reply);

}  // namespace haven::api
