#pragma once
// One storage interface with domain methods only; MakeStore(url) picks SQLite or PostgreSQL.
// Every method is blocking and thread-safe: call it from the worker pool. Unique violations are
// ErrorCode::kConflict, a missing row kNotFound; other database failures kInternal.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "core/models.hpp"
#include "core/rent_roll.hpp"
#include "storage/c2b_settings.hpp"
#include "storage/mpesa_account.hpp"
#include "storage/outbox_records.hpp"
#include "storage/session_records.hpp"

namespace haven::storage {

using core::Result;

struct StkFilter {
    int64_t agency_id = 0;
    std::optional<core::TxStatus> status;
    std::optional<int64_t> lease_id;
    std::optional<std::string> phone_number;    // normalised
    std::optional<std::string> from;            // created_at >= from (ISO-8601 UTC)
    std::optional<std::string> to;              // created_at <  to
    std::optional<std::string> completed_from;  // completed_at >= completed_from ("completed today")
    std::optional<std::string> completed_to;    // completed_at <  completed_to
    std::optional<int64_t> before_id;           // cursor: rows with id < before_id (newest first)
    bool needs_review = false;                  // only rows with an open review item
    int limit = 50;
};

/// The outcome M-Pesa reported for an STK push (from a callback or an STK query).
struct StkOutcome {
    core::TxStatus status = core::TxStatus::kFailed;  // kSuccess or kFailed
    int64_t result_code = 0;
    std::string result_desc;
    std::string mpesa_receipt_number;
    std::string transaction_date;
    std::optional<int64_t> paid_amount;  // Amount from CallbackMetadata
};

struct ApplyResult {
    bool applied = false;  // false: the row was already final (duplicate or late delivery)
    core::StkTransaction transaction;
    std::optional<core::Payment> payment;  // created by this call
};

/// kRecovered: the first request died after writing its transaction (claim expired, no answer stored);
/// the retry answers from that transaction's current state and never calls Daraja again.
enum class IdempotencyState { kNew, kReplay, kMismatch, kInProgress, kRecovered };
struct IdempotencyRecord {
    IdempotencyState state = IdempotencyState::kNew;
    int status = 0;  // stored response, for kReplay
    std::string body;
    std::optional<int64_t> transaction_id;  // for kRecovered
};

/// The Idempotency-Key a new transaction row is written under: the row and the key's link to it are
/// written in one database transaction, so a retry after a crash always finds what was started.
struct IdempotencyRef {
    int64_t agency_id = 0;
    std::string scope;
    std::string key;
};

/// A B2C payment (refund, payout, salary, bonus, promotion) or a reversal of a received payment.
/// Its id comes from the id space shared with STK transactions.
struct Transfer {
    int64_t id = 0;
    int64_t agency_id = 0;
    std::optional<int64_t> user_id;
    core::TxKind kind = core::TxKind::kB2c;  // kB2c | kReversal
    std::string type;                        // refund | payout | salary | bonus | promotion | reversal
    std::string command_id;                  // BusinessPayment | SalaryPayment | PromotionPayment | TransactionReversal
    std::string phone_number;
    int64_t amount = 0;
    std::string remarks;
    std::string occasion;
    std::string reason;                              // reversals
    std::optional<int64_t> original_transaction_id;  // the STK transaction refunded or reversed
    std::string original_receipt;                    // its M-Pesa receipt (reversals)
    std::string originator_conversation_id;          // ours for B2C v3 (set before Daraja is called)
    std::string conversation_id;                     // Daraja's, from the ack
    core::TxStatus status = core::TxStatus::kPending;
    std::string result_code;  // text: "0", "2001", "R000001"
    std::string result_desc;
    std::string mpesa_receipt_number;
    std::string created_at;
    std::string updated_at;
    core::Reconciliation reconciliation;
    std::string review_reason;  // the open needs-review item's reason; empty when none
    std::string completed_at;   // when it reached SUCCESS or FAILED; empty while PENDING
};

struct TransferFilter {
    int64_t agency_id = 0;
    std::optional<core::TxKind> kind;  // kB2c | kReversal (kStk matches nothing)
    std::optional<core::TxStatus> status;
    std::optional<std::string> phone_number;
    std::optional<std::string> from;
    std::optional<std::string> to;
    std::optional<std::string> completed_from;
    std::optional<std::string> completed_to;
    std::optional<int64_t> before_id;
    bool needs_review = false;
    int limit = 50;
};

/// The final outcome of a transfer (from its Result or a transaction status query).
struct TransferOutcome {
    core::TxStatus status = core::TxStatus::kFailed;  // kSuccess or kFailed
    std::string result_code;
    std::string result_desc;
    std::string mpesa_receipt_number;
};

/// What happened to the money of one STK payment since: a successful reversal, and the sum of its
/// refunds that did not fail (pending ones count: that money is on its way out).
struct TransferTotals {
    int64_t original_id = 0;
    bool reversed = false;
    int64_t refunded = 0;
};

struct TransferApplyResult {
    bool applied = false;  // false: already final (duplicate or late result)
    Transfer transfer;
};

/// An account balance query and its parsed answer.
struct BalanceCheck {
    int64_t id = 0;
    int64_t agency_id = 0;
    std::optional<int64_t> user_id;
    std::string originator_conversation_id;
    std::string conversation_id;
    core::TxStatus status = core::TxStatus::kPending;
    std::string result_code;
    std::string result_desc;
    std::string accounts;  // JSON array text ([] until answered)
    std::string created_at;
    std::string updated_at;
};

/// A transaction status query sent to Daraja (by a user or by the gateway to settle a transfer).
struct StatusQuery {
    int64_t id = 0;
    int64_t agency_id = 0;
    std::optional<int64_t> user_id;
    std::optional<int64_t> transaction_id;  // any kind
    std::string receipt;
    std::string originator_conversation_id;
    std::string conversation_id;
    core::TxStatus status = core::TxStatus::kPending;
    std::string result_code;
    std::string result_desc;
    std::string transaction_status;  // "Completed", "Reversed", ...
    std::string created_at;
    std::string updated_at;
};

/// A conditional update of an async query row (balance check or status query): applied once.
struct QueryOutcome {
    core::TxStatus status = core::TxStatus::kFailed;
    std::string result_code;
    std::string result_desc;
    std::string detail;  // balance: accounts JSON; status: TransactionStatus
};

/// A claim on due background work (the one lease mechanism of every worker): rows still PENDING whose
/// next attempt time has come and that no live claim holds are marked `claimed_by` `owner` until `until`.
/// Several processes on one PostgreSQL never claim the same row (FOR UPDATE SKIP LOCKED); a process that
/// dies lets its claims run out. Rows never tried are due once created before `first_due_before`.
struct Claim {
    std::string owner;             // unique per process
    std::string now;               // ISO-8601 UTC
    std::string first_due_before;  // ISO-8601 UTC
    std::string until;             // ISO-8601 UTC, the lease's end
    int limit = 50;
};

/// The tables whose rows background workers claim.
enum class WorkQueue { kStk, kTransfers };

/// Something a person must look at: a stuck row, a Daraja body that failed our checks, an amount that
/// differs from the request, a receipt seen twice. The one needs-review model for every kind.
struct ReviewItem {
    int64_t id = 0;
    std::optional<int64_t> agency_id;       // none: not tied to an agency (a body for an unknown id)
    std::optional<int64_t> transaction_id;  // any kind
    std::optional<int64_t> inbound_id;      // the Daraja body concerned
    std::string reason_code;  // never_confirmed | unsettled | callback_rejected | amount_mismatch | receipt_conflict
    std::string reason;       // for a person: what happened and why it needs them
    std::string status = "open";  // open | resolved
    std::string resolution;       // what was done
    std::string resolved_by;
    std::string created_at;
    std::string resolved_at;
};

struct ReviewFilter {
    int64_t agency_id = 0;
    bool include_unassigned = false;    // also items tied to no agency (admins)
    std::optional<std::string> status;  // open | resolved; none = both
    std::optional<int64_t> transaction_id;
    std::optional<int64_t> before_id;  // cursor, newest first
    int limit = 50;
};

/// A Daraja body as received, before it is applied.
struct InboundMessage {
    int64_t id = 0;
    std::string kind;  // callback.stk, result.b2c, timeout.b2c, ...
    std::string body;
    std::string outcome;
    std::string received_at;
};

/// Consecutive failed logins of one account from one client address (login throttling).
struct LoginFailures {
    int64_t failures = 0;
    int64_t last_failure_at_ms = 0;  // Unix ms; 0 when none
};

/// Failed logins from one client address within a window (any account).
struct AddressLoginFailures {
    int64_t count = 0;
    int64_t oldest_at_ms = 0;  // Unix ms of the oldest counted failure; 0 when none
};

/// An agency's maker-checker settings (issue 11). Amounts in KES.
struct AgencySettings {
    std::optional<int64_t> approval_threshold;  // a payout/reversal above it waits for a second admin; none/0 = off
    std::optional<int64_t> daily_payout_limit;  // KES per Nairobi day across B2C payouts; none = off
    int64_t approval_expiry_seconds = 86400;    // a pending approval expires after this
};

/// A payout or reversal held for a second admin (maker-checker). Nothing reached Daraja while it is pending.
struct Approval {
    int64_t id = 0;
    int64_t agency_id = 0;
    std::string kind;  // b2c | reversal
    int64_t maker_user_id = 0;
    std::string maker_email;
    int64_t amount = 0;
    std::string phone_number;        // the recipient (reversal: the payer of the original)
    std::string type;                // payout | refund | salary | ... | reversal
    std::string request;             // the validated request, JSON text, replayed on approval
    std::string status = "pending";  // pending | approved | rejected | expired
    std::optional<int64_t> checker_user_id;
    std::string checker_email;
    std::string reason;                     // a rejection's reason
    std::optional<int64_t> transaction_id;  // the transfer an approval started
    std::string outcome;                    // why an approved request did not start a transfer
    std::string created_at;
    std::string expires_at;
    std::string decided_at;
};

struct ApprovalFilter {
    int64_t agency_id = 0;
    std::optional<std::string> status;
    std::optional<int64_t> before_id;
    int limit = 50;
};

/// A decision on a pending approval: status approved or rejected, by a checker, at `now`.
struct ApprovalDecision {
    std::string status;  // approved | rejected
    int64_t checker_user_id = 0;
    std::string checker_email;
    std::string reason;
    std::string now;  // ISO-8601 UTC: an approval whose expires_at <= now cannot be decided
};

/// An API key for server-to-server calls. The key itself is never stored: `key_hash` is its SHA-256 (hex).
struct ApiKey {
    int64_t id = 0;
    int64_t agency_id = 0;
    std::string name;
    core::Role role = core::Role::kViewer;
    std::string key_hash;
    std::string prefix;      // the key's first characters, for telling keys apart
    std::string created_by;  // the creating admin's email
    std::string created_at;
    std::string last_used_at;  // "" when never used
    std::string revoked_at;    // "" while the key works
};

// --- users: one-time links (invites and forced resets) ---
/// A one-time link: purpose "invite" creates a user (email, role) in the agency; "reset" sets the password of
/// user_id. Only the token's SHA-256 (hex) is stored; the token itself is shown once.
struct UserInvite {
    int64_t id = 0;
    int64_t agency_id = 0;
    std::string purpose = "invite";  // invite | reset
    std::string email;
    core::Role role = core::Role::kViewer;
    std::optional<int64_t> user_id;  // reset: whose password
    std::string token_hash;
    std::optional<int64_t> created_by_user_id;
    std::string created_at;
    std::string expires_at;  // ISO-8601 UTC
    std::string used_at;     // "" until used
    std::string revoked_at;  // "" unless revoked
};

// --- c2b: types ---
/// One C2B (paybill or till) payment, keyed by M-Pesa's TransID; its id comes from transaction_ids (kind c2b).
struct C2bPayment {
    int64_t id = 0;
    int64_t agency_id = 0;
    std::string trans_id;
    std::string transaction_type;  // Pay Bill | Buy Goods | as sent
    std::string business_shortcode;
    std::string bill_ref_number;  // as typed
    std::string invoice_number;
    int64_t amount = 0;
    std::string msisdn;  // v1: SHA-256 hex of 2547XXXXXXXX; v2: masked
    std::string payer_name;
    int api_version = 2;
    std::string trans_time;    // yyyyMMddHHmmss, Nairobi, as sent
    std::string completed_at;  // ISO-8601 UTC
    std::string org_account_balance;
    std::string third_party_trans_id;
    std::optional<int64_t> lease_id;   // none while unmatched
    std::string matched_by;            // reference | phone | staff | statement | ""
    std::string status = "unmatched";  // matched | unmatched | refunded
    std::optional<int64_t> refund_transfer_id;
    std::string origin = "confirmation";  // confirmation | statement
    std::optional<int64_t> inbound_id;
    std::string created_at;
    std::string updated_at;
};

struct C2bFilter {
    int64_t agency_id = 0;
    std::optional<std::string> status;  // matched | unmatched | refunded
    std::optional<int64_t> lease_id;
    std::optional<std::string> from, to;  // completed_at range
    std::optional<int64_t> before_id;
    int limit = 50;
};

/// Active leases of an agency with one matching key: how many, and the first one's id.
struct LeaseMatch {
    std::optional<int64_t> lease_id;
    int64_t count = 0;
};

class Store {
  public:
    virtual ~Store() = default;

