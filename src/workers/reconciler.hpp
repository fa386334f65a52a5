#pragma once
// Settles STK pushes whose callback never came: every interval, PENDING transactions older than
// `after` are looked up with STK Query and their final state applied (the callback path's rules).
#include <atomic>
#include <chrono>
#include <memory>

#include "net/runtime.hpp"
#include "service/stk_service.hpp"

namespace haven::workers {

class Reconciler {
public:
    Reconciler(net::Runtime& runtime, service::StkDeps deps, std::chrono::seconds interval, std::chrono::seconds after);
    ~Reconciler();
    void Start();
    void Stop();
    /// One pass (also what the timer runs); returns how many transactions reached a final state.
    int RunOnce();

private:
    void Schedule();

    net::Runtime& runtime_;
    service::StkDeps deps_;
    std::chrono::seconds interval_;
    std::chrono::seconds after_;
    std::shared_ptr<std::atomic<bool>> stopped_ = std::make_shared<std::atomic<bool>>(true);
};

}  // namespace haven::workers
