#pragma once
// Domain records as stored and returned by the API. Money is whole shillings (int64_t); times are
// UTC ISO-8601 strings ("2026-11-28T04:16:30Z") produced by the store.
#include <cstdint>
#include <optional>
#include <string>

namespace haven::core {

enum class Role { kAdmin, kManager, kViewer };

struct Agency {
    int64_t id = 0;
    std::string name;
    std::string external_id;  // Haven's id for the agency; "" when unset (read by the api-key/Haven-JWT queries)
};

struct User {
    int64_t id = 0;
    int64_t agency_id = 0;
    std::string email;
    std::string password_hash;  // argon2id (libsodium crypto_pwhash_str)
    Role role = Role::kViewer;
    std::string created_at;
    std::string disabled_at;         // set while an admin has disabled the account; "" = active
    int64_t tokens_valid_after = 0;  // Unix seconds: tokens issued (iat) before it are refused
};

struct Lease {
    int64_t id = 0;
    int64_t agency_id = 0;
    std::string tenant_name;
    std::string phone_number;  // normalised 2547XXXXXXXX / 2541XXXXXXXX
    std::string unit;
    int64_t monthly_rent = 0;
    std::string account_reference;
    std::string external_id;  // Haven's id for the lease ("" = none), unique within the agency
    std::string created_at;
    std::string email;       // the tenant's email ("" = none)
    std::string end_date;    // the Nairobi day the tenancy ended ("" while active)
    std::string ended_at;    // when the lease was ended ("" while active)
    std::string end_reason;  // why it was ended
    int due_day = 5;         // the day of the month rent is due (1-31; 29-31 fall on a short month's last day)
    std::string start_date;  // the Nairobi day rent starts accruing ("YYYY-MM-DD"; "" = the day it was created)

    /// An ended lease keeps its history but takes no new payments.
    bool Ended() const { return !ended_at.empty(); }
};

enum class TxStatus { kPending, kSuccess, kFailed };

/// What a transaction row is: a collection by STK Push, a payout (B2C), a reversal or a C2B (paybill/till) payment.
enum class TxKind { kStk, kB2c, kReversal, kC2b };

/// How the reconciler is getting on with a row that is still PENDING.
struct Reconciliation {
    int64_t attempts = 0;
    std::string last_error;
    std::string next_attempt_at;  // empty: first attempt not scheduled yet
};

/// An STK Push (M-Pesa Express) request and its outcome.
struct StkTransaction {
    int64_t id = 0;
    int64_t agency_id = 0;
    std::optional<int64_t> lease_id;
    std::optional<int64_t> user_id;  // who initiated it
    std::string phone_number;
    int64_t amount = 0;
    std::string account_reference;
    std::string transaction_desc;
    std::string merchant_request_id;  // empty until Daraja answers
    std::string checkout_request_id;  // empty until Daraja answers
    TxStatus status = TxStatus::kPending;
    std::optional<int64_t> result_code;
    std::string result_desc;
    std::string mpesa_receipt_number;
    std::string transaction_date;  // M-Pesa's yyyyMMddHHmmss (EAT) from the callback, as given
    std::string created_at;
    std::string updated_at;
    std::optional<int64_t> paid_amount;  // what M-Pesa says was paid (success only); may differ from amount
    Reconciliation reconciliation;
    std::string review_reason;  // the open needs-review item's reason; empty when none
    std::string completed_at;   // when it reached SUCCESS or FAILED; empty while PENDING
    bool AmountMismatch() const { return paid_amount && *paid_amount != amount; }
};

struct Payment {
    int64_t id = 0;
    int64_t agency_id = 0;
    int64_t lease_id = 0;
    int64_t transaction_id = 0;
    int64_t amount = 0;
    std::string mpesa_receipt_number;
    std::string phone_number;
    std::string paid_at;
    std::string source = "stk";  // stk | c2b
    std::string payer_name;      // c2b: the names M-Pesa sent; stk: ""
};

/// One entry of a transaction's timeline: request sent, Daraja's answer, callback received.
struct TxEvent {
    int64_t id = 0;
    std::string kind;     // "request_sent" | "daraja_response" | "daraja_error" | "callback" | "query"
    std::string payload;  // JSON text, secrets and full phone numbers removed
    std::string created_at;
};

struct AuditEntry {
    std::optional<int64_t> agency_id;
    std::optional<int64_t> actor_user_id;
    std::string actor;   // email, "daraja", "system"
    std::string action;  // "stk.initiate", "lease.create", "auth.login", "callback.stk" ...
    std::string target;  // "transaction:12", "lease:3"
    std::string request_id;
    std::string outcome;  // "success" | "denied" | "error: ..."
    std::string detail;   // a JSON object ({"before": {...}, "after": {...}} for an edit); "" = none
};

}  // namespace haven::core