    /// Applies pending migrations from migrations/<backend>/NNN_name.sql; returns how many ran.
    virtual Result<int> Migrate() = 0;
    /// Ready to take requests (GET /readyz): the database answers, takes writes (PostgreSQL: the connection is to
    /// a primary, not a standby, and the session is not read-only) and every migration this binary knows is
    /// applied. Returns the backend ("sqlite" | "postgres"); kUnavailable with the reason otherwise.
    virtual Result<std::string> CheckReady() = 0;

    // Units of work: several store calls committed together (one commit, one sync).
    /// `fn` calls this store's ordinary methods; they all run in one transaction, which commits only if
    /// `fn` succeeds (its error, or the commit's, undoes everything). Inside, each write call (and a
    /// nested Atomically) runs in its own savepoint: a call that fails undoes only its own writes, and
    /// `fn` may go on. Reads inside see the unit's own writes.
    using UnitOfWork = std::function<Result<void>(Store&)>;
    virtual Result<void> Atomically(const UnitOfWork& fn) = 0;
    /// Atomically without holding the calling thread: `done` gets the result once the unit committed
    /// (durably) or failed. With group commit the unit runs on a writer in a batch and `done` runs on
    /// the completion executor (SetCompletionExecutor), never on the writer; without, both run on the
    /// calling thread before this returns. Inside a unit it is Atomically.
    virtual void AtomicallyAsync(UnitOfWork fn, std::function<void(Result<void>)> done) = 0;
    /// Where `done` of AtomicallyAsync runs (e.g. the server's worker pool). Default: a thread of the store's.
    using Executor = std::function<void(std::function<void()>)>;
    virtual void SetCompletionExecutor(Executor executor) = 0;

    // Agencies and users
    virtual Result<core::Agency> FindOrCreateAgency(const std::string& name) = 0;
    virtual Result<core::Agency> FindAgency(int64_t id) = 0;            // kNotFound when absent
    virtual Result<core::User> InsertUser(const core::User& user) = 0;  // kConflict on email
    virtual Result<core::User> FindUserByEmail(const std::string& email) = 0;
    virtual Result<core::User> FindUserById(int64_t id) = 0;

