#pragma once
// A bound on requests waiting on Daraja at once (DARAJA_MAX_IN_FLIGHT). A request takes a permit before it writes
// anything and gives it back when it has its answer; with none left it is turned away at once (503 DARAJA_BUSY),
// so a slow Daraja costs a bounded number of open requests and sockets instead of a growing pile.
#include <atomic>
#include <cstdint>
#include <memory>

namespace haven::daraja {

class InFlightLimit {
  public:
    explicit InFlightLimit(int64_t limit) : limit_(limit) {}
    InFlightLimit(const InFlightLimit&) = delete;
    InFlightLimit& operator=(const InFlightLimit&) = delete;

    /// One call in flight; the last copy gives it back.
    using Permit = std::shared_ptr<void>;

    /// A permit, or nullptr when `limit` calls are already in flight. Never blocks.
    Permit TryAcquire() {
        int64_t now = in_flight_.load();
        do {
            if (now >= limit_) return nullptr;
        } while (!in_flight_.compare_exchange_weak(now, now + 1));
        return Permit(this, [](InFlightLimit* self) { self->in_flight_.fetch_sub(1); });
    }

    int64_t limit() const { return limit_; }
    int64_t in_flight() const { return in_flight_.load(); }

  private:
    const int64_t limit_;
    std::atomic<int64_t> in_flight_{0};
};

}  // namespace haven::daraja
