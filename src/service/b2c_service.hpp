#pragma once
// Money going out and coming back: B2C payments (refunds, payouts, salaries, bonuses, promotions),
// reversals, transaction status queries and account balance checks. Every row is written before
// Daraja is called; Results apply once; a timeout leaves the transaction PENDING for a status query.
// Depends on interfaces only (Store, DarajaClient).
#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "daraja/client.hpp"
#include "service/stk_service.hpp"
#include "storage/store.hpp"

namespace haven::service {

/// Where Daraja posts Results and queue timeouts (full URLs, callback secret included).
struct ResultUrls {
    std::string b2c_result, b2c_timeout;
    std::string reversal_result, reversal_timeout;
    std::string balance_result, balance_timeout;
    std::string status_result, status_timeout;
};

struct B2cDeps {
    storage::Store& store;
    daraja::DarajaClient& daraja;
    ResultUrls urls;
};

struct B2cInput {
    std::string phone_number;  // normalised
    int64_t amount = 0;
    std::string type;  // refund | payout | salary | bonus | promotion
    std::string remarks;
    std::string occasion;
    std::optional<int64_t> original_transaction_id;  // an STK transaction of the agency
    std::optional<storage::IdempotencyRef> idempotency;  // the key this payout runs under, linked to its row
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
/// once, on the worker pool, after the answer is recorded). The *Async functions below work the same way.
void InitiateB2cAsync(const B2cInput& input, const Actor& actor, B2cDeps deps, daraja::Done<storage::Transfer> done);

struct ReversalInput {
    int64_t transaction_id = 0;     // the STK transaction to reverse
    std::optional<int64_t> amount;  // default: the whole payment
    std::string remarks;
    std::string reason;
    std::optional<storage::IdempotencyRef> idempotency;
};

/// Reverses a successful STK payment at most once (kConflict when already reversed,
/// kUnprocessable when not successful, kNotFound for another agency's).
Result<storage::Transfer> InitiateReversal(const ReversalInput& input, const Actor& actor, B2cDeps deps);
void InitiateReversalAsync(const ReversalInput& input, const Actor& actor, B2cDeps deps,
                           daraja::Done<storage::Transfer> done);

struct ResultOutcome {
    bool matched = false;  // a row had this conversation id
    bool applied = false;  // the state changed now
};

/// A Result posted to the B2C or reversal ResultURL (kind "b2c" | "reversal"). Unknown ids are
/// stored as unmatched callbacks and acknowledged; duplicates change nothing.
Result<ResultOutcome> ApplyTransferResult(const std::string& kind, const nlohmann::json& body,
                                          const std::string& request_id, B2cDeps deps);
/// A queue timeout: recorded on the timeline, the row stays PENDING and a transaction status
/// query is sent to settle it.
Result<ResultOutcome> ApplyTransferTimeout(const std::string& kind, const nlohmann::json& body,
                                           const std::string& request_id, B2cDeps deps);

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

/// Account balance: the row, then Daraja; the accounts arrive with the Result.
Result<storage::BalanceCheck> RequestBalance(const Actor& actor, B2cDeps deps);
void RequestBalanceAsync(const Actor& actor, B2cDeps deps, daraja::Done<storage::BalanceCheck> done);
Result<ResultOutcome> ApplyBalanceResult(const nlohmann::json& body, const std::string& request_id, B2cDeps deps);
Result<ResultOutcome> ApplyBalanceTimeout(const nlohmann::json& body, const std::string& request_id, B2cDeps deps);

/// Daraja payload with phone numbers masked (any 2547/2541 12-digit run) and secrets removed.
nlohmann::json RedactResult(const nlohmann::json& payload);

}  // namespace haven::service
