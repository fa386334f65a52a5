#pragma once
// Money going out: B2C payments (refunds, payouts, salaries, bonuses, promotions). The row is written before
// Daraja is called; its Result is applied by transfer_results.hpp; a timeout leaves it PENDING for a status query.
// Depends on interfaces only (Store, DarajaClient).
#include <cstdint>
#include <optional>
#include <string>

#include "core/error.hpp"
#include "daraja/client.hpp"
#include "service/initiator.hpp"
#include "service/stk_service.hpp"
#include "storage/store.hpp"

namespace haven::service {

struct B2cInput {
    std::string phone_number;  // normalised
    int64_t amount = 0;
    std::string type;  // refund | payout | salary | bonus | promotion
    std::string remarks;
    std::string occasion;
    std::optional<int64_t> original_transaction_id;      // an STK transaction of the agency
    std::optional<storage::IdempotencyRef> idempotency;  // the key this payout runs under, linked to its row
    std::optional<int64_t> c2b_refund_of;  // an unmatched C2B payment this refunds: linked once, in the same unit
};

/// refund/payout -> BusinessPayment, salary -> SalaryPayment, bonus/promotion -> PromotionPayment.
inline std::optional<std::string> CommandIdFor(const std::string& type) {
    if (type == "refund" || type == "payout") return "BusinessPayment";
    if (type == "salary") return "SalaryPayment";
    if (type == "bonus" || type == "promotion") return "PromotionPayment";
    return std::nullopt;
}

/// Writes the PENDING row with our own OriginatorConversationID (the refund cap is enforced in that
/// write), then calls B2C v3. Refusal by Daraja: FAILED + kUpstream; no answer: stays PENDING.
Result<storage::Transfer> InitiateB2c(const B2cInput& input, const Actor& actor, B2cDeps deps);
/// The same without holding the thread while Daraja answers (the row is written before this returns; `done` runs
/// once, on the worker pool, after the answer is recorded). The other *Async use cases work the same way.
void InitiateB2cAsync(const B2cInput& input, const Actor& actor, B2cDeps deps, daraja::Done<storage::Transfer> done);

}  // namespace haven::service