    // Leases (agency-scoped: another agency's lease is kNotFound)
    virtual Result<core::Lease> InsertLease(const core::Lease& lease) = 0;
    virtual Result<core::Lease> FindLease(int64_t agency_id, int64_t id) = 0;
    virtual Result<std::vector<core::Lease>> ListLeases(int64_t agency_id) = 0;
    /// Haven's external ids of the agency's leases among `lease_ids`, in one query per 256 ids; leases without one,
    /// another agency's and unknown ids are absent.
    virtual Result<std::map<int64_t, std::string>> LeaseExternalIds(int64_t agency_id,
                                                                    const std::vector<int64_t>& lease_ids) = 0;
    /// kNotFound when the agency has no lease with this external id.
    virtual Result<core::Lease> FindLeaseByExternalId(int64_t agency_id, const std::string& external_id) = 0;
    /// Creates the lease with lease.external_id, or updates the agency's lease that has it (tenant, phone, unit,
    /// rent, account reference; due day, start date and email when given: due_day 0, start_date "" and email "" keep
    /// the stored ones, or on a create take the defaults); `created` tells which. Idempotent: the same call twice
    /// leaves one lease.
    struct LeaseUpsert {
        core::Lease lease;
        bool created = false;
    };
    virtual Result<LeaseUpsert> UpsertLeaseByExternalId(const core::Lease& lease) = 0;
    virtual Result<std::vector<core::Payment>> ListPayments(int64_t agency_id, std::optional<int64_t> lease_id) = 0;

    // STK transactions
    /// Written before Daraja is called: status PENDING, no Daraja ids yet. With `key`, the idempotency
    /// key (already claimed) is linked to the new row in the same database transaction.
    virtual Result<core::StkTransaction> InsertStk(const core::StkTransaction& tx,
                                                   const std::optional<IdempotencyRef>& key = std::nullopt) = 0;
    /// Records Daraja's synchronous acceptance.
    virtual Result<core::StkTransaction> SetStkDarajaIds(int64_t id, const std::string& merchant_request_id,
                                                         const std::string& checkout_request_id) = 0;
    /// Daraja refused the request synchronously: PENDING -> FAILED with the given description.
    virtual Result<core::StkTransaction> MarkStkRejected(int64_t id, const std::string& result_desc) = 0;
    virtual Result<core::StkTransaction> FindStk(int64_t agency_id, int64_t id) = 0;
    virtual Result<core::StkTransaction> FindStkByCheckoutId(int64_t agency_id, const std::string& checkout_id) = 0;
    /// Callback lookup, not agency-scoped.
    virtual Result<core::StkTransaction> FindStkByCheckoutIdAnyAgency(const std::string& checkout_id) = 0;
    virtual Result<std::vector<core::StkTransaction>> ListStk(const StkFilter& filter) = 0;
    /// PENDING rows that never got a CheckoutRequestID with this phone and amount, created in [from, to).
    virtual Result<std::vector<core::StkTransaction>> ListStkAwaitingIds(const std::string& phone_number,
                                                                         int64_t amount, const std::string& from,
                                                                         const std::string& to) = 0;
    /// Atomically moves a PENDING row to its final state and, on success with a lease, inserts
    /// exactly one payment (of the amount paid). A row already final is left untouched (applied = false).
    /// A receipt that already settles another transaction is kConflict and changes nothing.
    virtual Result<ApplyResult> ApplyStkOutcome(const std::string& checkout_id, const StkOutcome& outcome) = 0;

    // Timeline and callbacks
    virtual Result<void> AddStkEvent(int64_t transaction_id, const std::string& kind, const std::string& payload) = 0;
    virtual Result<std::vector<core::TxEvent>> ListStkEvents(int64_t transaction_id) = 0;
    /// A callback whose reference (CheckoutRequestID...) matches nothing: kept, never dropped.
    virtual Result<void> InsertUnmatchedCallback(const std::string& kind, const std::string& reference,
                                                 const std::string& payload) = 0;
    virtual Result<int64_t> CountUnmatchedCallbacks(const std::string& reference) = 0;
    /// The stored payloads of unmatched callbacks of this kind and reference, oldest first.
    virtual Result<std::vector<std::string>> ListUnmatchedCallbacks(const std::string& kind,
                                                                    const std::string& reference) = 0;
    /// Forgets them once they have been applied to the transaction they belong to.
    virtual Result<void> DeleteUnmatchedCallbacks(const std::string& kind, const std::string& reference) = 0;
    /// Unmatched callbacks of this kind received in [from, to): (reference, payload), oldest first.
    virtual Result<std::vector<std::pair<std::string, std::string>>> ListUnmatchedCallbacksBetween(
        const std::string& kind, const std::string& from, const std::string& to) = 0;

    // Inbound Daraja bodies: stored as received before they are applied
    virtual Result<int64_t> StoreInbound(const std::string& kind, const std::string& body) = 0;
    virtual Result<void> SetInboundOutcome(int64_t id, const std::string& outcome) = 0;
    virtual Result<InboundMessage> FindInbound(int64_t id) = 0;

    // Needs review
    /// Opens an item; when the same subject already has an item with this reason_code (open, or resolved by a
    /// person: the same finding does not reopen it), that one is returned unchanged. The transaction it names
    /// (STK or transfer) shows the reason while it is open.
    virtual Result<ReviewItem> OpenReview(const ReviewItem& item) = 0;
    virtual Result<std::vector<ReviewItem>> ListReview(const ReviewFilter& filter) = 0;
    virtual Result<int64_t> CountOpenReview(int64_t agency_id, bool include_unassigned) = 0;
    /// Resolves an open item of the agency (or, with include_unassigned, one tied to no agency) once:
    /// kNotFound for another agency's, kConflict when already resolved.
    virtual Result<ReviewItem> ResolveReview(int64_t agency_id, bool include_unassigned, int64_t id,
                                             const std::string& resolution, const std::string& resolved_by) = 0;

    // Background work (reconciler; later every outbox)
    virtual Result<std::vector<core::StkTransaction>> ClaimDueStk(const Claim& claim) = 0;
    virtual Result<std::vector<Transfer>> ClaimDueTransfers(const Claim& claim) = 0;
    /// Records one attempt on a claimed row and gives the claim back: attempts + 1, the error (empty when
    /// none), when to try next. Ignored when `owner` no longer holds the claim.
    virtual Result<void> RecordAttempt(WorkQueue queue, int64_t id, const std::string& owner, const std::string& error,
                                       const std::string& next_attempt_at) = 0;
    /// Balance checks and status queries M-Pesa never answered, created before `older_than`, end FAILED
    /// (they move no money; asking again is the remedy). Returns how many.
    virtual Result<int64_t> ExpireUnansweredQueries(const std::string& older_than) = 0;

    // Idempotency keys (scope = route, e.g. "POST /api/v1/mpesa/stk-push")
    /// Claims the key for `claim_seconds`; a second claim sees kReplay (stored answer), kInProgress (claim
    /// still running), kMismatch when the request hash differs, or, once an unfinished claim has run out,
    /// kRecovered (its transaction was written: answer from it) or kNew (nothing was written: run again).
    virtual Result<IdempotencyRecord> ClaimIdempotencyKey(int64_t agency_id, const std::string& scope,
                                                          const std::string& key, const std::string& request_hash,
                                                          int64_t claim_seconds = 60) = 0;
    /// Forgets keys created before `older_than` (kept at least 24 h); returns how many.
    virtual Result<int64_t> PruneIdempotencyKeys(const std::string& older_than) = 0;
    virtual Result<void> CompleteIdempotencyKey(int64_t agency_id, const std::string& scope, const std::string& key,
                                                int status, const std::string& body) = 0;

    // Transaction ids shared by every kind
    /// The kind of an id of the given agency; kNotFound otherwise.
    virtual Result<core::TxKind> FindTransactionKind(int64_t agency_id, int64_t id) = 0;

