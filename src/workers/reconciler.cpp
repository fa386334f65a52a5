#include "workers/reconciler.hpp"

#include <spdlog/spdlog.h>

#include "core/time.hpp"

namespace haven::workers {

Reconciler::Reconciler(net::Runtime& runtime, service::StkDeps stk, service::B2cDeps transfers,
                       std::chrono::seconds interval, std::chrono::seconds after)
    : runtime_(runtime), deps_(stk), transfers_(transfers), interval_(interval), after_(after) {}

Reconciler::~Reconciler() { Stop(); }

void Reconciler::Start() {
    if (!stopped_->exchange(false)) return;
    Schedule();
}

void Reconciler::Stop() { stopped_->store(true); }

void Reconciler::Schedule() {
    auto stopped = stopped_;
    runtime_.PostAfter(std::chrono::duration_cast<std::chrono::milliseconds>(interval_), [this, stopped] {
        if (stopped->load()) return;
        RunOnce();
        if (!stopped->load()) Schedule();
    });
}

int Reconciler::RunOnce() {
    constexpr int kBatch = 50;
    const auto cutoff = core::IsoUtc(std::chrono::system_clock::now() - after_);
    auto stale = deps_.store.ListStalePendingStk(cutoff, kBatch);
    if (!stale) {
        spdlog::error("reconciler: cannot list pending transactions: {}", stale.error().message);
        return 0;
    }
    int settled = 0;
    for (const auto& tx : *stale) {
        auto result = service::SettleFromQuery(tx, deps_);
        if (!result) {
            spdlog::warn("reconciler: STK query for transaction {} failed: {}", tx.id, result.error().message);
            continue;
        }
        if (result->status != core::TxStatus::kPending) ++settled;
    }
    if (settled > 0) spdlog::info("reconciler: settled {} transaction(s) by STK query", settled);
    const int queried = service::SettleStaleTransfers(cutoff, transfers_);
    if (queried > 0) spdlog::info("reconciler: asked Transaction Status for {} pending transfer(s)", queried);
    return settled;
}

}  // namespace haven::workers
