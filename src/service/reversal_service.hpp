#pragma once
// Money coming back: reversing a payment a customer made by STK push. Only a successful STK payment can be
// reversed, and only once. The row is written before Daraja is called; its Result is applied by
// transfer_results.hpp. Depends on interfaces only (Store, DarajaClient).
#include <cstdint>
#include <optional>
#include <string>

#include "core/error.hpp"
#include "daraja/client.hpp"
#include "service/initiator.hpp"
#include "service/stk_service.hpp"
#include "storage/store.hpp"

namespace haven::service {

struct ReversalInput {
    int64_t transaction_id = 0;     // the STK transaction to reverse
    std::optional<int64_t> amount;  // default: the whole payment
    std::string remarks;
    std::string reason;
    std::optional<storage::IdempotencyRef> idempotency;
};

/// What a reversal would send back and to whom, checked by the rules InitiateReversal applies first (the original
/// is a successful payment received from a customer of the agency), writing nothing: a reversal held for a second
/// admin (api/approval_routes.cpp) is weighed against the agency's threshold with this amount. The store checks
/// again, under its lock, when the reversal is finally written.
struct ReversalPlan {
    int64_t amount = 0;
    std::string phone_number;
};
Result<ReversalPlan> PlanReversal(const ReversalInput& input, int64_t agency_id, B2cDeps deps);

/// Reverses a successful STK payment at most once. Errors: kNotFound (no transaction with this id in the
/// agency), kUnprocessable (not a payment received from a customer, or not successful), kConflict (already
/// reversed or a reversal in progress); Daraja's refusal marks the row FAILED and returns kUpstream.
Result<storage::Transfer> InitiateReversal(const ReversalInput& input, const Actor& actor, B2cDeps deps);
/// The same without holding the thread while Daraja answers (see InitiateB2cAsync).
void InitiateReversalAsync(const ReversalInput& input, const Actor& actor, B2cDeps deps,
                           daraja::Done<storage::Transfer> done);

}  // namespace haven::service