    // B2C payments and reversals (agency-scoped reads; result lookups are not)
    /// Written before Daraja is called, in one write transaction that enforces the money rules of
    /// core::CheckSendBack (core/refund_rules.hpp) on a refund (kind b2c with original_transaction_id) or
    /// a reversal: the original is read and locked, with what its non-failed transfers already sent back.
    /// The original missing or of another agency is kNotFound; rule breaks are the rule's errors.
    virtual Result<Transfer> InsertTransfer(const Transfer& transfer,
                                            const std::optional<IdempotencyRef>& key = std::nullopt) = 0;
    virtual Result<Transfer> SetTransferDarajaIds(int64_t id, const std::string& originator_conversation_id,
                                                  const std::string& conversation_id) = 0;
    /// Daraja refused synchronously: PENDING -> FAILED.
    virtual Result<Transfer> MarkTransferRejected(int64_t id, const std::string& result_desc) = 0;
    virtual Result<Transfer> FindTransfer(int64_t agency_id, int64_t id) = 0;
    /// Result lookup by either conversation id, any agency.
    virtual Result<Transfer> FindTransferByConversationId(const std::string& conversation_id) = 0;
    virtual Result<std::vector<Transfer>> ListTransfers(const TransferFilter& filter) = 0;
    /// TransferTotals for each of the agency's STK ids given, in one query: one entry per id, in the
    /// order given (an id with no linked transfers, or of another agency, has zero totals).
    virtual Result<std::vector<TransferTotals>> LinkedTransferTotals(int64_t agency_id,
                                                                     const std::vector<int64_t>& original_ids) = 0;
    /// Moves a PENDING transfer to its final state once; a final one is left untouched (applied = false).
    virtual Result<TransferApplyResult> ApplyTransferOutcome(int64_t id, const TransferOutcome& outcome) = 0;
    virtual Result<void> AddTransferEvent(int64_t transfer_id, const std::string& kind, const std::string& payload) = 0;
    virtual Result<std::vector<core::TxEvent>> ListTransferEvents(int64_t transfer_id) = 0;

    // Account balance checks
    virtual Result<BalanceCheck> InsertBalanceCheck(const BalanceCheck& check) = 0;
    virtual Result<BalanceCheck> SetBalanceCheckIds(int64_t id, const std::string& originator_conversation_id,
                                                    const std::string& conversation_id) = 0;
    /// PENDING -> final once, found by either conversation id (any agency); applied = false when already final.
    virtual Result<std::pair<bool, BalanceCheck>> ApplyBalanceOutcome(const std::string& conversation_id,
                                                                      const QueryOutcome& outcome) = 0;
    /// The newest check of the agency (only successful ones when `successful_only`); kNotFound when none.
    virtual Result<BalanceCheck> FindLatestBalanceCheck(int64_t agency_id, bool successful_only) = 0;

    // Transaction status queries
    virtual Result<StatusQuery> InsertStatusQuery(const StatusQuery& query) = 0;
    virtual Result<StatusQuery> SetStatusQueryIds(int64_t id, const std::string& originator_conversation_id,
                                                  const std::string& conversation_id) = 0;
    virtual Result<std::pair<bool, StatusQuery>> ApplyStatusOutcome(const std::string& conversation_id,
                                                                    const QueryOutcome& outcome) = 0;

    // Audit log
    virtual Result<void> InsertAudit(const core::AuditEntry& entry) = 0;
    virtual Result<int64_t> CountAudit(const std::string& action, const std::string& outcome_prefix) = 0;

    // Login throttling: state shared by every node on the database. Times are Unix milliseconds passed in by the
    // caller (its clock, injected in tests); emails are passed lower-cased; addresses are client IPs.
    /// Consecutive failed logins of (email, address); zeros when none.
    virtual Result<LoginFailures> FindLoginFailures(const std::string& email, const std::string& address) = 0;
    /// Records one failed login at `now_ms`: failures + 1 for (email, address), started afresh at 1 when the
    /// last failure is older than `forget_before_ms`, and one row in the address's window. Atomic under
    /// concurrent calls. Returns the new state.
    virtual Result<LoginFailures> RecordLoginFailure(const std::string& email, const std::string& address,
                                                     int64_t now_ms, int64_t forget_before_ms) = 0;
    /// Failed logins from `address` (any account) after `since_ms`, and the oldest of them.
    virtual Result<AddressLoginFailures> CountAddressLoginFailures(const std::string& address, int64_t since_ms) = 0;
    /// A successful login: forgets the failures of (email, address).
    virtual Result<void> ClearLoginFailures(const std::string& email, const std::string& address) = 0;
    /// Deletes (email, address) rows whose last failure is before `failures_before_ms` and address rows before
    /// `address_before_ms`; returns how many rows went.
    virtual Result<int64_t> PruneLoginFailures(int64_t failures_before_ms, int64_t address_before_ms) = 0;

    // --- audit ---
    // The audit log is append-only: InsertAudit is the only write, and database triggers (migration 011) refuse
    // UPDATE and DELETE of audit_log, so no method here changes or removes a row.
    struct AuditRecord {
        int64_t id = 0;
        core::AuditEntry entry;
        std::string at;  // ISO-8601 UTC
    };
    struct AuditFilter {
        int64_t agency_id = 0;                      // only this agency's rows
        std::optional<std::string> actor;           // exact
        std::optional<std::string> action;          // exact
        std::optional<std::string> action_prefix;   // "lease." (wildcards literal)
        std::optional<std::string> target;          // exact: "lease:3"
        std::optional<std::string> outcome_prefix;  // "success", "denied", "error"
        std::optional<std::string> from;            // at >= from (ISO-8601 UTC)
        std::optional<std::string> to;              // at <  to
        std::optional<int64_t> before_id;           // cursor: rows with id < before_id (newest first)
        int limit = 50;
    };
    /// The agency's audit rows matching every filter given, newest first.
    virtual Result<std::vector<AuditRecord>> ListAudit(const AuditFilter& filter) = 0;

    /// Changes to a lease's editable fields; absent ones stay as they are.
    struct LeaseEdit {
        std::optional<std::string> tenant_name;
        std::optional<std::string> phone_number;  // normalised
        std::optional<std::string> unit;
        std::optional<int64_t> monthly_rent;
        std::optional<std::string> account_reference;
        std::optional<std::string> email;       // "" clears it
        std::optional<int> due_day;             // 1-31
        std::optional<std::string> start_date;  // a Nairobi day "YYYY-MM-DD"
    };
    /// A lease as it was and as it is now, read and written under the row's lock (so `before` is what the
    /// change replaced, even with concurrent edits).
    struct LeaseChange {
        core::Lease before;
        core::Lease after;
    };
    /// Applies `edit` to the agency's lease; kNotFound for another agency's or an unknown id.
    virtual Result<LeaseChange> UpdateLease(int64_t agency_id, int64_t id, const LeaseEdit& edit) = 0;
    /// Ends the agency's active lease once (end_date a Nairobi day, ended_at now); kConflict when it has
    /// already ended, kNotFound for another agency's or an unknown id.
    virtual Result<LeaseChange> EndLease(int64_t agency_id, int64_t id, const std::string& end_date,
                                         const std::string& reason) = 0;

