#pragma once
// Settles what Daraja never answered, and never guesses. Every pass claims the PENDING rows whose next
// attempt is due (the store's one claim mechanism: a lease per row, so several gateway processes on one
// database never work on the same row, and a dead process's claims run out), asks M-Pesa about each one
// (STK Query for pushes, Transaction Status for B2C payouts and reversals), and records the attempt: its
// count, its error, and the next attempt time, backing off from `backoff` doubling to `backoff_max`. So one
// bad row never blocks the others. A row is settled only on evidence (Daraja's answer or a callback); what
// cannot be settled becomes needs review with its reason, and stays open to later evidence.
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "net/runtime.hpp"
#include "service/status_query.hpp"
#include "service/stk_service.hpp"

namespace haven::workers {

struct ReconcilerSettings {
    std::chrono::seconds interval{30};             // RECONCILE_INTERVAL_SECONDS: time between passes
    std::chrono::seconds first_after{120};         // RECONCILE_AFTER_SECONDS: a row's first attempt, after creation
    std::chrono::seconds backoff{30};              // RECONCILE_BACKOFF_SECONDS: delay after the first attempt, doubling
    std::chrono::seconds backoff_max{3600};        // RECONCILE_BACKOFF_MAX_SECONDS
    std::chrono::seconds prompt_lifetime{300};     // STK_PROMPT_LIFETIME_SECONDS: a prompt's life plus a margin
    std::chrono::seconds review_after{86400};      // NEEDS_REVIEW_AFTER_SECONDS: still unsettled -> needs review
    std::chrono::seconds keep_idempotency{86400};  // idempotency keys are kept at least this long
    std::chrono::seconds lease{120};               // RECONCILE_LEASE_SECONDS: how long a claim holds a row
    /// RAW_BODY_RETENTION_DAYS: raw Daraja bodies older than this lose their body (personal data); 0 = keep them.
    std::chrono::hours raw_body_retention{24 * 90};
};

class Reconciler {
  public:
    Reconciler(net::Runtime& runtime, service::StkDeps stk, service::B2cDeps transfers, ReconcilerSettings settings);
    /// The deps of an agency's own M-Pesa account (issue 12): a row is asked about on the account it went out on.
    /// Unset: every row uses the deps given above.
    using StkDepsFor = std::function<core::Result<service::StkDeps>(int64_t agency_id)>;
    using TransferDepsFor = std::function<core::Result<service::B2cDeps>(int64_t agency_id)>;
    void SetAccountDeps(StkDepsFor stk, TransferDepsFor transfers);
    ~Reconciler();
    void Start();
    void Stop();
    /// One pass (also what the timer runs); returns how many STK pushes reached a final state
    /// (transfers settle later, when their status Result arrives).
    int RunOnce();

    /// The delay before attempt number `attempts + 1`: backoff * 2^(attempts - 1), at most backoff_max.
    static std::chrono::seconds Backoff(int64_t attempts, const ReconcilerSettings& settings);

  private:
    void Schedule();
    /// Claims and works on due rows one at a time (see ClaimAt), at most kPerPass per pass.
    int ReconcileStk();
    void ReconcileTransfers();
    /// Marks pending approvals past their expiry expired, one audit row (approval.expire) each.
    void ExpireApprovals(std::chrono::system_clock::time_point now);
    storage::Claim ClaimAt(std::chrono::system_clock::time_point now) const;
    /// Retention: removes the raw Daraja bodies older than raw_body_retention, in batches.
    void PruneRawBodies(std::chrono::system_clock::time_point now);
    /// Opens a review item for a row still unsettled after review_after.
    void ReviewIfOverdue(int64_t agency_id, int64_t id, const std::string& created_at, const std::string& last_error,
                         std::chrono::system_clock::time_point now);

    net::Runtime& runtime_;
    service::StkDeps deps_;
    service::B2cDeps transfers_;
    StkDepsFor stk_for_;
    TransferDepsFor transfers_for_;
    ReconcilerSettings settings_;
    std::string owner_;  // this process, in every claim it makes
    std::shared_ptr<std::atomic<bool>> stopped_ = std::make_shared<std::atomic<bool>>(true);
    std::atomic<bool> stopping_{false};  // Stop() was called: a pass ends after its current row
};

}  // namespace haven::workers
