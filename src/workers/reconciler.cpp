#include "workers/reconciler.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include "core/time.hpp"
#include "service/auth.hpp"

namespace haven::workers {

using core::TxStatus;
using std::chrono::system_clock;

namespace {

constexpr int kPerPass = 50;  // rows one pass works on at most, per queue
constexpr const char* kNeverConfirmed = "M-Pesa never confirmed this request";

std::string HostName() {
    char name[256] = {};
    if (::gethostname(name, sizeof name - 1) != 0) return "host";
    return name;
}

}  // namespace

Reconciler::Reconciler(net::Runtime& runtime, service::StkDeps stk, service::B2cDeps transfers,
                       ReconcilerSettings settings)
    : runtime_(runtime),
      deps_(stk),
      transfers_(transfers),
      settings_(settings),
      owner_(HostName() + ":" + std::to_string(::getpid()) + ":" + service::RandomToken(4)) {}

void Reconciler::SetAccountDeps(StkDepsFor stk, TransferDepsFor transfers) {
    stk_for_ = std::move(stk);
    transfers_for_ = std::move(transfers);
}

Reconciler::~Reconciler() { Stop(); }

void Reconciler::Start() {
    stopping_ = false;
    if (!stopped_->exchange(false)) return;
    Schedule();
}

void Reconciler::Stop() {
    stopping_ = true;  // a pass under way ends after its current row
    stopped_->store(true);
}

void Reconciler::Schedule() {
    auto stopped = stopped_;
    runtime_.PostAfter(std::chrono::duration_cast<std::chrono::milliseconds>(settings_.interval), [this, stopped] {
        if (stopped->load()) return;
        RunOnce();
        if (!stopped->load()) Schedule();
    });
}

std::chrono::seconds Reconciler::Backoff(int64_t attempts, const ReconcilerSettings& settings) {
    auto delay = settings.backoff;
    for (int64_t i = 1; i < attempts && delay < settings.backoff_max; ++i) delay *= 2;
    return std::min(delay, settings.backoff_max);
}

storage::Claim Reconciler::ClaimAt(system_clock::time_point now) const {
    // One row per claim. A pass asks M-Pesa about its rows one at a time, each up to two Daraja deadlines long: rows
    // claimed together would wait their turn under a lease that may run out meanwhile, and another gateway would
    // then claim them and ask about a row at the same time as we do. Claimed singly, a row is held only while it is
    // worked on (the lease need only outlast one row's work), and the other gateways take the other due rows.
    return {owner_, core::IsoUtc(now), core::IsoUtc(now - settings_.first_after), core::IsoUtc(now + settings_.lease),
            1};
}

void Reconciler::ReviewIfOverdue(int64_t agency_id, int64_t id, const std::string& created_at,
                                 const std::string& last_error, system_clock::time_point now) {
    auto created = core::ParseIsoUtc(created_at);
    if (!created || now - *created < settings_.review_after) return;
    const auto hours = std::chrono::duration_cast<std::chrono::hours>(settings_.review_after).count();
    std::string reason =
        "M-Pesa has not settled this request after " +
        (hours > 0 ? std::to_string(hours) + " h" : std::to_string(settings_.review_after.count()) + " s");
    if (!last_error.empty()) reason += " (last answer: " + last_error + ")";
    auto opened = deps_.store.OpenReview(
        {.agency_id = agency_id, .transaction_id = id, .reason_code = "unsettled", .reason = reason});
    if (!opened) spdlog::error("reconciler: review item for {} not opened: {}", id, opened.error().message);
}

int Reconciler::ReconcileStk() {
    int settled = 0;
    for (int worked = 0; worked < kPerPass && !stopping_.load(); ++worked) {
        const auto now = system_clock::now();
        auto due = deps_.store.ClaimDueStk(ClaimAt(now));
        if (!due) {
            spdlog::error("reconciler: cannot claim pending pushes: {}", due.error().message);
            break;
        }
        if (due->empty()) break;
        const core::StkTransaction& tx = due->front();
        std::string error;
        if (tx.checkout_request_id.empty()) {
            // Daraja's answer never reached us: no CheckoutRequestID to ask about. Wait out the prompt's life,
            // then settle only on an unambiguous callback, else hand it to a person (never FAILED: the tenant
            // may have paid, and later evidence must still be able to settle it).
            auto created = core::ParseIsoUtc(tx.created_at);
            if (created && now - *created >= settings_.prompt_lifetime) {
                auto matched = service::MatchUnconfirmedPush(tx, settings_.prompt_lifetime, deps_);
                if (matched && *matched) {
                    ++settled;
                    continue;
                }
                if (!matched) spdlog::warn("reconciler: matching push {} failed: {}", tx.id, matched.error().message);
                auto opened = deps_.store.OpenReview({.agency_id = tx.agency_id,
                                                      .transaction_id = tx.id,
                                                      .reason_code = "never_confirmed",
                                                      .reason = kNeverConfirmed});
                if (!opened)
                    spdlog::error("reconciler: review item for {} not opened: {}", tx.id, opened.error().message);
            }
            error = "no CheckoutRequestID: Daraja's answer to the push never arrived";
        } else {
            auto deps = stk_for_ ? stk_for_(tx.agency_id) : core::Result<service::StkDeps>(deps_);
            auto result = deps ? service::SettleFromQuery(tx, *deps)
                               : core::Result<core::StkTransaction>(tl::unexpected(deps.error()));
            if (result && result->status != TxStatus::kPending) {
                ++settled;
                continue;
            }
            error = result ? "still being processed" : result.error().message;
        }
        ReviewIfOverdue(tx.agency_id, tx.id, tx.created_at, error, now);
        const auto next = now + Backoff(tx.reconciliation.attempts + 1, settings_);
        auto recorded = deps_.store.RecordAttempt(storage::WorkQueue::kStk, tx.id, owner_, error, core::IsoUtc(next));
        if (!recorded) spdlog::error("reconciler: attempt on {} not recorded: {}", tx.id, recorded.error().message);
    }
    return settled;
}

void Reconciler::ReconcileTransfers() {
    for (int worked = 0; worked < kPerPass && !stopping_.load(); ++worked) {
        const auto now = system_clock::now();
        auto due = transfers_.store.ClaimDueTransfers(ClaimAt(now));
        if (!due) {
            spdlog::error("reconciler: cannot claim pending transfers: {}", due.error().message);
            return;
        }
        if (due->empty()) return;
        const storage::Transfer& t = due->front();
        std::string error;
        if (t.conversation_id.empty() && t.originator_conversation_id.empty()) {
            error = "no conversation id: Daraja's answer to the request never arrived";
            auto created = core::ParseIsoUtc(t.created_at);
            if (created && now - *created >= settings_.prompt_lifetime) {
                auto opened = transfers_.store.OpenReview({.agency_id = t.agency_id,
                                                           .transaction_id = t.id,
                                                           .reason_code = "never_confirmed",
                                                           .reason = kNeverConfirmed});
                if (!opened)
                    spdlog::error("reconciler: review item for {} not opened: {}", t.id, opened.error().message);
            }
        } else {
            // The answer comes to the status ResultURL and settles the transfer there.
            auto deps = transfers_for_ ? transfers_for_(t.agency_id) : core::Result<service::B2cDeps>(transfers_);
            auto asked = deps ? service::QueryTransactionStatus(t.agency_id, t.id, std::nullopt, *deps)
                              : core::Result<storage::StatusQuery>(tl::unexpected(deps.error()));
            error = asked ? "transaction status asked; waiting for its result" : asked.error().message;
        }
        ReviewIfOverdue(t.agency_id, t.id, t.created_at, error, now);
        const auto next = now + Backoff(t.reconciliation.attempts + 1, settings_);
        auto recorded =
            transfers_.store.RecordAttempt(storage::WorkQueue::kTransfers, t.id, owner_, error, core::IsoUtc(next));
        if (!recorded) spdlog::error("reconciler: attempt on {} not recorded: {}", t.id, recorded.error().message);
    }
}

void Reconciler::ExpireApprovals(system_clock::time_point now) {
    // Payouts held for a second admin that nobody decided on in time: expired once each (the store claims them
    // like every other background row), so nothing waits forever and none can be sent later.
    for (;;) {
        auto expired = deps_.store.ExpireDueApprovals(core::IsoUtc(now), 100);
        if (!expired) {
            spdlog::error("reconciler: approvals not expired: {}", expired.error().message);
            return;
        }
        for (const auto& a : *expired) {
            auto audited = deps_.store.InsertAudit({a.agency_id, std::nullopt, "system", "approval.expire",
                                                    "approval:" + std::to_string(a.id), "", "success"});
            if (!audited) spdlog::error("reconciler: audit of expired approval {}: {}", a.id, audited.error().message);
        }
        if (expired->size() < 100) return;
    }
}

int Reconciler::RunOnce() {
    const auto now = system_clock::now();
    const int settled = ReconcileStk();
    if (settled > 0) spdlog::info("reconciler: settled {} push(es)", settled);
    ReconcileTransfers();
    // Balance checks and status queries move no money: unanswered ones end FAILED ("ask again").
    if (auto expired = deps_.store.ExpireUnansweredQueries(core::IsoUtc(now - settings_.prompt_lifetime)); !expired) {
        spdlog::error("reconciler: unanswered queries not expired: {}", expired.error().message);
    }
    ExpireApprovals(now);
    if (auto pruned = deps_.store.PruneIdempotencyKeys(core::IsoUtc(now - settings_.keep_idempotency)); !pruned) {
        spdlog::error("reconciler: idempotency keys not pruned: {}", pruned.error().message);
    }
    PruneRawBodies(now);
    return settled;
}

void Reconciler::PruneRawBodies(system_clock::time_point now) {
    if (settings_.raw_body_retention.count() == 0) return;
    const std::string cut_off = core::IsoUtc(now - settings_.raw_body_retention);
    constexpr int kBatch = 200;
    // A few batches per pass: a backlog (retention just switched on) drains over passes, never in one long stall.
    int64_t removed = 0;
    for (int batch = 0; batch < 50; ++batch) {
        auto pruned = deps_.store.PruneRawBodies(cut_off, kBatch);
        if (!pruned) {
            spdlog::error("reconciler: raw Daraja bodies not pruned: {}", pruned.error().message);
            break;
        }
        removed += *pruned;
        if (*pruned < kBatch) break;
    }
    if (removed > 0) spdlog::info("reconciler: removed {} raw Daraja body(ies) past their retention", removed);
}

}  // namespace haven::workers