    // --- privacy ---
    // Kenya's Data Protection Act: what the agency holds about one phone number, its erasure, and the retention
    // of raw Daraja bodies. Numbers are normalised (2547XXXXXXXX / 2541XXXXXXXX).
    /// Everything one agency holds about a number: its leases, the payments and STK transactions made from it, the
    /// payouts and reversals sent to it, and the review items about those transactions (oldest first each).
    struct PersonalData {
        std::vector<core::Lease> leases;
        std::vector<core::StkTransaction> transactions;
        std::vector<core::Payment> payments;
        std::vector<Transfer> transfers;
        std::vector<ReviewItem> review_items;
    };
    virtual Result<PersonalData> FindPersonalData(int64_t agency_id, const std::string& phone_number) = 0;
    /// How many rows an erasure changed, per kind.
    struct ErasureCounts {
        int64_t leases = 0;
        int64_t transactions = 0;
        int64_t payments = 0;
        int64_t transfers = 0;
        int64_t events = 0;               // timeline payloads of those transactions, emptied
        int64_t inbound_bodies = 0;       // raw Daraja bodies about those transactions, removed
        int64_t idempotency_answers = 0;  // stored answers that named the number
        int64_t review_items = 0;
    };
    /// In one database transaction, replaces the number by `placeholder` and the tenant's name by "Erased tenant"
    /// in the agency's leases, transactions, payments and transfers; removes the raw bodies and empties the timeline
    /// payloads of those transactions; takes the number (and the 9 digits a CheckoutRequestID carries) out of stored
    /// idempotency answers, review texts and CheckoutRequestIDs. Amounts, receipts, states and dates stay.
    /// kConflict (nothing changed) while a transaction or transfer with the number is still PENDING: a late
    /// callback must still find it.
    virtual Result<ErasureCounts> ErasePersonalData(int64_t agency_id, const std::string& phone_number,
                                                    const std::string& placeholder) = 0;
    /// Retention: removes the bodies of raw Daraja messages received before `older_than` (ISO-8601 UTC), at most
    /// `limit` per call, oldest first; returns how many. Concurrent sweeps on one PostgreSQL never take the same
    /// rows (FOR UPDATE SKIP LOCKED, as every background claim).
    virtual Result<int64_t> PruneRawBodies(const std::string& older_than, int limit) = 0;

    // --- sessions ---
    /// Stores a new refresh token (its hash) of a family.
    virtual Result<void> InsertRefreshToken(const RefreshToken& token) = 0;
    /// Spends a live refresh token once (one guarded UPDATE: of two concurrent calls one wins and the other sees
    /// kReused). A token already spent revokes every token of its family in the same call.
    virtual Result<RefreshSpendResult> SpendRefreshToken(const std::string& token_hash, int64_t now_ms) = 0;
    /// Revokes every token of the family of `token_hash` (logout); returns the family's user id, 0 when unknown.
    virtual Result<int64_t> RevokeRefreshFamilyOf(const std::string& token_hash, int64_t now_ms) = 0;
    /// Deletes refresh tokens that expired before `before_ms`; returns how many.
    virtual Result<int64_t> PruneRefreshTokens(int64_t before_ms) = 0;
    /// The user's TOTP record; kNotFound when none was set up.
    virtual Result<TotpRecord> FindTotp(int64_t user_id) = 0;
    /// Starts (or restarts) enrolment: a new secret, not yet enabled. kConflict when TOTP is already enabled.
    virtual Result<void> StartTotp(int64_t user_id, const std::string& secret, int64_t now_ms) = 0;
    /// Enables the pending secret and replaces the recovery codes by these hashes, in one transaction.
    virtual Result<void> EnableTotp(int64_t user_id, const std::vector<std::string>& recovery_code_hashes) = 0;
    /// Removes the secret and the recovery codes.
    virtual Result<void> DisableTotp(int64_t user_id) = 0;
    /// Accepts time step `step` for the user once: true when it is newer than every step accepted before.
    virtual Result<bool> ClaimTotpStep(int64_t user_id, int64_t step) = 0;
    /// Uses one unused recovery code of the user once; false when none matches.
    virtual Result<bool> UseRecoveryCode(int64_t user_id, const std::string& code_hash, int64_t now_ms) = 0;
    /// Recovery codes of the user not used yet.
    virtual Result<int64_t> CountRecoveryCodes(int64_t user_id) = 0;
    /// The agency's policy: admins must use two-factor login (false when never set).
    virtual Result<bool> RequireAdminTwoFactor(int64_t agency_id) = 0;
    virtual Result<void> SetRequireAdminTwoFactor(int64_t agency_id, bool required) = 0;

    // --- approvals ---
    /// kNotFound when the agency does not exist.
    virtual Result<AgencySettings> FindAgencySettings(int64_t agency_id) = 0;
    virtual Result<AgencySettings> UpdateAgencySettings(int64_t agency_id, const AgencySettings& settings) = 0;
    /// Stores a pending approval (status, decision fields ignored).
    virtual Result<Approval> InsertApproval(const Approval& approval) = 0;
    /// Agency-scoped: another agency's is kNotFound.
    virtual Result<Approval> FindApproval(int64_t agency_id, int64_t id) = 0;
    virtual Result<std::vector<Approval>> ListApprovals(const ApprovalFilter& filter) = 0;
    /// Claims a pending, unexpired approval once (ApplyOnce): {true, row} for the one caller that moved it to
    /// decision.status, {false, row as it is} for everyone else (already decided, expired, or still pending
    /// but past expires_at). kNotFound for another agency's.
    virtual Result<std::pair<bool, Approval>> DecideApproval(int64_t agency_id, int64_t id,
                                                             const ApprovalDecision& decision) = 0;
    /// Records what an approved request started (a transfer) or why it did not (outcome).
    virtual Result<void> SetApprovalResult(int64_t id, std::optional<int64_t> transaction_id,
                                           const std::string& outcome) = 0;
    /// The background sweep: marks at most `limit` pending approvals with expires_at <= now expired, each once
    /// (FOR UPDATE SKIP LOCKED on PostgreSQL, like the reconciler's claims), and returns them.
    virtual Result<std::vector<Approval>> ExpireDueApprovals(const std::string& now, int limit) = 0;
    /// What counts against the daily payout limit: B2C transfers of the agency created in [from, to) that did not
    /// fail (succeeded or in flight), plus the agency's B2C approvals still pending and unexpired at `now`.
    virtual Result<int64_t> PayoutTotal(int64_t agency_id, const std::string& from, const std::string& to,
                                        const std::string& now) = 0;

    // --- api keys ---
    /// Stores a new key (id, created_at, last_used_at and revoked_at are set here). kConflict on a duplicate hash.
    virtual Result<ApiKey> InsertApiKey(const ApiKey& key) = 0;
    /// The key with this SHA-256 hex, revoked or not (the caller decides). kNotFound when none.
    virtual Result<ApiKey> FindApiKeyByHash(const std::string& key_hash) = 0;
    /// An agency's keys, newest first (revoked ones included).
    virtual Result<std::vector<ApiKey>> ListApiKeys(int64_t agency_id) = 0;
    /// Marks the key revoked (an already revoked key keeps its first revocation time). kNotFound when the agency
    /// has no key with this id.
    virtual Result<ApiKey> RevokeApiKey(int64_t agency_id, int64_t id) = 0;
    /// Records that the key was used at `at` (ISO-8601 UTC).
    virtual Result<void> TouchApiKey(int64_t id, const std::string& at) = 0;
    /// Sets (or, with "", clears) the agency's Haven id. kConflict when another agency has it; kNotFound.
    virtual Result<core::Agency> SetAgencyExternalId(int64_t agency_id, const std::string& external_id) = 0;
    /// The agency with this Haven id. kNotFound when none.
    virtual Result<core::Agency> FindAgencyByExternalId(const std::string& external_id) = 0;

