#pragma once
// C2B (paybill and till) payments: the untrusted confirmation/validation body checked and parsed, routed to its
// agency by BusinessShortCode, matched to a lease (account reference, then for v1 the payer's phone hash when exactly
// one active lease has it) or queued as unmatched for a person (needs review, reason c2b_unmatched), answered at
// validation, assigned or refunded by staff. Depends on interfaces only (Store).
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "core/error.hpp"
#include "storage/store.hpp"

namespace haven::service {

/// A C2B body, checked: all fields as M-Pesa sent them, the amount in whole shillings, the completion time in UTC.
struct C2bPaymentInput {
    std::string transaction_type;
    std::string trans_id;
    std::string trans_time;    // yyyyMMddHHmmss, Nairobi
    std::string completed_at;  // the same instant, ISO-8601 UTC
    int64_t amount = 0;
    std::string business_shortcode;
    std::string bill_ref_number;
    std::string invoice_number;
    std::string org_account_balance;
    std::string third_party_trans_id;
    std::string msisdn;  // v1: SHA-256 hex; v2: masked
    std::string payer_name;
    int api_version = 2;  // 1 when MSISDN is a SHA-256 hex
};

/// Checks an untrusted body: TransID 1-20 letters and digits, TransAmount a positive whole number of shillings
/// ("1000.00" or "1000"), BusinessShortCode 5-7 digits, TransTime a valid yyyyMMddHHmmss. kValidation says what is
/// wrong.
core::Result<C2bPaymentInput> ParseC2bBody(const nlohmann::json& body);

/// The global account (MPESA_SHORTCODE / MPESA_TILL_NUMBER) and the env defaults of the C2B settings.
struct C2bConfig {
    std::string global_shortcode;
    std::string global_till;
    storage::C2bSettings defaults;  // an agency without its own C2B settings (MPESA_C2B_*, C2B_VALIDATION, ...)
};

/// How a payment found its lease (or did not).
struct C2bMatch {
    std::optional<int64_t> lease_id;
    std::string matched_by;  // reference | phone | ""
};

/// Reference first; else, for v1, the phone hash when exactly one active lease has it.
core::Result<C2bMatch> MatchC2b(storage::Store& store, int64_t agency_id, const C2bPaymentInput& input);

struct C2bRecordOutcome {
    bool matched = true;   // for the inbound log: the body was for us (always true once routed)
    bool applied = false;  // false: this TransID was recorded before
    storage::C2bPayment payment;
};

/// Routes, matches and records a payment once per TransID; an unmatched one opens its needs-review item. `origin` is
/// "confirmation" or "statement". A body for no known shortcode is refused (kValidation: kept for review).
core::Result<C2bRecordOutcome> RecordC2bPayment(storage::Store& store, const C2bPaymentInput& input,
                                                const C2bConfig& config, const std::string& origin = "confirmation");

/// The same for a payment whose agency is already known (a statement line the agency imported): matches and records
/// it once per TransID, and opens the needs-review item of an unmatched one.
core::Result<C2bRecordOutcome> RecordC2bPaymentFor(storage::Store& store, int64_t agency_id,
                                                   const C2bPaymentInput& input, const std::string& origin);

/// The agency's C2B settings: its mpesa_accounts row, else the env defaults.
core::Result<storage::C2bSettings> C2bSettingsFor(storage::Store& store, int64_t agency_id, const C2bConfig& config);

/// The validation decision: true = accept. Rejects only when the agency answers validation, rejects unknown
/// accounts, and the account matches no active lease (nor, v1, exactly one by phone).
core::Result<bool> DecideC2bValidation(storage::Store& store, const C2bPaymentInput& input, const C2bConfig& config);

/// Whether a number staff typed is the payer of a C2B payment: v1 compares SHA-256 hex, v2 the masked digits
/// (the visible leading and trailing digits must agree).
bool PayerMatches(const storage::C2bPayment& payment, const std::string& normalised_phone);

}  // namespace haven::service
