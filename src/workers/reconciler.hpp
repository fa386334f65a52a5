#pragma once
// Settles what Daraja never answered: every interval, STK pushes PENDING for longer than `after`
// are looked up with STK Query, and B2C payouts and reversals with Transaction Status; final
// states are applied by the same rules as callbacks and results.
#include <atomic>
#include <chrono>
#include <memory>

#include "net/runtime.hpp"
#include "service/b2c_service.hpp"
#include "service/stk_service.hpp"

namespace haven::workers {

class Reconciler {
public:
    Reconciler(net::Runtime& runtime, service::StkDeps stk, service::B2cDeps transfers, std::chrono::seconds interval,
               std::chrono::seconds after);
    ~Reconciler();
    void Start();
    void Stop();
    /// One pass (also what the timer runs); returns how many STK pushes reached a final state
    /// (transfers settle later, when their status Result arrives).
    int RunOnce();

private:
    void Schedule();

    net::Runtime& runtime_;
    service::StkDeps deps_;
    service::B2cDeps transfers_;
    std::chrono::seconds interval_;
    std::chrono::seconds after_;
    std::shared_ptr<std::atomic<bool>> stopped_ = std::make_shared<std::atomic<bool>>(true);
};

}  // namespace haven::workers