    // --- users ---
    // Agency-scoped: another agency's user or link is kNotFound. Every change that could leave an agency without an
    // active admin (demote, disable) locks the agency row and counts its other active admins in the same
    // transaction, so two admins demoting each other at once cannot both succeed: the loser gets kConflict.
    virtual Result<std::vector<core::User>> ListUsers(int64_t agency_id) = 0;
    /// kConflict when a user with this email already exists (any agency: emails are unique).
    virtual Result<UserInvite> InsertInvite(const UserInvite& invite) = 0;
    /// Links neither used, revoked nor expired at `now` (ISO-8601 UTC), newest first.
    virtual Result<std::vector<UserInvite>> ListPendingInvites(int64_t agency_id, const std::string& now) = 0;
    /// kConflict when already used or revoked.
    virtual Result<UserInvite> RevokeInvite(int64_t agency_id, int64_t id) = 0;
    virtual Result<UserInvite> FindInviteByTokenHash(const std::string& token_hash) = 0;
    /// Uses the link once: an invite creates its user with `password_hash`; a reset sets its user's password and
    /// tokens_valid_after. One guarded update, so of two uses at once exactly one wins. kNotFound for an unknown
    /// token; kConflict when used, revoked or expired at `now` (the message says which) or the email is taken.
    virtual Result<core::User> RedeemInvite(const std::string& token_hash, const std::string& password_hash,
                                            const std::string& now, int64_t tokens_valid_after) = 0;
    /// kConflict when it would demote the agency's last active admin.
    virtual Result<core::User> SetUserRole(int64_t agency_id, int64_t user_id, core::Role role) = 0;
    /// Disabling sets disabled_at and tokens_valid_after; kConflict when it would disable the last active admin.
    virtual Result<core::User> SetUserDisabled(int64_t agency_id, int64_t user_id, bool disabled,
                                               int64_t tokens_valid_after) = 0;
    /// The user's own password change: the new hash and the token cut-off.
    virtual Result<core::User> SetUserPassword(int64_t user_id, const std::string& password_hash,
                                               int64_t tokens_valid_after) = 0;
    /// A forced reset in one transaction: clears the password, sets tokens_valid_after, revokes the user's earlier
    /// reset links and stores `link` (purpose reset; email and role are taken from the user).
    virtual Result<UserInvite> StartPasswordReset(int64_t agency_id, int64_t user_id, const UserInvite& link,
                                                  int64_t tokens_valid_after) = 0;

    // --- hooks ---
    // An agency's C2B settings live in its mpesa_accounts row; writing them creates the row when there is none and
    // never touches its other columns (shortcode, sealed secrets).
    /// The agency's C2B settings and last registration; std::nullopt when it has no mpesa_accounts row (the caller
    /// then uses the install's defaults).
    virtual Result<std::optional<C2bSettings>> FindC2bSettings(int64_t agency_id) = 0;
    /// Writes version, response type, validation and reject_unknown (registered_* are left as they are).
    virtual Result<C2bSettings> UpdateC2bSettings(int64_t agency_id, const C2bSettings& settings,
                                                  const std::string& updated_by) = 0;
    /// Records a successful registration: c2b_registered_at and c2b_registered_urls (JSON text). A new row gets
    /// the settings the registration used.
    virtual Result<C2bSettings> RecordC2bRegistration(int64_t agency_id, const C2bSettings& used,
                                                      const std::string& urls_json, const std::string& at,
                                                      const std::string& updated_by) = 0;

    // --- rent roll ---
    /// What one lease has paid and had refunded up to the end of a rent-roll month, and its last payment in that
    /// time. Payments count by their completion time (payments.paid_at, STK and C2B alike); refunds and reversals
    /// of the lease's payments (transfers whose original_transaction_id is one of its payments' transaction) count
    /// only when SUCCESS, by their completion time (transfers.completed_at): PENDING and FAILED ones moved no money.
    struct LeaseRentSums {
        int64_t lease_id = 0;
        core::LeaseMoney money;
        std::string last_paid_at;  // "" when no payment before the month's end
        int64_t last_amount = 0;
        std::string last_source;  // stk | c2b
    };
    /// Per lease of the agency with any payment or refund before `month_end` (ISO-8601 UTC instants, as
    /// core::NairobiMonthStartUtc gives them): sums before `month_start` and within [month_start, month_end).
    /// Two indexed aggregate queries, whatever the number of leases (migration 018).
    virtual Result<std::map<int64_t, LeaseRentSums>> SumRentRoll(int64_t agency_id, const std::string& month_start,
                                                                 const std::string& month_end) = 0;

    // --- accounts ---
    // The account columns of mpesa_accounts (storage/mpesa_account.hpp); the C2B columns of the row are never
    // written here.
    /// Creates or replaces the agency's account columns (updated_at is set here). kConflict when another agency
    /// has this shortcode or till as its shortcode or till.
    virtual Result<MpesaAccount> UpsertMpesaAccount(const MpesaAccount& account) = 0;
    /// The agency's account; kNotFound when it has none (no row, or a row without a shortcode).
    virtual Result<MpesaAccount> FindMpesaAccount(int64_t agency_id) = 0;
    /// Clears the account columns (the agency goes back to the global account); true when it had one.
    virtual Result<bool> ClearMpesaAccount(int64_t agency_id, const std::string& updated_by) = 0;

    // --- c2b ---
    struct C2bRecorded {
        bool inserted = false;  // false: this TransID was recorded before and nothing changed
        C2bPayment payment;
        std::optional<core::Payment> lease_payment;  // the lease's payment row when matched
    };
    /// Records a C2B payment once per TransID in one unit: the transaction_ids row (kind c2b), the c2b_payments row
    /// and, when `payment.lease_id` is set (status matched), the payments row (source c2b, paid_at = completed_at).
    /// A TransID already recorded changes nothing and returns the stored row with inserted = false.
    virtual Result<C2bRecorded> InsertC2bPayment(const C2bPayment& payment) = 0;
    /// The agency a BusinessShortCode belongs to: an mpesa_accounts row with that shortcode or till; else, when it is
    /// the global shortcode or till, the smallest agency without a shortcode or till of its own. nullopt: none.
    virtual Result<std::optional<int64_t>> FindC2bRouteAgency(const std::string& shortcode,
                                                              const std::string& global_shortcode,
                                                              const std::string& global_till) = 0;
    /// Active (not ended) leases of the agency whose account_key / phone_hash equals `key`.
    virtual Result<LeaseMatch> MatchLeaseByAccountKey(int64_t agency_id, const std::string& key) = 0;
    virtual Result<LeaseMatch> MatchLeaseByPhoneHash(int64_t agency_id, const std::string& phone_hash) = 0;
    virtual Result<C2bPayment> FindC2bPayment(int64_t agency_id, int64_t id) = 0;
    /// Newest first, at most filter.limit (clamped to 1..200).
    virtual Result<std::vector<C2bPayment>> ListC2bPayments(const C2bFilter& filter) = 0;
    /// Staff assign an unmatched payment to an active lease, once: guarded update (unmatched -> matched, matched_by
    /// staff), the lease's payment row and the payment's open c2b_unmatched review item resolved, in one unit.
    /// kNotFound: no such payment or lease; kConflict: not unmatched any more, or the lease has ended.
    virtual Result<C2bRecorded> AssignC2bPayment(int64_t agency_id, int64_t id, int64_t lease_id,
                                                 const std::string& resolved_by) = 0;
    /// Marks an unmatched payment refunded by `transfer_id`, once (guarded unmatched -> refunded) and resolves its
    /// review item. kConflict when it is not unmatched any more.
    virtual Result<C2bPayment> LinkC2bRefund(int64_t agency_id, int64_t id, int64_t transfer_id,
                                             const std::string& resolved_by) = 0;
    /// Fills leases.account_key and phone_hash where they are NULL (after Migrate); returns how many rows.
    virtual Result<int64_t> BackfillLeaseKeys() = 0;

    // --- reconciliation ---
    // Imports of the M-Pesa business statement (core/statement.hpp) and what comparing them with our records found
    // (migration 019). The comparison itself is service/reconciliation.
    struct ReconciliationImport {
        int64_t id = 0;
        int64_t agency_id = 0;
        std::string file_sha256;  // lower-case hex: an agency imports a file once
        std::string file_name;
        std::string period_from;  // the earliest Completion Time of its rows, ISO-8601 UTC; empty without rows
        std::string period_to;    // the latest
        int64_t row_count = 0;
        int64_t finding_count = 0;
        std::string summary;  // JSON text: rows and totals by kind, findings by kind
        std::string created_by;
        std::string created_at;
    };
    struct ReconciliationFinding {
        int64_t id = 0;
        int64_t import_id = 0;
        int64_t agency_id = 0;
        std::string receipt;
        std::string
            kind;  // missing_in_ours | missing_in_statement | amount_mismatch | status_mismatch | settled_review
        std::optional<int64_t> line;            // the statement line; none when only our record has the receipt
        std::string statement;                  // the statement row's fields as JSON text; empty when none
        std::optional<int64_t> transaction_id;  // ours, when we have one
        std::string detail;
        std::string resolution;  // empty while open
        std::string resolved_by;
        std::string resolved_at;
    };
    struct FindingFilter {
        int64_t agency_id = 0;
        int64_t import_id = 0;
        std::optional<std::string> kind;
        std::optional<bool> open;         // true: unresolved only; false: resolved only
        std::optional<int64_t> after_id;  // cursor: findings after this id (statement order)
        int limit = 200;                  // at most 1000
    };
    /// One of our money movements with an M-Pesa receipt: an STK push, a C2B payment, a B2C payment or reversal.
    struct ReceiptRecord {
        std::string receipt;
        std::string source;  // stk | c2b | b2c | reversal
        int64_t transaction_id = 0;
        int64_t amount = 0;  // an STK push: what M-Pesa said was paid when it said so
        std::string status;  // SUCCESS | FAILED | PENDING (a C2B payment is SUCCESS)
        std::string completed_at;
    };
    /// The agency's records with any of these receipts (read in chunks; any number of receipts).
    virtual Result<std::vector<ReceiptRecord>> FindReceiptRecords(int64_t agency_id,
                                                                  const std::vector<std::string>& receipts) = 0;
    /// The agency's SUCCESS records with a receipt whose completion time is in [from, to] (ISO-8601 UTC).
    virtual Result<std::vector<ReceiptRecord>> ListReceiptRecordsCompleted(int64_t agency_id, const std::string& from,
                                                                           const std::string& to) = 0;
    /// The agency's STK pushes still PENDING with an open review item, created in [from, to).
    virtual Result<std::vector<core::StkTransaction>> ListStkUnderReview(int64_t agency_id, const std::string& from,
                                                                         const std::string& to) = 0;
    /// Settles the agency's PENDING push from other evidence (a statement line): ApplyStkOutcome's guarded update
    /// and its one payment, found by id (a push whose Daraja answer never arrived has no CheckoutRequestID).
    /// applied = false when the row was already final; kConflict when the receipt settles another transaction.
    virtual Result<ApplyResult> SettleStkById(int64_t agency_id, int64_t id, const StkOutcome& outcome) = 0;
    /// kNotFound when the agency never imported a file with this SHA-256.
    virtual Result<ReconciliationImport> FindReconciliationImportBySha(int64_t agency_id,
                                                                       const std::string& file_sha256) = 0;
    /// Stores an import with its findings (call inside Atomically with whatever else the import does).
    /// kConflict when the agency already imported a file with this SHA-256.
    virtual Result<ReconciliationImport> InsertReconciliationImport(
        const ReconciliationImport& import, const std::vector<ReconciliationFinding>& findings) = 0;
    /// Agency-scoped: another agency's import is kNotFound.
    virtual Result<ReconciliationImport> FindReconciliationImport(int64_t agency_id, int64_t id) = 0;
    /// The agency's imports, newest first.
    virtual Result<std::vector<ReconciliationImport>> ListReconciliationImports(int64_t agency_id,
                                                                                std::optional<int64_t> before_id,
                                                                                int limit) = 0;
    /// An import's findings matching the filter, in statement order (by id).
    virtual Result<std::vector<ReconciliationFinding>> ListReconciliationFindings(const FindingFilter& filter) = 0;
    virtual Result<ReconciliationFinding> FindReconciliationFinding(int64_t agency_id, int64_t import_id,
                                                                    int64_t id) = 0;
    /// Resolves an open finding once (one guarded update): kConflict when already resolved.
    virtual Result<ReconciliationFinding> ResolveReconciliationFinding(int64_t agency_id, int64_t import_id, int64_t id,
                                                                       const std::string& resolution,
                                                                       const std::string& resolved_by,
                                                                       std::optional<int64_t> transaction_id) = 0;

    // --- outbox (issue 13) ---
    /// Writes an event for the outbox to fan out (webhooks, receipts). Call it inside the unit of work of the
    /// change it reports, so the event exists exactly when the change committed.
    virtual Result<OutboxEvent> InsertOutboxEvent(const OutboxEvent& event) = 0;
    /// The newest event's id (0 when there is none).
    virtual Result<int64_t> LatestOutboxEventId() = 0;
    /// Marks the PENDING events with after_id < id <= up_to_id DONE without fanning them out (the demo's seeded
    /// history must not send receipts or webhooks); returns how many.
    virtual Result<int64_t> SkipOutboxEvents(int64_t after_id, int64_t up_to_id) = 0;

    // --- analytics ---
    // Each call sums the agency's rows over a list of half-open spans of time [from, to) (ISO-8601 UTC instants as
    // the store keeps them, "YYYY-MM-DDTHH:MM:SSZ": the caller makes them Nairobi days or months) in one statement of
    // one index range aggregate per span (migration 022), and answers one entry per span, in the order given.
    struct TimeSpan {
        std::string from;
        std::string to;
    };
    /// Payments (what tenants paid, before any refund) by completion time (payments.paid_at), per source.
    struct CollectionSums {
        int64_t stk_count = 0;
        int64_t stk_amount = 0;
        int64_t c2b_count = 0;
        int64_t c2b_amount = 0;
    };
    virtual Result<std::vector<CollectionSums>> SumCollections(int64_t agency_id,
                                                               const std::vector<TimeSpan>& spans) = 0;
    /// STK pushes by creation time: how many are pending, succeeded and failed, and the failed ones with the
    /// result codes a tenant causes (1032 cancelled, 1037 no answer from the phone, 1 insufficient funds, 2001 wrong
    /// PIN); the rest of the failed ones are "other".
    struct StkOutcomeCounts {
        int64_t pending = 0;
        int64_t succeeded = 0;
        int64_t failed = 0;
        int64_t cancelled = 0;
        int64_t timed_out = 0;
        int64_t insufficient_funds = 0;
        int64_t wrong_pin = 0;
    };
    virtual Result<std::vector<StkOutcomeCounts>> CountStkOutcomes(int64_t agency_id,
                                                                   const std::vector<TimeSpan>& spans) = 0;
    /// B2C transfers and reversals by creation time, grouped by kind (b2c | reversal), type and status.
    struct TransferSums {
        std::string kind;
        std::string type;
        std::string status;
        int64_t count = 0;
        int64_t amount = 0;
    };
    virtual Result<std::vector<std::vector<TransferSums>>> SumTransfers(int64_t agency_id,
                                                                        const std::vector<TimeSpan>& spans) = 0;

    // --- demo --- (sql/demo.cpp, migration 023)
    // `serve --demo` writes its seeded history with the ordinary calls inside one unit of work, then moves the rows'
    // times into the past with BackdateDemoTransaction, and records DemoSeed so a second start writes nothing.
    struct DemoSeed {
        int64_t agency_id = 0;
        std::string history_until;  // ISO-8601 UTC: the "now" the history was generated for
        int64_t transactions = 0;
        std::string created_at;
    };
    /// The agency's marker; std::nullopt when it was never seeded.
    virtual Result<std::optional<DemoSeed>> FindDemoSeed(int64_t agency_id) = 0;
    /// kConflict when the agency already has one (two starts at once: one wins).
    virtual Result<DemoSeed> InsertDemoSeed(const DemoSeed& seed) = 0;
    /// Sets the times of one transaction (any kind) and of what it wrote: created_at on its row, its id row, its
    /// timeline and its review items; updated_at and completed_at (when given) on its row, paid_at of its payment.
    virtual Result<void> BackdateDemoTransaction(int64_t transaction_id, const std::string& created_at,
                                                 const std::string& completed_at) = 0;
    /// Sets a lease's created_at.
    virtual Result<void> BackdateDemoLease(int64_t lease_id, const std::string& created_at) = 0;

    // --- alerts (issue 13) ---
    /// Per agency, the evidence for an alert: how many rows, and since when (the oldest one's time).
    struct AlertEvidence {
        int64_t agency_id = 0;
        int64_t count = 0;
        std::string since;
    };
    /// Per agency: the pushes Daraja accepted (CheckoutRequestID set), created in (since, accepted_before], that no
    /// callback reached, and after which no callback at all arrived for the agency (so the callback URL, not one
    /// lost callback, is the likely cause). Pushes settled by an STK query still count: their callback never came.
    virtual Result<std::vector<AlertEvidence>> PushesWithoutCallback(const std::string& since,
                                                                     const std::string& accepted_before) = 0;
    /// Per agency: its enabled, undeleted webhook endpoints failing since failing_before or earlier (failing_since,
    /// or a PENDING message already attempted and created by then).
    virtual Result<std::vector<AlertEvidence>> FailingWebhookEndpoints(const std::string& failing_before) = 0;
    /// The newest alert item (review items whose reason_code starts with "alert_") of each agency and reason,
    /// open or resolved; with agency_id and open_only, the agency's open alerts (newest first).
    virtual Result<std::vector<ReviewItem>> LatestAlerts(std::optional<int64_t> agency_id, bool open_only) = 0;
    /// Whether an outbox event of this type about this subject exists (an alert's system.alert is written once).
    virtual Result<bool> HasOutboxEvent(const std::string& type, const std::string& subject_kind,
                                        int64_t subject_id) = 0;

    // --- outbox: fan-out, delivery, webhook endpoints (sql/outbox.cpp) ---
    virtual Result<OutboxEvent> FindOutboxEvent(int64_t id) = 0;
    /// Due PENDING events, claimed with the one claim statement (Claim).
    virtual Result<std::vector<OutboxEvent>> ClaimDueOutboxEvents(const Claim& claim) = 0;
    /// The fan-out of a claimed event, in one transaction: inserts `messages` (a dedupe_key already stored is
    /// skipped, so a second fan-out creates nothing) and marks the event DONE. Returns how many were inserted.
    /// kConflict (nothing written) when `owner` no longer holds the claim.
    virtual Result<int64_t> FanOutOutboxEvent(int64_t event_id, const std::string& owner,
                                              const std::vector<OutboxMessage>& messages) = 0;
    /// A fan-out that failed: attempts + 1, the error, next try at `next_attempt_at`; the claim is given back.
    virtual Result<void> RetryOutboxEvent(int64_t event_id, const std::string& owner, const std::string& error,
                                          const std::string& next_attempt_at) = 0;
    /// Due PENDING messages (the one claim statement), except a message while an older PENDING message of the
    /// same subject_key goes to the same destination (channel, endpoint, recipient): one object's messages to
    /// one destination go out in order.
    virtual Result<std::vector<OutboxMessage>> ClaimDueOutboxMessages(const Claim& claim) = 0;
    /// One attempt on a claimed message and the message's new state: `status` DELIVERED, FAILED, CANCELLED or
    /// PENDING again at `next_attempt_at`; the claim is given back. kConflict when `owner` lost the claim.
    virtual Result<OutboxMessage> RecordOutboxAttempt(int64_t message_id, const std::string& owner,
                                                      const OutboxAttempt& attempt, const std::string& status,
                                                      const std::string& next_attempt_at) = 0;
    /// Agency-scoped (another agency's message is kNotFound).
    virtual Result<OutboxMessage> FindOutboxMessage(int64_t agency_id, int64_t id) = 0;
    struct OutboxMessageFilter {
        int64_t agency_id = 0;
        std::optional<int64_t> endpoint_id;
        std::optional<std::string> status;
        std::optional<int64_t> before_id;  // cursor, newest first
        int limit = 50;
    };
    virtual Result<std::vector<OutboxMessage>> ListOutboxMessages(const OutboxMessageFilter& filter) = 0;
    /// The messages of the events about one subject ("tx:42"), oldest first (a transaction's notifications).
    virtual Result<std::vector<OutboxMessage>> ListSubjectMessages(int64_t agency_id,
                                                                   const std::string& subject_key) = 0;
    /// Every attempt on a message, oldest first.
    virtual Result<std::vector<OutboxAttempt>> ListOutboxAttempts(int64_t message_id) = 0;
    /// A manual resend: the message is PENDING and due now again (same payload, same webhook-id).
    virtual Result<OutboxMessage> ResendOutboxMessage(int64_t agency_id, int64_t id) = 0;

    // Webhook endpoints (agency-scoped; deleted ones are kNotFound except to FindWebhookEndpointAny).
    virtual Result<WebhookEndpoint> InsertWebhookEndpoint(const WebhookEndpoint& endpoint) = 0;
    virtual Result<WebhookEndpoint> FindWebhookEndpoint(int64_t agency_id, int64_t id) = 0;
    /// Any endpoint by id, deleted included (the delivery worker).
    virtual Result<WebhookEndpoint> FindWebhookEndpointAny(int64_t id) = 0;
    virtual Result<std::vector<WebhookEndpoint>> ListWebhookEndpoints(int64_t agency_id) = 0;
    /// Writes url, description, event_types, enabled, the secrets and the failure fields as given.
    virtual Result<WebhookEndpoint> UpdateWebhookEndpoint(const WebhookEndpoint& endpoint) = 0;
    /// Soft delete: deleted_at set, the endpoint's PENDING messages CANCELLED; history kept.
    virtual Result<WebhookEndpoint> DeleteWebhookEndpoint(int64_t agency_id, int64_t id) = 0;
    /// After an attempt to the endpoint: a success clears consecutive_failures and failing_since; a failure
    /// adds one and sets failing_since when it starts a run. Returns the endpoint as it is now.
    virtual Result<WebhookEndpoint> RecordEndpointOutcome(int64_t id, bool ok, const std::string& now) = 0;
    /// The gateway disables an endpoint that kept failing: enabled = 0, the reason, and its PENDING messages
    /// CANCELLED, once (false when it was already disabled).
    virtual Result<bool> DisableFailingEndpoint(int64_t id, const std::string& reason, const std::string& now) = 0;

    // --- metrics --- What GET /metrics reads at each scrape (counts only; claims nothing).
    struct BacklogCounts {
        int64_t stk_due = 0;          // PENDING pushes the reconciler should query now (its claim's due rule)
        int64_t transfers_due = 0;    // PENDING B2C payouts and reversals, the same rule
        int64_t review_open = 0;      // open needs-review items, every agency
        int64_t outbox_events = 0;    // PENDING outbox events (not yet fanned out)
        int64_t outbox_messages = 0;  // PENDING webhook, email and SMS messages (not yet delivered)
    };
    /// `first_due_before`: rows never tried count once created before it (the reconciler's first delay).
    virtual Result<BacklogCounts> CountBacklog(const std::string& now, const std::string& first_due_before) = 0;
    struct PoolUse {
        int64_t in_use = 0;
        int64_t idle = 0;
        int64_t max = 0;
    };
    /// The database connections this process holds: in use, idle, the most it opens (SQLite: the writer and its
    /// readers).
    virtual PoolUse DatabasePoolUse() = 0;
};

/// How a store commits. Every commit is durable (synced) before the call returns.
struct StoreOptions {
    /// Concurrent writes share one transaction and one sync (STYLE.md P9; DB_GROUP_COMMIT): one writer on
    /// SQLite, a few on PostgreSQL (group_commit.hpp). Off: each write is its own transaction.
    bool group_commit = true;
};

/// "sqlite:./data/haven.db", "sqlite::memory:", "postgres://user:pass@host:5432/db" (or postgresql://).
/// The migrations (src/storage/migrations/<backend>/NNN_name.sql) are compiled into the binary.
Result<std::unique_ptr<Store>> MakeStore(const std::string& database_url, const StoreOptions& options = {});

}  // namespace haven::storage
